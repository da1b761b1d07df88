"""What handlers share, reached through a typed context instead of `bot_data[...]` look-ups."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.memory import ChatMemory, UserLimiter
from retrieval.config import Settings
from retrieval.library import Library
from retrieval.models import ParsedReport

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
