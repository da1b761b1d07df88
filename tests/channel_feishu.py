"""The Feishu channel under test, end to end: the fake platform (tests/fake_feishu.py), the
real FeishuBot on the real core and library, lark-oapi's API client pointed at the fake,
and events delivered over the SDK's long connection (`Harness`) or by HTTP to our
Starlette route, encrypted and signed (`HttpHarness`).

    async with Harness(library) as h:
        texts = await h.say("秀山县政务公开数据")
        more = await h.press("更多")

`say` returns the texts of the messages the bot sent (card Markdown, a file's name), []
when it stayed silent. `press` presses the first button whose label starts with the prefix
on the newest card that has one, and returns what the user then sees: the toast, the
pressed card's new text if it changed, and the messages that followed.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

from bot.core.conversation import Core
from bot.core.platform import Backoff
from bot.feishu import http
from bot.feishu.api import Api
from bot.feishu.bot import FeishuBot
from bot.feishu.longconn import LongConnection
from retrieval.library import Library
from tests.fake_feishu import FakeFeishu, Sent

JSONDict = dict[str, Any]


def _import_sdk() -> None:
    """lark_oapi's first import, in a worker thread with no running loop (it grabs one)."""
    import lark_oapi  # noqa: F401


class Harness:
    """Feishu over the long connection, for one test."""

    mode = "ws"

    def __init__(
        self,
        library: Library,
        fake: FakeFeishu | None = None,
        give_up_after: float = 600.0,
        admins: frozenset[str] = frozenset(),
        max_upload_mb: float | None = None,
    ) -> None:
        self.library = library
        self.settings = library.settings
        if max_upload_mb is not None:
            self.settings = library.settings.model_copy(update={"max_upload_mb": max_upload_mb})
        self.admins = frozenset(f"ou_{a}" for a in admins)  # the fake's users' open_ids
        self.give_up_after = give_up_after
        self.fake = fake or FakeFeishu()
        self.user = "u1"
        self.last_answer: JSONDict | None = None
        self.bot: FeishuBot
        self.connection: LongConnection | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    async def __aenter__(self) -> Harness:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    def start(self) -> None:
        _import_sdk()
        self.fake.start()
        api = Api(self.fake.app_id, self.fake.app_secret, self.fake.base_url, timeout=5, retry_seconds=5)
        self.bot = FeishuBot(Core(self.library, settings=self.settings), api, self.admins)
        self.bot.start()
        if self.mode == "ws":
            self.connection = LongConnection(
                self.bot,
                self.fake.app_id,
                self.fake.app_secret,
                self.fake.base_url,
                give_up_after=self.give_up_after,
                backoff=Backoff(first=0.1, cap=0.5),
            ).start()
            self.fake.wait_connected()
        else:
            self._serve_http()

    def _serve_http(self) -> None:
        asgi = http.app(self.bot, "feishu/events", self.fake.encrypt_key, self.fake.verification_token, 300)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/feishu/events"
        server = self._server = uvicorn.Server(
            uvicorn.Config(asgi, log_level="warning", access_log=False, lifespan="off")
        )
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self) -> None:
        if self.connection is not None:
            self.connection.stop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        self.bot.close()
        self.fake.stop()

    # --- the common interface ------------------------------------------------------------------

    def deliver(self, payload: JSONDict) -> JSONDict | None:
        """Deliver an event as the platform does in this mode; the bot's answer to it."""
        return self.fake.push(payload)

    async def say(
        self, text: str, user: str = "u1", group: bool = False, mentioned: bool = True
    ) -> list[str]:
        return await asyncio.to_thread(self._say, text, user, group, mentioned)

    def _say(self, text: str, user: str, group: bool, mentioned: bool) -> list[str]:
        self.user = user
        return self.exchange(self.fake.message_event(text, user, group, mentioned))

    async def send_file(self, name: str, data: bytes, user: str = "u1", group: bool = False) -> list[str]:
        """A user sends a file (kept by the fake for the bot to download); the texts sent back."""
        self.user = user
        return await asyncio.to_thread(self.exchange, self.fake.file_event(name, data, user, group))

    def exchange(self, payload: JSONDict) -> list[str]:
        """Deliver an event, wait until the bot is done, and return the texts it sent."""
        mark = self.fake.mark()
        self.last_answer = self.deliver(payload)
        assert self.bot.drain(15), "the bot did not finish"
        return [m.text for m in self.fake.sent_since(mark)]

    async def press(self, action_label_prefix: str, user: str | None = None) -> list[str]:
        return await asyncio.to_thread(self._press, action_label_prefix, user or self.user)

    def button(self, prefix: str) -> tuple[Sent, JSONDict]:
        """The newest card with a button labelled `prefix…`, and that button's value."""
        for sent in reversed(self.fake.messages()):
            for label, value in sent.buttons:
                if label.startswith(prefix):
                    return sent, value
        raise LookupError(f"no button {prefix!r}")

    def _press(self, prefix: str, user: str) -> list[str]:
        sent, value = self.button(prefix)
        before = (sent.text, sent.updates)
        mark = self.fake.mark()
        answer = self.deliver(self.fake.press_event(sent, value, user))
        self.fake.apply_callback(sent, answer)
        self.last_answer = answer
        assert self.bot.drain(15), "the bot did not finish"
        out = []
        toast = (answer or {}).get("toast") or {}
        if toast.get("content"):
            out.append(toast["content"])
        if sent.updates != before[1] and sent.text != before[0]:
            out.append(sent.text)
        return out + [m.text for m in self.fake.sent_since(mark)]


class HttpHarness(Harness):
    """Feishu by HTTP events: encrypted, signed, to the bot's Starlette route."""

    mode = "http"

    def deliver(self, payload: JSONDict) -> JSONDict | None:
        response = self.fake.post_event(self.url, payload)
        response.raise_for_status()
        answer = response.json()
        return None if answer == {"msg": "success"} else answer
