"""Answer quality on the question sets, through retrieval.evaluate: the bar every change keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.evaluate import EvalResult, Question, evaluate, first_right, read_questions
from retrieval.library import Library
from tests.conftest import TESTS_DATA

SETS = {
    "public": (TESTS_DATA / "questions.jsonl", 2),
    "dev": (TESTS_DATA / "dev_questions.jsonl", 4),
}


@pytest.fixture(scope="module", params=sorted(SETS))
def result(request: pytest.FixtureRequest, shared_library: Library) -> tuple[EvalResult, list[Question], int]:
    path, off_corpus = SETS[request.param]
    questions = read_questions(path)
    return evaluate(shared_library.ask, questions), questions, off_corpus


def test_question_set_is_as_expected(result: tuple[EvalResult, list[Question], int]) -> None:
    res, questions, off_corpus = result
    assert res.off_corpus == off_corpus == sum(not q.expect for q in questions)
    assert res.answerable == len(questions) - off_corpus
    assert res.answerable >= 20


def test_hit_at_1(result: tuple[EvalResult, list[Question], int]) -> None:
    res, _, _ = result
    assert res.hit1 / res.answerable >= 0.90, "\n".join(res.misses)


def test_hit_at_3(result: tuple[EvalResult, list[Question], int]) -> None:
    res, _, _ = result
    assert res.hit3 / res.answerable >= 0.97, "\n".join(res.misses)


def test_off_corpus_questions_are_refused(result: tuple[EvalResult, list[Question], int]) -> None:
    res, _, _ = result
    assert res.refused == res.off_corpus, "\n".join(res.misses)


def test_answerable_questions_are_not_refused(result: tuple[EvalResult, list[Question], int]) -> None:
    res, _, _ = result
    assert res.wrongly_refused == 0, "\n".join(res.misses)


def test_expected_excerpts_are_in_the_reports(shared_library: Library) -> None:
    """Each expected string is verbatim in some stored passage: the sets test real text."""
    texts = [row[3] for row in shared_library.store.iter_index_rows()]
    for path, _ in SETS.values():
        for q in read_questions(path):
            for e in q.expect:
                assert any(e in t for t in texts), (path.name, q.q, e)


# --- the evaluator itself -----------------------------------------------------------------


def test_evaluate_counts_ranks_and_refusals(shared_library: Library) -> None:
    questions = [
        Question("秀山县政务公开数据", ("政府网站公开政府信息18778条",)),
        Question("今天天气怎么样", ()),
        Question("秀山县政务公开数据", ("这句话不在任何报告里",)),
    ]
    res = evaluate(shared_library.ask, questions)
    answer = shared_library.ask("秀山县政务公开数据", k=5)
    rank = first_right(answer, ("政府网站公开政府信息18778条",))
    assert rank is not None
    assert (res.answerable, res.off_corpus, res.refused) == (2, 1, 1)
    assert res.hit1 == (rank == 1) and res.hit3 == (rank <= 3)
    assert res.rr5 == pytest.approx(1 / rank)
    assert len(res.misses) == 1 + (rank > 1)
    summary = res.summary()
    assert "questions: 2 answerable, 1 off-corpus" in summary
    assert "off-corpus refused: 1/1" in summary


def test_read_questions_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"q": "a", "expect": ["b"]}\n\n{"q": "c"}\nnot json\n', "utf-8")
    with pytest.raises(ValueError, match=r"q\.jsonl:4"):
        read_questions(path)
    path.write_text('{"q": "a", "expect": ["b"]}\n\n{"q": "c"}\n', "utf-8")
    assert read_questions(path) == [Question("a", ("b",)), Question("c", ())]
