"""Admin handlers: upload a report (preview, then confirm), /reindex, /delete, /stats.

Every handler checks the sender against the admin ids first; anyone else gets a polite
refusal and nothing changes. Parsing and indexing run in a worker thread, so questions keep
being answered meanwhile (from the old index until the new one is swapped in).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from bot import render
from bot.context import Context, PendingUpload
from retrieval import texts
from retrieval.errors import ReportbotError, UnknownReport
from retrieval.library import Outcome

PROGRESS_EVERY_SECONDS = 1.0  # Telegram rate-limits edits; one a second is plenty to watch


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
    if doc.file_size and doc.file_size > limit * 1024 * 1024:
        await msg.reply_text(texts.UPLOAD_TOO_BIG.format(size=doc.file_size / 1024 / 1024, limit=limit))
        return
    status = await msg.reply_text(texts.UPLOAD_WORKING)
    name = doc.file_name or "upload"
    data = bytes(await (await doc.get_file()).download_as_bytearray())
    try:
        parsed = await asyncio.to_thread(context.library.parse, name, data)
    except ReportbotError as e:
        await status.edit_text(texts.UPLOAD_REFUSED.format(reason=getattr(e, "reason", str(e))))
        return
    same = context.library.store.find_by_hash(parsed.sha256)
    if same:
        await status.edit_text(texts.UPLOAD_SAME.format(id=same.id, title=same.title))
        return
    key = context.bot_data.add_pending(PendingUpload(msg.from_user.id if msg.from_user else 0, parsed))
    preview = texts.UPLOAD_PREVIEW.format(
        title=render.escape(parsed.title),
        issuer=render.escape(parsed.issuer or texts.NONE),
        year=parsed.year or texts.UNKNOWN_YEAR,
        places=render.escape(" › ".join(parsed.places) or texts.NONE),
        passages=len(parsed.passages),
    )
    old = context.library.store.find_by_source(parsed.source)
    if old:
        preview += render.escape(texts.UPLOAD_REPLACES.format(id=old.id, title=old.title))
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(texts.UPLOAD_CONFIRM, callback_data=f"up:{key}:y"),
                InlineKeyboardButton(texts.UPLOAD_CANCEL, callback_data=f"up:{key}:n"),
            ]
        ]
    )
    await status.edit_text(preview, parse_mode="HTML", reply_markup=keyboard)


async def upload_button(update: Update, context: Context) -> None:
    """确认添加 / 取消 under an upload preview."""
    query = update.callback_query
    if not query or not query.data or await _refuse_non_admin(update, context):
        return
    _, key, choice = query.data.split(":")
    pending = context.bot_data.pending.pop(key, None)
    if pending is None:
        await query.answer(texts.UPLOAD_EXPIRED, show_alert=True)
        return
    await query.answer()
    if choice != "y":
        await _edit(query.message, texts.UPLOAD_CANCELLED)
        return
    done = await asyncio.to_thread(context.library.add, pending.parsed)
    r = done.report
    if done.outcome == Outcome.REPLACED and done.replaced:
        text = texts.UPLOAD_REPLACED.format(
            old=done.replaced.id, id=r.id, title=r.title, passages=r.passage_count
        )
    elif done.outcome == Outcome.UNCHANGED:
        text = texts.UPLOAD_SAME.format(id=r.id, title=r.title)
    else:
        text = texts.UPLOAD_ADDED.format(id=r.id, title=r.title, passages=r.passage_count)
    await _edit(query.message, text)


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


def _progress_reporter(status: Message, loop: asyncio.AbstractEventLoop) -> Callable[[int, int], None]:
    """A progress callback for a worker thread that edits `status` at most once a second."""
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_SECONDS or total == 0 or done >= total:
            return
        last = now
        text = texts.REINDEX_PROGRESS.format(done=done, total=total, pct=done / total)
        coro: Coroutine[Any, Any, None] = _edit_quietly(status, text)
        asyncio.run_coroutine_threadsafe(coro, loop)

    return report


async def delete(update: Update, context: Context) -> None:
    """/delete [id]: pick a report, then confirm."""
    msg = update.effective_message
    if not msg or await _refuse_non_admin(update, context):
        return
    args = context.args or []
    if not args:
        reports = context.library.reports()
        if not reports:
            await msg.reply_text(texts.NO_REPORTS_YET)
            return
        rows = [
            [InlineKeyboardButton(f"#{r.id} {r.issuer}"[:60], callback_data=f"del:{r.id}:ask")]
            for r in reports[:50]
        ]
        await msg.reply_text(texts.DELETE_PICK, reply_markup=InlineKeyboardMarkup(rows))
        return
    if not args[0].lstrip("#").isdigit():
        await msg.reply_text(texts.DELETE_USAGE)
        return
    await _ask_delete(msg, context, int(args[0].lstrip("#")))


async def _ask_delete(msg: Message, context: Context, report_id: int) -> None:
    try:
        r = context.library.store.report(report_id)
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


async def stats(update: Update, context: Context) -> None:
    """/stats: reports, passages, questions today, unanswered, feedback."""
    msg = update.effective_message
    if not msg or await _refuse_non_admin(update, context):
        return
    counts = await asyncio.to_thread(context.library.store.stats)
    await msg.reply_html(texts.STATS.format(**counts))


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
