"""retrieval.index: the bm25s and rank-bm25 engines agree, follow the Engine protocol, and a saved
bm25s index loads (memory-mapped) to the same scores."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from retrieval.index import Bm25sEngine, Engine, IndexMissing, RankBm25Engine, lucene_idf

# No term is in more than three of the eight documents (so Robertson's idf is never negative
# and rank-bm25's floor for negative idfs never applies); some terms occur twice or three times.
CORPUS = [
    ["法治", "政府", "建设", "法治"],
    ["政务", "公开", "信息", "公开", "公开"],
    ["矛盾", "纠纷", "化解"],
    ["法治", "宣传", "普法"],
    ["政务", "服务", "一件事"],
    ["督查", "督办", "通知", "督办"],
    ["矛盾", "调解", "人民", "调解"],
    ["普法", "宣传", "教育", "法治", "学习", "培训"],
]
QUERIES = [
    ["法治"],
    ["公开"],
    ["政务", "公开"],
    ["矛盾", "调解"],
    ["普法", "宣传", "法治"],
    ["督办", "不在词表"],
    ["不在词表"],
]
K1, B = 1.2, 0.75


def df(term: str) -> int:
    return sum(term in doc for doc in CORPUS)


def test_corpus_keeps_every_term_under_half_the_documents() -> None:
    assert max(df(t) for doc in CORPUS for t in doc) < len(CORPUS) / 2


def build(engine: str, variant: str, corpus: list[list[str]] = CORPUS) -> Engine:
    if engine == "bm25s":
        return Bm25sEngine.build(corpus, variant=variant, k1=K1, b=B)  # type: ignore[arg-type]
    return RankBm25Engine(corpus, variant=variant, k1=K1, b=B)  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", ["robertson", "bm25+"])
def test_engines_give_the_same_scores(variant: str) -> None:
    fast, reference = build("bm25s", variant), build("rank-bm25", variant)
    for query in QUERIES:
        np.testing.assert_allclose(
            fast.scores(query), reference.scores(query), rtol=1e-5, atol=1e-6, err_msg=str(query)
        )


@pytest.mark.parametrize(
    ("engine", "variant"),
    [
        ("bm25s", "lucene"),
        ("bm25s", "robertson"),
        ("bm25s", "atire"),
        ("bm25s", "bm25l"),
        ("bm25s", "bm25+"),
        ("rank-bm25", "robertson"),
        ("rank-bm25", "bm25+"),
    ],
)
def test_scores_follow_the_engine_protocol(engine: str, variant: str) -> None:
    """One float32 score per document, 0 where no query token occurs (Engine.scores)."""
    e = build(engine, variant)
    assert len(e) == len(CORPUS)
    for query in QUERIES:
        scores = e.scores(query)
        assert scores.dtype == np.float32
        assert scores.shape == (len(CORPUS),)
        holds = np.array([any(t in doc for t in query) for doc in CORPUS])
        assert (scores[~holds] == 0).all(), (query, scores)
        assert (scores[holds] > 0).all(), (query, scores)


@pytest.mark.parametrize(
    ("engine", "variant"), [("bm25s", "lucene"), ("bm25s", "bm25+"), ("rank-bm25", "robertson")]
)
def test_scores_at_some_documents_are_their_scores(engine: str, variant: str) -> None:
    e = build(engine, variant)
    rng = np.random.default_rng(7)
    subsets = [np.arange(len(CORPUS)), np.array([], dtype=np.int64), np.array([7]), np.array([0, 3, 5])]
    subsets += [np.sort(rng.choice(len(CORPUS), size=4, replace=False)) for _ in range(5)]
    for query in [*QUERIES, ["法治", "法治"]]:
        every = e.scores(query)
        for docs in subsets:
            np.testing.assert_array_equal(e.scores_at(query, docs), every[docs], err_msg=str((query, docs)))


@pytest.mark.parametrize("engine", ["bm25s", "rank-bm25"])
def test_doc_freq(engine: str) -> None:
    e = build(engine, "robertson")
    for term in {t for doc in CORPUS for t in doc}:
        assert e.doc_freq(term) == df(term), term
    assert e.doc_freq("不在词表") == 0


def test_doc_freq_engines_agree() -> None:
    a, b = build("bm25s", "lucene"), build("rank-bm25", "bm25+")
    for term in ["法治", "公开", "调解", "不在词表"]:
        assert a.doc_freq(term) == b.doc_freq(term)


def test_lucene_scores_follow_the_formula() -> None:
    """Lucene's BM25 (no constant k1 + 1 factor), computed by hand."""
    e = build("bm25s", "lucene")
    n = len(CORPUS)
    avgdl = sum(map(len, CORPUS)) / n
    for query in QUERIES:
        expected = []
        for doc in CORPUS:
            s = 0.0
            for t in query:
                tf = doc.count(t)
                if tf:
                    s += lucene_idf(df(t), n) * tf / (tf + K1 * (1 - B + B * len(doc) / avgdl))
            expected.append(s)
        np.testing.assert_allclose(e.scores(query), expected, rtol=1e-5, atol=1e-6)


def test_more_occurrences_score_higher_and_rare_terms_weigh_more() -> None:
    e = build("bm25s", "lucene")
    # 法治 twice in doc 0 (length 4) beats once in doc 3 (length 3)
    s = e.scores(["法治"])
    assert s[0] > s[3] > 0
    # 政府 (in one doc) weighs more than 法治 (in three) for the same doc
    assert e.scores(["政府"])[0] > 0
    assert lucene_idf(df("政府"), 8) > lucene_idf(df("法治"), 8)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    built = Bm25sEngine.build(CORPUS, variant="lucene", k1=K1, b=B)
    built.save(tmp_path / "bm25s")
    loaded = Bm25sEngine.load(tmp_path / "bm25s", mmap=True)
    assert len(loaded) == len(built)
    assert isinstance(loaded.model.scores["data"], np.memmap)
    for query in QUERIES:
        assert np.array_equal(loaded.scores(query), built.scores(query)), query
    for term in {t for doc in CORPUS for t in doc} | {"不在词表"}:
        assert loaded.doc_freq(term) == built.doc_freq(term)


@pytest.mark.parametrize("variant", ["robertson", "bm25+"])
def test_save_and_load_keeps_the_variant(tmp_path: Path, variant: str) -> None:
    built = Bm25sEngine.build(CORPUS, variant=variant)  # type: ignore[arg-type]
    built.save(tmp_path / "bm25s")
    loaded = Bm25sEngine.load(tmp_path / "bm25s")
    for query in QUERIES:
        assert np.array_equal(loaded.scores(query), built.scores(query)), query


def test_load_of_nothing_raises_index_missing(tmp_path: Path) -> None:
    with pytest.raises(IndexMissing):
        Bm25sEngine.load(tmp_path / "nothing-here")


@pytest.mark.parametrize(
    ("engine", "variant"),
    [("bm25s", "lucene"), ("bm25s", "bm25+"), ("rank-bm25", "robertson"), ("rank-bm25", "bm25+")],
)
def test_empty_corpus_scores_nothing(engine: str, variant: str) -> None:
    """index.py: 'bm25s cannot index nothing; an empty document scores 0 for all'."""
    e = build(engine, variant, corpus=[])
    scores = e.scores(["法治"])
    assert not np.isnan(scores).any()
    assert not scores.any()
    assert e.doc_freq("法治") == 0


@pytest.mark.parametrize("variant", ["lucene", "atire", "bm25l"])
def test_rank_bm25_refuses_variants_it_has_not_got_right(variant: str) -> None:
    with pytest.raises(ValueError, match=variant):
        RankBm25Engine(CORPUS, variant=variant)  # type: ignore[arg-type]


@pytest.mark.parametrize(("df_", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (100, 100)])
def test_lucene_idf(df_: int, n: int) -> None:
    value = lucene_idf(df_, n)
    assert value == pytest.approx(math.log(1 + (n - df_ + 0.5) / (df_ + 0.5)))
    assert value > 0  # never negative, even for a term in every document


def test_lucene_idf_falls_as_terms_get_common() -> None:
    values = [lucene_idf(d, 50) for d in range(51)]
    assert values == sorted(values, reverse=True)
