"""The figure index's extractor: what a passage's figures measure, their values and units."""

from __future__ import annotations

import pytest

from retrieval.figures import cn_value, figures_in, measure_matches


def found(text: str) -> list[tuple[str, float, str]]:
    return [(f.measure, f.value, f.unit) for f in figures_in(text)]


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("全年收到行政复议申请34件。", [("行政复议申请", 34, "件")]),
        ("一审行政诉讼案件败诉率下降到4.1%。", [("行政诉讼败诉率", 4.1, "%")]),
        ("群众诉求办结率98.92%。", [("群众诉求办结率", 98.92, "%")]),
        ("支付法律顾问费用15.19万元。", [("法律顾问费用", 15.19, "万元")]),
        ("举办法治讲座11期。", [("法治讲座", 11, "期")]),
        ("法治建设满意度在全市排名第10位。", [("法治建设满意度在全市", 10, "位")]),
        ("综合考核排名第二。", [("综合考核", 2, "位")]),
        ("全年组织会前学法三次。", [("会前学法", 3, "次")]),
        ("学法考试合格率达百分之九十五。", [("学法考试合格率", 95, "%")]),
        ("培训执法人员1170余人次。", [("执法人员", 1170, "人次")]),
        ("办理法律服务事项15万余件。", [("法律服务事项", 15, "万件")]),
        ("受眾人數206.8萬人次。", [("受众人数", 206.8, "万人次")]),  # traditional characters
    ],
)
def test_a_figure_in_every_form(text: str, figures: list[tuple[str, float, str]]) -> None:
    assert found(text) == figures


def test_several_figures_in_one_sentence_each_measure_their_own() -> None:
    text = "全年受理行政复议案件26件，审结26件，其中维持18件、确认违法2件，行政机关负责人出庭应诉率达到100%。"
    assert found(text) == [
        ("行政复议案件", 26, "件"),
        ("审结", 26, "件"),
        ("维持", 18, "件"),
        ("确认违法", 2, "件"),
        ("行政机关负责人出庭应诉率", 100, "%"),
    ]


def test_a_table_row_measures_what_its_first_cell_names() -> None:
    row = "行政复议案件：2021年 21件，2022年 34件，同比增减 +61.9%"
    assert found(row) == [("行政复议案件", 21, "件"), ("行政复议案件", 34, "件"), ("行政复议案件", 61.9, "%")]


@pytest.mark.parametrize(
    "text",
    [
        "2023年3月8日召开县政府常务会议。",  # a date
        "深入开展“八五”普法，落实“十四五”规划，学习党的二十大和十九届六中全会精神。",  # names
        "依据《行政复议法》第二十三条，转发潍政字〔2024〕6号文件。",  # an article, a document number
        "坚持“最多跑一次”改革，推进二期工程建设，市委八届二次全会部署。",  # idioms and ordinals
        "围绕“四个100%”目标，拨打12345热线。",
    ],
)
def test_what_is_not_a_figure(text: str) -> None:
    assert found(text) == []


def test_the_figure_as_written_is_kept_with_its_place() -> None:
    text = "全年组织会前学法三次，考试合格率达百分之九十五。"
    written = [(f.written, text[f.start : f.end]) for f in figures_in(text)]
    assert written == [("三次", "三次"), ("百分之九十五", "百分之九十五")]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("三", 3), ("十一", 11), ("九十五", 95), ("一百二十", 120), ("两千三百", 2300), ("三万", 30000)],
)
def test_cn_value(numeral: str, value: int) -> None:
    assert cn_value(numeral) == value


@pytest.mark.parametrize(
    ("asked", "measure", "same"),
    [
        ("行政复议案件", "行政复议申请", True),
        ("败诉率", "行政诉讼败诉率", True),
        ("败诉率", "行政机关负责人出庭应诉率", False),
        ("出庭应诉率", "败诉率", False),
        ("行政复议案件", "行政复议纠错率", False),  # a count is not a rate
    ],
)
def test_measure_matches_only_the_same_measure(asked: str, measure: str, same: bool) -> None:
    assert measure_matches(asked, measure) is same
