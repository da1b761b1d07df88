"""Answer quality on the question sets, through retrieval.evaluate: the bar every change keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.evaluate import EvalResult, Question, evaluate, first_right, read_questions
from retrieval.library import Library
from tests.conftest import TESTS_DATA, copy_data

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


# --- with corpus-dev ingested ---------------------------------------------------------------
#
# The bars of issue 8: on corpus-dev with its reports ingested, Hit@1 ≥ 0.90, Hit@3 ≥ 0.97 and
# all 8 off-corpus questions refused; the public set keeps its bar with corpus-dev beside it.
# The question side is also measured apart from the reader and the parser, with meta.json's
# metadata written into the stored reports: a fall there is the question side's own.

CORPUS_DEV = TESTS_DATA / "corpus-dev"


def _with_meta(lib: Library) -> None:
    """Write meta.json's issuer, year, title and places into the stored reports."""
    meta = json.loads((CORPUS_DEV / "meta.json").read_text("utf-8"))
    with lib.store.db.conn:
        for source, m in meta.items():
            lib.store.db.execute(
                "UPDATE reports SET issuer = ?, year = ?, title = ?, places = ? WHERE source = ?",
                [m["issuer"], m["year"], m["title"], json.dumps(m["places"], ensure_ascii=False), source],
            )
    lib.reindex()


@pytest.fixture(scope="module")
def dev_results(dev_library: Library, tmp_path_factory: pytest.TempPathFactory) -> dict[str, EvalResult]:
    dev = read_questions(CORPUS_DEV / "questions.jsonl")
    public = read_questions(TESTS_DATA / "questions.jsonl")
    out = {
        "corpus-dev": evaluate(dev_library.ask, dev),
        "public beside corpus-dev": evaluate(dev_library.ask, public),
    }
    patched = Library(copy_data(dev_library, tmp_path_factory.mktemp("dev-meta") / "data"))
    _with_meta(patched)
    out["corpus-dev, meta.json's metadata"] = evaluate(patched.ask, dev)
    patched.store.close()
    return out


def _bar(res: EvalResult, hit1: float, hit3: float) -> None:
    assert res.hit1 / res.answerable >= hit1, res.summary() + "\n" + "\n".join(res.misses)
    assert res.hit3 / res.answerable >= hit3, res.summary() + "\n" + "\n".join(res.misses)
    assert res.refused == res.off_corpus, "\n".join(res.misses)
    assert res.wrongly_refused == 0, "\n".join(res.misses)


@pytest.mark.parametrize("which", ["corpus-dev", "corpus-dev, meta.json's metadata"])
def test_corpus_dev_meets_the_bar(dev_results: dict[str, EvalResult], which: str) -> None:
    """0.983 / 1.000 and 8 of 8 refused today, both ways. The one Hit@1 miss,
    临城县行政复议案件多少件, answers from the newest year (2023) first, as it should; the
    expected 2023 passage ranks second there, after another 2023 passage on 行政复议."""
    res = dev_results[which]
    assert res.answerable == 60 and res.off_corpus == 8
    _bar(res, 0.90, 0.97)


def test_the_public_set_keeps_its_bar_beside_corpus_dev(dev_results: dict[str, EvalResult]) -> None:
    """枫桥经验 alone ranks 2: 柳林乡's `坚持和发展新时代“枫桥经验”` answers it as well as the
    expected passage (the expected words lack 新时代) and ranks first. No place of the public
    set has a second year in corpus-dev, so no answer changes for that."""
    res = dev_results["public beside corpus-dev"]
    _bar(res, 0.97, 1.0)


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
