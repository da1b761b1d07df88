"""Comparisons (retrieval.compare) through real libraries: a group or a missing entry for every
side named, each side narrowed to its own reports, questions across reports grouped by report."""

from __future__ import annotations

import dataclasses

import pytest

from retrieval import texts
from retrieval.compare import mark_figures, report_keys
from retrieval.evaluate import first_right, read_questions
from retrieval.library import Library
from retrieval.models import Answer, Snippet, Span
from tests.conftest import TESTS_DATA


def sides(answer: Answer) -> list[str]:
    return [g.key for g in answer.groups] + list(answer.missing)


def check_flat(answer: Answer, best_first: bool = False) -> None:
    """The flat hits start with each group's best, in the groups' order (across reports the
    groups go best first), numbered 1…n, and hold every group's hits."""
    assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))
    flat = [h.passage.id for h in answer.hits]
    assert {h.passage.id for g in answer.groups for h in g.hits} <= set(flat)
    firsts = [g.hits[0].passage.id for g in answer.groups]
    assert flat[: len(firsts)] == firsts
    assert len(set(flat)) == len(flat)
    if best_first:
        scores = [h.score for h in answer.hits[: len(firsts)]]
        assert scores == sorted(scores, reverse=True)


# --- places named --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("秀山县和潢川县的政务公开比较", ["秀山县", "潢川县"]),
        ("潢川县和安化县哪个立案率高", ["潢川县", "安化县"]),
        ("秀山、潢川、安化的政务公开", ["秀山", "潢川", "安化"]),
        ("对比一下蓝山县与瓦屋镇的普法宣传", ["蓝山县", "瓦屋镇"]),
        ("湖南省蓝山县和河南省潢川县的政务公开", ["蓝山县", "潢川县"]),
        ("秀山县和北京市的政务公开", ["秀山县", "北京市"]),
        ("秀山县和张庄镇的政务公开", ["秀山县", "张庄镇"]),
        ("安化县、潢川县、秀山县分别化解了多少矛盾纠纷", ["安化县", "潢川县", "秀山县"]),
    ],
)
def test_every_named_place_gets_a_group_or_a_missing_entry(
    shared_library: Library, question: str, named: list[str]
) -> None:
    answer = shared_library.ask(question)
    assert sorted(sides(answer)) == sorted(named)
    for g in answer.groups:
        assert g.report is not None and g.hits
        # Each side is answered from its own reports only.
        full = shared_library.understander.understand(g.key).places[0]
        assert all(full in h.report.places for h in g.hits)
        assert g.report == g.hits[0].report
    if answer.groups:
        check_flat(answer)


def test_a_side_whose_report_says_nothing_is_missing_with_a_sentence(shared_library: Library) -> None:
    answer = shared_library.ask("潢川县和安化县哪个立案率高")
    assert answer.answered
    assert [g.key for g in answer.groups] == ["安化县"]
    assert "立案率为82%" in answer.groups[0].hits[0].passage.text
    assert answer.missing == ("潢川县",)
    assert texts.missing(answer, "潢川县") == "潢川县的报告中没有提到立案率。"


def test_a_place_without_a_report_is_missing_as_such(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县和北京市的政务公开")
    assert answer.missing == ("北京市",)
    assert texts.missing(answer, "北京市") == "暂未收录北京市的报告。"
    assert "18778" in answer.groups[0].hits[0].passage.text


def test_the_comparing_words_are_not_searched(shared_library: Library) -> None:
    # 比较 alone weighs more than 政务公开 (it is in no passage): searched, it sank the question.
    answer = shared_library.ask("秀山县和潢川县的政务公开比较")
    assert "比较" not in answer.query.terms
    assert [g.key for g in answer.groups] == ["秀山县", "潢川县"]
    assert all("政务公开" in h.passage.text for h in answer.hits)


def test_every_side_silent_is_refused_with_the_sides_listed(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县和潢川县的招商引资到位资金比较")
    assert not answer.answered
    assert answer.refusal is not None
    assert sorted(answer.missing) == ["潢川县", "秀山县"]


@pytest.mark.parametrize(
    "question",
    [
        "湖南省蓝山县督办通知下发了多少件",
        "鲁山县瓦屋镇化解了多少矛盾纠纷",
        "秀山县政务公开数据",
        "秀山县各部门的政务公开",
        "安化县政协为多少个乡镇配备了消防车辆",
    ],
)
def test_one_place_and_the_places_it_lies_in_are_no_comparison(
    shared_library: Library, question: str
) -> None:
    answer = shared_library.ask(question)
    assert answer.answered and not answer.groups and not answer.missing
    assert answer.hits == shared_library.searcher.ask(question).hits


# --- years named ---------------------------------------------------------------------------


def test_two_years_of_a_place_side_by_side(years_library: Library) -> None:
    answer = years_library.ask("汝城县2022年和2023年行政复议案件对比")
    assert [g.key for g in answer.groups] == ["2022年", "2023年"]
    by_key = {g.key: g for g in answer.groups}
    assert by_key["2022年"].report is not None and by_key["2022年"].report.year == 2022
    assert "29件" in by_key["2022年"].hits[0].passage.text
    assert "37件" in by_key["2023年"].hits[0].passage.text
    check_flat(answer)


def test_a_year_without_a_report_is_missing(years_library: Library) -> None:
    answer = years_library.ask("汝城县2020年和2023年行政复议案件对比")
    assert [g.key for g in answer.groups] == ["2023年"]
    assert answer.missing == ("2020年",)
    assert texts.missing(answer, "2020年") == "暂未收录汝城县2020年的报告；有：2022年、2023年。"


# --- across reports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("哪些地方推进了政务公开", "政务公开"),
        ("各县的矛盾纠纷化解情况", "矛盾纠纷"),
        ("哪些地方开展了普法", "普法"),
    ],
)
def test_a_question_across_reports_gets_the_best_passage_of_each_report(
    shared_library: Library, question: str, word: str
) -> None:
    answer = shared_library.ask(question)
    assert answer.answered and answer.groups and not answer.missing
    reports = [g.report.id for g in answer.groups if g.report]
    assert len(reports) == len(set(reports)) == len(answer.groups)
    # The usual relevance bar: reports that say nothing of it are left out.
    for g in answer.groups:
        assert word in g.hits[0].passage.text
    check_flat(answer, best_first=True)


ACROSS_DEV = [
    "哪些地方开展了行政执法案卷评查",
    "哪些地方推行了轻微违法不予处罚",
    "哪些地方培养了法律明白人",
    "湖北省各地的矛盾纠纷化解情况",
]


@pytest.mark.parametrize("question", ACROSS_DEV)
def test_corpus_dev_questions_across_reports_show_every_place_that_did_it(
    dev_library: Library, question: str
) -> None:
    (expect,) = [
        q.expect for q in read_questions(TESTS_DATA / "corpus-dev" / "questions.jsonl") if q.q == question
    ]
    answer = dev_library.ask(question, k=5)
    assert first_right(answer, expect) == 1  # the flat list, as `reportbot eval` reads it
    best = [g.hits[0].passage.text for g in answer.groups]
    assert all(any(e in text for text in best) for e in expect)  # each place's passage is a group
    check_flat(answer, best_first=True)


def test_across_reports_of_one_region_stays_in_it(shared_library: Library) -> None:
    answer = shared_library.ask("湖南省各地的法治宣传教育")
    assert answer.groups
    assert all(g.report is not None and "湖南省" in g.report.places for g in answer.groups)


def test_across_reports_ranks_the_ordinary_best_first(shared_library: Library) -> None:
    question = "哪些地方推进了政务公开"
    ordinary = shared_library.searcher.ask("推进了政务公开", k=1)
    answer = shared_library.ask(question)
    assert answer.hits[0].passage.id == ordinary.hits[0].passage.id


def test_across_the_years_of_one_place_is_no_comparison(years_library: Library) -> None:
    answer = years_library.ask("汝城县各乡镇的行政复议")
    assert not answer.groups and answer.hits


def test_across_reports_keys_two_reports_of_a_place_apart(years_library: Library) -> None:
    answer = years_library.ask("各县的行政复议工作")  # asks for passages, not a figure
    keys = [g.key for g in answer.groups]
    assert len(keys) == len(set(keys))
    # Two years of 汝城县's 政府办: its issuer and the year.
    assert {"汝城县人民政府办公室（2023年）", "汝城县人民政府办公室（2022年）"} <= set(keys)
    (hit,) = [g.hits[0] for g in answer.groups if g.key.endswith("（2023年）")]
    # Beside a report of another of its issuers, the same year: the issuers tell them apart.
    police = dataclasses.replace(hit, report=dataclasses.replace(hit.report, id=999, issuer="汝城县公安局"))
    assert report_keys([hit, police]) == ["汝城县人民政府办公室", "汝城县公安局"]


def test_comparing_words_without_sides_are_not_searched(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开情况比较")
    assert not answer.groups and "比较" not in answer.query.terms
    assert "18778" in answer.hits[0].passage.text


def test_an_across_question_nothing_answers_is_refused(shared_library: Library) -> None:
    answer = shared_library.ask("哪些地方的股票涨了")
    assert not answer.answered and not answer.groups


def test_the_flat_list_goes_on_with_further_passages_of_the_sides(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县和潢川县的政务公开比较", k=5)
    assert len(answer.groups) == 2 and len(answer.hits) > 2
    places = [h.report.place for h in answer.hits]
    assert set(places) <= {"秀山土家族苗族自治县", "潢川县"}
    # Each side's best, then each side's second best: no side's third before another's second.
    assert places[:2] == ["秀山土家族苗族自治县", "潢川县"]
    assert len(shared_library.ask("秀山县和潢川县的政务公开比较", k=1).hits) == 2  # every group's best


def test_a_later_page_of_a_comparison_is_empty(shared_library: Library) -> None:
    assert not shared_library.ask("秀山县和潢川县的政务公开比较", offset=3).hits


# --- figures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("2024年共提交提案111件，立案率为82%，办复率100%。", ["111件", "82%", "100%"]),
        ("抽查行政执法案卷3860卷，培育“法律明白人”1.8万名", ["3860卷", "1.8万名"]),
        ("接听法律咨询26.7万人次，压缩至0.5个工作日", ["26.7万人次", "0.5个工作日"]),
        ("2023年3月起施行", []),
    ],
)
def test_figures_are_marked_and_years_are_not(text: str, figures: list[str]) -> None:
    marked = mark_figures(Snippet((Span(text),)))
    assert marked.text == text
    assert [s.text for s in marked.spans if s.match] == figures


def test_marking_figures_keeps_the_terms_marked() -> None:
    snippet = Snippet((Span("全年"), Span("立案率", match=True), Span("为82%。")))
    marked = mark_figures(snippet)
    assert [s.text for s in marked.spans if s.match] == ["立案率", "82%"]


def test_comparison_hits_have_their_figures_marked(shared_library: Library) -> None:
    answer = shared_library.ask("潢川县和安化县哪个立案率高")
    marked = [s.text for s in answer.groups[0].hits[0].snippet.spans if s.match]
    assert "82%" in marked


def test_a_question_across_reports_about_a_figure_is_a_ranking(shared_library: Library) -> None:
    # 哪个县的立案率最高 asks for a figure (tests/test_ranking.py), not groups; only 安化县's
    # 政协 states one, so there is no ranking: its passage, with a lead saying so.
    answer = shared_library.ask("哪个县的立案率最高")
    assert answer.table is None and not answer.groups
    assert answer.lead == "只有 1 个县的报告给出立案率，无法排名：政协安化县委员会办公室（2024年）82%"


def test_across_reports_quotes_four_and_names_the_rest_with_their_buttons(dev_library: Library) -> None:
    from bot.core.conversation import answer_part
    from retrieval import texts

    answer = dev_library.ask("哪些地方开展了普法宣传")
    assert len(answer.groups) == 4 and answer.also  # a phone screen's worth quoted, the rest named
    quoted = {g.report.id for g in answer.groups if g.report is not None}
    assert not quoted & {r.id for r in answer.also}
    part = answer_part(answer, query_id=1)
    assert texts.also(answer) in part.notes
    named = {a.label for row in part.actions for a in row}
    for r in answer.also:  # every report the reply names has its button, by place and year
        assert any(r.place in label and str(r.year) in label for label in named)


def test_a_side_refused_for_its_year_says_so_not_that_it_says_nothing(years_library: Library) -> None:
    # 蓝山县 has a report of 2022 only: its side was never searched for 2023, so its line
    # gives the years it has rather than 蓝山县的报告中没有提到…
    answer = years_library.ask("汝城县和蓝山县2023年行政复议案件对比")
    assert [g.key for g in answer.groups] == ["汝城县"]
    assert answer.missing == ("蓝山县",)
    assert texts.missing(answer, "蓝山县") == "暂未收录蓝山县2023年的报告；有：2022年。"
