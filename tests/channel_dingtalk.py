"""The DingTalk channel end to end, for the suite over every channel: the real robot (the SDK's
stream client, or the HTTP mode's Starlette app under uvicorn) against tests/fake_dingtalk.py.

    async with Harness(library) as h:          # Stream mode; Harness(library, http=True) for HTTP
        replies = await h.say("秀山县政务公开数据")
        replies = await h.press("全文")

Stream mode sends buttons as interactive cards (the fake's card template), pressed by a card
callback; `cards=False`, or the HTTP mode, sends ActionCards with dtmd links, pressed by sending
what the link sends. Both modes have the AppKey, so files go through the OpenAPI
(`files=False`: no AppKey).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import uvicorn

from bot.core.conversation import Core
from bot.core.platform import Backoff
from bot.dingtalk.cards import text_of
from bot.dingtalk.channel import DingTalk
from bot.dingtalk.outbound import Hosts
from bot.dingtalk.presses import content_of
from bot.dingtalk.stream import StreamClient, stream_client
from bot.dingtalk.webhook import create_app
from retrieval.config import Settings
from retrieval.library import Library
from tests.fake_dingtalk import CARD_TEMPLATE, Card, FakeDingTalk, Sent

TIMEOUT = 10.0
PATH = "dingtalk"


def fake_hosts(fake: FakeDingTalk) -> Hosts:
    """Where the robot may post in tests: the fake, named as a relay in the settings would be
    (its origin, and its loopback address allowed); the defaults stay DingTalk's own hosts."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        dingtalk_reply_origins=fake.base_url,  # type: ignore[arg-type]
        dingtalk_private_allow="127.0.0.1",  # type: ignore[arg-type]
    )
    return Hosts(settings.dingtalk_reply_origins, settings.dingtalk_private_allow)


def shown(payload: dict[str, Any]) -> str:
    """What a message the robot sent shows: a card's Markdown, a file's name, a message's text."""
    kind = payload.get("msgtype")
    if kind == "card":
        return str(payload["card"].markdown)
    if kind == "sampleFile":
        return str(payload["sampleFile"]["fileName"])
    return text_of(payload)


class Harness:
    """A DingTalk robot over `library`, talking to a fake DingTalk."""

    def __init__(
        self,
        library: Library,
        http: bool = False,
        app_options: dict[str, Any] | None = None,
        cards: bool | None = None,
        files: bool = True,
        max_upload_mb: float | None = None,
        **channel_options: Any,
    ) -> None:
        self.library, self.http = library, http
        self.cards = (not http) if cards is None else cards
        self.files = files
        self.settings = library.settings
        if max_upload_mb is not None:
            self.settings = library.settings.model_copy(update={"max_upload_mb": max_upload_mb})
        self.app_options = app_options or {}
        self.channel_options = channel_options
        self.fake = FakeDingTalk()
        self.client: StreamClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._server: uvicorn.Server | None = None
        self.url = ""
        self._last: tuple[str, bool] = ("u1", False)

    async def __aenter__(self) -> Harness:
        await self.fake.__aenter__()
        options: dict[str, Any] = {"hosts": fake_hosts(self.fake)}
        if self.files or self.cards:
            options.update(client_id=self.fake.client_id, api_base=self.fake.base_url)
            options.update(oapi_base=self.fake.base_url)
        if self.cards:
            options["card_template"] = CARD_TEMPLATE
        options.update(self.channel_options)
        core = Core(self.library, settings=self.settings)
        self.channel = DingTalk(core, self.fake.client_secret, retry_delay=0.01, **options)
        if self.http:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/{PATH}"
            app = create_app(self.channel, self.fake.client_secret, PATH, **self.app_options)
            self._server = uvicorn.Server(
                uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
            )
            self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
            async with asyncio.timeout(TIMEOUT):
                while not self._server.started:
                    await asyncio.sleep(0.01)
        else:
            self.client = stream_client(
                self.fake.client_id,
                self.fake.client_secret,
                self.fake.base_url,
                self.channel,
                backoff=Backoff(0.01, 0.05),
            )
            self._task = asyncio.create_task(self.client.start())
            await self.fake.wait_connected()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            if self._server is None:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, TIMEOUT)
        await self.channel.close()
        await self.fake.__aexit__(*exc)

    async def deliver(self, message: dict[str, Any]) -> int:
        """Deliver a robot message as DingTalk would (acked / answered 200) and wait until the
        robot is done with it; the HTTP status (200 for an ack in Stream mode)."""
        if self.http:
            status = (await self.fake.post(self.url, message)).status_code
        else:
            frame = await self.fake.deliver(message)
            ack = await self.fake.wait_ack(frame)
            status = ack["code"]
        await asyncio.wait_for(self.channel.idle(), TIMEOUT)
        return status

    async def say(
        self, text: str, user: str = "u1", group: bool = False, mentioned: bool = True
    ) -> list[str]:
        """Send a text message; the texts of the robot's replies ([] when it stays silent)."""
        self._last = (user, group)
        start = len(self.fake.sent)
        await self.deliver(self.fake.robot_message(text, user=user, group=group, mentioned=mentioned))
        return [shown(s.payload) for s in self.fake.sent_since(start)]

    async def send_file(self, name: str, data: bytes, user: str = "u1", group: bool = False) -> list[str]:
        """A user sends a file (kept by the fake for the robot to download); the texts sent back."""
        self._last = (user, group)
        start = len(self.fake.sent)
        code = self.fake.add_file(data)
        await self.deliver(
            self.fake.robot_message(code, user=user, group=group, msgtype="file", file_name=name)
        )
        return [shown(s.payload) for s in self.fake.sent_since(start)]

    async def press(self, action_label_prefix: str, user: str | None = None) -> list[str]:
        """Press the first button whose label starts with the prefix on the last reply that has
        one: a card's by a card callback, an ActionCard's by sending what its dtmd link sends,
        as the DingTalk client does."""
        start = len(self.fake.sent)
        card = self.card_with(action_label_prefix)
        if card is None:
            content = self.button(action_label_prefix)
            last_user, group = self._last
            return await self.say(content, user=user or last_user, group=group, mentioned=False)
        frame = await self.fake.press_card(card, action_label_prefix, user=user)
        ack = await self.fake.wait_ack(frame)
        assert ack["code"] == 200, ack
        await asyncio.wait_for(self.channel.idle(), TIMEOUT)
        return [shown(s.payload) for s in self.fake.sent_since(start)]

    def card_with(self, action_label_prefix: str) -> Card | None:
        """The last card with such a button, when no later ActionCard has one."""
        for s in reversed(self.fake.sent_since(0)):
            if s.payload.get("msgtype") == "card":
                card: Card = s.payload["card"]
                if any(t.startswith(action_label_prefix) for t, _ in card.buttons):
                    return card
            buttons = (s.payload.get("actionCard") or {}).get("btns", [])
            if any(b["title"].startswith(action_label_prefix) for b in buttons):
                return None
        return None

    def files_sent(self, start: int = 0) -> list[tuple[str, bytes]]:
        """The files (name, bytes) the robot sent since `start`, as the users got them."""
        out = []
        for s in self.fake.sent_since(start):
            if s.payload.get("msgtype") in ("sampleFile", "sampleImageMsg"):
                param = s.payload[s.payload["msgtype"]]
                media = self.fake.media[param.get("mediaId") or param["photoURL"]]
                out.append((media.name, media.data))
        return out

    def button(self, action_label_prefix: str, sent: list[Sent] | None = None) -> str:
        """The message the first button starting with the prefix (on the last reply with one) sends."""
        for s in reversed(sent if sent is not None else self.fake.sent_since(0)):
            for btn in (s.payload.get("actionCard") or {}).get("btns", []):
                if btn["title"].startswith(action_label_prefix):
                    content = content_of(btn["actionURL"])
                    assert content is not None, btn
                    return content
        raise AssertionError(f"no button starting with {action_label_prefix!r}")
