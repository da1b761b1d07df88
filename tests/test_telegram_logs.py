"""bot.logs: the token is in no log line at any level, whatever logs it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.telegram import logs
from retrieval.library import Library
from tests.conftest import USER_ID, bot_settings, running_bot
from tests.fake_telegram import FakeTelegram


@pytest.fixture
def everything_logged() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, formatted with tracebacks, into a buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(logs.FORMAT))
    root = logging.getLogger()
    old_level = root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


async def test_the_token_is_in_no_log_line_at_debug(
    library: Library, telegram: FakeTelegram, everything_logged: io.StringIO
) -> None:
    logs.hide_token(telegram.token)
    secret = telegram.token.partition(":")[2]
    async with running_bot(bot_settings(library, telegram, send_retry_seconds=1), library):
        telegram.send_private_text(USER_ID, "秀山县政务公开数据")
        (answer,) = await telegram.wait_for_messages(USER_ID)
        telegram.send_callback_query(USER_ID, answer, next(d for d in answer.callback_data if "full" in d))
        await telegram.wait_for_messages(USER_ID, 2)
        telegram.fail_for("sendMessage", 5, error_code=502)  # errors and retries, logged too
        telegram.send_private_text(USER_ID, "瓦屋镇发放法律读本")
        await telegram.wait_for_calls("sendMessage", ok=False, count=2)
    lines = everything_logged.getvalue().splitlines()
    assert len(lines) > 50
    assert any(f"/bot{logs.REDACTED}/getUpdates" in line for line in lines)  # httpx's URLs, redacted
    assert [line for line in lines if secret in line] == []


def test_redaction_covers_arguments_and_tracebacks(everything_logged: io.StringIO) -> None:
    logs.hide("sekrit-value-123")
    log = logging.getLogger("some.library")
    log.debug("calling %s", "https://x/botsekrit-value-123/getMe")
    try:
        raise RuntimeError("failed at https://x/botsekrit-value-123/send")
    except RuntimeError:
        log.exception("it went wrong")
    text = everything_logged.getvalue()
    assert "sekrit-value-123" not in text
    assert text.count(logs.REDACTED) == 3  # the message; the traceback's source line and exception


@pytest.mark.parametrize(("private", "telegram_level"), [(False, logging.INFO), (True, logging.NOTSET)])
def test_debug_leaves_out_ptbs_payloads_unless_private(private: bool, telegram_level: int) -> None:
    """PTB's DEBUG records hold whole updates (question text, names)."""
    names = ("telegram", "httpx", "httpcore", "tornado")
    saved = {n: logging.getLogger(n).level for n in names}
    try:
        for n in names:
            logging.getLogger(n).setLevel(logging.NOTSET)
        logs.setup("debug", private)
        assert logging.getLogger("telegram").level == telegram_level
    finally:
        for n, level in saved.items():
            logging.getLogger(n).setLevel(level)
