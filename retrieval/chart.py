"""A ranking's figures as pictures and sheets: a bar chart (PNG) when three values or more
stand, and the table as a spreadsheet for the 汇总表 staff compile."""

from __future__ import annotations

import io
from functools import cache

from retrieval.models import Table

MIN_BARS = 3  # fewer values read better as a line of text than as a chart
MAX_BARS = 20
# CJK fonts matplotlib may find on a server or a desktop, best first; without one, place
# names draw as empty boxes (the values and the bars are still right).
_CJK_FONTS = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def worth_a_chart(table: Table) -> bool:
    return len(table.rows) >= MIN_BARS


@cache
def _font_family() -> list[str]:
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in _CJK_FONTS if name in have] + ["sans-serif"]


def bar_chart(table: Table) -> bytes:
    """The table's values as horizontal bars, largest at the top, each place with its year and
    value written beside its bar; a PNG about a phone's width."""
    import matplotlib

    matplotlib.use("Agg")  # no screen on a server
    from matplotlib.figure import Figure

    rows = list(table.rows[:MAX_BARS])
    labels = [f"{r.place} {r.report.year}" if r.report.year else r.place for r in rows]
    values = [r.figure.value for r in rows]
    fig = Figure(figsize=(4.8, 0.45 * len(rows) + 1.0), dpi=150)
    ax = fig.subplots()
    with matplotlib.rc_context({"font.family": _font_family(), "axes.unicode_minus": False}):
        bars = ax.barh(range(len(rows)), values, color="#3370ff")
        ax.set_yticks(range(len(rows)), labels=labels, fontfamily=_font_family())
        ax.invert_yaxis()
        ax.bar_label(
            bars, labels=[r.figure.written for r in rows], padding=3, fontsize=8, fontfamily=_font_family()
        )
        ax.set_title(table.measure, fontfamily=_font_family())
        ax.spines[["top", "right"]].set_visible(False)
        ax.margins(x=0.18)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
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
