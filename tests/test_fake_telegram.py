"""Tests of the fake Bot API server, driven through python-telegram-bot's real Bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, InvalidToken, RetryAfter
from telegram.ext import AIORateLimiter, ApplicationBuilder, CommandHandler, ContextTypes

from tests.fake_telegram import (
    DEFAULT_BOT_ID,
    FakeTelegram,
    fake_telegram_server,
    parse_html,
    utf16_len,
)

USER_ID = 4242
GROUP_ID = -1001234567890


# One server and one Bot for the module (building a Bot costs ~50 ms of SSL setup), on one
# event loop; every test starts from a reset server. (So every test is async, even those
# that do not need to be, because the module-wide mark would warn about sync tests.)
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FakeTelegram]:
    with fake_telegram_server() as tg:
        yield tg


@pytest.fixture(autouse=True)
def server(shared_server: FakeTelegram) -> FakeTelegram:
    shared_server.reset()
    shared_server.long_poll_cap = 0.5  # keeps the "no updates" long poll short
    shared_server.user(USER_ID, first_name="Alice", username="alice")
    return shared_server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(shared_server: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        shared_server.token,
        base_url=shared_server.base_url,
        base_file_url=shared_server.base_file_url,
    ) as real_bot:
        yield real_bot


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 deprecates the int form; either is fine here
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


async def _until_polling(server: FakeTelegram) -> None:
    deadline = time.monotonic() + 2
    while server.polls_in_progress == 0:
        assert time.monotonic() < deadline, "getUpdates never arrived"
        await asyncio.sleep(0.01)


def _post_raw(server: FakeTelegram, method: str, params: dict[str, object]) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server.base_url}{server.token}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_get_me_reports_the_configured_bot(bot: Bot, server: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name) == (DEFAULT_BOT_ID, "reportbot_test_bot", "ReportBot")
    assert me.is_bot and me.can_join_groups and me.supports_inline_queries
    assert server.calls_to("getMe")


async def test_unknown_token_is_unauthorized(server: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=server.base_url):  # initialize() calls getMe
            pass
    assert server.calls[-1].error_code == 401


async def test_send_message_html_records_visible_text_and_entities(bot: Bot, server: FakeTelegram) -> None:
    html = '<b>政府</b> &amp; <a href="https://example.org/r?a=1&b=2">报告</a> 😀'
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("更多", callback_data="more:1")]])

    sent = await bot.send_message(USER_ID, html, parse_mode=ParseMode.HTML, reply_markup=keyboard)

    assert sent.text == "政府 & 报告 😀"
    assert sent.from_user is not None and sent.from_user.id == DEFAULT_BOT_ID
    assert sent.text_html == html  # the entities sit exactly where the tags were
    assert sent.reply_markup == keyboard
    [stored] = server.messages_in(USER_ID)
    assert (stored.message_id, stored.text, stored.html) == (sent.message_id, sent.text, html)
    assert stored.callback_data == ["more:1"]
    [call] = server.calls_to("sendMessage")
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "more:1"
    assert call.params["chat_id"] == USER_ID


async def test_message_ids_count_per_chat_and_replies_resolve(bot: Bot, server: FakeTelegram) -> None:
    incoming = server.send_private_text(USER_ID, "hello")["message"]
    reply = await bot.send_message(USER_ID, "hi", reply_parameters=ReplyParameters(incoming["message_id"]))
    assert reply.message_id == incoming["message_id"] + 1
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "hello"
    assert server.messages_in(USER_ID)[0].reply_to_message_id == incoming["message_id"]
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(USER_ID, "x", reply_parameters=ReplyParameters(999))
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(123, "nobody here")


@pytest.mark.parametrize(
    ("html", "detail"),
    [
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("<b>open", 'can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("AT&T", 'character "&" at byte offset 2 does not start an html entity; escape it as &amp;'),
        ("&nbsp;", 'character "&" at byte offset 0 does not start an html entity; escape it as &amp;'),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a>x</a>", 'tag "a" must have attribute "href" at byte offset 0'),
        ("<b", "unclosed start tag at byte offset 0"),
    ],
)
async def test_malformed_html_is_refused(bot: Bot, html: str, detail: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER_ID, html, parse_mode=ParseMode.HTML)
    # PTB drops "Bad Request: " and capitalises the rest of Telegram's description.
    assert caught.value.message.lower() == f"can't parse entities: {detail}".lower()


async def test_refusals_have_telegrams_json_shape(server: FakeTelegram) -> None:
    status, body = _post_raw(server, "sendMessage", {"chat_id": USER_ID, "text": "<x>", "parse_mode": "HTML"})
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": 'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
    }
    status, body = _post_raw(server, "noSuchMethod", {})
    assert (status, body["error_code"], body["description"]) == (404, 404, "Not Found")


async def test_all_telegram_tags_and_references_are_accepted(bot: Bot) -> None:
    html = (
        "<b>b</b><strong>b</strong><i>i</i><em>i</em><u>u</u><ins>u</ins><s>s</s>"
        "<strike>s</strike><del>s</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">p</span><code>c</code><pre>p</pre>'
        '<pre><code class="language-python">x</code></pre><blockquote>q</blockquote>'
        '<blockquote expandable>e</blockquote><tg-emoji emoji-id="5368324170671202286">👍'
        '</tg-emoji><A HREF="https://example.org">a</A> &lt;&gt;&quot;&#65;&#x42; 1 > 0'
    )
    sent = await bot.send_message(USER_ID, html, parse_mode=ParseMode.HTML)
    assert sent.text == 'bbiiuusssppcpxqe👍a <>"AB 1 > 0'
    assert {e.type for e in sent.entities} == {
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
        "text_link",
    }
    [python] = [e for e in sent.entities if e.language]
    assert (python.type, python.language, sent.parse_entity(python)) == ("pre", "python", "x")


@pytest.mark.parametrize(
    ("text", "parse_mode", "ok"),
    [
        ("a" * 4096, None, True),
        ("a" * 4097, None, False),
        (f"<b>{'a' * 4096}</b>", ParseMode.HTML, True),  # tags do not count
        ("&amp;" * 4096, ParseMode.HTML, True),  # an entity is one character
        ("&amp;" * 4097, ParseMode.HTML, False),
        ("😀" * 2048, None, True),  # emoji count two UTF-16 units
        ("😀" * 2048 + "a", None, False),
        ("  " + "a" * 4096 + "\n\n", None, True),  # surrounding whitespace is trimmed
    ],
)
async def test_length_limit_counts_visible_utf16_units(
    bot: Bot, text: str, parse_mode: str | None, ok: bool
) -> None:
    if ok:
        sent = await bot.send_message(USER_ID, text, parse_mode=parse_mode)
        assert sent.text is not None and utf16_len(sent.text) <= 4096
    else:
        with pytest.raises(BadRequest, match=r"(?i)^message is too long$"):
            await bot.send_message(USER_ID, text, parse_mode=parse_mode)


@pytest.mark.parametrize("text", ["", "   \n", "<b></b>", "<b> </b>"])
async def test_empty_text_is_refused(bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)^message text is empty$"):
        await bot.send_message(USER_ID, text, parse_mode=ParseMode.HTML)


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("x", callback_data="d" * 65), "button_data_invalid"),
        (InlineKeyboardButton("x", callback_data="报" * 22), "button_data_invalid"),  # 66 bytes
        (InlineKeyboardButton("", callback_data="ok"), "text buttons are unallowed"),
        (InlineKeyboardButton("x"), "text buttons are unallowed"),
        (InlineKeyboardButton("x", url="not a url"), "button_url_invalid"),
    ],
)
async def test_invalid_inline_buttons_are_refused(bot: Bot, button: InlineKeyboardButton, error: str) -> None:
    with pytest.raises(BadRequest, match=rf"(?i){error}"):
        await bot.send_message(USER_ID, "x", reply_markup=InlineKeyboardMarkup([[button]]))


async def test_callback_data_of_exactly_64_bytes_is_accepted(bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="报" * 21 + "a")]])
    await bot.send_message(USER_ID, "x", reply_markup=markup)


async def test_edit_message_text(bot: Bot, server: FakeTelegram) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x")]])
    sent = await bot.send_message(USER_ID, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard)

    edited = await bot.edit_message_text(
        "<i>v2</i>", USER_ID, sent.message_id, parse_mode="HTML", reply_markup=keyboard
    )
    assert isinstance(edited, Message) and edited.text == "v2" and edited.edit_date is not None
    stored = server.message(USER_ID, sent.message_id)
    assert stored is not None and stored.html == "<i>v2</i>"
    assert [version["text"] for version in stored.history] == ["v1"]

    with pytest.raises(BadRequest, match=r"(?i)^message is not modified: specified new"):
        await bot.edit_message_text(
            "<i>v2</i>", USER_ID, sent.message_id, parse_mode="HTML", reply_markup=keyboard
        )
    # Dropping the keyboard is a modification (and removes it, as on Telegram).
    await bot.edit_message_text("<i>v2</i>", USER_ID, sent.message_id, parse_mode="HTML")
    assert server.messages_in(USER_ID)[0].reply_markup is None

    incoming = server.send_private_text(USER_ID, "user text")["message"]
    for message_id in (incoming["message_id"], 12345):
        with pytest.raises(BadRequest, match=r"(?i)^message to edit not found$"):
            await bot.edit_message_text("new", USER_ID, message_id)
    with pytest.raises(BadRequest, match=r"(?i)^message is too long$"):
        await bot.edit_message_text("a" * 4097, USER_ID, sent.message_id)


async def test_edit_reply_markup_and_delete(bot: Bot, server: FakeTelegram) -> None:
    sent = await bot.send_message(USER_ID, "x")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("y", callback_data="y")]])
    await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_reply_markup(USER_ID, sent.message_id, reply_markup=markup)
    assert await bot.delete_message(USER_ID, sent.message_id)
    assert server.messages_in(USER_ID) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER_ID, sent.message_id)


async def test_callback_query_is_answered_once(bot: Bot, server: FakeTelegram) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("y", callback_data="page:2")]])
    sent = await bot.send_message(USER_ID, "x", reply_markup=markup)
    update = server.send_callback_query(USER_ID, server.messages_in(USER_ID)[0], "page:2")
    query = update["callback_query"]
    assert query["message"]["message_id"] == sent.message_id and query["data"] == "page:2"
    with pytest.raises(ValueError, match="no button"):
        server.send_callback_query(USER_ID, sent.to_dict(), "page:3")

    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query["id"], text="t" * 201)
    assert await bot.answer_callback_query(query["id"], text="t" * 200)
    assert server.unanswered_callback_queries() == []
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query["id"])


def _article(result_id: str, text: str, parse_mode: str | None = None) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(result_id, "title", InputTextMessageContent(text, parse_mode=parse_mode))


async def test_answer_inline_query(bot: Bot, server: FakeTelegram) -> None:
    query_id = server.send_inline_query(USER_ID, "法治")["inline_query"]["id"]
    results = [_article(str(i), f"<b>结果 {i}</b>", ParseMode.HTML) for i in range(50)]
    assert await bot.answer_inline_query(query_id, results, cache_time=0)
    [call] = server.calls_to("answerInlineQuery")
    assert len(call.params["results"]) == 50
    assert call.params["results"][0]["input_message_content"]["message_text"] == "<b>结果 0</b>"


@pytest.mark.parametrize(
    ("results", "error"),
    [
        ([_article(str(i), "x") for i in range(51)], "results_too_much"),
        ([_article("x" * 65, "x")], "result_id_invalid"),
        ([_article("same", "x"), _article("same", "y")], "result_id_duplicate"),
        ([_article("1", "a" * 4097)], "message_too_long"),
        ([_article("1", "<b>x", ParseMode.HTML)], "can't parse entities"),
    ],
)
async def test_invalid_inline_answers_are_refused(
    bot: Bot, server: FakeTelegram, results: list[InlineQueryResultArticle], error: str
) -> None:
    query_id = server.send_inline_query(USER_ID, "q")["inline_query"]["id"]
    with pytest.raises(BadRequest, match=rf"(?i){error}"):
        await bot.answer_inline_query(query_id, results)


async def test_get_file_and_download(bot: Bot, server: FakeTelegram) -> None:
    content = bytes(range(256)) * 10 + "报告".encode()
    server.add_file("doc-1", content, file_name="报告 2024.pdf")

    telegram_file = await bot.get_file("doc-1")
    assert telegram_file.file_size == len(content)
    assert await telegram_file.download_as_bytearray() == bytearray(content)

    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("unknown")
    server.add_file("huge", b"x", file_size=21 * 1024 * 1024)
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file("huge")


async def test_send_document_upload_is_multipart_and_downloadable(bot: Bot, server: FakeTelegram) -> None:
    sent = await bot.send_document(
        USER_ID, b"col1,col2\n", filename="结果.csv", caption="<b>导出</b>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "结果.csv"
    assert sent.caption == "导出"
    [call] = server.calls_to("sendDocument")
    assert call.files["document"].content == b"col1,col2\n"
    assert server.file_content(sent.document.file_id) == b"col1,col2\n"
    assert await (await bot.get_file(sent.document.file_id)).download_as_bytearray() == (
        bytearray(b"col1,col2\n")
    )


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_is_injected_and_the_retry_recorded(bot: Bot, server: FakeTelegram) -> None:
    server.fail_next("sendMessage", error_code=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_ID, "first try")
    assert _retry_seconds(caught.value) == 3

    await bot.send_message(USER_ID, "second try")
    calls = await server.wait_for_calls("sendMessage", count=2, timeout=1)
    assert [(c.ok, c.error_code) for c in calls] == [(False, 429), (True, None)]
    assert [m.text for m in server.messages_in(USER_ID)] == ["second try"]


async def test_injected_failure_can_target_matching_calls(bot: Bot, server: FakeTelegram) -> None:
    server.fail_next("sendMessage", error_code=400, match=lambda p: p["text"] == "bad")
    await bot.send_message(USER_ID, "good")
    with pytest.raises(BadRequest, match=r"(?i)injected"):
        await bot.send_message(USER_ID, "bad")


async def test_get_updates_long_poll_returns_an_update_enqueued_while_waiting(
    bot: Bot, server: FakeTelegram
) -> None:
    server.long_poll_cap = 3.0  # long enough that only the update can end the poll early
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await _until_polling(server)
    started = time.monotonic()
    server.send_group_text(GROUP_ID, USER_ID, "/ask@reportbot_test_bot 😀 @reportbot_test_bot hi")

    [update] = await asyncio.wait_for(poll, timeout=2)
    assert time.monotonic() - started < 1.0
    assert update.message is not None and update.message.chat.type == "supergroup"
    entities = [(e.type, e.offset, e.length) for e in update.message.entities]
    # "/ask@reportbot_test_bot" is 23 units; the emoji is 2, so the mention starts at 27.
    assert entities == [("bot_command", 0, 23), ("mention", 27, 19)]
    assert update.message.parse_entities()[update.message.entities[1]] == "@reportbot_test_bot"

    # The next poll with a higher offset acknowledges it.
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert server.pending_updates == []


async def test_get_updates_returns_empty_within_the_timeout(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.4 <= time.monotonic() - started < 1.5  # capped at long_poll_cap=0.5


async def test_get_updates_offset_and_limit(bot: Bot, server: FakeTelegram) -> None:
    ids = [server.send_private_text(USER_ID, f"m{i}")["update_id"] for i in range(3)]
    first = await bot.get_updates(limit=2, timeout=0)
    assert [u.update_id for u in first] == ids[:2]
    rest = await bot.get_updates(offset=ids[1] + 1, timeout=0)
    assert [u.update_id for u in rest] == ids[2:]
    await server.wait_for_updates_delivered(timeout=1)


async def test_document_and_inline_updates_parse_in_ptb(bot: Bot, server: FakeTelegram) -> None:
    server.send_document(USER_ID, USER_ID, "file-9", "report.pdf", "application/pdf", caption="/ask")
    server.send_inline_query(USER_ID, "query text", offset="10")
    server.send_chosen_inline_result(USER_ID, "r1", "query text")
    document, inline, chosen = await bot.get_updates(timeout=0)
    assert document.message is not None and document.message.document is not None
    assert document.message.document.file_name == "report.pdf"
    assert document.message.caption_entities[0].type == "bot_command"
    assert inline.inline_query is not None and inline.inline_query.offset == "10"
    assert chosen.chosen_inline_result is not None


async def test_newer_get_updates_terminates_the_older_one(bot: Bot, server: FakeTelegram) -> None:
    server.long_poll_cap = 3.0
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await _until_polling(server)
    # A second Bot: PTB's own getUpdates connection pool holds one request at a time.
    async with Bot(server.token, base_url=server.base_url) as second:
        assert await second.get_updates(timeout=0) == ()
    with pytest.raises(Conflict):
        await asyncio.wait_for(first, timeout=2)


async def test_commands_chat_action_and_webhook(bot: Bot, server: FakeTelegram) -> None:
    await bot.set_my_commands([("ask", "提问"), ("help", "帮助")])
    assert [c.command for c in await bot.get_my_commands()] == ["ask", "help"]
    assert server.commands()[0] == {"command": "ask", "description": "提问"}
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Bad-Command", "x")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    assert await bot.send_chat_action(USER_ID, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(USER_ID, "dancing")

    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""


async def test_sync_wait_times_out_with_a_useful_message(server: FakeTelegram) -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError, match="sendMessage"):
        server.wait_for_calls_sync("sendMessage", timeout=0.2)
    assert time.monotonic() - started < 1.0


async def test_stop_is_quick_even_during_a_long_poll() -> None:
    server = FakeTelegram(long_poll_cap=5.0).start()
    url = f"{server.base_url}{server.token}/getUpdates?timeout=5"
    result: list[object] = []

    def poll() -> None:
        with urllib.request.urlopen(url, timeout=5) as response:
            result.append(json.loads(response.read()))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    deadline = time.monotonic() + 2
    while server.polls_in_progress == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    poller.join(timeout=2)
    assert time.monotonic() - started < 1.5
    assert result == [{"ok": True, "result": []}]


async def test_parse_html_reports_entities_in_utf16_units() -> None:
    parsed = parse_html("😀 <b>粗体</b> <a href='https://example.org'>链接</a>")
    assert parsed.text == "😀 粗体 链接"
    assert parsed.entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 6, "length": 2, "url": "https://example.org"},
    ]
    # Outside strict mode a stray '&' stays literal, as Telegram does.
    assert parse_html("AT&T", strict=False).text == "AT&T"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_application_polls_replies_and_retries_after_429(
    server: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=1))
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html("<b>你好</b>")

    app.add_handler(CommandHandler("start", start))
    server.fail_next("sendMessage", retry_after=1)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=dtm.timedelta(seconds=1))
        server.send_private_text(USER_ID, "/start")
        calls = await server.wait_for_calls("sendMessage", count=2, timeout=4)
        await app.updater.stop()
        await app.stop()

    assert [c.error_code for c in calls] == [429, None]
    assert [m.text for m in server.messages_in(USER_ID)] == ["你好"]
    assert server.pending_updates == []  # the final getUpdates acknowledged the update
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
