"""The Telegram channel on the conversation core: each update becomes a core Message (text,
caption, command, an admin's file, a press), the core's Reply becomes HTML messages, files
and inline keyboards (bot.telegram.render). Inline mode answers through the core too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import Future

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultsButton,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError

from bot.core import messages as core
from bot.core import texts
from bot.core.admin import Progress
from bot.telegram import render
from bot.telegram import texts as telegram_texts
from bot.telegram.buttons import SigningBot
from bot.telegram.context import Context
from bot.telegram.delivery import GaveUp, TooBig, download_capped
from retrieval.texts import EXAMPLES

log = logging.getLogger(__name__)
INLINE_RESULTS = 10


# --- messages ------------------------------------------------------------------------------


async def message(update: Update, context: Context) -> None:
    """Every new message in a private chat or a group: a question, a command, an admin's
    report file or link, or anything else; the core decides what it means."""
    msg = update.effective_message
    if msg is None:
        return
    incoming = await to_message(msg, context)
    if incoming is None:
        return
    status = Status(msg, asyncio.get_running_loop())
    reply = await _handle(context, incoming, status.say)
    await status.settle()
    if reply is not None:
        await _send(msg, render.messages(reply), status.sent)


async def to_message(msg: Message, context: Context) -> core.Message | None:
    """A Telegram message as the core's: who in which chat, its text (a caption, a command
    without @botname, a mention taken out), whether it is addressed to the bot, and an
    admin's file (downloaded, at most the upload limit). None: a command for another bot, or
    a file too big (the sender is told)."""
    user_id = msg.from_user.id if msg.from_user else 0
    private = msg.chat.type == ChatType.PRIVATE
    admin = context.is_admin(user_id)
    text = msg.text if msg.text is not None else msg.caption or ""
    command = msg.text is not None and text.startswith("/")
    if command:
        word, space, rest = text.partition(" ")
        name, _, bot = word.partition("@")
        if bot and bot.lower() != (context.bot.username or "").lower():
            return None  # /ask@anotherbot
        text = name + space + rest
    mention = f"@{context.bot.username}"
    entities = msg.parse_entities([MessageEntity.MENTION]) if msg.text is not None else {}
    if msg.text is None:
        entities = msg.parse_caption_entities([MessageEntity.MENTION])
    mentioned = [part for part in entities.values() if part.lower() == mention.lower()]
    for part in mentioned:
        text = text.replace(part, " ")
    replied = msg.reply_to_message is not None and (
        msg.reply_to_message.from_user is not None and msg.reply_to_message.from_user.id == context.bot.id
    )
    if admin and private:  # a text link's target is the link an admin sends
        text = next((e.url for e in msg.entities if e.type == MessageEntity.TEXT_LINK and e.url), text)
    file, name = None, ""
    if msg.document and admin and private:
        file = await _download(msg, context)
        if file is None:
            return None
        name = msg.document.file_name or "upload"
    other = (
        ""
        if file is not None
        else next((what for attr, what in telegram_texts.MESSAGE_KINDS if getattr(msg, attr, None)), "")
    )
    return core.Message(
        user_id,
        msg.chat_id,
        text,
        private=private,
        addressed=private or command or bool(mentioned) or replied,
        admin=admin,
        file=file,
        file_name=name,
        other=other or ("" if msg.text is not None or msg.caption else texts.OTHER_MESSAGE),
        mention=mention,
    )


async def _download(msg: Message, context: Context) -> bytes | None:
    """An admin's file, measured on the bytes downloaded (a size Telegram claims too big is
    believed; a small one is not); None after saying it is too big."""
    assert msg.document is not None
    limit = context.settings.max_upload_mb
    limit_bytes = int(limit * 1024 * 1024)
    size = msg.document.file_size
    try:
        if size and size > limit_bytes:
            raise TooBig(size)
        return await download_capped(await msg.document.get_file(), limit_bytes)
    except TooBig as e:
        await msg.reply_text(texts.UPLOAD_TOO_BIG.format(size=e.args[0] / 1024 / 1024, limit=limit))
        return None


async def _handle(
    context: Context, incoming: core.Message, progress: Progress | None = None
) -> core.Reply | None:
    """The core's reply, off the event loop. An admin's messages run on asyncio's threads
    (reading a report or reindexing takes seconds), everyone else's on the answering threads,
    so that questions are answered throughout."""
    handle = context.bot_data.core.handle
    if incoming.admin:
        return await asyncio.to_thread(handle, incoming, progress)
    return await context.off_loop(handle, incoming, progress)


class Status:
    """A status line that the core's long work keeps up to date from its worker thread: sent
    at its first word, then edited (a lost edit is harmless); the reply takes its place."""

    def __init__(self, about: Message, loop: asyncio.AbstractEventLoop) -> None:
        self.about = about
        self.loop = loop
        self.sent: Message | None = None
        self._lock = asyncio.Lock()
        self._pending: list[Future[None]] = []

    def say(self, text: str) -> None:
        self._pending.append(asyncio.run_coroutine_threadsafe(self._show(text), self.loop))

    async def _show(self, text: str) -> None:
        async with self._lock:
            if self.sent is None:
                self.sent = await self.about.reply_text(text, do_quote=_quote(self.about))
                return
            with contextlib.suppress(TelegramError):
                await self.sent.edit_text(text)

    async def settle(self) -> None:
        """Wait for the status lines on their way."""
        await asyncio.gather(*map(asyncio.wrap_future, self._pending), return_exceptions=True)


def _quote(msg: Message) -> bool:
    """In groups, what the bot sends about a message replies to it (in its forum topic)."""
    return msg.chat.type != ChatType.PRIVATE


async def _send(about: Message | None, outs: list[render.Out], status: Message | None = None) -> None:
    """Messages and files about a message: a status line becomes the first; the rest reply to
    it in groups (in its forum topic), and follow it in a private chat."""
    if status is not None and outs and isinstance(outs[0], render.Text):
        first = outs.pop(0)
        assert isinstance(first, render.Text)
        await _edit(status, first.html, first.keyboard)
    if about is None:
        return
    for out in outs:
        if isinstance(out, render.Document):
            await about.reply_document(
                out.data, filename=out.name, caption=out.caption, parse_mode="HTML", do_quote=_quote(about)
            )
        elif isinstance(out, render.Photo):
            await about.reply_photo(out.data, filename=out.name, do_quote=_quote(about))
        else:
            await about.reply_html(out.html, reply_markup=out.keyboard, do_quote=_quote(about))


# --- presses -------------------------------------------------------------------------------


async def press(update: Update, context: Context) -> None:
    """A button (its signature checked already, bot.telegram.buttons): the core's reply is an
    acknowledgement, the pressed message edited (another page, a confirmation, the feedback
    row) and new messages about the question."""
    query = update.callback_query
    assert query is not None and query.data is not None  # the handler is for presses
    pressed = query.message if isinstance(query.message, Message) else None
    user_id = query.from_user.id
    incoming = core.Message(
        user_id,
        pressed.chat_id if pressed else user_id,
        press=query.data,
        private=pressed is None or pressed.chat.type == ChatType.PRIVATE,
        admin=context.is_admin(user_id),
    )
    reply = await _handle(context, incoming)
    if reply is None:
        await _ack(query)
        return
    await _ack(query, reply.notice, reply.alert)
    if reply.feedback is not None:
        await _show_feedback(query, context, [_button(a) for a in reply.feedback])
    outs = render.messages(reply)
    if reply.edit and outs and isinstance(outs[0], render.Text):
        first = outs.pop(0)
        assert isinstance(first, render.Text)
        await _edit(pressed, first.html, _kept_feedback(query, context, first.keyboard))
    if outs:
        await _send_about(query, context, outs)


async def _send_about(query: CallbackQuery, context: Context, outs: list[render.Out]) -> None:
    """What a press brings: about the question its answer replies to (in groups answers quote
    their question), else the answer itself; for a press on an inline-mode message, which has
    no chat of its own, in the private chat with the user."""
    answer = query.message if isinstance(query.message, Message) else None
    if answer is not None:
        await _send(answer.reply_to_message or answer, outs)
        return
    user = query.from_user.id
    for out in outs:
        if isinstance(out, render.Document):
            await context.bot.send_document(
                user, out.data, filename=out.name, caption=out.caption, parse_mode="HTML"
            )
        elif isinstance(out, render.Photo):
            await context.bot.send_photo(user, out.data, filename=out.name)
        else:
            await context.bot.send_message(user, out.html, parse_mode="HTML", reply_markup=out.keyboard)


def _button(action: core.Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(action.label, callback_data=action.id)


def _plain_keyboard(message: Message, context: Context) -> InlineKeyboardMarkup | None:
    """The keyboard of a message the bot sent, its callback data plain (it comes back signed)."""
    keyboard = message.reply_markup
    if keyboard is not None and isinstance(context.bot, SigningBot):
        keyboard = context.bot.signer.unsign_keyboard(keyboard, message.chat.id)
    return keyboard


def _kept_feedback(
    query: CallbackQuery, context: Context, keyboard: InlineKeyboardMarkup | None
) -> InlineKeyboardMarkup | None:
    """A new page's keyboard with the feedback row the pressed message shows (已反馈 👍 stays
    已反馈 👍 on the next page)."""
    current = _plain_keyboard(query.message, context) if isinstance(query.message, Message) else None
    shown = render.feedback_buttons(current) if current is not None else []
    return render.with_feedback_row(keyboard, shown) if keyboard is not None and shown else keyboard


async def _show_feedback(query: CallbackQuery, context: Context, buttons: list[InlineKeyboardButton]) -> None:
    """Edit the pressed answer's keyboard: its feedback row becomes `buttons`, the rest stays."""
    message = query.message
    if not isinstance(message, Message) or (keyboard := _plain_keyboard(message, context)) is None:
        return
    try:
        await message.edit_reply_markup(render.with_feedback_row(keyboard, buttons))
    except BadRequest as e:
        # The feedback is stored; a mark that cannot be shown (an answer deleted meanwhile)
        # is no error for the user.
        if "not modified" not in str(e):
            log.info("could not mark feedback on an answer: %s", e)


async def _ack(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press; if even retrying cannot, go on (the press's real work, a 全文
    or an edit, matters more than the spinner stopping)."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as e:
        if not isinstance(e, GaveUp):
            log.info("could not answer a button press: %s", type(e).__name__)


async def _edit(message: Message | None, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Edit a message the bot sent; an unchanged edit is not an error."""
    if message is None:
        return
    try:
        await message.edit_text(text, parse_mode="HTML", reply_markup=keyboard)
    except BadRequest as e:
        if "not modified" not in str(e):
            raise


# --- inline mode -------------------------------------------------------------------------


async def inline_query(update: Update, context: Context) -> None:
    """@botname 问题 in any chat: the top passages as articles to post."""
    query = update.inline_query
    if not query:
        return
    text = query.query.strip()
    if not text:
        button = InlineQueryResultsButton(
            text=telegram_texts.INLINE_EMPTY.format(example=EXAMPLES[0]), start_parameter="help"
        )
        await query.answer([], cache_time=300, button=button)
        return
    answer = await context.off_loop(context.bot_data.core.answer, text, INLINE_RESULTS)
    if not answer.hits:
        button = InlineQueryResultsButton(text=telegram_texts.INLINE_NOTHING, start_parameter="help")
        await query.answer([], cache_time=30, button=button)
        return
    await query.answer(render.inline_results(answer), cache_time=30)


# --- errors ----------------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    """Log the error (what kind of update, never its text or names unless REPORTBOT_LOG_PRIVATE
    is set); tell the user one short sentence, never the traceback."""
    error = context.error
    if isinstance(error, GaveUp):
        return  # logged once where it gave up; the user cannot be reached either
    if context.settings.log_private:
        log.error("error while handling %r", update, exc_info=error)
    else:
        log.error("error while handling %s", describe(update), exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
        elif update.effective_message:
            await update.effective_message.reply_text(texts.ERROR)
    except Exception as e:  # the error may be that Telegram cannot be reached at all
        log.warning("could not tell the user about the error: %s", type(e).__name__)


def describe(update: object) -> str:
    """An update for the log without its content: its id and kind."""
    if not isinstance(update, Update):
        return type(update).__name__
    kinds = [k for k in ("message", "edited_message", "callback_query", "inline_query") if getattr(update, k)]
    return f"update {update.update_id} ({', '.join(kinds) or 'other'})"
