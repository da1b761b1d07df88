"""What handlers share, reached through a typed context instead of `bot_data[...]` look-ups."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import ParamSpec, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from retrieval.config import Settings
from retrieval.library import Library
from retrieval.models import ParsedReport

MEMORY_SECONDS = 15 * 60  # how long a chat's last question is remembered for follow-ups
MEMORY_CHATS = 10_000
PENDING_SECONDS = 30 * 60  # how long an upload preview waits for its confirmation
LIST_WORDS_KEPT = 1_000  # filter words too long for a page button, remembered for its presses
# Threads answering questions. Answering is mostly Python, so it holds the GIL: two threads
# keep a core busy while one waits on SQLite or numpy; more only fight over the GIL with the
# event loop (benchmarks/botload.py at 1M passages: 2 → 87, 6 (asyncio's default) → 76
# answers/s). Admin work (reindex, uploads) runs on asyncio's default threads, not here, so
# questions are answered throughout a reindex.
ANSWER_THREADS = 2

P = ParamSpec("P")
R = TypeVar("R")


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit: say so, once per window
    DROP = "drop"  # over the limit and already told: stay silent


class UserLimiter:
    """At most `per_minute` questions per user and chat in any 60 s window (spam in groups).
    Over the limit, the first message of the window gets one notice and the rest are dropped
    silently: a reply to every extra message would itself flood the chat."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._times: OrderedDict[tuple[int, int], deque[float]] = OrderedDict()
        self._told: dict[tuple[int, int], float] = {}

    def check(self, chat_id: int, user_id: int, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        key = (chat_id, user_id)
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque()
            while len(self._times) > self.max_keys:  # bounded memory under a flood of senders
                old, _ = self._times.popitem(last=False)
                self._told.pop(old, None)
        self._times.move_to_end(key)
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            return Verdict.ALLOW
        told = self._told.get(key)
        if told is not None and now - told < 60:
            return Verdict.DROP
        self._told[key] = now
        return Verdict.NOTIFY


class ChatMemory:
    """Each user's last question in each chat, for `那蓝山县呢？` follow-ups: per user per chat,
    so that in a group one member's follow-up never continues another's question. Bounded
    and short-lived."""

    def __init__(self) -> None:
        self._last: OrderedDict[tuple[int, int], tuple[float, str]] = OrderedDict()

    def remember(self, chat_id: int, user_id: int, question: str) -> None:
        key = (chat_id, user_id)
        self._last[key] = (time.monotonic(), question)
        self._last.move_to_end(key)
        while len(self._last) > MEMORY_CHATS:
            self._last.popitem(last=False)

    def forget(self, chat_id: int, user_id: int) -> None:
        self._last.pop((chat_id, user_id), None)

    def last(self, chat_id: int, user_id: int) -> str | None:
        entry = self._last.get((chat_id, user_id))
        if entry is None or time.monotonic() - entry[0] > MEMORY_SECONDS:
            return None
        return entry[1]


@dataclass
class PendingUpload:
    admin_id: int
    parsed: ParsedReport
    at: float = field(default_factory=time.monotonic)


class BotData:
    """The bot's shared objects; set once by `bot.app.build_application`."""

    library: Library
    settings: Settings

    def __init__(self) -> None:
        self.memory = ChatMemory()
        self.pending: dict[str, PendingUpload] = {}
        self.reindexing = False
        self.limiter = UserLimiter(20)
        self.answering = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="answer")
        self.list_words: OrderedDict[str, str] = OrderedDict()

    def remember_words(self, words: str) -> str:
        """Keep a report list's filter words that are too long for its page buttons' data;
        returns the short key the buttons carry instead (the same words, the same key)."""
        key = base64.urlsafe_b64encode(hashlib.blake2s(words.encode(), digest_size=6).digest()).decode()
        self.list_words[key] = words
        self.list_words.move_to_end(key)
        while len(self.list_words) > LIST_WORDS_KEPT:
            self.list_words.popitem(last=False)
        return key

    def add_pending(self, upload: PendingUpload) -> str:
        """Keep an upload awaiting confirmation; returns the short key for its buttons."""
        now = time.monotonic()
        for key in [k for k, p in self.pending.items() if now - p.at > PENDING_SECONDS]:
            del self.pending[key]
        key = secrets.token_urlsafe(6)
        self.pending[key] = upload
        return key


class Context(CallbackContext[ExtBot[None], dict, dict, BotData]):
    """CallbackContext with typed access to the library, settings and shared state."""

    @property
    def library(self) -> Library:
        return self.bot_data.library

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    async def off_loop(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`fn(*args)` on an answering thread, so that searching never stalls the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.bot_data.answering, lambda: fn(*args, **kwargs))

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.bot_data.settings.admin_ids


App = Application[ExtBot[None], Context, dict, dict, BotData, None]
