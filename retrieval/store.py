"""SQLite storage (through sqlite-utils): reports, passages with their tokens, the query log
and feedback. The BM25 index is derived from this and can always be rebuilt from it."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from retrieval.errors import UnknownReport
from retrieval.models import ParsedReport, Passage, Report


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """The database. Safe to share between threads: every call takes a lock, because the bot
    answers on the event loop while a reindex or an upload runs in a worker thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._create()

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
                },
                pk="id",
            )
            db.table("queries").create_index(["at"])
        if "feedback" not in db.table_names():
            db.table("feedback").create(
                {"id": int, "at": str, "user_id": int, "query_id": int, "value": int},
                pk="id",
            )
            db.table("feedback").create_index(["query_id", "user_id"], unique=True)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.db.conn
        with self._lock:
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

    def find_by_source(self, source: str) -> Report | None:
        rows = list(self.db.table("reports").rows_where("source = ?", [source], order_by="id desc"))
        return _report(rows[0]) if rows else None

    def add_report(
        self, parsed: ParsedReport, tokens: Iterable[list[str]], replace: int | None = None
    ) -> Report:
        """Store a parsed report and its passages' tokens in one transaction, first deleting
        report `replace` if given (so a changed file replaces its old version atomically)."""
        with self._transaction():
            if replace is not None:
                self._delete(replace)
            rid = (
                self.db.table("reports")
                .insert(
                    {
                        "title": parsed.title,
                        "issuer": parsed.issuer,
                        "year": parsed.year,
                        "places": json.dumps(parsed.places, ensure_ascii=False),
                        "source": parsed.source,
                        "sha256": parsed.sha256,
                        "outline": json.dumps(parsed.outline, ensure_ascii=False),
                        "passage_count": len(parsed.passages),
                        "added_at": _now(),
                    }
                )
                .last_pk
            )
            self.db.table("passages").insert_all(
                (
                    {
                        "report_id": rid,
                        "ordinal": i,
                        "section": json.dumps(p.section, ensure_ascii=False),
                        "text": p.text,
                        "tokens": " ".join(toks),
                    }
                    for i, (p, toks) in enumerate(zip(parsed.passages, tokens, strict=True))
                ),
                batch_size=2000,
            )
        return self.report(int(rid or 0))

    def delete_report(self, report_id: int) -> Report:
        """Delete a report and its passages; raises UnknownReport if there is none."""
        report = self.report(report_id)
        with self._transaction():
            self._delete(report_id)
        return report

    def _delete(self, report_id: int) -> None:
        self.db.execute("DELETE FROM passages WHERE report_id = ?", [report_id])
        self.db.execute("DELETE FROM reports WHERE id = ?", [report_id])

    def report(self, report_id: int) -> Report:
        try:
            return _report(self.db.table("reports").get(report_id))
        except sqlite_utils.db.NotFoundError:
            raise UnknownReport(report_id) from None

    def reports(self) -> list[Report]:
        return [_report(r) for r in self.db.table("reports").rows_where(order_by="id")]

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
            for row in self.db.execute(
                f"SELECT id, report_id, ordinal, section, text FROM passages WHERE id IN ({marks})",
                part,
            ):
                out[row[0]] = _passage(row)
        return out

    def passage_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM passages").fetchone()[0]

    def iter_index_rows(self, batch: int = 20000) -> Iterator[tuple[int, int, str, str, str]]:
        """(passage id, report id, section json, text, tokens) for every passage, by id."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT id, report_id, section, text, tokens FROM passages WHERE id > ? ORDER BY id LIMIT ?",
                [last, batch],
            ).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]

    def set_tokens(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE passages SET tokens = ? WHERE id = ?",
                ((" ".join(t), pid) for pid, t in rows),
            )

    # --- query log and feedback --------------------------------------------------------

    def log_query(
        self,
        query: str,
        answered: bool,
        refusal: str | None = None,
        top_passage_id: int | None = None,
        user_id: int | None = None,
        chat_id: int | None = None,
    ) -> int:
        with self._lock:
            return int(
                self.db.table("queries")
                .insert(
                    {
                        "at": _now(),
                        "user_id": user_id,
                        "chat_id": chat_id,
                        "query": query,
                        "answered": int(answered),
                        "refusal": refusal,
                        "top_passage_id": top_passage_id,
                    }
                )
                .last_pk
                or 0
            )

    def query_text(self, query_id: int) -> str | None:
        """The question logged under `query_id` (for paging through its answer later)."""
        row = self.db.execute("SELECT query FROM queries WHERE id = ?", [query_id]).fetchone()
        return row[0] if row else None

    def add_feedback(self, query_id: int, user_id: int, value: int) -> None:
        """Record 👍 (+1) or 👎 (-1); a user's second vote on the same answer replaces the first."""
        with self._lock:
            self.db.execute(
                "INSERT INTO feedback (at, user_id, query_id, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(query_id, user_id) DO UPDATE SET value = excluded.value, at = excluded.at",
                [_now(), user_id, query_id, value],
            )

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
        self.db.conn.close()


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
    )


def _passage(row: tuple) -> Passage:
    return Passage(
        id=row[0], report_id=row[1], ordinal=row[2], section=tuple(json.loads(row[3])), text=row[4]
    )
