"""The core's replies as JSON for the web page (`POST /api/chat`), and the files they carry,
kept a short while for the page to download (`GET /api/files/<token>`).

Every string in the JSON is text for the page to insert as text; nothing in it is markup.
"""

from __future__ import annotations

import mimetypes
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core import texts as core_texts
from bot.core.messages import (
    Action,
    AnswerPart,
    Excerpt,
    FilePart,
    ListPart,
    Part,
    PassagePart,
    Reply,
    ReportPart,
    Rows,
    TextPart,
)
from bot.core.shapes import report_json
from bot.terminal import answer_text
from bot.web import texts as web_texts
from retrieval import texts
from retrieval.models import Report, Table
from retrieval.understand import normalise


@dataclass(frozen=True)
class StoredFile:
    name: str
    data: bytes
    media_type: str
    expires: float


class FileStash:
    """Files of replies (an export, a report's original) under unguessable tokens, for a few
    minutes; at most `size` files and `max_bytes` in all, the oldest dropped first."""

    def __init__(
        self,
        ttl: float = 600.0,
        size: int = 32,
        max_bytes: int = 200 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.size, self.max_bytes, self.clock = ttl, size, max_bytes, clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, name: str, data: bytes) -> str:
        """Keep a file; its token."""
        token = secrets.token_urlsafe(18)
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with self._lock:
            self._files[token] = StoredFile(name, data, media_type, self.clock() + self.ttl)
            self._trim()
        return token

    def get(self, token: str) -> StoredFile | None:
        with self._lock:
            self._trim()
            return self._files.get(token)

    def _trim(self) -> None:
        now = self.clock()
        total = sum(len(f.data) for f in self._files.values())
        while self._files:
            token, oldest = next(iter(self._files.items()))
            if oldest.expires > now and len(self._files) <= self.size and total <= self.max_bytes:
                break
            total -= len(oldest.data)
            del self._files[token]


def reply_json(reply: Reply | None, stash: FileStash, typed: str | None = None) -> dict[str, Any]:
    """A reply as the page draws it; None (the core stays silent) is a reply of nothing.
    `typed`: the user's words, when the reply answers them (not a press)."""
    if reply is None:
        return {"parts": [], "edit": False, "notice": None, "alert": False, "feedback": None}
    # A ranking's table is drawn on the page, bars and all, in the browser's own fonts: the
    # chart's picture, made for chats, is not sent along.
    ranked = any(isinstance(p, AnswerPart) and p.answer.table is not None for p in reply.parts)
    parts = [p for p in reply.parts if not (ranked and _is_chart(p))]
    return {
        "parts": [part_json(p, stash, typed) for p in parts],
        "edit": reply.edit,
        "notice": reply.notice,
        "alert": reply.alert,
        "feedback": None if reply.feedback is None else [action_json(a) for a in reply.feedback],
    }


def _is_chart(part: Part) -> bool:
    return isinstance(part, FilePart) and part.report is None and part.name.lower().endswith(".png")


def action_json(a: Action) -> dict[str, Any]:
    return {"label": web_texts.label(a.label), "id": a.id, "kind": a.kind.value}


def _table(table: Table) -> dict[str, Any]:
    """A ranking as the page draws it: a row per place, its bar's length as a share of the
    longest (the first of a descending ranking, else the largest value)."""
    top = max((row.figure.value for row in table.rows), default=0) or 1
    return {
        "measure": table.measure,
        "rows": [
            {
                "rank": i,
                "place": row.place,
                "year": row.report.year,
                "value": row.figure.value,
                "written": row.figure.written,
                "share": round(max(row.figure.value, 0) / top, 4),
                "report": _report(row.report),
            }
            for i, row in enumerate(table.rows, 1)
        ],
        "without": table.without,
    }


def rows_json(rows: Rows) -> list[list[dict[str, Any]]]:
    return [[action_json(a) for a in row] for row in rows]


def _report(r: Report) -> dict[str, Any]:
    out = report_json(r)
    out["name"] = texts.report_name(r)
    if not (r.url or "").lower().startswith(("http://", "https://")):
        out["url"] = None  # only web links become links
    return out


def _excerpt(e: Excerpt) -> dict[str, Any]:
    h = e.hit
    return {
        "rank": h.rank,
        "side": e.side,
        "snippet": h.snippet.text,
        "highlights": [list(x) for x in h.snippet.highlights()],
        "report": _report(h.report),
        "section": list(h.passage.section),
        "citation": " › ".join([texts.report_name(h.report), *h.passage.section]),
        "full": action_json(e.full) if e.full else None,
        "source": action_json(e.source) if e.source else None,
    }


def _answer(part: AnswerPart, typed: str | None) -> dict[str, Any]:
    answer = part.answer
    plain = answer_text(answer)
    question = part.asked or answer.query.text
    return {
        "type": "answer",
        # The answer in a line, shown first when there is one.
        "lead": part.lead,
        "question": question,
        # The question as understood, shown when it is not what was typed (a follow-up, another
        # year, another page of it).
        "understood": bool(question) and (typed is None or normalise(typed) != question),
        "query_id": part.query_id,
        "answered": answer.answered,
        "excerpts": [_excerpt(e) for e in part.excerpts],
        "notes": list(part.notes),
        "actions": rows_json(part.actions),
        "offset": part.offset,
        "has_more": part.has_more,
        # 复制: the question, each excerpt with its citation (and link), as plain text.
        "copy": f"{core_texts.QUESTION_LABEL}{question}\n{plain}" if question else plain,
        "table": _table(answer.table) if answer.table is not None else None,
    }


def part_json(part: Part, stash: FileStash, typed: str | None = None) -> dict[str, Any]:
    """One part of a reply as JSON; a file's bytes stay on the server, behind a link."""
    if isinstance(part, AnswerPart):
        return _answer(part, typed)
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text, "actions": rows_json(part.actions)}
    if isinstance(part, PassagePart):
        return {
            "type": "passage",
            "report": _report(part.report),
            "section": list(part.passage.section),
            "heading": " › ".join(part.passage.section) or texts.SECTION_OPENING,
            "text": part.passage.text,
        }
    if isinstance(part, ReportPart):
        return {
            "type": "report",
            "report": _report(part.report),
            "source": part.report.url or part.report.source,
            "outline": [list(s) for s in part.outline],
        }
    if isinstance(part, ListPart):
        return {
            "type": "list",
            "lines": [texts.report_line(r) for r in part.reports],
            "total": part.total,
            "offset": part.offset,
            "actions": rows_json(part.actions),
        }
    assert isinstance(part, FilePart)
    token = stash.put(part.name, part.data)
    return {
        "type": "file",
        "name": part.name,
        "size": len(part.data),
        "url": f"/api/files/{token}",
        "report": _report(part.report) if part.report else None,
    }
