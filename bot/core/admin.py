"""What admins do, once for every channel: a file or a link → a preview with the outline →
confirm (add, or for the same content stored from another file: replace / keep both) →
answerable at once; /reindex with progress; /delete by id or from a pick list; /stats.

Whether a user is an admin is the channel's to say (its settings list them): Message.admin.
Parsing and indexing block for seconds; `progress`, when a channel gives one, is told what is
going on (a first line at once, then at most once a second)."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core import texts
from bot.core.actions import shorten
from bot.core.messages import Action, Kind, ListPart, Message, PreviewPart, Reply, StatsPart, TextPart
from retrieval import texts as library_texts
from retrieval.config import Settings
from retrieval.errors import FetchError, ReportbotError, UnknownReport, UnreadableFile
from retrieval.fetch import Limits
from retrieval.library import Ingested, Library, OnDuplicate, Outcome
from retrieval.models import LogEntry, OutlineEntry, ParsedReport, Report

Progress = Callable[[str], None]
PROGRESS_EVERY_SECONDS = 1.0  # platforms rate-limit edits; one a second is plenty to watch
PENDING_SECONDS = 30 * 60  # how long an upload preview waits for its confirmation
# A link in a message: up to the first white space or a character no URL is written with.
LINK = re.compile(r"https?://[^\s<>\"'，。；、）」》]+", re.IGNORECASE)
PREVIEW_HEADING_CHARS = 30  # a heading longer than this is cut in the preview's outline
PREVIEW_FIELD_CHARS = 300  # a title, issuer or link longer than this is cut (a misparse, mostly)
STATS_LOG_ENTRIES = 10  # refused and 👎 questions /stats lists
STATS_QUESTION_CHARS = 40
STATS_QUOTE_CHARS = 40
_CHOICES = {"y": OnDuplicate.SKIP, "r": OnDuplicate.REPLACE, "k": OnDuplicate.KEEP}
ADMIN_PREFIXES = ("up", "del", "delp")  # the actions only an admin may press


@dataclass
class PendingUpload:
    admin_id: int
    parsed: ParsedReport
    at: float = field(default_factory=time.monotonic)


def link_in(text: str) -> str | None:
    """The first link written in a text (a sentence's full stop or a closing bracket after it
    is not part of it)."""
    found = LINK.search(text)
    return found.group(0).rstrip(".,;:!?)]") if found else None


def refusal_reason(error: ReportbotError) -> str:
    """Why a file or link was refused, in Chinese: the sentence for its kind (the English
    `reason` is for the CLI and the log, never shown to chat users)."""
    if isinstance(error, UnreadableFile):
        return library_texts.unreadable(error.kind, error.detail)
    return library_texts.UNREADABLE_OTHER


def throttled(progress: Progress | None, template: str) -> Callable[[int, int], None] | None:
    """A (done, total) callback for the library that tells `progress` `template` (with done,
    total and pct) at most once a second, and not at the end (the reply says that)."""
    if progress is None:
        return None
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_SECONDS or total == 0 or done >= total:
            return
        last = now
        progress(template.format(done=done, total=total, pct=done / total))

    return report


class Admin:
    """The admin's side of the conversation over a library, with the channel's settings (the
    upload limit, the log's retention); `report_list` makes a page of a report list (the
    core's, shared with /reports)."""

    def __init__(self, library: Library, settings: Settings, report_list: Callable[..., ListPart]) -> None:
        self.library = library
        self.settings = settings
        self.report_list = report_list
        self.pending: dict[str, PendingUpload] = {}
        self._lock = threading.Lock()
        self._reindexing = False

    @property
    def max_bytes(self) -> int:
        return int(self.settings.max_upload_mb * 1024 * 1024)

    # --- reports to add ------------------------------------------------------------------

    def upload(self, message: Message, progress: Progress | None = None) -> Reply:
        """A file from an admin: parsed, then previewed (nothing is stored before they confirm)."""
        data = message.file or b""
        if len(data) > self.max_bytes:
            size = len(data) / 1024 / 1024
            limit = self.settings.max_upload_mb
            return Reply([TextPart(texts.UPLOAD_TOO_BIG.format(size=size, limit=limit))])
        if progress:
            progress(texts.UPLOAD_WORKING)
        try:
            pages = throttled(progress, texts.UPLOAD_PAGES)
            parsed = self.library.parse(message.file_name or "upload", data, pages)
        except ReportbotError as e:
            return Reply([TextPart(texts.UPLOAD_REFUSED.format(reason=refusal_reason(e)))])
        return self.preview(parsed, message.user_id)

    def link(self, message: Message, url: str, progress: Progress | None = None) -> Reply:
        """A link from an admin: fetched (page, .pdf or .docx), then previewed as a file is."""
        if progress:
            progress(texts.LINK_WORKING)
        try:
            parsed = self.library.fetch(url, Limits(max_bytes=self.max_bytes))
        except FetchError as e:
            return Reply([TextPart(texts.LINK_REFUSED.format(reason=refusal_reason(e)))])
        except ReportbotError as e:  # fetched, but no readable report
            return Reply([TextPart(texts.UPLOAD_REFUSED.format(reason=refusal_reason(e)))])
        return self.preview(parsed, message.user_id)

    def preview(self, parsed: ParsedReport, admin_id: int) -> Reply:
        """The preview of a parsed report with its choices: 确认添加 / 取消, or 替换 / 都保留 /
        取消 when a stored report has the same content; nothing to confirm when the same file
        is stored already."""
        same = self.library.stored_copy(parsed)
        if same:
            return Reply([TextPart(texts.UPLOAD_SAME.format(id=same.id, title=same.title))])
        twin = self.library.duplicate_of(parsed)
        old = self.library.replaces(parsed)
        key = self._keep(PendingUpload(admin_id, parsed))
        if twin:
            choices = [
                Action(texts.UPLOAD_REPLACE, f"up:{key}:r", Kind.CONFIRM),
                Action(texts.UPLOAD_KEEP_BOTH, f"up:{key}:k", Kind.CONFIRM),
            ]
        else:
            choices = [Action(texts.UPLOAD_CONFIRM, f"up:{key}:y", Kind.CONFIRM)]
        choices.append(Action(texts.UPLOAD_CANCEL, f"up:{key}:n", Kind.CONFIRM))
        return Reply([preview_part(parsed, self.library.sections_of(parsed), twin, old, ((*choices,),))])

    def _keep(self, upload: PendingUpload) -> str:
        """Keep an upload awaiting confirmation; returns the short key its actions carry."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k, p in self.pending.items() if now - p.at > PENDING_SECONDS]:
                del self.pending[key]
            key = secrets.token_urlsafe(6)
            self.pending[key] = upload
        return key

    def confirm(self, key: str, choice: str, user_id: int) -> Reply:
        """确认添加 (y) / 替换 (r) / 都保留 (k) / 取消 (n) under a preview: only its admin's."""
        with self._lock:
            pending = self.pending.get(key)
            if pending is not None and pending.admin_id != user_id:
                return Reply(notice=texts.UPLOAD_NOT_YOURS, alert=True)
            pending = self.pending.pop(key, None)
        if pending is None:
            return Reply(notice=texts.UPLOAD_EXPIRED, alert=True)
        if choice not in _CHOICES:
            return Reply([TextPart(texts.UPLOAD_CANCELLED)], edit=True)
        twin = self.library.duplicate_of(pending.parsed) if choice == "k" else None
        done = self.library.add(pending.parsed, True, _CHOICES[choice])
        return Reply([TextPart(added_text(done, twin))], edit=True)

    # --- the index, deleting, statistics ---------------------------------------------------

    def reindex(self, progress: Progress | None = None) -> Reply:
        """/reindex: rebuild the index (one at a time), saying how far it is."""
        with self._lock:
            if self._reindexing:
                return Reply([TextPart(texts.REINDEX_BUSY)])
            self._reindexing = True
        try:
            if progress:
                progress(texts.REINDEX_START)
            started = time.monotonic()
            n = self.library.reindex(False, throttled(progress, texts.REINDEX_PROGRESS))
            seconds = time.monotonic() - started
            return Reply([TextPart(texts.REINDEX_DONE.format(n=n, seconds=seconds))])
        finally:
            with self._lock:
                self._reindexing = False

    def delete(self, words: str) -> Reply:
        """/delete [id | words]: a report by its id (to confirm), or a page of the reports
        matching the words to pick from."""
        first = words.split()[0] if words.split() else ""
        if first and (first[0] in "#-" or first.isdigit()):  # meant as an id (#12, 12, -3, ²)
            if not re.fullmatch(r"#?[0-9]{1,18}", first):  # ASCII digits only: "²".isdigit() is true
                return Reply([TextPart(texts.DELETE_USAGE)])
            return self.ask_delete(int(first.lstrip("#")))
        return Reply([self.report_list(words, 0, deleting=True)])

    def ask_delete(self, report_id: int) -> Reply:
        try:
            r = self.library.report(report_id)
        except UnknownReport:
            return Reply([TextPart(texts.REPORT_GONE)])
        choices = (
            Action(texts.DELETE_CONFIRM, f"del:{r.id}:y", Kind.CONFIRM, r.id),
            Action(texts.UPLOAD_CANCEL, f"del:{r.id}:n", Kind.CONFIRM, r.id),
        )
        question = texts.DELETE_CONFIRM_Q.format(id=r.id, issuer=r.issuer, title=r.title)
        return Reply([TextPart(question, (choices,))])

    def delete_choice(self, report_id: int, choice: str) -> Reply:
        """A report picked to delete (ask), then 确认删除 (y) or 取消 (n), in place."""
        if choice == "ask":
            return self.ask_delete(report_id)
        if choice != "y":
            return Reply([TextPart(texts.UPLOAD_CANCELLED)], edit=True)
        try:
            r = self.library.delete(report_id)
        except UnknownReport:
            return Reply([TextPart(texts.REPORT_GONE)], edit=True)
        return Reply([TextPart(texts.DELETE_DONE.format(id=r.id, title=r.title))], edit=True)

    def stats(self, private: bool) -> Reply:
        """/stats: the counts, and (in a private chat only: in a group everyone would read
        other people's questions) the latest refused and 👎 questions with what they got."""
        counts = texts.STATS.format(**self.library.stats())
        if not private:
            return Reply([StatsPart(counts, texts.LOG_PRIVATE_ONLY)])
        entries = self.library.conversation_log(STATS_LOG_ENTRIES)
        if not entries:
            days = self.settings.query_retention_days
            return Reply([StatsPart(counts, texts.LOG_EMPTY.format(days=days))])
        return Reply([StatsPart(counts, texts.LOG_HEADER, tuple(log_line(e) for e in entries))])

    # --- presses -----------------------------------------------------------------------------

    def press(self, message: Message, prefix: str, fields: list[str]) -> Reply | None:
        """An admin's press (up:, del:, delp:); None when it is no admin action."""
        if not message.admin:
            return Reply(notice=texts.NOT_ADMIN, alert=True)
        if prefix == "up" and len(fields) == 2:
            return self.confirm(fields[0], fields[1], message.user_id)
        if prefix == "del" and len(fields) == 2 and fields[1] in ("ask", "y", "n"):
            return self.delete_choice(int(fields[0]), fields[1])
        return None


def preview_part(
    parsed: ParsedReport,
    entries: tuple[OutlineEntry, ...],
    twin: Report | None,
    old: Report | None,
    actions: tuple[tuple[Action, ...], ...] = (),
) -> PreviewPart:
    """A report about to be added: its metadata, warnings where the year or places are missing
    or guessed, its outline, and what adding it would replace or duplicate."""
    year = texts.UNKNOWN_YEAR if parsed.year is None else str(parsed.year)
    if parsed.year is not None and parsed.year_inferred:
        year = texts.PREVIEW_YEAR_INFERRED.format(year=parsed.year)
    head = texts.PREVIEW_HEAD.format(
        title=shorten(parsed.title, PREVIEW_FIELD_CHARS),
        issuer=shorten(parsed.issuer or texts.NONE, PREVIEW_FIELD_CHARS),
        year=year,
        places=" › ".join(parsed.places) or texts.NONE,
        passages=len(parsed.passages),
    )
    if parsed.url:
        head += "\n" + texts.PREVIEW_LINK.format(url=shorten(parsed.url, PREVIEW_FIELD_CHARS))
    warnings = []
    if parsed.year is None:
        warnings.append(texts.PREVIEW_NO_YEAR)
    elif parsed.year_inferred:
        warnings.append(texts.PREVIEW_GUESSED_YEAR)
    if not parsed.places:
        warnings.append(texts.PREVIEW_NO_PLACES)
    tail = []
    if old and (twin is None or old.id != twin.id):
        replaces = texts.PREVIEW_REPLACES_LINK if parsed.url else texts.PREVIEW_REPLACES
        tail.append(replaces.format(id=old.id, title=old.title))
    if twin:
        tail.append(texts.PREVIEW_SAME_CONTENT.format(id=twin.id, title=twin.title))
    else:
        tail.append(texts.PREVIEW_QUESTION)
    outline = tuple(_outline_line(e) for e in entries)
    return PreviewPart(head, tuple(warnings), outline, tuple(tail), actions)


def _outline_line(entry: OutlineEntry) -> str:
    heading = shorten(entry.path[-1] if entry.path else library_texts.SECTION_OPENING, PREVIEW_HEADING_CHARS)
    indent = "　" * max(len(entry.path) - 1, 0)
    return texts.PREVIEW_OUTLINE_ENTRY.format(indent=indent, heading=heading, n=entry.passages)


def added_text(done: Ingested, twin: Report | None) -> str:
    """What adding a report did: added, replaced, kept beside its twin, or nothing."""
    r = done.report
    if done.outcome == Outcome.REPLACED and done.replaced:
        return texts.UPLOAD_REPLACED.format(
            old=done.replaced.id, id=r.id, title=r.title, passages=r.passage_count
        )
    if done.outcome == Outcome.UNCHANGED:
        return texts.UPLOAD_SAME.format(id=r.id, title=r.title)
    if done.outcome == Outcome.DUPLICATE:
        return texts.UPLOAD_DUPLICATE.format(id=r.id, title=r.title)
    if twin:
        return texts.UPLOAD_KEPT_BOTH.format(id=r.id, title=r.title, passages=r.passage_count, twin=twin.id)
    return texts.UPLOAD_ADDED.format(id=r.id, title=r.title, passages=r.passage_count)


def log_line(entry: LogEntry) -> str:
    """· 12-01 23:05「question」👎×1（不完整）→ #3 秀山县：“quoted words”"""
    when = entry.at[5:16].replace("T", " ")
    line = f"· {when}「{shorten(entry.question, STATS_QUESTION_CHARS)}」{texts.log_verdict(entry)}"
    if entry.answered:
        r = entry.report
        where = f"#{r.id} {r.place or r.issuer}" if r else texts.LOG_REPORT_GONE
        line += f" → {where}：“{shorten(entry.snippet, STATS_QUOTE_CHARS)}”"
    return line
