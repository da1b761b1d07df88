"""retrieval.search: the saved Index, and answers — citations, place narrowing, refusals, paging."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from retrieval import search, texts
from retrieval.config import Settings
from retrieval.library import Library
from retrieval.models import Answer, Refusal, SectionKind
from retrieval.search import CANDIDATES, Index, _holding_the_best, index_text
from retrieval.tokenize import fold
from retrieval.understand import MAX_QUESTION_CHARS, section_kind
from tests.conftest import TESTS_DATA, read_jsonl

# --- Index: build, save, load -------------------------------------------------------------

ROWS = [
    (11, 1, ("一、做法",), "政务公开信息18778条。", ["政务", "公开", "政务公开", "信息", "18778"]),
    (12, 1, ("二、存在的主要问题",), "法治学习有待加强。", ["法治", "学习", "加强"]),
    (13, 2, ("三、下一步打算",), "持续推进政务公开。", ["推进", "政务", "公开", "政务公开"]),
    (14, 2, (), "开头一段。", ["开头"]),
]
MORE_ROWS = [
    *ROWS,
    *[(100 + i, 3, ("一、做法",), f"第{i}段矛盾纠纷。", ["矛盾", "纠纷", f"x{i}"]) for i in range(40)],
]


def test_index_build_keeps_rows_in_order() -> None:
    idx = Index.build(ROWS)
    assert len(idx) == 4
    assert idx.passage_ids.tolist() == [11, 12, 13, 14]
    assert idx.report_ids.tolist() == [1, 1, 2, 2]
    assert idx.kinds.tolist() == [
        SectionKind.OTHER,
        SectionKind.PROBLEMS,
        SectionKind.PLANS,
        SectionKind.OTHER,
    ]
    assert idx.figures.tolist() == [True, False, False, False]
    s = idx.engine.scores(["政务公开"])
    assert s[0] > 0 and s[2] > 0 and s[1] == 0 and s[3] == 0


def test_index_save_and_load_round_trip(tmp_path: Path) -> None:
    built = Index.build(ROWS)
    built.save(tmp_path / "index", "fp-1")
    loaded = Index.load(tmp_path / "index", "fp-1")
    assert loaded is not None
    for name in ("passage_ids", "report_ids", "kinds", "figures"):
        assert np.array_equal(getattr(loaded, name), getattr(built, name)), name
    for q in (["政务公开"], ["法治", "学习"], ["不在"]):
        assert np.array_equal(loaded.engine.scores(q), built.engine.scores(q))


def test_index_load_refuses_another_fingerprint_or_nothing(tmp_path: Path) -> None:
    Index.build(ROWS).save(tmp_path / "index", "fp-1")
    assert Index.load(tmp_path / "index", "fp-2") is None
    assert Index.load(tmp_path / "elsewhere", "fp-1") is None


@pytest.mark.parametrize("damage", ["bm25s", "kinds.npy", "passage_ids.npy"])
def test_index_load_of_a_damaged_index_is_none(tmp_path: Path, damage: str) -> None:
    """A saved index missing a part is no saved index: Library then rebuilds instead of crashing."""
    Index.build(ROWS).save(tmp_path / "index", "fp-1")
    target = tmp_path / "index" / damage
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    assert Index.load(tmp_path / "index", "fp-1") is None


def test_loaded_index_is_not_changed_by_saving_a_new_one_over_it(tmp_path: Path) -> None:
    """The Searcher docstring: a reindex swaps in a new Searcher, 'so questions in flight finish
    on the old one'. The old one is memory-mapped from the files the new one is saved to."""
    Index.build(ROWS).save(tmp_path / "index", "fp-1")
    old = Index.load(tmp_path / "index", "fp-1")
    assert old is not None
    before_ids = np.array(old.passage_ids)
    before_scores = np.array(old.engine.scores(["政务公开"]))
    # the new index is larger, so the old mappings stay within the files
    Index.build(MORE_ROWS).save(tmp_path / "index", "fp-2")
    assert np.array_equal(np.array(old.passage_ids), before_ids)
    assert np.array_equal(np.array(old.engine.scores(["政务公开"])), before_scores)


def test_index_save_requires_bm25s(tmp_path: Path) -> None:
    idx = Index.build(ROWS, engine="rank-bm25", variant="robertson")
    with pytest.raises(TypeError):
        idx.save(tmp_path / "index", "fp")


@pytest.mark.parametrize(
    ("section", "text", "expected"),
    [
        (("一、做法", "（二）政务公开"), "（二）政务公开。内容。", "一、做法 （二）政务公开。内容。"),
        (("一、做法", "（二）政务公开"), "内容。", "一、做法 （二）政务公开 内容。"),
        ((), "内容。", "内容。"),
    ],
)
def test_index_text_holds_each_heading_once(section: tuple[str, ...], text: str, expected: str) -> None:
    assert index_text(section, text) == expected


# --- answers --------------------------------------------------------------------------------


def issuers(answer: Answer) -> set[str]:
    return {h.report.issuer for h in answer.hits}


def test_hits_carry_citations(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开数据")
    assert answer.answered and answer.refusal is None
    top = answer.hits[0]
    stored = {r.id: r for r in shared_library.reports()}[top.report.id]
    assert top.report == stored
    assert top.report.issuer == "秀山土家族苗族自治县人民政府办公室"
    assert top.report.title == "秀山土家族苗族自治县人民政府办公室关于2024年法治政府建设情况的报告"
    assert top.report.year == 2024
    assert top.passage.section == ("一、2024年工作开展情况", "（二）持续深化政务公开")
    assert "政府网站公开政府信息18778条" in top.passage.text
    assert shared_library.passage(top.passage.id) == top.passage
    assert top.passage.report_id == top.report.id


QUESTIONS = ["法治政府建设", "政务公开", "普法宣传", "秀山县政务公开数据", "瓦屋镇矛盾纠纷", "第一责任人职责"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_hits_are_ranked_distinct_and_quote_their_passage(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question, k=5)
    assert answer.hits
    assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))
    scores = [h.score for h in answer.hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.passage.id for h in answer.hits}) == len(answer.hits)
    for h in answer.hits:
        quoted = h.snippet.text.strip("…")
        assert quoted and quoted in h.passage.text


@pytest.mark.parametrize("question", QUESTIONS)
def test_highlights_mark_the_question_terms(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question, k=5)
    q = answer.query
    surfaces = {s for t in q.terms for s in shared_library.tokenizer.surfaces(t)}
    # Words of synonym groups are also found as their synonyms and the words inside them.
    surfaces |= {fold(o) for _, others in q.alternatives for o in others}
    surfaces |= {s for t, _ in q.alternatives for s in shared_library.tokenizer.tokens(t)}
    marked = [h.snippet.text[a:b] for h in answer.hits for a, b in h.snippet.highlights()]
    assert marked
    assert all(fold(m) in surfaces for m in marked), marked


@pytest.mark.parametrize(
    ("question", "issuer"),
    [
        ("秀山县政务公开", "秀山土家族苗族自治县人民政府办公室"),
        ("秀山普法宣传", "秀山土家族苗族自治县人民政府办公室"),
        ("秀山土家族苗族自治县法治政府建设", "秀山土家族苗族自治县人民政府办公室"),
        ("瓦屋镇法治政府建设", "鲁山县瓦屋镇人民政府"),
        ("鲁山县普法宣传", "鲁山县瓦屋镇人民政府"),
        ("蓝山县政务公开", "蓝山县人民政府办公室"),
        ("潢川县规范性文件", "潢川县人民政府办公室"),
        ("安化县法治宣传", "政协安化县委员会办公室"),
        ("安化县政协提案", "政协安化县委员会办公室"),
        ("潢川县第一责任人", "潢川县人民政府办公室"),
    ],
)
def test_place_narrowing_never_returns_another_places_excerpt(
    shared_library: Library, question: str, issuer: str
) -> None:
    for offset in (0, 3):
        answer = shared_library.ask(question, k=3, offset=offset)
        if offset == 0:
            assert answer.answered
        assert issuers(answer) <= {issuer}


def test_province_returns_only_its_reports(shared_library: Library) -> None:
    answer = shared_library.ask("湖南省普法宣传", k=10)
    assert answer.answered
    assert all(h.report.places[0] == "湖南省" for h in answer.hits)


@pytest.mark.parametrize(
    "question",
    [
        "北京市2024年法治政府建设报告",
        "海淀区政务公开",
        "北京法治政府建设",
        "上海市浦东新区法治政府建设",
        "张庄镇2023年法治建设情况",
    ],
)
def test_unknown_place_is_refused_with_the_known_places(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question)
    assert answer.refusal == Refusal.UNKNOWN_PLACE
    assert not answer.hits and not answer.answered
    known = tuple(sorted({r.place for r in shared_library.reports()}))
    assert answer.known_places == known
    message = texts.refusal(answer)
    assert all(p in message for p in answer.query.unknown_places)
    assert all(p in message for p in known)


@pytest.mark.parametrize(
    "question", ["今天天气怎么样", "如何办理护照", "推荐一部好看的电影", "如何申请出国签证"]
)
def test_off_topic_is_no_match(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question)
    assert answer.refusal == Refusal.NO_MATCH
    assert answer.hits == ()


@pytest.mark.parametrize("question", ["", "   ", "\n\t \u3000", "😀🎉👍", "？？？！！", "的了吗", "\x00\x07"])
def test_nothing_searchable_is_empty(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question)
    assert answer.refusal == Refusal.EMPTY
    assert answer.hits == ()


@pytest.mark.parametrize("question", ["政务公开" * 200, "a" * 5000, "秀山县" * 10_000])
def test_huge_question_is_too_long(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question)
    assert answer.refusal == Refusal.TOO_LONG
    assert answer.hits == ()


def test_length_limit_boundary(shared_library: Library) -> None:
    at_limit = ("政务公开" * MAX_QUESTION_CHARS)[:MAX_QUESTION_CHARS]
    assert shared_library.ask(at_limit).refusal != Refusal.TOO_LONG
    assert shared_library.ask(at_limit + "开").refusal == Refusal.TOO_LONG


@pytest.mark.parametrize(
    ("question", "plain"),
    [
        ("<script>alert(1)</script>秀山县政务公开数据", "秀山县政务公开数据"),
        ("<b>秀山县</b>政务公开", "秀山县政务公开"),
        ("<a href='http://x.cn/?q=1'>政务公开</a>", "政务公开"),
        ("<p>安化县政协提案立案率</p>", "安化县政协提案立案率"),
    ],
)
def test_html_in_a_question_is_handled_as_text(shared_library: Library, question: str, plain: str) -> None:
    answer = shared_library.ask(question)
    assert answer.answered
    assert "政务公开" in plain or "立案率" in plain
    expected = shared_library.ask(plain)
    # the question's own words are what is searched: the same passages as without the tags
    assert {h.passage.id for h in answer.hits} & {h.passage.id for h in expected.hits}
    assert answer.hits[0].passage.id == expected.hits[0].passage.id
    for h in answer.hits:
        assert "<" not in h.snippet.text


@pytest.mark.parametrize("question", ["法治政府建设", "政务公开", "普法宣传"])
def test_paging_gives_the_next_hits_without_repeats(shared_library: Library, question: str) -> None:
    first = shared_library.ask(question, k=3)
    second = shared_library.ask(question, k=3, offset=3)
    both = shared_library.ask(question, k=6)
    assert [h.rank for h in second.hits] == [4, 5, 6][: len(second.hits)]
    assert second.hits, "too few hits to page"
    assert not {h.passage.id for h in first.hits} & {h.passage.id for h in second.hits}
    assert [h.passage.id for h in first.hits + second.hits] == [h.passage.id for h in both.hits]


def test_paging_past_the_end_gives_nothing(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开", k=3, offset=500)
    assert answer.hits == ()
    assert not answer.answered


@pytest.mark.parametrize(
    ("question", "issuer"),
    [("秀山县", "秀山土家族苗族自治县人民政府办公室"), ("瓦屋镇", "鲁山县瓦屋镇人民政府")],
)
def test_place_only_question_gives_the_reports_opening(
    shared_library: Library, question: str, issuer: str
) -> None:
    answer = shared_library.ask(question)
    assert [h.report.issuer for h in answer.hits] == [issuer]
    assert answer.hits[0].passage.ordinal == 0


_PLACES = ["秀山县", "瓦屋镇", "蓝山县", "潢川县", "安化县"]


@pytest.mark.parametrize("place", _PLACES)
@pytest.mark.parametrize(
    ("ask", "kind"),
    [("{}下一步打算", SectionKind.PLANS), ("{}存在的问题", SectionKind.PROBLEMS)],
    ids=["plans", "problems"],
)
def test_question_about_a_part_of_a_report_finds_that_part(
    shared_library: Library, place: str, ask: str, kind: SectionKind
) -> None:
    """Every bundled report has a problems part and a plans part (see the outlines in
    test_parse): asking a place for them must find them."""
    answer = shared_library.ask(ask.format(place))
    assert answer.answered, answer.refusal
    assert section_kind(answer.hits[0].passage.section) == kind, answer.hits[0].passage.section


@pytest.mark.parametrize(
    ("question", "issuer"), [("瓦屋镇2024年的打算", "瓦屋镇"), ("安化县2025年安排", "安化县")]
)
def test_year_after_the_report_finds_its_plans(shared_library: Library, question: str, issuer: str) -> None:
    answer = shared_library.ask(question)
    assert answer.answered, answer.refusal
    assert issuer in answer.hits[0].report.issuer
    assert section_kind(answer.hits[0].passage.section) == SectionKind.PLANS


# --- the BM25 step ------------------------------------------------------------------------


def _best(scores: np.ndarray) -> set[int]:
    """The positions of the CANDIDATES best scores above 0, and every one tied with the last."""
    held = np.flatnonzero(scores)
    if len(held) <= CANDIDATES:
        return set(held.tolist())
    kth = np.sort(scores[held])[-CANDIDATES]
    return set(np.flatnonzero(scores >= kth).tolist())


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.random(200_000).astype(np.float32) * (rng.random(200_000) < 0.5),  # common term
        lambda rng: rng.random(200_000).astype(np.float32) * (rng.random(200_000) < 0.0005),  # rare term
        lambda rng: np.round(rng.random(200_000), 1).astype(np.float32),  # many ties
        lambda rng: np.zeros(200_000, dtype=np.float32),
        lambda rng: rng.random(500).astype(np.float32),  # fewer rows than the sampling needs
    ],
    ids=["common", "rare", "ties", "none", "small"],
)
def test_holding_the_best_keeps_every_best_score(make: object) -> None:
    scores = make(np.random.default_rng(3))  # type: ignore[operator]
    kept = _holding_the_best(scores)
    assert (np.diff(kept) > 0).all() and (scores[kept] > 0).all()
    assert _best(scores) <= set(kept.tolist())


def test_narrowed_questions_score_only_their_rows_and_agree(
    shared_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    searcher = shared_library.searcher
    questions = [x["q"] for x in read_jsonl(TESTS_DATA / "questions.jsonl")]
    understood = [shared_library.understander.understand(q) for q in questions]
    narrowed = [q for q in understood if q.report_ids is not None and q.terms]
    assert narrowed
    monkeypatch.setattr(search, "NARROW_RATIO", 10**9)  # every row scored, then narrowed
    every = [searcher.candidates(q) for q in narrowed]
    monkeypatch.setattr(search, "NARROW_RATIO", 1)  # only the question's rows scored
    for q, (rows, scores) in zip(narrowed, every, strict=True):
        at_rows, at_scores = searcher.candidates(q)
        np.testing.assert_array_equal(at_rows, rows, err_msg=q.text)
        np.testing.assert_allclose(at_scores, scores, rtol=1e-6, err_msg=q.text)


# --- several years of one place -------------------------------------------------------------


def _report(lib: Library, issuer: str, year: int) -> int:
    return next(r.id for r in lib.reports() if r.issuer == issuer and r.year == year)


def test_without_a_year_the_newest_report_answers_first_and_the_other_years_are_named(
    made_library: Library,
) -> None:
    answer = made_library.ask("汝城县行政复议案件多少件", k=5)
    assert answer.hits[0].report.year == 2023
    assert answer.hits[0].report.id == _report(made_library, "汝城县人民政府办公室", 2023)
    assert answer.other_years == (2022,)
    # the older report's answer is still offered, after the newest's
    ids = [h.report.id for h in answer.hits]
    assert _report(made_library, "汝城县人民政府办公室", 2022) in ids


def test_with_a_year_that_year_answers_and_no_other_years_are_offered(made_library: Library) -> None:
    answer = made_library.ask("汝城县2022年行政复议案件多少件")
    assert {h.report.year for h in answer.hits} == {2022}
    assert answer.other_years == ()
    assert "21件" in answer.hits[0].passage.text


def test_a_place_with_one_year_offers_no_other_years(made_library: Library) -> None:
    assert made_library.ask("秀山县政务公开").other_years == ()


def test_plans_for_a_year_come_first_from_the_report_written_the_year_before(made_library: Library) -> None:
    answer = made_library.ask("汝城县2023年有什么工作计划", k=5)
    assert answer.hits[0].report.id == _report(made_library, "汝城县人民政府办公室", 2022)
    assert "持证上岗" in answer.hits[0].passage.text
    # then the year's own report's plans
    assert _report(made_library, "汝城县人民政府办公室", 2023) in [h.report.id for h in answer.hits]


def test_newest_first_only_when_the_newest_answers(made_library: Library) -> None:
    """The 2022 report alone holds 持证上岗: asked without a year, it still answers first."""
    answer = made_library.ask("汝城县执法人员持证上岗")
    assert answer.hits[0].report.year == 2022
    assert answer.other_years == (2023,)


# --- synonyms in ranking ---------------------------------------------------------------------


def test_a_synonym_counts_less_than_the_word_itself(made_library: Library) -> None:
    """县长出庭应诉: the passage with the question's own words ranks above one with synonyms only."""
    answer = made_library.ask("汝城县县长出庭应诉几次")
    assert "县长出庭应诉2次" in answer.hits[0].passage.text
    highlighted = {answer.hits[0].snippet.text[a:b] for a, b in answer.hits[0].snippet.highlights()}
    assert "县长" in highlighted


def test_traditional_characters_match_simplified_passages(made_library: Library) -> None:
    a, b = made_library.ask("汝城縣行政復議案件"), made_library.ask("汝城县行政复议案件")
    assert a.answered and [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
    assert any("行政复议" in a.hits[0].snippet.text[x:y] for x, y in a.hits[0].snippet.highlights())


def test_the_first_hit_holds_half_the_question(dev_library: Library) -> None:
    """潍坊市市长带头出庭应诉: a passage holding only 出庭应诉 may score as high by BM25, but the
    first hit is the one holding the question (市长 as 主要负责同志, 带头, 出庭应诉)."""
    answer = dev_library.ask("潍坊市市长带头出庭应诉了吗")
    assert answer.answered
    assert "带头出庭应诉1次" in answer.hits[0].passage.text


def test_a_traditional_report_answers_simplified_questions_and_is_quoted_as_written(
    empty_settings: Settings, tmp_path: Path
) -> None:
    """The body in traditional characters (the parser reads the issuer and title lines as
    simplified characters; a traditional issuer line is the parser's to fold)."""
    path = tmp_path / "汝城縣_2023.txt"
    path.write_text(
        "\n".join(
            [
                "汝城县人民政府办公室",
                "2023年法治政府建设工作报告",
                "2023年，汝城縣人民政府辦公室深入推進法治政府建設，現將有關情況報告如下。",
                "一、主要舉措和成效",
                "（一）強化行政復議。全年受理行政復議案件37件，糾錯5件，復議質效持續提升。",
                "二、存在的問題",
                "基層法治力量薄弱，專業人員不足。",
            ]
        ),
        "utf-8",
    )
    lib = Library(empty_settings)
    try:
        lib.ingest([path])
        answer = lib.ask("汝城县行政复议案件多少件")
        assert answer.answered
        hit = answer.hits[0]
        assert "行政復議案件37件" in hit.passage.text  # stored and quoted as written
        assert hit.snippet.text.strip("…") in hit.passage.text
        marked = {hit.snippet.text[a:b] for a, b in hit.snippet.highlights()}
        assert "行政復議" in marked
    finally:
        lib.store.close()


def test_what_was_done_comes_before_the_plans_unless_plans_are_asked(library: Library) -> None:
    from tests.conftest import report_text

    text = report_text(
        "宜章县人民政府办公室",
        2023,
        {
            "主要举措和成效": ["（一）抓实会前学法。全年组织县政府常务会议会前学法11次，领导干部带头讲法。"],
            "下一步工作打算": ["（一）持续抓好会前学法。把常务会议会前学法作为首要内容，领导干部带头讲法。"],
        },
    )
    library.add(library.parse("宜章县政府办_2023.txt", text.encode("utf-8")))
    done = library.ask("宜章县会前学法")
    assert "全年组织" in done.hits[0].passage.text
    plans = library.ask("宜章县会前学法下一步打算")
    assert "持续抓好" in plans.hits[0].passage.text


@pytest.mark.parametrize(
    "pasted",
    ["带头出庭应诉1次", "带头出庭应诉1次，"],  # 潍坊市's words, no place named; punctuation copied too
)
def test_a_pasted_phrase_ranks_the_passage_holding_it_first(dev_library: Library, pasted: str) -> None:
    answer = dev_library.ask(pasted)
    assert answer.answered
    first = answer.hits[0]
    assert "带头出庭应诉1次" in first.passage.text and first.report.issuer == "潍坊市人民政府"


def test_a_narrowed_question_in_everyday_words_gets_the_closest_passages_said_so(
    shared_library: Library,
) -> None:
    # 镇长 is no word of the report (主要负责人 is); 去哪调研 is not either: the closest
    # passages of 瓦屋镇's report, with a lead line saying they are only the closest.
    answer = shared_library.ask("瓦屋镇镇长去哪调研了")
    assert answer.answered and answer.partial
    assert all(h.report.place == "瓦屋镇" for h in answer.hits)
    assert "主要负责人" in answer.hits[0].passage.text


def test_a_question_the_report_answers_is_not_partial(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开数据")
    assert answer.answered and not answer.partial


@pytest.mark.parametrize(
    "question",
    [
        "秀山县明天天气怎么样",
        "秀山县帮我写首诗",
        "潢川县股票涨了吗",
        "蓝山县今天几号",
        "今天几号",
        "帮我推荐几只股票",
    ],
)
def test_off_topic_questions_stay_refused_with_a_place_or_without(
    shared_library: Library, question: str
) -> None:
    assert not shared_library.ask(question).answered


@pytest.mark.parametrize("question", ["2023年法治政府建设", "秀山县政务公开", "人民政府2022年"])
def test_rows_of_many_reports_are_the_rows_of_each(
    dev_library: Library, question: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in one pass (many reports) or report by report, a question's rows are the same."""
    searcher = dev_library.searcher
    q = dev_library.understander.understand(question)
    assert q.report_ids
    by_report = searcher._rows_of(q)
    monkeypatch.setattr(search, "MANY_REPORTS", 0)
    in_one_pass = searcher._rows_of(q)
    assert by_report is not None and len(by_report)
    assert in_one_pass is not None and in_one_pass.tolist() == by_report.tolist()
    assert set(searcher.report_ids[by_report].tolist()) == set(q.report_ids) & set(searcher.reports)


def test_many_plans_passages_leave_each_reports_first(
    dev_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too many passages of the part asked about: each report's first ones are kept."""
    searcher = dev_library.searcher
    plans = np.flatnonzero(searcher.kinds == SectionKind.PLANS)
    reports = searcher.report_ids[plans]
    firsts = sorted(int(plans[reports == r].min()) for r in set(reports.tolist()))
    assert len(firsts) >= 4
    monkeypatch.setattr(search, "CANDIDATES", len(firsts))
    assert searcher._openings(plans).tolist() == firsts


@pytest.mark.parametrize(
    "question",
    [
        "龙胜梯田门票多少钱",  # 梯田 is in 龙胜's report, 门票 in none: about something else
        "松阳县有什么美食",
        "2023年最火的电视剧",  # a year alone narrows to nearly every report
        "2022年股市行情怎么样",
    ],
)
def test_closest_passages_are_no_answer_to_a_question_about_something_else(
    dev_library: Library, question: str
) -> None:
    answer = dev_library.ask(question)
    assert not answer.answered and answer.refusal == Refusal.NO_MATCH


def test_everyday_verbs_the_reports_do_not_use_still_get_the_closest_passages(
    shared_library: Library,
) -> None:
    # 调解 is no word of 瓦屋镇's report (化解 is): the closest passages, said to be so
    answer = shared_library.ask("瓦屋镇调解了多少纠纷")
    assert answer.answered and "排查化解矛盾纠纷92起" in answer.hits[0].passage.text
