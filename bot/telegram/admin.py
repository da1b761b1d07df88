"""Admin handlers: upload a report or send a link to one (preview, then confirm), /reindex,
/delete, /stats.

Every handler checks the sender against the admin ids first; anyone else gets a polite
refusal and nothing changes. Parsing and indexing run in a worker thread, so questions keep
being answered meanwhile (from the old index until the new one is swapped in).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot.telegram import lists, render
from bot.telegram.context import Context, PendingUpload
from bot.telegram.delivery import TooBig, download_capped
from retrieval import texts
from retrieval.errors import FetchError, ReportbotError, UnknownReport, UnreadableFile
from retrieval.fetch import Limits
from retrieval.library import Ingested, OnDuplicate, Outcome
from retrieval.models import LogEntry, OutlineEntry, ParsedReport, Report

PROGRESS_EVERY_SECONDS = 1.0  # Telegram rate-limits edits; one a second is plenty to watch
# A link in a message: up to the first white space or a character no URL is written with.
LINK = re.compile(r"https?://[^\s<>\"'，。；、）」》]+", re.IGNORECASE)
PREVIEW_HEADING_CHARS = 30  # a heading longer than this is cut in the preview's outline
PREVIEW_FIELD_CHARS = 300  # a title, issuer or link longer than this is cut (a misparse, mostly)
PREVIEW_ROOM = 3900  # of Telegram's 4096: the rest is the preview's own lines and slack
_CHOICES = {"y": OnDuplicate.SKIP, "r": OnDuplicate.REPLACE, "k": OnDuplicate.KEEP}


async def _refuse_non_admin(update: Update, context: Context) -> bool:
    """True (after telling them) when the sender is not an admin."""
    user = update.effective_user
    if user and context.is_admin(user.id):
        return False
    if update.callback_query:
        await update.callback_query.answer(texts.NOT_ADMIN, show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(texts.NOT_ADMIN)
    return True


async def document(update: Update, context: Context) -> None:
    """A file sent in a private chat: parse it and show a preview to confirm."""
    msg = update.effective_message
    if not msg or not msg.document or await _refuse_non_admin(update, context):
        return
    doc = msg.document
    limit = context.settings.max_upload_mb
    limit_bytes = int(limit * 1024 * 1024)
    if doc.file_size and doc.file_size > limit_bytes:  # a claim too big is believed; a small one is not
        await msg.reply_text(texts.UPLOAD_TOO_BIG.format(size=doc.file_size / 1024 / 1024, limit=limit))
        return
    status = await msg.reply_text(texts.UPLOAD_WORKING)
    name = doc.file_name or "upload"
    try:
        data = await download_capped(await doc.get_file(), limit_bytes)
    except TooBig as e:
        await status.edit_text(texts.UPLOAD_TOO_BIG.format(size=e.args[0] / 1024 / 1024, limit=limit))
        return
    try:
        pages = _progress_reporter(status, asyncio.get_running_loop(), texts.UPLOAD_PAGES)
        parsed = await asyncio.to_thread(context.library.parse, name, data, pages)
    except ReportbotError as e:
        await status.edit_text(texts.UPLOAD_REFUSED.format(reason=refusal_reason(e)))
        return
    await _preview(status, context, parsed, msg.from_user.id if msg.from_user else 0)


def refusal_reason(error: ReportbotError) -> str:
    """Why a file or link was refused, in Chinese: the sentence for its kind (the English
    `reason` is for the CLI and the log, never shown here)."""
    if isinstance(error, UnreadableFile):
        return texts.unreadable(error.kind, error.detail)
    return texts.UNREADABLE_OTHER


def link_in(msg: Message) -> str | None:
    """The first link a message carries: a text link's target, a link Telegram marked, or
    one written in the text."""
    for entity in msg.entities:
        if entity.type == MessageEntity.TEXT_LINK and entity.url:
            return entity.url
        if entity.type == MessageEntity.URL:
            marked = msg.parse_entity(entity)
            if LINK.fullmatch(marked):
                return marked
    found = LINK.search(msg.text or "")
    # A sentence's full stop or a closing bracket after a link is not part of it.
    return found.group(0).rstrip(".,;:!?)]") if found else None


async def link(update: Update, context: Context) -> None:
    """A link sent by an admin in a private chat: fetch it (page, .pdf or .docx) and show the
    same preview as an uploaded file."""
    msg = update.effective_message
    if not msg or await _refuse_non_admin(update, context):
        return
    url = link_in(msg)
    if url is None:
        return
    status = await msg.reply_text(texts.LINK_WORKING)
    limits = Limits(max_bytes=int(context.settings.max_upload_mb * 1024 * 1024))
    try:
        parsed = await asyncio.to_thread(context.library.fetch, url, limits)
    except FetchError as e:
        await status.edit_text(texts.LINK_REFUSED.format(reason=refusal_reason(e)))
        return
    except ReportbotError as e:  # fetched, but no readable report
        await status.edit_text(texts.UPLOAD_REFUSED.format(reason=refusal_reason(e)))
        return
    await _preview(status, context, parsed, msg.from_user.id if msg.from_user else 0)


async def _preview(status: Message, context: Context, parsed: ParsedReport, admin_id: int) -> None:
    """Edit `status` into the preview of a parsed report with its buttons: 确认添加 / 取消, or
    替换 / 都保留 / 取消 when a stored report has the same content; nothing to confirm when
    the same file is stored already."""
    library = context.library
    same = library.stored_copy(parsed)
    if same:
        await status.edit_text(texts.UPLOAD_SAME.format(id=same.id, title=same.title))
        return
    twin = library.duplicate_of(parsed)
    old = library.replaces(parsed)
    entries = library.sections_of(parsed)
    key = context.bot_data.add_pending(PendingUpload(admin_id, parsed))
    if twin:
        buttons = [
            InlineKeyboardButton(texts.UPLOAD_REPLACE, callback_data=f"up:{key}:r"),
            InlineKeyboardButton(texts.UPLOAD_KEEP_BOTH, callback_data=f"up:{key}:k"),
        ]
    else:
        buttons = [InlineKeyboardButton(texts.UPLOAD_CONFIRM, callback_data=f"up:{key}:y")]
    buttons.append(InlineKeyboardButton(texts.UPLOAD_CANCEL, callback_data=f"up:{key}:n"))
    text = preview_html(parsed, entries, twin, old)
    await status.edit_text(text, parse_mode="HTML", reply_markup=InlineKeyboardMarkup([buttons]))


def preview_html(
    parsed: ParsedReport, entries: tuple[OutlineEntry, ...], twin: Report | None, old: Report | None
) -> str:
    """The preview of a report about to be added, in one message: its metadata, warnings
    where the year or places are missing or guessed, its outline (as much as fits, then how
    many sections are left out), and what adding it would replace or duplicate."""
    e = render.escape
    year = texts.UNKNOWN_YEAR if parsed.year is None else str(parsed.year)
    if parsed.year is not None and parsed.year_inferred:
        year = texts.PREVIEW_YEAR_INFERRED.format(year=parsed.year)
    head = [
        texts.PREVIEW_HEAD.format(
            title=e(_shorten(parsed.title, PREVIEW_FIELD_CHARS)),
            issuer=e(_shorten(parsed.issuer or texts.NONE, PREVIEW_FIELD_CHARS)),
            year=e(year),
            places=e(" › ".join(parsed.places) or texts.NONE),
            passages=len(parsed.passages),
        )
    ]
    if parsed.url:
        head.append(e(texts.PREVIEW_LINK.format(url=_shorten(parsed.url, PREVIEW_FIELD_CHARS))))
    warnings = []
    if parsed.year is None:
        warnings.append(texts.PREVIEW_NO_YEAR)
    elif parsed.year_inferred:
        warnings.append(texts.PREVIEW_GUESSED_YEAR)
    if not parsed.places:
        warnings.append(texts.PREVIEW_NO_PLACES)
    tail = []
    if old and (twin is None or old.id != twin.id):
        replaces = texts.PREVIEW_REPLACES_LINK if parsed.url else texts.UPLOAD_REPLACES
        tail.append(e(replaces.format(id=old.id, title=old.title).strip()))
    if twin:
        tail.append(e(texts.PREVIEW_SAME_CONTENT.format(id=twin.id, title=twin.title)))
    else:
        tail.append(texts.PREVIEW_QUESTION)
    head_html, warnings_html, tail_html = "\n".join(head), "\n".join(e(w) for w in warnings), "\n".join(tail)
    room = PREVIEW_ROOM - render.visible_length("\n\n".join([head_html, warnings_html, tail_html]))
    outline = [texts.PREVIEW_OUTLINE]
    for i, entry in enumerate(entries):
        line = e(_outline_line(entry))
        left = len(entries) - i - 1  # after this one: if any, there must be room to say so
        more = [e(texts.PREVIEW_OUTLINE_MORE.format(n=left))] if left else []
        if render.visible_length("\n".join([*outline, line, *more])) > room:
            outline.append(e(texts.PREVIEW_OUTLINE_MORE.format(n=left + 1)))  # room kept for it
            break
        outline.append(line)
    return "\n\n".join(p for p in [head_html, warnings_html, "\n".join(outline), tail_html] if p)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _outline_line(entry: OutlineEntry) -> str:
    heading = _shorten(entry.path[-1] if entry.path else texts.SECTION_OPENING, PREVIEW_HEADING_CHARS)
    indent = "　" * max(len(entry.path) - 1, 0)
    return texts.PREVIEW_OUTLINE_ENTRY.format(indent=indent, heading=heading, n=entry.passages)


async def upload_button(update: Update, context: Context) -> None:
    """确认添加 (y) / 替换 (r) / 都保留 (k) / 取消 (n) under an upload preview."""
    query = update.callback_query
    if not query or not query.data or await _refuse_non_admin(update, context):
        return
    _, key, choice = query.data.split(":")
    pending = context.bot_data.pending.get(key)
    if pending is not None and pending.admin_id != query.from_user.id:
        await query.answer(texts.UPLOAD_NOT_YOURS, show_alert=True)
        return
    pending = context.bot_data.pending.pop(key, None)
    if pending is None:
        await query.answer(texts.UPLOAD_EXPIRED, show_alert=True)
        return
    await query.answer()
    if choice not in _CHOICES:
        await _edit(query.message, texts.UPLOAD_CANCELLED)
        return
    twin = context.library.duplicate_of(pending.parsed) if choice == "k" else None
    done = await asyncio.to_thread(context.library.add, pending.parsed, True, _CHOICES[choice])
    await _edit(query.message, _added_text(done, twin))


def _added_text(done: Ingested, twin: Report | None) -> str:
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


async def reindex(update: Update, context: Context) -> None:
    """/reindex: rebuild the index, with a progress message that edits itself."""
    msg = update.effective_message
    if not msg or await _refuse_non_admin(update, context):
        return
    data = context.bot_data
    if data.reindexing:
        await msg.reply_text(texts.REINDEX_BUSY)
        return
    data.reindexing = True
    try:
        status = await msg.reply_text(texts.REINDEX_START)
        progress = _progress_reporter(status, asyncio.get_running_loop())
        started = time.monotonic()
        n = await asyncio.to_thread(context.library.reindex, False, progress)
        await _edit(status, texts.REINDEX_DONE.format(n=n, seconds=time.monotonic() - started))
    finally:
        data.reindexing = False


def _progress_reporter(
    status: Message, loop: asyncio.AbstractEventLoop, template: str = texts.REINDEX_PROGRESS
) -> Callable[[int, int], None]:
    """A progress callback for a worker thread that edits `status` (to `template` with done,
    total and pct) at most once a second."""
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_SECONDS or total == 0 or done >= total:
            return
        last = now
        text = template.format(done=done, total=total, pct=done / total)
        coro: Coroutine[Any, Any, None] = _edit_quietly(status, text)
        asyncio.run_coroutine_threadsafe(coro, loop)

    return report


async def delete(update: Update, context: Context) -> None:
    """/delete [id | words]: a report by its id, or a page of reports (all, or those matching
    the words) to pick from; then confirm."""
    msg = update.effective_message
    if not msg or await _refuse_non_admin(update, context):
        return
    args = context.args or []
    if args and _looks_like_id(args[0]):
        if not re.fullmatch(r"#?[0-9]{1,18}", args[0]):  # ASCII digits only: "²".isdigit() is true
            await msg.reply_text(texts.DELETE_USAGE)
            return
        await _ask_delete(msg, context, int(args[0].lstrip("#")))
        return
    text, keyboard = await lists.page(context, "delp", " ".join(args), 0)
    await msg.reply_html(text, reply_markup=keyboard)


def _looks_like_id(arg: str) -> bool:
    """An argument meant as a report id (#12, 12, a mistyped -3 or ²), not words to filter by."""
    return arg[:1] in "#-" or arg.isdigit()


async def delete_page_button(update: Update, context: Context) -> None:
    """‹ / › under /delete's pick list: another page, in the same message."""
    query = update.callback_query
    if not query or not query.data or await _refuse_non_admin(update, context):
        return
    page = await lists.pressed_page(query, context)
    if page is None:
        return
    text, keyboard = await lists.page(context, "delp", page[1], page[0])
    await query.answer()
    if isinstance(query.message, Message):
        with contextlib.suppress(BadRequest):  # "not modified": the page is as it was
            await query.message.edit_text(text, parse_mode="HTML", reply_markup=keyboard)


async def _ask_delete(msg: Message, context: Context, report_id: int) -> None:
    try:
        r = context.library.report(report_id)
    except UnknownReport:
        await msg.reply_text(texts.REPORT_GONE)
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.DELETE_CONFIRM, callback_data=f"del:{r.id}:y"),
                InlineKeyboardButton(texts.UPLOAD_CANCEL, callback_data=f"del:{r.id}:n"),
            ]
        ]
    )
    question = texts.DELETE_CONFIRM_Q.format(id=r.id, issuer=r.issuer, title=r.title)
    await msg.reply_text(question, reply_markup=keyboard)


async def delete_button(update: Update, context: Context) -> None:
    """A report picked for deletion (ask), then 确认删除 (y) or 取消 (n)."""
    query = update.callback_query
    if not query or not query.data or await _refuse_non_admin(update, context):
        return
    _, rid, choice = query.data.split(":")
    await query.answer()
    if choice == "ask" and isinstance(query.message, Message):
        await _ask_delete(query.message, context, int(rid))
    elif choice == "y":
        try:
            r = await asyncio.to_thread(context.library.delete, int(rid))
        except UnknownReport:
            await _edit(query.message, texts.REPORT_GONE)
            return
        await _edit(query.message, texts.DELETE_DONE.format(id=r.id, title=r.title))
    else:
        await _edit(query.message, texts.UPLOAD_CANCELLED)


STATS_LOG_ENTRIES = 10  # refused and 👎 questions /stats lists
STATS_QUESTION_CHARS = 40
STATS_QUOTE_CHARS = 40


async def stats(update: Update, context: Context) -> None:
    """/stats: reports, passages, questions today, unanswered, feedback, and (in a private
    chat only) the latest refused and 👎 questions with what they got."""
    msg = update.effective_message
    if not msg or await _refuse_non_admin(update, context):
        return
    counts = await asyncio.to_thread(context.library.stats)
    if msg.chat.type != ChatType.PRIVATE:
        # Everyone in a group would read other people's questions: the list is for the admin.
        await msg.reply_html(f"{texts.STATS.format(**counts)}\n\n{render.escape(texts.LOG_PRIVATE_ONLY)}")
        return
    entries = await asyncio.to_thread(context.library.conversation_log, STATS_LOG_ENTRIES)
    await msg.reply_html(stats_html(counts, entries, context.settings.query_retention_days))


def stats_html(counts: dict[str, int], entries: list[LogEntry], retention_days: float) -> str:
    """The /stats message: the counts, then one line per logged entry (newest first, as
    many as fit one message), with no one's name or id."""
    head = texts.STATS.format(**counts)
    if not entries:
        return f"{head}\n\n{render.escape(texts.LOG_EMPTY.format(days=retention_days))}"
    lines = [render.escape(texts.LOG_HEADER)]
    for entry in entries:
        line = _log_line(entry)
        if render.visible_length("\n".join([head, "", *lines, line])) > render.MAX_MESSAGE:
            break
        lines.append(line)
    return "\n\n".join([head, "\n".join(lines)])


def _log_line(entry: LogEntry) -> str:
    """· 12-01 23:05「question」👎×1（不完整）→ #3 秀山县：“quoted words”"""
    e = render.escape
    when = entry.at[5:16].replace("T", " ")
    line = f"· {e(when)}「{e(_shorten(entry.question, STATS_QUESTION_CHARS))}」{e(texts.log_verdict(entry))}"
    if entry.answered:
        r = entry.report
        where = f"#{r.id} {r.place or r.issuer}" if r else texts.LOG_REPORT_GONE
        line += f" → {e(where)}：“{e(_shorten(entry.snippet, STATS_QUOTE_CHARS))}”"
    return line


async def _edit(message: object, text: str) -> None:
    """Replace a status message's text (an unchanged text is not an error)."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text)
    except BadRequest as e:
        if "not modified" not in str(e):
            raise


async def _edit_quietly(message: Message, text: str) -> None:
    """A progress edit: losing one (flood limit, network) is harmless."""
    with contextlib.suppress(TelegramError):
        await message.edit_text(text)
