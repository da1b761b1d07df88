"""A ranking as a bar chart and as a spreadsheet (retrieval/chart.py)."""

from __future__ import annotations

import io
import warnings

import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text
from openpyxl import load_workbook
from PIL import Image

from retrieval.chart import bar_chart, chart_figure, font_file, table_xlsx, worth_a_chart
from retrieval.models import Figure, Passage, Report, Row, Table


def table(values: list[tuple[str, float]]) -> Table:
    rows = []
    for i, (place, value) in enumerate(values, 1):
        report = Report(
            i,
            f"{place}2023年法治政府建设情况报告",
            f"{place}人民政府",
            2023,
            ("湖南省", place),
            f"{i}.txt",
            f"h{i}",
        )
        text = f"全年办理行政复议案件{value:g}件。"
        figure = Figure("行政复议案件", value, "件", f"{value:g}件", 10, 10 + len(f"{value:g}件"))
        rows.append(Row(place, report, Passage(i, i, 0, ("一、主要举措",), text), figure))
    return Table("行政复议案件", tuple(rows), True, 2)


def test_a_chart_is_a_png_a_phone_can_show_with_a_bar_per_place() -> None:
    t = table([("蓝山县", 41), ("汝城县", 37), ("桃源县", 12)])
    assert worth_a_chart(t) and not worth_a_chart(table([("蓝山县", 41), ("汝城县", 37)]))
    png = bar_chart(t)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    width, height = image.size
    assert 600 <= width <= 900 and height < width * 1.5  # about a phone's width at 2x
    assert bar_chart(table([(f"第{i}县", i) for i in range(1, 13)])) != png


def test_a_spreadsheet_holds_every_row_in_rank_order() -> None:
    sheet = load_workbook(io.BytesIO(table_xlsx(table([("蓝山县", 41), ("汝城县", 37)])))).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ["排名", "地区", "年份", "行政复议案件"]
    assert [r[:6] for r in rows[1:]] == [
        [1, "蓝山县", 2023, 41, "件", "41件"],
        [2, "汝城县", 2023, 37, "件", "37件"],
    ]
    assert rows[1][8] == "一、主要举措"


CJK_NAMES = ("WenQuanYi", "Noto Sans CJK", "Noto Serif CJK", "Source Han", "Droid Sans Fallback", "AR PL")


@pytest.fixture
def no_cjk_font_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's font cache as on a server without a CJK font, or built before one was
    installed: only the Latin fonts it ships."""
    latin = [f for f in font_manager.fontManager.ttflist if not f.name.startswith(CJK_NAMES)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    font_manager.fontManager._findfont_cached.cache_clear()
    yield
    font_manager.fontManager._findfont_cached.cache_clear()


def _texts(t: Table) -> list[Text]:
    figure = chart_figure(t)
    figure.canvas.draw()  # the tick labels exist once drawn
    return [x for x in figure.findobj(Text) if x.get_visible() and x.get_text().strip()]


@pytest.mark.usefixtures("no_cjk_font_known")
def test_every_label_is_drawn_from_the_cjk_font_file_whatever_the_font_cache_holds() -> None:
    t = table([("秀山土家族苗族自治县", 41), ("龙胜各族自治县", 37), ("桃源县", 12)])
    shown = _texts(t)
    assert {"秀山土家族苗族自治县 2023", "行政复议案件", "41件"} <= {x.get_text() for x in shown}
    assert {x.get_fontproperties().get_file() for x in shown} == {str(font_file())}
    font = FT2Font(str(font_file()))
    missing = {c for x in shown for c in x.get_text() if c.strip() and font.get_char_index(ord(c)) == 0}
    assert not missing  # every character has its glyph in that font: no empty boxes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bar_chart(t)
    assert not [w for w in caught if "missing from font" in str(w.message)]


@pytest.mark.usefixtures("no_cjk_font_known")
def test_without_the_font_file_the_cache_would_draw_boxes() -> None:
    """The fixture does take the CJK fonts away: asked by name, matplotlib falls back and warns
    of missing glyphs (what the charts did before they named the font file)."""
    from matplotlib.figure import Figure

    figure = Figure()
    figure.text(0.1, 0.5, "秀山县", family=["WenQuanYi Zen Hei", "Noto Sans CJK SC", "sans-serif"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure.savefig(io.BytesIO(), format="png")
    assert [w for w in caught if "missing from font" in str(w.message)]
