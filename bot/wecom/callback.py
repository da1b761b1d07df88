"""The HTTP callback mode (`reportbot wecom --callback`), for deployments WeCom must call:
URL verification (GET with msg_signature, timestamp, nonce, echostr) and encrypted messages
POSTed as JSON (`{"encrypt": …}`) or XML (`<Encrypt>`). A callback with a bad signature, a
stale timestamp, a nonce already used, or ciphertext for another receive id is refused; a
message WeCom redelivers (same msgid) is answered once.

Replies as in the long connection, within what this mode allows (no message of the bot's
own, one call per response_url): a message is answered in the callback's passive reply,
encrypted, when the answer is ready within ANSWER_WAIT seconds: its text as a finished stream
with its first six buttons as a template card (`stream_with_template_card`), the next six as
a card to the response_url. A press on a card turns the card in place (update_template_card:
feedback's buttons, or the buttons of the page it brought, the way on first where they are
more than six) and the text it brings goes to the response_url. An answer not ready in time
goes to the response_url as Markdown. An admin's file is downloaded and decrypted with the
EncodingAESKey; files the bot would send are named (this mode has no upload).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.core import intake
from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Action, Kind, Message, Reply, TextPart
from bot.core.platform import Deduper, RateLimit
from bot.wecom import handlers, media
from bot.wecom.crypto import CryptoError, MsgCrypt
from bot.wecom.render import BUTTONS_PER_CARD, card, joined, outgoing, with_feedback
from retrieval.config import Settings

log = logging.getLogger(__name__)

MAX_SKEW = 300  # seconds a callback's timestamp may be off from our clock
ANSWER_WAIT = 3.0  # seconds a callback waits for the answer to go in its reply (WeCom waits 5)
CARDS_REMEMBERED = 5000  # cards whose buttons a press can still turn
MAX_BODY = 1 << 20
POST_ATTEMPTS = 3
RETRY_DELAY = 0.5  # seconds before the second try, doubling


class CallbackBot:
    """Checks callbacks and answers them through their response_url."""

    def __init__(self, core: Core, settings: Settings, clock: Any = time.time) -> None:
        assert settings.wecom_token is not None and settings.wecom_encoding_aes_key is not None
        self.core, self.settings, self.clock = core, settings, clock
        self.crypt = MsgCrypt(
            settings.wecom_token.get_secret_value(),
            settings.wecom_encoding_aes_key.get_secret_value(),
            settings.wecom_receive_id,
        )
        # Users' files come encrypted under the EncodingAESKey too.
        self.crypt_key = settings.wecom_encoding_aes_key.get_secret_value()
        self.nonces = Deduper(ttl=2 * MAX_SKEW)
        self.deliveries = Deduper()
        self.rate = RateLimit(settings.wecom_chat_per_minute, settings.wecom_bot_per_minute)
        self.tasks: set[asyncio.Task[Any]] = set()
        self.cards: OrderedDict[str, tuple[Action, ...]] = OrderedDict()
        self.retry_delay = RETRY_DELAY
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0))

    def open(self, params: dict[str, str], ciphertext: str) -> str:
        """The plaintext of a callback; CryptoError for anything WeCom would not have sent."""
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        if not timestamp.isdigit() or abs(self.clock() - int(timestamp)) > MAX_SKEW:
            raise CryptoError("stale or missing timestamp")
        plain = self.crypt.open(params.get("msg_signature", ""), timestamp, nonce, ciphertext)
        if not nonce or not self.nonces.first_time(f"{timestamp}:{nonce}"):
            raise CryptoError("nonce used before")
        return plain

    async def verify(self, request: Request) -> Response:
        """GET: WeCom checks the URL; echo the decrypted echostr."""
        try:
            plain = self.open(dict(request.query_params), request.query_params.get("echostr", ""))
        except CryptoError as e:
            log.warning("refused a URL verification: %s", e)
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(plain)

    async def receive(self, request: Request) -> Response:
        """POST: a message or event; answered in the reply when the answer is ready in time, the
        rest (or a late answer) to the response_url."""
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return PlainTextResponse("too large", status_code=413)
        try:
            plain = self.open(dict(request.query_params), _ciphertext(raw))
            body = json.loads(plain)
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except CryptoError as e:
            log.warning("refused a callback: %s", e)
            return PlainTextResponse("forbidden", status_code=403)
        except ValueError:
            log.warning("refused a callback: not a JSON message")
            return PlainTextResponse("bad request", status_code=400)
        inc = handlers.parse(body)
        message = handlers.message_for(inc, self.settings.wecom_bot_name, self.settings.wecom_admin_ids)
        # A stream refresh asks for more of a stream left open; this bot finishes its streams.
        if message is None or inc.msgtype == "stream" or not self.deliveries.first_time(inc.msgid):
            return Response(status_code=200)
        if inc.response_url and not inc.response_url.startswith(
            self.settings.wecom_api_base_url.rstrip("/") + "/"
        ):
            log.warning("a callback's response_url is not under REPORTBOT_WECOM_API_BASE_URL; not answered")
            return Response(status_code=200)
        work = asyncio.create_task(self._reply(inc, message))
        self.tasks.add(work)
        work.add_done_callback(self.tasks.discard)
        try:
            reply = await asyncio.wait_for(asyncio.shield(work), ANSWER_WAIT)
        except TimeoutError:  # late: to the response_url when it is done
            late = asyncio.create_task(self._late(inc, work))
            self.tasks.add(late)
            late.add_done_callback(self.tasks.discard)
            return Response(status_code=200)
        passive, follow = self._shape(inc, reply)
        if follow is not None:
            self._follow(inc, follow)
        if passive is None:
            return Response(status_code=200)
        sealed = self.crypt.seal(
            json.dumps(passive, ensure_ascii=False), str(int(self.clock())), secrets.token_hex(8)
        )
        return JSONResponse(sealed)

    async def _reply(self, inc: handlers.Incoming, message: Message) -> Reply | None:
        """The core's reply (an admin's file fetched first); the error line when it failed."""
        try:
            taken: Message | Reply = message
            if inc.msgtype == "file" and intake.wanted(message.admin, message.private):
                aeskey = inc.file_aeskey or self.crypt_key
                limit = intake.Limit.of(self.core.settings)
                taken = await media.take_file(self.client, message, inc.file_url, aeskey, limit)
            if isinstance(taken, Reply):
                return taken
            return await asyncio.to_thread(handlers.respond, self.core, inc, taken)
        except Exception:
            log.exception("answering a WeCom callback failed")
            return Reply([TextPart(core_texts.ERROR)])

    def _shape(
        self, inc: handlers.Incoming, reply: Reply | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(the passive reply, what goes to the response_url) for a reply ready in time."""
        if reply is None:
            return None, None
        if inc.msgtype == "event":
            return self._press_shape(inc, reply)
        outs = outgoing(reply)
        text = joined(outs) if any(o.markdown for o in outs) else (reply.notice or "")
        buttons = [b for o in outs for b in o.buttons]
        passive: dict[str, Any] | None = None
        stream = {"id": f"rs_{secrets.token_hex(8)}", "finish": True, "content": text}
        if buttons:
            task_id = self._remember(tuple(buttons[:BUTTONS_PER_CARD]))
            passive = {
                "msgtype": "stream_with_template_card",
                "stream": stream,
                "template_card": card(tuple(buttons[:BUTTONS_PER_CARD]), task_id),
            }
        elif text:
            passive = {"msgtype": "stream", "stream": stream}
        more = tuple(buttons[BUTTONS_PER_CARD : 2 * BUTTONS_PER_CARD])  # one response_url: one card more
        follow = None
        if more:
            follow = {"msgtype": "template_card", "template_card": card(more, self._remember(more))}
        return passive, follow

    def _press_shape(
        self, inc: handlers.Incoming, reply: Reply
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """A press: the pressed card turned (feedback, or the buttons the press brought) in the
        passive reply; the text it brings, or its notice, to the response_url."""
        outs = outgoing(Reply(reply.parts))
        text = joined(outs) if any(o.markdown for o in outs) else ""
        buttons = tuple(sorted((b for o in outs for b in o.buttons), key=_priority))[:BUTTONS_PER_CARD]
        shown = self.cards.get(inc.task_id)
        turned: tuple[Action, ...] = ()
        note = ""
        if reply.feedback is not None and shown is not None:
            turned = with_feedback(shown, reply.feedback)
            if len(turned) > BUTTONS_PER_CARD:  # 👎's reasons: the card keeps only the feedback
                turned = reply.feedback[:BUTTONS_PER_CARD]
            note = reply.notice or ""
        elif buttons and shown is not None:
            turned = buttons
        elif not text:
            text = reply.notice or ""
        passive = None
        if turned:
            self.cards[inc.task_id] = turned
            update = card(turned, inc.task_id, note)
            passive = {"response_type": "update_template_card", "template_card": update}
        follow = {"msgtype": "markdown", "markdown": {"content": text}} if text else None
        return passive, follow

    def _remember(self, buttons: tuple[Action, ...]) -> str:
        """A new card's task_id, its buttons kept for the presses on it."""
        task_id = f"rb_{secrets.token_hex(8)}"
        self.cards[task_id] = buttons
        while len(self.cards) > CARDS_REMEMBERED:
            self.cards.popitem(last=False)
        return task_id

    def _follow(self, inc: handlers.Incoming, body: dict[str, Any]) -> None:
        """POST `body` to the callback's response_url, in a task."""
        if not inc.response_url:
            return
        task = asyncio.create_task(self._send(inc, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _late(self, inc: handlers.Incoming, work: asyncio.Task[Reply | None]) -> None:
        """An answer not ready in time: its text, as one Markdown message, to the response_url."""
        reply = await work
        if reply is None:
            return
        outs = outgoing(Reply(reply.parts)) if inc.msgtype == "event" else outgoing(reply)
        content = joined(outs) if any(o.markdown for o in outs) else (reply.notice or "")
        if content and inc.response_url:
            await self._send(inc, {"msgtype": "markdown", "markdown": {"content": content}})

    async def _send(self, inc: handlers.Incoming, body: dict[str, Any]) -> None:
        while (delay := self.rate.wait(inc.chat)) > 0:
            await asyncio.sleep(delay)
        await self._post(inc.response_url, body)

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        """POST to a response_url; through 5xx and network errors a few times."""
        for attempt in range(POST_ATTEMPTS):
            try:
                response = await self.client.post(url, json=body)
            except httpx.HTTPError as e:
                log.warning("response_url failed (%s), attempt %d", type(e).__name__, attempt + 1)
            else:
                if response.status_code < 500:
                    result = response.json() if response.content else {}
                    if result.get("errcode", 0):
                        log.warning("WeCom refused a reply: errcode %s", result.get("errcode"))
                    return
                log.warning("response_url answered %d, attempt %d", response.status_code, attempt + 1)
            await asyncio.sleep(self.retry_delay * 2**attempt)

    async def idle(self) -> None:
        """Wait until every answer under way is sent."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def close(self) -> None:
        """Finish the answers under way, then close the HTTP client."""
        await self.idle()
        await self.client.aclose()


# What a pressed card keeps first when a press brings more buttons than a card holds: the way
# on (更多, a page, the admin's choices), then the passages, then the rest.
_FIRST = (Kind.MORE, Kind.PREVIOUS, Kind.PAGE, Kind.CONFIRM, Kind.PICK, Kind.FULL, Kind.FEEDBACK, Kind.EXPORT)


def _priority(action: Action) -> int:
    return _FIRST.index(action.kind) if action.kind in _FIRST else len(_FIRST)


def _ciphertext(raw: bytes) -> str:
    """The Encrypt field of a JSON or XML callback body ("" when there is none)."""
    text = raw.decode("utf-8", "replace").strip()
    if text.startswith("<"):
        try:
            node = ET.fromstring(text).find("Encrypt")
        except ET.ParseError:
            return ""
        return (node.text or "") if node is not None else ""
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    return str(data.get("encrypt", "")) if isinstance(data, dict) else ""


@contextlib.asynccontextmanager
async def _closing(bot: CallbackBot) -> AsyncIterator[None]:
    yield
    await bot.close()


def create_app(core: Core, settings: Settings, bot: CallbackBot | None = None) -> Starlette:
    """The callback server: GET and POST on /<REPORTBOT_WECOM_CALLBACK_PATH>."""
    bot = bot or CallbackBot(core, settings)
    path = "/" + settings.wecom_callback_path.strip("/")
    app = Starlette(
        routes=[
            Route(path, bot.verify, methods=["GET"]),
            Route(path, bot.receive, methods=["POST"]),
        ],
        lifespan=lambda app: _closing(bot),
    )
    app.state.bot = bot
    return app
