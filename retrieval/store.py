"""SQLite storage (through sqlite-utils): reports, passages with their tokens, the query log
and feedback. The BM25 index is derived from this and can always be rebuilt from it.

A `meta` table versions the data for the index: `generation` goes up in the same transaction
as every change to reports or passages, `tokens_epoch` whenever stored tokens are rewritten,
and `db_id` tells one database from another. Report and passage ids are never reused (the
highest ever given is kept in `meta`), so an index built earlier stays a valid base: each row
it holds either still exists unchanged or belongs to a deleted report.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from retrieval import figures as _figures_module
from retrieval.errors import StoreUnavailable, UnknownReport
from retrieval.figures import FIGURES_FORMAT, figures_in, measure_closeness, measure_keys
from retrieval.models import (
    FeedbackReason,
    Figure,
    FigureColumns,
    LogEntry,
    ParsedReport,
    Passage,
    Refusal,
    Report,
    StoredFigure,
    stored_figure,
)

BUSY_TIMEOUT_SECONDS = 30.0  # how long a write waits for another writer (this process or another)

# What the stored figures were extracted by: FIGURES_FORMAT and the extractor's own source, so
# that any change to retrieval/figures.py re-extracts them once (at open or reindex) and a
# reindex otherwise leaves them be (at a million passages re-reading them all took ~70 s).
EXTRACTOR_VERSION = (
    f"{FIGURES_FORMAT}:{hashlib.sha256(Path(_figures_module.__file__).read_bytes()).hexdigest()[:16]}"
)


class Originals:
    """The files reports were read from, kept beside the database (`<folder>/<id><suffix>`),
    so that a report can be sent as its original file. Written whole or not at all."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # A write cut short (a crash) leaves a temporary file: it is no report's original.
        for stale in folder.glob(".*.tmp") if folder.is_dir() else ():
            stale.unlink(missing_ok=True)

    def keep(self, report_id: int, name: str, data: bytes) -> None:
        """Keep `data`, the file `name` that report `report_id` was read from."""
        suffix = Path(name).suffix.lower()
        if not data or not suffix.isascii() or len(suffix) > 6:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{report_id}{suffix}.tmp"
        tmp.write_bytes(data)
        tmp.replace(self.folder / f"{report_id}{suffix}")

    def path(self, report_id: int) -> Path | None:
        """The kept file of a report, or None."""
        found = sorted(self.folder.glob(f"{report_id}.*")) if self.folder.is_dir() else []
        return found[0] if found else None

    def drop(self, report_id: int) -> None:
        """Forget a report's file (the report was deleted or replaced)."""
        while (path := self.path(report_id)) is not None:
            path.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Version:
    """Which data an index is built from: this database, this rewrite of its tokens, and
    this generation of its reports and passages."""

    db_id: str
    tokens_epoch: int
    generation: int


@dataclass(frozen=True, slots=True)
class LoggedQuery:
    """A question in the query log: what was asked, by whom, where, and whether answered."""

    id: int
    text: str
    user_id: int | None
    chat_id: int | None
    answered: bool


class Store:
    """The database. Safe to share between threads: each thread gets its own connection, so
    one thread never sees another's uncommitted work (SQLite's own isolation, in WAL mode:
    readers see the last commit and never wait for a writer). Writers, in this process or
    another (the CLI beside the bot), wait for each other up to BUSY_TIMEOUT_SECONDS instead
    of failing with "database is locked"."""

    def __init__(self, path: Path | str, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        if str(path) == ":memory:":
            raise ValueError("Store needs a file: every thread opens its own connection to it")
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False
        # FigureColumns' columns of each measure, while the data stays at one generation.
        self._columns: dict[int, tuple[np.ndarray, ...]] = {}
        self._columns_generation = -1
        self._merged: dict[tuple[int, ...], FigureColumns] = {}  # the columns of a few measures at once
        self._columns_lock = threading.Lock()
        self._unit_codes: dict[str, int] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db.execute("PRAGMA journal_mode=WAL")
            self._create()
        except sqlite3.DatabaseError as e:
            self.close()
            raise StoreUnavailable(str(self.path), _open_failure(e)) from None
        except OSError as e:  # the folder cannot be made (read-only, a file in the way)
            self.close()
            raise StoreUnavailable(
                str(self.path.parent),
                f"cannot be written ({e.strerror}): set REPORTBOT_DATA_DIR to a folder this user may write",
            ) from None

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(self._connect())
        return db

    def _connect(self) -> sqlite3.Connection:
        if self._closed:
            raise sqlite3.ProgrammingError("the store is closed")
        # check_same_thread=False only so that close() may close every thread's connection;
        # each is used by its own thread alone.
        conn = sqlite3.connect(
            str(self.path), timeout=self.busy_timeout, check_same_thread=False, isolation_level=None
        )
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        # In WAL mode NORMAL cannot corrupt the database; it only skips an fsync per commit,
        # which would otherwise dominate a bulk ingest of thousands of reports.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        with self._all_lock:
            self._all.append(conn)
        return conn

    def _create(self) -> None:
        db = self.db
        if "reports" not in db.table_names():
            db.table("reports").create(
                {
                    "id": int,
                    "title": str,
                    "issuer": str,
                    "year": int,
                    "places": str,
                    "source": str,
                    "sha256": str,
                    "outline": str,
                    "passage_count": int,
                    "added_at": str,
                },
                pk="id",
            )
            db.table("reports").create_index(["sha256"], unique=True)
            db.table("reports").create_index(["source"])
        # Columns added since the first release: a database from before gets them, empty.
        have = set(db.table("reports").columns_dict)
        for column, kind in _EXTRA_REPORT_COLUMNS.items():
            if column not in have:
                db.execute(f"ALTER TABLE reports ADD COLUMN {column} {kind}")
        if "text_sha256" not in have:
            db.table("reports").create_index(["text_sha256"])
        if "passages" not in db.table_names():
            db.table("passages").create(
                {
                    "id": int,
                    "report_id": int,
                    "ordinal": int,
                    "section": str,
                    "text": str,
                    "tokens": str,
                },
                pk="id",
                foreign_keys=[("report_id", "reports", "id")],
            )
            db.table("passages").create_index(["report_id", "ordinal"])
        if "figures" in db.table_names() and "kind" not in db.table("figures").columns_dict:
            # Figures from before years, parts and kinds were read: their format is older too,
            # so they are extracted anew once the table is back.
            db.table("figures").drop()
        if "figures" not in db.table_names():
            # The figures each passage states (retrieval.figures), rebuilt by reindex.
            db.table("figures").create(
                {
                    "passage_id": int,
                    "report_id": int,
                    "measure": str,
                    "value": float,
                    "unit": str,
                    "written": str,
                    "start": int,
                    "end": int,
                    "year": int,  # NULL: the report's year
                    "part": int,
                    "kind": str,
                    "measure_id": int,  # measures.id of `measure`
                },
            )
            db.table("figures").create_index(["report_id"])
            db.table("figures").create_index(["passage_id"])
        if "measures" not in db.table_names():
            # Each measure a figure states, once: a question across reports matches its measure
            # against these (a few hundred, not a figure per passage) and reads only the
            # figures of those that answer it (figures_answering).
            db.execute(
                "CREATE TABLE IF NOT EXISTS measures (id INTEGER PRIMARY KEY, measure TEXT NOT NULL UNIQUE)"
            )
        if "measure_id" not in db.table("figures").columns_dict:
            self._number_measures()
        self._index_values()
        if "queries" not in db.table_names():
            db.table("queries").create(
                {
                    "id": int,
                    "at": str,
                    "user_id": int,
                    "chat_id": int,
                    "query": str,
                    "answered": int,
                    "refusal": str,
                    "top_passage_id": int,
                    "top_snippet": str,
                },
                pk="id",
            )
            db.table("queries").create_index(["at"])
        if "feedback" not in db.table_names():
            db.table("feedback").create(
                {"id": int, "at": str, "user_id": int, "query_id": int, "value": int, "reason": str},
                pk="id",
            )
            db.table("feedback").create_index(["query_id", "user_id"], unique=True)
        # Columns added since: a database from before gets them, empty (older questions have
        # no snippet, older 👎s no reason).
        for table, column in (("queries", "top_snippet"), ("feedback", "reason")):
            if column not in db.table(table).columns_dict:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
        if "meta" not in db.table_names():
            db.table("meta").create({"key": str, "value": str}, pk="key")
        # Defaults for a new database, or one from before the meta table (ids so far are used).
        defaults = {
            "db_id": uuid.uuid4().hex,
            "generation": "0",
            "tokens_epoch": "0",
            "last_report_id": str(db.execute("SELECT coalesce(max(id), 0) FROM reports").fetchone()[0]),
            "last_passage_id": str(db.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0]),
            # A database from before figures were kept has passages and no figures yet.
            "figures_format": "0"
            if db.execute("SELECT 1 FROM passages LIMIT 1").fetchone()
            else EXTRACTOR_VERSION,
        }
        db.conn.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", list(defaults.items()))

    def _index_values(self) -> None:
        # The values of each measure in one run of the index, with every column a ranking
        # reads: a question across reports reads them in order, never the table's pages.
        self.db.execute(
            "CREATE INDEX IF NOT EXISTS figures_values_by_measure ON figures (measure_id, report_id,"
            ' passage_id, start, measure, value, unit, written, "end", year, part, kind)'
            f" WHERE {_VALUE}"
        )

    def _number_measures(self) -> None:
        """Give the figures of a database from before measures were numbered their measure's
        number (from the stored rows: nothing is extracted again)."""
        with self._transaction() as conn:
            if "measure_id" in self.db.table("figures").columns_dict:
                return  # another process did it first
            conn.execute("ALTER TABLE figures ADD COLUMN measure_id INTEGER")
            conn.execute("INSERT OR IGNORE INTO measures (measure) SELECT DISTINCT measure FROM figures")
            conn.execute(
                "UPDATE figures SET measure_id ="
                " (SELECT id FROM measures WHERE measures.measure = figures.measure)"
            )

    def _meta(self, key: str) -> str:
        return str(self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()[0])

    def _set_meta(self, key: str, value: int | str) -> None:
        self.db.execute("UPDATE meta SET value = ? WHERE key = ?", [str(value), key])

    def _next_id(self, table: str, key: str) -> int:
        """An id above any this table ever held (max(id) too, should a row come from elsewhere)."""
        top = self.db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
        return max(int(self._meta(key)), int(top)) + 1

    def tokenizer_signature(self) -> str | None:
        """The signature of the tokenizer that wrote the stored tokens (None if never recorded)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'tokenizer'").fetchone()
        return None if row is None else str(row[0])

    def set_tokenizer_signature(self, signature: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('tokenizer', ?)", [signature])

    def _bump(self, key: str = "generation") -> None:
        """Count a change (called inside the transaction making it)."""
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = ?", [key])

    def version(self) -> Version:
        """The current version of the indexed data: one small query, however big the corpus."""
        rows = dict(
            self.db.execute(
                "SELECT key, value FROM meta WHERE key IN ('db_id', 'tokens_epoch', 'generation')"
            ).fetchall()
        )
        return Version(rows["db_id"], int(rows["tokens_epoch"]), int(rows["generation"]))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.db.conn
        # IMMEDIATE takes the write lock at once, so the busy timeout applies (a deferred
        # transaction upgrading to a write may fail at once with "database is locked").
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- reports -----------------------------------------------------------------------

    def find_by_hash(self, sha256: str) -> Report | None:
        rows = list(self.db.table("reports").rows_where("sha256 = ?", [sha256]))
        return _report(rows[0]) if rows else None

    def find_by_source(self, source: str, url: str | None = None) -> Report | None:
        """The newest report from a file named `source` (and, when `url` is given, fetched
        from that URL: "" for a file that was not fetched)."""
        where, args = "source = ?", [source]
        if url is not None:
            where, args = "source = ? AND coalesce(url, '') = ?", [source, url]
        return self._first_report(where, args, "id desc")

    def find_by_url(self, url: str) -> Report | None:
        """The newest report fetched from `url`."""
        return self._first_report("url = ?", [url], "id desc")

    def find_by_text_hash(self, text_sha256: str, issuer: str, year: int | None) -> Report | None:
        """The first stored report of `issuer` and `year` whose passages' text hashes to
        `text_sha256` (see parse.text_hash): the same report read from another file. A body
        repeated word for word under another issuer or year (township boilerplate copied from
        year to year) is another report. None for an empty hash."""
        if not text_sha256:
            return None
        return self._first_report(
            "text_sha256 = ? AND issuer = ? AND year IS ?", [text_sha256, issuer, year], "id"
        )

    def _first_report(self, where: str, args: Sequence[str | int | None], order_by: str) -> Report | None:
        rows = list(self.db.table("reports").rows_where(where, args, order_by=order_by, limit=1))
        return _report(rows[0]) if rows else None

    def reports_without_text_hash(self) -> list[int]:
        """Ids of reports stored before text hashes were (their column is empty)."""
        rows = self.db.execute(
            # Not coalesce(…) = '': that reads every report; this is two look-ups in its index.
            "SELECT id FROM reports WHERE text_sha256 IS NULL OR text_sha256 = '' ORDER BY id"
        ).fetchall()
        return [r[0] for r in rows]

    def set_text_hash(self, report_id: int, text_sha256: str) -> None:
        self.db.execute("UPDATE reports SET text_sha256 = ? WHERE id = ?", [text_sha256, report_id])

    def add_report(
        self,
        parsed: ParsedReport,
        tokens: Iterable[list[str] | str],
        replace: int | Iterable[int] | None = None,
    ) -> Report:
        """Store a parsed report and its passages' tokens (each a list, or already joined by
        spaces) in one transaction, first deleting report(s) `replace` if given (so a changed
        file replaces its old version atomically). Its ids are new: never a deleted row's."""
        replaced = [] if replace is None else [replace] if isinstance(replace, int) else list(replace)
        with self._transaction():
            for old in dict.fromkeys(replaced):
                self._delete(old)
            rid = self._next_id("reports", "last_report_id")
            first = self._next_id("passages", "last_passage_id")
            self.db.table("reports").insert(
                {
                    "id": rid,
                    "title": parsed.title,
                    "issuer": parsed.issuer,
                    "year": parsed.year,
                    "places": json.dumps(parsed.places, ensure_ascii=False),
                    "source": parsed.source,
                    "sha256": parsed.sha256,
                    "outline": json.dumps(parsed.outline, ensure_ascii=False),
                    "passage_count": len(parsed.passages),
                    "added_at": _now(),
                    **{c: getattr(parsed, c) for c in _EXTRA_REPORT_COLUMNS},
                }
            )
            self.db.conn.executemany(
                "INSERT INTO passages (id, report_id, ordinal, section, text, tokens)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        first + i,
                        rid,
                        i,
                        json.dumps(p.section, ensure_ascii=False),
                        p.text,
                        toks if isinstance(toks, str) else " ".join(toks),
                    )
                    for i, (p, toks) in enumerate(zip(parsed.passages, tokens, strict=True))
                ),
            )
            self._insert_figures((first + i, rid, figures_in(p.text)) for i, p in enumerate(parsed.passages))
            self._set_meta("last_report_id", rid)
            self._set_meta("last_passage_id", first + len(parsed.passages) - 1)
            self._bump()
        return self.report(rid)

    def delete_report(self, report_id: int) -> Report:
        """Delete a report and its passages; raises UnknownReport if there is none."""
        report = self.report(report_id)
        with self._transaction():
            self._delete(report_id)
        return report

    def _insert_figures(self, passages: Iterable[tuple[int, int, Sequence[Figure]]]) -> None:
        """Store the figures of passages, (passage id, report id, its figures), each with its
        measure's number (a measure not seen before is numbered)."""
        conn = self.db.conn
        numbers: dict[str, int] = {}
        it = iter(passages)
        while chunk := list(itertools.islice(it, 2000)):
            found = [(pid, rid, f) for pid, rid, figures in chunk for f in figures]
            new = list({f.measure for _, _, f in found} - numbers.keys())
            conn.executemany("INSERT OR IGNORE INTO measures (measure) VALUES (?)", [(m,) for m in new])
            for at in range(0, len(new), 500):
                part = new[at : at + 500]
                numbers.update(
                    conn.execute(
                        f"SELECT measure, id FROM measures WHERE measure IN ({','.join('?' * len(part))})",
                        part,
                    ).fetchall()
                )
            conn.executemany(
                'INSERT INTO figures (passage_id, report_id, measure, value, unit, written, start, "end",'
                " year, part, kind, measure_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        pid,
                        rid,
                        f.measure,
                        f.value,
                        f.unit,
                        f.written,
                        f.start,
                        f.end,
                        f.year,
                        int(f.part),
                        f.kind,
                        n,
                    )
                    for pid, rid, f in found
                    for n in (numbers[f.measure],)
                ),
            )

    def rebuild_figures(self, found: Iterable[tuple[int, int, Sequence[Figure]]] | None = None) -> int:
        """Extract every passage's figures anew (after the extractor changed); returns how many.
        `found`: every passage's (id, report id, figures_in of its text), by id, worked out
        elsewhere (on worker processes); by default extracted here, on one core."""
        with self._transaction():
            # Built again once the rows are in: quicker than keeping it up row by row.
            self.db.execute("DROP INDEX IF EXISTS figures_values_by_measure")
            self.db.execute("DELETE FROM figures")
            self.db.execute("DELETE FROM measures")  # numbered anew: those no figure states go
            if found is None:
                rows = self.db.execute("SELECT id, report_id, text FROM passages ORDER BY id")
                found = ((pid, rid, figures_in(text)) for pid, rid, text in rows)
            self._insert_figures(found)
            self._index_values()
            self._set_meta("figures_format", EXTRACTOR_VERSION)
        return int(self.db.execute("SELECT count(*) FROM figures").fetchone()[0])

    def figures_current(self) -> bool:
        """Whether the stored figures were extracted by this version's extractor."""
        return self._meta("figures_format") == EXTRACTOR_VERSION

    def figures_of(self, report_ids: Iterable[int], measure: str = "") -> list[StoredFigure]:
        """The figures of these reports' passages, in passage order; with `measure`, only
        those whose measure may be of its kind (holding one of figures.measure_keys: the caller
        decides with figures.measure_matches), so that a question does not read every row."""
        ids = list(report_ids)
        keys = measure_keys(measure)
        where = ("AND (" + " OR ".join("measure LIKE ?" for _ in keys) + ")") if keys else ""
        extra = [f"%{k}%" for k in keys]
        out: list[StoredFigure] = []
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            out += [
                StoredFigure(
                    Figure(row[2], row[3], row[4], row[5], row[6], row[7], row[8], bool(row[9]), row[10]),
                    row[0],
                    row[1],
                )
                for row in self.db.execute(
                    'SELECT passage_id, report_id, measure, value, unit, written, start, "end", year, part,'
                    " kind FROM figures"
                    f" WHERE report_id IN ({marks}) {where} ORDER BY passage_id, start",
                    [*part, *extra],
                )
            ]
        return out

    def figures_answering(self, measure: str) -> FigureColumns:
        """Every value (a figure of kind "" or "all") whose measure may be of the kind
        `measure` asks (figures.measure_closeness > 0), by report, then passage order: what a
        question across reports may rank by (ranking.table). Read through the measures'
        numbers, the figures of other measures never; each measure's are kept as columns
        until the data changes (a ranking over a million passages reads ~100,000)."""
        keys = measure_keys(measure)
        numbers: list[tuple[int, str]] = []
        if keys:
            like = " OR ".join("measure LIKE ?" for _ in keys)
            rows = self.db.execute(f"SELECT id, measure FROM measures WHERE {like}", [f"%{k}%" for k in keys])
            numbers = [(i, m) for i, m in rows.fetchall() if measure_closeness(measure, m) > 0]
        generation = self.version().generation
        with self._columns_lock:
            if self._columns_generation != generation:
                self._columns.clear()
                self._merged.clear()
                self._columns_generation = generation
        which_ids = tuple(i for i, _ in numbers)
        with self._columns_lock:
            merged = self._merged.get(which_ids)
        if merged is not None:
            return merged
        merged = self._merge([self._values_of(i) for i in which_ids], tuple(m for _, m in numbers))
        with self._columns_lock:
            if len(self._merged) >= MERGED_KEPT:
                self._merged.pop(next(iter(self._merged)))
            self._merged[which_ids] = merged
        return merged

    def _merge(self, blocks: list[tuple[np.ndarray, ...]], measures: tuple[str, ...]) -> FigureColumns:
        """The FigureColumns of the values of `measures` (`blocks`: each one's columns)."""
        blocks = blocks or [_NO_VALUES]
        which = np.concatenate([np.full(len(b[0]), k, np.int64) for k, b in enumerate(blocks)])
        rowid, report, passage, start, year, value, unit, part, whole, with_unit = (
            np.concatenate([b[c] for b in blocks]) for c in range(10)
        )
        order = np.lexsort((rowid, start, passage, report))  # the measures' values merged
        with self._columns_lock:
            units = tuple(self._unit_codes)  # by number: numbered in the order first met
        return FigureColumns(
            measures=measures,
            measure=which[order],
            report=report[order],
            year=year[order],
            value=value[order],
            unit=unit[order],
            part=part[order].astype(bool),
            whole=whole[order].astype(bool),
            rate=unit[order] == (units.index("%") if "%" in units else -1),
            units=units,
            with_unit=with_unit[order].astype(bool),
            rowid=rowid[order],
            read=self._figures_by_rowid,
        )

    def _values_of(self, measure_id: int) -> tuple[np.ndarray, ...]:
        """The columns of FigureColumns for the values of one measure (rowid, report,
        passage, start, year, value, unit, part, whole, with_unit), read once per change."""
        with self._columns_lock:
            kept = self._columns.get(measure_id)
        if kept is not None:
            return kept
        rows = self.db.execute(
            "SELECT rowid, report_id, passage_id, start, coalesce(year, 0), value, unit, part, kind = 'all',"
            " unit = '' OR substr(written, -length(unit)) = unit"
            f" FROM figures WHERE measure_id = ? AND {_VALUE} ORDER BY report_id, passage_id, start, rowid",
            [measure_id],
        ).fetchall()
        cols: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * 10
        distinct, each = np.unique(np.array(cols[6], dtype=str), return_inverse=True)
        with self._columns_lock:
            codes = self._unit_codes
            numbered = np.array([codes.setdefault(str(u), len(codes)) for u in distinct], np.int64)
        cols[6] = numbered[each] if len(distinct) else ()
        block = tuple(np.array(col, dtype=np.float64 if c == 5 else np.int64) for c, col in enumerate(cols))
        with self._columns_lock:
            self._columns[measure_id] = block
            while sum(len(b[0]) for b in self._columns.values()) > COLUMNS_KEPT and len(self._columns) > 1:
                self._columns.pop(next(iter(self._columns)))  # the longest kept goes first
        return block

    def _figures_by_rowid(self, rowids: Sequence[int]) -> list[StoredFigure]:
        """Stored figures by their rows' ids, in that order."""
        got: dict[int, StoredFigure] = {}
        ids = list(rowids)
        for at in range(0, len(ids), 500):
            part = ids[at : at + 500]
            for row in self.db.execute(
                'SELECT rowid, passage_id, report_id, measure, value, unit, written, start, "end", year,'
                f" part, kind FROM figures WHERE rowid IN ({','.join('?' * len(part))})",
                part,
            ):
                got[row[0]] = stored_figure(row[1:])
        return [got[i] for i in ids]

    def _delete(self, report_id: int) -> None:
        self.db.execute("DELETE FROM figures WHERE report_id = ?", [report_id])
        self.db.execute("DELETE FROM passages WHERE report_id = ?", [report_id])
        self.db.execute("DELETE FROM reports WHERE id = ?", [report_id])
        self._bump()

    def report(self, report_id: int) -> Report:
        if not 0 < report_id < 2**63:  # SQLite's integers; a bigger id would overflow, not miss
            raise UnknownReport(report_id)
        try:
            return _report(self.db.table("reports").get(report_id))
        except sqlite_utils.db.NotFoundError:
            raise UnknownReport(report_id) from None

    def reports(self) -> list[Report]:
        # Plain SQL for the columns a Report has (not the outline): a library opening on
        # tens of thousands of reports reads them all.
        cols = _REPORT_COLUMNS
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM reports ORDER BY id").fetchall()
        return [_report(dict(zip(cols, r, strict=True))) for r in rows]

    def find_reports(
        self,
        needles: Sequence[Sequence[str]],
        years: Sequence[int | None] = (),
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Report], int]:
        """A page of reports, newest year first (then newest added), and how many there are in
        all. Each entry of `needles` is one word's alternatives: a report is kept when, for
        every word, one alternative occurs in its title, issuer or places, or the word's year
        (`years`, None for a word that is no year) is its year."""
        where: list[str] = []
        args: list[object] = []
        for i, alternatives in enumerate(needles):
            tests = [
                f"instr({column}, ?) > 0" for _ in alternatives for column in ("title", "issuer", "places")
            ]
            args += [a for a in alternatives for _ in range(3)]
            year = years[i] if i < len(years) else None
            if year is not None:
                tests.append("year = ?")
                args.append(year)
            where.append("(" + " OR ".join(tests or ["0"]) + ")")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total = self.db.execute(f"SELECT count(*) FROM reports{clause}", args).fetchone()[0]
        cols = _REPORT_COLUMNS
        rows = self.db.execute(
            f"SELECT {', '.join(cols)} FROM reports{clause}"
            " ORDER BY year IS NULL, year DESC, id DESC LIMIT ? OFFSET ?",
            [*args, max(limit, 0), max(offset, 0)],
        ).fetchall()
        return [_report(dict(zip(cols, r, strict=True))) for r in rows], total

    def outline(self, report_id: int) -> list[tuple[str, ...]]:
        row = self.db.table("reports").get(report_id) if self._has_report(report_id) else None
        if row is None:
            raise UnknownReport(report_id)
        return [tuple(x) for x in json.loads(row["outline"] or "[]")]

    def _has_report(self, report_id: int) -> bool:
        return bool(self.db.execute("SELECT 1 FROM reports WHERE id = ?", [report_id]).fetchone())

    # --- passages ----------------------------------------------------------------------

    def passage(self, passage_id: int) -> Passage | None:
        row = self.db.execute(
            "SELECT id, report_id, ordinal, section, text FROM passages WHERE id = ?",
            [passage_id],
        ).fetchone()
        return _passage(row) if row else None

    def passages(self, ids: list[int]) -> dict[int, Passage]:
        """Passages by id (missing ids are left out)."""
        out: dict[int, Passage] = {}
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for row in self.db.conn.execute(
                f"SELECT id, report_id, ordinal, section, text FROM passages WHERE id IN ({marks})",
                part,
            ):
                out[row[0]] = _passage(row)
        return out

    def report_passages(self, report_id: int) -> list[Passage]:
        """A report's passages in document order (empty for an unknown report)."""
        rows = self.db.execute(
            "SELECT id, report_id, ordinal, section, text FROM passages WHERE report_id = ? ORDER BY ordinal",
            [report_id],
        ).fetchall()
        return [_passage(row) for row in rows]

    def passage_count(self, after: int = 0) -> int:
        """How many passages there are (with an id above `after`)."""
        if not after:
            # Without a WHERE, SQLite counts the small (report_id, ordinal) index rather than
            # every page of the table (passages with their text and tokens: GBs at 1M).
            return int(self.db.execute("SELECT count(*) FROM passages").fetchone()[0])
        return int(self.db.execute("SELECT count(*) FROM passages WHERE id > ?", [after]).fetchone()[0])

    def report_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM reports ORDER BY id")]

    def iter_index_rows(self, batch: int = 20000, after: int = 0) -> Iterator[tuple[int, int, str, str, str]]:
        """(passage id, report id, section json, text, tokens) for every passage with an id
        above `after`, by id."""
        return self._iter_passages("id, report_id, section, text, tokens", batch, after)

    def iter_passage_texts(self, batch: int = 20000) -> Iterator[tuple[int, int, str, str]]:
        """(passage id, report id, section json, text) for every passage, by id (what
        tokenising and figure extraction read)."""
        return self._iter_passages("id, report_id, section, text", batch, 0)

    def _iter_passages(self, columns: str, batch: int, after: int) -> Iterator[Any]:
        """Rows of `columns` (id first) of every passage with an id above `after`, by id, read
        `batch` at a time."""
        last = after
        while True:
            rows = self.db.execute(
                f"SELECT {columns} FROM passages WHERE id > ? ORDER BY id LIMIT ?", [last, batch]
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def set_tokens(self, rows: Iterable[tuple[int, list[str] | str]]) -> None:
        """Store passages' new tokens (each a list, or already joined by spaces)."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE passages SET tokens = ? WHERE id = ?",
                ((t if isinstance(t, str) else " ".join(t), pid) for pid, t in rows),
            )
            # Tokens rewritten: an index built before is no base for a delta any more.
            self._bump("tokens_epoch")
            self._bump()

    # --- query log and feedback --------------------------------------------------------

    def log_query(
        self,
        query: str,
        answered: bool,
        refusal: str | None = None,
        top_passage_id: int | None = None,
        user_id: int | None = None,
        chat_id: int | None = None,
        top_snippet: str | None = None,
    ) -> int:
        """Log a question and what it got (its top passage and the words quoted from it);
        returns its id (for paging and feedback later)."""
        # Plain SQL: sqlite-utils' insert reads the table's schema on every call, which cost
        # more than answering the question did in the bot's profile.
        cur = self.db.conn.execute(
            "INSERT INTO queries (at, user_id, chat_id, query, answered, refusal, top_passage_id,"
            " top_snippet) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_now(), user_id, chat_id, query, int(answered), refusal, top_passage_id, top_snippet],
        )
        return int(cur.lastrowid or 0)

    def query_text(self, query_id: int) -> str | None:
        """The question logged under `query_id` (for paging through its answer later)."""
        row = self.db.execute("SELECT query FROM queries WHERE id = ?", [query_id]).fetchone()
        return row[0] if row else None

    def logged_query(self, query_id: int) -> LoggedQuery | None:
        """The logged question `query_id` with who asked it where (None if gone)."""
        row = self.db.execute(
            "SELECT id, query, user_id, chat_id, answered FROM queries WHERE id = ?", [query_id]
        ).fetchone()
        return LoggedQuery(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def add_feedback(
        self, query_id: int, user_id: int, value: int, reason: FeedbackReason | None = None
    ) -> bool:
        """Record 👍 (+1) or 👎 (-1, with its reason if already known) on an answered question,
        once per user and question. False (nothing stored) for a question not logged, not
        answered, or already rated by this user."""
        with self._transaction() as conn:
            if not conn.execute("SELECT 1 FROM queries WHERE id = ? AND answered = 1", [query_id]).fetchone():
                return False
            cur = conn.execute(
                "INSERT OR IGNORE INTO feedback (at, user_id, query_id, value, reason)"
                " VALUES (?, ?, ?, ?, ?)",
                [_now(), user_id, query_id, value, reason.value if reason else None],
            )
            return cur.rowcount == 1

    def add_reason(self, query_id: int, user_id: int, reason: FeedbackReason) -> bool:
        """Say why this user's 👎 on `query_id` was given, once: the reason goes with their
        👎 if it has none yet, or comes with a new 👎 if they had not rated the question
        (another member of a group answering the same question). False (nothing changed)
        when they gave 👍, already gave a reason, or the question is not an answered one."""
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE feedback SET reason = ? WHERE query_id = ? AND user_id = ? AND value < 0"
                " AND reason IS NULL",
                [reason.value, query_id, user_id],
            )
            if cur.rowcount == 1:
                return True
            if not conn.execute("SELECT 1 FROM queries WHERE id = ? AND answered = 1", [query_id]).fetchone():
                return False
            cur = conn.execute(
                "INSERT OR IGNORE INTO feedback (at, user_id, query_id, value, reason)"
                " VALUES (?, ?, ?, -1, ?)",
                [_now(), user_id, query_id, reason.value],
            )
            return cur.rowcount == 1

    def feedback_of(self, query_id: int, user_id: int) -> int | None:
        """This user's 👍 (+1) or 👎 (-1) on `query_id`, or None."""
        row = self.db.execute(
            "SELECT value FROM feedback WHERE query_id = ? AND user_id = ?", [query_id, user_id]
        ).fetchone()
        return None if row is None else int(row[0])

    def conversation_log(
        self, since: str, limit: int = 10, refused: bool = True, disliked: bool = True
    ) -> list[LogEntry]:
        """The newest questions asked at or after `since` (ISO time) that were refused
        (`refused`) or answered and given a 👎 (`disliked`), newest first, at most `limit`:
        what each got (refusal kind, or the top answer's report, section and quoted words)
        and its 👎s with their reasons. Who asked, and in which chat, is not part of it."""
        if limit <= 0 or not (refused or disliked):
            return []
        # Each kind is found from its own end (the newest refusals in the log, the newest
        # questions with a 👎 in feedback), so neither waits on a scan of the whole log.
        picks, args = [], []
        if refused:
            picks.append("SELECT * FROM (SELECT id FROM queries WHERE answered = 0 ORDER BY id DESC LIMIT ?)")
            args.append(limit)
        if disliked:
            picks.append(
                "SELECT * FROM (SELECT DISTINCT query_id FROM feedback WHERE value < 0"
                " ORDER BY query_id DESC LIMIT ?)"
            )
            args.append(limit)
        rows = self.db.execute(
            "SELECT q.id, q.at, q.query, q.answered, q.refusal, q.top_snippet,"
            " p.id, p.report_id, p.ordinal, p.section, p.text"
            " FROM queries q LEFT JOIN passages p ON p.id = q.top_passage_id"
            f" WHERE q.id IN ({' UNION '.join(picks)}) AND q.at >= ?"
            " ORDER BY q.id DESC LIMIT ?",
            [*args, since, limit],
        ).fetchall()
        downs: dict[int, list[str | None]] = {}
        if rows:
            marks = ",".join("?" * len(rows))
            for qid, reason in self.db.execute(
                f"SELECT query_id, reason FROM feedback WHERE value < 0 AND query_id IN ({marks})"
                " ORDER BY id",
                [r[0] for r in rows],
            ):
                downs.setdefault(qid, []).append(reason)
        reports: dict[int, Report | None] = {}
        out = []
        for qid, at, text, answered, refusal, snippet, pid, rid, ordinal, section, passage_text in rows:
            passage = _passage((pid, rid, ordinal, section, passage_text)) if pid is not None else None
            report = None
            if passage is not None:
                if rid not in reports:
                    reports[rid] = self._report_or_none(rid)
                report = reports[rid]
            given = downs.get(qid, [])
            out.append(
                LogEntry(
                    query_id=qid,
                    at=at,
                    question=text,
                    answered=bool(answered),
                    refusal=_refusal(refusal) if not answered else None,
                    report=report,
                    section=passage.section if passage else (),
                    snippet=snippet or (_first_words(passage.text) if passage else ""),
                    thumbs_down=len(given),
                    reasons=tuple(FeedbackReason(r) for r in given if r in _REASONS),
                )
            )
        return out

    def _report_or_none(self, report_id: int) -> Report | None:
        try:
            return self.report(report_id)
        except UnknownReport:
            return None

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Delete a user's logged questions and feedback (and others' feedback on those
        questions). Returns (questions, feedback) deleted."""
        with self._transaction() as conn:
            fb = conn.execute(
                "DELETE FROM feedback WHERE user_id = ?"
                " OR query_id IN (SELECT id FROM queries WHERE user_id = ?)",
                [user_id, user_id],
            ).rowcount
            qs = conn.execute("DELETE FROM queries WHERE user_id = ?", [user_id]).rowcount
        return qs, fb

    def purge_queries(self, older_than_days: float, now: datetime | None = None) -> int:
        """Delete logged questions (and their feedback) older than the given age; returns how
        many questions went."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=older_than_days)).isoformat(timespec="seconds")
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM feedback WHERE query_id IN (SELECT id FROM queries WHERE at < ?)", [cutoff]
            )
            conn.execute("DELETE FROM feedback WHERE at < ?", [cutoff])
            return int(conn.execute("DELETE FROM queries WHERE at < ?", [cutoff]).rowcount)

    def stats(self, since: str | None = None) -> dict[str, int]:
        """Counts for the admin: reports, passages, questions (since `since`, ISO time), those
        that found nothing, and feedback."""
        since = since or datetime.now(UTC).strftime("%Y-%m-%dT00:00:00")
        q = self.db.execute
        return {
            "reports": q("SELECT count(*) FROM reports").fetchone()[0],
            "passages": q("SELECT count(*) FROM passages").fetchone()[0],
            "questions": q("SELECT count(*) FROM queries WHERE at >= ?", [since]).fetchone()[0],
            "unanswered": q(
                "SELECT count(*) FROM queries WHERE at >= ? AND answered = 0", [since]
            ).fetchone()[0],
            "thumbs_up": q("SELECT count(*) FROM feedback WHERE value > 0").fetchone()[0],
            "thumbs_down": q("SELECT count(*) FROM feedback WHERE value < 0").fetchone()[0],
        }

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used after."""
        self._closed = True
        with self._all_lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


# What a store keeps of the values rankings read, while the data does not change: the columns
# of measures up to this many figures in all (~80 bytes each), and the merged columns of this
# many sets of measures asked.
COLUMNS_KEPT = 2_000_000
MERGED_KEPT = 16
# FigureColumns' columns of no figures (see Store._values_of).
_NO_VALUES = tuple(np.zeros(0, np.float64 if c == 5 else np.int64) for c in range(10))

# A figure that is a value of its measure (not a change or a goal): what rankings read.
_VALUE = "kind IN ('', 'all')"

# Report fields stored in columns of their own, added to the table after its first release
# (so an older database gets them by ALTER TABLE), with their SQL types.
_EXTRA_REPORT_COLUMNS = {
    "url": "TEXT",
    "published": "TEXT",
    "origin": "TEXT",
    "year_inferred": "INTEGER",
    "plan_year": "INTEGER",
    "signed_on": "TEXT",
    "text_sha256": "TEXT",
    "issuer_inferred": "INTEGER",
    "places_inferred": "INTEGER",
}
_REPORT_COLUMNS = (
    *("id", "title", "issuer", "year", "places", "source", "sha256", "passage_count"),
    *_EXTRA_REPORT_COLUMNS,
)


def _open_failure(e: sqlite3.DatabaseError) -> str:
    """What an operator should do about a database that would not open."""
    message = str(e)
    if "not a database" in message or "malformed" in message:
        return "is damaged (not a SQLite database): move it aside and run `reportbot ingest` again"
    if "readonly" in message or "unable to open" in message:
        return "cannot be written: set REPORTBOT_DATA_DIR to a folder this user may write"
    return f"cannot be opened ({message})"


def _report(row: dict) -> Report:
    return Report(
        id=row["id"],
        title=row["title"],
        issuer=row["issuer"],
        year=row["year"],
        places=tuple(json.loads(row["places"] or "[]")),
        source=row["source"],
        sha256=row["sha256"],
        passage_count=row["passage_count"] or 0,
        url=row["url"] or "",
        published=row["published"] or "",
        origin=row["origin"] or "",
        year_inferred=bool(row["year_inferred"]),
        plan_year=row["plan_year"],
        signed_on=row["signed_on"] or "",
        text_sha256=row["text_sha256"] or "",
        issuer_inferred=bool(row["issuer_inferred"]),
        places_inferred=bool(row["places_inferred"]),
    )


_REASONS = {r.value for r in FeedbackReason}
FIRST_WORDS = 60  # of a passage, for a logged question whose quoted words were not kept


def _first_words(text: str) -> str:
    return text if len(text) <= FIRST_WORDS else text[: FIRST_WORDS - 1] + "…"


def _refusal(value: str | None) -> Refusal:
    """A logged refusal kind (an unknown or missing one, from another version: no_match)."""
    try:
        return Refusal(value or Refusal.NO_MATCH)
    except ValueError:
        return Refusal.NO_MATCH


def _passage(row: tuple) -> Passage:
    return Passage(id=row[0], report_id=row[1], ordinal=row[2], section=_section(row[3]), text=row[4])


@functools.lru_cache(maxsize=100_000)
def _section(stored: str) -> tuple[str, ...]:
    # Passages under one heading share its JSON: an answer reads ~100 passages, most of whose
    # sections were parsed for an earlier question.
    return tuple(json.loads(stored))
