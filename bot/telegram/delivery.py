"""Getting answers out: Bot API calls retried through Telegram's bad moments, and updates
handled so that one chat's flood never holds up another chat.

Retrying. Every Bot API call (except getUpdates, which PTB's updater retries itself) passes
through `Retrying`, a rate limiter in PTB's terms: it waits out a 429's retry_after and
retries 5xx answers and network errors with exponential backoff, for at most
`send_retry_seconds`. A call that timed out after it was sent may have been carried out, so a
timed-out *send* is not retried (a duplicate answer would be worse than a lost one), while
idempotent calls (edits, answerCallbackQuery, getFile...) are. A 5xx or a refused connection
means Telegram did not act on the call, so retrying those cannot duplicate. What still fails
is logged once, here, and the error handler does not log it again.

Fairness. PTB's own concurrency is a semaphore in arrival order: 500 updates from one group
fill every slot, and a private chat's question waits behind all of them. `FairProcessor`
takes every update at once, queues it behind its own chat's (one update per chat is handled
at a time, in order), and lets at most `concurrent` chats be handled at once; a chat whose
backlog is full has its further updates dropped (a flood, by definition).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from telegram import File, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 0.25
MAX_BACKOFF_SECONDS = 4.0
# Calls that create something: a timed-out one may have gone through, so it is not repeated.
NOT_REPEATABLE = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "forwardMessage", "copyMessage"}
)
DOWNLOAD_TIMEOUT_SECONDS = 60.0
CHAT_BACKLOG = 50  # updates of one chat waiting at most; more are a flood and are dropped
WAITING_MAX = 100_000  # updates accepted at once (PTB's semaphore; the real limit is below)


class GaveUp(NetworkError):
    """A Bot API call that still failed after retrying for the allowed time (already logged)."""


class Retrying(BaseRateLimiter[Any]):
    """Retries Bot API calls (see the module doc); `inner` (e.g. AIORateLimiter) paces them."""

    def __init__(self, inner: BaseRateLimiter[Any] | None = None, budget_seconds: float = 60.0) -> None:
        self.inner = inner
        self.budget_seconds = budget_seconds

    async def initialize(self) -> None:
        if self.inner:
            await self.inner.initialize()

    async def shutdown(self) -> None:
        if self.inner:
            await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        deadline = time.monotonic() + self.budget_seconds
        backoff = FIRST_BACKOFF_SECONDS
        attempts = 0
        while True:
            attempts += 1
            try:
                if self.inner is not None:
                    return await self.inner.process_request(
                        callback, args, kwargs, endpoint, data, rate_limit_args
                    )
                return await callback(*args, **kwargs)
            except BadRequest:  # PTB makes it a NetworkError, but repeating it cannot help
                raise
            except RetryAfter as e:
                wait = e._retry_after.total_seconds() + 0.1
                error: Exception = e
            except TimedOut as e:
                if endpoint in NOT_REPEATABLE:
                    raise self._give_up(endpoint, data, attempts, e) from e
                wait, backoff, error = backoff, min(backoff * 2, MAX_BACKOFF_SECONDS), e
            except NetworkError as e:  # 5xx, refused or dropped connections
                wait, backoff, error = backoff, min(backoff * 2, MAX_BACKOFF_SECONDS), e
            if time.monotonic() + wait > deadline:
                raise self._give_up(endpoint, data, attempts, error) from error
            await asyncio.sleep(wait)

    def _give_up(self, endpoint: str, data: dict[str, Any], attempts: int, error: Exception) -> GaveUp:
        chat = data.get("chat_id", data.get("callback_query_id", "-"))
        log.warning(
            "%s to %s not delivered after %d attempt(s): %s: %s",
            endpoint,
            chat,
            attempts,
            type(error).__name__,
            error,
        )
        return GaveUp(f"{endpoint} not delivered: {error}")


def chat_key(update: object) -> int | None:
    """The chat an update belongs to (the user's, for inline queries); None if neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class _Chat:
    __slots__ = ("lock", "waiting")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.waiting = 0


class FairProcessor(BaseUpdateProcessor):
    """Updates of one chat one at a time and in order; at most `concurrent` at once overall;
    a chat's backlog capped at `backlog` (see the module doc)."""

    def __init__(self, concurrent: int, backlog: int = CHAT_BACKLOG) -> None:
        super().__init__(WAITING_MAX)
        self.concurrent = concurrent
        self.backlog = backlog
        self.dropped = 0
        self._chats: dict[int, _Chat] = {}
        self._slots: asyncio.Semaphore | None = None

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self.concurrent)

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrent)
        key = chat_key(update)
        if key is None:
            async with self._slots:
                await coroutine
            return
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat()
        if chat.waiting >= self.backlog:
            self.dropped += 1
            if isinstance(coroutine, Coroutine):
                coroutine.close()  # never started: nothing to clean up
            return
        chat.waiting += 1
        try:
            async with chat.lock, self._slots:
                await coroutine
        finally:
            chat.waiting -= 1
            if chat.waiting == 0:
                del self._chats[key]


class TooBig(Exception):
    """A download passed its limit (counted on the bytes received, not on what was claimed)."""


async def download_capped(file: File, limit: int) -> bytes:
    """A file's bytes from the Bot API, streamed and counted: raises TooBig as soon as more
    than `limit` bytes arrive, whatever size Telegram's `file_size` claimed (or left out)."""
    path = file.file_path or ""
    if not path.startswith(("http://", "https://")):  # a local Bot API server: a file on disk
        data = bytes(await file.download_as_bytearray())
        if len(data) > limit:
            raise TooBig(len(data))
        return data
    received = bytearray()
    async with (
        httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_SECONDS) as client,
        client.stream("GET", path) as response,
    ):
        response.raise_for_status()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > limit:
                raise TooBig(len(received))
    return bytes(received)
