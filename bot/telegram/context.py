"""What handlers share, reached through a typed context instead of `bot_data[...]` look-ups."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.conversation import Core
from retrieval.config import Settings
from retrieval.library import Library

# Threads answering questions. Answering is mostly Python and holds the GIL, so a second
# thread adds no core: it only makes the answering threads and the event loop hand the GIL
# to each other. benchmarks/botload.py at 1M passages, six runs of 1,000 answers each
# (2026-12-07): 1 thread 94–117 answers/s (9.6 ms of CPU an answer), 2 threads 95–104
# (11 ms), 3 threads 85. The cost: a slow question (a first ranking at 1M, ~0.3 s) holds the
# ones behind it for that long. Admin work (reindex, uploads) runs on asyncio's default
# threads, not here, so questions are answered throughout a reindex.
ANSWER_THREADS = 1

P = ParamSpec("P")
R = TypeVar("R")


class BotData:
    """The bot's shared objects (the conversation core among them); set once by
    `bot.telegram.app.build_application`."""

    library: Library
    settings: Settings

    core: Core

    def __init__(self) -> None:
        self.answering = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="answer")


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
