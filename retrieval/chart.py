"""A ranking's figures as pictures and sheets: a bar chart (PNG) when three values or more
stand, and the table as a spreadsheet for the 汇总表 staff compile."""

from __future__ import annotations

import importlib.resources
import io
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.models import Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MIN_BARS = 3  # fewer values read better as a line of text than as a chart
MAX_BARS = 20


def font_file() -> Path:
    """The CJK font every chart's text is drawn in: WenQuanYi Micro Hei, shipped inside the
    paperang-p2-fonts-cjk wheel. Named by its file, never looked up in matplotlib's font cache,
    so that place names never draw as empty boxes: not where the cache predates the font, nor
    on a server with no CJK font installed."""
    return Path(str(importlib.resources.files("paperang_p2_fonts_cjk") / "fonts" / "wqy-microhei.ttc"))


def worth_a_chart(table: Table) -> bool:
    return len(table.rows) >= MIN_BARS


def chart_figure(table: Table) -> Figure:
    """The table's values as horizontal bars, largest at the top, each place with its year and
    value written beside its bar, every text in font_file(); about a phone's width."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=font_file())
    small = FontProperties(fname=font_file(), size=8)
    rows = list(table.rows[:MAX_BARS])
    labels = [f"{r.place} {r.report.year}" if r.report.year else r.place for r in rows]
    values = [r.figure.value for r in rows]
    fig = Figure(figsize=(4.8, 0.45 * len(rows) + 1.0), dpi=150)
    ax = fig.subplots()
    bars = ax.barh(range(len(rows)), values, color="#3370ff")
    ax.set_yticks(range(len(rows)), labels=labels, fontproperties=font)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[r.figure.written for r in rows], padding=3, fontproperties=small)
    ax.set_title(table.measure, fontproperties=font)
    for tick in ax.get_xticklabels():  # the value axis: digits, in the same font as the rest
        tick.set_fontproperties(small)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.18)
    fig.tight_layout()
    return fig


def bar_chart(table: Table) -> bytes:
    """chart_figure(table) as a PNG."""
    out = io.BytesIO()
    chart_figure(table).savefig(out, format="png")
    return out.getvalue()


def table_xlsx(table: Table) -> bytes:
    """The table as a spreadsheet: place, year, value, unit, the figure as written, the
    issuer, the report's title and the sentence's section."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.measure[:31] or "排名"
    sheet.append(["排名", "地区", "年份", table.measure, "单位", "原文数字", "发布单位", "报告", "所在部分"])
    for i, row in enumerate(table.rows, 1):
        r = row.report
        sheet.append(
            [
                i,
                row.place,
                r.year,
                row.figure.value,
                row.figure.unit,
                row.figure.written,
                r.issuer,
                r.title,
                " › ".join(row.passage.section),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
