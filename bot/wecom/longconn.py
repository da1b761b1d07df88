"""The 智能机器人's long connection: a WebSocket to WeCom speaking the protocol of WeCom's own
SDK (wecom-aibot-python-sdk): subscribe with bot id and secret, ping every half minute, receive
`aibot_msg_callback` / `aibot_event_callback` frames, and send frames that WeCom acknowledges
by echoing their req_id with an errcode.

A thin client rather than the SDK (1.0.2): the SDK always hands its certifi TLS context to
`websockets.connect`, so it cannot reach a `ws://` URL (a local relay, a test's fake) nor a
政务 edition behind a private CA; it never reconnects after a clean close from the server (its
receive loop ends without an exception), stays half-open after a refused subscription, and
gives up after ten attempts. Here the whole loop reconnects with `Backoff` for as long as it
runs, and a refused secret stops it with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from bot.core.platform import Backoff

log = logging.getLogger(__name__)

SUBSCRIBE = "aibot_subscribe"
PING = "ping"
RESPOND = "aibot_respond_msg"
RESPOND_WELCOME = "aibot_respond_welcome_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"

Frame = dict[str, Any]


class RefusedError(RuntimeError):
    """WeCom answered a frame with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class AuthError(RefusedError):
    """The bot id or secret was refused: reconnecting would not help."""


class Replaced(Exception):
    """WeCom said another connection of this bot took over (`disconnected_event`)."""


def req_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000)}_{os.urandom(4).hex()}"


class LongConnection:
    """One bot's connection, reconnecting until `stop()`. `on_frame` gets every callback frame
    (in a task of its own, so a slow answer blocks nothing); `request` sends a frame and
    returns WeCom's acknowledgement."""

    def __init__(
        self,
        url: str,
        bot_id: str,
        secret: str,
        on_frame: Callable[[Frame], Awaitable[None]],
        heartbeat: float = 30.0,
        ack_timeout: float = 5.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.url, self.bot_id, self._secret = url, bot_id, secret
        self.on_frame = on_frame
        self.heartbeat, self.ack_timeout = heartbeat, ack_timeout
        self.backoff = backoff or Backoff(first=1.0, cap=30.0)
        self.ready = asyncio.Event()  # set while subscribed
        self.connections = 0  # subscriptions made so far
        self.received = 0  # callback frames received so far
        self._ws: ClientConnection | None = None
        self._pending: dict[str, asyncio.Future[Frame]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._missed = 0

    # --- running -------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect, subscribe and serve; after a drop wait `Backoff` and again, until `stop()`.
        Raises AuthError when the secret is refused, Replaced when another connection took over."""
        while not self._stopping:
            try:
                await self._session()
            except (AuthError, Replaced):
                raise
            except (OSError, websockets.WebSocketException, TimeoutError, RefusedError) as e:
                log.warning("WeCom connection lost: %s", type(e).__name__)
            finally:
                self.ready.clear()
                self._fail_pending(ConnectionError("connection lost"))
            if self._stopping:
                break
            delay = self.backoff.next_delay()
            log.info("reconnecting to WeCom in %.1f s", delay)
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        """Close the connection and end `run`, after the frames being handled are answered."""
        self._stopping = True
        await self.idle()
        if self._ws is not None:
            await self._ws.close()

    async def idle(self) -> None:
        """Wait until every callback frame received so far is handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _session(self) -> None:
        ssl_context = ssl.create_default_context() if self.url.startswith("wss:") else None
        async with websockets.connect(
            self.url, ssl=ssl_context, ping_interval=None, close_timeout=5, open_timeout=10
        ) as ws:
            self._ws = ws
            reader = asyncio.create_task(self._read(ws))
            beat: asyncio.Task[None] | None = None
            try:
                try:
                    await self._request(SUBSCRIBE, {"bot_id": self.bot_id, "secret": self._secret})
                except RefusedError as e:
                    raise AuthError(e.errcode, e.errmsg) from None
                self.connections += 1
                self._missed = 0
                self.backoff.reset()
                self.ready.set()
                log.info("WeCom long connection subscribed")
                beat = asyncio.create_task(self._beat(ws))
                await reader  # ends when the connection closes
            finally:
                self._ws = None
                for task in (reader, beat):
                    if task is not None:
                        task.cancel()

    async def _read(self, ws: ClientConnection) -> None:
        try:
            await self._read_frames(ws)
        finally:  # nothing more will be acknowledged on this connection
            self._fail_pending(ConnectionError("connection closed"))

    async def _read_frames(self, ws: ClientConnection) -> None:
        async for raw in ws:
            try:
                frame = json.loads(raw)
            except ValueError:
                log.warning("WeCom sent a frame that is not JSON")
                continue
            if not isinstance(frame, dict):
                continue
            cmd = frame.get("cmd")
            if cmd in (MSG_CALLBACK, EVENT_CALLBACK):
                self.received += 1
                event = (frame.get("body") or {}).get("event") or {}
                if isinstance(event, dict) and event.get("eventtype") == "disconnected_event":
                    raise Replaced("another connection of this bot took over")
                task = asyncio.create_task(self._handle(frame))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                continue
            rid = str((frame.get("headers") or {}).get("req_id", ""))
            waiting = self._pending.pop(rid, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(frame)
            elif rid.startswith(PING):
                self._missed = 0

    async def _handle(self, frame: Frame) -> None:
        try:
            await self.on_frame(frame)
        except Exception:
            log.exception("handling a WeCom callback failed")

    async def _beat(self, ws: ClientConnection) -> None:
        """Ping every `heartbeat` seconds; two pings unanswered mean a dead connection."""
        while True:
            await asyncio.sleep(self.heartbeat)
            if self._missed >= 2:
                log.warning("WeCom did not answer two pings; reconnecting")
                await ws.close()
                return
            self._missed += 1
            with contextlib.suppress(websockets.WebSocketException, OSError):
                await ws.send(json.dumps({"cmd": PING, "headers": {"req_id": req_id(PING)}}))

    # --- sending -------------------------------------------------------------------------

    async def request(self, cmd: str, body: Frame, rid: str | None = None) -> Frame:
        """Send a frame (`rid`: the callback's req_id it answers) and return WeCom's ack.
        Frames with one req_id go one at a time, as acks name only the req_id."""
        if not self.ready.is_set():
            raise ConnectionError("not connected to WeCom")
        return await self._request(cmd, body, rid)

    async def _request(self, cmd: str, body: Frame, rid: str | None = None) -> Frame:
        rid = rid or req_id(cmd)
        lock = self._locks.setdefault(rid, asyncio.Lock())
        try:
            async with lock:
                ws = self._ws
                if ws is None:
                    raise ConnectionError("not connected to WeCom")
                waiting: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
                self._pending[rid] = waiting
                try:
                    await ws.send(json.dumps({"cmd": cmd, "headers": {"req_id": rid}, "body": body}))
                    ack = await asyncio.wait_for(waiting, self.ack_timeout)
                finally:
                    self._pending.pop(rid, None)
        finally:
            if not lock.locked() and self._locks.get(rid) is lock:
                del self._locks[rid]
        if ack.get("errcode", 0) != 0:
            raise RefusedError(int(ack.get("errcode", -1)), str(ack.get("errmsg", "")))
        return ack

    def _fail_pending(self, error: Exception) -> None:
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(error)
        self._pending.clear()
