"""Events over HTTP (将事件发送至开发者服务器): one POST route for events and card callbacks.

Each request is checked before anything is done with it: its body decrypted with the
Encrypt Key (bot/feishu/crypto.py), its X-Lark-Signature and timestamp checked (a bad
signature, or one older than REPORTBOT_FEISHU_MAX_SKEW_SECONDS, is refused with 401), and
the Verification Token inside it compared. The URL check (url_verification) is answered
with its challenge. Everything then goes to the same FeishuBot as the long connection's
events, off the event loop.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.feishu import crypto
from bot.feishu.bot import FeishuBot
from bot.feishu.crypto import Refused, check_signature, decrypt

log = logging.getLogger(__name__)

# Feishu's events are small; a card callback with a form is the largest (well under this).
MAX_BODY = 1024 * 1024


def app(
    bot: FeishuBot,
    path: str,
    encrypt_key: str | None,
    verification_token: str | None,
    max_skew: float = 300.0,
) -> Starlette:
    """The ASGI app that takes Feishu's POSTs at /`path`."""

    async def events(request: Request) -> JSONResponse:
        """An event or a card callback: checked, then handed to the bot."""
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"msg": "too large"}, status_code=413)
        try:
            payload = open_payload(body, dict(request.headers), encrypt_key, verification_token, max_skew)
        except Refused as e:
            log.warning("feishu event refused: %s", e)
            return JSONResponse({"msg": str(e)}, status_code=401)
        except ValueError:
            return JSONResponse({"msg": "not an event"}, status_code=400)
        if payload.get("type") == "url_verification":
            return JSONResponse({"challenge": payload.get("challenge", "")})
        answer = await asyncio.to_thread(bot.on_event, payload)
        return JSONResponse(answer if answer is not None else {"msg": "success"})

    return Starlette(routes=[Route("/" + path.strip("/"), events, methods=["POST"])])


def open_payload(
    body: bytes,
    headers: dict[str, str],
    encrypt_key: str | None,
    verification_token: str | None,
    max_skew: float,
) -> dict[str, Any]:
    """The event a request carries, after every check; Refused (or ValueError: not JSON)."""
    outer = json.loads(body)
    if not isinstance(outer, dict):
        raise ValueError("not an object")
    if encrypt_key:
        if not isinstance(outer.get("encrypt"), str):
            raise Refused("not encrypted")
        payload = json.loads(decrypt(outer["encrypt"], encrypt_key))
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        # The URL check is the one request Feishu does not sign; the key it is encrypted with,
        # and the token inside it, vouch for it.
        if payload.get("type") != "url_verification":
            check_signature(_lower(headers), body, encrypt_key, max_skew)
    else:
        payload = outer
    token = payload.get("token") if "token" in payload else (payload.get("header") or {}).get("token")
    if verification_token and not (
        isinstance(token, str) and hmac.compare_digest(token.encode(), verification_token.encode())
    ):
        raise Refused("bad verification token")
    return payload


def _lower(headers: dict[str, str]) -> dict[str, str]:
    """Headers by the names crypto.check_signature asks for, whatever their case."""
    by_lower = {k.lower(): v for k, v in headers.items()}
    return {
        name: by_lower.get(name.lower(), "") for name in (crypto.TIMESTAMP, crypto.NONCE, crypto.SIGNATURE)
    }
