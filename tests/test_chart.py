"""A ranking as a bar chart and as a spreadsheet (retrieval/chart.py)."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image

from retrieval.chart import bar_chart, table_xlsx, worth_a_chart
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
