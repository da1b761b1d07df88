"""retrieval.understand: places and years that narrow a question, unknown places, the part of a
report asked about, question words and figures."""

from __future__ import annotations

import pytest

from retrieval.library import Library
from retrieval.models import Query, SectionKind
from retrieval.understand import has_figures, normalise, question_kind, section_kind


def ids_issued_by(lib: Library, *fragments: str) -> tuple[int, ...]:
    """Ids of the reports whose issuer contains one of `fragments` (looked up, not assumed)."""
    return tuple(sorted(r.id for r in lib.reports() if any(f in r.issuer for f in fragments)))


def understand(lib: Library, question: str) -> Query:
    return lib.understander.understand(question)


# --- places -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "issuer", "place"),
    [
        ("秀山县政务公开", "秀山", "秀山土家族苗族自治县"),
        ("秀山政务公开", "秀山", "秀山土家族苗族自治县"),
        ("秀山土家族苗族自治县政务公开", "秀山", "秀山土家族苗族自治县"),
        ("瓦屋镇矛盾纠纷", "瓦屋镇", "瓦屋镇"),
        ("瓦屋矛盾纠纷", "瓦屋镇", "瓦屋镇"),
        ("鲁山县矛盾纠纷", "瓦屋镇", "鲁山县"),
        ("蓝山县督查督办", "蓝山县", "蓝山县"),
        ("蓝山督查督办", "蓝山县", "蓝山县"),
        ("潢川县政务公开", "潢川县", "潢川县"),
        ("永州市督查督办", "蓝山县", "永州市"),
        ("重庆市政务公开", "秀山", "重庆市"),
    ],
)
def test_place_narrows_to_its_report(shared_library: Library, question: str, issuer: str, place: str) -> None:
    q = understand(shared_library, question)
    assert q.report_ids == ids_issued_by(shared_library, issuer)
    assert q.places == (place,)
    assert q.unknown_places == ()
    # the place is not a search term
    assert not any(t.startswith(place[:2]) for t in q.terms)


def test_the_three_ways_of_writing_xiushan_give_the_same_query(shared_library: Library) -> None:
    queries = [understand(shared_library, f"{p}政务公开") for p in ("秀山县", "秀山", "秀山土家族苗族自治县")]
    assert len({(q.report_ids, q.places, q.terms) for q in queries}) == 1


def test_county_with_organisation_narrows_by_issuer(shared_library: Library) -> None:
    q = understand(shared_library, "安化县政协提案立案率")
    assert q.report_ids == ids_issued_by(shared_library, "政协安化县委员会办公室")
    assert q.places == ("安化县",)


@pytest.mark.parametrize("question", ["湖南省政务公开", "湖南政务公开"])
def test_province_narrows_to_all_its_reports(shared_library: Library, question: str) -> None:
    q = understand(shared_library, question)
    assert q.report_ids == ids_issued_by(shared_library, "安化县", "蓝山县")
    assert q.places == ("湖南省",)


def test_province_with_organisation_narrows_by_issuer(shared_library: Library) -> None:
    q = understand(shared_library, "湖南省政协提案")
    assert q.report_ids == ids_issued_by(shared_library, "政协安化县")


def test_province_written_before_a_word_is_still_a_place(shared_library: Library) -> None:
    """湖南省政府办: the segmenter must not hide 湖南省 inside 湖南省政府."""
    q = understand(shared_library, "湖南省政府办督查督办")
    assert q.places == ("湖南省",)
    assert q.report_ids == ids_issued_by(shared_library, "蓝山县人民政府办公室")


def test_narrower_place_wins_over_the_wider_one(shared_library: Library) -> None:
    q = understand(shared_library, "湖南省蓝山县督查督办")
    assert q.report_ids == ids_issued_by(shared_library, "蓝山县")


def test_no_place_searches_every_report(shared_library: Library) -> None:
    q = understand(shared_library, "政务公开")
    assert q.report_ids is None
    assert q.places == () and q.unknown_places == ()


@pytest.mark.parametrize(
    ("question", "acceptable"),
    [
        ("北京市法治政府建设", {"北京市"}),
        ("北京法治政府建设", {"北京", "北京市"}),
        ("海淀区政务公开", {"海淀区"}),
        ("上海市浦东新区法治政府建设", {"上海市", "浦东新区", "上海市浦东新区"}),
        ("张庄镇2023年法治建设情况", {"张庄镇"}),
    ],
)
def test_unknown_places_are_reported(shared_library: Library, question: str, acceptable: set[str]) -> None:
    q = understand(shared_library, question)
    assert q.places == ()
    assert q.unknown_places, "no unknown place reported"
    assert set(q.unknown_places) <= acceptable
    # an unknown place must not narrow the question to some indexed report
    assert q.report_ids is None


def test_known_and_unknown_place_together(shared_library: Library) -> None:
    q = understand(shared_library, "秀山县和北京市的政务公开")
    assert q.places == ("秀山土家族苗族自治县",)
    assert q.unknown_places == ("北京市",)
    assert q.report_ids == ids_issued_by(shared_library, "秀山")


# --- years --------------------------------------------------------------------------------


def test_year_of_indexed_reports_narrows(shared_library: Library) -> None:
    q = understand(shared_library, "2024年政务公开")
    assert q.years == (2024,)
    assert q.report_ids == ids_issued_by(shared_library, "安化县", "潢川县", "秀山")
    assert q.kind == SectionKind.OTHER
    assert not any("2024" in t for t in q.terms)


def test_year_without_a_report_does_not_narrow(shared_library: Library) -> None:
    q = understand(shared_library, "2019年政务公开")
    assert q.years == ()
    assert q.report_ids is None


@pytest.mark.parametrize(
    ("question", "issuer", "year"),
    [
        ("瓦屋镇2024年的打算", "瓦屋镇", 2024),
        ("瓦屋镇2024年普法", "瓦屋镇", 2024),
        ("安化县2025年安排", "安化县", 2025),
        ("蓝山县2023年工作", "蓝山县", 2023),
    ],
)
def test_year_after_a_reports_year_asks_for_its_plans(
    shared_library: Library, question: str, issuer: str, year: int
) -> None:
    q = understand(shared_library, question)
    assert q.report_ids == ids_issued_by(shared_library, issuer)
    assert q.years == (year,)
    assert q.kind == SectionKind.PLANS


def test_year_of_the_report_itself_is_not_plans(shared_library: Library) -> None:
    q = understand(shared_library, "瓦屋镇2023年普法")
    assert q.years == (2023,)
    assert q.kind == SectionKind.OTHER
    assert q.report_ids == ids_issued_by(shared_library, "瓦屋镇")


# --- question words, figures, kind ---------------------------------------------------------


def test_question_words_are_removed(shared_library: Library) -> None:
    q = understand(shared_library, "请问秀山县有哪些政务公开措施")
    assert "政务公开" in q.terms and "措施" in q.terms
    assert not {"请问", "请", "问", "哪些", "有"} & set(q.terms)


@pytest.mark.parametrize(
    "question",
    [
        "政务公开怎么样",
        "政务公开是什么",
        "如何政务公开",
        "为什么政务公开",
        "政务公开的情况吗",
        "请问政务公开有哪些",
    ],
)
def test_question_words_leave_only_the_subject(shared_library: Library, question: str) -> None:
    assert set(understand(shared_library, question).terms) == {"政务", "公开", "政务公开"}


@pytest.mark.parametrize(
    ("question", "wants"),
    [
        ("蓝山县督办通知下发了多少件", True),
        ("瓦屋镇化解了几起纠纷", True),
        ("秀山县政务公开数据", True),
        ("政务公开的比例", True),
        ("秀山县政务公开措施", False),
        ("2024年政务公开", False),
    ],
)
def test_wants_figures(shared_library: Library, question: str, wants: bool) -> None:
    q = understand(shared_library, question)
    assert q.wants_figures is wants
    assert not {"多少", "数据", "比例"} & set(q.terms)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("蓝山县存在的问题", SectionKind.PROBLEMS),
        ("秀山县法治建设有哪些不足", SectionKind.PROBLEMS),
        ("潢川县下一步打算", SectionKind.PLANS),
        ("安化县明年的计划", SectionKind.PLANS),
        ("秀山县政务公开", SectionKind.OTHER),
    ],
)
def test_question_kind(shared_library: Library, question: str, kind: SectionKind) -> None:
    assert understand(shared_library, question).kind == kind
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    ("section", "kind"),
    [
        (("二、存在的主要问题",), SectionKind.PROBLEMS),
        (("二、存在的不足和原因",), SectionKind.PROBLEMS),
        (("三、下一步打算",), SectionKind.PLANS),
        (("四、2024年度推进法治政府建设的主要工作安排", "（一）加大学法用法力度"), SectionKind.PLANS),
        (("三、下一步工作计划",), SectionKind.PLANS),
        (("二、党政主要负责人履行推进法治建设第一责任人职责，加强法治政府建设的有关情况",), SectionKind.DUTY),
        (("一、2024年工作开展情况", "（二）持续深化政务公开"), SectionKind.OTHER),
        ((), SectionKind.OTHER),
        # judged by the top heading only
        (("一、主要举措", "（一）解决问题"), SectionKind.OTHER),
    ],
)
def test_section_kind(section: tuple[str, ...], kind: SectionKind) -> None:
    assert section_kind(section) == kind


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("今年以来共下发督办通知58件", True),
        ("代表满意率100％", True),
        ("立案率为82%", True),
        ("发布政策解读信息20条", True),
        ("化解矛盾纠纷12起", True),
        ("2024年法治政府建设", False),
        ("2024年12月30日", False),
        ("深入学习习近平法治思想", False),
    ],
)
def test_has_figures(text: str, figures: bool) -> None:
    assert has_figures(text) is figures


def test_normalise() -> None:
    assert normalise("  秀山县\t政务\n\n公开  ") == "秀山县 政务 公开"
    assert normalise("ＡＢＣ１２３") == "ABC123"
    assert normalise("政务\x00公开\x07") == "政务 公开"


def test_query_text_is_the_normalised_question(shared_library: Library) -> None:
    q = understand(shared_library, "  秀山县\n政务公开  ")
    assert q.text == "秀山县 政务公开"
