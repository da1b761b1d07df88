"""Stream mode: the vendor SDK (dingtalk-stream) holds a WebSocket to DingTalk, so the robot
needs no public address.

The SDK opens a connection by POSTing the client id and secret to
`https://api.dingtalk.com/v1.0/gateway/connections/open` (a URL fixed when the SDK is
imported: `DingTalkStreamClient.OPEN_CONNECTION_API`, read as a class attribute of the base
class, so a subclass cannot override it) and connects to the `endpoint` it answers with, with
its `ticket`. Its own `start` loop blocks the event loop while it opens (requests, no timeout)
and waits a fixed 10 s after a drop. `StreamClient` therefore overrides exactly those two
methods: `open_connection` (the URL from REPORTBOT_DINGTALK_API_BASE_URL, a timeout, the same
request body) and `start` (opening off the loop, reconnecting with `Backoff`). Everything else
is the SDK's: frame parsing, routing by topic, the acks (a SYSTEM ping is answered with its
own data, a `disconnect` closes the socket and the loop reconnects), `ChatbotMessage`.

`Chatbot` is the SDK's chatbot callback handler (topic `/v1.0/im/bot/messages/get`) and
`CardPresses` its handler for card callbacks (`/v1.0/card/instances/callback`): each hands the
delivery to the channel and returns at once, so the ack goes back within DingTalk's deadline
and the answer follows.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import quote_plus

import requests
import websockets
from dingtalk_stream import (
    AckMessage,
    CallbackHandler,
    CallbackMessage,
    ChatbotHandler,
    ChatbotMessage,
    Credential,
)
from dingtalk_stream import DingTalkStreamClient as _SdkClient
from dingtalk_stream.version import VERSION_STRING

from bot.core.platform import Backoff
from bot.dingtalk.channel import DingTalk

log = logging.getLogger(__name__)

OPEN_PATH = "/v1.0/gateway/connections/open"
OPEN_TIMEOUT = 15.0  # seconds for the gateway to answer, and for the WebSocket to open
HELD = 30.0  # a connection that lasted this long resets the backoff


class Chatbot(ChatbotHandler):
    """The SDK's chatbot handler: acknowledge at once, answer in the background."""

    def __init__(self, channel: DingTalk) -> None:
        super().__init__()
        self.channel = channel
        self.logger = log  # not the SDK's own INFO logger with a handler of its own

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:  # type: ignore[override]
        self.channel.spawn(callback.data)
        return AckMessage.STATUS_OK, "OK"


class CardPresses(CallbackHandler):
    """The SDK's handler for interactive cards' callbacks (topic `/v1.0/card/instances/callback`):
    acknowledge at once (the card stays as it is), answer the press in the background."""

    def __init__(self, channel: DingTalk) -> None:
        super().__init__()
        self.channel = channel
        self.logger = log

    async def process(self, callback: CallbackMessage) -> tuple[int, dict[str, str]]:  # type: ignore[override]
        data = callback.data if isinstance(callback.data, dict) else {}
        self.channel.spawn_press(data, str(callback.headers.message_id or ""))
        return AckMessage.STATUS_OK, {}


class StreamClient(_SdkClient):
    """The SDK's stream client with a configurable gateway, a timeout, and backoff."""

    def __init__(
        self,
        client_id: str,
        secret: str,
        api_base_url: str,
        backoff: Backoff | None = None,
        held: float = HELD,
    ) -> None:
        super().__init__(Credential(client_id, secret), logger=log)
        self.open_url = api_base_url.rstrip("/") + OPEN_PATH
        self.backoff = backoff or Backoff()
        self.held = held
        self.connections = 0  # WebSocket connections made so far
        self._frames: set[asyncio.Task[None]] = set()

    def open_connection(self) -> dict[str, Any] | None:
        """The endpoint and ticket for a new connection (blocking: call it off the loop), or
        None when the gateway refuses or cannot be reached."""
        topics = [{"type": "CALLBACK", "topic": topic} for topic in self.callback_handler_map]
        if self._is_event_required:
            topics.insert(0, {"type": "EVENT", "topic": "*"})
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": topics,
            "ua": f"dingtalk-sdk-python/v{VERSION_STRING}-union",
            "localIp": "",
        }
        try:
            response = requests.post(
                self.open_url, json=body, headers={"Accept": "application/json"}, timeout=OPEN_TIMEOUT
            )
            response.raise_for_status()
            connection = response.json()
        except (requests.RequestException, ValueError) as e:
            log.warning("the DingTalk gateway did not open a connection: %s", _reason(e))
            return None
        if not isinstance(connection, dict) or not connection.get("endpoint") or not connection.get("ticket"):
            log.warning("the DingTalk gateway's answer has no endpoint and ticket")
            return None
        return connection

    async def start(self) -> None:
        """Stay connected until cancelled: open, receive frames, and after a drop or a refusal
        wait a backoff delay and open again."""
        self.pre_start()
        loop = asyncio.get_running_loop()
        while True:
            connection = await asyncio.to_thread(self.open_connection)
            if connection is not None:
                opened = loop.time()
                await self._receive(
                    f"{connection['endpoint']}?ticket={quote_plus(str(connection['ticket']))}"
                )
                if loop.time() - opened >= self.held:
                    self.backoff.reset()
            delay = self.backoff.next_delay()
            log.info("reconnecting to DingTalk in %.1f s", delay)
            await asyncio.sleep(delay)

    async def _receive(self, uri: str) -> None:
        try:
            async with websockets.connect(uri, open_timeout=OPEN_TIMEOUT) as websocket:
                self.websocket = websocket
                self.connections += 1
                log.info("connected to DingTalk (connection %d)", self.connections)
                async for raw in websocket:
                    self._dispatch(raw)
            log.info("DingTalk closed the connection")
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as e:
            log.warning("the DingTalk connection dropped: %s", _reason(e))

    def _dispatch(self, raw: str | bytes) -> None:
        """Route one frame through the SDK (which sends its ack) in a task of its own."""
        try:
            frame = json.loads(raw)
        except ValueError:
            log.warning("a frame that is not JSON was ignored")
            return
        if not isinstance(frame, dict):
            log.warning("a frame that is not a JSON object was ignored")
            return
        task = asyncio.get_running_loop().create_task(self.background_task(frame))
        self._frames.add(task)
        task.add_done_callback(self._frames.discard)


def stream_client(
    client_id: str, secret: str, api_base_url: str, channel: DingTalk, **kwargs: Any
) -> StreamClient:
    """A stream client with the chatbot handler registered for robot messages, and the card
    handler for card presses."""
    client = StreamClient(client_id, secret, api_base_url, **kwargs)
    client.register_callback_handler(ChatbotMessage.TOPIC, Chatbot(channel))
    client.register_callback_handler(CallbackHandler.TOPIC_CARD_CALLBACK, CardPresses(channel))
    return client


def _reason(e: BaseException) -> str:
    """An exception as one line without URLs (a WebSocket URL carries the ticket)."""
    status = getattr(getattr(e, "response", None), "status_code", None)
    return type(e).__name__ + (f" (HTTP {status})" if status is not None else "")
