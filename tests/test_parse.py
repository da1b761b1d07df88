"""retrieval.parse: section paths from the standard heading styles, header metadata, year,
places and content hash — on small synthetic line lists and on the bundled reports."""

from __future__ import annotations

import hashlib

import pytest

from retrieval.models import ParsedReport
from retrieval.parse import cn_number, parse_lines
from retrieval.read import read_path
from tests.conftest import BUNDLED_REPORTS


def parse(lines: list[str], source: str = "x.txt", content: bytes | None = None) -> ParsedReport:
    data = content if content is not None else "\n".join(lines).encode("utf-8")
    return parse_lines(lines, source, data)


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
    assert [p.text for p in r.passages] == [lines[3], "工作内容。"]
    assert r.passages[0].section == ()
    assert not any("县委依法治县办" in p.text for p in r.passages)


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


# --- year ---------------------------------------------------------------------------------


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
    assert len(r.passages) == passage_count
    # the title as written on its line(s), the issuer's name included where it is written
    assert r.title == title
    assert (r.year_inferred, r.plan_year) == (False, year + 1)


@pytest.mark.parametrize("name", sorted(_BUNDLED))
def test_bundled_passages_are_whole_body_lines_and_never_bare_headings(name: str) -> None:
    lines, r = bundled(name)
    headings = {path[-1] for path in r.outline}
    for p in r.passages:
        assert p.text in lines
        assert p.text not in headings
        assert p.text != r.title and p.text != r.issuer


def test_bundled_xiushan_title_addressee_and_inline_headings() -> None:
    _, r = bundled("秀山县政府办_2024.txt")
    assert r.passages[0].section == ()
    assert r.passages[0].text.startswith("2024年以来，县政府办公室")
    assert not any("县委依法治县办" in p.text for p in r.passages)
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
