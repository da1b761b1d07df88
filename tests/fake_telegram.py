"""A fake Telegram Bot API server for end-to-end tests.

The bot under test keeps python-telegram-bot's real networking stack (httpx, request
encoding, error mapping, rate limiter); only the far end of the wire is replaced. The
server speaks the Bot API's HTTP dialect for the methods the bot uses, and it refuses
what Telegram refuses (malformed HTML, over-long texts, oversized callback data, ...), so
those bugs surface in tests instead of in production.

Typical use::

    with FakeTelegram() as tg:
        app = (
            ApplicationBuilder()
            .token(tg.token)
            .base_url(tg.base_url)
            .base_file_url(tg.base_file_url)
            .build()
        )
        ...  # start the application (polling)
        tg.send_private_text(42, "/start")
        [call] = await tg.wait_for_calls("sendMessage")

Only the standard library is used. The HTTP server runs in daemon threads and all state
sits behind one lock, so the helpers may be called from any thread or event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
import json
import mimetypes
import re
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message as _MimeHeaders
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSONDict = dict[str, Any]

__all__ = [
    "DEFAULT_BOT_ID",
    "DEFAULT_TOKEN",
    "BotMessage",
    "Call",
    "EntityParseError",
    "FakeTelegram",
    "FormattedText",
    "TelegramAPIError",
    "UploadedFile",
    "fake_telegram_server",
    "parse_html",
    "utf16_len",
]

# Shaped like a real token (10-digit bot id, 35-character secret) so that code validating
# the token format accepts it.
DEFAULT_BOT_ID = 7_100_000_999
_TOKEN_SECRET = "AAFakeTokenForEndToEndTests_0123456"
DEFAULT_TOKEN = f"{DEFAULT_BOT_ID}:{_TOKEN_SECRET}"

# Limits as documented in the Bot API (https://core.telegram.org/bots/api).
MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units of visible text
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_INLINE_RESULT_ID_BYTES = 64
MAX_NEXT_OFFSET_BYTES = 64
MAX_INLINE_KEYBOARD_BUTTONS = 100
MAX_COMMANDS = 100
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files
# Long polls never block longer than this, whatever `timeout` the client asks for, so a
# test that forgets to stop polling cannot hang a worker thread for long.
HARD_MAX_LONG_POLL = 5.0
# Requests bigger than this are refused rather than read into memory.
MAX_REQUEST_BYTES = 64 * 1024 * 1024

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_TEXT_BUTTONS_UNALLOWED = (
    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
)

# Parameters Telegram treats as strings. PTB sends every other value JSON-encoded in a
# form field, so everything not listed here is JSON-decoded when it arrives as a form or
# query field (falling back to the raw string, as for chat_id="@channel").
_STRING_PARAMS = frozenset(
    {
        "action",
        "business_connection_id",
        "caption",
        "callback_query_id",
        "certificate",
        "data",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "inline_query_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "photo",
        "query",
        "result_id",
        "secret_token",
        "short_description",
        "switch_pm_parameter",
        "switch_pm_text",
        "text",
        "thumbnail",
        "title",
        "url",
    }
)
# Parameters that hold JSON objects/arrays. Some clients send them as JSON strings even in
# a JSON body; they are decoded so recorded calls always hold the structure.
_JSON_PARAMS = frozenset(
    {
        "allowed_updates",
        "button",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Inline keyboard button fields that give a button something to do; a button with none of
# them is a "text button", which inline keyboards refuse.
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# Update types Telegram delivers when allowed_updates was never set (or set to []).
_NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
# Button URLs: http(s)/tg links, or a bare domain Telegram would prefix with http://.
_BUTTON_URL_RE = re.compile(r"^(?:https?|tg)://\S+$|^[\w.-]+\.[A-Za-z]{2,}(?:/\S*)?$")


# --------------------------------------------------------------------------- errors


class TelegramAPIError(Exception):
    """An error reply. Raised inside method handlers (including ones registered with
    :meth:`FakeTelegram.register_method`) and turned into Telegram's error JSON:
    ``{"ok": false, "error_code": ..., "description": ..., "parameters": ...}``."""

    def __init__(self, error_code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


def _bad_request(detail: str) -> TelegramAPIError:
    return TelegramAPIError(400, f"Bad Request: {detail}")


class EntityParseError(ValueError):
    """The HTML markup is invalid. ``str(exc)`` is the detail Telegram appends to
    ``"Bad Request: can't parse entities: "``."""


# --------------------------------------------------------------------------- text


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units: the unit of Telegram's length limits and
    entity offsets (a character outside the BMP, such as most emoji, counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True)
class FormattedText:
    """Visible text after markup parsing and whitespace trimming, with the Telegram
    MessageEntity dicts (offsets and lengths in UTF-16 code units) the markup produced."""

    text: str
    entities: list[JSONDict]


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only <span class="tg-spoiler"> gets this far
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]{2,8});")
# Telegram trims only ASCII whitespace around a message (full-width spaces survive).
_TRIMMED = " \t\r\n\v\f"


def _is_space(ch: str) -> bool:
    return ch != "" and ch in _TRIMMED


def _decode_html_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``source[pos]`` (which is '&'). Returns the
    character and the index after the reference, or None when it is not one Telegram
    accepts (&lt; &gt; &amp; &quot; and numeric references)."""
    match = _HTML_ENTITY_RE.match(source, pos)
    if match is None:
        return None
    body = match.group(0)[1:-1]
    if body.startswith(("#x", "#X")):
        code_point = int(body[2:], 16)
    elif body.startswith("#"):
        code_point = int(body[1:])
    else:
        char = _NAMED_HTML_ENTITIES.get(body)
        return None if char is None else (char, match.end())
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        return None
    return chr(code_point), match.end()


@dataclass
class _OpenTag:
    name: str
    argument: str | None
    utf16_start: int
    source_pos: int  # index of the tag's '<' in the source
    out_start: int  # index into the output characters, for <a> without href
    has_href: bool


def parse_html(source: str, *, strict: bool = True) -> FormattedText:
    """Parse Telegram-flavoured HTML the way the Bot API does and return the visible text
    (tags stripped, character references decoded, surrounding whitespace trimmed) and its
    entities. Raises :class:`EntityParseError` with Telegram's wording for what Telegram
    refuses: unknown tags, unclosed or misnested tags, a stray '<', <span> without
    class="tg-spoiler", ...

    With ``strict`` (the default) two things Telegram itself tolerates are refused too, since
    they almost always mean the bot forgot to escape its output: a '&' that does not start
    a valid character reference (Telegram keeps it as a literal '&') and <a> without href.
    """
    # Hand-rolled after TDLib's parser: html.parser recovers from errors Telegram rejects.
    n = len(source)
    out: list[str] = []
    entities: list[JSONDict] = []
    stack: list[_OpenTag] = []
    pos16 = 0
    i = 0

    def at(pos: int) -> str:
        # "" past the end plays the role of TDLib's NUL terminator.
        return source[pos] if pos < n else ""

    def byte_offset(pos: int) -> int:
        return len(source[:pos].encode("utf-8", "surrogatepass"))

    while i < n:
        ch = source[i]
        if ch == "&":
            decoded = _decode_html_entity(source, i)
            if decoded is not None:
                out.append(decoded[0])
                pos16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise EntityParseError(
                    f'Character "&" at byte offset {byte_offset(i)} does not start an HTML '
                    "entity; escape it as &amp;"
                )
        if ch != "<":
            out.append(ch)
            pos16 += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            # Start tag: name, then attributes up to '>'.
            while at(i) and not _is_space(at(i)) and at(i) != ">":
                i += 1
            if not at(i):
                raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            name = source[begin + 1 : i].lower()
            if name not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
            argument: str | None = None
            has_href = False
            while at(i) != ">":
                while _is_space(at(i)):
                    i += 1
                if at(i) == ">":
                    break
                attr_start = i
                while at(i) and not _is_space(at(i)) and at(i) not in "=>":
                    i += 1
                if not at(i):
                    raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                attr = source[attr_start:i].lower()
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}'
                    )
                while _is_space(at(i)):
                    i += 1
                if at(i) != "=":
                    # A value-less attribute; only <blockquote expandable> gives it meaning.
                    if not at(i):
                        raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                    if name == "blockquote" and attr == "expandable":
                        argument = "expandable"
                    continue
                i += 1
                while _is_space(at(i)):
                    i += 1
                if not at(i):
                    raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if at(i) not in ("'", '"'):
                    token_start = i
                    while at(i) and ((at(i).isascii() and at(i).isalnum()) or at(i) in ".-"):
                        i += 1
                    value = source[token_start:i].lower()
                    if not _is_space(at(i)) and at(i) != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {byte_offset(token_start)}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while at(i) and at(i) != quote:
                        if at(i) == "&":
                            decoded = _decode_html_entity(source, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if not at(i):
                    raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if name == "a" and attr == "href":
                    argument, has_href = value, True
                elif name == "code" and attr == "class" and value.startswith("language-"):
                    argument = value.removeprefix("language-")
                elif name == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value.removeprefix("tg-")
                elif name == "tg-emoji" and attr == "emoji-id":
                    argument = value
                elif name == "blockquote" and attr == "expandable":
                    argument = "expandable"
            i += 1  # the '>'
            if name == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            if strict and name == "a" and not has_href:
                raise EntityParseError(
                    f'Tag "a" must have attribute "href" at byte offset {byte_offset(begin)}'
                )
            stack.append(_OpenTag(name, argument, pos16, begin, len(out), has_href))
            continue

        # End tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        i += 1
        name_start = i
        while at(i) and not _is_space(at(i)) and at(i) != ">":
            i += 1
        end_name = source[name_start:i].lower()
        while _is_space(at(i)):
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        i += 1
        tag = stack.pop()
        if end_name and end_name != tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        _close_entity(tag, pos16, entities, out)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim("".join(out), entities)


def _close_entity(tag: _OpenTag, pos16: int, entities: list[JSONDict], out: list[str]) -> None:
    """Turn a just-closed tag into an entity, like Telegram: empty ones are dropped and
    <pre><code class="language-x"> becomes a single pre entity with a language."""
    length = pos16 - tag.utf16_start
    if length <= 0:
        return
    span: JSONDict = {"offset": tag.utf16_start, "length": length}
    name = tag.name
    if name in _SIMPLE_ENTITY_TYPES:
        entities.append({"type": _SIMPLE_ENTITY_TYPES[name], **span})
    elif name == "tg-emoji":
        if not (tag.argument or "").isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append({"type": "custom_emoji", **span, "custom_emoji_id": tag.argument})
    elif name == "a":
        url = (tag.argument if tag.has_href else "".join(out[tag.out_start :])) or ""
        url = url.strip()
        if url:
            if "://" not in url and not url.startswith("tg:"):
                url = "http://" + url  # Telegram normalises scheme-less links the same way
            entities.append({"type": "text_link", **span, "url": url})
    elif name == "blockquote":
        kind = "expandable_blockquote" if tag.argument == "expandable" else "blockquote"
        entities.append({"type": kind, **span})
    elif name == "pre":
        last = entities[-1] if entities else None
        if (
            last
            and last["type"] == "code"
            and (last["offset"], last["length"])
            == (
                span["offset"],
                length,
            )
        ):
            last["type"] = "pre"  # <pre><code class=...>: the code entity becomes the pre
            return
        entities.append({"type": "pre", **span})
    elif name == "code":
        last = entities[-1] if entities else None
        if last and last["type"] == "pre" and last["offset"] == span["offset"] and last["length"] == length:
            if tag.argument:
                last["language"] = tag.argument
            return
        entity: JSONDict = {"type": "code", **span}
        if tag.argument:
            entity["language"] = tag.argument
        entities.append(entity)


def _trim(text: str, entities: list[JSONDict]) -> FormattedText:
    """Strip surrounding ASCII whitespace as Telegram does, shifting and clipping entities."""
    stripped = text.strip(_TRIMMED)
    lead16 = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    total16 = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead16, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead16, total16)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    for entity in kept:
        # "language" only belongs on pre entities; plain <code class=...> drops it.
        if entity["type"] == "code":
            entity.pop("language", None)
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return FormattedText(stripped, kept)


def _auto_entities(text: str) -> list[JSONDict]:
    """Entities Telegram's clients attach to plain typed text: bot_command for /commands
    (at the start or after whitespace) and mention for @usernames."""
    entities: list[JSONDict] = []
    taken: list[tuple[int, int]] = []
    for match in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?", text):
        taken.append(match.span())
        entities.append(_entity_at(text, "bot_command", *match.span()))
    for match in re.finditer(r"(?<![\w@/])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w])", text):
        if any(start <= match.start() < end for start, end in taken):
            continue  # the @bot part of /command@bot belongs to the command
        entities.append(_entity_at(text, "mention", *match.span()))
    entities.sort(key=lambda e: e["offset"])
    return entities


def _entity_at(text: str, kind: str, start: int, end: int) -> JSONDict:
    return {
        "type": kind,
        "offset": utf16_len(text[:start]),
        "length": utf16_len(text[start:end]),
    }


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data request."""

    field_name: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class Call:
    """One request the bot made. ``params`` holds the decoded parameters (JSON-encoded
    form values such as reply_markup are decoded); uploaded files are in ``files``.
    ``error_code`` is None when the server answered ok (then ``result`` holds the result).
    Downloads of files are recorded with method ``"fileDownload"``."""

    method: str
    params: JSONDict
    files: dict[str, UploadedFile] = field(default_factory=dict)
    http_method: str = "POST"
    error_code: int | None = None
    description: str | None = None
    result: Any = None
    timestamp: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the server answered this call successfully."""
        return self.error_code is None


@dataclass
class BotMessage:
    """A message the bot sent, as the server stores it (edits update it in place and push
    the previous version onto ``history``).

    ``text`` is the visible text (markup parsed, surrounding whitespace trimmed); ``html``
    is the text (or caption) exactly as the bot sent it; ``entities`` are those of the text,
    or of the caption for documents."""

    message_id: int
    chat: JSONDict
    date: int
    from_user: JSONDict
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[JSONDict] = field(default_factory=list)
    reply_markup: JSONDict | None = None
    reply_to_message_id: int | None = None
    message_thread_id: int | None = None  # the forum topic it was sent in
    caption: str | None = None
    document: JSONDict | None = None
    photo: list[JSONDict] | None = None  # the sizes Telegram made of a photo sent
    edit_date: int | None = None
    deleted: bool = False
    history: list[JSONDict] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """The id of the chat the message is in."""
        return int(self.chat["id"])

    @property
    def callback_data(self) -> list[str]:
        """All callback_data values of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes | None
    file_path: str | None
    file_size: int | None
    file_name: str | None = None
    mime_type: str | None = None

    def as_file(self) -> JSONDict:
        result: JSONDict = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_size is not None:
            result["file_size"] = self.file_size
        if self.file_path is not None:
            result["file_path"] = self.file_path
        return result

    def as_document(self) -> JSONDict:
        result: JSONDict = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name is not None:
            result["file_name"] = self.file_name
        if self.mime_type is not None:
            result["mime_type"] = self.mime_type
        if self.file_size is not None:
            result["file_size"] = self.file_size
        return result


@dataclass
class _FailureRule:
    method: str  # lower-cased
    error_code: int
    description: str
    parameters: JSONDict | None
    remaining: int
    match: Callable[[JSONDict], bool] | None
    until: float | None = None  # time.monotonic() before which the rule holds (then `remaining` is ignored)
    drop: bool = False  # hang up without answering, before the call is carried out


class _DropConnection(Exception):
    """Raised inside the server: close the connection without an answer."""


MethodHandler = Callable[[JSONDict, dict[str, UploadedFile]], Any]


# --------------------------------------------------------------------------- HTTP


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a hung handler must never keep the test process alive
    allow_reuse_address = True

    def __init__(self, fake: FakeTelegram, address: tuple[str, int]) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up mid-request all the time (a cancelled long poll on shutdown);
        # that is not worth a traceback in the test output.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    # Headers and body go out in separate writes; with Nagle's algorithm the body would
    # wait for the client's delayed ACK, adding ~40 ms to every request.
    disable_nagle_algorithm = True
    timeout = 5  # idle keep-alive connections are dropped after this, ending the thread
    server: _HTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, verb: str) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            status, ctype, payload = _json_error(400, f"Bad Request: {exc}")
            self.close_connection = True
        else:
            status, ctype, payload = self.server.fake._handle_http(
                verb, self.path, self.headers.get("Content-Type", ""), body
            )
        if status == 0:  # an injected dropped connection: no answer at all
            self.close_connection = True
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            # The client went away (e.g. PTB cancelled a long poll); nobody to answer.
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:  # bounded: every chunk consumes input and the total is capped
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers, ended by a blank line
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BYTES:
                    raise ValueError("request is too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            raise ValueError("request is too large")
        return self.rfile.read(length) if length > 0 else b""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; every call is in FakeTelegram.calls anyway


def _json_response(status: int, body: JSONDict) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(body, ensure_ascii=False).encode("utf-8")


def _json_error(code: int, description: str, parameters: JSONDict | None = None) -> tuple[int, str, bytes]:
    body: JSONDict = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return _json_response(code, body)


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_request(query: str, content_type: str, body: bytes) -> tuple[JSONDict, dict[str, UploadedFile]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body, decoded
    the way the Bot API reads them. Raises ValueError for an unparsable body."""
    params: JSONDict = {
        k: _decode_field(k, v) for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True)
    }
    files: dict[str, UploadedFile] = {}
    mime = content_type.split(";")[0].strip().lower()
    if not body:
        pass
    elif mime == "application/json":
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("JSON body must be an object")
        for key, value in data.items():
            if key in _JSON_PARAMS and isinstance(value, str) and value.startswith(("[", "{")):
                value = json.loads(value)
            params[key] = value
    elif mime == "multipart/form-data":
        fields, files = _parse_multipart(content_type, body)
        params.update({k: _decode_field(k, v) for k, v in fields.items()})
    else:  # application/x-www-form-urlencoded, or anything else that looks like it
        text = body.decode("utf-8", "replace")
        for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
            params[key] = _decode_field(key, value)
    return params, files


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    headers = _MimeHeaders()
    headers["Content-Type"] = content_type
    boundary = headers.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise ValueError("multipart body without boundary")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    # Parts sit between "\r\n--boundary" delimiters; the first part has no leading CRLF.
    for part in (b"\r\n" + body).split(b"\r\n--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break  # closing delimiter
        head, _, content = part.partition(b"\r\n\r\n")
        part_headers = _MimeHeaders()
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if sep:
                part_headers[key.strip()] = value.strip()
        disposition = part_headers.get("Content-Disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        filename = _disposition_param(disposition, "filename")
        if filename is None and "filename" in disposition:
            filename = part_headers.get_filename()
        if filename is not None or part_headers.get("Content-Type"):
            files[name] = UploadedFile(name, filename, part_headers.get("Content-Type"), content)
        else:
            fields[name] = content.decode("utf-8", "replace")
    return fields, files


def _disposition_param(disposition: str, key: str) -> str | None:
    # httpx writes HTML5-style params (raw UTF-8, '"' as %22); email's parser would mangle
    # those, so they are read with a regex.
    match = re.search(rf';\s*{key}="((?:[^"\\]|\\.)*)"', disposition)
    if match is None:
        match = re.search(rf";\s*{key}=([^;\s]+)", disposition)
    if match is None:
        return None
    return match.group(1).replace("%22", '"').replace("\\\\", "\\")


# --------------------------------------------------------------------------- server


class FakeTelegram:
    """A fake Bot API server on 127.0.0.1 (ephemeral port).

    Point PTB at :attr:`base_url` and :attr:`base_file_url`. Every request is recorded in
    :attr:`calls`; bot messages are kept per chat (:meth:`messages_in`); updates are queued
    with the ``send_*`` builders and handed out by getUpdates. Use as a context manager or
    call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_id: int | None = None,
        username: str = "reportbot_test_bot",
        first_name: str = "ReportBot",
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = True,
        long_poll_cap: float = 2.0,
        strict_html: bool = True,
    ) -> None:
        """``token`` defaults to :data:`DEFAULT_TOKEN`, or to one starting with ``bot_id``
        if given; with only a token, the bot id is taken from its prefix. Long polls wait at
        most ``min(timeout, long_poll_cap, 5)`` seconds. ``strict_html``: see
        :func:`parse_html`.
        """
        if token is None:
            bot_id = DEFAULT_BOT_ID if bot_id is None else bot_id
            token = f"{bot_id}:{_TOKEN_SECRET}"
        elif bot_id is None:
            prefix = token.partition(":")[0]
            bot_id = int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID
        self.token = token
        self.strict_html = strict_html
        self.long_poll_cap = max(0.0, min(long_poll_cap, HARD_MAX_LONG_POLL))
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self._me: JSONDict = {
            **self.bot_user,
            "can_join_groups": can_join_groups,
            "can_read_all_group_messages": can_read_all_group_messages,
            "supports_inline_queries": supports_inline_queries,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # One lock guards all state; the condition wakes long polls and sync waiters.
        self._cond = threading.Condition(threading.RLock())
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._files: dict[str, _StoredFile] = {}
        self._custom_methods: dict[str, tuple[str, MethodHandler]] = {}
        self._ids = itertools.count(1)  # file ids, query ids: unique for the server's life
        self._next_message_id: dict[int, int] = {}
        self._next_update_id = 1
        self._poll_generation = 0  # kept across reset() so a running long poll stays valid
        self._active_polls = 0
        self._clear_state()

        self._methods: dict[str, tuple[str, MethodHandler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._ok,
                "close": self._ok,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "sendChatAction": self._send_chat_action,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "getFile": self._get_file,
                "answerCallbackQuery": self._answer_callback_query,
                "answerInlineQuery": self._answer_inline_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": self._ok,
                "setMyShortDescription": self._ok,
                "setMyName": self._ok,
                "setChatMenuButton": self._ok,
            }.items()
        }

    def _clear_state(self) -> None:
        self._calls: list[Call] = []
        self._updates: list[JSONDict] = []  # queued, not yet acknowledged
        self._delivered: set[int] = set()
        self._allowed_updates: list[str] = []
        self._messages: dict[int, dict[int, BotMessage | JSONDict]] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._open_callback_queries: dict[str, JSONDict] = {}
        self._open_inline_queries: dict[str, JSONDict] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._webhook: JSONDict | None = None
        self._failures: list[_FailureRule] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegram:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread. Returns self."""
        if self._httpd is not None:
            return self
        self._stopping = False
        self._httpd = _HTTPServer(self, ("127.0.0.1", 0))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # shutdown() waits up to one poll interval
            name="fake-telegram",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving. Wakes pending long polls (they answer with no updates) and
        returns within about a second; idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=1.0)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (only while started)."""
        if self._httpd is None:
            raise RuntimeError("FakeTelegram is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``: PTB appends
        the token, giving ``{url}/bot{token}/{method}``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``base_file_url``: downloads go to ``{url}/file/bot{token}/{file_path}``."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ configuration

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int = 1,
        times: int = 1,
        *,
        description: str | None = None,
        match: Callable[[JSONDict], bool] | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (for which ``match(params)`` is true,
        if given) fail with ``error_code`` before any validation. 429 answers carry
        ``parameters.retry_after`` (PTB raises RetryAfter); other codes get a Telegram-like
        default description. The failed calls are recorded with their error_code, so a
        test can check that the retry came."""
        parameters: JSONDict | None = None
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict: injected failure",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
            }.get(error_code, f"Error {error_code}: injected failure")
        if error_code == 429:
            parameters = {"retry_after": retry_after}
        with self._cond:
            self._failures.append(
                _FailureRule(method.lower(), error_code, description, parameters, times, match)
            )

    def fail_for(
        self,
        method: str,
        seconds: float,
        error_code: int = 502,
        *,
        retry_after: int = 1,
        match: Callable[[JSONDict], bool] | None = None,
    ) -> None:
        """Make every call of ``method`` fail with ``error_code`` for the next ``seconds``
        (an outage, as Telegram's 502/503 spells go), before it is carried out."""
        self.fail_next(method, error_code, retry_after, times=1, match=match)
        with self._cond:
            self._failures[-1].until = time.monotonic() + seconds

    def drop_connections(
        self,
        method: str,
        times: int = 1,
        *,
        seconds: float | None = None,
        match: Callable[[JSONDict], bool] | None = None,
    ) -> None:
        """Hang up on the next ``times`` calls of ``method`` (or on every call for ``seconds``)
        without answering and without carrying them out, as a dropped connection does."""
        with self._cond:
            self._failures.append(
                _FailureRule(
                    method.lower(),
                    0,
                    "connection dropped",
                    None,
                    times,
                    match,
                    until=None if seconds is None else time.monotonic() + seconds,
                    drop=True,
                )
            )

    def register_method(self, name: str, handler: Callable[[JSONDict], Any]) -> None:
        """Serve Bot API method ``name`` (case-insensitive, as in Telegram) with
        ``handler(params) -> result``; it may raise :class:`TelegramAPIError`. Overrides a
        built-in method of the same name. Runs under the server lock."""
        with self._cond:
            self._custom_methods[name.lower()] = (name, lambda params, _files: handler(params))

    def reset(self) -> None:
        """Forget calls, messages, queued updates, open queries, commands, webhook and
        injected failures. Users, chats, registered files and registered methods stay;
        message and update ids keep counting so ids are never reused."""
        with self._cond:
            self._clear_state()
            self._cond.notify_all()

    # ------------------------------------------------------------------ test data

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JSONDict:
        """Register (or update) a user and their private chat with the bot; returns the
        Telegram User dict. Builders register unknown users automatically as
        ``first_name=f"User{id}"``."""
        with self._cond:
            user: JSONDict = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name or f"User{user_id}",
            }
            for key, value in (
                ("last_name", last_name),
                ("username", username),
                ("language_code", language_code),
            ):
                if value is not None:
                    user[key] = value
            self._users[user_id] = user
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            self._chats[user_id] = chat
            return copy.deepcopy(user)

    def group(
        self,
        chat_id: int,
        title: str | None = None,
        *,
        chat_type: str | None = None,
        username: str | None = None,
        is_forum: bool = False,
    ) -> JSONDict:
        """Register (or update) a group chat; returns the Telegram Chat dict. The type
        defaults to "supergroup" for ids starting with -100, else "group". A forum (a
        supergroup with topics) takes message_thread_id; other chats refuse it."""
        with self._cond:
            kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
            chat: JSONDict = {"id": chat_id, "type": kind, "title": title or f"Group {chat_id}"}
            if is_forum:
                chat["is_forum"] = True
            if username is not None:
                chat["username"] = username
            self._chats[chat_id] = chat
            return copy.deepcopy(chat)

    def add_file(
        self,
        file_id: str,
        content: bytes,
        file_path: str | None = None,
        file_size: int | None = None,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> JSONDict:
        """Make ``file_id`` known to getFile and its content downloadable. ``file_size``
        defaults to ``len(content)``; pass a larger one to provoke getFile's "file is too
        big" (> 20 MB). Returns the Telegram File dict (with the relative file_path)."""
        with self._cond:
            n = next(self._ids)
            suffix = ""
            if file_name and "." in file_name:
                suffix = "." + file_name.rsplit(".", 1)[1]
            stored = _StoredFile(
                file_id=file_id,
                file_unique_id=f"AgADfake{n}",
                content=bytes(content),
                file_path=file_path or f"documents/file_{n}{suffix}",
                file_size=len(content) if file_size is None else file_size,
                file_name=file_name,
                mime_type=mime_type,
            )
            self._files[file_id] = stored
            return stored.as_file()

    def file_content(self, file_id: str) -> bytes | None:
        """Content of a registered or uploaded file (e.g. a document the bot sent)."""
        with self._cond:
            stored = self._files.get(file_id)
            return None if stored is None else stored.content

    # ------------------------------------------------------------------ update builders

    def enqueue_update(self, payload: JSONDict) -> JSONDict:
        """Queue an arbitrary update; ``payload`` is the update without ``update_id``
        (e.g. ``{"edited_message": {...}}``). Returns the update as queued."""
        with self._cond:
            update = {"update_id": self._next_update_id, **copy.deepcopy(payload)}
            self._next_update_id += 1
            self._updates.append(update)
            self._cond.notify_all()
            return copy.deepcopy(update)

    def send_private_text(
        self,
        user_id: int,
        text: str,
        *,
        entities: list[JSONDict] | None = None,
        reply_to_message: BotMessage | JSONDict | None = None,
    ) -> JSONDict:
        """Queue a text message from ``user_id`` in their private chat with the bot.
        Entities default to the bot_command/mention entities a client would attach.
        Returns the update dict (``update["message"]`` is the Message)."""
        with self._cond:
            user = self._ensure_user(user_id)
            message = self._user_message(
                self._chats[user_id], user, reply_to_message, text=text, entities=entities
            )
            return self.enqueue_update({"message": message})

    def send_group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        reply_to_message: BotMessage | JSONDict | None = None,
        entities: list[JSONDict] | None = None,
        thread_id: int | None = None,
    ) -> JSONDict:
        """Queue a text message from ``user_id`` in group ``chat_id`` (registered on first
        use, see :meth:`group`), in forum topic ``thread_id`` if given. Entities default to
        bot_command for a /command (also /command@bot) and mention for @usernames, offsets in
        UTF-16 units. Every message is delivered (privacy mode is not simulated). Returns the
        update dict."""
        with self._cond:
            user = self._ensure_user(user_id)
            if chat_id not in self._chats:
                self.group(chat_id)
            topic = {} if thread_id is None else {"message_thread_id": thread_id, "is_topic_message": True}
            message = self._user_message(
                self._chats[chat_id], user, reply_to_message, text=text, entities=entities, **topic
            )
            return self.enqueue_update({"message": message})

    def send_media(
        self,
        chat_id: int,
        user_id: int,
        kind: str,
        payload: JSONDict,
        caption: str | None = None,
        reply_to_message: BotMessage | JSONDict | None = None,
    ) -> JSONDict:
        """Queue a message that is not text — ``kind`` is its Message field (voice, sticker,
        photo, location …) holding ``payload`` — optionally with a caption. Returns the update."""
        with self._cond:
            user = self._ensure_user(user_id)
            chat = self._chats.get(chat_id) or (self.group(chat_id) if chat_id < 0 else self._chats[user_id])
            extra: JSONDict = {kind: payload}
            if caption is not None:
                extra["caption"] = caption
                found = _auto_entities(caption)
                if found:
                    extra["caption_entities"] = found
            message = self._user_message(chat, user, reply_to_message, **extra)
            return self.enqueue_update({"message": message})

    def send_document(
        self,
        chat_id: int,
        user_id: int,
        file_id: str,
        file_name: str,
        mime_type: str,
        file_size: int | None = None,
        caption: str | None = None,
        *,
        content: bytes | None = None,
    ) -> JSONDict:
        """Queue a document message from ``user_id`` in ``chat_id`` (their private chat
        when ``chat_id == user_id``, else a group). With ``content`` the file is also
        registered for getFile/download (see :meth:`add_file`); otherwise register it
        yourself if the bot should download it. Returns the update dict."""
        with self._cond:
            user = self._ensure_user(user_id)
            if chat_id not in self._chats:
                self.group(chat_id)
            if content is not None:
                self.add_file(
                    file_id,
                    content,
                    file_size=file_size,
                    file_name=file_name,
                    mime_type=mime_type,
                )
            stored = self._files.get(file_id)
            document: JSONDict = {
                "file_id": file_id,
                "file_unique_id": stored.file_unique_id if stored else f"AgADfake{file_id}",
                "file_name": file_name,
                "mime_type": mime_type,
            }
            size = file_size if file_size is not None else (stored.file_size if stored else None)
            if size is not None:
                document["file_size"] = size
            extra: JSONDict = {"document": document}
            if caption:
                extra["caption"] = caption
                if caption_entities := _auto_entities(caption):
                    extra["caption_entities"] = caption_entities
            message = self._user_message(self._chats[chat_id], user, None, **extra)
            return self.enqueue_update({"message": message})

    def send_callback_query(
        self,
        user_id: int,
        message: BotMessage | JSONDict,
        data: str,
        *,
        chat_instance: str | None = None,
        require_button: bool = True,
    ) -> JSONDict:
        """Queue a press of an inline button carrying ``data`` on ``message`` (a message the
        bot sent; its current, possibly edited, version is attached). Raises ValueError if
        that version has no button with this callback_data, since no user could press it
        (``require_button=False`` to simulate a stale client anyway). The query must be
        answered at most once with answerCallbackQuery. Returns the update dict
        (``update["callback_query"]["id"]`` is the query id)."""
        with self._cond:
            user = self._ensure_user(user_id)
            attached = self._resolve_message(message)
            rows = (attached.get("reply_markup") or {}).get("inline_keyboard") or []
            offered = [b.get("callback_data") for row in rows for b in row]
            if require_button and data not in offered:
                raise ValueError(
                    f"message {attached['message_id']} in chat {attached['chat']['id']} has no "
                    f"button with callback_data {data!r}; its buttons carry {offered!r}"
                )
            query_id = str(4_000_000_000 + next(self._ids))
            query: JSONDict = {
                "id": query_id,
                "from": user,
                "message": attached,
                "chat_instance": chat_instance or str(attached["chat"]["id"]),
                "data": data,
            }
            self._open_callback_queries[query_id] = query
            return self.enqueue_update({"callback_query": query})

    def send_inline_query(
        self, user_id: int, query: str, offset: str = "", *, chat_type: str = "private"
    ) -> JSONDict:
        """Queue an inline query (``@bot query``) from ``user_id``. It must be answered at
        most once with answerInlineQuery. Returns the update dict
        (``update["inline_query"]["id"]`` is the query id)."""
        with self._cond:
            user = self._ensure_user(user_id)
            query_id = str(5_000_000_000 + next(self._ids))
            inline_query = {
                "id": query_id,
                "from": user,
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            }
            self._open_inline_queries[query_id] = inline_query
            return self.enqueue_update({"inline_query": inline_query})

    def send_chosen_inline_result(
        self,
        user_id: int,
        result_id: str,
        query: str,
        *,
        inline_message_id: str | None = None,
    ) -> JSONDict:
        """Queue a chosen_inline_result update (the user picked ``result_id``). Returns the
        update dict."""
        with self._cond:
            chosen: JSONDict = {
                "result_id": result_id,
                "from": self._ensure_user(user_id),
                "query": query,
            }
            if inline_message_id is not None:
                chosen["inline_message_id"] = inline_message_id
            return self.enqueue_update({"chosen_inline_result": chosen})

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        """Snapshot of every recorded call, oldest first."""
        with self._cond:
            return copy.deepcopy(self._calls)

    def calls_to(self, method: str, *, ok: bool | None = None, since: int = 0) -> list[Call]:
        """Recorded calls of ``method`` (case-insensitive) from index ``since`` on
        (see :meth:`mark`); ``ok`` filters on success/failure."""
        with self._cond:
            return copy.deepcopy(self._matching_calls(method, since, None, ok))

    def mark(self) -> int:
        """The number of calls recorded so far; pass it as ``since`` to only look at later
        calls."""
        with self._cond:
            return len(self._calls)

    def messages_in(self, chat_id: int, *, include_deleted: bool = False) -> list[BotMessage]:
        """Snapshot of the messages the bot sent to ``chat_id`` (current versions),
        oldest first."""
        with self._cond:
            return copy.deepcopy(self._bot_messages(chat_id, include_deleted))

    def message(self, chat_id: int, message_id: int) -> BotMessage | None:
        """Snapshot of one bot message, or None."""
        with self._cond:
            stored = self._messages.get(chat_id, {}).get(message_id)
            return copy.deepcopy(stored) if isinstance(stored, BotMessage) else None

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Queued updates the bot has not acknowledged yet."""
        with self._cond:
            return copy.deepcopy(self._updates)

    @property
    def polls_in_progress(self) -> int:
        """How many getUpdates requests are currently waiting (long polling)."""
        with self._cond:
            return self._active_polls

    @property
    def webhook(self) -> JSONDict | None:
        """Parameters of the last setWebhook, or None when no webhook is set."""
        with self._cond:
            return copy.deepcopy(self._webhook)

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command list set with setMyCommands for that scope and language."""
        with self._cond:
            return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

    def unanswered_callback_queries(self) -> list[JSONDict]:
        """Callback queries queued by :meth:`send_callback_query` and not yet answered."""
        with self._cond:
            return copy.deepcopy(list(self._open_callback_queries.values()))

    # ------------------------------------------------------------------ waiting

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        *,
        since: int = 0,
        predicate: Callable[[Call], bool] | None = None,
        ok: bool | None = None,
    ) -> list[Call]:
        """Wait until at least ``count`` calls of ``method`` (from index ``since``,
        matching ``predicate`` and ``ok`` if given) are recorded and return all matching
        calls. Raises AssertionError after ``timeout`` seconds, listing what was called.
        For async tests: it yields to the event loop, so the bot keeps running."""

        def check() -> list[Call] | None:
            found = self._matching_calls(method, since, predicate, ok)
            return copy.deepcopy(found) if len(found) >= count else None

        return await self._wait_async(
            check, timeout, lambda: f"{count} call(s) of {method}" + self._calls_summary()
        )

    def wait_for_calls_sync(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        *,
        since: int = 0,
        predicate: Callable[[Call], bool] | None = None,
        ok: bool | None = None,
    ) -> list[Call]:
        """Blocking variant of :meth:`wait_for_calls` for code outside the bot's event loop
        (calling it on the loop that runs the bot would stall the bot)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._matching_calls(method, since, predicate, ok)
                if len(found) >= count:
                    return copy.deepcopy(found)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out after {timeout}s waiting for {count} call(s) of {method}"
                        + self._calls_summary()
                    )
                self._cond.wait(remaining)

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[BotMessage]:
        """Wait until the bot has at least ``count`` (non-deleted) messages in ``chat_id``
        and return them all; AssertionError after ``timeout`` seconds."""

        def check() -> list[BotMessage] | None:
            found = self._bot_messages(chat_id, include_deleted=False)
            return copy.deepcopy(found) if len(found) >= count else None

        return await self._wait_async(
            check,
            timeout,
            lambda: f"{count} bot message(s) in chat {chat_id}" + self._calls_summary(),
        )

    async def wait_for_updates_delivered(self, timeout: float = 5.0) -> None:
        """Wait until getUpdates has handed out every queued update; AssertionError after
        ``timeout`` seconds (is the bot polling? did allowed_updates filter them?)."""

        def check() -> bool | None:
            return all(u["update_id"] in self._delivered for u in self._updates) or None

        await self._wait_async(check, timeout, lambda: f"delivery of updates {self._updates!r}")

    async def _wait_async(self, check: Callable[[], Any], timeout: float, describe: Callable[[], str]) -> Any:
        deadline = time.monotonic() + timeout
        while True:  # bounded by the deadline
            with self._cond:
                result = check()
                if result is not None:
                    return result
                if time.monotonic() >= deadline:
                    raise AssertionError(f"timed out after {timeout}s waiting for {describe()}")
            await asyncio.sleep(0.01)

    def _matching_calls(
        self,
        method: str,
        since: int,
        predicate: Callable[[Call], bool] | None,
        ok: bool | None = None,
    ) -> list[Call]:
        wanted = method.lower()
        return [
            c
            for c in self._calls[since:]
            if c.method.lower() == wanted
            and (ok is None or c.ok == ok)
            and (predicate is None or predicate(c))
        ]

    def _calls_summary(self) -> str:
        described = [
            c.method if c.ok else f"{c.method}->{c.error_code} {c.description}" for c in self._calls[-30:]
        ]
        return f"; calls so far (last 30): {described}"

    # ------------------------------------------------------------------ HTTP dispatch

    def _handle_http(
        self, verb: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        split = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(split.path)
        if path.startswith("/file/bot"):
            return self._serve_file(path.removeprefix("/file/bot"))
        if not path.startswith("/bot"):
            return _json_error(404, "Not Found")
        token, _, method = path.removeprefix("/bot").partition("/")
        try:
            params, files = _parse_request(split.query, content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _json_error(400, f"Bad Request: can't parse request: {exc}")

        with self._cond:
            custom = self._custom_methods.get(method.lower())
            entry = custom or self._methods.get(method.lower())
            name = entry[0] if entry else method
            call = Call(name, params, files, verb, timestamp=time.time())
            try:
                if token != self.token:
                    raise TelegramAPIError(401, "Unauthorized")
                try:
                    self._raise_injected_failure(name, params)
                except _DropConnection:
                    call.error_code, call.description = 0, "connection dropped"
                    self._record(call)
                    return 0, "", b""
                if entry is None:
                    raise TelegramAPIError(404, "Not Found")
                call.result = entry[1](params, files)
            except TelegramAPIError as exc:
                call.error_code, call.description = exc.error_code, exc.description
                self._record(call)
                return _json_error(exc.error_code, exc.description, exc.parameters)
            except Exception as exc:
                # A bug in the fake or a parameter shape it did not expect: answer 500 (PTB
                # raises NetworkError) and keep the reason in the recorded call.
                call.error_code = 500
                call.description = f"Internal Server Error: fake_telegram: {exc!r}"
                self._record(call)
                return _json_error(500, call.description)
            self._record(call)
            return _json_response(200, {"ok": True, "result": call.result})

    def _record(self, call: Call) -> None:
        call.params = copy.deepcopy(call.params)
        call.result = copy.deepcopy(call.result)
        self._calls.append(call)
        self._cond.notify_all()

    def _raise_injected_failure(self, method: str, params: JSONDict) -> None:
        now = time.monotonic()
        for rule in self._failures:
            if rule.method != method.lower():
                continue
            if (rule.until is None and rule.remaining <= 0) or (rule.until is not None and now >= rule.until):
                continue
            if rule.match is not None and not rule.match(params):
                continue
            rule.remaining -= 1
            if rule.drop:
                raise _DropConnection
            raise TelegramAPIError(rule.error_code, rule.description, rule.parameters)

    def _serve_file(self, rest: str) -> tuple[int, str, bytes]:
        token, _, file_path = rest.partition("/")
        with self._cond:
            call = Call("fileDownload", {"file_path": file_path}, http_method="GET")
            call.timestamp = time.time()
            stored = next((f for f in self._files.values() if f.file_path == file_path), None)
            if token != self.token:
                call.error_code, call.description = 401, "Unauthorized"
            elif stored is None or stored.content is None:
                call.error_code, call.description = 404, "Not Found"
            self._record(call)
            if call.error_code is not None:
                return _json_error(call.error_code, call.description or "")
            assert stored is not None and stored.content is not None
            return 200, "application/octet-stream", stored.content

    # ------------------------------------------------------------------ Bot API methods
    # Each takes (params, files), runs under the lock, returns the result or raises
    # TelegramAPIError.

    def _ok(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        return True

    def _get_me(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        return copy.deepcopy(self._me)

    def _get_updates(self, params: JSONDict, files: dict[str, UploadedFile]) -> list[JSONDict]:
        if self._webhook is not None:
            raise TelegramAPIError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(_float_param(params, "timeout", 0.0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):  # Telegram remembers the last list given
            self._allowed_updates = [str(a) for a in allowed]

        # A newer getUpdates ends an older one with 409, as on Telegram. PTB relies on
        # this: its final "acknowledge" call overtakes the long poll it cancelled.
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()

        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        deadline = time.monotonic() + min(timeout, self.long_poll_cap)
        self._active_polls += 1
        try:
            while True:  # bounded by the deadline; every wait has a timeout
                self._updates = [u for u in self._updates if self._is_allowed(u)]
                ready = self._updates[:limit]
                if ready or self._stopping:
                    break
                if generation != self._poll_generation:
                    raise TelegramAPIError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that only "
                        "one bot instance is running",
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        finally:
            self._active_polls -= 1
        self._delivered.update(u["update_id"] for u in ready)
        return copy.deepcopy(ready)

    def _is_allowed(self, update: JSONDict) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _NOT_DELIVERED_BY_DEFAULT

    def _set_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self._webhook = None
            return True
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = dict(params)
        return True

    def _delete_webhook(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        info: JSONDict = {
            "url": (self._webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook and self._webhook.get("allowed_updates"):
            info["allowed_updates"] = self._webhook["allowed_updates"]
        return info

    def _send_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._chat_param(params)
        raw = params.get("text")
        formatted = self._formatted(raw, params.get("parse_mode"), params.get("entities"))
        _check_length(formatted, MAX_MESSAGE_LENGTH, "message text is empty", "message is too long")
        markup = _checked_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat["id"], params)
        message = BotMessage(
            message_id=self._new_message_id(chat["id"]),
            chat=copy.deepcopy(chat),
            date=int(time.time()),
            from_user=copy.deepcopy(self.bot_user),
            message_thread_id=self._thread_param(chat, params),
            text=formatted.text,
            html=None if raw is None else str(raw),
            parse_mode=params.get("parse_mode"),
            entities=formatted.entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        self._messages.setdefault(chat["id"], {})[message.message_id] = message
        return self._api_message(message)

    def _send_document(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        chat = self._chat_param(params)
        document = self._document_param(params, files)
        caption = self._caption(params)
        return self._media_message(chat, params, caption, document=document)

    def _send_photo(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        """sendPhoto as Telegram takes it: an uploaded JPEG/PNG/WebP of at most 10 MB, width and
        height adding up to 10000 at most, neither side over 20 times the other; a caption of
        1024 characters at most. The message holds the photo's sizes, not the file."""
        chat = self._chat_param(params)
        ref = params.get("photo")
        upload = files.get("photo")
        if upload is None and isinstance(ref, str) and ref.startswith("attach://"):
            upload = files.get(ref.removeprefix("attach://"))
        if upload is None or not upload.content:
            raise _bad_request("there is no photo in the request")
        if len(upload.content) > 10 * 1024 * 1024:
            raise TelegramAPIError(413, "Request Entity Too Large")
        try:
            from PIL import Image

            with Image.open(io.BytesIO(upload.content)) as image:
                kind, (width, height) = image.format, image.size
        except Exception:
            raise _bad_request("IMAGE_PROCESS_FAILED") from None
        if kind not in ("JPEG", "PNG", "WEBP"):
            raise _bad_request("IMAGE_PROCESS_FAILED")
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        caption = self._caption(params)
        n = next(self._ids)
        file_id = f"AgACAgFakePhoto{n}"
        self.add_file(file_id, upload.content, file_name=None, mime_type=None)
        scale = min(1.0, 1280 / max(width, height))  # Telegram keeps sizes up to 1280 px
        sizes = [
            {
                "file_id": file_id,
                "file_unique_id": f"AQADfakePhoto{n}",
                "width": round(width * scale),
                "height": round(height * scale),
                "file_size": len(upload.content),
            }
        ]
        return self._media_message(chat, params, caption, photo=sizes)

    def _caption(self, params: JSONDict) -> FormattedText | None:
        """A media message's caption as Telegram formats it; one over 1024 characters is refused."""
        raw = params.get("caption")
        if raw in (None, ""):
            return None
        caption = self._formatted(raw, params.get("parse_mode"), params.get("caption_entities"))
        if utf16_len(caption.text) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return caption

    def _media_message(
        self, chat: JSONDict, params: JSONDict, caption: FormattedText | None, **media: object
    ) -> JSONDict:
        """Store and return a document or photo message with its caption and buttons."""
        raw_caption = params.get("caption")
        markup = _checked_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat["id"], params)
        message = BotMessage(
            message_id=self._new_message_id(chat["id"]),
            chat=copy.deepcopy(chat),
            date=int(time.time()),
            from_user=copy.deepcopy(self.bot_user),
            message_thread_id=self._thread_param(chat, params),
            html=None if raw_caption is None else str(raw_caption),
            parse_mode=params.get("parse_mode"),
            caption=caption.text if caption and caption.text else None,
            entities=caption.entities if caption else [],
            reply_markup=markup,
            reply_to_message_id=reply_to,
            **media,
        )
        self._messages.setdefault(chat["id"], {})[message.message_id] = message
        return self._api_message(message)

    def _document_param(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        ref = params.get("document")
        upload = files.get("document")
        if upload is None and isinstance(ref, str) and ref.startswith("attach://"):
            upload = files.get(ref.removeprefix("attach://"))
        if upload is not None:
            if not upload.content:
                raise _bad_request("file must be non-empty")
            file_name = upload.filename or "document"
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
            n = next(self._ids)
            file_id = f"BQACAgFakeDocument{n}"
            self.add_file(file_id, upload.content, file_name=file_name, mime_type=mime)
            return self._files[file_id].as_document()
        if isinstance(ref, str) and ref in self._files:
            return self._files[ref].as_document()
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            # Telegram would fetch the URL; the fake records it without content.
            n = next(self._ids)
            name = urllib.parse.urlsplit(ref).path.rsplit("/", 1)[-1] or "document"
            stored = _StoredFile(f"BQACAgFakeUrl{n}", f"AgADfake{n}", None, None, None, name)
            self._files[stored.file_id] = stored
            return stored.as_document()
        raise _bad_request("wrong file identifier/HTTP URL specified")

    def _edit_message_text(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict | bool:
        raw = params.get("text")
        if params.get("inline_message_id"):
            formatted = self._formatted(raw, params.get("parse_mode"), params.get("entities"))
            _check_length(formatted, MAX_MESSAGE_LENGTH, "message text is empty", "message is too long")
            _checked_markup(params.get("reply_markup"), inline_only=True)
            return True
        message = self._message_to_edit(params)
        if message.document is not None or message.photo is not None:
            raise _bad_request("there is no text in the message to edit")
        formatted = self._formatted(raw, params.get("parse_mode"), params.get("entities"))
        _check_length(formatted, MAX_MESSAGE_LENGTH, "message text is empty", "message is too long")
        # An edit without reply_markup removes the keyboard, as on Telegram.
        markup = _checked_markup(params.get("reply_markup"), inline_only=True)
        if (
            formatted.text == message.text
            and formatted.entities == message.entities
            and markup == message.reply_markup
        ):
            raise _bad_request(_NOT_MODIFIED)
        self._push_history(message)
        message.text = formatted.text
        message.html = None if raw is None else str(raw)
        message.parse_mode = params.get("parse_mode")
        message.entities = formatted.entities
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._api_message(message)

    def _edit_message_reply_markup(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict | bool:
        markup = _checked_markup(params.get("reply_markup"), inline_only=True)
        if params.get("inline_message_id"):
            return True
        message = self._message_to_edit(params)
        if markup == message.reply_markup:
            raise _bad_request(_NOT_MODIFIED)
        self._push_history(message)
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._api_message(message)

    def _message_to_edit(self, params: JSONDict) -> BotMessage:
        chat = self._chat_param(params)
        if params.get("message_id") in (None, ""):
            raise _bad_request("message identifier is not specified")
        stored = self._messages.get(chat["id"], {}).get(_int_param(params, "message_id", 0))
        if not isinstance(stored, BotMessage) or stored.deleted:
            raise _bad_request("message to edit not found")
        return stored

    def _push_history(self, message: BotMessage) -> None:
        message.history.append(
            {
                "text": message.text,
                "html": message.html,
                "entities": copy.deepcopy(message.entities),
                "reply_markup": copy.deepcopy(message.reply_markup),
                "edit_date": message.edit_date,
            }
        )

    def _delete_message(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        chat = self._chat_param(params)
        message_id = _int_param(params, "message_id", 0)
        stored = self._messages.get(chat["id"], {}).get(message_id)
        key = (chat["id"], message_id)
        if stored is None or key in self._deleted_user_messages:
            raise _bad_request("message to delete not found")
        if isinstance(stored, BotMessage):
            if stored.deleted:
                raise _bad_request("message to delete not found")
            stored.deleted = True
        else:
            self._deleted_user_messages.add(key)
        return True

    def _send_chat_action(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        self._chat_param(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _get_file(self, params: JSONDict, files: dict[str, UploadedFile]) -> JSONDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size is not None and stored.file_size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return stored.as_file()

    def _answer_callback_query(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callback_queries:
            raise _bad_request(_QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        del self._open_callback_queries[query_id]
        return True

    def _answer_inline_query(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        query_id = str(params.get("inline_query_id") or "")
        if query_id not in self._open_inline_queries:
            raise _bad_request(_QUERY_TOO_OLD)
        results = params.get("results")
        if not isinstance(results, list):
            raise _bad_request("can't parse results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad_request("RESULTS_TOO_MUCH")
        if len(str(params.get("next_offset") or "").encode()) > MAX_NEXT_OFFSET_BYTES:
            raise _bad_request("NEXT_OFFSET_INVALID")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict) or not result.get("type"):
                raise _bad_request("can't parse InlineQueryResult: type is not specified")
            result_id = str(result.get("id") or "")
            if not result_id or len(result_id.encode()) > MAX_INLINE_RESULT_ID_BYTES:
                raise _bad_request("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad_request("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            if result["type"] == "article" and not str(result.get("title") or "").strip():
                raise _bad_request("ARTICLE_TITLE_EMPTY")
            content = result.get("input_message_content")
            if isinstance(content, dict) and "message_text" in content:
                formatted = self._formatted(
                    content.get("message_text"), content.get("parse_mode"), content.get("entities")
                )
                _check_length(formatted, MAX_MESSAGE_LENGTH, "MESSAGE_EMPTY", "MESSAGE_TOO_LONG")
            elif result["type"] == "article":
                raise _bad_request("can't parse InlineQueryResult: input_message_content missing")
            _checked_markup(result.get("reply_markup"), inline_only=True)
        del self._open_inline_queries[query_id]
        return True

    def _set_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("too many commands specified")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand: BotCommand must be an Object")
            if not _COMMAND_RE.match(str(command.get("command") or "")):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description") or "").strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = _scope_key(params.get("scope"), str(params.get("language_code") or ""))
        if commands:
            self._commands[key] = copy.deepcopy(commands)
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> list[JSONDict]:
        key = _scope_key(params.get("scope"), str(params.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    def _delete_my_commands(self, params: JSONDict, files: dict[str, UploadedFile]) -> bool:
        key = _scope_key(params.get("scope"), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    # ------------------------------------------------------------------ helpers

    def _formatted(self, raw: Any, parse_mode: Any, entities: Any) -> FormattedText:
        """Visible text and entities of a text/caption parameter, or Telegram's 400."""
        if raw is None:
            return FormattedText("", [])
        text = raw if isinstance(raw, str) else json.dumps(raw)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad_request("text must be encoded in UTF-8") from None
        if isinstance(entities, list):  # explicit entities win over parse_mode
            return _trim(text, [dict(e) for e in entities if isinstance(e, dict)])
        mode = str(parse_mode or "").lower()
        if mode == "html":
            try:
                return parse_html(text, strict=self.strict_html)
            except EntityParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from None
        if mode in ("", "markdown", "markdownv2"):
            # Markdown is not validated: the bot sends HTML, so raw text is good enough.
            return _trim(text, [])
        raise _bad_request("unsupported parse_mode")

    def _chat_param(self, params: JSONDict) -> JSONDict:
        raw = params.get("chat_id")
        if raw in (None, ""):
            raise _bad_request("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            for known in self._chats.values():
                if known.get("username", "").lower() == raw[1:].lower():
                    return known
            raise _bad_request("chat not found")
        try:
            chat = self._chats.get(int(raw))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise _bad_request("chat not found")
        return chat

    def _thread_param(self, chat: JSONDict, params: JSONDict) -> int | None:
        """The forum topic a message is sent to: only a forum has topics."""
        raw = params.get("message_thread_id")
        if raw in (None, ""):
            return None
        if not chat.get("is_forum"):
            raise _bad_request("message thread not found")
        return int(raw)

    def _reply_target(self, chat_id: int, params: JSONDict) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            message_id = int(reply["message_id"])
            allow = bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") not in (None, ""):
            message_id = _int_param(params, "reply_to_message_id", 0)
            allow = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        if self._live_message(chat_id, message_id) is not None:
            return message_id
        if allow:
            return None
        raise _bad_request("message to be replied not found")

    def _live_message(self, chat_id: int, message_id: int) -> BotMessage | JSONDict | None:
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or (chat_id, message_id) in self._deleted_user_messages:
            return None
        if isinstance(stored, BotMessage) and stored.deleted:
            return None
        return stored

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _bot_messages(self, chat_id: int, include_deleted: bool) -> list[BotMessage]:
        return [
            m
            for m in self._messages.get(chat_id, {}).values()
            if isinstance(m, BotMessage) and (include_deleted or not m.deleted)
        ]

    def _api_message(self, message: BotMessage | JSONDict, *, with_reply: bool = True) -> JSONDict:
        """The Telegram Message dict for a stored message."""
        if isinstance(message, dict):
            result = copy.deepcopy(message)
            if not with_reply:
                result.pop("reply_to_message", None)
            return result
        result = {
            "message_id": message.message_id,
            "from": copy.deepcopy(message.from_user),
            "chat": copy.deepcopy(message.chat),
            "date": message.date,
        }
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.message_thread_id is not None:
            result["message_thread_id"] = message.message_thread_id
            result["is_topic_message"] = True
        if message.document is not None or message.photo is not None:
            if message.document is not None:
                result["document"] = copy.deepcopy(message.document)
            else:
                result["photo"] = copy.deepcopy(message.photo)
            if message.caption:
                result["caption"] = message.caption
                if message.entities:
                    result["caption_entities"] = copy.deepcopy(message.entities)
        else:
            result["text"] = message.text
            if message.entities:
                result["entities"] = copy.deepcopy(message.entities)
        # Telegram only echoes inline keyboards back on the message.
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = copy.deepcopy(message.reply_markup)
        if with_reply and message.reply_to_message_id is not None:
            target = self._messages.get(message.chat_id, {}).get(message.reply_to_message_id)
            if target is not None:
                result["reply_to_message"] = self._api_message(target, with_reply=False)
        return result

    def _resolve_message(self, message: BotMessage | JSONDict) -> JSONDict:
        """The current Message dict for a message a test holds (perhaps a stale copy)."""
        if isinstance(message, BotMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = int(message["chat"]["id"]), int(message["message_id"])
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is not None:
            return self._api_message(stored)
        if isinstance(message, BotMessage):
            return self._api_message(message)
        return copy.deepcopy(message)

    def _ensure_user(self, user_id: int) -> JSONDict:
        if user_id not in self._users:
            self.user(user_id)
        return copy.deepcopy(self._users[user_id])

    def _user_message(
        self,
        chat: JSONDict,
        user: JSONDict,
        reply_to_message: BotMessage | JSONDict | None,
        *,
        text: str | None = None,
        entities: list[JSONDict] | None = None,
        **extra: Any,
    ) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(chat["id"]),
            "from": user,
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if text is not None:
            message["text"] = text
            found = _auto_entities(text) if entities is None else entities
            if found:
                message["entities"] = copy.deepcopy(found)
        message.update(copy.deepcopy(extra))
        if reply_to_message is not None:
            replied = self._resolve_message(reply_to_message)
            replied.pop("reply_to_message", None)
            message["reply_to_message"] = replied
        self._messages.setdefault(chat["id"], {})[message["message_id"]] = message
        return copy.deepcopy(message)


# --------------------------------------------------------------------------- validation


def _check_length(formatted: FormattedText, limit: int, empty: str, too_long: str) -> None:
    if not formatted.text:
        raise _bad_request(empty)
    if utf16_len(formatted.text) > limit:
        raise _bad_request(too_long)


def _checked_markup(raw: Any, *, inline_only: bool = False) -> JSONDict | None:
    """Validate a reply_markup like Telegram; returns the decoded markup, None for none
    (an empty inline keyboard counts as none, as on Telegram)."""
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise _bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        if inline_only:
            raise _bad_request("inline keyboard expected")
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text")
                    if not str(text or "").strip():
                        raise _bad_request("keyboard button text must be non-empty")
        elif not raw.get("remove_keyboard") and not raw.get("force_reply"):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        return raw
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_INLINE_KEYBOARD_BUTTONS:
        raise _bad_request("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict):
            raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        if not str(button.get("text") or "").strip():
            raise _bad_request(_TEXT_BUTTONS_UNALLOWED)
        if not any(key in button for key in _BUTTON_ACTIONS):
            raise _bad_request(_TEXT_BUTTONS_UNALLOWED)
        if "callback_data" in button:
            data = str(button["callback_data"])
            if not data:
                raise _bad_request(_TEXT_BUTTONS_UNALLOWED)
            if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not _BUTTON_URL_RE.match(str(button["url"])):
            raise _bad_request("BUTTON_URL_INVALID")
    return raw if buttons else None


def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
    if isinstance(scope, str):
        scope = json.loads(scope) if scope else None
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""


def _int_param(params: JSONDict, name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


def _float_param(params: JSONDict, name: str, default: float) -> float:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad_request(f"invalid {name} specified") from None


@contextlib.contextmanager
def fake_telegram_server(**kwargs: Any) -> Iterator[FakeTelegram]:
    """A started :class:`FakeTelegram` (``kwargs`` go to its constructor), stopped on
    exit. Wrap it in a pytest fixture::

        @pytest.fixture
        def telegram():
            with fake_telegram_server() as server:
                yield server
    """
    server = FakeTelegram(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()
