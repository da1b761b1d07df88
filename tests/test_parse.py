"""retrieval.parse: section paths from the standard heading styles and from the levels a file
gives, front and end metadata (title, issuer, addressee, signature, dates), years, places and
content hash — on small made-up reports, on the bundled reports, and on every metadata field of
the development corpus."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from functools import cache

import pytest

from retrieval.evaluate import check_metadata
from retrieval.models import Document, Line, ParsedPassage, ParsedReport, Passage, Report
from retrieval.parse import FRONT_MATTER, cn_number, date_of, parse_document, parse_lines, years_in
from retrieval.read import read_document, read_path
from tests.conftest import BUNDLED_REPORTS, TESTS_DATA


def body_of(r: ParsedReport) -> list[ParsedPassage]:
    """A report's passages but the one of what its front says (FRONT_MATTER)."""
    return [p for p in r.passages if p.section != (FRONT_MATTER,)]


def front_of(r: ParsedReport) -> str:
    """The text of the passage of what a report's front says, or ""."""
    return next((p.text for p in r.passages if p.section == (FRONT_MATTER,)), "")


CORPUS_DEV = TESTS_DATA / "corpus-dev"


def parse(lines: list[str], source: str = "x.txt", content: bytes | None = None) -> ParsedReport:
    data = content if content is not None else "\n".join(lines).encode("utf-8")
    return parse_lines(lines, source, data)


def parse_doc(*lines: Line | str, published: str = "") -> ParsedReport:
    """A Document as the reader gives it: plain strings are lines with no level."""
    doc = Document(tuple(x if isinstance(x, Line) else Line(x) for x in lines), published=published)
    return parse_document(doc, "x.docx", b"")


def sections(report: ParsedReport) -> dict[str, tuple[str, ...]]:
    """Passage text → its section path."""
    return {p.text: p.section for p in report.passages}


def bundled(name: str) -> tuple[list[str], ParsedReport]:
    path = BUNDLED_REPORTS / name
    lines = read_path(path)
    return lines, parse_lines(lines, path.name, path.read_bytes())


# --- numerals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一", 1), ("九", 9), ("十", 10), ("十一", 11), ("十二", 12), ("二十", 20), ("二十三", 23), ("3", 3)],
)
def test_cn_number(numeral: str, value: int) -> None:
    assert cn_number(numeral) == value


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2023年度法治政府建设情况报告", [2023]),
        ("二〇二三年度法治政府建设情况报告", [2023]),
        ("二零二二年，县人民政府…", [2022]),
        ("2022年工作总结及2023年工作计划", [2022, 2023]),
        # figures are not years
        ("办理案件12023件", []),
        ("共一二三四年", []),
    ],
)
def test_years_in_arabic_and_chinese_numerals(text: str, years: list[int]) -> None:
    assert years_in(text) == years


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("2024年1月26日", "2024-01-26"),
        ("2024 年 1 月 26 日", "2024-01-26"),
        ("二〇二四年一月十二日", "2024-01-12"),
        ("二〇二三年二月二十七日", "2023-02-27"),
        ("二〇二三年十二月三十一日", "2023-12-31"),
        ("2024年13月1日", ""),
        ("2024年1月26日召开会议", ""),
    ],
)
def test_date_of_a_date_line(line: str, iso: str) -> None:
    assert date_of(line) == iso


# --- heading styles ---------------------------------------------------------------------

_REPORT = "2024年法治政府建设工作报告"


@pytest.mark.parametrize(
    ("headings", "expected"),
    [
        (["一、主要举措"], ("一、主要举措",)),
        (["一．主要举措"], ("一．主要举措",)),
        (["一、主要举措", "（一）加强学习"], ("一、主要举措", "（一）加强学习")),
        (["一、主要举措", "(一)半角括号"], ("一、主要举措", "(一)半角括号")),
        (["一、主要举措", "（一）加强学习", "1.数字加点"], ("一、主要举措", "（一）加强学习", "1.数字加点")),
        (
            ["一、主要举措", "（一）加强学习", "1、数字加顿号"],
            ("一、主要举措", "（一）加强学习", "1、数字加顿号"),
        ),
        (["一、主要举措", "（一）加强学习", "1．全角点"], ("一、主要举措", "（一）加强学习", "1．全角点")),
        (
            ["一、主要举措", "（一）加强学习", "1.数字加点", "（1）括号数字"],
            ("一、主要举措", "（一）加强学习", "1.数字加点", "（1）括号数字"),
        ),
        (["一、主要举措", "（十二）第十二项"], ("一、主要举措", "（十二）第十二项")),
    ],
)
def test_standalone_heading_styles_build_the_section_path(
    headings: list[str], expected: tuple[str, ...]
) -> None:
    r = parse([_REPORT, *headings, "这一段是正文内容。"])
    assert [(p.section, p.text) for p in r.passages] == [(expected, "这一段是正文内容。")]


def test_yi_shi_opening_a_paragraph_is_a_subsection_and_keeps_its_text() -> None:
    r = parse(
        [
            _REPORT,
            "一、下一步打算",
            "一是深入学习习近平法治思想。采取理论学习中心组会议等形式深入学习。",
            "二是持续提高依法行政能力。强化法律法规专业知识的教育培训。",
        ]
    )
    assert [(p.section, p.text) for p in r.passages] == [
        (
            ("一、下一步打算", "一是深入学习习近平法治思想"),
            "一是深入学习习近平法治思想。采取理论学习中心组会议等形式深入学习。",
        ),
        # 二是 replaces 一是 at the same level: not nested under it
        (
            ("一、下一步打算", "二是持续提高依法行政能力"),
            "二是持续提高依法行政能力。强化法律法规专业知识的教育培训。",
        ),
    ]


def test_heading_alone_on_its_line_is_a_section_not_a_passage() -> None:
    lines = [
        _REPORT,
        "一、主要举措",
        "（一）扛牢政治责任，夯实法治建设基础",
        "我镇始终从高从严要求。",
        "二、存在问题",
        "问题一。",
    ]
    r = parse(lines)
    texts = [p.text for p in r.passages]
    assert texts == ["我镇始终从高从严要求。", "问题一。"]
    assert r.passages[0].section == ("一、主要举措", "（一）扛牢政治责任，夯实法治建设基础")
    assert r.passages[1].section == ("二、存在问题",)


def test_heading_with_trailing_full_stop_alone_on_its_line_is_a_section() -> None:
    r = parse([_REPORT, "一、主要举措", "（一）统筹推进法治建设。", "正文内容在这里，说明具体做法。"])
    assert [(p.section, p.text) for p in r.passages] == [
        (("一、主要举措", "（一）统筹推进法治建设"), "正文内容在这里，说明具体做法。")
    ]


def test_numbered_line_stating_figures_is_a_list_item_not_a_heading() -> None:
    items = ["（1）全年办理行政复议案件5件。", "（2）纠错率达到12%。"]
    r = parse([_REPORT, "一、主要举措", "（一）强化行政复议", *items])
    assert [(p.section, p.text) for p in r.passages] == [
        (("一、主要举措", "（一）强化行政复议"), items[0]),
        (("一、主要举措", "（一）强化行政复议"), items[1]),
    ]


def test_heading_opening_a_paragraph_sets_the_section_and_the_passage_keeps_its_full_text() -> None:
    para = "（二）持续深化政务公开。一是严格落实主动公开。政府网站公开政府信息18778条。二是做好政策解读。"
    r = parse([_REPORT, "一、2024年工作开展情况", para, "后续段落没有编号。"])
    assert [(p.section, p.text) for p in r.passages] == [
        (("一、2024年工作开展情况", "（二）持续深化政务公开"), para),
        (("一、2024年工作开展情况", "（二）持续深化政务公开"), "后续段落没有编号。"),
    ]


def test_numbered_heading_opening_a_paragraph_with_comma_title() -> None:
    para = "1.强化政治引领，提升干部队伍法治素养。一是坚定政治方向。二是深化理论武装。"
    r = parse([_REPORT, "一、主要举措和成效", para])
    assert r.passages[0].section == ("一、主要举措和成效", "1.强化政治引领，提升干部队伍法治素养")
    assert r.passages[0].text == para


def test_paragraph_listing_yi_shi_er_shi_is_not_split_into_a_subsection() -> None:
    listing = "一是法治建设工作责任压力传导不够。二是党员干部的法律素养需提升。三是普法形式单一。"
    r = parse([_REPORT, "二、存在的不足和原因", listing, "此外还有其他情况需要说明。"])
    assert [(p.section, p.text) for p in r.passages] == [
        (("二、存在的不足和原因",), listing),
        (("二、存在的不足和原因",), "此外还有其他情况需要说明。"),
    ]


def test_short_list_with_semicolons_is_not_a_heading() -> None:
    listing = "一是加强学习；二是完善制度。"
    r = parse([_REPORT, "三、计划", listing])
    assert [(p.section, p.text) for p in r.passages] == [(("三、计划",), listing)]


def test_sibling_headings_replace_each_other_and_a_top_heading_resets_the_path() -> None:
    r = parse(
        [
            _REPORT,
            "一、做法",
            "（一）甲",
            "内容甲。",
            "（二）乙",
            "1.子项",
            "内容乙。",
            "二、问题",
            "内容丙。",
        ]
    )
    assert [p.section for p in r.passages] == [
        ("一、做法", "（一）甲"),
        ("一、做法", "（二）乙", "1.子项"),
        ("二、问题",),
    ]


def test_anhua_case_first_top_heading_written_as_1_dun() -> None:
    """安化: `1、 主要举措和成效` then `二、…`: the `1、` heading is the missing 一、."""
    r = parse(
        [
            "政协安化县委员会办公室2024年法治政府建设年度工作报告",
            "1、 主要举措和成效",
            "1.强化政治引领，提升干部队伍法治素养。一是坚定政治方向。二是深化理论武装。",
            "二、存在的不足和原因",
            "存在一些薄弱环节。",
        ]
    )
    assert [p.section for p in r.passages] == [
        ("1、 主要举措和成效", "1.强化政治引领，提升干部队伍法治素养"),
        ("二、存在的不足和原因",),
    ]


def test_1_dun_under_a_yi_heading_stays_a_third_level_heading() -> None:
    r = parse([_REPORT, "一、做法", "1、子项", "内容。", "二、问题", "内容二。"])
    assert [p.section for p in r.passages] == [("一、做法", "1、子项"), ("二、问题",)]


def test_outline_lists_every_heading_path_in_order() -> None:
    r = parse([_REPORT, "一、做法", "（一）甲。内容甲。", "（二）乙", "内容乙。", "二、问题", "内容丙。"])
    assert r.outline == (("一、做法",), ("一、做法", "（一）甲"), ("一、做法", "（二）乙"), ("二、问题",))


# --- structure: parts, items, levels the file gives ------------------------------------------


def test_di_x_bufen_is_a_level_above_yi() -> None:
    r = parse(
        [
            _REPORT,
            "第一部分　主要举措和成效",
            "一、深入学习贯彻习近平法治思想",
            "（一）深化改革",
            "内容甲。",
            "第二部分　第一责任人职责情况",
            "内容乙。",
            "第三部分　存在的问题和2025年工作安排",
            "一、存在的问题",
            "内容丙。",
        ]
    )
    assert [(p.section, p.text) for p in r.passages] == [
        (("第一部分　主要举措和成效", "一、深入学习贯彻习近平法治思想", "（一）深化改革"), "内容甲。"),
        (("第二部分　第一责任人职责情况",), "内容乙。"),
        (("第三部分　存在的问题和2025年工作安排", "一、存在的问题"), "内容丙。"),
    ]


def test_one_sentence_numbered_items_are_passages_under_their_section() -> None:
    """柘原县's layout: 1. 2. 3. items of one sentence each under （一）; none is a heading."""
    items = [
        "1.出台《某县重大行政决策程序实施办法》，明确决策事项范围和法定程序。",
        "2.公布县政府部门权责清单，共梳理权责事项4126项。",
        "3.健全规范性文件备案审查制度。",
    ]
    r = parse([_REPORT, "一、主要工作举措", "（一）健全依法行政制度体系", *items, "（二）推进执法", "内容。"])
    assert [(p.section, p.text) for p in r.passages] == [
        *((("一、主要工作举措", "（一）健全依法行政制度体系"), item) for item in items),
        (("一、主要工作举措", "（二）推进执法"), "内容。"),
    ]
    assert ("一、主要工作举措", "（一）健全依法行政制度体系", items[0].rstrip("。")) not in r.outline


@pytest.mark.parametrize(
    "items",
    [
        # the last heading-like item of a report, before its signature
        ["（一）加强执法队伍建设，提升办案能力。", "（二）深化物业纠纷“庭所联调”机制，推动纠纷就地化解。"],
        # items ending in ；, whatever follows them
        ["1.加强学习；", "2.完善制度；"],
        # 一是 items one a line
        ["一是加强干部学法用法。", "二是做实一村一法律顾问。"],
    ],
)
def test_item_lists_in_a_plans_section_are_passages(items: list[str]) -> None:
    r = parse(
        [_REPORT, "一、做法", "内容。", "三、2025年工作计划", *items, "某某县人民政府", "2025年2月20日"]
    )
    assert [(p.section, p.text) for p in r.passages][1:] == [(("三、2025年工作计划",), x) for x in items]


def test_standalone_numbered_heading_with_subitems_under_it_stays_a_heading() -> None:
    """屏山县's `2．抓实学法制度。` on its own line, then （1）（2）: a heading, not an item."""
    r = parse(
        [
            _REPORT,
            "一、主要工作及成效",
            "（一）履行第一责任人职责",
            "1．强化组织推动。办公室主要负责同志亲自部署。",
            "2．抓实学法制度。",
            "（1）领导干部带头学。全年组织会前学法11次。",
            "（2）机关干部全员学。学法考试合格率100%。",
            "二、存在的问题",
            "问题。",
        ]
    )
    sections = {p.text.split("。")[0]: p.section for p in r.passages}
    assert sections["（1）领导干部带头学"] == (
        "一、主要工作及成效",
        "（一）履行第一责任人职责",
        "2．抓实学法制度",
        "（1）领导干部带头学",
    )
    assert sections["（2）机关干部全员学"][2] == "2．抓实学法制度"
    assert "2．抓实学法制度。" not in [p.text for p in r.passages]


def test_half_width_numbering_is_kept_as_written() -> None:
    r = parse(
        [_REPORT, "一、主要工作开展情况", "(二)严格耕地保护执法", "1、开展卫片执法检查，全年下发图斑214宗。"]
    )
    assert r.passages[0].section == ("一、主要工作开展情况", "(二)严格耕地保护执法")


def test_levels_the_file_gives_make_title_and_sections_without_numbers() -> None:
    """甘肃省司法厅's .docx: Title style, then Heading 1/Heading 2 with no numbers in them."""
    r = parse_doc(
        Line("某省司法厅2024年度法治政府建设情况报告", level=0),
        "2024年，某省司法厅坚持以习近平法治思想为指导，各项工作取得积极成效。",
        Line("主要工作成效", level=1),
        Line("深化行政复议体制改革", level=2),
        "全省新收行政复议案件7390件。",
        "（一）推进复议规范化。全年制定规范3件。",
        Line("2025年工作打算", level=1),
        "一是做好实施方案总结评估。二是加强行政复议规范化建设。",
    )
    assert r.title == "某省司法厅2024年度法治政府建设情况报告"
    assert r.issuer == "某省司法厅"
    assert [(p.section, p.text[:8]) for p in r.passages] == [
        ((), "2024年，某省"),
        (("主要工作成效", "深化行政复议体制改革"), "全省新收行政复议"),
        # a numbered line the file does not style nests below the styled headings
        (("主要工作成效", "深化行政复议体制改革", "（一）推进复议规范化"), "（一）推进复议规"),
        (("2025年工作打算",), "一是做好实施方案"),
    ]
    assert r.plan_year == 2025


def test_a_styled_heading_ending_in_a_full_stop_is_a_heading_and_numbering_follows_the_styles() -> None:
    r = parse_doc(
        Line("2024年法治政府建设工作报告", level=0),
        Line("一、主要举措。", level=1),
        Line("（一）加强学习。", level=2),
        "内容甲。",
        # the same numbering unstyled takes the styled level: a sibling, not a child
        "（二）完善制度",
        "内容乙。",
    )
    assert [p.section for p in r.passages] == [
        ("一、主要举措", "（一）加强学习"),
        ("一、主要举措", "（二）完善制度"),
    ]


def test_a_title_over_two_styled_lines_is_one_title() -> None:
    r = parse_doc(
        Line("某某市人民政府关于2023年度", level=0),
        Line("法治政府建设情况的报告", level=0),
        "2023年，某某市人民政府扎实推进法治政府建设。",
    )
    assert r.title == "某某市人民政府关于2023年度法治政府建设情况的报告"
    assert r.issuer == "某某市人民政府"


def test_a_paragraph_styled_as_a_heading_keeps_its_text() -> None:
    para = "深化行政复议体制改革。全省新收行政复议案件7390件，同比增长31.5%，通过调解结案1200件，群众满意。"
    long = (
        "全省各级法律援助机构办理法律援助案件3.1万件，为农民工追回欠薪1.9亿元，"
        "推动热线双向转接，全年接听咨询26.7万人次。"
    )
    r = parse_doc(
        Line("2024年度法治政府建设情况报告", level=0),
        Line("主要工作成效", level=1),
        Line(para, level=2),
        "内容。",
        Line(long, level=2),
    )
    assert [(p.section, p.text) for p in r.passages] == [
        (("主要工作成效", "深化行政复议体制改革"), para),
        (("主要工作成效", "深化行政复议体制改革"), "内容。"),
        (("主要工作成效", "深化行政复议体制改革"), long),
    ]


def test_the_issuers_line_above_a_title_styled_title_is_part_of_it() -> None:
    r = parse_doc("某某县人民政府", Line("关于2023年度法治政府建设情况的报告", level=0), "一、做法", "内容。")
    assert (r.title, r.issuer) == ("某某县人民政府关于2023年度法治政府建设情况的报告", "某某县人民政府")


def test_table_rows_are_always_passages() -> None:
    rows = [
        "指标\t2021年\t2022年",
        "行政许可办件（件）\t18630\t21544",
        "一、合计\t1\t2",
        "2023年1月18日\t签约\t1",
    ]
    r = parse_doc(
        "某县2022年法治政府建设工作总结",
        "一、工作总结",
        "（三）规范行政执法行为。主要数据见表1。",
        *(Line(row, table=True) for row in rows),
        "（四）依法化解行政争议。全年受理行政复议案件26件。",
    )
    table = [p for p in r.passages if p.text in rows]
    assert [p.text for p in table] == rows
    assert {p.section for p in table} == {("一、工作总结", "（三）规范行政执法行为")}


# --- header metadata ----------------------------------------------------------------------


def test_issuer_title_and_addressee_lines_are_metadata_not_passages() -> None:
    lines = [
        "秀山土家族苗族自治县人民政府办公室",
        "关于2024年法治政府建设情况的报告",
        "县委依法治县办：",
        "2024年以来，县政府办公室在县委、县政府的领导下，深入学习贯彻落实习近平法治思想，全面推进依法行政工作，现将情况报告如下：",
        "一、2024年工作开展情况",
        "工作内容。",
    ]
    r = parse(lines)
    assert r.issuer == "秀山土家族苗族自治县人民政府办公室"
    # the issuer's line and the line under it are one title, wrapped
    assert r.title == "秀山土家族苗族自治县人民政府办公室关于2024年法治政府建设情况的报告"
    assert [p.text for p in body_of(r)] == [lines[3], "工作内容。"]
    assert r.passages[0].section == ()
    assert not any("县委依法治县办" in p.text for p in body_of(r))
    # The addressee is what the front says of the report: a passage of its own, as written.
    assert front_of(r) == "县委依法治县办："


def test_issuer_written_before_the_title_on_one_line_is_the_issuer_and_stays_in_the_title() -> None:
    r = parse(["鲁山县瓦屋镇人民政府关于2023年法治政府建设情况的报告", "一、主要举措", "内容。"])
    assert r.issuer == "鲁山县瓦屋镇人民政府"
    assert r.title == "鲁山县瓦屋镇人民政府关于2023年法治政府建设情况的报告"


def test_issuer_named_only_in_the_first_paragraph() -> None:
    r = parse(
        [
            "2024年法治政府建设工作报告",
            "2024年，潢川县人民政府办公室坚持以习近平新时代中国特色社会主义思想为指导，扎实推进法治政府建设。",
            "一、主要举措",
            "内容。",
        ]
    )
    assert r.issuer == "潢川县人民政府办公室"
    assert r.title == "2024年法治政府建设工作报告"
    assert r.places == ("河南省", "信阳市", "潢川县")


def test_signature_and_date_at_the_end_are_not_passages() -> None:
    r = parse(
        [
            "蓝山县人民政府办公室",
            "2022年度法治政府建设工作报告",
            "一、法治政府建设情况",
            "做了很多工作。",
            "蓝山县人民政府办公室",
            "2022年12月30日",
        ]
    )
    assert [p.text for p in r.passages] == ["做了很多工作。"]


def test_short_opening_paragraph_is_a_passage_not_part_of_the_title() -> None:
    """An opening paragraph under 60 characters that ends 报告如下： is body text."""
    intro = "2024年，我办扎实推进法治政府建设，现将有关情况报告如下："
    r = parse(["蓝山县人民政府办公室", "2024年法治政府建设工作报告", intro, "一、主要举措", "内容。"])
    assert r.title == "蓝山县人民政府办公室2024年法治政府建设工作报告"
    assert [p.text for p in r.passages] == [intro, "内容。"]


def test_title_falls_back_to_the_file_name() -> None:
    r = parse(["一、主要举措", "内容。"], source="12_某县法治工作.txt")
    assert r.title == "某县法治工作"


# --- the front: title, issuer line, red head, addressee, web page furniture ----------------


@pytest.mark.parametrize(
    ("front", "title", "issuer"),
    [
        # 公文 printed: red head, document number, issuer, title, addressee
        (
            [
                "某某市人民政府文件",
                "某政字〔2024〕6号",
                "某某市人民政府",
                "关于2023年度法治政府建设情况的报告",
                "省政府：",
            ],
            "某某市人民政府关于2023年度法治政府建设情况的报告",
            "某某市人民政府",
        ),
        # a title wrapped mid-phrase
        (
            ["临城县人民政府关于2023年度法治政府", "建设情况的报告", "邢台市人民政府："],
            "临城县人民政府关于2023年度法治政府建设情况的报告",
            "临城县人民政府",
        ),
        # three lines
        (
            ["某某县人民政府", "关于2023年度法治政府建设", "情况的报告"],
            "某某县人民政府关于2023年度法治政府建设情况的报告",
            "某某县人民政府",
        ),
        # the issuer's line under the title: not part of it
        (["2023年法治政府建设工作报告", "某某县司法局"], "2023年法治政府建设工作报告", "某某县司法局"),
        # a web page: menus, breadcrumbs and the line about the article
        (
            [
                "设为首页 | 加入收藏 | 无障碍浏览",
                "首　页",
                "政务公开",
                "当前位置：首页 > 政务公开 > 法治政府建设",
                "某某县公安局2022年度法治政府建设情况报告",
                "发布时间：2023-02-14 10:32    来源：县公安局    浏览次数：386    【字体：大 中 小】",
            ],
            "某某县公安局2022年度法治政府建设情况报告",
            "某某县公安局",
        ),
    ],
)
def test_front_matter_gives_title_and_issuer_and_is_never_a_passage(
    front: list[str], title: str, issuer: str
) -> None:
    opening = "2023年，我们坚持以习近平法治思想为指导，扎实推进法治政府建设。"
    r = parse([*front, opening, "一、主要举措", "内容。"])
    assert (r.title, r.issuer) == (title, issuer)
    assert [p.text for p in body_of(r)] == [opening, "内容。"]


def test_a_web_pages_article_line_gives_published_and_origin() -> None:
    r = parse(
        [
            "某某县公安局2022年度法治政府建设情况报告",
            "发布时间：2023-02-14 10:32 来源：县公安局浏览次数：386 字号：大 中 小",
            "一、主要做法",
            "内容。",
        ]
    )
    assert (r.published, r.origin) == ("2023-02-14", "县公安局")


def test_a_sentence_naming_a_source_is_not_page_furniture() -> None:
    text = "资金来源：县财政预算安排，时间：全年。"
    r = parse([_REPORT, "一、做法", text])
    assert [p.text for p in r.passages] == [text]


# --- the end: signature, date, what a web page puts after them --------------------------------


@pytest.mark.parametrize(
    ("trailer", "signed_on"),
    [
        (["某某县人民政府办公室", "2024年1月26日"], "2024-01-26"),
        (["某某县人民政府办公室", "二〇二四年一月十二日"], "2024-01-12"),
        # right-pushed with full-width spaces
        (["　　　　　　某某县人民政府办公室", "　　　　　　2024年1月26日"], "2024-01-26"),
        # office and date on one line
        (["某某县人民政府办公室　　2024年1月26日"], "2024-01-26"),
        # a joint signature, then web page links and footer
        (
            [
                "中共某某县委",
                "某某县人民政府",
                "2024年2月2日",
                "（此件公开发布）",
                "【打印本页】【关闭窗口】",
                "相关链接",
                "某某县司法局2023年度法治政府建设情况报告2024-02-13",
                "上一篇：某某县交通运输局2023年度法治政府建设情况报告",
                "主办单位：某某县人民政府办公室    承办单位：某某县融媒体中心",
                "赣ICP备05004262号-1    赣公网安备 36082502000125号",
            ],
            "2024-02-02",
        ),
        # a joint signature on one line
        (["中共某某县委员会　　某某县人民政府办公室", "2024年1月26日"], "2024-01-26"),
        # no date
        (["某某县人民政府办公室"], ""),
    ],
)
def test_signature_and_date_are_metadata_never_passages(trailer: list[str], signed_on: str) -> None:
    r = parse(["某某县人民政府办公室2023年度法治政府建设工作报告", "一、做法", "内容。", *trailer])
    assert [p.text for p in r.passages] == ["内容。"]
    assert r.signed_on == signed_on
    assert r.issuer == "某某县人民政府办公室"


@pytest.mark.parametrize(
    "tail",
    [
        # a web page with no signature date: its links and footer
        ["相关链接", "某某县司法局2023年度法治政府建设情况报告2024-02-13", "主办单位：某某县人民政府办公室"],
        ["【打印本页】【关闭窗口】", "上一篇：某某县交通运输局2023年度法治政府建设情况报告"],
        # a 公文's 版记 after the signature
        [
            "某某县人民政府",
            "2024年1月30日",
            "抄送：县委办公室，县人大常委会办公室，县政协办公室，县法院，县检察院，各乡镇人民政府。",
            "某某县人民政府办公室　　　　　　2024年1月30日印发",
        ],
    ],
)
def test_what_follows_a_report_is_not_a_passage(tail: list[str]) -> None:
    r = parse(["某某县人民政府2023年法治政府建设情况报告", "一、做法", "内容。", *tail])
    assert [p.text for p in r.passages] == ["内容。"]


def test_an_attachment_after_the_signature_is_still_report_text() -> None:
    row = Line("行政复议案件（件）\t31\t26", table=True)
    r = parse_doc(_REPORT, "一、做法", "内容。", "某某县人民政府", "2024年1月18日", "附件：主要数据", row)
    assert [p.text for p in r.passages] == ["内容。", row.text]


# --- furniture a reader may leave in ---------------------------------------------------------


def test_page_numbers_running_headers_and_the_title_repeated_are_not_passages() -> None:
    header = "某某市人民政府2023年度法治政府建设情况报告"
    r = parse(
        [
            "某某市人民政府关于2023年度法治政府建设情况的报告",
            "一、做法",
            "内容甲。",
            "— 2 —",
            header,
            "内容乙。",
            "-3-",
            "第 3 页 共 4 页",
            header,
            "内容丙。",
        ]
    )
    assert [p.text for p in r.passages] == ["内容甲。", "内容乙。", "内容丙。"]


def test_a_menu_item_shaped_like_an_office_is_not_part_of_the_title() -> None:
    r = parse(
        [
            "首页",
            "新闻中心",
            "2023年度法治政府建设工作报告",
            "2023年，县司法局扎实推进法治政府建设。",
            "一、做法",
            "内容。",
        ]
    )
    assert (r.title, r.issuer) == ("2023年度法治政府建设工作报告", "")


def test_a_menu_item_that_looks_like_a_title_is_not_the_title() -> None:
    r = parse(
        [
            "政府工作报告",
            "法治政府建设",
            "某某县司法局2023年度法治政府建设工作报告",
            "2023年，某某县司法局扎实推进法治政府建设。",
            "一、做法",
            "内容。",
        ]
    )
    assert (r.title, r.issuer) == ("某某县司法局2023年度法治政府建设工作报告", "某某县司法局")


@pytest.mark.parametrize(
    ("front", "title"),
    [
        (["某某县法治政府建设工作报告", "（2023年度）"], "某某县法治政府建设工作报告（2023年度）"),
        (
            ["某某县2023年法治政府建设工作总结、2024年工作计划"],
            "某某县2023年法治政府建设工作总结、2024年工作计划",
        ),
    ],
)
def test_title_forms(front: list[str], title: str) -> None:
    r = parse([*front, "一、做法", "内容。"])
    assert (r.title, r.year) == (title, 2023)


def test_an_addressee_of_several_offices_is_metadata() -> None:
    r = parse(
        [
            "2023年法治政府建设工作报告",
            "县委、县政府：",
            "2023年，我局扎实工作，成效明显。",
            "一、做法",
            "内容。",
        ]
    )
    assert [p.text for p in body_of(r)] == ["2023年，我局扎实工作，成效明显。", "内容。"]


@pytest.mark.parametrize(
    ("title", "signature", "issuer", "places"),
    [
        ("市司法局2023年度法治政府建设工作报告", "潍坊市人民政府", "潍坊市司法局", ("山东省", "潍坊市")),
        ("省司法厅2023年度法治政府建设工作报告", "甘肃省人民政府", "甘肃省司法厅", ("甘肃省",)),
        (
            "城关镇人民政府2023年度法治政府建设工作报告",
            "蓝山县人民政府",
            "蓝山县城关镇人民政府",
            ("湖南省", "永州市", "蓝山县", "城关镇"),
        ),
    ],
)
def test_a_name_without_its_place_gets_the_place_the_signature_names(
    title: str, signature: str, issuer: str, places: tuple[str, ...]
) -> None:
    r = parse([title, "一、做法", "内容。", signature, "2024年1月20日"])
    assert (r.issuer, r.places) == (issuer, places)


# --- issuer ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "issuer"),
    [
        # named only in the signature; the title begins with the county, not an office
        (
            [
                "临城县2022年法治政府建设工作总结及2023年工作计划",
                "2022年，临城县在县委的领导下扎实工作。",
                "一、总结",
                "内容。",
                "临城县人民政府",
                "2023年1月18日",
            ],
            "临城县人民政府",
        ),
        # a township: its county from the opening sentence
        (
            [
                "柳林乡人民政府关于2023年法治政府建设工作情况的报告",
                "2023年，柳林乡在竹山县委、县政府的坚强领导下推进法治建设。",
                "一、做法",
                "内容。",
                "柳林乡人民政府",
                "2024年1月15日",
            ],
            "竹山县柳林乡人民政府",
        ),
        # a township: its full name in the signature
        (
            [
                "柳林乡人民政府关于2023年法治政府建设工作情况的报告",
                "一、做法",
                "内容。",
                "竹山县柳林乡人民政府",
                "2024年1月15日",
            ],
            "竹山县柳林乡人民政府",
        ),
        # a county department written 县…局: the signature names its county
        (
            [
                "县综合行政执法局2023年度法治政府建设工作报告",
                "2023年，我局坚持依法行政。",
                "一、做法",
                "内容。",
                "松阳县综合行政执法局",
                "二〇二四年一月十二日",
            ],
            "松阳县综合行政执法局",
        ),
        # … or the opening does
        (
            [
                "县司法局2023年度法治政府建设工作报告",
                "2023年，在屏山县委、县政府的领导下，县司法局扎实工作。",
                "一、做法",
                "内容。",
            ],
            "屏山县司法局",
        ),
        # the red head is never the issuer, even with nothing else to go on
        (["某某县人民政府文件", "某政发〔2024〕3号", "2023年法治政府建设工作报告", "一、做法", "内容。"], ""),
    ],
)
def test_issuer_is_the_offices_full_name(lines: list[str], issuer: str) -> None:
    assert parse(lines).issuer == issuer


# --- years --------------------------------------------------------------------------------


def test_year_from_the_title_beats_years_named_in_the_body() -> None:
    r = parse(
        [
            "2022年度法治政府建设工作报告",
            "一、做法",
            "2023年将继续推进。2023年计划完成。2023年目标。",
        ]
    )
    assert r.year == 2022


def test_year_from_the_opening_paragraph_when_the_title_has_none() -> None:
    r = parse(
        [
            "法治政府建设工作报告",
            "2021年，我县扎实推进法治政府建设工作，取得了一定成效。",
            "一、做法",
            "2022年计划。",
        ]
    )
    assert r.year == 2021


def test_no_year_anywhere_is_none() -> None:
    assert parse(["法治政府建设工作报告", "一、做法", "内容。"]).year is None


@pytest.mark.parametrize(
    ("lines", "year", "inferred", "plan_year"),
    [
        (["二〇二二年度法治政府建设情况报告", "一、做法", "内容。"], 2022, False, 2023),
        # the plans' year in the title is not the year covered
        (["某县2022年法治政府建设工作总结及2023年工作计划", "一、总结", "内容。"], 2022, False, 2023),
        (["某县法治政府建设工作总结和2024年工作计划", "一、总结", "内容。"], 2023, False, 2024),
        # a plans heading confirms the plans' year
        (
            ["2023年法治政府建设工作报告", "一、做法", "内容。", "三、2024年工作思路", "计划。"],
            2023,
            False,
            2024,
        ),
        (
            ["二〇二二年度工作报告", "一、做法", "内容。", "三、二〇二三年工作打算", "计划。"],
            2022,
            False,
            2023,
        ),
        # a heading with the year and 重点 inside is no plans heading
        (["2023年法治政府建设工作报告", "一、2023年重点工作开展情况", "内容。"], 2023, False, 2024),
        # no year in the text: signed early the next year …
        (["法治政府建设工作报告", "一、做法", "内容。", "某县人民政府", "2024年1月26日"], 2023, True, 2024),
        (
            ["法治政府建设工作报告", "一、做法", "内容。", "某县人民政府", "二〇二四年三月一日"],
            2023,
            True,
            2024,
        ),
        # … or in December of the same year
        (["法治政府建设工作报告", "一、做法", "内容。", "某县人民政府", "2023年12月28日"], 2023, True, 2024),
        # … or a plans heading names the next
        (["法治政府建设工作报告", "一、做法", "内容。", "三、2025年工作计划", "计划。"], 2024, True, 2025),
        (["法治政府建设工作报告", "一、做法", "内容。"], None, False, None),
    ],
)
def test_year_covered_inferred_and_plan_year(
    lines: list[str], year: int | None, inferred: bool, plan_year: int | None
) -> None:
    r = parse(lines)
    assert (r.year, r.year_inferred, r.plan_year) == (year, inferred, plan_year)


@pytest.mark.parametrize(("published", "year"), [("2023-02-14", 2022), ("2023-11-30", 2023)])
def test_year_inferred_from_the_publication_date(published: str, year: int) -> None:
    r = parse_doc("法治政府建设工作报告", "一、做法", "内容。", published=published)
    assert (r.year, r.year_inferred, r.published) == (year, True, published)


# --- places ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "places"),
    [
        # 街道 in their official forms
        (
            ["鹿城区人民政府五马街道办事处2023年法治政府建设年度报告"],
            ("浙江省", "温州市", "鹿城区", "五马街道"),
        ),
        (
            ["武汉市江汉区人民政府唐家墩街道办事处2024年法治政府建设年度报告"],
            ("湖北省", "武汉市", "江汉区", "唐家墩街道"),
        ),
        (["湄潭县永兴镇人民政府关于2023年法治政府建设情况的报告"], ("贵州省", "遵义市", "湄潭县", "永兴镇")),
        # a township whose county is named only in the opening
        (
            [
                "柳林乡人民政府关于2023年法治政府建设工作情况的报告",
                "2023年，柳林乡在竹山县委、县政府的领导下扎实工作。",
            ],
            ("湖北省", "十堰市", "竹山县", "柳林乡"),
        ),
        # a title naming only its town, the county in the opening
        (
            ["青石镇2023年法治政府建设工作报告", "2023年，在鲁山县委、县政府的领导下，我镇扎实工作。"],
            ("河南省", "平顶山市", "鲁山县", "青石镇"),
        ),
        (["青石镇2023年法治政府建设工作报告"], ("青石镇",)),
        # a county no gazetteer has, from how its offices are named
        (["柘原县人民政府2023年法治政府建设情况报告"], ("柘原县",)),
        (["柘原县司法局2023年法治政府建设情况报告"], ("柘原县",)),
        (["柘原县青石镇人民政府2023年法治政府建设情况报告"], ("柘原县", "青石镇")),
        # a 县…局 department, its county from the signature
        (
            [
                "县综合行政执法局2023年度法治政府建设工作报告",
                "一、做法",
                "内容。",
                "松阳县综合行政执法局",
                "2024年1月12日",
            ],
            ("浙江省", "丽水市", "松阳县"),
        ),
        # one-character counties keep their full name, and 沙洋县 is not 洋县
        (["洋县自然资源局2021年度法治政府建设工作报告"], ("陕西省", "汉中市", "洋县")),
        (["沙洋县自然资源局2021年度法治政府建设工作报告"], ("湖北省", "荆门市", "沙洋县")),
        (
            ["2021年度法治政府建设工作报告", "2021年，洋县自然资源局在县委的领导下扎实工作。"],
            ("陕西省", "汉中市", "洋县"),
        ),
        # … and 县委和县政府 names no 和县
        (["2021年度法治政府建设工作报告", "2021年，在县委和县政府的领导下扎实工作。"], ()),
        # a provincial department gets its province; a city its chain
        (["甘肃省司法厅2024年度法治政府建设情况报告"], ("甘肃省",)),
        (["潍坊市人民政府", "关于2023年度法治政府建设情况的报告"], ("山东省", "潍坊市")),
        # a county name several provinces share: the opening's city decides
        (
            ["朝阳区人民政府2023年法治政府建设情况报告", "2023年，在长春市委的领导下扎实工作。"],
            ("吉林省", "长春市", "朝阳区"),
        ),
    ],
)
def test_places_for_every_kind_of_issuer(lines: list[str], places: tuple[str, ...]) -> None:
    body = lines if len(lines) > 2 else [*lines, "一、做法", "内容。"]
    assert parse(body).places == places


@pytest.mark.parametrize(
    ("lines", "issuer", "places"),
    [
        # a town named alone, unique in the gazetteer's towns: its whole chain
        (
            ["贤庠镇人民政府2022年法治政府建设工作报告", "2022年，我镇坚持依法行政，扎实工作。"],
            "贤庠镇人民政府",
            ("浙江省", "宁波市", "象山县", "贤庠镇"),
        ),
        (
            ["丹东街道办事处2023年法治政府建设工作报告"],
            "丹东街道办事处",
            ("浙江省", "宁波市", "象山县", "丹东街道"),
        ),
        # a name several counties share, alone: the town and nothing guessed
        (["中村乡人民政府2023年法治政府建设工作报告"], "中村乡人民政府", ("中村乡",)),
        (["新市街道办事处2023年法治政府建设工作报告"], "新市街道办事处", ("新市街道",)),
        # … its county named in the opening settles it
        (
            [
                "中村乡人民政府2023年法治政府建设工作报告",
                "2023年，中村乡在开化县委、县政府的领导下扎实推进法治建设。",
            ],
            "开化县中村乡人民政府",
            ("浙江省", "衢州市", "开化县", "中村乡"),
        ),
        (
            [
                "新市街道办事处2023年法治政府建设工作报告",
                "2023年，新市街道在长寿区委、区政府的领导下扎实推进法治建设。",
            ],
            "长寿区新市街道办事处",
            ("重庆市", "长寿区", "新市街道"),
        ),
        # … and so does its city, where the city has one of that name
        (
            ["中村乡人民政府2023年法治政府建设工作报告", "2023年，中村乡在吉安市委的领导下扎实工作。"],
            "吉安市中村乡人民政府",
            ("江西省", "吉安市", "永丰县", "中村乡"),
        ),
    ],
)
def test_a_town_named_alone_gets_its_chain_from_the_gazetteers_towns(
    lines: list[str], issuer: str, places: tuple[str, ...]
) -> None:
    r = parse([*lines, "一、做法", "内容。"])
    assert (r.issuer, r.places) == (issuer, places)


# --- hash ---------------------------------------------------------------------------------


def test_sha256_is_of_the_content_bytes() -> None:
    lines = [_REPORT, "一、做法", "内容。"]
    a = parse(lines, content=b"first version")
    b = parse(lines, content=b"second version")
    assert a.sha256 == hashlib.sha256(b"first version").hexdigest()
    assert a.sha256 != b.sha256


# --- the bundled reports ------------------------------------------------------------------

_BUNDLED = {
    "安化县政协_2024.txt": (
        "政协安化县委员会办公室",
        2024,
        ("湖南省", "益阳市", "安化县"),
        11,
        "政协安化县委员会办公室2024年法治政府建设年度工作报告",
    ),
    "潢川县政府办_2024.txt": (
        "潢川县人民政府办公室",
        2024,
        ("河南省", "信阳市", "潢川县"),
        17,
        "2024年法治政府建设工作报告",
    ),
    "秀山县政府办_2024.txt": (
        "秀山土家族苗族自治县人民政府办公室",
        2024,
        ("重庆市", "秀山土家族苗族自治县"),
        7,
        "秀山土家族苗族自治县人民政府办公室关于2024年法治政府建设情况的报告",
    ),
    "蓝山县政府办_2022.txt": (
        "蓝山县人民政府办公室",
        2022,
        ("湖南省", "永州市", "蓝山县"),
        9,
        "蓝山县人民政府办公室2022年度法治政府建设工作报告",
    ),
    "鲁山县瓦屋镇_2023.txt": (
        "鲁山县瓦屋镇人民政府",
        2023,
        ("河南省", "平顶山市", "鲁山县", "瓦屋镇"),
        10,
        "鲁山县瓦屋镇人民政府关于2023年法治政府建设情况的报告",
    ),
}


def test_all_bundled_reports_are_covered() -> None:
    assert sorted(p.name for p in BUNDLED_REPORTS.glob("*.txt")) == sorted(_BUNDLED)


@pytest.mark.parametrize("name", sorted(_BUNDLED))
def test_bundled_report_metadata(name: str) -> None:
    issuer, year, places, passage_count, title = _BUNDLED[name]
    _, r = bundled(name)
    assert r.issuer == issuer
    assert r.year == year
    assert r.places == places
    assert r.source == name
    assert r.sha256 == hashlib.sha256((BUNDLED_REPORTS / name).read_bytes()).hexdigest()
    # counted by hand: body lines minus the headings standing alone on their line
    assert len(body_of(r)) == passage_count
    # the title as written on its line(s), the issuer's name included where it is written
    assert r.title == title
    assert (r.year_inferred, r.plan_year) == (False, year + 1)


@pytest.mark.parametrize("name", sorted(_BUNDLED))
def test_bundled_passages_are_whole_body_lines_and_never_bare_headings(name: str) -> None:
    lines, r = bundled(name)
    headings = {path[-1] for path in r.outline}
    for p in body_of(r):
        assert p.text in lines
        assert p.text not in headings
        assert p.text != r.title and p.text != r.issuer


def test_bundled_xiushan_title_addressee_and_inline_headings() -> None:
    _, r = bundled("秀山县政府办_2024.txt")
    assert r.passages[0].section == ()
    assert r.passages[0].text.startswith("2024年以来，县政府办公室")
    assert not any("县委依法治县办" in p.text for p in body_of(r))
    open_ = [p for p in r.passages if p.text.startswith("（二）持续深化政务公开。")]
    assert len(open_) == 1
    assert open_[0].section == ("一、2024年工作开展情况", "（二）持续深化政务公开")
    assert "政府网站公开政府信息18778条" in open_[0].text


def test_bundled_wawu_standalone_subheadings() -> None:
    _, r = bundled("鲁山县瓦屋镇_2023.txt")
    first = next(p for p in r.passages if p.text.startswith("我镇始终从高从严要求"))
    assert first.section == (
        "一、2023年度推进法治政府建设的主要举措和成效",
        "（一）扛牢政治责任，夯实法治建设基础",
    )
    problems = next(p for p in r.passages if p.text.startswith("一是法治建设工作责任压力传导不够"))
    assert problems.section == ("二、2023年度推进法治政府建设存在的不足和原因",)


def test_bundled_anhua_1_dun_is_top_level() -> None:
    _, r = bundled("安化县政协_2024.txt")
    tops = [path[0] for path in r.outline]
    assert list(dict.fromkeys(tops)) == [
        "1、 主要举措和成效",
        "二、存在的不足和原因",
        "三、2024年度党政主要负责人履行法治建设第一责任人职责，加强法治政府建设的有关情况",
        "四、下年度推进法治政府建设的主要安排",
    ]
    problems = next(p for p in r.passages if p.text.startswith("2024年，县政协在法治建设工作方面"))
    assert problems.section == ("二、存在的不足和原因",)


def test_bundled_huangchuan_issuer_from_first_paragraph_and_yi_shi_plans() -> None:
    _, r = bundled("潢川县政府办_2024.txt")
    plans = [p for p in r.passages if p.section[:1] == ("四、下一年度推进法治建设的打算",)]
    assert [p.section[1:] for p in plans] == [
        (),
        ("一是深入学习习近平法治思想",),
        ("二是持续提高依法行政能力",),
        ("三是切实完善行政规范性文件管理流程",),
        ("四是扎实推进政务公开工作",),
        ("五是大力开展常态化法治宣传教育工作",),
    ]
    problems = next(p for p in r.passages if p.section == ("三、存在的问题和原因",))
    assert "一是习近平法治思想的宣传贯彻力度亟待强化" in problems.text


def test_bundled_lanshan_metadata_lines() -> None:
    _, r = bundled("蓝山县政府办_2022.txt")
    assert r.passages[0].text.startswith("今年以来，蓝山县人民政府办公室")


# --- the development corpus: every metadata field of its meta.json -----------------------------

_META = json.loads((CORPUS_DEV / "meta.json").read_text("utf-8"))


@cache
def corpus_dev(name: str) -> tuple[Report, tuple[Passage, ...], ParsedReport]:
    path = CORPUS_DEV / "reports" / name
    data = path.read_bytes()
    r = parse_document(read_document(name, data), name, data)
    report = Report(1, r.title, r.issuer, r.year, r.places, r.source, r.sha256)
    return report, tuple(Passage(i, 1, i, p.section, p.text) for i, p in enumerate(r.passages)), r


def test_corpus_dev_meta_covers_every_report() -> None:
    assert sorted(_META) == sorted(p.name for p in (CORPUS_DEV / "reports").iterdir())


@pytest.mark.parametrize("name", sorted(_META))
def test_corpus_dev_issuer_year_title_and_places(name: str) -> None:
    report, passages, _ = corpus_dev(name)
    want = {k: v for k, v in _META[name].items() if k != "sentences"}
    result = check_metadata({name: want}, [report], lambda _: list(passages))
    assert result.misses == []
    assert result.right == result.total == 4


@pytest.mark.parametrize("name", sorted(_META))
def test_corpus_dev_sentences_sit_under_their_section_paths(name: str) -> None:
    report, passages, _ = corpus_dev(name)
    result = check_metadata({name: _META[name]}, [report], lambda _: list(passages))
    assert result.misses == []
    assert result.right == result.total


def test_corpus_dev_every_metadata_field_holds() -> None:
    """The figure issue 7 asks for, read through read_document + parse_document: 84 of 84."""
    names = sorted(_META)
    reports = [replace(corpus_dev(name)[0], id=i) for i, name in enumerate(names)]
    result = check_metadata(_META, reports, lambda i: list(corpus_dev(names[i])[1]))
    assert (result.right, result.total, result.misses) == (84, 84, [])


@pytest.mark.parametrize("name", sorted(_META))
def test_corpus_dev_signature_dates_and_plan_years(name: str) -> None:
    _, passages, r = corpus_dev(name)
    assert not r.year_inferred and r.year is not None
    assert r.plan_year == r.year + 1
    assert r.signed_on[:4] == str(r.year + 1)  # every one was signed early the next year
    texts = [p.text for p in passages]
    assert r.title not in texts and r.issuer not in texts
    assert not any(date_of(t) for t in texts)


@pytest.mark.parametrize(
    ("name", "published", "origin"),
    [
        ("02-yongfeng-gonganju-2022.html", "2023-02-14", "县公安局"),
        ("04-jianghan-tangjiadun-jiedao-2024.html", "2025-03-03", "唐家墩街道"),
    ],
)
def test_corpus_dev_web_pages_furniture_is_never_a_passage(name: str, published: str, origin: str) -> None:
    _, passages, r = corpus_dev(name)
    assert (r.published, r.origin) == (published, origin)
    furniture = (
        "相关链接",
        "上一篇",
        "下一篇",
        "ICP备",
        "公网安备",
        "主办单位",
        "当前位置",
        "发布时间",
        "打印",
    )
    body = [p for p in passages if p.section != (FRONT_MATTER,)]
    assert [p.text for p in body if any(f in p.text for f in furniture)] == []
    assert body[0].text.startswith(str(r.year))
    # The page's 发布时间 is kept, as a passage of its own, not its menus or links.
    assert front_of(r).startswith(f"发布时间：{published}")
    assert not any(f in front_of(r) for f in furniture if f != "发布时间")


# --- reports as they are copied from government websites (issue 13) ---------------------------

# Saved from a district's site: the site's name and a stale "today", accessibility links, a
# breadcrumb, the article's 来源/发布时间/点击数 line, no title at all, the issuer only implied.
CLUTTERED_PAGE = [
    "天津市静海区人民政府 2019年12月3日星期二",
    "今天是:2019年10月31日 星期三 农历十月初七",
    "无障碍 简体| 繁体",
    "您当前的位置：首页 > 政务公开 > 工作报告",
    "来源:区司法局 发布时间:2024-03-28 09:18 点击数:",
    "2023年,区政府坚持以习近平法治思想为指导,全面推进依法行政。",
    "一、主要举措和成效",
    "全年办理行政复议案件46件,纠错率9%。",
    "二、存在的问题",
    "基层执法力量仍显不足。",
    "【打印本页】 【关闭窗口】",
]


def test_a_cluttered_untitled_page_gets_its_issuer_from_the_file_name() -> None:
    r = parse(CLUTTERED_PAGE, source="静海区_2023.txt")
    assert (r.issuer, r.year, r.places) == ("静海区人民政府", 2023, ("天津市", "静海区"))
    assert r.issuer_inferred and not r.year_inferred
    assert r.origin == "区司法局" and r.published == "2024-03-28"
    texts = [p.text for p in body_of(r)]
    assert texts == [
        "2023年,区政府坚持以习近平法治思想为指导,全面推进依法行政。",
        "全年办理行政复议案件46件,纠错率9%。",
        "基层执法力量仍显不足。",
    ]
    for clutter in ("星期", "无障碍", "当前的位置", "点击数", "关闭窗口"):
        assert clutter not in r.title


def test_the_publishing_office_is_no_issuer_when_the_report_implies_another() -> None:
    # 来源: 司法局 publishes the district government's report; the file name says whose it is.
    # With no name for it anywhere, the district's government is not taken to be the publisher.
    r = parse(CLUTTERED_PAGE, source="报告.txt")
    assert "司法局" not in r.issuer and r.origin == "区司法局"
    # A department's report published by itself: 来源 is all that names it, and it is used.
    own = parse(
        [
            "来源:永丰县公安局 发布时间:2023-02-01",
            "2022年，我局坚持依法行政。",
            "一、主要做法",
            "全年查处案件12件。",
        ],
        source="报告.txt",
    )
    assert (own.issuer, own.places) == ("永丰县公安局", ("江西省", "吉安市", "永丰县"))
    assert own.issuer_inferred


def test_an_addressee_line_places_a_report_that_names_no_place() -> None:
    lines = [
        "常州市人民政府：",
        "2023年，区政府坚持依法行政，全年审查规范性文件12件。",
        "一、主要工作",
        "全年开展执法检查20次。",
    ]
    r = parse(lines, source="法治政府建设报告.txt")
    assert r.places == ("江苏省", "常州市") and r.places_inferred
    assert r.year == 2023
    assert r.passages[0].text.startswith("2023年")


def test_we_city_with_a_document_number_and_the_provinces_address() -> None:
    lines = [
        "保政呈〔2025〕5号",
        "河北省人民政府:",
        "2024年以来,我市坚持以习近平新时代中国特色社会主义思想为指导,全面推进依法行政。",
        "一、优化职能体系",
        "完成企业行政处罚信用修复2200余条。",
    ]
    r = parse(lines, source="保定市_2024.txt")
    assert (r.issuer, r.year, r.places) == ("保定市人民政府", 2024, ("河北省", "保定市"))
    assert all("保政呈" not in p.text and "河北省人民政府" not in p.text for p in body_of(r))


def test_a_department_named_only_by_the_file_and_self_reference() -> None:
    lines = [
        "一年来，我局认真贯彻落实法治政府建设各项部署。",
        "一、主要做法",
        "全年办理行政复议案件31件。",
    ]
    r = parse(lines, source="武汉市司法局_2023.txt")
    assert (r.issuer, r.year, r.places) == ("武汉市司法局", 2023, ("湖北省", "武汉市"))
    assert r.year_inferred  # from the file name only


def test_a_site_name_above_an_untitled_township_report_is_not_its_issuer() -> None:
    lines = [
        "咸安区人民政府",
        "热门搜索:",
        "2022年,官埠桥镇在区委、区政府的正确领导下,贯彻落实党的二十大精神,推进依法行政。",
        "一、主要举措",
        "全镇调解矛盾纠纷85起。",
    ]
    r = parse(lines, source="官埠桥镇报告.txt")
    assert r.issuer == "咸安区官埠桥镇人民政府"
    assert r.places[-2:] == ("咸安区", "官埠桥镇")


def test_a_whole_report_on_one_line_is_split_into_sections_and_paragraphs() -> None:
    line = (
        "2025年,某镇坚持以习近平法治思想为指导,持续深化法治建设。"
        "现将本年度法治建设工作情况报告如下:"
        " 一、法治建设主要措施和成效 (一)强化思想引领,筑牢法治建设根基"
        " 坚持将学习习近平法治思想作为首要政治任务,全年开展专题学法8次。"
        " (二)创新治理模式,提升依法治理效能 一是持续推进法治观察工作。"
        "全年完成法治观察建议12篇,其中4篇为立法建议。"
        " 二、存在的不足 基层法治力量仍然薄弱,专业人才较少,"
        "法律顾问作用发挥不够充分,需要进一步加强。"
    )
    r = parse([line], source="闵行浦江镇_2025.txt")
    assert (r.issuer, r.year) == ("闵行区浦江镇人民政府", 2025)
    by_text = {p.text: p.section for p in r.passages}
    figures = next(t for t in by_text if "专题学法8次" in t)
    assert by_text[figures] == ("一、法治建设主要措施和成效", "(一)强化思想引领,筑牢法治建设根基")
    advice = next(t for t in by_text if "法治观察建议12篇" in t)
    assert "(二)创新治理模式,提升依法治理效能" in by_text[advice]
    weak = next(t for t in by_text if "基层法治力量" in t)
    assert by_text[weak] == ("二、存在的不足",)


def test_a_plans_span_in_the_opening_is_not_the_year() -> None:
    lines = [
        "根据《全面深化法治领域改革纲要(2023—2027年)》,以及市、区具体部署,2023年,清波街道全面深入开展法治政府建设。",
        "一、主要举措",
        "全年组织党工委专题学习4次。",
    ]
    r = parse(lines, source="清波街道_2023.txt")
    assert r.year == 2023 and not r.year_inferred


def test_traditional_characters_give_the_same_metadata() -> None:
    lines = [
        "福建省人民政府關於2023年度法治政府建設情況的報告",
        "2023年，省政府堅持以習近平法治思想為指導，全面推進依法行政。",
        "一、主要舉措",
        "全年辦理行政復議案件1200件。",
    ]
    r = parse(lines, source="福建省_2023.txt")
    assert (r.year, r.places) == (2023, ("福建省",))
    assert r.issuer.startswith("福建省")


@pytest.mark.parametrize(
    ("source", "opening", "issuer", "places"),
    [
        # a unique 街道 gets its district, city and province, and its issuer the district's name
        (
            "清波街道_2023.txt",
            "2023年,街道党工委高度重视法治建设。",
            "上城区清波街道办事处",
            ("浙江省", "杭州市", "上城区", "清波街道"),
        ),
        # a county the table lacks written before a town it has
        (
            "临平塘栖镇_2024.txt",
            "2024年,我镇坚持依法行政。",
            "临平区塘栖镇人民政府",
            ("浙江省", "杭州市", "临平区", "塘栖镇"),
        ),
        # a town name two counties share, nothing else said: the town alone, never a guess
        (
            "增福镇_2022.txt",
            "全镇法治政府建设工作坚持依法行政。我镇把法治建设纳入议事日程。",
            "增福镇人民政府",
            ("增福镇",),
        ),
    ],
)
def test_a_town_named_only_by_its_file(
    source: str, opening: str, issuer: str, places: tuple[str, ...]
) -> None:
    r = parse([opening, "一、主要举措", "全年调解矛盾纠纷85起。"], source=source)
    assert (r.issuer, r.places) == (issuer, places)
    assert r.issuer_inferred


# --- the long tail (issue 20) -------------------------------------------------------------------


def test_the_issuer_its_first_sentence_names_beats_the_region_it_mentions() -> None:
    # No title: the opening names 桂林市人民政府, and later 自治区人民政府 (a region's word)
    lines = [
        "2016年,桂林市人民政府认真贯彻落实中共中央、国务院《法治政府建设实施纲要》和自治区党委、"
        "自治区人民政府印发的实施方案,扎实开展法治政府建设工作。现将我市2016年度法治政府建设情况报告如下:",
        "一、2016年工作完成情况",
        "市本级审批事项从法定平均办理时间20.86天提速至6.44天。",
    ]
    r = parse(lines, source="桂林市2016年度法治政府建设情况报告.txt")
    assert (r.issuer, r.places, r.year) == ("桂林市人民政府", ("广西壮族自治区", "桂林市"), 2016)


@pytest.mark.parametrize(
    ("name", "issuer", "places"),
    [
        ("昌吉州_2023.txt", "昌吉州人民政府", ("新疆维吾尔自治区", "昌吉回族自治州")),
        (
            "金平县司法局_2023.txt",
            "金平县司法局",
            ("云南省", "红河哈尼族彝族自治州", "金平苗族瑶族傣族自治县"),
        ),
        ("guilin-2023.html", "桂林市人民政府", ("广西壮族自治区", "桂林市")),
        ("lingao-traditional-2023.html", "临高县人民政府", ("海南省", "临高县")),
    ],
)
def test_long_tail_reports_get_their_issuer_and_places(
    name: str, issuer: str, places: tuple[str, ...]
) -> None:
    path = TESTS_DATA / "longtail" / name
    data = path.read_bytes()
    r = parse_document(read_document(name, data), name, data)
    assert (r.issuer, r.places) == (issuer, places)


def test_a_front_is_kept_as_a_passage_of_its_own_as_written() -> None:
    name = "清河县_2024.txt"
    data = (TESTS_DATA / "longtail" / name).read_bytes()
    r = parse_document(read_document(name, data), name, data)
    assert front_of(r).split("\n") == [
        "清政发〔2024〕3号",
        "——在县第十八届人大常委会第十六次会议上",
        "县人大常委会：",
        "落款日期：2024-02-20",
    ]
    # the body is not repeated in it, nor is the red head
    assert all(p.text != "清河县人民政府文件" for p in r.passages)
    assert body_of(r)[0].text.startswith("2023年，清河县人民政府")


def test_a_pages_fields_about_the_document_are_its_front_not_chrome() -> None:
    lines = [
        "您当前的位置:首页 > 政府信息公开 > 法定主动公开内容",
        "索引号: 152900000000031/2023-01296 发布机构: 内蒙古阿拉善高新技术产业开发区管理委员会",
        "发文字号: 成文时间: 2023-02-27",
        "关于2022年法治政府建设情况的报告",
        "根据考核工作实施方案要求,现将高新区2022年法治政府建设工作开展情况报告如下。",
        "一、工作开展情况",
        "与2家律所签订长期法律顾问合同。",
    ]
    r = parse(lines, source="关于2022年法治政府建设情况的报告.txt")
    assert r.issuer == "内蒙古阿拉善高新技术产业开发区管理委员会"
    assert r.places == ("内蒙古自治区", "阿拉善盟")
    front = front_of(r)
    assert "索引号: 152900000000031/2023-01296" in front and "成文时间: 2023-02-27" in front
    assert "当前的位置" not in front and "首页" not in front


@pytest.mark.parametrize(
    ("name", "front"),
    [
        # a 政府信息公开 page's table writes its fields in brackets, empty ones left out
        (
            "彭水县_2022.txt",
            [
                "[ 索引号 ] 11500243009215030B/2023-00021",
                "[ 发布机构 ] 彭水县司法局",
                "[ 成文日期 ] 2023-01-16",
                "[ 发布日期 ] 2023-01-20",
                "落款日期：2023-01-16",
            ],
        ),
        # the addressee alone on a line, no colon, below the page's buttons
        ("若尔盖县_2021.txt", ["发布时间:2022-03-21", "县人大常委会", "落款日期：2022-03-21"]),
    ],
)
def test_a_fronts_fields_and_addressee_as_pages_write_them(name: str, front: list[str]) -> None:
    data = (TESTS_DATA / "longtail" / name).read_bytes()
    r = parse_document(read_document(name, data), name, data)
    assert front_of(r).split("\n") == front
    assert not any(p.text in ("字体:", "分享到:", "[ 主题分类 ] 司法") for p in body_of(r))


def test_an_opening_citing_a_documents_number_is_body_not_this_reports_number() -> None:
    lines = [
        "县委全面依法治县委员会:",
        "2023年,柳林乡认真贯彻落实《2023年法治政府建设工作要点》(竹政办函〔2023〕7号)要求,现将工作情况报告如下:",
        "一、主要工作",
        "全乡调解矛盾纠纷41件。",
    ]
    r = parse(lines, source="柳林乡_2023.txt")
    assert body_of(r)[0].text.startswith("2023年,柳林乡认真贯彻落实")
    assert "〔2023〕7号" not in front_of(r) and "县委全面依法治县委员会:" in front_of(r)


def test_pinyin_readings_are_dropped_from_a_traditional_page() -> None:
    name = "lingao-traditional-2023.html"
    data = (TESTS_DATA / "longtail" / name).read_bytes()
    r = parse_document(read_document(name, data), name, data)
    texts = [p.text for p in r.passages]
    assert texts[0] == "2023年，臨高縣人民政府堅持加強黨的領導，推進依法行政，現將有關情況報告如下。"
    assert not any("(" in t and "ǎ" in t for t in texts)
    assert any("縣政府常務會議專題研究法治政府建設工作6次" in t for t in texts)


def test_an_office_no_title_names_takes_the_city_its_body_names_most() -> None:
    lines = [
        "2023年,市市场监管局在市委市政府的坚强领导下,深入学习贯彻习近平法治思想,取得了新成效。",
        "--成功创建国家食品安全示范城市。",
        "--“绍兴创新监管服务模式”获评最佳实践案例。",
        "一、主要做法",
        "全局执法人员持证比例98%以上,绍兴电梯安全管理规定于2024年1月1日正式施行。",
    ]
    r = parse(lines, source="sxscjgj_2023_fzzfjs.txt")
    assert (r.issuer, r.places) == ("绍兴市市场监督管理局", ("浙江省", "绍兴市"))
    assert r.issuer_inferred


def test_a_city_named_once_is_no_evidence() -> None:
    lines = [
        "2023年,市市场监管局深入学习贯彻习近平法治思想,取得了新成效。",
        "一、主要做法",
        "学习借鉴绍兴经验,全局执法人员持证比例98%以上。",
    ]
    assert parse(lines, source="scjgj_2023.txt").issuer == ""


@pytest.mark.parametrize(
    ("lines", "issuer", "places"),
    [
        (  # the city is named in the body, not in the zone's name
            [
                "2024年，云岭新区坚持依法行政，认真落实市委、市政府决策部署。",
                "一、主要工作",
                "推动修订《昆明云岭新区管理办法》，服务昆明高质量发展。",
            ],
            "昆明云岭新区管理委员会",
            ("云南省", "昆明市"),
        ),
        (  # a name that only begins like a county (滨海县) is no part of it
            [
                "2024年，滨海湾新区坚持依法行政，落实省委部署。",
                "一、主要工作",
                "开展法治宣传8次。",
            ],
            "滨海湾新区管理委员会",
            ("滨海湾新区",),
        ),
        (  # 经济开发区 in the title is a kind; the opening names which one
            [
                "经济开发区2024年度法治政府建设情况报告",
                "2024年宁河经济开发区在区委、区政府的正确领导下，扎实推进法治政府建设。",
                "一、主要举措",
                "园区共组织法治讲座7次。",
            ],
            "宁河经济开发区管理委员会",
            ("天津市", "宁河区"),
        ),
    ],
)
def test_a_zone_is_placed_where_its_text_puts_it(
    lines: list[str], issuer: str, places: tuple[str, ...]
) -> None:
    r = parse(lines, source="新区报告.txt")
    assert (r.issuer, r.places) == (issuer, places)


@pytest.mark.parametrize(
    ("lines", "issuer", "places"),
    [
        (  # 小陶镇 begins like 小镇, but the table has it in 永安市
            [
                "永安市小陶镇人民政府2024年法治政府建设情况报告",
                "2024年，我镇坚持依法行政。",
                "一、主要工作",
                "开展普法5次。",
            ],
            "永安市小陶镇人民政府",
            ("福建省", "三明市", "永安市", "小陶镇"),
        ),
        (  # 法治政府 in the opening is the topic: the district's government is meant
            [
                "2024年，尖草坪区法治政府建设工作在省委、市委、区委的坚强领导下扎实推进。",
                "一、主要工作",
                "开展普法5次。",
            ],
            "尖草坪区人民政府",
            ("山西省", "太原市", "尖草坪区"),
        ),
    ],
)
def test_an_issuer_read_past_look_alike_words(lines: list[str], issuer: str, places: tuple[str, ...]) -> None:
    r = parse(lines, source="报告.txt")
    assert (r.issuer, r.places) == (issuer, places)


@pytest.mark.parametrize(
    ("named", "issuer", "places"),
    [
        ("编写《法治内蒙古建设发展报告》。", "内蒙古自治区人民政府", ("内蒙古自治区",)),
        ("与广西、宁夏交流执法经验。", "", ()),  # two regions named: which is not said
    ],
)
def test_a_region_calling_itself_only_zizhiqu_takes_the_one_region_it_names(
    named: str, issuer: str, places: tuple[str, ...]
) -> None:
    lines = ["2022年，自治区人民政府坚持依法行政，推动法治政府建设取得新进展。", "一、主要工作", named]
    r = parse(lines, source="fzzf_2022.txt")
    assert (r.issuer, r.places) == (issuer, places)


def test_a_towns_namesakes_are_told_apart_by_the_places_its_body_names() -> None:
    # six 新市街道 in the table; the body's 广州市 leaves one (白云区's)
    lines = [
        "2023年，在区委、区政府的正确领导下，新市街道办事处坚持依法行政。",
        "一、主要工作",
        "认真落实《广州市法治政府建设实施纲要》，开展普法宣传12场。",
    ]
    r = parse(lines, source="新市街2023.txt")
    assert (r.issuer, r.places) == ("白云区新市街道办事处", ("广东省", "广州市", "白云区", "新市街道"))


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        # A list's numbers glued to the figure after them: set off, never read into it.
        (
            [
                "12023年,县政府收到行政复议申请88件。",
                "2215个乡镇共办理调解案件120件。",
                "3104个村居配备法律顾问。",
            ],
            [
                "1 2023年,县政府收到行政复议申请88件。",
                "2 215个乡镇共办理调解案件120件。",
                "3 104个村居配备法律顾问。",
            ],
        ),
        # Two in a row is no list; nor lines whose first digits do not count 1, 2, 3.
        (["12个乡镇开展普法。", "23个村居建成法治广场。"], ["12个乡镇开展普法。", "23个村居建成法治广场。"]),
        (
            ["2021年,收到申请30件。", "2022年,收到申请41件。", "2023年,收到申请52件。"],
            ["2021年,收到申请30件。", "2022年,收到申请41件。", "2023年,收到申请52件。"],
        ),
    ],
)
def test_list_numbers_glued_to_a_figure_are_set_off(items: list[str], expected: list[str]) -> None:
    lines = [
        "县人民政府关于2023年度法治政府建设情况的报告",
        "一、主要工作",
        *items,
        "二、存在的问题",
        "督察力度有待加大。",
    ]
    texts = [p.text for p in parse(lines).passages]
    assert [t for t in texts if t[:1].isdigit()] == expected


def test_the_file_names_year_beats_an_earlier_year_the_opening_only_mentions() -> None:
    # The opening does not begin with its year; the years it names are the comparison's.
    lines = [
        "扎实推进行政应诉工作",
        "全区出庭应诉率从2019年全年的15%提高到2020年全年的29.65%，今年以来继续保持增长态势。",
        "一、主要做法",
        "每月通报出庭应诉情况。",
    ]
    assert parse(lines, source="某区依法治区办_出庭应诉_2021.txt").year == 2021
    # Without a year in the file name, the opening's first year is still the best guess.
    assert parse(lines, source="出庭应诉.txt").year == 2019


def test_plain_text_table_rows_are_passages_under_their_heading() -> None:
    text = (
        "临城县2023年法治政府建设年度报告\n"
        "2023年，临城县坚持依法行政。\n"
        "一、行政执法统计\n"
        "警告 | 罚款 | 合计(宗) |\n"
        "31 | 54 | 144 |\n"
        "指标 | 2022年 | 2023年\n"
        "行政复议案件 | 26件 | 34件\n"
        "临城县人民政府\n"
        "2024年1月10日\n"
    )
    data = text.encode("utf-8")
    r = parse_document(read_document("临城县.txt", data), "临城县.txt", data)
    rows = [
        p
        for p in r.passages
        if p.text in ("警告 31，罚款 54，合计(宗) 144", "行政复议案件：2022年 26件，2023年 34件")
    ]
    assert [p.section for p in rows] == [("一、行政执法统计",)] * 2


@pytest.mark.parametrize(
    "opening",
    [
        "记者今天从市司法局获悉，今年上半年，我市两级法院开庭审理行政案件837件。",
        "法治日报讯 记者王某 近日，记者从市司法局获悉，全市行政机关负责人出庭应诉率达100%。",
    ],
)
def test_a_news_items_reporter_is_not_its_issuer(opening: str) -> None:
    name = "青岛市_出庭应诉_2021.txt"
    data = f"负责人出庭应诉率百分之百\n{opening}\n".encode()
    r = parse_document(read_document(name, data), name, data)
    assert "记者" not in r.issuer and "今天" not in "".join(r.places)
    assert r.places[-1] == "青岛市"
