"""The web channel, `reportbot web`: a JSON HTTP API over the conversation core and a one-page
web chat on it (chat.html; Starlette, served by uvicorn), for trying reportbot without Telegram.

- `POST /api/ask` with `{"q": "…", "k": 3}` (optionally `"offset"` for the next page and
  `"previous"`, the last question, so that `那蓝山县呢？` is understood) returns exactly the object
  `reportbot ask --json` prints.
- `GET /api/reports` lists the stored reports.
- `GET /` is the chat page.

Bound to 127.0.0.1 by default: it has no accounts, so it is for a desk, not the internet.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.core.conversation import Core
from bot.core.shapes import answer_json, report_json
from retrieval.library import Library
from retrieval.understand import MAX_QUESTION_CHARS

MAX_BODY_BYTES = 16 * 1024  # a question is at most MAX_QUESTION_CHARS; anything far bigger is abuse
MAX_K = 50


class BadRequest(ValueError):
    """A request the API cannot take; its message says why, in one line."""


def _page() -> str:
    return resources.files("bot.web").joinpath("chat.html").read_text("utf-8")


def _int(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    # bool is an int in Python; `"k": true` is a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(f"'{key}' must be an integer from {low} to {high}")
    return value


def _question(body: dict[str, Any], key: str, required: bool) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{key}' must be a string")
    # Lone surrogates cannot be encoded to UTF-8 for the answer: drop them here.
    return value.encode("utf-8", "ignore").decode("utf-8")[: MAX_QUESTION_CHARS * 4]


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("send a JSON body (Content-Type: application/json)")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise BadRequest("request body too large")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def create_app(library: Library) -> Starlette:
    """The web app answering from `library`."""
    page = _page()
    core = Core(library)

    async def index(request: Request) -> Response:
        return HTMLResponse(page)

    async def ask(request: Request) -> Response:
        try:
            body = await _body(request)
            q = _question(body, "q", required=True)
            previous = _question(body, "previous", required=False)
            k = _int(body, "k", 3, 1, MAX_K)
            offset = _int(body, "offset", 0, 0, 1000)
        except BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        assert q is not None
        # Answering is CPU-bound: off the event loop, so that other requests are served meanwhile.
        answer = await run_in_threadpool(core.answer, q, k, offset, previous)
        return JSONResponse(answer_json(answer))

    async def reports(request: Request) -> Response:
        rows = await run_in_threadpool(library.reports)
        return JSONResponse(
            {
                "count": len(rows),
                "reports": [
                    {**report_json(r), "passages": r.passage_count}
                    for r in sorted(rows, key=lambda r: (-(r.year or 0), r.id))
                ],
            }
        )

    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/api/ask", ask, methods=["POST"]),
            Route("/api/reports", reports, methods=["GET"]),
        ]
    )


def serve(library: Library, host: str, port: int) -> None:
    """Serve the app until interrupted."""
    import uvicorn

    uvicorn.run(create_app(library), host=host, port=port, log_level="warning", access_log=False)
