"""The figure index's extractor: what a passage's figures measure, their values and units."""

from __future__ import annotations

import pytest

from retrieval.figures import cn_value, figures_in, measure_matches
from retrieval.read import read_document


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
        # A figure of a wider thing than asked is no answer: not every 执法人员 holds a 执法证.
        ("持有行政执法证的人员", "执法人员", False),
        ("持有行政执法证人员", "工作人员", False),
        ("持有行政执法证的人员", "持有行政执法证", True),
        ("出庭应诉率", "出庭率", True),
    ],
)
def test_measure_matches_only_the_same_measure(asked: str, measure: str, same: bool) -> None:
    assert measure_matches(asked, measure) is same


# --- issue 18: figures read as a person reads them (sentences written for these tests) ------


def read(text: str) -> list[tuple[str, float, str, int | None, bool, str]]:
    return [(f.measure, f.value, f.unit, f.year, f.part, f.kind) for f in figures_in(text)]


def test_a_table_row_with_year_columns_gives_one_figure_a_year() -> None:
    # The cells hold no unit: the row's label does; 2年 is not read out of "31，2022年".
    row = "行政处罚案件（件）：2021年 412，2022年 530，同比增减 +28.6%"
    assert read(row)[:2] == [
        ("行政处罚案件", 412, "件", 2021, False, ""),
        ("行政处罚案件", 530, "件", 2022, False, ""),
    ]
    assert read(row)[2][1:] == (28.6, "%", 2022, False, "change")


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("全县受理投诉由2020年的88件增加到2021年的120件。", [2020, 2021]),
        ("办结率从2019年的91%提高到2021年的99.5%。", [2019, 2021]),
        ("审核合同45份，较2020年的30份有所增加。", [None, 2020]),
        ("2019年以来，群众满意度分别为90%、93%、96%。", [2019, 2020, 2021]),
        ("召开专题会议4次，印发《2024年普法要点》后组织培训6场。", [None, None]),
    ],
)
def test_a_figure_is_of_the_year_its_sentence_names(text: str, years: list[int | None]) -> None:
    assert [f.year for f in figures_in(text)] == years


@pytest.mark.parametrize(
    "text",
    [
        "连续三年获评先进单位，建成执法队伍已满2年。",
        "审批时限由20个工作日压缩至5个工作日，3个月内完成整改，60日内作出决定。",
        "实行7×24小时服务，全镇年收案数均不足300件，少于5件的乡镇有3个镇。",
        "全县出庭应诉率尚未达到100%。",
        "坚持三类事务清单管理，落实五项措施。",
    ],
)
def test_periods_durations_and_bounds_are_not_figures(text: str) -> None:
    assert [(f.written, f.unit) for f in figures_in(text) if f.unit not in ("个",)] == []


def test_a_sub_list_is_parts_of_its_own_measure_not_the_total() -> None:
    text = "全年办理行政许可事项560件，其中营业执照78件、食品经营许可23件，办结率100%。"
    assert read(text) == [
        ("行政许可事项", 560, "件", None, False, ""),
        ("营业执照", 78, "件", None, True, ""),
        ("食品经营许可", 23, "件", None, True, ""),
        ("办结率", 100, "%", None, False, ""),
    ]
    # …件中: what follows is a part of it.
    assert [f.part for f in figures_in("新收信访事项215件中，涉及土地的有62件。")] == [False, True]


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("全区行政机关负责人出庭应诉率保持100%。", "行政机关负责人出庭应诉率"),
        ("全县实现100%出庭。", "出庭率"),
        ("行政机关负责人出庭应诉率均为100%。", "行政机关负责人出庭应诉率"),
        ("开展38次“送法下乡”活动。", "“送法下乡”活动"),
        ("组织调解员参加业务培训等12场专题培训。", "专题培训"),
        ("对15个镇街开展法治督察。", "镇街开展法治督察"),
        # The words after a figure end before a conjunction (副县长, not 副县长和).
        ("4名副县长和3名局长参加访谈。", "副县长"),
        # Longer than a reader takes in: cut where a word starts (not 公室…).
        ("县人民政府办公室法制科室配备法律顾问专职工作人员7名。", "配备法律顾问专职工作人员"),
    ],
)
def test_measures_read_as_words_not_fragments(text: str, measure: str) -> None:
    assert figures_in(text)[0].measure == measure


@pytest.mark.parametrize(
    ("text", "measures"),
    [
        # What became of cases is the measure, not the clause before it (审结的案件中) …
        ("本年度办结的行政诉讼案件中，胜诉31件，败诉3件。", ["胜诉", "败诉"]),
        # … nor a bracketed note after the total: it says nothing of the part.
        ("共受理行政复议申请88件（含上年度结转），其中撤销（含确认违法）6件。", ["行政复议申请", "撤销"]),
    ],
)
def test_an_outcome_measures_itself_not_the_clause_before(text: str, measures: list[str]) -> None:
    assert [f.measure for f in figures_in(text)] == measures


def test_the_whole_place_and_a_change_are_told_apart() -> None:
    text = "全市收到行政复议申请812件，同比增长12.5%，市政府本级收到97件。"
    kinds = [(f.value, f.kind) for f in figures_in(text)]
    assert kinds == [(812, "all"), (12.5, "change"), (97, "")]


def test_a_pipe_table_measures_each_cell_by_its_header() -> None:
    text = (
        "类别 | 治安 | 交通 | 消防 | 合计(件)\n数量 | 12件 | 30件 | 0 | 42件\n占比 | 28.6% | 71.4% | 0 | 100%"
    )
    got = [(f.measure, f.value, f.unit, f.part) for f in figures_in(text)]
    assert ("治安", 12, "件", True) in got and ("合计", 42, "件", False) in got
    assert ("交通占比", 71.4, "%", False) in got
    assert all(f.value != 0 for f in figures_in(text))  # a bare 0 is an empty cell


@pytest.mark.parametrize(
    ("asked", "measure", "close"),
    [
        ("出庭应诉率", "出庭率", True),
        ("聘请法律顾问", "县政府聘请常年法律顾问", True),
        ("主动公开政府信息", "通过系统主动公开信息", True),
        ("败诉率", "出庭应诉率", False),
        ("行政复议案件", "行政诉讼案件", False),
    ],
)
def test_measure_variants_are_one_measure(asked: str, measure: str, close: bool) -> None:
    assert measure_matches(asked, measure) is close


@pytest.mark.parametrize(
    ("sentence", "parts"),
    [
        # A month's rate after 其中 is a part; the period's rate before it is the whole's.
        ("1-10月平均出庭应诉率为73.55%，其中10月为89%。", {73.55: False, 89.0: True}),
        ("1-10月平均出庭应诉率为73.55%其中10月为89%。", {73.55: False, 89.0: True}),
        # 其中 in an earlier clause: the rate after it is still the whole's.
        ("共提交提案111件，其中集体提案56件，立案率为82%。", {82.0: False}),
    ],
)
def test_a_rate_after_其中_in_its_own_clause_is_a_part(sentence: str, parts: dict[float, bool]) -> None:
    found = {f.value: f.part for f in figures_in(sentence) if f.unit == "%"}
    assert found == parts


# --- table rows as the readers render them (retrieval.decode.table_row_texts) ---------------


@pytest.mark.parametrize(
    ("row", "figures"),
    [
        # a body's row: what it counts is the body's column, its share of the table's whole
        (
            "县公安局（件）：收案数 41，结案数 39",
            [("县公安局收案数", 41, "件", True), ("县公安局结案数", 39, "件", True)],
        ),
        (
            "行政复议案件（件）：收案 26，结案 20",
            [("行政复议案件收案", 26, "件", False), ("行政复议案件结案", 20, "件", False)],
        ),
        # a total's row: the column's total
        (
            "合计（件）：收案数 66，结案数 62",
            [("收案数合计", 66, "件", False), ("结案数合计", 62, "件", False)],
        ),
        # a name that says nothing: the column alone; three counts along a row are parts; 0 is empty
        (
            "数量：治安 12件，交通 30件，消防 0，合计(件) 42",
            [("治安", 12, "件", True), ("交通", 30, "件", True), ("合计", 42, "件", False)],
        ),
        # a ratio row: the column's ratio
        (
            "占新收案件比例：治安 28.6%，交通 71.4%",
            [("治安占新收案件比例", 28.6, "%", False), ("交通占新收案件比例", 71.4, "%", False)],
        ),
        # a year's row: each value of that year, measuring its column
        ("2021年度（件）：收案 26，结案 34", [("收案", 26, "件", False), ("结案", 34, "件", False)]),
        # a cell marked blank is no figure, and the row is still read by its columns
        ("数量：治安 12件，交通 —，消防 3件", [("治安", 12, "件", False), ("消防", 3, "件", False)]),
        # a column that says nothing, or none: the row's name (a total's row too)
        ("“办事满意”合计：512条", [("“办事满意”合计", 512, "条", False)]),
        ("非常满意：件数 498条", [("非常满意", 498, "条", False)]),
        # a column counting a thing by its measure word (件数, 人数) counts in it
        (
            "行政规范性文件：本年制发件数 2，现行有效件数 17",
            [("行政规范性文件本年制发件数", 2, "件", False), ("行政规范性文件现行有效件数", 17, "件", False)],
        ),
        # a row of numbers only: each its header's, in its header's unit; a bare number is none
        ("警告 18，罚款(宗) 27", [("罚款", 27, "宗", False)]),
        ("罚款(宗) 27，罚没金额(万元) 3.5", [("罚款", 27, "宗", False), ("罚没金额", 3.5, "万元", False)]),
    ],
)
def test_a_table_row_measures_each_cell_by_its_header_and_row(
    row: str, figures: list[tuple[str, float, str, bool]]
) -> None:
    got = [(f.measure, f.value, f.unit, f.part) for f in figures_in(row)]
    assert got == figures
    assert all(f.year == (2021 if row.startswith("2021") else None) for f in figures_in(row))
    assert [row[f.start : f.end] for f in figures_in(row)] == [f.written for f in figures_in(row)]


def test_a_table_copied_a_cell_a_line_gives_one_figure_a_year() -> None:
    text = "\n".join(
        ["项目（件）", "2022年", "2023年", "行政复议案件", "26", "34", "行政诉讼案件", "12", "9"]
    )
    rows = [line.text for line in read_document("t.txt", text.encode()).lines if line.table]
    got = [(f.measure, f.value, f.unit, f.year) for row in rows for f in figures_in(row)]
    assert got == [
        ("行政复议案件", 26, "件", 2022),
        ("行政复议案件", 34, "件", 2023),
        ("行政诉讼案件", 12, "件", 2022),
        ("行政诉讼案件", 9, "件", 2023),
    ]


@pytest.mark.parametrize(
    ("text", "measures"),
    [
        # nothing before the counts: each measures the noun after it, not the one before
        ("全年召开4次党组会议和6次专题会议，研究法治工作。", ["党组会议", "专题会议"]),
        ("组织5场法治讲座及9场模拟庭审。", ["法治讲座", "模拟庭审"]),
        # a conjunction before the second count's own words is not one of them
        ("其中撤销8件和维持31件。", ["撤销", "维持"]),
        # words after the conjunction qualify the second count's thing
        ("组织6家律师事务所与县工商联所属12家商会，开展法律服务对接。", ["律师事务所", "县工商联所属商会"]),
        # an outcome before a count whose thing follows it: the thing (和解 is no conjunction)
        ("全年共审结41件报备的规范性文件。", ["报备的规范性文件"]),
        ("受理申请9件，通过调解、和解等方式化解纠纷5件。", ["申请", "和解等方式化解纠纷"]),
        # a total after a list totals the list: its quoted name, or the words its measures share
        (
            "“12345热线”表扬件310条，建议件95条，合计405条。",
            ["“12345热线”表扬件", "建议件", "“12345热线”合计"],
        ),
        ("受理行政复议案件30件、行政诉讼案件12件，合计42件。", ["行政复议案件", "行政诉讼案件", "案件合计"]),
    ],
)
def test_counts_side_by_side_and_totals_of_lists_measure_their_own_thing(
    text: str, measures: list[str]
) -> None:
    assert [f.measure for f in figures_in(text)] == measures


def test_a_part_in_brackets_ends_with_them() -> None:
    text = (
        "完成2023年度全市473名党政主要负责人述法(其中21名党政主要负责人进行现场述法)"
        "和2024年度全市471名党政主要负责人述法工作。"
    )
    got = [(f.measure, f.value, f.part) for f in figures_in(text)]
    assert got[1] == ("党政主要负责人进行现场述法", 21, True)
    assert (
        got[2][1:] == (471, False) and ")" not in got[2][0] and got[2][0].endswith("党政主要负责人述法工作")
    )
