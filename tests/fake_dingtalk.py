"""A fake DingTalk for end-to-end tests, on 127.0.0.1: the Stream gateway
(`POST /v1.0/gateway/connections/open`), the stream's WebSocket, the sessionWebhook that robot
replies are posted to, and the client side of the outgoing-robot HTTP mode.

The robot under test keeps its real stack (the dingtalk-stream SDK's frames and acks, websockets,
httpx); only the far end is replaced. The fake refuses what DingTalk refuses: a wrong client id
or secret at the gateway (401), a WebSocket without a fresh ticket (401), a sessionWebhook
session it never issued or that has expired, a message over 20,000 bytes (errcode 460101), a
malformed message (40035), more than 20 messages a minute to one chat (130101); and it fails as
DingTalk fails when told to: 5xx from the gateway or the webhook, a dropped connection, a
`disconnect` frame.

    async with FakeDingTalk() as dt:
        client = stream_client(dt.client_id, dt.client_secret, dt.base_url, channel)
        ...  # run client.start() in a task
        await dt.wait_connected()
        msg_id = await dt.deliver(dt.robot_message("秀山县政务公开数据"))
        await dt.wait_ack(msg_id)

The HTTP server runs in a daemon thread, the WebSocket server on the test's event loop; state
sits behind one lock.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

JSONDict = dict[str, Any]

CHATBOT_TOPIC = "/v1.0/im/bot/messages/get"
MAX_TEXT_BYTES = 20_000  # DingTalk: "message too long, exceed 20000 bytes"
PER_CHAT_PER_MINUTE = 20
SESSION_SECONDS = 90 * 60  # a sessionWebhook lives about an hour and a half
MSG_TYPES = ("text", "markdown", "actionCard", "link", "feedCard")
BOT_ID = "$:LWCP_v1:$fakebot"


@dataclass(frozen=True)
class Sent:
    """A message a robot posted to a sessionWebhook and DingTalk accepted."""

    conversation: str
    payload: JSONDict


class FakeDingTalk:
    """The fake platform; an async context manager."""

    def __init__(
        self, client_id: str = "dingfakeappkey0001", client_secret: str = "fake-app-secret-0123456789abcdef"
    ):
        self.client_id, self.client_secret = client_id, client_secret
        self.lock = threading.Lock()
        self.sent: list[Sent] = []
        self.refused: list[tuple[int, JSONDict]] = []  # (errcode, payload) the webhook refused
        self.gateway_failures = 0  # the next this many gateway calls answer 503
        self.webhook_failures = 0  # the next this many webhook posts answer 500
        self.gateway_calls = 0
        self.connections = 0
        self.acks: dict[str, JSONDict] = {}
        self._tickets: set[str] = set()
        self._sessions: dict[str, tuple[str, float]] = {}  # token -> (conversation, expires)
        self._sends: dict[str, list[float]] = {}  # conversation -> send times
        self._socket: ServerConnection | None = None
        self._ids = itertools.count(1)
        self._http: ThreadingHTTPServer | None = None
        self._ws: Server | None = None

    # --- lifetime ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDingTalk:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size)
                status, body = fake._http_post(self.path, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, args=(0.02,), daemon=True).start()
        self._ws = await serve(self._connection, "127.0.0.1", 0, process_request=self._check_ticket)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            self._ws.close()
            await self._ws.wait_closed()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    @property
    def base_url(self) -> str:
        assert self._http is not None
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def ws_url(self) -> str:
        assert self._ws is not None
        port = next(iter(self._ws.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/connect"

    # --- HTTP: the gateway and the sessionWebhook -----------------------------------------------

    def _http_post(self, path: str, raw: bytes) -> tuple[int, JSONDict]:
        url = urllib.parse.urlsplit(path)
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"code": "InvalidParameter", "message": "body is not JSON"}
        if url.path == "/v1.0/gateway/connections/open":
            return self._open(body)
        if url.path == "/robot/sendBySession":
            token = urllib.parse.parse_qs(url.query).get("session", [""])[0]
            return self._webhook(token, body)
        return 404, {"code": "NotFound", "message": url.path}

    def _open(self, body: Any) -> tuple[int, JSONDict]:
        with self.lock:
            self.gateway_calls += 1
            if self.gateway_failures > 0:
                self.gateway_failures -= 1
                return 503, {"code": "ServiceUnavailable", "message": "try again"}
            if not isinstance(body, dict) or (body.get("clientId"), body.get("clientSecret")) != (
                self.client_id,
                self.client_secret,
            ):
                return 401, {"code": "InvalidAuthentication", "message": "wrong client id or secret"}
            topics = body.get("subscriptions") or []
            if {"type": "CALLBACK", "topic": CHATBOT_TOPIC} not in topics:
                return 400, {"code": "InvalidParameter", "message": "no robot message subscription"}
            ticket = secrets.token_urlsafe(16)
            self._tickets.add(ticket)
        return 200, {"endpoint": self.ws_url, "ticket": ticket}

    def _webhook(self, token: str, payload: Any) -> tuple[int, JSONDict]:
        with self.lock:
            if self.webhook_failures > 0:
                self.webhook_failures -= 1
                return 500, {"errcode": -1, "errmsg": "system busy"}
            session = self._sessions.get(token)
            if session is None or session[1] < time.time():
                return self._refuse(300001, "session is invalid or has expired", payload)
            conversation = session[0]
            problem = _malformed(payload)
            if problem:
                return self._refuse(40035, problem, payload)
            if len(_text(payload).encode()) > MAX_TEXT_BYTES:
                return self._refuse(460101, f"message too long, exceed {MAX_TEXT_BYTES} bytes", payload)
            now = time.monotonic()
            times = [t for t in self._sends.get(conversation, []) if t > now - 60]
            if len(times) >= PER_CHAT_PER_MINUTE:
                return self._refuse(130101, "send too fast, exceed 20 times per minute", payload)
            self._sends[conversation] = [*times, now]
            self.sent.append(Sent(conversation, payload))
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _refuse(self, code: int, message: str, payload: Any) -> tuple[int, JSONDict]:
        self.refused.append((code, payload))
        return 200, {"errcode": code, "errmsg": message}

    # --- the stream ------------------------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query).get("ticket", [""])[0]
        with self.lock:
            if ticket not in self._tickets:
                return Response(401, "Unauthorized", Headers(), b"bad ticket\n")
            self._tickets.discard(ticket)  # a ticket opens one connection
        return None

    async def _connection(self, ws: ServerConnection) -> None:
        with self.lock:
            self.connections += 1
            self._socket = ws
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = json.loads(raw)
                message_id = (frame.get("headers") or {}).get("messageId")
                if "code" in frame and message_id:
                    with self.lock:
                        self.acks[message_id] = frame

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until the robot has made `count` connections in all and one is open."""
        async with asyncio.timeout(timeout):
            while self.connections < count or self._socket is None or self._socket.state.name != "OPEN":
                await asyncio.sleep(0.01)

    async def _send_frame(self, frame: JSONDict) -> None:
        assert self._socket is not None, "the robot is not connected"
        await self._socket.send(json.dumps(frame))

    def _headers(self, topic: str, message_id: str) -> JSONDict:
        return {
            "appId": "fake-app",
            "connectionId": "fake-connection",
            "contentType": "application/json",
            "messageId": message_id,
            "time": str(int(time.time() * 1000)),
            "topic": topic,
        }

    async def deliver(self, message: JSONDict, frame_id: str | None = None) -> str:
        """Push a robot message down the stream (as a CALLBACK frame); its frame's id."""
        frame_id = frame_id or f"frame-{next(self._ids)}"
        await self._send_frame(
            {
                "specVersion": "1.0",
                "type": "CALLBACK",
                "headers": self._headers(CHATBOT_TOPIC, frame_id),
                "data": json.dumps(message, ensure_ascii=False),
            }
        )
        return frame_id

    async def wait_ack(self, frame_id: str, timeout: float = 5.0) -> JSONDict:
        async with asyncio.timeout(timeout):
            while True:
                with self.lock:
                    if frame_id in self.acks:
                        return self.acks[frame_id]
                await asyncio.sleep(0.005)

    async def ping(self) -> JSONDict:
        """A SYSTEM ping; its ack (which must echo the ping's data)."""
        frame_id = f"ping-{next(self._ids)}"
        await self._send_frame(
            {
                "specVersion": "1.0",
                "type": "SYSTEM",
                "headers": self._headers("ping", frame_id),
                "data": json.dumps({"opaque": frame_id}),
            }
        )
        return await self.wait_ack(frame_id)

    async def disconnect(self) -> None:
        """Ask the robot to reconnect, as DingTalk does before it closes a connection."""
        frame_id = f"disconnect-{next(self._ids)}"
        await self._send_frame(
            {
                "specVersion": "1.0",
                "type": "SYSTEM",
                "headers": self._headers("disconnect", frame_id),
                "data": "{}",
            }
        )

    async def drop(self) -> None:
        """Cut the connection without a close frame (a network failure)."""
        with self.lock:
            ws, self._socket = self._socket, None
        assert ws is not None
        ws.transport.abort()

    # --- robot messages ----------------------------------------------------------------------------

    def robot_message(
        self,
        text: str,
        user: str = "u1",
        group: bool = False,
        mentioned: bool = True,
        msg_id: str | None = None,
        msgtype: str = "text",
        expires_in: float = SESSION_SECONDS,
    ) -> JSONDict:
        """A robot message as DingTalk delivers it, with a fresh sessionWebhook for its chat."""
        conversation = "cidGroupFake001==" if group else f"cidPrivate-{user}=="
        token = secrets.token_hex(16)
        now = time.time()
        with self.lock:
            self._sessions[token] = (conversation, now + expires_in)
        message: JSONDict = {
            "conversationId": conversation,
            "atUsers": [{"dingtalkId": BOT_ID}] if group and mentioned else [],
            "chatbotCorpId": "dingfakecorp",
            "chatbotUserId": BOT_ID,
            "msgId": msg_id or f"msg{next(self._ids)}",
            "senderNick": user,
            "isAdmin": False,
            "senderStaffId": user,
            "sessionWebhookExpiredTime": int((now + expires_in) * 1000),
            "createAt": int(now * 1000),
            "senderCorpId": "dingfakecorp",
            "conversationType": "2" if group else "1",
            "senderId": f"$:LWCP_v1:${user}",
            "isInAtList": mentioned if group else True,
            "sessionWebhook": f"{self.base_url}/robot/sendBySession?session={token}",
            "robotCode": self.client_id,
            "msgtype": msgtype,
        }
        if group:
            message["conversationTitle"] = "法治办工作群"
        if msgtype == "text":
            message["text"] = {"content": text}
        elif msgtype == "picture":
            message["content"] = {"downloadCode": "fake-download-code", "pictureDownloadCode": "x"}
        else:
            message["content"] = {}
        return message

    async def post(
        self, url: str, message: JSONDict, timestamp: str | None = None, sign: str | None = None
    ) -> httpx.Response:
        """What DingTalk does in the outgoing-robot HTTP mode: POST the message to the robot's
        address, signed with the app secret (unless `timestamp` or `sign` say otherwise)."""
        timestamp = timestamp if timestamp is not None else str(int(time.time() * 1000))
        if sign is None:
            key = self.client_secret.encode()
            sign = base64.b64encode(
                hmac.new(key, f"{timestamp}\n{self.client_secret}".encode(), hashlib.sha256).digest()
            ).decode()
        async with httpx.AsyncClient(timeout=5) as client:
            return await client.post(
                url,
                content=json.dumps(message, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json", "timestamp": timestamp, "sign": sign},
            )

    def sent_since(self, start: int) -> list[Sent]:
        with self.lock:
            return list(self.sent[start:])


class Internal:
    """An internal service on 127.0.0.1 that a forged robot message names as its sessionWebhook:
    it records every request that reaches it (there should be none)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                recorder.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True

    def __enter__(self) -> Internal:
        threading.Thread(target=self._http.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"


def _malformed(payload: Any) -> str:
    """Why DingTalk would refuse this message's shape ("" when it would not)."""
    if not isinstance(payload, dict) or payload.get("msgtype") not in MSG_TYPES:
        return "msgtype is missing or unknown"
    body = payload.get(payload["msgtype"])
    if not isinstance(body, dict):
        return f"{payload['msgtype']} is missing"
    if payload["msgtype"] == "text" and not body.get("content"):
        return "text.content is empty"
    if payload["msgtype"] in ("markdown", "actionCard") and not (body.get("title") and body.get("text")):
        return "title and text are required"
    if payload["msgtype"] == "actionCard":
        btns = body.get("btns")
        if not (body.get("singleURL") or (isinstance(btns, list) and btns)):
            return "an actionCard needs singleURL or btns"
        if isinstance(btns, list) and not all(
            isinstance(b, dict) and b.get("title") and b.get("actionURL") for b in btns
        ):
            return "every button needs a title and an actionURL"
    return ""


def _text(payload: JSONDict) -> str:
    body = payload.get(payload.get("msgtype", "")) or {}
    return str(body.get("text") or body.get("content") or "")
