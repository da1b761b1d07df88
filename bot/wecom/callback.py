"""The HTTP callback mode (`reportbot wecom --callback`), for deployments WeCom must call:
URL verification (GET with msg_signature, timestamp, nonce, echostr) and encrypted messages
POSTed as JSON (`{"encrypt": …}`) or XML (`<Encrypt>`). A callback with a bad signature, a
stale timestamp, a nonce already used, or ciphertext for another receive id is refused; a
message WeCom redelivers (same msgid) is answered once. The callback is answered at once and
empty; the answer follows to the message's response_url (one call per message, so one Markdown
message: no buttons in this mode).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.platform import Deduper, RateLimit
from bot.wecom import handlers
from bot.wecom.crypto import CryptoError, MsgCrypt
from bot.wecom.render import joined, outgoing
from retrieval.config import Settings

log = logging.getLogger(__name__)

MAX_SKEW = 300  # seconds a callback's timestamp may be off from our clock
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
        self.nonces = Deduper(ttl=2 * MAX_SKEW)
        self.deliveries = Deduper()
        self.rate = RateLimit(settings.wecom_chat_per_minute, settings.wecom_bot_per_minute)
        self.tasks: set[asyncio.Task[None]] = set()
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
        """POST: a message or event; answered at once, the answer follows to response_url."""
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
        if message is not None and self.deliveries.first_time(inc.msgid):
            task = asyncio.create_task(self._answer(inc, message))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return Response(status_code=200)

    async def _answer(self, inc: handlers.Incoming, message: Any) -> None:
        if not inc.response_url.startswith(self.settings.wecom_api_base_url.rstrip("/") + "/"):
            log.warning("a callback's response_url is not under REPORTBOT_WECOM_API_BASE_URL; not answered")
            return
        try:
            reply = await asyncio.to_thread(handlers.respond, self.core, inc, message)
        except Exception:
            log.exception("answering a WeCom callback failed")
            reply = None
            content = core_texts.ERROR
        else:
            if reply is None:
                return
            outs = outgoing(reply)
            content = joined(outs) if outs else (reply.notice or "")
        if not content:
            return
        while (delay := self.rate.wait(inc.chat)) > 0:
            await asyncio.sleep(delay)
        await self._post(inc.response_url, {"msgtype": "markdown", "markdown": {"content": content}})

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
