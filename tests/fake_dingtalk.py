"""A fake DingTalk for end-to-end tests, on 127.0.0.1: the Stream gateway
(`POST /v1.0/gateway/connections/open`), the stream's WebSocket, the sessionWebhook that robot
replies are posted to, the client side of the outgoing-robot HTTP mode, and the OpenAPI a robot
uses beside them: the app's access token, interactive cards (createAndDeliver, pressed by a
card callback down the stream), robot messages to a group or a user, media upload, and the
download of a file a user sent.

The robot under test keeps its real stack (the dingtalk-stream SDK's frames and acks, websockets,
httpx); only the far end is replaced. The fake refuses what DingTalk refuses: a wrong client id
or secret at the gateway (401), a WebSocket without a fresh ticket (401), a sessionWebhook
session it never issued or that has expired, a message over 20,000 bytes (errcode 460101), a
malformed message (40035), more than 20 messages a minute to one chat (130101); at the OpenAPI
a missing or stale access token (401), a card for a template it does not know or whose
variables do not fit the template (strings only; `buttons` a JSON list of {text, action}), an
open space that is not the robot's chat, a robot message of an unknown msgKey or with a
msgParam that does not fit it or a media id never uploaded, an upload without a type, of an
unknown type, over 20 MB or of a suffix DingTalk does not take as that type; and it fails as
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
import re
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
CARD_TOPIC = "/v1.0/card/instances/callback"
CARD_TEMPLATE = "fake-template-0001.schema"  # the template the fake's card platform holds
CARD_VARIABLES = frozenset({"title", "markdown", "buttons"})
MAX_MEDIA_BYTES = 20 * 1024 * 1024
MEDIA_SUFFIXES = {
    "file": {"doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"},
    "image": {"jpg", "jpeg", "png", "gif", "bmp"},
    "voice": {"amr", "mp3", "wav"},
    "video": {"mp4"},
}
MSG_PARAMS = {  # a robot message's msgKey -> the msgParam fields it needs
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleImageMsg": ("photoURL",),
    "sampleFile": ("mediaId", "fileName", "fileType"),
}


@dataclass(frozen=True)
class Sent:
    """A message a robot posted to a sessionWebhook and DingTalk accepted."""

    conversation: str
    payload: JSONDict


@dataclass(frozen=True)
class Card:
    """An interactive card DingTalk accepted, as its users see it."""

    conversation: str
    out_track_id: str
    title: str
    markdown: str
    buttons: tuple[tuple[str, str], ...]  # (text, action)
    user: str  # the asker, for a private chat


@dataclass(frozen=True)
class Media:
    name: str
    data: bytes
    kind: str


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
        self.api_refused: list[tuple[str, str]] = []  # (path, code) the OpenAPI refused
        self.cards: dict[str, Card] = {}
        self.media: dict[str, Media] = {}
        self._tokens: dict[str, float] = {}  # access token -> expiry
        self._files: dict[str, bytes] = {}  # a download code -> the bytes a user sent
        self._downloads: dict[str, bytes] = {}  # a download URL's token -> bytes
        self._groups: set[str] = set()  # conversations the robot is in
        self.downloads = 0
        self.api_failures = 0  # the next this many OpenAPI calls answer 503
        self.subscribed: set[str] = set()

    # --- lifetime ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeDingTalk:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(size)
                status, body = fake._http_post(self.path, raw, dict(self.headers.items()))
                self._answer(status, json.dumps(body).encode(), "application/json")

            def do_GET(self) -> None:
                with fake.lock:
                    data = fake._downloads.get(self.path.rpartition("/")[2])
                    fake.downloads += 1
                if data is None:
                    self._answer(404, b"not found", "text/plain")
                else:
                    self._answer(200, data, "application/octet-stream")

            def _answer(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
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

    def _http_post(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, JSONDict]:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/media/upload":
            return self._upload(query, raw, headers.get("Content-Type", ""))
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"code": "InvalidParameter", "message": "body is not JSON"}
        if url.path == "/v1.0/gateway/connections/open":
            return self._open(body)
        if url.path == "/robot/sendBySession":
            return self._webhook(query.get("session", [""])[0], body)
        if url.path == "/v1.0/oauth2/accessToken":
            return self._token(body)
        api = {
            "/v1.0/card/instances/createAndDeliver": self._card,
            "/v1.0/robot/groupMessages/send": self._group_message,
            "/v1.0/robot/oToMessages/batchSend": self._private_message,
            "/v1.0/robot/messageFiles/download": self._download_url,
        }.get(url.path)
        if api is None:
            return 404, {"code": "NotFound", "message": url.path}
        token = {k.lower(): v for k, v in headers.items()}.get("x-acs-dingtalk-access-token", "")
        with self.lock:
            if self.api_failures > 0:
                self.api_failures -= 1
                return 503, {"code": "ServiceUnavailable", "message": "try again"}
            if self._tokens.get(token, 0) < time.time():
                return self._api_refuse(url.path, 401, "InvalidAuthentication", "no valid access token")
            if not isinstance(body, dict):
                return self._api_refuse(url.path, 400, "InvalidParameter", "body is not an object")
            return api(url.path, body)

    def _api_refuse(self, path: str, status: int, code: str, message: str) -> tuple[int, JSONDict]:
        self.api_refused.append((path, code))
        return status, {"code": code, "message": message, "requestid": "fake"}

    # --- the OpenAPI ----------------------------------------------------------------------------

    def _token(self, body: Any) -> tuple[int, JSONDict]:
        with self.lock:
            if not isinstance(body, dict) or (body.get("appKey"), body.get("appSecret")) != (
                self.client_id,
                self.client_secret,
            ):
                return self._api_refuse(
                    "token", 400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"
                )
            token = secrets.token_hex(16)
            self._tokens[token] = time.time() + 7200
        return 200, {"accessToken": token, "expireIn": 7200}

    def expire_tokens(self) -> None:
        """Make every access token handed out so far stale (as after two hours)."""
        with self.lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def _card(self, path: str, body: JSONDict) -> tuple[int, JSONDict]:
        if body.get("cardTemplateId") != CARD_TEMPLATE:
            return self._api_refuse(path, 400, "param.cardTemplateNotExist", "card template does not exist")
        track = body.get("outTrackId")
        if not isinstance(track, str) or not track or len(track) > 255 or track in self.cards:
            return self._api_refuse(path, 400, "param.outTrackIdInvalid", "outTrackId is empty or used")
        if body.get("callbackType") != "STREAM":
            return self._api_refuse(path, 400, "param.callbackTypeInvalid", "callbackType")
        params = (
            (body.get("cardData") or {}).get("cardParamMap")
            if isinstance(body.get("cardData"), dict)
            else None
        )
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return self._api_refuse(path, 400, "param.cardParamMapInvalid", "cardParamMap values are strings")
        if set(params) - CARD_VARIABLES or not params.get("markdown"):
            return self._api_refuse(path, 400, "param.cardParamMapInvalid", "variables the template lacks")
        try:
            buttons = json.loads(params.get("buttons", "[]"))
            pairs = tuple((b["text"], b["action"]) for b in buttons)
            assert all(isinstance(t, str) and t and isinstance(a, str) and a for t, a in pairs)
        except (ValueError, TypeError, KeyError, AssertionError):
            return self._api_refuse(
                path, 400, "param.cardParamMapInvalid", "buttons is not a list of {text, action}"
            )
        space = str(body.get("openSpaceId", ""))
        kind, _, target = space.removeprefix("dtv1.card//").partition(".")
        if kind == "IM_GROUP" and target in self._groups:
            if (body.get("imGroupOpenDeliverModel") or {}).get("robotCode") != self.client_id:
                return self._api_refuse(path, 400, "param.robotCodeInvalid", "robotCode")
            conversation, user = target, ""
        elif kind == "IM_ROBOT" and target:
            if (body.get("imRobotOpenDeliverModel") or {}).get("spaceType") != "IM_ROBOT":
                return self._api_refuse(path, 400, "param.openSpaceModelInvalid", "imRobotOpenDeliverModel")
            conversation, user = f"cidPrivate-{target}==", target
        else:
            return self._api_refuse(path, 400, "param.openSpaceIdInvalid", "openSpaceId")
        card = Card(conversation, track, params.get("title", ""), params["markdown"], pairs, user)
        self.cards[track] = card
        self.sent.append(Sent(conversation, {"msgtype": "card", "card": card}))
        return 200, {"success": True, "result": {"outTrackId": track}}

    def _robot_message(self, path: str, body: JSONDict, conversation: str) -> tuple[int, JSONDict]:
        if body.get("robotCode") != self.client_id:
            return self._api_refuse(path, 400, "param.robotCodeInvalid", "robotCode")
        key = body.get("msgKey")
        try:
            param = json.loads(body.get("msgParam", ""))
        except (ValueError, TypeError):
            return self._api_refuse(path, 400, "param.msgParamInvalid", "msgParam is not JSON")
        fields = MSG_PARAMS.get(str(key))
        if fields is None:
            return self._api_refuse(path, 400, "param.msgKeyInvalid", "unknown msgKey")
        if not isinstance(param, dict) or not all(isinstance(param.get(f), str) and param[f] for f in fields):
            return self._api_refuse(path, 400, "param.msgParamInvalid", f"{key} needs {fields}")
        if key == "sampleFile" and (
            param["mediaId"] not in self.media or self.media[param["mediaId"]].kind != "file"
        ):
            return self._api_refuse(path, 400, "param.mediaIdInvalid", "no such file media")
        if key == "sampleImageMsg" and param["photoURL"] not in self.media:
            return self._api_refuse(path, 400, "param.photoURLInvalid", "no such image")
        if key == "sampleMarkdown":
            payload: JSONDict = {
                "msgtype": "markdown",
                "markdown": {"title": param["title"], "text": param["text"]},
            }
        else:
            payload = {"msgtype": str(key), str(key): param}
        if len(_text(payload).encode()) > MAX_TEXT_BYTES:
            return self._api_refuse(path, 400, "param.contentTooLong", "message too long")
        self.sent.append(Sent(conversation, payload))
        return 200, {"processQueryKey": secrets.token_hex(8)}

    def _group_message(self, path: str, body: JSONDict) -> tuple[int, JSONDict]:
        conversation = str(body.get("openConversationId", ""))
        if conversation not in self._groups:
            return self._api_refuse(
                path, 400, "param.openConversationIdInvalid", "the robot is not in that group"
            )
        return self._robot_message(path, body, conversation)

    def _private_message(self, path: str, body: JSONDict) -> tuple[int, JSONDict]:
        users = body.get("userIds")
        if not isinstance(users, list) or len(users) != 1 or not isinstance(users[0], str) or not users[0]:
            return self._api_refuse(path, 400, "param.userIdsInvalid", "userIds")
        return self._robot_message(path, body, f"cidPrivate-{users[0]}==")

    def _download_url(self, path: str, body: JSONDict) -> tuple[int, JSONDict]:
        if body.get("robotCode") != self.client_id:
            return self._api_refuse(path, 400, "param.robotCodeInvalid", "robotCode")
        data = self._files.get(str(body.get("downloadCode", "")))
        if data is None:
            return self._api_refuse(path, 400, "unknownError", "downloadCode is invalid")
        token = secrets.token_hex(12)
        self._downloads[token] = data
        return 200, {"downloadUrl": f"{self.base_url}/files/{token}"}

    def _upload(self, query: dict[str, list[str]], raw: bytes, content_type: str) -> tuple[int, JSONDict]:
        with self.lock:
            token = query.get("access_token", [""])[0]
            if self._tokens.get(token, 0) < time.time():
                return self._upload_refuse(40014, "不合法的access_token")
            fields = _multipart(raw, content_type)
            kind = query.get("type", [""])[0] or fields.get("type", (None, b""))[1].decode("utf-8", "replace")
            if not kind:
                return self._upload_refuse(40035, "缺少参数 type")
            if kind not in MEDIA_SUFFIXES:
                return self._upload_refuse(40004, "不合法的媒体文件类型")
            name, data = fields.get("media", (None, b""))
            if not name or not data:
                return self._upload_refuse(40035, "缺少参数 media")
            if len(data) > MAX_MEDIA_BYTES:
                return self._upload_refuse(40006, "不合法的文件大小")
            if name.rpartition(".")[2].lower() not in MEDIA_SUFFIXES[kind]:
                return self._upload_refuse(40005, "不合法的文件类型")
            media_id = "@lA" + secrets.token_urlsafe(12)
            self.media[media_id] = Media(name, data, kind)
        return 200, {"errcode": 0, "errmsg": "ok", "type": kind, "media_id": media_id, "created_at": 1}

    def _upload_refuse(self, code: int, message: str) -> tuple[int, JSONDict]:
        self.api_refused.append(("/media/upload", str(code)))
        return 200, {"errcode": code, "errmsg": message}

    def add_file(self, data: bytes) -> str:
        """A file a user sends the robot: its download code."""
        code = "dl-" + secrets.token_hex(8)
        with self.lock:
            self._files[code] = data
        return code

    async def press_card(self, card: Card, text: str, user: str | None = None) -> str:
        """Press a card's button (the first whose text starts so) as `user` (the asker by
        default): a card callback down the stream, as DingTalk sends one; its frame's id."""
        action = next(a for t, a in card.buttons if t.startswith(text))
        content = {"cardPrivateData": {"actionIds": ["button"], "params": {"action": action}}}
        data = {
            "extension": "{}",
            "corpId": "dingfakecorp",
            "type": "actionCallback",
            "userId": user or card.user or "u1",
            "content": json.dumps(content, ensure_ascii=False),
            "outTrackId": card.out_track_id,
            "spaceType": "im",
            "spaceId": card.conversation,
            "userIdType": 1,
        }
        return await self.callback(data)

    async def callback(self, data: JSONDict) -> str:
        """Send a card callback frame with `data`; its frame's id."""
        # DingTalk pushes only the topics a connection subscribed to.
        assert CARD_TOPIC in self.subscribed, "the robot did not subscribe to card callbacks"
        frame_id = f"card-{next(self._ids)}"
        await self._send_frame(
            {
                "specVersion": "1.0",
                "type": "CALLBACK",
                "headers": self._headers(CARD_TOPIC, frame_id),
                "data": json.dumps(data, ensure_ascii=False),
            }
        )
        return frame_id

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
            self.subscribed = {t.get("topic") for t in topics if isinstance(t, dict)}
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
        file_name: str = "",
    ) -> JSONDict:
        """A robot message as DingTalk delivers it, with a fresh sessionWebhook for its chat (for
        a file, `text` is its download code: `add_file`)."""
        conversation = "cidGroupFake001==" if group else f"cidPrivate-{user}=="
        token = secrets.token_hex(16)
        now = time.time()
        with self.lock:
            self._sessions[token] = (conversation, now + expires_in)
            if group:
                self._groups.add(conversation)
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
        elif msgtype == "file":
            message["content"] = {
                "downloadCode": text,
                "fileName": file_name,
                "fileId": "f1",
                "spaceId": "s1",
            }
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


def _multipart(raw: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """A multipart/form-data body's parts by field name: (filename, bytes). File names come as
    raw UTF-8, as httpx and browsers send them."""
    boundary = content_type.partition("boundary=")[2].strip().strip('"')
    if not content_type.startswith("multipart/form-data") or not boundary:
        return {}
    parts: dict[str, tuple[str | None, bytes]] = {}
    for chunk in raw.split(b"--" + boundary.encode()):
        head, sep, body = chunk.partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r';\s*name="([^"]*)"', disposition)
        if sep and name:
            filename = re.search(r';\s*filename="([^"]*)"', disposition)
            parts[name.group(1)] = (filename.group(1) if filename else None, body.removesuffix(b"\r\n"))
    return parts


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
