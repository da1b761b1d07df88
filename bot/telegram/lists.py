"""Long report lists (/reports and /delete): a page at a time, in the message it was first
sent in, with the filter words carried by the page buttons."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup

from bot.telegram import render
from bot.telegram.context import Context
from retrieval import texts


async def pressed_page(query: CallbackQuery, context: Context) -> tuple[int, str] | None:
    """The offset and filter words of a list's page button (`prefix:offset[:w:words|:k:key]`),
    or None, after an alert, when the words it stands for are no longer remembered."""
    _, offset, *rest = (query.data or "").split(":", 3)
    words = ""
    if rest and rest[0] == "w":
        words = rest[1]
    elif rest and rest[0] == "k":
        remembered = context.bot_data.list_words.get(rest[1])
        if remembered is None:
            await query.answer(texts.LIST_EXPIRED, show_alert=True)
            return None
        words = remembered
    return int(offset), words


async def page(
    context: Context, prefix: str, words: str, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the report list for /reports (prefix "rep") or /delete ("delp"): the page
    at `offset` (the last one if the list has shrunk since) of the reports matching `words`."""
    size = render.REPORTS_PER_PAGE
    offset = max(0, offset - offset % size)
    reports, total = await context.off_loop(context.library.find_reports, words, offset, size)
    if not reports and total:
        offset = (total - 1) // size * size
        reports, total = await context.off_loop(context.library.find_reports, words, offset, size)
    last = max(0, (total - 1) // size * size)  # the longest offset a page button carries
    key = context.bot_data.remember_words(words) if render.page_data(prefix, last, words) is None else ""
    make = render.reports_list if prefix == "rep" else render.delete_list
    return make(reports, total, offset, words, key, size)
