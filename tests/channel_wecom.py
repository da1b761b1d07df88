"""The WeCom channel for the suite over every channel: the real bot over its long connection
(on `websockets`) against FakeWeCom on 127.0.0.1 (`Harness`), and its HTTP callback server
called by FakeCallbackPlatform (`CallbackHarness`)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from bot.core.conversation import Core
from bot.core.platform import Backoff
from bot.wecom.app import WeComBot
from bot.wecom.callback import create_app
from retrieval.config import Settings
from retrieval.library import Library
from tests.fake_wecom import FakeCallbackPlatform, FakeWeCom, serve_app

WAIT = 5.0  # seconds a delivery may take to reach the bot, or the bot to subscribe
TOKEN = "tok3n"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def wecom_settings(library: Library, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "data_dir": Path(library.settings.data_dir),
        "wecom_bot_id": "aibot-test",
        "wecom_secret": "s3cret-test",
        "wecom_ws_url": url,
        **overrides,
    }
    return Settings(**values)


class Harness:
    """`async with Harness(library) as h: await h.say("问题")` → the texts the chat got."""

    def __init__(
        self,
        library: Library,
        fake: FakeWeCom | None = None,
        admins: frozenset[str] = frozenset(),
        **settings: Any,
    ) -> None:
        self.library = library
        self.fake = fake or FakeWeCom()
        self._settings = {"wecom_admin_ids": admins, **settings}
        self._last: tuple[str, bool] = ("u1", False)
        self.bot: WeComBot | None = None
        self._run: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Harness:
        if not self.fake.url:
            await self.fake.start()
        settings = wecom_settings(self.library, self.fake.url, **self._settings)
        self.bot = WeComBot(Core(self.library, settings=settings), settings)
        self.bot.connection.backoff = Backoff(first=0.05, cap=0.2)
        self._run = asyncio.create_task(self.bot.run())
        await asyncio.wait_for(self.bot.connection.ready.wait(), WAIT)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.bot is not None and self._run is not None
        await self.bot.connection.stop()
        self._run.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._run
        await self.fake.stop()

    async def settle(self, before: int) -> None:
        """Wait until the bot received what was pushed after `before` frames, and answered it."""
        assert self.bot is not None
        conn = self.bot.connection
        async with asyncio.timeout(WAIT):
            while conn.received <= before:
                await asyncio.sleep(0.005)
        await conn.idle()

    async def _texts(self, push: Any) -> list[str]:
        assert self.bot is not None
        before, start = self.bot.connection.received, len(self.fake.sent)
        frame = await push
        if frame is None:
            return []
        await self.settle(before)
        return [s.text for s in self.fake.sent[start:]]

    async def say(
        self, text: str, user: str = "u1", group: bool = False, mentioned: bool = True
    ) -> list[str]:
        self._last = (user, group)
        return await self._texts(self.fake.say(user, text, group=group, mentioned=mentioned))

    async def send_file(self, name: str, data: bytes, user: str = "u1", group: bool = False) -> list[str]:
        """A user sends a file (served encrypted by the fake); the texts the chat got."""
        self._last = (user, group)
        return await self._texts(self.fake.send_file(user, name, data, group=group))

    async def press(self, action_label_prefix: str) -> list[str]:
        user, group = self._last
        key, task_id = self.fake.card_with(action_label_prefix)
        return await self._texts(self.fake.press(user, key, task_id, group=group))


class CallbackHarness:
    """`async with CallbackHarness(library) as h: await h.say("问题")` → what the chat showed:
    the passive reply's stream and card, then what came to the response_url."""

    def __init__(self, library: Library, admins: frozenset[str] = frozenset(), **settings: Any) -> None:
        self.library = library
        self._settings = {"wecom_admin_ids": admins, **settings}
        self._last: tuple[str, bool] = ("u1", False)
        self.platform = FakeCallbackPlatform(TOKEN, AES_KEY)

    async def __aenter__(self) -> CallbackHarness:
        await self.platform.__aenter__()
        settings = wecom_settings(
            self.library,
            "ws://unused",
            wecom_token=TOKEN,
            wecom_encoding_aes_key=AES_KEY,
            wecom_api_base_url=self.platform.base_url,
            **self._settings,
        )
        self.app = create_app(Core(self.library, settings=settings), settings)
        self.server, self.task, base = await serve_app(self.app)
        self.url = f"{base}/wecom"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task
        await self.app.state.bot.close()
        await self.platform.__aexit__()

    async def deliver(self, body: dict[str, Any]) -> list[str]:
        start = len(self.platform.shown)
        response = await self.platform.post(self.url, body)
        assert response.status_code == 200, response.status_code
        await self.app.state.bot.idle()
        return [s.text for s in self.platform.shown[start:]]

    async def say(
        self, text: str, user: str = "u1", group: bool = False, mentioned: bool = True
    ) -> list[str]:
        self._last = (user, group)
        if group and not mentioned:  # WeCom calls back only for a group message that @s the bot
            return []
        return await self.deliver(self.platform.message(user, text, group=group))

    async def send_file(self, name: str, data: bytes, user: str = "u1", group: bool = False) -> list[str]:
        self._last = (user, group)
        return await self.deliver(self.platform.file(user, name, data, group=group))

    async def press(self, action_label_prefix: str) -> list[str]:
        user, group = self._last
        key, task_id = self.platform.card_with(action_label_prefix)
        return await self.deliver(self.platform.press(user, key, task_id, group=group))
