"""bot.buttons: a press the bot did not sign for the chat it comes from gets a short alert and
changes nothing: forged and counted-up ids, another chat's buttons, malformed data."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import texts
from bot.telegram.buttons import Signer
from bot.telegram.context import App
from retrieval.library import Library
from tests.conftest import ADMIN_ID, USER_ID, plain
from tests.fake_telegram import BotMessage, FakeTelegram

OTHER = USER_ID + 7


async def answered(telegram: FakeTelegram, user: int, question: str) -> BotMessage:
    telegram.send_private_text(user, question)
    return (await telegram.wait_for_messages(user, len(telegram.messages_in(user)) + 1))[-1]


async def alert_for(telegram: FakeTelegram, update: dict) -> dict:
    qid = update["callback_query"]["id"]
    (call,) = await telegram.wait_for_calls(
        "answerCallbackQuery", predicate=lambda c: c.params.get("callback_query_id") == qid
    )
    return call.params


def data_like(message: BotMessage, prefix: str) -> str:
    return next(d for d in message.callback_data if plain(d).startswith(prefix))


FORGED = [
    "more:{qid}:0",  # the old, unsigned form with another user's question id
    "more:{qid}:0|AAAAAAAAAAA",
    "more:{qid}:3",
    "fb:{qid}:1",
    "full:1",
    "src:1",
    "del:1:y",
    "more:-1:0",
    "more:123456789012345678901234567890:0",
    "more:{qid}:0:extra",
    "garbage",
    "|",
    "",
]


async def test_forged_presses_get_an_alert_and_change_nothing(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    theirs = await answered(telegram, OTHER, "秀山县政务公开数据")
    qid = plain(data_like(theirs, "fb:")).split(":")[1]
    mine = await answered(telegram, USER_ID, "瓦屋镇发放法律读本")
    before = [m.text for m in telegram.messages_in(USER_ID)]
    feedback = library.store.db["feedback"].count
    for forged in FORGED:
        update = telegram.send_callback_query(USER_ID, mine, forged.format(qid=qid), require_button=False)
        params = await alert_for(telegram, update)
        assert params.get("text") == texts.BUTTON_STALE and params.get("show_alert"), forged
    await asyncio.sleep(0.2)
    assert [m.text for m in telegram.messages_in(USER_ID)] == before  # not edited, nothing sent
    assert "秀山" not in "".join(before)
    assert library.store.db["feedback"].count == feedback
    assert len(library.reports()) == 5


async def test_a_button_pressed_from_another_chat_is_refused(bot: App, telegram: FakeTelegram) -> None:
    theirs = await answered(telegram, OTHER, "秀山县政务公开数据")
    mine = await answered(telegram, USER_ID, "瓦屋镇发放法律读本")
    stolen = data_like(theirs, "full:")  # signed, but for OTHER's chat
    update = telegram.send_callback_query(USER_ID, mine, stolen, require_button=False)
    assert (await alert_for(telegram, update)).get("text") == texts.BUTTON_STALE
    await asyncio.sleep(0.2)
    assert len(telegram.messages_in(USER_ID)) == 1
    assert "秀山" not in telegram.messages_in(USER_ID)[0].text


async def test_the_chats_own_buttons_still_work(bot: App, telegram: FakeTelegram) -> None:
    mine = await answered(telegram, USER_ID, "法治宣传")
    update = telegram.send_callback_query(USER_ID, mine, data_like(mine, "more:"))
    assert (await alert_for(telegram, update)).get("text") == texts.PAGE.format(page=2)


async def test_feedback_counts_once_per_user(bot: App, telegram: FakeTelegram, library: Library) -> None:
    mine = await answered(telegram, USER_ID, "秀山县政务公开数据")
    up = data_like(mine, "fb:")
    first = telegram.send_callback_query(USER_ID, mine, up)
    assert (await alert_for(telegram, first)).get("text") == texts.FEEDBACK_THANKS
    # The press marked the button (已反馈 👍); a client still showing the old keyboard presses again.
    again = telegram.send_callback_query(USER_ID, mine, up, require_button=False)
    assert (await alert_for(telegram, again)).get("text") == texts.FEEDBACK_ALREADY
    assert library.store.db["feedback"].count == 1


def test_signatures_bind_the_chat_and_the_token() -> None:
    a, b = Signer("1:aaa"), Signer("1:bbb")
    signed = a.sign("more:5:0", 42)
    assert a.verify(signed, 42) == "more:5:0"
    assert a.verify(signed, 43) is None and b.verify(signed, 42) is None
    assert a.verify(signed.replace("more:5", "more:6"), 42) is None
    assert len(a.sign("more:123456789012:120", -1001234567890).encode()) <= 64


@pytest.mark.parametrize("arg", ["²", "1" * 25, "-3", "#abc"])
async def test_delete_with_a_strange_id_gets_usage_or_gone(
    bot: App, telegram: FakeTelegram, arg: str
) -> None:
    telegram.send_private_text(ADMIN_ID, f"/delete {arg}")
    (reply,) = await telegram.wait_for_messages(ADMIN_ID)
    assert reply.text in (texts.DELETE_USAGE, texts.REPORT_GONE)


def test_a_keyboard_comes_back_plain_for_its_own_chat_only() -> None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    signer = Signer("123:token")
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("全文 1", callback_data="full:1"),
                InlineKeyboardButton("👍", callback_data="fb:9:1"),
            ],
            [InlineKeyboardButton("原文", url="https://example.gov.cn/a.html")],
        ]
    )
    signed = signer.sign_keyboard(markup, 42)
    back = signer.unsign_keyboard(signed, 42)
    assert [[(b.text, b.callback_data, b.url) for b in row] for row in back.inline_keyboard] == [
        [("全文 1", "full:1", None), ("👍", "fb:9:1", None)],
        [("原文", None, "https://example.gov.cn/a.html")],
    ]
    # Signed for another chat: no press on those could get through, so they are not kept.
    assert [[b.text for b in row] for row in signer.unsign_keyboard(signed, 43).inline_keyboard] == [["原文"]]
