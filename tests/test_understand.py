"""retrieval.understand: places, years and kinds of issuer that narrow a question, unknown places
and towns, the part of a report asked about, asking words, synonyms, folding, figures, follow-ups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

from retrieval import texts
from retrieval.library import Library
from retrieval.models import Query, Refusal, SectionKind
from retrieval.parse import parse_document
from retrieval.places import PACKAGE_DATA, default_gazetteer
from retrieval.read import read_document
from retrieval.tokenize import fold
from retrieval.understand import (
    PlaceIndex,
    Synonyms,
    has_figures,
    issuer_kind,
    normalise,
    question_kind,
    section_kind,
    units_asked,
)
from tests.conftest import BUNDLED_REPORTS, TESTS_DATA, make_settings, report_text


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
        ("瓦屋镇2024年普法计划", "瓦屋镇", 2024),
        ("安化县2025年安排", "安化县", 2025),
        ("蓝山县2023年工作计划", "蓝山县", 2023),
    ],
)
def test_year_after_a_reports_year_asks_for_its_plans(
    shared_library: Library, question: str, issuer: str, year: int
) -> None:
    q = understand(shared_library, question)
    assert q.report_ids == ids_issued_by(shared_library, issuer)
    assert q.years == (year,)
    assert q.kind == SectionKind.PLANS


@pytest.mark.parametrize(("question", "year"), [("瓦屋镇2024年普法", 2024), ("蓝山县2023年工作", 2023)])
def test_year_after_a_reports_year_not_asking_for_plans_is_a_missing_year(
    shared_library: Library, question: str, year: int
) -> None:
    # a report's plans for the next year say nothing of what was done in it
    q = understand(shared_library, question)
    assert q.report_ids == () and q.absent_years == (year,)
    assert shared_library.ask(question).refusal == Refusal.MISSING_YEAR


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
        ("安化县政协提案立案率", True),
        ("哪个县的调解成功率最高", True),
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
        # a top heading naming two parts: the next heading naming one decides
        (("第三部分　存在的问题和2024年工作安排", "一、存在的问题"), SectionKind.PROBLEMS),
        (("第三部分　存在的问题和2024年工作安排", "二、2024年工作安排"), SectionKind.PLANS),
        (("第三部分　存在的问题和2024年工作安排",), SectionKind.PROBLEMS),
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


# --- towns: a name before 乡/镇/街道, never an ordinary phrase -------------------------------

_SUFFIX = re.compile(r"街道|镇|乡|县")
# A town or county as an office names it (…人民政府万松街道办事处, 瓦屋镇人民政府, 柘原县委): a real
# name wherever the text mentions it, so not an "ordinary phrase".
_OFFICE = re.compile(
    r"([\u4e00-\u9fff]{2,4}?(?:街道|镇|乡)|[\u4e00-\u9fff]{2,3}县)(?:办事处|人民政府|综合行政执法局|委)"
)


def _ordinary_town_phrases() -> list[str]:
    """From every bundled and corpus-dev report: each 2–4 characters before 乡/镇/街道/县 with
    the suffix, alone and with the rest of its clause, except places the report names (its
    own, and any it names as an office)."""
    gazetteer = default_gazetteer()
    phrases: dict[str, None] = {}
    files = sorted(BUNDLED_REPORTS.iterdir()) + sorted((TESTS_DATA / "corpus-dev" / "reports").iterdir())
    for path in files:
        data = path.read_bytes()
        doc = read_document(path.name, data)
        text = "\n".join(doc.texts)
        parsed = parse_document(doc, path.name, data, gazetteer)
        names = set(parsed.places) | set(_OFFICE.findall(text))
        for m in _SUFFIX.finditer(text):
            for n in (2, 3, 4):
                head = text[max(m.start() - n, 0) : m.end()]
                if m.start() < n or not re.fullmatch(r"[\u4e00-\u9fff]+", head):
                    continue
                if any(head.endswith(t) or t.endswith(head) for t in names):
                    continue
                tail = re.match(r"[^。，；、：\n]{0,6}", text[m.end() :])
                phrases.setdefault(head)
                phrases.setdefault(head + (tail.group(0) if tail else ""))
    return list(phrases)


ORDINARY_PHRASES = _ordinary_town_phrases()


def test_there_are_a_few_hundred_ordinary_phrases() -> None:
    assert len(ORDINARY_PHRASES) >= 300
    assert {"推进乡镇", "送法下乡", "部分镇", "均由街道", "展全县"} <= set(ORDINARY_PHRASES)


def test_no_ordinary_phrase_before_a_town_suffix_is_taken_for_a_place(shared_library: Library) -> None:
    """Only a name the gazetteer has may be a place here (开展全县政府… holds none; 临城县在县委
    holds 临城县)."""
    gazetteer = set(default_gazetteer().by_name)
    taken = {}
    for phrase in ORDINARY_PHRASES:
        q = understand(shared_library, phrase)
        made_up = [p for p in q.unknown_places if p not in gazetteer]
        if made_up:
            taken[phrase] = made_up
    assert not taken


@pytest.mark.parametrize(
    "question",
    [
        "怎么推进乡镇综合执法改革",
        "赋权给街道的行政执法事项有多少项",
        "乡镇司法所人员配备情况怎么样",
        "部分街道承接能力不足",
        "送法下乡搞了几场",
        "城乡一体化",
        "全县各乡镇",
        "各街道的情况",
        "全镇矛盾纠纷",
        "我镇法治建设",
        "两个镇的执法队",
        "法治进乡村",
        "全县政府系统",
        "本县法治建设",
        "市县两级",
    ],
)
def test_common_words_with_a_town_suffix_are_no_places(shared_library: Library, question: str) -> None:
    q = understand(shared_library, question)
    assert q.unknown_places == () and q.places == ()


@pytest.mark.parametrize(
    ("question", "town"),
    [
        ("张庄镇2023年法治建设情况", "张庄镇"),
        ("问张庄镇的普法", "张庄镇"),
        ("唐家墩街道物业纠纷怎么化解", "唐家墩街道"),
        ("万松街道承接了多少项执法事项", "万松街道"),
        ("北湖街道的问题", "北湖街道"),
        ("柳林乡明年有什么计划", "柳林乡"),
        ("城关镇政务公开", "城关镇"),
        ("三河镇矛盾纠纷", "三河镇"),
        ("黄竹坪县政务公开", "黄竹坪县"),
        ("柘原县2020年行政复议案件多少件", "柘原县"),
    ],
)
def test_town_names_with_no_report_are_unknown_places(
    shared_library: Library, question: str, town: str
) -> None:
    q = understand(shared_library, question)
    assert q.unknown_places == (town,)
    assert q.report_ids is None


def test_a_town_named_by_its_report_is_known(made_library: Library) -> None:
    q = understand(made_library, "土桥镇矛盾纠纷")
    assert q.places == ("土桥镇",) and q.unknown_places == ()
    assert q.report_ids == ids_issued_by(made_library, "土桥镇")


def test_a_town_in_the_issuer_is_known_when_the_places_stop_at_the_county(made_library: Library) -> None:
    """…区人民政府唐家墩街道办事处, 柳林乡人民政府: the issuer names the town."""
    r = next(r for r in made_library.reports() if "土桥镇" in r.issuer)
    index = PlaceIndex.build([replace(r, places=r.places[:-1])], default_gazetteer())
    assert index.place_reports["土桥镇"] == {r.id}
    assert index.alias_to_place["土桥"] == "土桥镇"


# --- towns of the gazetteer's table --------------------------------------------------------

# Two reports of 象山县 (浙江 宁波) whose issuers name only their town or 街道.
_XIANGSHAN_TOWNS = {
    "贤庠镇_2022.txt": report_text(
        "贤庠镇人民政府",
        2022,
        {"主要做法和成效": ["（一）化解矛盾纠纷。全镇排查矛盾纠纷58起，调解成功57起。"]},
    ),
    "丹东街道_2023.txt": report_text(
        "丹东街道办事处",
        2023,
        {"主要做法和成效": ["（一）推进综合执法。承接县级下放行政执法事项86项。"]},
    ),
}


@pytest.fixture(scope="module")
def town_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The bundled reports and _XIANGSHAN_TOWNS."""
    folder = tmp_path_factory.mktemp("xiangshan")
    for name, text in _XIANGSHAN_TOWNS.items():
        (folder / name).write_text(text, "utf-8")
    lib = Library(make_settings(tmp_path_factory.mktemp("xiangshan-data") / "data"))
    lib.ingest([folder])
    yield lib
    lib.store.close()


def test_a_report_naming_only_its_town_has_the_towns_whole_chain(town_library: Library) -> None:
    places = {r.issuer: r.places for r in town_library.reports()}
    assert places["贤庠镇人民政府"] == ("浙江省", "宁波市", "象山县", "贤庠镇")
    assert places["丹东街道办事处"] == ("浙江省", "宁波市", "象山县", "丹东街道")


@pytest.mark.parametrize(
    ("question", "town"),
    [
        ("贤庠镇法治建设", "贤庠镇"),
        ("贤庠镇", "贤庠镇"),
        ("象山贤庠镇矛盾纠纷", "贤庠镇"),
        ("象山县贤庠镇矛盾纠纷", "贤庠镇"),
        ("丹东街道综合执法", "丹东街道"),
    ],
)
def test_a_question_naming_a_town_finds_its_report(town_library: Library, question: str, town: str) -> None:
    q = understand(town_library, question)
    assert q.report_ids == ids_issued_by(town_library, town)
    assert q.unknown_places == ()


@pytest.mark.parametrize("question", ["象山县矛盾纠纷", "象山矛盾纠纷", "宁波市矛盾纠纷"])
def test_a_question_naming_a_county_finds_its_towns_reports(town_library: Library, question: str) -> None:
    q = understand(town_library, question)
    assert q.report_ids == ids_issued_by(town_library, "贤庠镇", "丹东街道")
    assert q.unknown_places == ()


@pytest.mark.parametrize(
    ("question", "town"),
    [
        # the same county's, with no report
        ("高塘岛乡法治建设", "高塘岛乡"),
        # towns whose names jieba does not read as names: only the table knows them
        ("劳山乡矛盾纠纷", "劳山乡"),
        ("依西肯乡法治建设", "依西肯乡"),
        ("锣鼓塔街道的执法事项", "锣鼓塔街道"),
    ],
)
def test_a_real_town_with_no_report_is_an_unknown_place(
    town_library: Library, question: str, town: str
) -> None:
    q = understand(town_library, question)
    assert q.unknown_places == (town,)
    assert q.places == () and q.report_ids is None


@pytest.mark.parametrize(
    "question",
    [
        # a town's name that is an ordinary word with the suffix (中心镇, 平安乡 … are real towns)
        "推进中心镇建设",
        "平安乡镇创建",
        "建设街道综合执法平台",
        # a suffix that begins a word: 发展乡 is a town, 发展乡村 is not one
        "发展乡村旅游的做法",
        "镇街综合执法改革",
        "各镇街综合执法改革",
    ],
)
def test_ordinary_words_are_not_taken_for_the_tables_towns(town_library: Library, question: str) -> None:
    q = understand(town_library, question)
    assert q.unknown_places == () and q.places == ()


# --- words that ask, not search ----------------------------------------------------------


def _asking_words() -> list[str]:
    return [
        w
        for line in (PACKAGE_DATA / "question_words.txt").read_text("utf-8").splitlines()
        if not line.startswith("#")
        for w in line.lstrip("=").split()
    ]


def test_the_asking_words_list_holds_the_everyday_ones() -> None:
    words = set(_asking_words())
    assert {"还有", "搞", "做", "报告", "相关", "方面", "情况", "请问", "哪些", "的报告", "干什么"} <= words


@pytest.mark.parametrize("word", sorted(set(_asking_words())))
def test_an_asking_word_never_becomes_a_search_term(shared_library: Library, word: str) -> None:
    q = understand(shared_library, f"秀山县{word}政务公开")
    assert word not in q.terms
    assert q.report_ids == ids_issued_by(shared_library, "秀山")


@pytest.mark.parametrize(
    ("asked", "plain"),
    [
        ("湖南省的报告有哪些问题", "湖南存在哪些问题"),
        ("请问秀山县还有哪些不足", "秀山县不足"),
        ("蓝山县搞了多少场普法活动", "蓝山县普法活动多少场"),
        ("潢川县政务公开方面的相关情况", "潢川县政务公开"),
        ("安化县政协的报告里立案率是多少", "安化县政协立案率是多少"),
    ],
)
def test_asking_words_do_not_change_what_is_searched(shared_library: Library, asked: str, plain: str) -> None:
    a, b = understand(shared_library, asked), understand(shared_library, plain)
    assert (a.report_ids, a.kind, a.places) == (b.report_ids, b.kind, b.places)
    assert set(a.terms) <= set(b.terms) | {"存在"}
    assert shared_library.ask(asked).hits[0].passage == shared_library.ask(plain).hits[0].passage


# --- synonyms ---------------------------------------------------------------------------


def test_the_synonym_table_reads_groups_both_ways() -> None:
    table = Synonyms()
    assert {"行政诉讼", "应诉"} <= table.others["打官司"]
    assert "打官司" in table.others["行政诉讼"]
    assert "规范性文件" in table.others["红头文件"] and "红头文件" in table.others["规范性文件"]
    assert {"法治宣传教育"} <= table.others["普法"]
    # every word is written as questions and documents are folded
    assert all(fold(w) == w for w in table.others)


@pytest.mark.parametrize(
    ("question", "word", "synonym"),
    [
        ("蓝山县红头文件", "红头文件", "规范性文件"),
        ("潢川县打官司的情况", "打官司", "行政诉讼"),
        ("秀山县城管", "城管", "综合行政执法"),
        ("违建拆了多少", "违建", "违法建设"),
        ("一把手出庭应诉", "一把手", "主要负责人"),
        ("12345热线", "12345", "便民服务热线"),
        ("执法证注销", "执法证", "行政执法证件"),
        # everyday words typed on a phone (issue 13)
        ("秀山县长去哪些单位调研", "县长", "主要负责同志"),
        ("留下街道请律师花多少钱", "请律师", "法律顾问"),
        ("高台县满意度排第几", "排第几", "位列"),
        ("莱芜区受过什么表扬", "表扬", "表彰"),
        ("陇西县评上了什么称号", "称号", "荣获"),
        ("市政府有没有当被告", "被告", "行政诉讼"),
        ("司法所人手够不够", "人手", "人员"),
    ],
)
def test_a_word_staff_use_also_searches_the_words_reports_use(
    shared_library: Library, question: str, word: str, synonym: str
) -> None:
    q = understand(shared_library, question)
    assert word in q.terms
    assert synonym in dict(q.alternatives)[word]


def test_a_synonym_finds_the_passage_that_uses_the_report_word(made_library: Library) -> None:
    answer = made_library.ask("汝城县打官司")
    assert answer.answered
    assert "行政诉讼" in answer.hits[0].passage.text


# --- traditional and full-width ----------------------------------------------------------


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("秀山縣政務公開", "秀山县政务公开"),
        ("藍山縣督辦通知下發了多少件", "蓝山县督办通知下发了多少件"),
        ("安化縣政協提案立案率", "安化县政协提案立案率"),
        ("ＸＸ鲁山县瓦屋镇２０２３年矛盾纠纷", "xx鲁山县瓦屋镇2023年矛盾纠纷"),
    ],
)
def test_traditional_questions_answer_like_simplified_ones(
    shared_library: Library, traditional: str, simplified: str
) -> None:
    a, b = understand(shared_library, traditional), understand(shared_library, simplified)
    assert (a.terms, a.places, a.report_ids, a.years) == (b.terms, b.places, b.report_ids, b.years)
    hits_a, hits_b = shared_library.ask(traditional).hits, shared_library.ask(simplified).hits
    assert [h.passage.id for h in hits_a] == [h.passage.id for h in hits_b]


# --- issuers by kind ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "places", "kind"),
    [
        ("永丰县公安局", ("江西省", "吉安市", "永丰县"), "公安局"),
        ("政协安化县委员会办公室", ("湖南省", "益阳市", "安化县"), "政协委员会办公室"),
        (
            "武汉市江汉区人民政府唐家墩街道办事处",
            ("湖北省", "武汉市", "江汉区", "唐家墩街道"),
            "人民政府街道办事处",
        ),
        ("汝城县市场监督管理局", ("湖南省", "郴州市", "汝城县"), "市场监督管理局"),
        ("甘肃省司法厅", ("甘肃省",), "司法厅"),
        ("县综合行政执法局", (), "综合行政执法局"),
        ("潍坊市人民政府", ("山东省", "潍坊市"), "人民政府"),
    ],
)
def test_an_issuers_kind_is_what_is_left_without_its_places(
    issuer: str, places: tuple[str, ...], kind: str
) -> None:
    assert issuer_kind(issuer, places, default_gazetteer()) == kind


@pytest.mark.parametrize(
    ("question", "issuer"),
    [
        ("汝城县公安局开展了多少场法治宣传", "汝城县公安局"),
        ("公安局的执法记录仪", "汝城县公安局"),
        ("汝城县市场监管局查处了多少案件", "市场监督管理局"),
        ("市场监督管理局开展了多少场宣传", "市场监督管理局"),
        ("汝城县政府办存在的问题", "汝城县人民政府办公室"),
        ("汝城县人民政府办公室存在的问题", "汝城县人民政府办公室"),
        ("汝城县镇政府矛盾纠纷", "土桥镇人民政府"),
    ],
)
def test_a_kind_of_issuer_narrows_to_its_reports(made_library: Library, question: str, issuer: str) -> None:
    q = understand(made_library, question)
    assert q.report_ids == ids_issued_by(made_library, issuer)
    assert not {"公安局", "市场监管局", "政府办"} & set(q.terms)


def test_a_kind_no_report_of_the_place_has_does_not_narrow(made_library: Library) -> None:
    q = understand(made_library, "蓝山县公安局")
    assert q.report_ids == ids_issued_by(made_library, "蓝山县")


def test_the_government_kind_narrows_only_with_a_place(made_library: Library) -> None:
    """县政府常务会议 is how reports speak of the government, not only who issued them."""
    assert understand(made_library, "县政府常务会议").report_ids is None


# --- several years of one place ------------------------------------------------------------


def test_a_question_without_a_year_answers_from_the_newest_report_first(made_library: Library) -> None:
    q = understand(made_library, "汝城县行政复议案件多少件")
    assert set(q.report_ids or ()) >= set(ids_issued_by(made_library, "汝城县人民政府办公室"))
    newest = {r.id for r in made_library.reports() if r.issuer == "汝城县人民政府办公室" and r.year == 2023}
    assert newest <= set(q.first)
    assert not {r.id for r in made_library.reports() if r.year == 2022 and "汝城" in r.issuer} & set(q.first)


def test_a_plan_question_for_a_year_takes_the_plan_written_for_it_first(made_library: Library) -> None:
    q = understand(made_library, "汝城县2023年有什么工作计划")
    plan_2023 = {r.id for r in made_library.reports() if "汝城" in r.issuer and r.year == 2022}
    own_2023 = {r.id for r in made_library.reports() if r.issuer == "汝城县人民政府办公室" and r.year == 2023}
    assert q.kind == SectionKind.PLANS
    assert set(q.first) == plan_2023
    assert plan_2023 | own_2023 <= set(q.report_ids or ())


@pytest.mark.parametrize(
    ("previous", "message", "expected"),
    [
        ("汝城县行政复议案件多少件", "那2022年呢？", "汝城县2022年行政复议案件多少件"),
        ("汝城县2023年行政复议案件多少件", "那2022年呢", "汝城县2022年行政复议案件多少件"),
        ("汝城县2023年行政复议案件多少件", "2022年的呢？", "汝城县2022年行政复议案件多少件"),
        ("秀山县政务公开", "那蓝山县呢？", "蓝山县政务公开"),
        ("秀山县政务公开", "那蓝山县2022年呢？", "蓝山县2022年政务公开"),
        ("行政复议案件多少件", "那2023年呢", "2023年行政复议案件多少件"),
    ],
)
def test_follow_up_with_a_year_re_asks_for_that_year(
    made_library: Library, previous: str, message: str, expected: str
) -> None:
    assert made_library.understander.follow_up(previous, message) == expected


@pytest.mark.parametrize("message", ["今天天气怎么样", "行政复议呢", "谢谢", "那年呢"])
def test_other_messages_are_no_follow_ups(made_library: Library, message: str) -> None:
    assert made_library.understander.follow_up("汝城县行政复议案件多少件", message) is None


@pytest.mark.parametrize(
    ("question", "units"),
    [
        ("政府信息公开了多少条", "条"),
        ("有多少名田长", "人名"),
        ("搞了几场宣传", "次场期"),
        ("复议案件多少件", "件起宗"),
        ("罚了多少钱", "元"),
        ("政务公开数据", ""),
    ],
)
def test_the_measure_word_asked_for_is_kept(shared_library: Library, question: str, units: str) -> None:
    assert set(understand(shared_library, question).units) == set(units)


def test_has_figures_in_units() -> None:
    assert has_figures("公开各类政府信息4217条", "条")
    assert not has_figures("受理政府信息公开申请38件", "条")
    assert has_figures("罚没款312.6万元", "元")


def test_a_place_and_a_year_it_has_no_report_for_narrow_to_nothing(made_library: Library) -> None:
    q = understand(made_library, "汝城县2019年行政复议案件多少件")
    assert q.report_ids == ()
    answer = made_library.ask("汝城县2019年行政复议案件多少件")
    assert answer.refusal == Refusal.MISSING_YEAR
    # The years the place has, each a button, and said in the refusal.
    years = sorted({r.year for r in made_library.reports() if "汝城县" in r.places and r.year})
    assert answer.other_years == tuple(years)
    assert texts.refusal(answer).startswith("暂未收录汝城县2019年的报告；有：")


@pytest.mark.parametrize(
    "question", ["汝城县二〇二二年行政复议", "汝城县二零二二年度行政复议", "汝城县2022年行政复议"]
)
def test_a_year_in_chinese_numerals_is_a_year(made_library: Library, question: str) -> None:
    q = understand(made_library, question)
    assert q.years == (2022,)
    assert q.report_ids == tuple(
        r.id for r in made_library.reports() if "汝城" in r.issuer and r.year == 2022
    )
    assert made_library.understander.follow_up("汝城县行政复议", "那二〇二二年呢") == "汝城县2022年行政复议"


@pytest.mark.parametrize(
    ("issuer", "place"),
    [("柘原县人民政府", "柘原县"), ("洋县自然资源局", "洋县"), ("黄竹坪县公安局", "黄竹坪县")],
)
def test_an_issuers_county_is_its_place_when_none_was_read(
    made_library: Library, issuer: str, place: str
) -> None:
    r = replace(made_library.reports()[0], issuer=issuer, places=())
    index = PlaceIndex.build([r], default_gazetteer())
    assert index.place_reports[place] == {r.id}
    assert index.narrowest[r.id] == place


def test_a_report_of_unknown_year_may_answer_for_any_year(made_library: Library) -> None:
    reports = [replace(r, year=None) if r.issuer == "汝城县公安局" else r for r in made_library.reports()]
    u = made_library.understander
    try:
        u.set_reports(reports)
        q = u.understand("汝城县2019年执法记录仪")
        assert q.report_ids == ids_issued_by(made_library, "汝城县公安局")
    finally:
        u.set_reports(made_library.reports())


def test_days_asked_for_are_counted_in_working_days() -> None:
    assert units_asked("企业开办要几天") == "天日"
    assert has_figures("企业开办时间压缩至0.5个工作日", "天日")
    assert not has_figures("全年受理38件", "天日")


@pytest.mark.parametrize(
    ("question", "units"), [("覆盖群众多少人次", "人次"), ("搞了几轮", "轮"), ("学法多少部", "部")]
)
def test_measure_words_asked(question: str, units: str) -> None:
    assert units_asked(question) == units


# --- the long tail (issue 20): tests/data/longtail --------------------------------------------


def issued(lib: Library, answer_or_query: Query, *fragments: str) -> bool:
    """Whether a query is narrowed to exactly the reports whose issuer has one of `fragments`."""
    return answer_or_query.report_ids == ids_issued_by(lib, *fragments)


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("昌吉州案卷评查了多少卷", "昌吉回族自治州"),
        ("昌吉回族自治州矛盾纠纷化解", "昌吉回族自治州"),
        ("金平县双语普法", "金平苗族瑶族傣族自治县"),
        ("红河州人民调解", "红河哈尼族彝族自治州"),
    ],
)
def test_an_autonomous_short_form_is_its_full_division(
    longtail_library: Library, question: str, place: str
) -> None:
    q = understand(longtail_library, question)
    assert place in q.places and not q.unknown_places
    # never a shorter name inside it (昌吉州 holds 吉州, 吉州区's short name)
    assert "吉州区" not in q.places + q.unknown_places


def test_a_longer_name_beats_a_shorter_one_inside_it_wherever_it_starts(longtail_library: Library) -> None:
    # 吉州 (吉州区) starts inside 昌吉州, which is longer: only 昌吉州 is read
    q = understand(longtail_library, "新疆昌吉州政务服务")
    assert q.places == ("新疆维吾尔自治区", "昌吉回族自治州") or "昌吉回族自治州" in q.places
    assert not q.unknown_places


@pytest.mark.parametrize(
    ("question", "written", "place"),
    [("海源县行政复议多少件", "海源县", "海原县"), ("海源县重大行政决策", "海源县", "海原县")],
)
def test_a_name_one_character_off_a_collection_place_is_that_place(
    longtail_library: Library, question: str, written: str, place: str
) -> None:
    q = understand(longtail_library, question)
    assert q.places == (place,) and q.corrected == ((written, place),)
    answer = longtail_library.ask(question)
    assert answer.answered and answer.hits[0].report.place == place
    assert texts.lead(answer).startswith(f"按“{place}”查找：")


def test_a_name_one_character_off_two_places_asks_which(longtail_library: Library) -> None:
    answer = longtail_library.ask("兴善县政务公开")
    assert answer.refusal == Refusal.WHICH_PLACE
    assert answer.query.choices == (("兴善县", ("兴仁县", "兴山县")),)
    assert texts.refusal(answer) == "“兴善县”是指兴仁县还是兴山县？请选择："
    # each choice asks the question of that place
    assert longtail_library.question_for_place("兴善县政务公开", 1) == "兴山县政务公开"
    assert longtail_library.ask("兴山县政务公开").hits[0].report.place == "兴山县"


@pytest.mark.parametrize("question", ["平山县行政复议", "郎溪县政务公开", "栗子乡矛盾纠纷"])
def test_a_real_place_without_a_report_is_no_typo_of_one(longtail_library: Library, question: str) -> None:
    # 平山县 is one character off no place here, but a county of its own; 郎溪县 and 栗子乡 likewise
    answer = longtail_library.ask(question)
    assert answer.refusal == Refusal.UNKNOWN_PLACE and not answer.query.corrected


def test_a_year_the_place_has_no_report_of_lists_the_years_it_has(longtail_library: Library) -> None:
    answer = longtail_library.ask("中村乡2024年搞了些什么")
    assert answer.refusal == Refusal.MISSING_YEAR
    assert answer.other_years == (2022, 2023, 2025)
    assert texts.refusal(answer) == "暂未收录中村乡2024年的报告；有：2022年、2023年、2025年"
    # a year it has answers from that year's report
    hit = longtail_library.ask("中村乡2023年法律明白人").hits[0]
    assert hit.report.year == 2023 and "33名" in hit.passage.text


def test_the_year_button_asks_for_that_year_instead(longtail_library: Library) -> None:
    assert longtail_library.question_for_year("中村乡2024年搞了些什么", 2025) == "中村乡2025年搞了些什么"
    assert longtail_library.question_for_year("中村乡法律明白人", 2022) == "2022年中村乡法律明白人"


@pytest.mark.parametrize(
    ("question", "issuer"),
    [
        ("发改委公平竞争审查", "发展和改革委员会"),
        ("宁国市发改委价格监管", "发展和改革委员会"),
        ("宁国发展改革委公平竞争", "发展和改革委员会"),
        ("金平县司法局人民调解", "司法局"),
    ],
)
def test_a_body_named_by_its_short_form_narrows_to_its_reports(
    longtail_library: Library, question: str, issuer: str
) -> None:
    assert issued(longtail_library, understand(longtail_library, question), issuer)


def test_a_province_and_a_body_stem_is_that_provinces_department(longtail_library: Library) -> None:
    # 江苏民政 is 江苏省民政厅, not 晶桥镇 (in 江苏, its province inferred, its 民政工作 said too)
    q = understand(longtail_library, "江苏民政社会救助")
    assert issued(longtail_library, q, "江苏省民政厅")
    assert longtail_library.ask("江苏民政社会救助").hits[0].report.issuer == "江苏省民政厅"
    # the stem alone, not after a place, is a word of the question, narrowing nothing
    assert "民政" in understand(longtail_library, "哪些地方做好民政工作").terms


@pytest.mark.parametrize(
    "question",
    [
        "帮我写一份2026年法治政府建设工作计划",
        "请帮忙起草一份述法报告",
        "写一首关于法治的诗",
        "把海原县的报告翻译成英文",
        "用英文介绍一下江苏省民政厅的工作",
        "帮我总结一下中村乡这三年的工作",
        "总结一下2023年所有报告",
        "你觉得海原县法治政府建设做得好不好",
    ],
)
def test_requests_outside_the_bots_job_are_refused_as_such(longtail_library: Library, question: str) -> None:
    answer = longtail_library.ask(question)
    assert answer.refusal == Refusal.OUT_OF_SCOPE and not answer.hits
    assert texts.refusal(answer).startswith("我只查找已收录的法治政府建设年度报告")
    assert texts.EXAMPLES[0] in texts.refusal(answer)


@pytest.mark.parametrize("question", ["海原县起草了哪些规范性文件", "中村乡法律明白人怎么培训", "总结经验"])
def test_questions_using_such_words_are_still_questions(longtail_library: Library, question: str) -> None:
    assert longtail_library.ask(question).refusal != Refusal.OUT_OF_SCOPE


def test_a_long_pasted_question_is_searched_for_its_content(longtail_library: Library) -> None:
    question = (
        "您好，我是县司法局的，最近在整理材料，想请问一下海原县2023年重大行政决策是怎么做的，"
        "履行了哪些程序？如果方便的话麻烦帮我找一下原文，如果没有提到也请告诉我，谢谢"
    )
    q = understand(longtail_library, question)
    assert not {"司法局", "材料", "原文", "谢谢", "方便"} & set(q.terms)
    answer = longtail_library.ask(question)
    assert answer.answered and "重大行政决策9项" in answer.hits[0].passage.text
