"""The outgoing-robot HTTP mode: DingTalk POSTs each robot message to our address (Starlette,
served by uvicorn), and the answer goes out through the message's sessionWebhook.

Every POST carries the headers `timestamp` (milliseconds) and `sign`: base64 of
HMAC-SHA256 keyed with the app secret over `timestamp + "\\n" + app secret`. The sign covers
the timestamp only, not the body, so anyone who saw one request could send a new body under
its headers. Hence three checks, all before the body is read (a refusal is 403):
- the sign must be ours;
- the timestamp must be within `max_skew` of our clock: DingTalk's docs allow an hour, but
  DingTalk signs a request as it sends it, so only clock skew needs room, and 5 minutes
  (REPORTBOT_DINGTALK_MAX_SKEW_SECONDS) keeps a stolen pair's use short;
- a (timestamp, sign) pair seen before is refused: it is a replay, or DingTalk sending the
  same request again, which was answered the first time. Pairs are remembered for twice the window (a pair
  signed `max_skew` ahead stays valid that long), at most `REMEMBERED` of them; only signed
  requests are remembered, so a forger cannot fill the memory.
What the body names as its sessionWebhook is checked in the channel (bot/dingtalk/outbound.py).
A good request is answered 200 at once; the answer follows in the background.
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

from bot.core.platform import Deduper
from bot.dingtalk.channel import DingTalk

log = logging.getLogger(__name__)

MAX_SKEW_SECONDS = 300.0
REMEMBERED = 100_000  # (timestamp, sign) pairs: far more than 20 messages a minute per chat bring
MAX_BODY_BYTES = 256 * 1024  # a robot message is a few KB; anything far bigger is not DingTalk


def sign(timestamp: str, secret: str) -> str:
    """The `sign` DingTalk sends with `timestamp`, for an app secret."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(
    timestamp: str | None,
    signature: str | None,
    secret: str,
    now_ms: int,
    max_skew_seconds: float = MAX_SKEW_SECONDS,
) -> bool:
    """True when `timestamp` is within `max_skew_seconds` of `now_ms` and `signature` is its sign."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 16:
        return False
    if abs(now_ms - int(timestamp)) > max_skew_seconds * 1000:
        return False
    return hmac.compare_digest(signature.encode(), sign(timestamp, secret).encode())


def create_app(
    channel: DingTalk,
    secret: str,
    path: str,
    clock: Callable[[], float] = time.time,
    max_skew_seconds: float = MAX_SKEW_SECONDS,
) -> Starlette:
    """The app receiving robot messages at /<path>."""
    seen = Deduper(ttl=2 * max_skew_seconds, size=REMEMBERED, clock=clock)

    async def receive(request: Request) -> JSONResponse:
        """A signed robot message: acknowledged at once, answered in the background."""
        now_ms = int(clock() * 1000)
        timestamp, signature = request.headers.get("timestamp"), request.headers.get("sign")
        if not verify(timestamp, signature, secret, now_ms, max_skew_seconds):
            log.warning("a request with a wrong or stale signature was refused")
            return JSONResponse({"errcode": 403, "errmsg": "bad signature"}, status_code=403)
        if not seen.first_time(f"{timestamp}\n{signature}"):
            log.warning("a request whose timestamp and sign were seen before was refused (a replay)")
            return JSONResponse({"errcode": 403, "errmsg": "replayed"}, status_code=403)
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
