"""BM25 on Xapian, the engine behind retrieval.index's interface that shards across machines.

Each passage is one Xapian document holding exactly the tokens our ingest stored (BM25 over
jieba tokens, as bm25s indexes them), with its report as a boolean term ``R<id>`` and its row
as ``Q<row>``. Xapian document ids are rows + 1. Shards are written with rows dealt out in
turn (row r to shard r mod n, at its document r // n + 1). Opened together, Xapian interleaves
shard documents the same way, so row = docid − 1 over one database or many, local
(``XapianEngine.open``) or served by ``xapian-tcpsrv`` (``XapianEngine.remote``).

Scores are Lucene's BM25, as bm25s computes it. Xapian's BM25Weight has the same tf and length
normalisation (k2 = 0, min_normlen = 0) but another idf, log((N − n + ½)/(n + ½)), raised to
log(½·x + 1) below x = 2, and it multiplies by (k1 + 1). Each query term is therefore scaled
by lucene_idf / (xapian_idf · (k1 + 1)) with OP_SCALE_WEIGHT. N and n are the statistics of
all shards together, as Xapian gathers them. Xapian computes in doubles where bm25s uses
float32, so scores agree to about 1e-6 relative, and passages whose float32 scores tie may
come out in another order.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import xapian

from retrieval.errors import ReportbotError
from retrieval.index import lucene_idf

REPORT_PREFIX = "R"  # tokens are folded to lower case, so no token starts with these
ROW_PREFIX = "Q"  # Xapian's usual prefix for a unique id
COMMIT_EVERY = 200_000  # documents between commits while building (bounds the writer's memory)
# Xapian opens a postlist per report term of a filter, ~0.3 ms each: 1.3 s for an issuer's
# 4,888 reports at 2M rows, where the best of all rows, its top ~2,000 kept if in those reports,
# takes ~70 ms. A question narrowed to more reports than this (when the engine knows each row's
# report) is answered so, fetching at most OVERFETCH_MAX rows before falling back to the filter.
OVERFETCH_REPORTS = 200
OVERFETCH_MAX = 20_000
# Rows whose report the library checks against the shards' when it opens them (one query).
CHECKED_ROWS = 1024


class ShardUnavailable(ReportbotError):
    """A shard server could not be reached or stopped answering (a ReportbotError, so the CLI
    and every channel show it as one line, never a traceback)."""


class ShardMismatch(ReportbotError):
    """The shards do not hold the database's passages (built from another one, or before
    reports were added or deleted)."""


def xapian_idf(df: int, n: int) -> float:
    """Xapian 1.4's BM25Weight idf (bm25weight.cc, without a relevance set)."""
    tw = (n - df + 0.5) / (df + 0.5)
    return math.log(tw if tw >= 2 else tw * 0.5 + 1)


def passage_document(tokens: Sequence[str], report_id: int, row: int) -> xapian.Document:
    """The Xapian document of one passage: each token with its frequency (the document's
    length is their sum, as bm25s counts it) and the boolean terms of its report and row."""
    doc = xapian.Document()
    for t, tf in Counter(tokens).items():
        doc.add_term(t, tf)
    doc.add_boolean_term(f"{REPORT_PREFIX}{report_id}")
    doc.add_boolean_term(f"{ROW_PREFIX}{row}")
    return doc


class XapianBuilder:
    """Writes passages one at a time into `shards` Xapian databases under `path` (shard i in
    `path`/`i`), or into one in-memory database when `path` is None. With `only`, just that
    shard is written (each machine, or process, building its own from the same rows)."""

    def __init__(self, path: Path | None = None, shards: int = 1, only: int | None = None) -> None:
        if shards < 1:
            raise ValueError("shards must be at least 1")
        if path is None and shards != 1:
            raise ValueError("an in-memory index is one shard")
        if only is not None and not 0 <= only < shards:
            raise ValueError(f"no shard {only} of {shards}")
        self.path = path
        self._shards = shards
        self._dbs: dict[int, xapian.WritableDatabase] = {}
        if path is None:
            self._dbs[0] = xapian.WritableDatabase("", xapian.DB_BACKEND_INMEMORY)
        else:
            path.mkdir(parents=True, exist_ok=True)
            for i in range(shards) if only is None else (only,):
                shutil.rmtree(path / str(i), ignore_errors=True)
                self._dbs[i] = xapian.WritableDatabase(str(path / str(i)), xapian.DB_CREATE_OR_OVERWRITE)
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def add(self, tokens: Sequence[str], report_id: int) -> None:
        """Add the next passage (its row is the number added before it)."""
        row = self._rows
        # Document r // n + 1 of shard r % n: documents added in order get exactly that id.
        db = self._dbs.get(row % self._shards)
        if db is not None:
            db.add_document(passage_document(tokens, report_id, row))
        self._rows += 1
        if self.path is not None and self._rows % COMMIT_EVERY == 0:
            for db in self._dbs.values():
                db.commit()

    def build(self, k1: float = 1.2, b: float = 0.75, compact: bool = True) -> XapianEngine:
        """Commit every shard, compact those on disk (unless told not to), and return the
        engine over them."""
        for db in self._dbs.values():
            db.commit()
        if self.path is None:
            return XapianEngine(self._dbs[0], k1=k1, b=b)
        for db in self._dbs.values():
            db.close()
        paths = [self.path / str(i) for i in sorted(self._dbs)]
        if compact:
            for p in paths:
                _compact(p)
        return XapianEngine.open(paths, k1=k1, b=b)


def _compact(path: Path) -> None:
    """Rewrite the database at `path` compacted, its document ids kept (they are rows).
    At 5M rows a shard shrinks from 4.5 to 3.5 GB in ~16 s and answers 5–15% sooner."""
    out = path.with_name(path.name + ".compact")
    shutil.rmtree(out, ignore_errors=True)
    db = xapian.Database(str(path))
    db.compact(str(out), xapian.DBCOMPACT_NO_RENUMBER)
    db.close()
    shutil.rmtree(path)
    out.rename(path)


def shard_paths(path: Path) -> list[Path]:
    """The shards XapianBuilder wrote under `path`, in order."""
    return sorted((p for p in path.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


class XapianEngine:
    """Lucene BM25 over one Xapian database or several opened as one (see the module doc).

    Safe to share between threads (the bot answers on several): a Xapian database handle is
    not, so each thread opens its own through `opener` (for remote shards, its own
    connections); without an opener (an in-memory index) one handle is used under a lock."""

    def __init__(
        self,
        db: xapian.Database,
        k1: float = 1.2,
        b: float = 0.75,
        opener: Callable[[], xapian.Database] | None = None,
    ) -> None:
        self._shared = db
        self._opener = opener
        self._local = threading.local()
        self._local.db = db
        self._lock: contextlib.AbstractContextManager[object] = (
            threading.Lock() if opener is None else contextlib.nullcontext()
        )
        self._k1 = k1
        self._b = b
        self._n = db.get_doccount()
        self._df: dict[str, int] = {}  # the database is a fixed snapshot: its statistics too
        self._report_of: np.ndarray | None = None
        self._rows_of_report: np.ndarray | None = None
        self.addresses: tuple[tuple[str, int], ...] = ()  # the shard servers', when remote

    @property
    def db(self) -> xapian.Database:
        """This thread's handle on the database."""
        if self._opener is None:
            return self._shared
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._call(self._opener)
        return db

    @classmethod
    def build(
        cls, corpus: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75, path: Path | None = None
    ) -> XapianEngine:
        """An engine over `corpus` (each document in its own report)."""
        builder = XapianBuilder(path)
        for i, doc in enumerate(corpus):
            builder.add(doc, i)
        return builder.build(k1=k1, b=b)

    @classmethod
    def open(cls, paths: Sequence[Path], k1: float = 1.2, b: float = 0.75) -> XapianEngine:
        """The shards at `paths` (in the order they were written), read-only, as one index."""
        if not paths:
            raise ValueError("no shards to open")

        def opener() -> xapian.Database:
            db = xapian.Database()
            for p in paths:
                db.add_database(xapian.Database(str(p)))
            return db

        return cls(opener(), k1=k1, b=b, opener=opener)

    @classmethod
    def remote(
        cls, addresses: Sequence[tuple[str, int]], k1: float = 1.2, b: float = 0.75, timeout_s: float = 10.0
    ) -> XapianEngine:
        """The shards served by xapian-tcpsrv at `addresses` (host, port), in the order they
        were written, as one index. Raises ShardUnavailable when one cannot be reached."""
        if not addresses:
            raise ValueError("no shards to open")
        timeout_ms = int(timeout_s * 1000)

        def opener() -> xapian.Database:
            db = xapian.Database()
            for host, port in addresses:
                db.add_database(xapian.remote_open(host, port, timeout_ms, timeout_ms))
            return db

        engine = cls(cls._call(opener), k1=k1, b=b, opener=opener)
        engine.addresses = tuple(addresses)
        return engine

    @staticmethod
    def wait_for(addresses: Sequence[tuple[str, int]], within_s: float = 10.0) -> None:
        """Return once every shard server at `addresses` answers; ShardUnavailable after
        `within_s` seconds otherwise (for an operator's script, and tests)."""
        deadline = time.monotonic() + within_s
        for host, port in addresses:
            while True:
                try:
                    xapian.remote_open(host, port, 1000, 1000).get_doccount()
                    break
                except xapian.NetworkError as e:
                    if time.monotonic() > deadline:
                        raise ShardUnavailable(f"{host}:{port}: {e}") from e
                    time.sleep(0.05)

    def __len__(self) -> int:
        return self._n

    @property
    def k1(self) -> float:
        return self._k1

    def doc_freq(self, token: str) -> int:
        df = self._df.get(token)
        if df is None:
            if len(self._df) > 200_000:
                self._df.clear()
            db = self.db
            with self._lock:
                df = self._df[token] = self._call(db.get_termfreq, token)
        return df

    def know_reports(self, report_of_row: np.ndarray) -> None:
        """Tell the engine each row's report (the index's report ids, row for row), so that a
        question narrowed to many reports needs no filter of their terms (see OVERFETCH_REPORTS)."""
        if len(report_of_row) != self._n:
            raise ValueError(f"{len(report_of_row):,} rows' reports for {self._n:,} rows")
        self._report_of = np.asarray(report_of_row, dtype=np.int64)
        self._rows_of_report = np.bincount(self._report_of) if self._n else np.zeros(1, dtype=np.int64)

    def check_rows(self, report_of_row: np.ndarray, samples: int = CHECKED_ROWS) -> None:
        """Raise ShardMismatch unless the index holds exactly len(report_of_row) rows and,
        at `samples` rows spread over them (the first and last among them), the document of
        that row's report. Shards built before reports were added or deleted, or from another
        database, fail it: every row after the first change holds another report's passage.
        One query, so one round trip to each shard server."""
        n = len(report_of_row)
        if self._n != n:
            raise ShardMismatch(
                f"the shards hold {self._n:,} passages, the database {n:,}: "
                "build them again (python -m retrieval.xapian_index)"
            )
        if not n:
            return
        rows = np.unique(np.linspace(0, n - 1, num=min(samples, n)).astype(np.int64))
        pairs = [
            xapian.Query(xapian.Query.OP_AND, [f"{ROW_PREFIX}{r}", f"{REPORT_PREFIX}{int(report_of_row[r])}"])
            for r in rows.tolist()
        ]
        db = self.db
        with self._lock:
            enquire = xapian.Enquire(db)
            enquire.set_weighting_scheme(xapian.BoolWeight())
            enquire.set_query(xapian.Query(xapian.Query.OP_OR, pairs))
            found = self._call(enquire.get_mset, 0, len(rows)).size()
        if found != len(rows):
            raise ShardMismatch(
                f"{len(rows) - found} of {len(rows)} rows checked hold another report's passage "
                "than the database's: build the shards again (python -m retrieval.xapian_index)"
            )

    @property
    def report_of_row(self) -> np.ndarray | None:
        """Each row's report, as told by know_reports (None until then)."""
        return self._report_of

    def query(
        self, terms: Sequence[str], extra: Sequence[str] = (), extra_weight: float = 1.0
    ) -> xapian.Query:
        """The Xapian query whose weights are Lucene BM25 scores of `terms` plus
        `extra_weight` times those of `extra` (a term given twice counts twice)."""
        parts = []
        for tokens, weight in ((terms, 1.0), (extra, extra_weight)):
            for t, count in Counter(tokens).items():
                df = self.doc_freq(t)
                if not df:
                    continue
                scale = weight * count * lucene_idf(df, self._n) / (xapian_idf(df, self._n) * (self._k1 + 1))
                parts.append(xapian.Query(xapian.Query.OP_SCALE_WEIGHT, xapian.Query(t), scale))
        return xapian.Query(xapian.Query.OP_OR, parts)

    def top(
        self,
        terms: Sequence[str],
        k: int,
        extra: Sequence[str] = (),
        extra_weight: float = 1.0,
        reports: Iterable[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows (ascending) of the `k` best-scoring documents holding a term, within
        `reports` when given, and their scores (float64); of documents tied at the cut, the
        earliest. Xapian skips what cannot reach the top k rather than scoring everything."""
        q = self.query(terms, extra, extra_weight)
        if reports is None:
            return self._matches(q, k)
        reports = list(reports)
        if len(reports) > OVERFETCH_REPORTS and self._report_of is not None:
            found = self._best_within(q, k, reports)
            if found is not None:
                return found
        return self._matches(xapian.Query(xapian.Query.OP_FILTER, q, _any_of(REPORT_PREFIX, reports)), k)

    def _best_within(
        self, q: xapian.Query, k: int, reports: list[int]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The k best rows of `reports` taken from the best of all rows, in their order (best
        first, of ties the earliest, as a filter would give them); None if that would take
        more than OVERFETCH_MAX rows."""
        assert self._report_of is not None and self._rows_of_report is not None
        if q.empty() or k <= 0 or not self._n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        ids = np.asarray(reports, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._rows_of_report))]
        wanted = np.zeros(len(self._rows_of_report), dtype=bool)
        wanted[ids] = True
        share = int(self._rows_of_report[wanted].sum()) / self._n
        if not share:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        fetch = max(4 * k, int(2 * k / share))
        while fetch <= OVERFETCH_MAX:
            rows, weights = self._ranked(q, fetch)
            keep = wanted[self._report_of[rows]]
            if keep.sum() >= k or len(rows) < fetch:  # k of them, or every matching row seen
                rows, weights = rows[keep][:k], weights[keep][:k]
                order = np.argsort(rows)
                return rows[order], weights[order]
            fetch *= 4
        return None

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(max(self._n, 1), dtype=np.float32)  # one row for nothing, as bm25s
        rows, s = self._matches(self.query(query), self._n)
        out[rows] = s
        return out

    def scores_at(self, query: list[str], docs: np.ndarray) -> np.ndarray:
        if not len(docs):
            return np.zeros(0, dtype=np.float32)
        wanted = _any_of(ROW_PREFIX, (int(r) for r in docs))
        rows, s = self._matches(xapian.Query(xapian.Query.OP_FILTER, self.query(query), wanted), len(docs))
        by_row = dict(zip(rows.tolist(), s.tolist(), strict=True))
        return np.array([by_row.get(int(r), 0.0) for r in docs], dtype=np.float32)

    def _matches(self, q: xapian.Query, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best rows, ascending, and their weights."""
        rows, weights = self._ranked(q, k)
        order = np.argsort(rows)
        return rows[order], weights[order]

    def _ranked(self, q: xapian.Query, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best rows, best first (of ties the earliest), and their weights."""
        if q.empty() or k <= 0 or not self._n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        db = self.db
        with self._lock:
            enquire = xapian.Enquire(db)
            enquire.set_weighting_scheme(xapian.BM25Weight(self._k1, 0, 1, self._b, 0))
            enquire.set_query(q)
            mset = self._call(enquire.get_mset, 0, k)
        rows = np.fromiter((m.docid - 1 for m in mset), dtype=np.int64, count=mset.size())
        weights = np.fromiter((m.weight for m in mset), dtype=np.float64, count=mset.size())
        return rows, weights

    @staticmethod
    def _call(fn, *args):  # type: ignore[no-untyped-def]
        try:
            return fn(*args)
        except xapian.NetworkError as e:
            raise ShardUnavailable(str(e)) from e


def _any_of(prefix: str, ids: Iterable[int]) -> xapian.Query:
    """The boolean query for any of these reports' or rows' terms."""
    # From the terms' strings, the bindings build the query in C++: for the 24,000 reports of
    # an issuer at 10M rows, 13 ms against 250 ms for a Python Query object per term.
    return xapian.Query(xapian.Query.OP_OR, [f"{prefix}{i}" for i in ids])


def build_from_store(db_path: Path, out: Path, shards: int = 1, only: int | None = None) -> int:
    """Write the shards of a reportbot database's passages (its stored tokens, in passage id
    order: the rows of its bm25s index) under `out`; returns the rows dealt."""
    from retrieval.store import Store

    store = Store(db_path)
    try:
        builder = XapianBuilder(out, shards=shards, only=only)
        for _pid, rid, _section, _text, tokens in store.iter_index_rows():
            builder.add(tokens.split(), rid)
        builder.build()
        return len(builder)
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m retrieval.xapian_index DB OUT --shards N [--only I]`: an operator's build of
    the shards (each machine may build only its own with --only), to serve with
    `xapian-tcpsrv --port P OUT/I`."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m retrieval.xapian_index", description=main.__doc__)
    ap.add_argument("db", type=Path, help="reportbot.db")
    ap.add_argument("out", type=Path, help="folder for the shards (OUT/0, OUT/1, …)")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--only", type=int, help="build only this shard")
    args = ap.parse_args(argv)
    if not args.db.is_file():
        raise SystemExit(f"no database at {args.db}")
    try:
        rows = build_from_store(args.db, args.out, args.shards, args.only)
    except (ValueError, xapian.Error) as e:
        raise SystemExit(f"could not build the shards: {e}") from None
    print(f"{rows:,} rows dealt to {args.shards} shard(s) under {args.out}")


if __name__ == "__main__":
    main()
