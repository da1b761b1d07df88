"""Handlers for everyone: questions in private and group chats, inline mode, buttons, help."""

from __future__ import annotations

import dataclasses
import logging

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

from bot.core.memory import Verdict
from bot.telegram import lists, render
from bot.telegram.buttons import SigningBot
from bot.telegram.context import Context
from bot.telegram.delivery import GaveUp
from retrieval import texts
from retrieval.errors import UnknownReport
from retrieval.export import answer_docx
from retrieval.library import Library
from retrieval.models import Answer, FeedbackReason

log = logging.getLogger(__name__)
INLINE_RESULTS = 10


# --- questions ---------------------------------------------------------------------------


async def private_text(update: Update, context: Context) -> None:
    """In a private chat every text message is a question."""
    msg = update.effective_message
    if msg and msg.text:
        await answer_question(msg, context, msg.text)


async def ask_command(update: Update, context: Context) -> None:
    """/ask 问题 (also /ask@botname in groups)."""
    msg = update.effective_message
    if not msg:
        return
    question = " ".join(context.args or [])
    if not question.strip():
        await msg.reply_text(texts.ASK_USAGE.format(example=texts.EXAMPLES[0]))
        return
    await answer_question(msg, context, question)


async def group_text(update: Update, context: Context) -> None:
    """In groups, answer a message that mentions the bot or replies to it; ignore the rest."""
    msg = update.effective_message
    if not msg or not msg.text:
        return
    question = _addressed(msg, context)
    if question is not None:
        await answer_question(msg, context, question)


async def other_message(update: Update, context: Context) -> None:
    """Voice, photos, stickers, places, files from non-admins: a caption is a question; the
    rest gets one line on what the bot understands (in groups only when addressed)."""
    msg = update.effective_message
    if not msg:
        return
    private = msg.chat.type == ChatType.PRIVATE
    question = msg.caption if private else _addressed(msg, context)
    if not private and question is None:
        return
    if question and question.strip():
        await answer_question(msg, context, question)
        return
    what = next((name for attr, name in texts.MESSAGE_KINDS if getattr(msg, attr, None)), texts.MESSAGE_OTHER)
    await msg.reply_text(texts.ONLY_TEXT.format(what=what, example=texts.EXAMPLES[0]), do_quote=not private)


def _addressed(msg: Message, context: Context) -> str | None:
    """In a group, the question a message asks the bot (its text or caption without the
    mention), or None when it neither mentions the bot nor replies to it."""
    mention = f"@{context.bot.username}".lower()
    text = msg.text if msg.text is not None else msg.caption or ""
    entities = (
        msg.parse_entities([MessageEntity.MENTION])
        if msg.text is not None
        else (msg.parse_caption_entities([MessageEntity.MENTION]))
    )
    mentioned = [part for part in entities.values() if part.lower() == mention]
    replied = msg.reply_to_message is not None and (
        msg.reply_to_message.from_user is not None and msg.reply_to_message.from_user.id == context.bot.id
    )
    if not mentioned and not replied:
        return None
    for part in mentioned:
        text = text.replace(part, " ")
    return text


async def answer_question(msg: Message, context: Context, question: str) -> None:
    """Ask the library (off the event loop), log the question, reply with the answer."""
    user_id = msg.from_user.id if msg.from_user else 0
    verdict = context.bot_data.limiter.check(msg.chat_id, user_id)
    if verdict != Verdict.ALLOW:
        if verdict == Verdict.NOTIFY:
            await msg.reply_text(texts.RATE_LIMITED, do_quote=msg.chat.type != ChatType.PRIVATE)
        return
    data = context.bot_data
    previous = data.memory.last(msg.chat_id, user_id)
    if previous:
        question = context.library.follow_up(previous, question) or question
    page = context.settings.results_per_page
    answer, query_id = await context.off_loop(
        _ask_and_log, context.library, question, page, 0, user_id, msg.chat_id
    )
    answer, has_more = _page(answer, page)
    text, keyboard = render.answer_message(answer, query_id, 0, has_more, page)
    await msg.reply_html(text, reply_markup=keyboard, do_quote=msg.chat.type != ChatType.PRIVATE)
    if answer.hits:  # not a greeting or a question about the collection: no follow-up to it
        data.memory.remember(msg.chat_id, user_id, question)


def _ask_and_log(
    library: Library, question: str, k: int, offset: int, user_id: int | None, chat_id: int | None
) -> tuple[Answer, int]:
    # One more hit than shown tells whether a next page exists.
    answer = library.ask(question, k=k + 1, offset=offset)
    return answer, library.log_query(question, answer, user_id, chat_id)


def _page(answer: Answer, size: int) -> tuple[Answer, bool]:
    if answer.groups:  # a comparison is one message, every side in it
        return answer, False
    return dataclasses.replace(answer, hits=answer.hits[:size]), len(answer.hits) > size


# --- buttons -----------------------------------------------------------------------------


async def more_button(update: Update, context: Context) -> None:
    """更多结果 / 上一页: show another page of the same answer in the same message."""
    query, (qid, offset) = _pressed(update)
    logged = context.library.logged_query(qid)
    question = logged.text if logged else None
    if question is None:
        await query.answer(texts.QUESTION_GONE, show_alert=True)
        return
    page = context.settings.results_per_page
    answer = await context.off_loop(context.library.ask, question, page + 1, offset)
    answer, has_more = _page(answer, page)
    if not answer.hits:
        await query.answer(texts.NO_MORE)
        return
    text, keyboard = render.answer_message(answer, qid, offset, has_more, page)
    keyboard = _kept_feedback(query, context, keyboard)
    await _ack(query, texts.PAGE.format(page=offset // page + 1))
    await _edit(query.message, text, keyboard)


async def year_button(update: Update, context: Context) -> None:
    """A year under an answer from a place's newest report: the question asked for that year,
    answered in a new message (the first stays as it was)."""
    query, (qid, year) = _pressed(update)
    logged = context.library.logged_query(qid)
    if logged is None or not isinstance(query.message, Message):
        await _ack(query, texts.QUESTION_GONE, alert=True)
        return
    await _ack(query)
    msg = query.message
    question = logged.text
    page = context.settings.results_per_page
    asked = context.library.question_for_year(question, year)
    answer, new_qid = await context.off_loop(
        _ask_and_log, context.library, asked, page, 0, query.from_user.id, msg.chat_id
    )
    answer, has_more = _page(answer, page)
    text, keyboard = render.answer_message(answer, new_qid, 0, has_more, page)
    # Like everything about a question: in a group, a reply to it, in its forum topic.
    target = _about(update) or msg
    await target.reply_html(text, reply_markup=keyboard, do_quote=target.chat.type != ChatType.PRIVATE)


async def full_button(update: Update, context: Context) -> None:
    """全文: the whole passage with its section, as a new message."""
    query, (passage_id,) = _pressed(update)
    passage = context.library.passage(passage_id)
    if passage is None:
        await query.answer(texts.PASSAGE_GONE, show_alert=True)
        return
    report = context.library.report(passage.report_id)
    await _ack(query)
    await _send_all(update, context, render.passage_messages(passage, report))


async def source_button(update: Update, context: Context) -> None:
    """来源 and /reports buttons: the report's original file (where it was kept) with its card,
    then its outline."""
    query, (report_id,) = _pressed(update)
    try:
        report = context.library.report(report_id)
        outline = context.library.outline(report_id)
    except UnknownReport:
        await query.answer(texts.REPORT_GONE, show_alert=True)
        return
    await _ack(query)
    original = context.library.original(report_id)
    messages = render.report_messages(report, outline)
    if original is not None:
        name = render.original_name(report, original.suffix)
        await _send_document(update, context, original.read_bytes(), name, render.report_caption(report))
    await _send_all(update, context, messages)


async def export_button(update: Update, context: Context) -> None:
    """导出: the answer as a Word file (question, excerpts verbatim, full citations)."""
    query, (qid,) = _pressed(update)
    logged = context.library.logged_query(qid)
    if logged is None:
        await query.answer(texts.QUESTION_GONE, show_alert=True)
        return
    await _ack(query, texts.EXPORTING)
    answer = await context.off_loop(context.library.ask, logged.text, context.settings.results_per_page)
    data = await context.off_loop(answer_docx, answer)
    await _send_document(
        update, context, data, texts.EXPORT_FILE_NAME.format(question=_file_safe(logged.text))
    )


def _file_safe(text: str) -> str:
    kept = "".join(c for c in text if c.isalnum() or c in "_-")
    return kept[:40] or "answer"


async def feedback_button(update: Update, context: Context) -> None:
    """👍 / 👎 under an answer: stored with the question, once per user, and shown. The two
    buttons become 已反馈 👍, or for 👎 the reasons to pick from (reason_button). A second
    press, or one on 已反馈, gets a short alert and changes nothing."""
    query, (qid, value) = _pressed(update)
    user_id = query.from_user.id
    if value == 0:  # the 已反馈 button
        mine = await context.off_loop(context.library.feedback_of, qid, user_id)
        await _ack(query, texts.FEEDBACK_ALREADY if mine is not None else texts.FEEDBACK_GIVEN, alert=True)
        return
    stored = await context.off_loop(context.library.add_feedback, qid, user_id, value)
    if not stored:
        await _not_stored(query, context, qid)
        return
    if value > 0:
        await _ack(query, texts.FEEDBACK_THANKS)
        await _show_feedback(query, context, render.marked_feedback(qid, texts.THUMBS_UP))
    else:
        await _ack(query, texts.FEEDBACK_WHY)
        await _show_feedback(query, context, render.reason_buttons(qid))


async def reason_button(update: Update, context: Context) -> None:
    """不相关 / 不完整 / 过时 / 其他 after a 👎: stored with the 👎 (once per user), and the
    row becomes 已反馈 👎（不完整）."""
    query = update.callback_query
    assert query is not None and query.data is not None  # the handler pattern ensures both
    _, qid_text, code = query.data.split(":")
    qid, reason = int(qid_text), FeedbackReason(code)
    stored = await context.off_loop(context.library.add_reason, qid, query.from_user.id, reason)
    if not stored:
        await _not_stored(query, context, qid)
        return
    await _ack(query, texts.FEEDBACK_THANKS)
    marked = render.marked_feedback(qid, texts.THUMBS_DOWN, texts.FEEDBACK_REASONS[reason])
    await _show_feedback(query, context, marked)


async def _not_stored(query: CallbackQuery, context: Context, qid: int) -> None:
    """Feedback refused: this user gave theirs already, or the question is no longer logged."""
    mine = await context.off_loop(context.library.feedback_of, qid, query.from_user.id)
    await _ack(query, texts.FEEDBACK_ALREADY if mine is not None else texts.QUESTION_GONE, alert=True)


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


def _pressed(update: Update) -> tuple[CallbackQuery, list[int]]:
    """The button press and the numbers in its callback data after the prefix."""
    query = update.callback_query
    assert query is not None and query.data is not None  # the handler patterns ensure both
    return query, [int(x) for x in query.data.split(":")[1:]]


async def _ack(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press; if even retrying cannot, go on (the press's real work, a 全文
    or an edit, matters more than the spinner stopping)."""
    try:
        await query.answer(text, show_alert=alert)
    except TelegramError as e:
        if not isinstance(e, GaveUp):
            log.info("could not answer a button press: %s", type(e).__name__)


def _asked(query: CallbackQuery) -> Message | None:
    """The message a press on an answer's button is about: the question the answer replies
    to (in groups answers quote their question), else the answer itself."""
    answer = query.message if isinstance(query.message, Message) else None
    if answer is None:
        return None
    return answer.reply_to_message or answer


def _about(update: Update) -> Message | None:
    """The message that what the bot sends next replies to: for a button press the question
    its answer replies to (see _asked), else the message being handled; None for a press on
    an inline-mode message, which has no chat of its own."""
    query = update.callback_query
    return _asked(query) if query else update.effective_message


async def _send_document(
    update: Update, context: Context, data: bytes, name: str, caption: str | None = None
) -> None:
    """A file about a question, sent where _send_all sends messages."""
    target = _about(update)
    if target is None:
        if update.effective_user:
            await context.bot.send_document(
                update.effective_user.id, data, filename=name, caption=caption, parse_mode="HTML"
            )
        return
    await target.reply_document(
        data, filename=name, caption=caption, parse_mode="HTML", do_quote=target.chat.type != ChatType.PRIVATE
    )


async def _send_all(update: Update, context: Context, messages: list[str]) -> None:
    """Messages about a question: in a group, replies to the question, in its forum topic
    (Message.reply_html keeps the topic); in a private chat, plain messages."""
    target = _about(update)
    if target is None:  # a press on an inline-mode message: the private chat with the user
        user = update.effective_user
        for part in messages:
            if user:
                await context.bot.send_message(user.id, part, parse_mode="HTML")
        return
    quote = target.chat.type != ChatType.PRIVATE
    for part in messages:
        await target.reply_html(part, do_quote=quote)


# --- inline mode -------------------------------------------------------------------------


async def inline_query(update: Update, context: Context) -> None:
    """@botname 问题 in any chat: the top passages as articles to post."""
    query = update.inline_query
    if not query:
        return
    text = query.query.strip()
    if not text:
        button = InlineQueryResultsButton(
            text=texts.INLINE_EMPTY.format(example=texts.EXAMPLES[0]), start_parameter="help"
        )
        await query.answer([], cache_time=300, button=button)
        return
    answer = await context.off_loop(context.library.ask, text, INLINE_RESULTS)
    if not answer.hits:
        button = InlineQueryResultsButton(text=texts.INLINE_NOTHING, start_parameter="help")
        await query.answer([], cache_time=30, button=button)
        return
    await query.answer(render.inline_results(answer), cache_time=30)


# --- help ----------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """/start and /help: what the bot knows and how to ask."""
    msg = update.effective_message
    if not msg:
        return
    if msg.chat.type != ChatType.PRIVATE:
        username = render.escape(context.bot.username or "")
        await msg.reply_html(
            texts.GROUP_HELP.format(username=username, example=render.escape(texts.EXAMPLES[0]))
        )
        return
    reports = context.library.reports()
    places = sorted({r.place for r in reports if r.place})
    years = sorted({r.year for r in reports if r.year})
    text = texts.WELCOME.format(
        reports=len(reports),
        places=render.escape(texts.places_list(places) or texts.NONE),
        years=render.escape("、".join(map(str, years)) or texts.NONE),
        examples="\n".join(f"· {render.escape(e)}" for e in texts.EXAMPLES),
        username=render.escape(context.bot.username or ""),
    )
    text += "\n\n" + render.escape(texts.HELP_COMMANDS)
    text += "\n" + render.escape(texts.PRIVACY_NOTE.format(days=context.settings.query_retention_days))
    if update.effective_user and context.is_admin(update.effective_user.id):
        text += "\n" + render.escape(texts.ADMIN_HELP)
    await msg.reply_html(text)


async def reports_command(update: Update, context: Context) -> None:
    """/reports [words]: the first page of the list (newest first), filtered by the words."""
    msg = update.effective_message
    if not msg:
        return
    words = " ".join(context.args or [])
    text, keyboard = await lists.page(context, "rep", words, 0)
    await msg.reply_html(text, reply_markup=keyboard)


async def reports_page_button(update: Update, context: Context) -> None:
    """‹ / › under a /reports list: another page, in the same message."""
    query = update.callback_query
    assert query is not None and query.data is not None  # the handler pattern ensures both
    page = await lists.pressed_page(query, context)
    if page is None:
        return
    offset, words = page
    text, keyboard = await lists.page(context, "rep", words, offset)
    await _ack(query)
    await _edit(query.message, text, keyboard)


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


# --- privacy -------------------------------------------------------------------------------


async def forget_command(update: Update, context: Context) -> None:
    """/forget: delete the sender's logged questions and feedback."""
    msg, user = update.effective_message, update.effective_user
    if not msg or not user:
        return
    questions, feedback = await context.off_loop(context.library.forget_user, user.id)
    context.bot_data.memory.forget(msg.chat_id, user.id)
    await msg.reply_text(texts.FORGET_DONE.format(questions=questions, feedback=feedback))


# --- helpers -------------------------------------------------------------------------------


async def _edit(message: object, text: str, keyboard: object) -> None:
    """Edit a message the bot sent; an unchanged edit is not an error."""
    if not isinstance(message, Message):
        return
    try:
        await message.edit_text(text, parse_mode="HTML", reply_markup=keyboard)  # type: ignore[arg-type]
    except BadRequest as e:
        if "not modified" not in str(e):
            raise
