"""The web channel, `reportbot web`: a JSON HTTP API over the conversation core and a one-page
web chat on it (chat.html; Starlette, served by uvicorn), for trying reportbot without Telegram.

- `POST /api/chat` with `{"user": "…", "chat": "…", "text": "…"}` (a question) or `"press": id`
  (an action's id from an earlier reply) is one message to the core (`Core.handle`); it returns
  the reply's parts, notice and actions as JSON (bot/web/reply.py). `user` and `chat` are the
  page's random ids (a browser's, a tab's), the core's user and chat.
- `GET /api/files/<token>` downloads a file a reply carried (an export, a report's original).
- `GET /api/start` is what the empty page shows: the collection's count, places and years,
  and example questions.
- `POST /api/ask` with `{"q": "…", "k": 3}` (optionally `"offset"` for the next page and
  `"previous"`, the last question, so that `那蓝山县呢？` is understood) returns exactly the object
  `reportbot ask --json` prints; unlogged, for tools.
- `GET /api/reports` lists the stored reports.
- `GET /` is the chat page.

Bound to 127.0.0.1 by default: it has no accounts, so it is for a desk, not the internet.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from importlib import resources
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Message
from bot.core.platform import user_key
from bot.core.shapes import answer_json, report_json
from bot.web import texts as web_texts
from bot.web.reply import FileStash, reply_json
from retrieval import texts
from retrieval.library import Library
from retrieval.models import Report
from retrieval.places import default_gazetteer
from retrieval.understand import MAX_QUESTION_CHARS

MAX_BODY_BYTES = 16 * 1024  # a question is at most MAX_QUESTION_CHARS; anything far bigger is abuse
MAX_K = 50
MAX_PRESS_CHARS = 200  # an action id is at most 52 bytes; anything longer is not one
EXAMPLES_SHOWN = 3
SESSION = re.compile(r"[A-Za-z0-9_-]{8,64}")
LOOPBACK = ["127.0.0.1", "localhost"]  # (an IPv6 Host header has a colon TrustedHost misreads)
# The page runs only its own script, talks only to this server, and is framed by no one.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# A document with lines of text, in the page's blue: drawn as SVG, which every current browser
# takes for an icon, so that no binary file ships for it.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect x="5" y="2" width="22" height="28" rx="3" fill="#0e5fd8"/>'
    '<path d="M10 10h12M10 15h12M10 20h8" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/>'
    "</svg>"
)


class BadRequest(ValueError):
    """A request the API cannot take; its message says why, in one line."""


def _page() -> tuple[str, str]:
    """The chat page with its words filled in, and its Content-Security-Policy (which allows
    the page's one inline script by its hash, and nothing else)."""
    template = resources.files("bot.web").joinpath("chat.html").read_text("utf-8")
    words = web_texts.PAGE
    page = template.replace("{{texts}}", _script_json(words))
    for key in ("title", "send", "placeholder"):
        page = page.replace("{{" + key + "}}", html.escape(words[key]))
    script = page[page.index("<script>") + len("<script>") : page.index("</script>")]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    return page, csp


def _script_json(value: Any) -> str:
    """JSON that cannot end the <script> it is written into."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def _session(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not SESSION.fullmatch(value):
        raise BadRequest(web_texts.BAD_SESSION)
    return value


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest(web_texts.BAD_CONTENT_TYPE)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadRequest(web_texts.TOO_LARGE)
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY_BYTES:
            raise BadRequest(web_texts.TOO_LARGE)
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(web_texts.BAD_JSON) from None
    if not isinstance(body, dict):
        raise BadRequest(web_texts.NOT_AN_OBJECT)
    return body


def _message(body: dict[str, Any]) -> Message:
    """The core's message for a chat request: a question or a press, from the page's ids."""
    user, chat = _session(body, "user"), _session(body, "chat")
    has_text, has_press = "text" in body, "press" in body
    if has_text == has_press:
        raise BadRequest(web_texts.TEXT_OR_PRESS)
    user_id, chat_id = user_key("web", user), user_key("web-chat", chat)
    if has_press:
        press = body["press"]
        if not isinstance(press, str) or not press or len(press) > MAX_PRESS_CHARS:
            raise BadRequest(f"'press' must be an action id of at most {MAX_PRESS_CHARS} characters")
        return Message(user_id, chat_id, press=press)
    text = _question(body, "text", required=True)
    assert text is not None
    return Message(user_id, chat_id, text=text)


def examples(reports: list[Report]) -> list[str]:
    """Questions the collection answers: the usual examples whose place it has, then a
    question about each of its newest places."""
    places = {p for r in reports for p in r.places}
    stems = {p[:2] for p in places if len(p) > 2}
    chosen = [e for e in texts.EXAMPLES if e[:2] in stems]
    for r in sorted(reports, key=lambda r: (-(r.year or 0), -r.id)):
        example = texts.example_question(r.place) if r.place else ""
        if example and example not in chosen and not any(r.place[:2] == c[:2] for c in chosen):
            chosen.append(example)
    return chosen[:EXAMPLES_SHOWN]


def provinces(reports: list[Report]) -> list[dict[str, Any]]:
    """The reports' places grouped by province (a municipality is its own), the provinces
    with most places first; a report of the province itself shows as 本级, places of no known
    province come last, under 其他."""
    known = set(default_gazetteer().province_aliases().values())
    groups: dict[str, set[str]] = {}
    for r in reports:
        if not r.place:
            continue
        province = r.places[0] if r.places and r.places[0] in known else web_texts.OTHER_PLACES
        groups.setdefault(province, set()).add(web_texts.PROVINCE_ITSELF if r.place == province else r.place)
    order = sorted(groups, key=lambda p: (p == web_texts.OTHER_PLACES, -len(groups[p]), p))
    return [
        {"province": p, "places": sorted(groups[p], key=lambda x: (x != web_texts.PROVINCE_ITSELF, x))}
        for p in order
    ]


def start_json(reports: list[Report]) -> dict[str, Any]:
    """What the empty page shows: the welcome with the collection's count and years, its
    places grouped by province, and example questions to tap."""
    places = sorted({r.place for r in reports if r.place})
    years = sorted({r.year for r in reports if r.year}, reverse=True)
    welcome = web_texts.WELCOME.format(
        reports=len(reports), years="、".join(map(str, years)) or core_texts.NONE
    )
    return {
        "count": len(reports),
        "places": places,
        "provinces": provinces(reports),
        "places_header": web_texts.PLACES_HEADER,
        "years": years,
        "welcome": welcome,
        "examples_header": web_texts.EXAMPLES_HEADER,
        "examples": examples(reports),
    }


def _attachment(name: str) -> str:
    """A Content-Disposition naming the file in any language (RFC 6266), ASCII beside it."""
    ascii_name = re.sub(
        r"_+", "_", "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def create_app(library: Library, allowed_hosts: list[str] | None = None) -> Starlette:
    """The web app answering from `library`; only requests naming one of `allowed_hosts` (all
    when None) are served, so that a web page elsewhere cannot rebind its name to this one."""
    page, csp = _page()
    core = Core(library)
    stash = FileStash()

    def refuse(message: str, status: int = 400) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    async def index(request: Request) -> Response:
        """The chat page."""
        return HTMLResponse(page, headers={**SECURITY_HEADERS, "Content-Security-Policy": csp})

    async def ask(request: Request) -> Response:
        """One question, answered as `ask --json` prints it (unlogged)."""
        try:
            body = await _body(request)
            q = _question(body, "q", required=True)
            previous = _question(body, "previous", required=False)
            k = _int(body, "k", 3, 1, MAX_K)
            offset = _int(body, "offset", 0, 0, 1000)
        except BadRequest as e:
            return refuse(str(e))
        assert q is not None
        # Answering is CPU-bound: off the event loop, so that other requests are served meanwhile.
        answer = await run_in_threadpool(core.answer, q, k, offset, previous)
        return JSONResponse(answer_json(answer))

    async def chat(request: Request) -> Response:
        """One message of the page's conversation (a question or a press) through the core."""
        try:
            message = _message(await _body(request))
        except BadRequest as e:
            return refuse(str(e))
        reply = await run_in_threadpool(core.handle, message)
        return JSONResponse(reply_json(reply, stash, None if message.press else message.text))

    async def files(request: Request) -> Response:
        """A file an earlier reply carried, as a download."""
        stored = stash.get(request.path_params["token"])
        if stored is None:
            return refuse(web_texts.FILE_GONE, 404)
        headers = {**SECURITY_HEADERS, "Content-Disposition": _attachment(stored.name)}
        return Response(stored.data, media_type=stored.media_type, headers=headers)

    async def favicon(request: Request) -> Response:
        """The page's icon (browsers ask for /favicon.ico whatever the page names)."""
        return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    async def start(request: Request) -> Response:
        """The collection, for the empty page."""
        return JSONResponse(start_json(await run_in_threadpool(library.reports)))

    async def reports(request: Request) -> Response:
        """Every stored report, newest first."""
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

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)] if allowed_hosts else []
    return Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/favicon.ico", favicon, methods=["GET"]),
            Route("/api/chat", chat, methods=["POST"]),
            Route("/api/files/{token}", files, methods=["GET"]),
            Route("/api/start", start, methods=["GET"]),
            Route("/api/ask", ask, methods=["POST"]),
            Route("/api/reports", reports, methods=["GET"]),
        ],
        middleware=middleware,
    )


def serve(library: Library, host: str, port: int) -> None:
    """Serve the app until interrupted; on a loopback address, only to names of this machine."""
    import uvicorn

    allowed = LOOPBACK if host in LOOPBACK else None
    app = create_app(library, allowed)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
