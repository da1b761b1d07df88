"""retrieval.xapian_index: Lucene BM25 on Xapian gives bm25s's scores and top 10 on a fixed
corpus (the dev reports' stored tokens), shards written apart answer as one index, locally
and served by xapian-tcpsrv on 127.0.0.1, and the library answers with it as with bm25s.

Xapian is a dependency (xapian-bindings-binary) and xapian-tcpsrv a system package
(xapian-tools): without either these tests fail, they do not skip."""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from retrieval import xapian_index
from retrieval.index import Bm25sEngine
from retrieval.library import Library
from retrieval.xapian_index import (
    ShardMismatch,
    ShardUnavailable,
    XapianBuilder,
    XapianEngine,
    main,
    shard_paths,
)
from tests.conftest import TESTS_DATA, make_settings, read_jsonl

K = 10
RTOL = 1e-5  # Xapian computes in doubles, bm25s in float32


@pytest.fixture(scope="module")
def corpus(dev_library: Library) -> tuple[list[list[str]], list[int]]:
    """Every stored passage's tokens, as ingest stored them, and its report."""
    rows = list(dev_library.store.iter_index_rows())
    return [r[4].split() for r in rows], [r[1] for r in rows]


@pytest.fixture(scope="module")
def queries(dev_library: Library) -> list[list[str]]:
    """The BM25 tokens of every test question (as the searcher scores them)."""
    qs = [r["q"] for f in ("questions.jsonl", "dev_questions.jsonl") for r in read_jsonl(TESTS_DATA / f)]
    searcher = dev_library.searcher
    out = []
    for q in qs:
        terms, _ = searcher._bm25_terms(dev_library.understander.understand(q))
        if terms:
            out.append(terms)
    assert len(out) > 50
    return out


@pytest.fixture(scope="module")
def bm25s(corpus: tuple[list[list[str]], list[int]]) -> Bm25sEngine:
    return Bm25sEngine.build(corpus[0], variant="lucene", k1=1.2, b=0.75)


@pytest.fixture(scope="module")
def local(corpus: tuple[list[list[str]], list[int]]) -> XapianEngine:
    builder = XapianBuilder()
    for tokens, rid in zip(*corpus, strict=True):
        builder.add(tokens, rid)
    return builder.build(k1=1.2, b=0.75)


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory, corpus: tuple[list[list[str]], list[int]]) -> Path:
    """Two on-disk shards of the corpus."""
    path = tmp_path_factory.mktemp("xapian") / "shards"
    builder = XapianBuilder(path, shards=2)
    for tokens, rid in zip(*corpus, strict=True):
        builder.add(tokens, rid)
    builder.build()
    return path


def top(scores: np.ndarray, k: int = K) -> list[int]:
    """Rows of the k best scores above 0, best first, ties by row (as the searcher cuts)."""
    order = np.lexsort((np.arange(len(scores)), -scores.astype(np.float64)))
    return [int(r) for r in order[:k] if scores[r] > 0]


def test_scores_are_bm25s_lucene_scores(
    bm25s: Bm25sEngine, local: XapianEngine, queries: list[list[str]]
) -> None:
    assert len(local) == len(bm25s) > 200
    for q in queries:
        np.testing.assert_allclose(local.scores(q), bm25s.scores(q), rtol=RTOL, atol=1e-6, err_msg=str(q))


def test_top_ten_is_bm25s_top_ten(bm25s: Bm25sEngine, local: XapianEngine, queries: list[list[str]]) -> None:
    differ = 0
    for q in queries:
        expected = bm25s.scores(q)
        rows, scores = local.top(q, K)
        got = [int(r) for r in rows[np.lexsort((rows, -scores))]]
        if got != top(expected):
            # Only where float32 leaves two passages tied (or all but) may the order differ.
            s = np.sort(expected[got])[::-1]
            assert np.allclose(sorted(expected[top(expected)], reverse=True), s, rtol=RTOL), q
            differ += 1
    assert differ <= len(queries) // 20


def test_top_within_reports_and_with_synonyms(
    bm25s: Bm25sEngine, local: XapianEngine, corpus: tuple[list[list[str]], list[int]]
) -> None:
    report_of = np.array(corpus[1])
    some = sorted(set(corpus[1]))[2:5]
    rows, scores = local.top(["行政", "复议"], 5, extra=["诉讼"], extra_weight=0.8, reports=some)
    assert len(rows) == 5 and set(report_of[rows]) <= set(some)
    expected = bm25s.scores(["行政", "复议"]) + 0.8 * bm25s.scores(["诉讼"])
    expected[~np.isin(report_of, some)] = 0
    assert sorted(rows.tolist()) == sorted(top(expected, 5))
    np.testing.assert_allclose(scores, expected[rows], rtol=RTOL)


@pytest.mark.parametrize("every", [3, 17])
@pytest.mark.parametrize("fetch_max", [xapian_index.OVERFETCH_MAX, 1])  # 1: always the filter
def test_many_reports_from_the_best_of_all_rows(
    monkeypatch: pytest.MonkeyPatch,
    shards: Path,
    corpus: tuple[list[list[str]], list[int]],
    queries: list[list[str]],
    every: int,
    fetch_max: int,
) -> None:
    """A question narrowed to many reports gets the rows and scores a filter of their terms
    gives, taken from the best of all rows when the engine knows each row's report."""
    report_of = np.array(corpus[1])
    plain = XapianEngine.open(shard_paths(shards))
    knowing = XapianEngine.open(shard_paths(shards))
    knowing.know_reports(report_of)
    monkeypatch.setattr(xapian_index, "OVERFETCH_REPORTS", 0)  # the dev corpus has few reports
    monkeypatch.setattr(xapian_index, "OVERFETCH_MAX", fetch_max)
    some = sorted(set(corpus[1]))[::every]
    for q in queries:
        rows, scores = knowing.top(q, 100, extra=["诉讼"], extra_weight=0.8, reports=some)
        want_rows, want_scores = plain.top(q, 100, extra=["诉讼"], extra_weight=0.8, reports=some)
        assert set(report_of[rows]) <= set(some), q
        np.testing.assert_array_equal(rows, want_rows)
        np.testing.assert_array_equal(scores, want_scores)


def test_know_reports_wants_every_row(shards: Path, corpus: tuple[list[list[str]], list[int]]) -> None:
    with pytest.raises(ValueError, match="rows' reports"):
        XapianEngine.open(shard_paths(shards)).know_reports(np.array(corpus[1][:-1]))


def test_doc_freq_and_scores_at(bm25s: Bm25sEngine, local: XapianEngine) -> None:
    for t in ("行政", "复议", "不在词表的词"):
        assert local.doc_freq(t) == bm25s.doc_freq(t)
    rows = np.array([0, 3, 17, 40, 41, 200])
    q = ["行政", "执法", "公示"]
    np.testing.assert_allclose(local.scores_at(q, rows), bm25s.scores(q)[rows], rtol=RTOL, atol=1e-6)


def test_local_shards_answer_as_one_index(
    shards: Path, local: XapianEngine, queries: list[list[str]]
) -> None:
    assert [p.name for p in shard_paths(shards)] == ["0", "1"]
    both = XapianEngine.open(shard_paths(shards))
    assert len(both) == len(local)
    for q in queries[:40]:
        np.testing.assert_allclose(both.scores(q), local.scores(q), rtol=1e-9, err_msg=str(q))


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def servers(shards: Path) -> Iterator[list[tuple[str, int]]]:
    """xapian-tcpsrv serving each shard on 127.0.0.1, stopped after the module."""
    with serving(shards) as addresses:
        yield addresses


@contextlib.contextmanager
def serving(shards: Path) -> Iterator[list[tuple[str, int]]]:
    """xapian-tcpsrv serving each shard under `shards` on 127.0.0.1, stopped on leaving."""
    tcpsrv = shutil.which("xapian-tcpsrv")
    assert tcpsrv, "xapian-tcpsrv is missing: apt-get install xapian-tools"
    procs, addresses = [], []
    try:
        for p in shard_paths(shards):
            port = free_port()
            procs.append(
                subprocess.Popen(
                    [tcpsrv, "--interface", "127.0.0.1", "--port", str(port), str(p)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    # Stopped, xapian-tcpsrv signals its whole process group: keep it apart.
                    start_new_session=True,
                )
            )
            addresses.append(("127.0.0.1", port))
        XapianEngine.wait_for(addresses, within_s=15)
        yield addresses
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def test_two_shards_on_loopback_answer_as_one_index(
    servers: list[tuple[str, int]], local: XapianEngine, queries: list[list[str]]
) -> None:
    remote = XapianEngine.remote(servers)
    assert len(remote) == len(local)
    for q in queries[:40]:
        assert remote.doc_freq(q[0]) == local.doc_freq(q[0])
        rows, scores = remote.top(q, K)
        want_rows, want_scores = local.top(q, K)
        assert rows.tolist() == want_rows.tolist(), q
        np.testing.assert_allclose(scores, want_scores, rtol=1e-9)


def test_unreachable_shard_is_a_narrow_error(servers: list[tuple[str, int]]) -> None:
    with pytest.raises(ShardUnavailable):
        XapianEngine.remote([servers[0], ("127.0.0.1", free_port())], timeout_s=2)
    with pytest.raises(ShardUnavailable):
        XapianEngine.wait_for([("127.0.0.1", free_port())], within_s=0.3)


def test_library_on_xapian_answers_as_on_bm25s(tmp_path: Path, dev_library: Library) -> None:
    lib = Library(make_settings(tmp_path / "data", engine="xapian"))
    try:
        lib.ingest([TESTS_DATA / "corpus-dev" / "reports"])
        engine = lib.searcher.index.engine
        assert isinstance(engine, XapianEngine)
        # Told each row's report, so that an issuer's many reports need no filter of terms.
        assert engine.report_of_row is not None
        np.testing.assert_array_equal(engine.report_of_row, lib.searcher.index.report_ids)
        questions = [r["q"] for r in read_jsonl(TESTS_DATA / "corpus-dev" / "questions.jsonl")]
        same = 0
        for q in questions:
            a, b = lib.ask(q), dev_library.ask(q)
            assert a.answered == b.answered, q
            same += [h.passage.text for h in a.hits] == [h.passage.text for h in b.hits]
        assert same >= 0.95 * len(questions)
    finally:
        lib.store.close()


def test_library_answers_through_remote_shards(
    tmp_path: Path, dev_library: Library, servers: list[tuple[str, int]]
) -> None:
    """REPORTBOT_XAPIAN_SHARDS: the library scores on the shard servers, builds nothing, and
    answers as with bm25s over the database the shards were built from."""
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(dev_library.settings.db_path) as src, sqlite3.connect(data / "reportbot.db") as copy:
        src.backup(copy)
    shards = ",".join(f"{h}:{p}" for h, p in servers)
    lib = Library(make_settings(data, engine="xapian", xapian_shards=shards))
    try:
        engine = lib.searcher.index.engine
        assert isinstance(engine, XapianEngine)
        assert len(engine) == len(dev_library.searcher.index)
        assert engine.db.get_doccount() == len(engine)
        assert engine.report_of_row is not None
        np.testing.assert_array_equal(engine.report_of_row, lib.searcher.index.report_ids)
        questions = [r["q"] for r in read_jsonl(TESTS_DATA / "corpus-dev" / "questions.jsonl")]
        same = 0
        for q in questions:
            a, b = lib.ask(q), dev_library.ask(q)
            assert a.answered == b.answered, q
            same += [h.passage.text for h in a.hits] == [h.passage.text for h in b.hits]
        assert same >= 0.95 * len(questions)
    finally:
        lib.store.close()


def test_reopening_reads_the_saved_rows_not_the_database(
    tmp_path: Path, dev_library: Library, servers: list[tuple[str, int]]
) -> None:
    """A second start over the same shards and data memory-maps the rows the first saved
    (at ten million passages, seconds instead of minutes reading the database), answers the
    same, and still checks the shards; once a report is deleted they are refused."""
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(dev_library.settings.db_path) as src, sqlite3.connect(data / "reportbot.db") as copy:
        src.backup(copy)
    settings = make_settings(data, engine="xapian", xapian_shards=tuple(servers))
    first = Library(settings)
    questions = [r["q"] for r in read_jsonl(TESTS_DATA / "corpus-dev" / "questions.jsonl")][:20]
    want = [[h.passage.text for h in first.ask(q).hits] for q in questions]
    assert not isinstance(first.searcher.index.report_ids, np.memmap)  # read from the database
    first.store.close()

    again = Library(settings)
    try:
        index = again.searcher.index
        assert isinstance(index.report_ids, np.memmap)
        np.testing.assert_array_equal(index.report_ids, dev_library.searcher.index.report_ids)
        engine = index.engine
        assert isinstance(engine, XapianEngine) and engine.addresses == tuple(servers)
        assert engine.report_of_row is not None
        assert [[h.passage.text for h in again.ask(q).hits] for q in questions] == want
        gone = again.reports()[0]
        with pytest.raises(ShardMismatch, match="build them again"):
            again.delete(gone.id)
    finally:
        again.store.close()
    with pytest.raises(ShardMismatch, match="build them again"):
        Library(settings)


def test_shards_holding_other_reports_at_their_rows_are_refused(
    tmp_path: Path, dev_library: Library, corpus: tuple[list[list[str]], list[int]]
) -> None:
    """As many rows as the database, but not its reports' (built before one report was
    deleted and another of as many passages added): refused, not answered from."""
    tokens, rids = corpus
    assert len(set(rids)) > 1
    # The last report's rows moved to the front: as many rows, other reports at most of them.
    last = rids[-1]
    moved = [i for i, r in enumerate(rids) if r == last] + [i for i, r in enumerate(rids) if r != last]
    builder = XapianBuilder(tmp_path / "shards", shards=2)
    for i in moved:
        builder.add(tokens[i], rids[i])
    builder.build()
    engine = XapianEngine.open(shard_paths(tmp_path / "shards"))
    with pytest.raises(ShardMismatch, match="another report"):
        engine.check_rows(np.asarray(rids))
    engine.check_rows(np.asarray([rids[i] for i in moved]))  # the rows it does hold pass
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(dev_library.settings.db_path) as src, sqlite3.connect(data / "reportbot.db") as copy:
        src.backup(copy)
    with serving(tmp_path / "shards") as addresses, pytest.raises(ShardMismatch, match="build"):
        Library(make_settings(data, engine="xapian", xapian_shards=tuple(addresses)))


def test_shards_of_another_database_are_refused(tmp_path: Path, servers: list[tuple[str, int]]) -> None:
    """A database the shards were not built from (here the bundled reports alone) would put
    other passages at the shards' rows: refused, saying what to do."""
    with pytest.raises(ShardMismatch, match="build them again"):
        Library(make_settings(tmp_path / "data", engine="xapian", xapian_shards=tuple(servers)))


def test_threads_answer_alike_over_the_shards(
    servers: list[tuple[str, int]], local: XapianEngine, queries: list[list[str]]
) -> None:
    """The bot answers on several threads: each gets its own connections, none breaks."""
    remote = XapianEngine.remote(servers)
    want = [local.top(q, K)[0].tolist() for q in queries]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda q: remote.top(q, K)[0].tolist(), queries * 3))
    assert got == want * 3


def test_each_shard_built_on_its_own_is_the_same(
    tmp_path: Path, corpus: tuple[list[list[str]], list[int]], local: XapianEngine, queries: list[list[str]]
) -> None:
    """Each machine may build its own shard from the same rows."""
    for s in (0, 1):
        builder = XapianBuilder(tmp_path / "apart", shards=2, only=s)
        for tokens, rid in zip(*corpus, strict=True):
            builder.add(tokens, rid)
        assert len(builder.build()) == (len(local) + 1 - s) // 2
    both = XapianEngine.open(shard_paths(tmp_path / "apart"))
    for q in queries[:20]:
        np.testing.assert_allclose(both.scores(q), local.scores(q), rtol=1e-9)


def test_operator_builds_shards_from_a_database(
    tmp_path: Path,
    dev_library: Library,
    local: XapianEngine,
    queries: list[list[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    main([str(dev_library.settings.db_path), str(tmp_path / "shards"), "--shards", "2"])
    assert f"{len(local):,} rows dealt to 2 shard(s)" in capsys.readouterr().out
    both = XapianEngine.open(shard_paths(tmp_path / "shards"))
    for q in queries[:20]:
        np.testing.assert_allclose(both.scores(q), local.scores(q), rtol=1e-9)
    # Compacted: smaller on disk than the same rows written and left as they are.
    loose = XapianBuilder(tmp_path / "loose", shards=2)
    for _pid, rid, _section, _text, tokens in dev_library.store.iter_index_rows():
        loose.add(tokens.split(), rid)
    loose.build(compact=False)
    for s in (0, 1):
        assert _size(tmp_path / "shards" / str(s)) < 0.9 * _size(tmp_path / "loose" / str(s))
    with pytest.raises(SystemExit, match="no database"):
        main([str(tmp_path / "missing.db"), str(tmp_path / "x")])
