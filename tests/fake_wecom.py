"""A fake WeCom on 127.0.0.1, for running the channel's real client stack against.

`FakeWeCom` is the 智能机器人's long-connection server (WebSocket, the protocol of WeCom's
SDK): it wants `aibot_subscribe` first with the right bot id and secret, acknowledges pings,
pushes `aibot_msg_callback` / `aibot_event_callback` frames, and takes the bot's frames as
WeCom does, refusing with an errcode what WeCom refuses: a reply to a req_id it never sent or
later than the deadline, a finished stream written again, Markdown over 20480 bytes or empty,
a card with no buttons or more than six, a key over 1024 bytes, a bad or reused task_id, an
update of a card it never sent, more messages to a chat in a minute than allowed. Like WeCom,
it pushes a group message only when it @-mentions the bot. It can drop every connection,
kick the bot (`disconnected_event`), and stop answering pings.

Files: users' files are served encrypted (AES-256-CBC, IV the key's first 16 bytes, PKCS#7 to
32 bytes) from a URL in their message, with the key beside it (`send_file`); the bot's go up in
chunks (aibot_upload_media_init / _chunk / _finish, refused as WeCom refuses: 5 bytes or fewer,
over 20 MB, chunks over 512 KB or more than 100, a chunk missing or twice, an md5 that does not
match) for a media_id that a `file` message must name.

`FakeCallbackPlatform` is the HTTP side: it signs and encrypts callbacks (its own AES code,
not the bot's) and POSTs them to the bot's callback URL, and serves response_urls (each
usable once, checked for size) that it records the bot's answers from.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import os
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn
import websockets
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from websockets.asyncio.server import Server, ServerConnection

MARKDOWN_BYTES = 20480
CHUNK_BYTES = 512 * 1024
MAX_CHUNKS = 100
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_BUTTONS = 6
MAX_KEY_BYTES = 1024
TASK_ID = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")
BOT_NAME = "法治报告助手"

OK = 0
INVALID_CREDENTIAL = 40014
INVALID_PARAM = 40058
FREQ_LIMIT = 45009
EXPIRED = 40099
NOT_SUBSCRIBED = 40080
INVALID_MEDIA_ID = 40007
INVALID_MEDIA_SIZE = 40006


@dataclass
class Sent:
    """One message the bot put in a chat: a stream (updated in place until finished), a
    Markdown message, a template card (updated in place by a press's update), a welcome."""

    chat: str
    kind: str  # "stream", "markdown", "card", "welcome", "file"
    content: str = ""  # a file's name, for a file
    data: bytes = b""  # a file's bytes
    card: dict[str, Any] = field(default_factory=dict)
    finished: bool = True
    at: float = field(default_factory=time.monotonic)
    history: list[tuple[float, str]] = field(default_factory=list)  # a stream's contents, timed

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return list(self.card.get("button_list", []))

    @property
    def text(self) -> str:
        """What a user sees: the content, or a card's titles and button labels."""
        if self.kind != "card":
            return self.content
        lines = [self.card.get("main_title", {}).get("title", ""), self.card.get("sub_title_text", "")]
        lines.append(" ".join(f"[{b.get('text', '')}]" for b in self.buttons))
        return "\n".join(line for line in lines if line)


@dataclass
class _Callback:
    """A callback the fake pushed: whom it came from and what may answer it."""

    req_id: str
    chat: str
    kind: str  # "message", "press", "enter"
    at: float
    stream: Sent | None = None
    answered: bool = False


class FakeWeCom:
    """The long-connection server. `url` once started; `sent` is what reached the chats."""

    def __init__(
        self,
        bot_id: str = "aibot-test",
        secret: str = "s3cret-test",
        *,
        reply_deadline: float = 5.0,
        chat_per_minute: int = 20,
        rate_window: float = 60.0,
    ) -> None:
        self.bot_id, self.secret = bot_id, secret
        self.reply_deadline, self.chat_per_minute = reply_deadline, chat_per_minute
        self.rate_window = rate_window
        self.answer_pings = True
        self.sent: list[Sent] = []
        self.refused: list[tuple[str, int, str]] = []  # (cmd, errcode, why)
        self.subscriptions = 0
        self.pings = 0
        self._server: Server | None = None
        self._live: set[ServerConnection] = set()  # subscribed connections
        self._callbacks: dict[str, _Callback] = {}
        self._cards: dict[str, Sent] = {}  # task_id → the card
        self._chats: set[str] = set()
        self._sends: dict[str, list[float]] = {}
        self._ids = itertools.count(1)
        self._uploads: dict[str, dict[str, Any]] = {}
        self.media: dict[str, tuple[str, bytes]] = {}  # media_id → (name, bytes) uploaded
        self.files = MediaServer()
        self.url = ""

    async def start(self) -> FakeWeCom:
        self._server = await websockets.serve(self._serve, "127.0.0.1", 0, max_size=4 * 1024 * 1024)
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}"
        await self.files.start()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.files.stop()

    async def __aenter__(self) -> FakeWeCom:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- the connection ------------------------------------------------------------------

    async def _serve(self, ws: ServerConnection) -> None:
        subscribed = False
        try:
            async for raw in ws:
                try:
                    frame = json.loads(raw)
                    cmd = frame["cmd"]
                    rid = str(frame["headers"]["req_id"])
                except (ValueError, KeyError, TypeError):
                    await ws.close(1002, "bad frame")
                    return
                if not subscribed:
                    if cmd != "aibot_subscribe":
                        await self._ack(ws, cmd, rid, NOT_SUBSCRIBED, "subscribe first")
                        await ws.close(1008, "not subscribed")
                        return
                    body = frame.get("body") or {}
                    if body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
                        await self._ack(ws, cmd, rid, INVALID_CREDENTIAL, "invalid bot_id or secret")
                        await ws.close(1008, "invalid credential")
                        return
                    subscribed = True
                    self.subscriptions += 1
                    self._live.add(ws)
                    await self._ack(ws, cmd, rid, OK, "ok")
                    continue
                if cmd == "ping":
                    self.pings += 1
                    if self.answer_pings:
                        await self._ack(ws, cmd, rid, OK, "ok")
                    continue
                code, why, *answer = self._take(cmd, rid, frame.get("body") or {})
                await self._ack(ws, cmd, rid, code, why, answer[0] if answer else None)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._live.discard(ws)

    async def _ack(
        self, ws: ServerConnection, cmd: str, rid: str, code: int, why: str, body: Any = None
    ) -> None:
        if code != OK:
            self.refused.append((cmd, code, why))
        ack: dict[str, Any] = {"headers": {"req_id": rid}, "errcode": code, "errmsg": why}
        if body is not None and code == OK:
            ack["body"] = body
        with contextlib.suppress(websockets.ConnectionClosed):
            await ws.send(json.dumps(ack))

    # --- what the bot sends --------------------------------------------------------------

    def _take(self, cmd: str, rid: str, body: dict[str, Any]) -> tuple[Any, ...]:
        if cmd == "aibot_send_msg":
            return self._send(body)
        if cmd.startswith("aibot_upload_media_"):
            return self._upload(cmd, body)
        callback = self._callbacks.get(rid)
        if callback is None:
            return INVALID_PARAM, "unknown req_id"
        if cmd == "aibot_respond_msg" and callback.kind == "message":
            return self._respond(callback, body)
        if cmd == "aibot_respond_update_msg" and callback.kind == "press":
            return self._update(callback, body)
        if cmd == "aibot_respond_welcome_msg" and callback.kind == "enter":
            if time.monotonic() - callback.at > self.reply_deadline or callback.answered:
                return EXPIRED, "welcome too late"
            callback.answered = True
            content = str((body.get("text") or {}).get("content", ""))
            self.sent.append(Sent(callback.chat, "welcome", content))
            return OK, "ok"
        return INVALID_PARAM, f"{cmd} does not answer this req_id"

    def _respond(self, callback: _Callback, body: dict[str, Any]) -> tuple[int, str]:
        if body.get("msgtype") != "stream":
            return INVALID_PARAM, "unsupported msgtype"
        stream = body.get("stream") or {}
        content = str(stream.get("content", ""))
        if len(content.encode()) > MARKDOWN_BYTES:
            return INVALID_PARAM, "stream.content exceed max length 20480"
        if callback.stream is None:
            if time.monotonic() - callback.at > self.reply_deadline:
                return EXPIRED, "reply too late"
            callback.stream = Sent(callback.chat, "stream", content, finished=False)
            callback.stream.card = {"id": stream.get("id")}
            self.sent.append(callback.stream)
        elif callback.stream.card.get("id") != stream.get("id"):
            return INVALID_PARAM, "one stream per message"
        elif callback.stream.finished:
            return INVALID_PARAM, "stream already finished"
        callback.stream.content = content
        callback.stream.history.append((time.monotonic() - callback.at, content))
        if stream.get("finish"):
            if not content.strip():
                return INVALID_PARAM, "empty content"
            callback.stream.finished = True
        return OK, "ok"

    def _send(self, body: dict[str, Any]) -> tuple[int, str]:
        chat = str(body.get("chatid", ""))
        if chat not in self._chats:
            return INVALID_PARAM, "unknown chatid"
        now = time.monotonic()
        recent = [t for t in self._sends.get(chat, []) if t > now - self.rate_window]
        if len(recent) >= self.chat_per_minute:
            return FREQ_LIMIT, "api freq out of limit"
        if body.get("msgtype") == "markdown":
            content = str((body.get("markdown") or {}).get("content", ""))
            if not content.strip():
                return INVALID_PARAM, "empty content"
            if len(content.encode()) > MARKDOWN_BYTES:
                return INVALID_PARAM, "markdown.content exceed max length 20480"
            sent = Sent(chat, "markdown", content)
        elif body.get("msgtype") == "file":
            media_id = str((body.get("file") or {}).get("media_id", ""))
            if media_id not in self.media:
                return INVALID_MEDIA_ID, "invalid media_id"
            name, data = self.media[media_id]
            sent = Sent(chat, "file", name, data=data)
        elif body.get("msgtype") == "template_card":
            card = body.get("template_card") or {}
            code, why = _check_card(card)
            if code != OK:
                return code, why
            if card["task_id"] in self._cards:
                return INVALID_PARAM, "task_id already used"
            sent = Sent(chat, "card", card=card)
            self._cards[card["task_id"]] = sent
        else:
            return INVALID_PARAM, "unsupported msgtype"
        self._sends[chat] = [*recent, now]
        self.sent.append(sent)
        return OK, "ok"

    def _upload(self, cmd: str, body: dict[str, Any]) -> tuple[Any, ...]:
        if cmd == "aibot_upload_media_init":
            size, chunks = body.get("total_size"), body.get("total_chunks")
            if body.get("type") not in ("file", "image", "voice", "video") or not body.get("filename"):
                return INVALID_PARAM, "invalid type or filename"
            if not isinstance(size, int) or not 5 < size <= MAX_FILE_BYTES:
                return INVALID_MEDIA_SIZE, "invalid file size"
            if chunks != -(-size // CHUNK_BYTES) or chunks > MAX_CHUNKS:
                return INVALID_PARAM, "invalid total_chunks"
            if not re.fullmatch(r"[0-9a-f]{32}", str(body.get("md5", ""))):
                return INVALID_PARAM, "invalid md5"
            upload_id = f"up{next(self._ids)}{os.urandom(4).hex()}"
            self._uploads[upload_id] = {**body, "chunks": {}}
            return OK, "ok", {"upload_id": upload_id}
        upload = self._uploads.get(str(body.get("upload_id", "")))
        if upload is None:
            return INVALID_PARAM, "invalid upload_id"
        if cmd == "aibot_upload_media_chunk":
            index = body.get("chunk_index")
            if (
                not isinstance(index, int)
                or not 0 <= index < upload["total_chunks"]
                or index in upload["chunks"]
            ):
                return INVALID_PARAM, "invalid chunk_index"
            try:
                piece = base64.b64decode(str(body.get("base64_data", "")), validate=True)
            except ValueError:
                return INVALID_PARAM, "invalid base64_data"
            if not piece or len(piece) > CHUNK_BYTES:
                return INVALID_PARAM, "invalid chunk size"
            upload["chunks"][index] = piece
            return OK, "ok"
        if cmd != "aibot_upload_media_finish":
            return INVALID_PARAM, "unknown command"
        del self._uploads[str(body["upload_id"])]
        if len(upload["chunks"]) != upload["total_chunks"]:
            return INVALID_PARAM, "chunks missing"
        data = b"".join(upload["chunks"][i] for i in range(upload["total_chunks"]))
        if len(data) != upload["total_size"] or hashlib.md5(data).hexdigest() != upload["md5"]:
            return INVALID_PARAM, "md5 or size mismatch"
        media_id = f"media{next(self._ids)}{os.urandom(6).hex()}"
        self.media[media_id] = (str(upload["filename"]), data)
        return OK, "ok", {"media_id": media_id, "type": upload["type"]}

    def _update(self, callback: _Callback, body: dict[str, Any]) -> tuple[int, str]:
        if time.monotonic() - callback.at > self.reply_deadline or callback.answered:
            return EXPIRED, "update too late"
        card = body.get("template_card") or {}
        code, why = _check_card(card)
        if code != OK:
            return code, why
        old = self._cards.get(card["task_id"])
        if old is None or body.get("response_type") != "update_template_card":
            return INVALID_PARAM, "no such card"
        callback.answered = True
        old.card = card
        self.sent.append(Sent(old.chat, "card", card=card))  # what the user sees change
        return OK, "ok"

    # --- what users do -------------------------------------------------------------------

    async def _push(self, cmd: str, body: dict[str, Any], chat: str, kind: str) -> dict[str, Any]:
        if not self._live:
            raise ConnectionError("the bot is not connected")
        rid = f"{cmd}_{next(self._ids)}_{os.urandom(3).hex()}"
        frame = {"cmd": cmd, "headers": {"req_id": rid}, "body": body}
        self._callbacks[rid] = _Callback(rid, chat, kind, time.monotonic())
        await self.redeliver(frame)
        return frame

    async def redeliver(self, frame: dict[str, Any]) -> None:
        """Push a frame (again, as WeCom does when it thinks it unanswered)."""
        for ws in list(self._live):
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(json.dumps(frame, ensure_ascii=False))

    def _base(self, user: str, group: bool, chat: str, msgtype: str) -> dict[str, Any]:
        where = chat if group else user
        self._chats.add(where)
        body: dict[str, Any] = {
            "msgid": f"msg{next(self._ids)}{os.urandom(4).hex()}",
            "create_time": int(time.time()),
            "aibotid": self.bot_id,
            "chattype": "group" if group else "single",
            "from": {"userid": user},
            "msgtype": msgtype,
        }
        if group:
            body["chatid"] = chat
        return body

    async def say(
        self, user: str, text: str, group: bool = False, mentioned: bool = True, chat: str = "wrgroup1"
    ) -> dict[str, Any] | None:
        """A user's text message; None when WeCom would not push it (a group message that does
        not @ the bot)."""
        if group and not mentioned:
            return None
        body = self._base(user, group, chat, "text")
        body["text"] = {"content": f"@{BOT_NAME} {text}" if group else text}
        return await self._push("aibot_msg_callback", body, chat if group else user, "message")

    async def send_other(self, user: str, msgtype: str) -> dict[str, Any]:
        """A message that is not text (an image, a voice message…)."""
        body = self._base(user, False, user, msgtype)
        body[msgtype] = {"url": "https://example.invalid/x", "aeskey": "x"}
        return await self._push("aibot_msg_callback", body, user, "message")

    async def send_file(
        self, user: str, name: str, data: bytes, group: bool = False, chat: str = "wrgroup1"
    ) -> dict[str, Any]:
        """A file message: the file served encrypted under a key of its own, named in the body."""
        key = os.urandom(32)
        body = self._base(user, group, chat, "file")
        body["file"] = {
            "url": self.files.serve(name, media_encrypt(key, data)),
            "aeskey": base64.b64encode(key).decode(),
        }
        return await self._push("aibot_msg_callback", body, chat if group else user, "message")

    async def press(
        self, user: str, key: str, task_id: str, group: bool = False, chat: str = "wrgroup1"
    ) -> dict[str, Any]:
        """A press of a card's button: a template_card_event with its key and the card's task_id."""
        body = self._base(user, group, chat, "event")
        body["event"] = {
            "eventtype": "template_card_event",
            "template_card_event": {"card_type": "button_interaction", "event_key": key, "task_id": task_id},
        }
        return await self._push("aibot_event_callback", body, chat if group else user, "press")

    async def enter(self, user: str) -> dict[str, Any]:
        """A user opens the bot's private chat for the first time today."""
        body = self._base(user, False, user, "event")
        body["event"] = {"eventtype": "enter_chat"}
        return await self._push("aibot_event_callback", body, user, "enter")

    async def drop(self) -> None:
        """Drop every connection without a close frame (a network failure)."""
        for ws in list(self._live):
            ws.transport.abort()
        self._live.clear()

    async def close_all(self) -> None:
        """Close every connection cleanly (WeCom restarting)."""
        for ws in list(self._live):
            await ws.close(1001, "going away")

    async def kick(self) -> None:
        """Tell the bot another connection took over, as WeCom does."""
        body = {
            "msgid": f"dis{next(self._ids)}",
            "msgtype": "event",
            "event": {"eventtype": "disconnected_event"},
        }
        await self.redeliver({"cmd": "aibot_event_callback", "headers": {"req_id": "evt"}, "body": body})

    def card_with(self, label_prefix: str) -> tuple[str, str]:
        """(key, task_id) of the first button starting with `label_prefix` on the newest card
        that has one."""
        for sent in reversed(self.sent):
            for button in sent.buttons:
                if str(button.get("text", "")).startswith(label_prefix):
                    return str(button["key"]), str(sent.card["task_id"])
        raise LookupError(f"no button starting with {label_prefix!r}")


def _check_card(card: dict[str, Any]) -> tuple[int, str]:
    if card.get("card_type") != "button_interaction":
        return INVALID_PARAM, "unsupported card_type"
    if not (card.get("main_title") or {}).get("title"):
        return INVALID_PARAM, "main_title.title required"
    if not TASK_ID.match(str(card.get("task_id", ""))):
        return INVALID_PARAM, "invalid task_id"
    buttons = card.get("button_list") or []
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        return INVALID_PARAM, "button_list must hold 1 to 6 buttons"
    for b in buttons:
        if not b.get("text") or not b.get("key") or len(str(b["key"]).encode()) > MAX_KEY_BYTES:
            return INVALID_PARAM, "invalid button"
    return OK, "ok"


class MediaServer:
    """Where users' files are downloaded from: each at a URL of its own, encrypted."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, bytes]] = {}
        self.downloads = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = Starlette(routes=[Route("/media/{id}", self._get, methods=["GET"])])
        self._server, self._task, self.base_url = await serve_app(app)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task

    def serve(self, name: str, encrypted: bytes) -> str:
        media = os.urandom(8).hex()
        self._files[media] = (name, encrypted)
        return f"{self.base_url}/media/{media}"

    async def _get(self, request: Request) -> Response:
        found = self._files.get(request.path_params["id"])
        if found is None:
            return JSONResponse({"errcode": 40007, "errmsg": "invalid media"}, status_code=404)
        self.downloads += 1
        name, data = found
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(
            data, media_type="application/octet-stream", headers={"Content-Disposition": disposition}
        )


def media_encrypt(key: bytes, data: bytes) -> bytes:
    """WeCom's encryption of a file, written out here independently of bot/wecom/crypto.py."""
    pad = 32 - len(data) % 32
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return enc.update(data + bytes([pad] * pad)) + enc.finalize()


# --- HTTP callbacks --------------------------------------------------------------------------


def sha1_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def wecom_encrypt(aes_key: str, message: bytes, receive_id: str, random: bytes = b"0123456789abcdef") -> str:
    """WeCom's encryption, written out here independently of bot/wecom/crypto.py."""
    key = base64.b64decode(aes_key + "=")
    plain = random + struct.pack(">I", len(message)) + message + receive_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad] * pad)
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


class FakeCallbackPlatform:
    """WeCom's HTTP side: signs, encrypts and POSTs callbacks to the bot, and reads the bot's
    encrypted passive replies as WeCom does (signature checked, decrypted with its own AES
    code, refused unless a stream, a template card or both for a message, or an
    update_template_card of a card it showed for a press); serves response_urls (each usable
    once, for Markdown or a well-formed template card). `shown` is what users saw, in order."""

    def __init__(self, token: str, aes_key: str, receive_id: str = "") -> None:
        self.token, self.aes_key, self.receive_id = token, aes_key, receive_id
        self.answers: list[dict[str, Any]] = []  # bodies POSTed to response_urls
        self.replies: list[dict[str, Any]] = []  # passive replies, decrypted
        self.shown: list[Sent] = []
        self.cards: dict[str, Sent] = {}  # task_id → the card as shown now
        self.refused: list[str] = []
        self.fail_next = 0  # answer this many response_url calls with a 502
        self._codes: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.base_url = ""
        self.client = httpx.AsyncClient()
        self.files = MediaServer()

    async def __aenter__(self) -> FakeCallbackPlatform:
        app = Starlette(routes=[Route("/cgi-bin/aibot/response", self._response, methods=["POST"])])
        self._server, self._task, self.base_url = await serve_app(app)
        await self.files.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task
        await self.files.stop()
        await self.client.aclose()

    def _show_card(self, card: dict[str, Any], chat: str = "") -> str:
        """Show a new card; "" when WeCom would refuse it, else why not."""
        code, why = _check_card(card)
        if code != OK:
            return why
        if card["task_id"] in self.cards:
            return "task_id already used"
        sent = Sent(chat, "card", card=card)
        self.cards[card["task_id"]] = sent
        self.shown.append(sent)
        return ""

    async def _response(self, request: Request) -> JSONResponse:
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"errcode": -1, "errmsg": "system busy"}, status_code=502)
        code = request.query_params.get("response_code", "")
        if code not in self._codes:
            self.refused.append("response_code used or unknown")
            return JSONResponse({"errcode": INVALID_PARAM, "errmsg": "invalid response_code"})
        body = json.loads(await request.body())
        why = ""
        if body.get("msgtype") == "markdown":
            content = str((body.get("markdown") or {}).get("content", ""))
            if not content.strip() or len(content.encode()) > MARKDOWN_BYTES:
                why = "bad markdown"
            else:
                self.shown.append(Sent("", "markdown", content))
        elif body.get("msgtype") == "template_card":
            why = self._show_card(body.get("template_card") or {})
        else:
            why = "unsupported msgtype"
        if why:
            self.refused.append(why)
            return JSONResponse({"errcode": INVALID_PARAM, "errmsg": why})
        del self._codes[code]
        self.answers.append(body)
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    def _passive(self, kind: str, response: httpx.Response) -> None:
        """Read the bot's passive reply to a callback of `kind` ("message", "press") as WeCom
        does; what it shows goes to `shown`, what WeCom would refuse to `refused`."""
        if response.status_code != 200 or not response.content:
            return
        try:
            sealed = response.json()
            if (
                sha1_signature(self.token, str(sealed["timestamp"]), str(sealed["nonce"]), sealed["encrypt"])
                != sealed["msgsignature"]
            ):
                raise ValueError("bad msgsignature")
            message, receive_id = wecom_decrypt(self.aes_key, sealed["encrypt"])
            if receive_id != self.receive_id.encode():
                raise ValueError("wrong receive id")
            body = json.loads(message)
        except (ValueError, KeyError, TypeError) as e:
            self.refused.append(f"passive reply unreadable: {e}")
            return
        self.replies.append(body)
        why = ""
        if kind == "press":
            card = body.get("template_card") or {}
            old = self.cards.get(str(card.get("task_id", "")))
            code, checked = _check_card(card)
            if body.get("response_type") != "update_template_card" or old is None:
                why = "no such card"
            elif code != OK:
                why = checked
            else:
                old.card = card
                self.shown.append(Sent(old.chat, "card", card=card))
        elif body.get("msgtype") in ("stream", "stream_with_template_card"):
            stream = body.get("stream") or {}
            content = str(stream.get("content", ""))
            if not stream.get("id") or not content.strip() or len(content.encode()) > MARKDOWN_BYTES:
                why = "bad stream"
            else:
                self.shown.append(Sent("", "stream", content, finished=bool(stream.get("finish"))))
                if body["msgtype"] == "stream_with_template_card":
                    why = self._show_card(body.get("template_card") or {})
        elif body.get("msgtype") == "template_card":
            why = self._show_card(body.get("template_card") or {})
        else:
            why = "unsupported passive reply"
        if why:
            self.refused.append(why)

    def _body(self, user: str, msgtype: str, group: bool, msgid: str | None) -> dict[str, Any]:
        code = f"code{next(self._ids)}{os.urandom(4).hex()}"
        self._codes[code] = time.monotonic()
        body: dict[str, Any] = {
            "msgid": msgid or f"cbmsg{next(self._ids)}",
            "aibotid": "aibot-test",
            "chattype": "group" if group else "single",
            "from": {"userid": user},
            "response_url": f"{self.base_url}/cgi-bin/aibot/response?response_code={code}",
            "msgtype": msgtype,
        }
        if group:
            body["chatid"] = "wrgroup1"
        return body

    def message(self, user: str, text: str, group: bool = False, msgid: str | None = None) -> dict[str, Any]:
        """A 智能机器人 text message as WeCom encrypts it, with a fresh response_url."""
        body = self._body(user, "text", group, msgid)
        body["text"] = {"content": f"@{BOT_NAME} {text}" if group else text}
        return body

    def file(self, user: str, name: str, data: bytes, group: bool = False) -> dict[str, Any]:
        """A file message: the file served encrypted under the bot's EncodingAESKey."""
        body = self._body(user, "file", group, None)
        key = base64.b64decode(self.aes_key + "=")
        body["file"] = {"url": self.files.serve(name, media_encrypt(key, data))}
        return body

    def press(self, user: str, key: str, task_id: str, group: bool = False) -> dict[str, Any]:
        """A press of a card's button: a template_card_event with its key and task_id."""
        body = self._body(user, "event", group, None)
        body["event"] = {
            "eventtype": "template_card_event",
            "template_card_event": {"card_type": "button_interaction", "event_key": key, "task_id": task_id},
        }
        return body

    def card_with(self, label_prefix: str) -> tuple[str, str]:
        """(key, task_id) of the first button starting with `label_prefix` on the newest card
        showing one."""
        for sent in reversed(list(self.cards.values())):
            for button in sent.buttons:
                if str(button.get("text", "")).startswith(label_prefix):
                    return str(button["key"]), str(sent.card["task_id"])
        raise LookupError(f"no button starting with {label_prefix!r}")

    def signed(
        self,
        plaintext: str,
        timestamp: int | None = None,
        nonce: str | None = None,
        receive_id: str | None = None,
    ) -> tuple[dict[str, str], str]:
        """(query parameters, ciphertext) of a callback carrying `plaintext`."""
        encrypted = wecom_encrypt(
            self.aes_key, plaintext.encode(), self.receive_id if receive_id is None else receive_id
        )
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or os.urandom(6).hex()
        return {
            "msg_signature": sha1_signature(self.token, ts, nonce, encrypted),
            "timestamp": ts,
            "nonce": nonce,
        }, (encrypted)

    async def post(self, url: str, body: dict[str, Any], xml: bool = False, **signing: Any) -> httpx.Response:
        """POST a message to the bot, as JSON (`{"encrypt": …}`) or XML (`<Encrypt>`), and read
        its passive reply."""
        params, encrypted = self.signed(json.dumps(body, ensure_ascii=False), **signing)
        content = (
            f"<xml><ToUserName><![CDATA[{self.receive_id}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            if xml
            else json.dumps({"encrypt": encrypted})
        )
        response = await self.client.post(url, params=params, content=content)
        self._passive("press" if body.get("msgtype") == "event" else "message", response)
        return response


def wecom_decrypt(aes_key: str, ciphertext: str) -> tuple[bytes, bytes]:
    """(message, receive id) of a passive reply, by this file's own AES code."""
    key = base64.b64decode(aes_key + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(ciphertext)) + dec.finalize()
    plain = plain[: -plain[-1]]
    (n,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + n], plain[20 + n :]


async def serve_app(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    """An ASGI app served by uvicorn on a free port of 127.0.0.1, in this loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"
