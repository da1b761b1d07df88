"""A fake Feishu open platform on 127.0.0.1, for end-to-end tests of bot/feishu.

The bot keeps its real stack: lark-oapi's API client (requests, token management) and its
long-connection client (websockets, protobuf frames), and our HTTP event route. The far end
is replaced by this server, which speaks the platform's dialect for what the bot uses and
refuses what the platform refuses:

- POST /open-apis/auth/v3/tenant_access_token/internal: a token for the right app id and
  secret only; every other call needs `Authorization: Bearer <a token it issued>`
  (99991663 otherwise; `revoke_tokens()` makes the issued ones invalid, as expiry does).
- GET /open-apis/bot/v3/info: the bot's open_id.
- POST /open-apis/im/v1/messages (receive_id_type=chat_id), POST …/:message_id/reply,
  PATCH …/:message_id: content must be the JSON string of its msg_type, a card one well
  formed (markdown elements, action rows of buttons whose value is an object) and at most
  30 KB (230025 otherwise); replies only to messages that exist, updates only to the bot's
  own cards; 5 messages a second to one chat (230020 beyond); a `uuid` seen before sends
  nothing new.
- POST /open-apis/im/v1/files: a multipart upload, not empty and at most 30 MB.
- GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=file: a file a user
  sent (`file_event`), only with the message it came in (234003 otherwise) and type=file.
- POST /callback/ws/endpoint: for the right AppID/AppSecret, a ws:// URL with a one-time
  ticket, and the ClientConfig (reconnect interval, ping interval).
- The WebSocket: the long connection's protobuf frames (pbbp2.Frame, encoded here by hand
  from lark_oapi/ws/pb's definition: independent of the SDK's own code), pings answered with
  pongs, events pushed as DATA frames (optionally in several parts) and their answers read
  back.

Events are made as the platform makes them (im.message.receive_v1, card.action.trigger) and
delivered over the long connection (`push`: a press in a frame of type `card`, as real Feishu
sends them, unless `card_frames` is off; a press unanswered within 3 s is error 200340) or by
HTTP (`post_event`: encrypted with the Encrypt Key and signed). `fail(path, status, times)`
makes calls fail, `drop()` closes the long connections. State is behind one lock; the server
runs in its own thread and loop, so the helpers may be called from any thread.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import itertools
import json
import os
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.fake_telegram import _parse_multipart

JSONDict = dict[str, Any]

BOT_OPEN_ID = "ou_bot0000000000000000000000000000"
CARD_LIMIT = 30 * 1024
TEXT_LIMIT = 150 * 1024
FILE_LIMIT = 30 * 1024 * 1024
PRESS_DEADLINE = 3.0  # seconds Feishu waits for a card callback's answer
PRESS_TIMED_OUT = 200340  # what the user then sees
PER_CHAT_PER_SECOND = 5
MSG_TYPES = {
    "text",
    "post",
    "interactive",
    "file",
    "image",
    "share_chat",
    "share_user",
    "audio",
    "media",
    "sticker",
}


# --- the long connection's frames (pbbp2.proto, proto2) ---------------------------------------
#   message Header { required string key = 1; required string value = 2; }
#   message Frame { required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3;
#     required int32 method = 4; repeated Header headers = 5; optional string payload_encoding = 6;
#     optional string payload_type = 7; optional bytes payload = 8; optional string LogIDNew = 9; }

CONTROL, DATA = 0, 1


@dataclass
class Frame:
    method: int
    service: int
    headers: dict[str, str] = field(default_factory=dict)
    payload: bytes = b""
    seq_id: int = 0
    log_id: int = 0


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, wire: int, value: bytes | int) -> bytes:
    key = _varint(number << 3 | wire)
    if wire == 0:
        assert isinstance(value, int)
        return key + _varint(value)
    assert isinstance(value, bytes)
    return key + _varint(len(value)) + value


def encode_frame(frame: Frame) -> bytes:
    out = _field(1, 0, frame.seq_id) + _field(2, 0, frame.log_id)
    out += _field(3, 0, frame.service) + _field(4, 0, frame.method)
    for k, v in frame.headers.items():
        out += _field(5, 2, _field(1, 2, k.encode()) + _field(2, 2, v.encode()))
    return out + _field(8, 2, frame.payload)


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    out: list[tuple[int, int | bytes]] = []
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result

    while pos < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            out.append((number, varint()))
        elif wire == 2:
            size = varint()
            out.append((number, data[pos : pos + size]))
            pos += size
        else:
            raise ValueError(f"wire type {wire} is not in pbbp2")
    return out


def decode_frame(data: bytes) -> Frame:
    frame = Frame(method=-1, service=-1)
    for number, value in _fields(data):
        if number == 1:
            frame.seq_id = int(value)  # type: ignore[arg-type]
        elif number == 2:
            frame.log_id = int(value)  # type: ignore[arg-type]
        elif number == 3:
            frame.service = int(value)  # type: ignore[arg-type]
        elif number == 4:
            frame.method = int(value)  # type: ignore[arg-type]
        elif number == 5:
            assert isinstance(value, bytes)
            kv = dict(_fields(value))
            frame.headers[bytes(kv[1]).decode()] = bytes(kv[2]).decode()  # type: ignore[arg-type]
        elif number == 8:
            assert isinstance(value, bytes)
            frame.payload = value
    if frame.method < 0 or frame.service < 0:
        raise ValueError("a required field is missing")
    return frame


# --- what the platform stores ---------------------------------------------------------------


@dataclass
class Sent:
    """A message the bot sent: its id, chat, type, content (parsed), the message it replies
    to, and how many times it has been updated."""

    message_id: str
    chat_id: str
    msg_type: str
    content: JSONDict
    reply_to: str = ""
    file_name: str = ""
    updates: int = 0
    seq: int = 0

    @property
    def text(self) -> str:
        """What a user reads: a card's Markdown, or a file's name."""
        if self.msg_type == "interactive":
            return "\n".join(
                e["content"] for e in self.content.get("elements", []) if e.get("tag") == "markdown"
            )
        if self.msg_type == "file":
            return self.file_name
        return str(self.content.get("text", ""))

    @property
    def buttons(self) -> list[tuple[str, JSONDict]]:
        """A card's buttons: (label, value)."""
        return [
            (a["text"]["content"], a["value"])
            for e in self.content.get("elements", [])
            if e.get("tag") == "action"
            for a in e.get("actions", [])
        ]


@dataclass
class Upload:
    file_key: str
    name: str
    file_type: str
    data: bytes


class PlatformError(Exception):
    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


class _Conn:
    """A long connection the fake holds: its socket, loop, and answers awaited by frame id."""

    def __init__(self, ws: WebSocket, loop: asyncio.AbstractEventLoop, service: int) -> None:
        self.ws, self.loop, self.service = ws, loop, service
        self.waiting: dict[str, concurrent.futures.Future[JSONDict]] = {}


class FakeFeishu:
    """The fake platform; `with FakeFeishu() as fs: …` or start()/stop()."""

    def __init__(
        self,
        app_id: str | None = None,
        app_secret: str = "fake-app-secret-0123456789",
        encrypt_key: str = "fake-encrypt-key",
        verification_token: str = "fake-verification-token",
        reconnect_interval: float = 0.2,
    ) -> None:
        # A fresh app id each time: lark-oapi caches tokens by app id for the whole process.
        self.app_id = app_id or f"cli_fake{uuid.uuid4().hex[:12]}"
        self.app_secret = app_secret
        self.encrypt_key = encrypt_key
        self.verification_token = verification_token
        self.reconnect_interval = reconnect_interval
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.tokens: set[str] = set()
        self.sent: dict[str, Sent] = {}
        self.user_messages: dict[str, JSONDict] = {}
        self.uploads: dict[str, Upload] = {}
        self.user_files: dict[str, tuple[str, str, bytes]] = {}  # file_key: (message_id, name, data)
        self.card_frames = True  # presses over the long connection in frames of type `card`
        self.uuids: dict[str, str] = {}
        self.calls: list[tuple[str, str, int]] = []  # (method, path, status)
        self.refusals: list[tuple[str, int]] = []  # (path, code)
        self.tickets: set[str] = set()
        self.connections: list[_Conn] = []
        self.connects = 0
        self._per_chat: dict[str, deque[float]] = {}
        self._failures: list[list[Any]] = []  # [path fragment, status, times left]
        self._connected = threading.Condition(self._lock)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- running ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeFeishu:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(), log_level="warning", access_log=False, lifespan="off", ws="websockets-sansio"
        )
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Feishu did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.drop()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeFeishu:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control -------------------------------------------------------------------------------

    def fail(self, path: str, status: int = 500, times: int = 1) -> None:
        """The next `times` calls whose path contains `path` fail with `status` (an HTML body)."""
        with self._lock:
            self._failures.append([path, status, times])

    def revoke_tokens(self) -> None:
        """Every token issued so far becomes invalid (as at expiry)."""
        with self._lock:
            self.tokens.clear()

    def drop(self) -> None:
        """Close every long connection from the server's side."""
        with self._lock:
            conns, self.connections = self.connections, []
        for conn in conns:
            with contextlib.suppress(Exception):  # closed already
                asyncio.run_coroutine_threadsafe(conn.ws.close(), conn.loop).result(2)

    def wait_connected(self, connects: int = 1, timeout: float = 10.0) -> None:
        """Wait until the long connection has been made `connects` times in all."""
        with self._connected:
            if not self._connected.wait_for(lambda: self.connects >= connects and self.connections, timeout):
                raise TimeoutError(f"no long connection ({self.connects} made)")

    # --- what was sent ---------------------------------------------------------------------------

    def mark(self) -> int:
        with self._lock:
            return max((m.seq for m in self.sent.values()), default=0)

    def sent_since(self, mark: int) -> list[Sent]:
        with self._lock:
            return sorted((m for m in self.sent.values() if m.seq > mark), key=lambda m: m.seq)

    def messages(self) -> list[Sent]:
        with self._lock:
            return sorted(self.sent.values(), key=lambda m: m.seq)

    # --- events ----------------------------------------------------------------------------------

    def _header(self, event_type: str) -> JSONDict:
        return {
            "event_id": uuid.uuid4().hex,
            "token": self.verification_token,
            "create_time": str(int(time.time() * 1000)),
            "event_type": event_type,
            "tenant_key": "fake_tenant",
            "app_id": self.app_id,
        }

    def message_event(
        self,
        text: str,
        user: str = "u1",
        group: bool = False,
        mentioned: bool = True,
        message_type: str = "text",
        content: JSONDict | None = None,
    ) -> JSONDict:
        """An im.message.receive_v1 as Feishu sends it: a user's text in their private chat
        with the bot, or in the group (@-mentioning the bot first, as the client writes it)."""
        message_id = f"om_user{next(self._ids)}"
        mentions = []
        if group and mentioned:
            text = f"@_user_1 {text}"
            mentions.append(
                {
                    "key": "@_user_1",
                    "id": {"open_id": BOT_OPEN_ID, "union_id": "on_bot", "user_id": ""},
                    "name": "reportbot",
                    "tenant_key": "fake_tenant",
                }
            )
        chat_id = "oc_group" if group else f"oc_p2p_{user}"
        message = {
            "message_id": message_id,
            "create_time": str(int(time.time() * 1000)),
            "chat_id": chat_id,
            "chat_type": "group" if group else "p2p",
            "message_type": message_type,
            "content": json.dumps(content if content is not None else {"text": text}, ensure_ascii=False),
            "mentions": mentions or None,
        }
        with self._lock:
            self.user_messages[message_id] = message
        return {
            "schema": "2.0",
            "header": self._header("im.message.receive_v1"),
            "event": {
                "sender": {
                    "sender_id": {"open_id": f"ou_{user}", "union_id": f"on_{user}", "user_id": user},
                    "sender_type": "user",
                    "tenant_key": "fake_tenant",
                },
                "message": {k: v for k, v in message.items() if v is not None},
            },
        }

    def file_event(self, name: str, data: bytes, user: str = "u1", group: bool = False) -> JSONDict:
        """An im.message.receive_v1 of a file a user sent (kept for the resource download)."""
        key = f"file_v3_{uuid.uuid4().hex}"
        event = self.message_event(
            "", user, group, message_type="file", content={"file_key": key, "file_name": name}
        )
        with self._lock:
            self.user_files[key] = (event["event"]["message"]["message_id"], name, data)
        return event

    def press_event(self, sent: Sent, value: JSONDict, user: str = "u1") -> JSONDict:
        """A card.action.trigger for a press of a button (with `value`) on a sent card."""
        return {
            "schema": "2.0",
            "header": self._header("card.action.trigger"),
            "event": {
                "operator": {"tenant_key": "fake_tenant", "user_id": user, "open_id": f"ou_{user}"},
                "token": f"c-{uuid.uuid4().hex}",
                "action": {"value": value, "tag": "button"},
                "host": "im_message",
                "context": {"open_message_id": sent.message_id, "open_chat_id": sent.chat_id},
            },
        }

    def apply_callback(self, sent: Sent, answer: JSONDict | None) -> None:
        """What Feishu does with a callback's answer: a card in it replaces the pressed one."""
        card = (answer or {}).get("card")
        if isinstance(card, dict) and card.get("type") == "raw":
            _check_card(json.dumps(card["data"], ensure_ascii=False))
            with self._lock:
                sent.content = card["data"]
                sent.updates += 1

    def push(self, payload: JSONDict, parts: int = 1, timeout: float = 5.0) -> JSONDict | None:
        """Deliver an event over the long connection (split into `parts` frames); the answer
        the client sends back (its data, decoded), None when it has none. A press goes in a
        frame of type `card` (when `card_frames`), and unanswered after 3 s is PlatformError
        200340, as the user sees it."""
        press = (payload.get("header") or {}).get("event_type") == "card.action.trigger"
        frame_type = "card" if press and self.card_frames else "event"
        if press:
            timeout = PRESS_DEADLINE
        with self._lock:
            if not self.connections:
                raise RuntimeError("no long connection to push on")
            conn = self.connections[-1]
        body = json.dumps(payload, ensure_ascii=False).encode()
        frame_id = uuid.uuid4().hex
        waiting: concurrent.futures.Future[JSONDict] = concurrent.futures.Future()
        conn.waiting[frame_id] = waiting
        size = -(-len(body) // parts)
        for seq in range(parts):
            frame = Frame(
                method=DATA,
                service=conn.service,
                headers={
                    "type": frame_type,
                    "message_id": frame_id,
                    "trace_id": uuid.uuid4().hex,
                    "sum": str(parts),
                    "seq": str(seq),
                },
                payload=body[seq * size : (seq + 1) * size],
            )
            asyncio.run_coroutine_threadsafe(conn.ws.send_bytes(encode_frame(frame)), conn.loop).result(
                timeout
            )
        try:
            answer = waiting.result(timeout)
        except concurrent.futures.TimeoutError:
            conn.waiting.pop(frame_id, None)
            if press:
                with self._lock:
                    self.refusals.append(("card", PRESS_TIMED_OUT))
                raise PlatformError(0, PRESS_TIMED_OUT, "出错了，请稍后重试") from None
            raise
        if answer.get("code") != 200:
            raise PlatformError(answer.get("code", 0), 0, "the client failed on the event")
        data = answer.get("data")
        return json.loads(base64.b64decode(data)) if data else None

    def post_event(
        self,
        url: str,
        payload: JSONDict,
        encrypt: bool = True,
        timestamp: float | None = None,
        signature: str | None = None,
    ) -> httpx.Response:
        """Deliver an event by HTTP as Feishu does: encrypted with the Encrypt Key, signed."""
        body = json.dumps(
            {"encrypt": encrypt_for_test(json.dumps(payload, ensure_ascii=False), self.encrypt_key)}
            if encrypt
            else payload,
            ensure_ascii=False,
        ).encode()
        stamp = str(int(time.time() if timestamp is None else timestamp))
        nonce = uuid.uuid4().hex[:16]
        sign = hashlib.sha256((stamp + nonce + self.encrypt_key).encode() + body).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Lark-Request-Timestamp": stamp,
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": signature if signature is not None else sign,
        }
        return httpx.post(url, content=body, headers=headers, timeout=10)

    # --- the HTTP API ----------------------------------------------------------------------------

    def _app(self) -> Starlette:
        def route(path: str, handler: Any, methods: list[str]) -> Route:
            async def endpoint(request: Request) -> Response:
                body = await request.body()
                status, answer = await asyncio.to_thread(self._serve, handler, request, body)
                with self._lock:
                    self.calls.append((request.method, request.url.path, status))
                if isinstance(answer, Response):
                    return answer
                if isinstance(answer, bytes):
                    return Response(answer, status_code=status, media_type="text/html")
                return JSONResponse(answer, status_code=status)

            return Route(path, endpoint, methods=methods)

        return Starlette(
            routes=[
                route("/open-apis/auth/v3/tenant_access_token/internal", self._token, ["POST"]),
                route("/open-apis/bot/v3/info", self._bot_info, ["GET"]),
                route("/open-apis/im/v1/messages", self._create, ["POST"]),
                route("/open-apis/im/v1/messages/{message_id}/reply", self._reply, ["POST"]),
                route("/open-apis/im/v1/messages/{message_id}", self._patch, ["PATCH"]),
                route("/open-apis/im/v1/files", self._upload, ["POST"]),
                route("/open-apis/im/v1/messages/{message_id}/resources/{file_key}", self._resource, ["GET"]),
                route("/callback/ws/endpoint", self._endpoint, ["POST"]),
                WebSocketRoute("/ws", self._websocket),
            ]
        )

    def _serve(self, handler: Any, request: Request, body: bytes) -> tuple[int, JSONDict | bytes | Response]:
        with self._lock:
            for rule in self._failures:
                if rule[0] in request.url.path and rule[2] > 0:
                    rule[2] -= 1
                    return rule[1], b"<html><body>502 Bad Gateway</body></html>"
        try:
            return 200, handler(request, body)
        except PlatformError as e:
            with self._lock:
                self.refusals.append((request.url.path, e.code))
            return e.status, {"code": e.code, "msg": e.msg}

    def _authorise(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        with self._lock:
            ok = auth.startswith("Bearer ") and auth[7:] in self.tokens
        if not ok:
            raise PlatformError(400, 99991663, "Invalid access token for authorization.")

    def _token(self, request: Request, body: bytes) -> JSONDict:
        data = json.loads(body or b"{}")
        if data.get("app_id") != self.app_id or data.get("app_secret") != self.app_secret:
            raise PlatformError(400, 10014, "app secret invalid")
        token = f"t-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens.add(token)
        return {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}

    def _bot_info(self, request: Request, body: bytes) -> JSONDict:
        self._authorise(request)
        return {
            "code": 0,
            "msg": "ok",
            "bot": {"activate_status": 2, "app_name": "reportbot", "open_id": BOT_OPEN_ID},
        }

    def _create(self, request: Request, body: bytes) -> JSONDict:
        self._authorise(request)
        if request.query_params.get("receive_id_type") != "chat_id":
            raise PlatformError(400, 99992402, "field validation failed: receive_id_type")
        data = json.loads(body)
        chat_id = data.get("receive_id", "")
        with self._lock:
            known = any(m["chat_id"] == chat_id for m in self.user_messages.values())
        if not known:
            raise PlatformError(400, 230002, "The bot is not in the chat.")
        return self._store(chat_id, "", data)

    def _reply(self, request: Request, body: bytes) -> JSONDict:
        self._authorise(request)
        message_id = request.path_params["message_id"]
        with self._lock:
            user = self.user_messages.get(message_id)
            bot = self.sent.get(message_id)
        if user is None and bot is None:
            raise PlatformError(400, 230011, "The message was not found.")
        chat_id = user["chat_id"] if user is not None else bot.chat_id  # type: ignore[union-attr]
        return self._store(chat_id, message_id, json.loads(body))

    def _store(self, chat_id: str, reply_to: str, data: JSONDict) -> JSONDict:
        msg_type, content, send_uuid = data.get("msg_type"), data.get("content"), data.get("uuid") or ""
        if msg_type not in MSG_TYPES or not isinstance(content, str):
            raise PlatformError(400, 230001, "invalid msg_type or content")
        if len(send_uuid) > 50:
            raise PlatformError(400, 99992402, "field validation failed: uuid")
        limit = CARD_LIMIT if msg_type == "interactive" else TEXT_LIMIT
        if len(content.encode()) > limit:
            raise PlatformError(400, 230025, "The message content is too long.")
        parsed = _check_card(content) if msg_type == "interactive" else _json(content)
        file_name = ""
        if msg_type == "file":
            with self._lock:
                upload = self.uploads.get(parsed.get("file_key", ""))
            if upload is None:
                raise PlatformError(400, 230001, "invalid file_key")
            file_name = upload.name
        with self._lock:
            if send_uuid and send_uuid in self.uuids:
                return self._message_answer(self.sent[self.uuids[send_uuid]])
            now = time.monotonic()
            times = self._per_chat.setdefault(chat_id, deque())
            while times and times[0] <= now - 1.0:
                times.popleft()
            if len(times) >= PER_CHAT_PER_SECOND:
                raise PlatformError(400, 230020, "This operation triggers the frequency limit.")
            times.append(now)
            seq = next(self._ids)
            sent = Sent(f"om_bot{seq}", chat_id, msg_type, parsed, reply_to, file_name, seq=seq)
            self.sent[sent.message_id] = sent
            if send_uuid:
                self.uuids[send_uuid] = sent.message_id
            return self._message_answer(sent)

    @staticmethod
    def _message_answer(sent: Sent) -> JSONDict:
        return {
            "code": 0,
            "msg": "success",
            "data": {
                "message_id": sent.message_id,
                "chat_id": sent.chat_id,
                "msg_type": sent.msg_type,
                "sender": {"id": "cli_fake", "id_type": "app_id", "sender_type": "app"},
            },
        }

    def _patch(self, request: Request, body: bytes) -> JSONDict:
        self._authorise(request)
        message_id = request.path_params["message_id"]
        content = json.loads(body).get("content")
        with self._lock:
            sent = self.sent.get(message_id)
        if sent is None or sent.msg_type != "interactive":
            raise PlatformError(400, 230001, "only the bot's own cards can be updated")
        if not isinstance(content, str) or len(content.encode()) > CARD_LIMIT:
            raise PlatformError(400, 230025, "The message content is too long.")
        card = _check_card(content)
        with self._lock:
            sent.content = card
            sent.updates += 1
        return {"code": 0, "msg": "success", "data": {}}

    def _upload(self, request: Request, body: bytes) -> JSONDict:
        self._authorise(request)
        fields, files = _parse_multipart(request.headers.get("content-type", ""), body)
        upload = files.get("file")
        if upload is None or not fields.get("file_type") or not fields.get("file_name"):
            raise PlatformError(400, 234001, "Invalid request param.")
        if not upload.content or len(upload.content) > FILE_LIMIT:
            raise PlatformError(400, 234006, "The file size is 0 or exceeds the limit.")
        key = f"file_{uuid.uuid4().hex}"
        with self._lock:
            self.uploads[key] = Upload(key, fields["file_name"], fields["file_type"], upload.content)
        return {"code": 0, "msg": "success", "data": {"file_key": key}}

    def _resource(self, request: Request, body: bytes) -> Response:
        self._authorise(request)
        if request.query_params.get("type") not in ("file", "image"):
            raise PlatformError(400, 234001, "Invalid request param.")
        with self._lock:
            found = self.user_files.get(request.path_params["file_key"])
        if found is None or found[0] != request.path_params["message_id"]:
            raise PlatformError(400, 234003, "File not in msg.")
        _, name, data = found
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(
            data, media_type="application/octet-stream", headers={"Content-Disposition": disposition}
        )

    # --- the long connection ---------------------------------------------------------------------

    def _endpoint(self, request: Request, body: bytes) -> JSONDict:
        data = json.loads(body or b"{}")
        if data.get("AppID") != self.app_id or data.get("AppSecret") != self.app_secret:
            raise PlatformError(200, 10014, "invalid app id or secret")
        ticket = uuid.uuid4().hex
        with self._lock:
            self.tickets.add(ticket)
        return {
            "code": 0,
            "msg": "ok",
            "data": {
                "URL": f"ws://127.0.0.1:{self.port}/ws?device_id=dev{next(self._ids)}&service_id=7&ticket={ticket}",
                "ClientConfig": {
                    "ReconnectCount": -1,
                    "ReconnectInterval": self.reconnect_interval,
                    "ReconnectNonce": 0,
                    "PingInterval": 120,
                },
            },
        }

    async def _websocket(self, ws: WebSocket) -> None:
        ticket = ws.query_params.get("ticket", "")
        with self._lock:
            valid = ticket in self.tickets
            self.tickets.discard(ticket)
        if not valid:
            await ws.close(code=1008)
            return
        await ws.accept()
        conn = _Conn(ws, asyncio.get_running_loop(), int(ws.query_params.get("service_id", "0")))
        with self._connected:
            self.connections.append(conn)
            self.connects += 1
            self._connected.notify_all()
        try:
            while True:
                frame = decode_frame(await ws.receive_bytes())
                kind = frame.headers.get("type")
                if frame.method == CONTROL and kind == "ping":
                    pong = Frame(CONTROL, frame.service, {"type": "pong"}, b"")
                    await ws.send_bytes(encode_frame(pong))
                elif frame.method == DATA:
                    waiting = conn.waiting.pop(frame.headers.get("message_id", ""), None)
                    if waiting is not None:
                        waiting.set_result(json.loads(frame.payload))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            with self._lock:
                if conn in self.connections:
                    self.connections.remove(conn)


def _json(content: str) -> JSONDict:
    try:
        parsed = json.loads(content)
    except ValueError:
        raise PlatformError(400, 230001, "content is not JSON") from None
    if not isinstance(parsed, dict):
        raise PlatformError(400, 230001, "content is not a JSON object")
    return parsed


def _check_card(content: str) -> JSONDict:
    """A card (JSON 1.0) as Feishu checks it: elements of known tags, buttons with values."""
    card = _json(content)
    elements = card.get("elements")
    if not isinstance(elements, list) or not elements:
        raise PlatformError(400, 230099, "card has no elements")
    for element in elements:
        tag = element.get("tag") if isinstance(element, dict) else None
        if tag == "markdown":
            if not isinstance(element.get("content"), str):
                raise PlatformError(400, 230099, "markdown element without content")
        elif tag == "action":
            actions = element.get("actions")
            if not isinstance(actions, list) or not actions:
                raise PlatformError(400, 230099, "action element without actions")
            for button in actions:
                label = (button.get("text") or {}).get("content")
                if button.get("tag") != "button" or not isinstance(label, str) or not label:
                    raise PlatformError(400, 230099, "a button needs a text")
                if not isinstance(button.get("value"), dict):
                    raise PlatformError(400, 230099, "a button's value must be an object")
        else:
            raise PlatformError(400, 230099, f"unknown element tag {tag!r}")
    return card


def encrypt_for_test(plaintext: str, encrypt_key: str) -> str:
    """Feishu's encryption, made here with pycryptodome (lark-oapi's dependency), not with
    the bot's own code: AES-256-CBC, key SHA-256(encrypt key), a random IV in front, PKCS#7."""
    from Crypto.Cipher import AES

    data = plaintext.encode()
    pad = 16 - len(data) % 16
    iv = os.urandom(16)
    cipher = AES.new(hashlib.sha256(encrypt_key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(data + bytes([pad]) * pad)).decode()
