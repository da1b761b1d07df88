"""retrieval.snippets: one to three verbatim sentences, '…' where cut, highlights on the terms."""

from __future__ import annotations

import pytest

from retrieval.library import Library
from retrieval.models import Snippet
from retrieval.snippets import MAX_SNIPPET_CHARS, make_snippet, sentences, term_matches
from retrieval.tokenize import fold

ELLIPSIS = "…"


def core(snippet: Snippet) -> str:
    """The quoted text: the snippet without the '…' spans that mark cuts."""
    spans = list(snippet.spans)
    if spans and spans[0].text == ELLIPSIS and not spans[0].match:
        spans = spans[1:]
    if spans and spans[-1].text == ELLIPSIS and not spans[-1].match:
        spans = spans[:-1]
    return "".join(s.text for s in spans)


def assert_well_formed(snippet: Snippet, text: str, max_chars: int = MAX_SNIPPET_CHARS) -> None:
    quoted = core(snippet)
    assert quoted, "empty snippet"
    assert quoted in text, "not verbatim"
    assert len(quoted) <= max_chars
    start = text.index(quoted)
    starts_cut = snippet.text.startswith(ELLIPSIS) and snippet.spans[0].text == ELLIPSIS
    ends_cut = snippet.text.endswith(ELLIPSIS) and snippet.spans[-1].text == ELLIPSIS
    assert starts_cut == (text[:start].strip() != "")
    assert ends_cut == (text[start + len(quoted) :].strip() != "")
    assert 1 <= len(sentences(quoted)) <= 3


SIX = (
    "第一句话没有关键词。第二句讲政务公开，公开信息18778条。第三句讲政务服务。"
    "第四句也没有。第五句讲天气。第六句结束。"
)


def test_sentences_cover_the_text_with_their_punctuation() -> None:
    spans = sentences(SIX)
    assert [SIX[a:b] for a, b in spans] == [
        "第一句话没有关键词。",
        "第二句讲政务公开，公开信息18778条。",
        "第三句讲政务服务。",
        "第四句也没有。",
        "第五句讲天气。",
        "第六句结束。",
    ]
    assert sentences("没有句号的文字") == [(0, 7)]
    assert [x for x in sentences("问句吗？感叹！分号；结束") if x] == [(0, 4), (4, 7), (7, 10), (10, 12)]


def test_term_matches_longest_first_and_not_overlapping() -> None:
    text = "政务公开和公开信息"
    assert term_matches(text, ["公开", "政务公开"]) == [(0, 4), (5, 7)]
    assert term_matches(text, ["不存在"]) == []
    assert term_matches("ＡＢＣ公开", ["abc"]) == [(0, 3)]


def test_best_sentence_is_the_one_with_the_terms_and_is_marked() -> None:
    s = make_snippet(SIX, {"天气": 3.0})
    assert core(s) == "第五句讲天气。第六句结束。"
    assert s.text.startswith(ELLIPSIS) and not s.text.endswith(ELLIPSIS)
    assert [s.text[a:b] for a, b in s.highlights()] == ["天气"]


def test_highlights_point_at_every_matched_term() -> None:
    s = make_snippet(SIX, {"政务公开": 3.0, "公开": 1.0})
    assert "第二句讲政务公开，公开信息18778条。" in s.text
    assert_well_formed(s, SIX)
    marked = [s.text[a:b] for a, b in s.highlights()]
    assert marked == ["政务公开", "公开"]
    assert all(sp.match == (sp.text in {"政务公开", "公开"}) for sp in s.spans if sp.text != ELLIPSIS)


def test_single_characters_are_not_highlighted_but_numbers_are() -> None:
    s = make_snippet("共办理案件5件，涉及县乡两级。", {"县": 1.0, "5": 1.0, "案件": 1.0})
    assert [s.text[a:b] for a, b in s.highlights()] == ["案件", "5"]


def test_snippet_starting_at_the_passage_start_has_no_leading_ellipsis() -> None:
    s = make_snippet(SIX, {"第一句": 3.0})
    assert not s.text.startswith(ELLIPSIS)
    assert s.text.endswith(ELLIPSIS)
    assert_well_formed(s, SIX)


def test_whole_short_passage_is_quoted_without_ellipsis() -> None:
    s = make_snippet("短文本没有句号", {"文本": 1.0})
    assert s.text == "短文本没有句号"
    assert [s.text[a:b] for a, b in s.highlights()] == ["文本"]


def test_no_term_in_the_passage_still_quotes_its_opening() -> None:
    s = make_snippet(SIX, {"不存在": 2.0})
    assert core(s).startswith("第一句话没有关键词。")
    assert s.highlights() == []
    assert_well_formed(s, SIX)


def test_at_most_three_sentences() -> None:
    text = "政务公开。政务公开。政务公开。政务公开。政务公开。政务公开。"
    s = make_snippet(text, {"政务公开": 1.0})
    assert len(sentences(core(s))) == 3
    assert_well_formed(s, text)


def test_neighbour_without_the_terms_does_not_join_a_long_best_sentence() -> None:
    best = "本年度持续深化政务公开工作，政府网站公开政府信息一万余条，微信公众号转载重要政策信息一百余条。"
    text = (
        "其他方面的工作也在稳步推进当中，各项任务都已经按计划全部完成了。" + best + "另外一句毫无关联的话语。"
    )
    s = make_snippet(text, {"政务公开": 2.0})
    assert core(s) == best


@pytest.mark.parametrize("max_chars", [40, 80, 120, 220])
def test_long_sentence_is_cut_around_its_match(max_chars: int) -> None:
    text = "甲" * 300 + "政务公开" + "乙" * 300 + "。后面一句。"
    s = make_snippet(text, {"政务公开": 2.0}, max_chars=max_chars)
    assert_well_formed(s, text, max_chars)
    assert s.text.startswith(ELLIPSIS) and s.text.endswith(ELLIPSIS)
    assert [s.text[a:b] for a, b in s.highlights()] == ["政务公开"]
    # the match sits in the first part of the cut, with context before it
    a, _ = s.highlights()[0]
    assert 1 < a <= max_chars // 2


def test_match_at_the_end_of_a_long_sentence_is_kept() -> None:
    text = "甲" * 500 + "矛盾纠纷。"
    s = make_snippet(text, {"矛盾纠纷": 2.0}, max_chars=100)
    assert "矛盾纠纷" in s.text
    assert_well_formed(s, text, 100)


def test_figure_sentence_preferred_when_figures_are_wanted() -> None:
    first = "本年度持续深化政务公开工作，进一步完善工作机制，明确责任分工，推动各项任务落实落细落到位。"
    second = "全年通过政务公开平台发布政府信息共计一万八千七百七十八条，政策解读信息20条，回应关切。"
    text = first + second
    plain = make_snippet(text, {"政务公开": 2.0}, max_chars=60)
    figures = make_snippet(text, {"政务公开": 2.0}, wants_figures=True, max_chars=60)
    assert core(plain) == first
    assert core(figures) == second


def test_snippets_of_real_passages_are_verbatim_and_bounded(shared_library: Library) -> None:
    """Every passage of the bundled reports, with a few term sets: the invariants hold."""
    store = shared_library.store
    passages = store.passages([row[0] for row in store.iter_index_rows()])
    assert len(passages) > 40
    term_sets = [
        {"政务公开": 2.0, "公开": 1.0},
        {"矛盾纠纷": 3.0, "化解": 1.0},
        {"法治": 1.0},
        {"不存在的词": 2.0},
    ]
    for p in passages.values():
        for weights in term_sets:
            for wants in (False, True):
                s = make_snippet(p.text, weights, wants_figures=wants)
                assert_well_formed(s, p.text)
                for a, b in s.highlights():
                    assert s.text[a:b] in weights


@pytest.mark.parametrize(
    ("text", "folded"),
    [("ＡＢＣ１２３", "abc123"), ("（一）政务公开", "(一)政务公开"), ("法治政府", "法治政府"), ("㎡", "m")],
)
def test_fold_normalises_and_keeps_offsets(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert len(fold(text)) == len(text)
