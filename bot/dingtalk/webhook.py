"""The outgoing-robot HTTP mode: DingTalk POSTs each robot message to our address (Starlette,
served by uvicorn), and the answer goes out through the message's sessionWebhook.

Every POST carries the headers `timestamp` (milliseconds) and `sign`: base64 of
HMAC-SHA256 keyed with the app secret over `timestamp + "\\n" + app secret`. As DingTalk's
docs say, a request whose timestamp is more than an hour from our clock, or whose sign differs
from ours, is not from DingTalk: it is refused (403) and nothing in it is read. A good one is
answered 200 at once; the answer follows in the background.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.dingtalk.channel import DingTalk

log = logging.getLogger(__name__)

MAX_SKEW_MS = 60 * 60 * 1000  # DingTalk: more than an hour off is not a valid request
MAX_BODY_BYTES = 256 * 1024  # a robot message is a few KB; anything far bigger is not DingTalk


def sign(timestamp: str, secret: str) -> str:
    """The `sign` DingTalk sends with `timestamp`, for an app secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(timestamp: str | None, signature: str | None, secret: str, now_ms: int) -> bool:
    """True when `timestamp` is within an hour of `now_ms` and `signature` is its sign."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 16:
        return False
    if abs(now_ms - int(timestamp)) > MAX_SKEW_MS:
        return False
    return hmac.compare_digest(signature.encode(), sign(timestamp, secret).encode())


def create_app(
    channel: DingTalk, secret: str, path: str, clock: Callable[[], float] = time.time
) -> Starlette:
    """The app receiving robot messages at /<path>."""

    async def receive(request: Request) -> JSONResponse:
        """A signed robot message: acknowledged at once, answered in the background."""
        now_ms = int(clock() * 1000)
        if not verify(request.headers.get("timestamp"), request.headers.get("sign"), secret, now_ms):
            log.warning("a request with a wrong or stale signature was refused")
            return JSONResponse({"errcode": 403, "errmsg": "bad signature"}, status_code=403)
        size = request.headers.get("content-length", "")
        if size.isdigit() and int(size) > MAX_BODY_BYTES:
            return JSONResponse({"errcode": 413, "errmsg": "too large"}, status_code=413)
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return JSONResponse({"errcode": 413, "errmsg": "too large"}, status_code=413)
        try:
            data = json.loads(raw)
        except ValueError:
            return JSONResponse({"errcode": 400, "errmsg": "not JSON"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"errcode": 400, "errmsg": "not a JSON object"}, status_code=400)
        channel.spawn(data)
        return JSONResponse({})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await channel.close()  # answers under way are finished before the server stops

    return Starlette(routes=[Route("/" + path.strip("/"), receive, methods=["POST"])], lifespan=lifespan)
