"""Logging for `reportbot serve`: the bot token never reaches a log line, whatever the level.

python-telegram-bot and httpx put the token in every Bot API URL they log (httpx at INFO,
PTB at DEBUG), and exception messages and tracebacks may carry it too. A log-record factory
sees every record any logger makes before any handler does, so redacting there covers every
logger and handler, including ones added later (a test's capture, a library's own).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable

REDACTED = "<token>"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_secrets: list[str] = []
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """`text` with every registered secret replaced by REDACTED."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def hide(*secrets: str) -> None:
    """Keep these strings (a token, and its part after the colon) out of every log record
    from now on."""
    global _installed
    with _lock:
        for s in secrets:
            if s and s not in _secrets:
                _secrets.append(s)
                _secrets.sort(key=len, reverse=True)  # the whole token before its parts
        if not _installed:
            logging.setLogRecordFactory(_redacting(logging.getLogRecordFactory()))
            _installed = True


def hide_token(token: str) -> None:
    """Hide a bot token: whole, and its secret half (which is all a leak needs)."""
    hide(token, token.partition(":")[2])


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if not _secrets:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a malformed call; logging reports it later as it always does
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            clean = redact(text)
            if clean != text:
                record.exc_text = clean  # Formatter uses this instead of formatting exc_info
        return record

    return factory


def setup(level: str, private: bool = False) -> None:
    """Log to stderr at `level`. Below DEBUG, httpx's line per request is left out. PTB's and
    httpx's DEBUG records carry whole updates and requests (questions, names), so they are
    kept at INFO unless `private` (REPORTBOT_LOG_PRIVATE) allows them."""
    level = level.upper()
    logging.basicConfig(format=FORMAT, level=level)
    if level != "DEBUG":
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)
    elif not private:
        for name in ("telegram", "httpx", "httpcore", "tornado"):
            logging.getLogger(name).setLevel(logging.INFO)
