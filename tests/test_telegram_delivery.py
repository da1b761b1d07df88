"""bot.delivery against a fake Bot API that fails like Telegram: outages of 5xx, dropped
connections and 429s cost no answer and duplicate none; a 500-message flood in one group
does not hold up anybody else."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from telegram import Update
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.core import texts
from bot.telegram import delivery
from bot.telegram.delivery import CHAT_BACKLOG, FairProcessor, Retrying
from retrieval.library import Library
from tests.conftest import ADMIN_ID, GROUP_ID, USER_ID, bot_settings, running_bot
from tests.fake_telegram import FakeTelegram

QUESTIONS = ("秀山县政务公开数据", "瓦屋镇发放法律读本", "蓝山县重大行政决策数量", "安化县政协提案立案率")
USERS = [USER_ID + i for i in range(len(QUESTIONS))]


async def ask_everyone(telegram: FakeTelegram) -> None:
    for user, q in zip(USERS, QUESTIONS, strict=True):
        telegram.send_private_text(user, q)


async def every_answer_arrives_once(telegram: FakeTelegram, timeout: float) -> None:
    for user in USERS:
        await telegram.wait_for_messages(user, 1, timeout=timeout)
    await asyncio.sleep(0.3)  # a duplicate would come right after
    for user in USERS:
        assert len(telegram.messages_in(user)) == 1


@pytest.mark.parametrize("code", [502, 503])
async def test_answers_survive_an_outage_of_5xx(library: Library, telegram: FakeTelegram, code: int) -> None:
    telegram.fail_for("sendMessage", 1.0, error_code=code)
    async with running_bot(bot_settings(library, telegram), library):
        await ask_everyone(telegram)
        await every_answer_arrives_once(telegram, timeout=10)
    assert telegram.calls_to("sendMessage", ok=False)  # the outage was hit


async def test_answers_survive_dropped_connections(library: Library, telegram: FakeTelegram) -> None:
    telegram.drop_connections("sendMessage", seconds=1.0)
    async with running_bot(bot_settings(library, telegram), library):
        await ask_everyone(telegram)
        await every_answer_arrives_once(telegram, timeout=10)
    assert any(c.error_code == 0 for c in telegram.calls_to("sendMessage"))


async def test_a_429_without_the_rate_limiter_is_waited_out(library: Library, telegram: FakeTelegram) -> None:
    telegram.fail_next("sendMessage", error_code=429, retry_after=1, times=1)
    async with running_bot(bot_settings(library, telegram), library):
        await ask_everyone(telegram)
        await every_answer_arrives_once(telegram, timeout=10)


async def test_full_text_is_sent_when_the_button_cannot_be_answered(
    library: Library, telegram: FakeTelegram
) -> None:
    async with running_bot(bot_settings(library, telegram, send_retry_seconds=1), library):
        telegram.send_private_text(USER_ID, "安化县政协提案立案率")
        (first,) = await telegram.wait_for_messages(USER_ID)
        full = next(d for d in first.callback_data if d.startswith("full:"))
        telegram.fail_for("answerCallbackQuery", 5, error_code=502)
        telegram.send_callback_query(USER_ID, first, full)
        messages = await telegram.wait_for_messages(USER_ID, 2, timeout=10)
        assert "立案率" in messages[1].text


async def test_what_cannot_be_sent_is_logged_once(
    library: Library, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    telegram.fail_for("sendMessage", 30, error_code=502)
    async with running_bot(bot_settings(library, telegram, send_retry_seconds=1), library):
        telegram.send_private_text(USER_ID, "秀山县政务公开数据")
        started = time.monotonic()
        while "not delivered" not in caplog.text and time.monotonic() - started < 5:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
    gave_up = [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert len(gave_up) == 1 and "sendMessage" in gave_up[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # not again as an error
    assert len(telegram.calls_to("sendMessage")) < 12  # backed off, not hammering


async def test_a_flood_in_one_group_does_not_delay_another_chat(
    library: Library, telegram: FakeTelegram
) -> None:
    settings = bot_settings(library, telegram, rate_limiter=True, user_rate_per_minute=3)
    flooders = [USER_ID + 100 + i for i in range(5)]
    async with running_bot(settings, library):
        for i in range(500):
            telegram.send_group_text(GROUP_ID, flooders[i % 5], f"/ask 秀山县政务公开数据 {i}")
        await asyncio.sleep(0.2)  # the flood is being handled
        started = time.monotonic()
        telegram.send_private_text(USER_ID, "瓦屋镇发放法律读本")
        await telegram.wait_for_messages(USER_ID, 1, timeout=10)
        waited = time.monotonic() - started
        await asyncio.sleep(1.0)
        in_group = telegram.messages_in(GROUP_ID)
    assert waited < 1.0, f"the private answer waited {waited:.2f} s behind the group's flood"
    notices = [m for m in in_group if texts.RATE_LIMITED in m.text]
    assert len(notices) <= len(flooders)  # one notice per flooder and window, not one per message
    assert len(in_group) <= len(flooders) * 3 + len(flooders)
    assert CHAT_BACKLOG < 500  # the rest of the flood was dropped, not queued for minutes


def chat_update(update_id: int, chat_id: int) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "group" if chat_id < 0 else "private"},
                "text": "x",
            },
        },
        None,
    )


async def test_fair_processor_serves_a_quiet_chat_first_and_one_at_a_time_per_chat() -> None:
    """The flood's handlers are slow (each waits on the group's send limit); PTB's arrival-
    order semaphore would make the private chat wait for all of them."""
    processor = FairProcessor(concurrent=8, backlog=50)
    await processor.initialize()
    busy = {"now": 0, "most": 0}
    done: dict[int, float] = {}
    started = time.monotonic()

    async def handle(update_id: int, chat_id: int, seconds: float) -> None:
        if chat_id == GROUP_ID:
            busy["now"] += 1
            busy["most"] = max(busy["most"], busy["now"])
        await asyncio.sleep(seconds)
        if chat_id == GROUP_ID:
            busy["now"] -= 1
        done[update_id] = time.monotonic() - started

    tasks = [
        asyncio.create_task(processor.process_update(chat_update(i, GROUP_ID), handle(i, GROUP_ID, 0.01)))
        for i in range(500)
    ]
    await asyncio.sleep(0)
    tasks.append(
        asyncio.create_task(processor.process_update(chat_update(999, USER_ID), handle(999, USER_ID, 0)))
    )
    await asyncio.gather(*tasks)
    order = sorted(done, key=done.__getitem__)
    assert order.index(999) <= 2  # not behind the flood: done before the group's third update
    assert busy["most"] == 1  # the group's updates one at a time, in order
    assert processor.dropped == 500 - 50  # beyond the backlog, dropped at once
    group = [u for u in done if u != 999]
    assert sorted(group, key=done.__getitem__) == sorted(group)  # in order of arrival


@pytest.mark.parametrize("claimed", [1000, 0])
async def test_an_upload_is_measured_on_the_bytes_downloaded(
    library: Library, telegram: FakeTelegram, claimed: int
) -> None:
    """A file claiming 1,000 bytes (or no size) is refused once more than the limit arrives."""
    content = ("法治政府建设" * 200_000).encode()  # 3.6 MB
    async with running_bot(bot_settings(library, telegram, max_upload_mb=1), library):
        telegram.add_file("big", content, file_size=claimed or len(content), file_name="big.txt")
        telegram.send_document(ADMIN_ID, ADMIN_ID, "big", "big.txt", "text/plain", file_size=claimed)
        for _ in range(200):
            texts_now = [m.text for m in telegram.messages_in(ADMIN_ID)]
            if any("太大" in t for t in texts_now):
                break
            await asyncio.sleep(0.05)
        assert any("太大" in t for t in texts_now), texts_now
        assert telegram.calls_to("getFile")  # refused on what arrived, not on the claim
    assert len(library.reports()) == 5


@pytest.mark.parametrize(
    ("endpoint", "error", "calls"),
    [
        ("sendMessage", TimedOut("read timed out"), 1),  # may have gone out: never repeated
        ("editMessageText", TimedOut("read timed out"), 3),  # repeating an edit is harmless
        ("sendMessage", NetworkError("Bad Gateway"), 3),  # not acted on: safe to repeat
        ("sendMessage", BadRequest("chat not found"), 1),  # repeating cannot help
    ],
)
async def test_retrying_repeats_only_what_cannot_duplicate(
    endpoint: str, error: Exception, calls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "FIRST_BACKOFF_SECONDS", 0.01)
    made: list[int] = []

    async def call() -> bool:
        made.append(1)
        if len(made) < 3:
            raise error
        return True

    retrying = Retrying(None, budget_seconds=5)
    if calls == 1:
        with pytest.raises((type(error), delivery.GaveUp)):
            await retrying.process_request(call, (), {}, endpoint, {"chat_id": 1}, None)
    else:
        assert await retrying.process_request(call, (), {}, endpoint, {"chat_id": 1}, None) is True
    assert len(made) == calls
