"""Fetch a link as a report file: the page itself, or the .pdf/.docx/plain text it answers
with. What comes back is a name and bytes that take the same path as a saved file
(read_document → parse_document → Library.add).

A link is something an admin pastes, so the limits are the server's to keep, not ours to trust:
the body is streamed and counted and the download stops at `max_bytes` (a Content-Length is
only used to refuse early, never to accept); connecting has its own timeout and the whole fetch,
redirects included, one deadline; redirects are followed by hand, at most `max_redirects`, and
only to http/https; and only the content types the reader understands are accepted. Every
refusal is a FetchError with a one-line reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from retrieval.errors import FetchError
from retrieval.read import MAX_FILE_BYTES

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Content type → the suffixes a name may already have for it (the first is added otherwise).
_TYPES: dict[str, tuple[str, ...]] = {
    "text/html": (".html", ".htm"),
    "application/xhtml+xml": (".html", ".htm"),
    "text/plain": (".txt",),
    "application/pdf": (".pdf",),
    _DOCX: (".docx",),
}
# Many government sites serve their attachments as a generic download. Such a body is taken
# only when the link names a .pdf or .docx (the reader then checks that the bytes are one).
_GENERIC = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/x-download"})
_GENERIC_SUFFIXES = (".pdf", ".docx")
_MAX_NAME = 120
_ACCEPT = f"text/html,application/xhtml+xml,application/pdf,{_DOCX},text/plain;q=0.9,*/*;q=0.1"
_USER_AGENT = "Mozilla/5.0 (compatible; reportbot/0.1)"


class Problem(StrEnum):
    """Why a link was refused (the bot says each in Chinese: retrieval.texts.unreadable)."""

    BAD_LINK = "bad_link"  # not an http/https URL
    CONNECT = "connect"  # the server could not be reached
    TIMEOUT = "timeout"  # connecting or the whole fetch took too long
    STATUS = "status"  # an answer other than 2xx
    TOO_LARGE = "too_large"
    CONTENT_TYPE = "content_type"  # not a page, pdf, docx or plain text
    REDIRECTS = "redirects"  # too many redirects
    NETWORK = "network"  # the connection broke or the answer was malformed


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a fetch may take: bytes of body, seconds to connect, seconds in all."""

    max_bytes: int = MAX_FILE_BYTES
    connect_seconds: float = 10.0
    total_seconds: float = 30.0
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched link: the URL it finally came from, a file name whose suffix says how to read
    it, its bytes and its content type."""

    url: str
    name: str
    data: bytes
    content_type: str


def is_link(text: str) -> bool:
    """Whether `text` is meant as a link (http:// or https://), not a file path."""
    return text.strip().lower().startswith(("http://", "https://"))


def fetch(url: str, limits: Limits | None = None) -> Fetched:
    """Download `url` within `limits`. Raises FetchError."""
    limits = limits or Limits()
    url = url.strip()
    _check_link(url, url)
    deadline = time.monotonic() + limits.total_seconds
    headers = {"User-Agent": _USER_AGENT, "Accept": _ACCEPT}
    try:
        with httpx.Client(headers=headers, follow_redirects=False) as client:
            for _hop in range(limits.max_redirects + 1):
                with client.stream("GET", url, timeout=_timeout(limits, deadline, url)) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = _next_hop(url, response)
                        continue
                    return _receive(url, response, limits, deadline)
    except FetchError:
        raise
    except httpx.ConnectTimeout:
        raise FetchError(
            url, Problem.TIMEOUT, f"could not connect within {limits.connect_seconds:g} s"
        ) from None
    except httpx.TimeoutException:
        raise FetchError(
            url, Problem.TIMEOUT, f"no complete answer within {limits.total_seconds:g} s"
        ) from None
    except httpx.ConnectError:
        raise FetchError(url, Problem.CONNECT, f"could not connect to {urlsplit(url).hostname}") from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise FetchError(url, Problem.BAD_LINK, "not a valid http or https link") from None
    except httpx.HTTPError as e:
        raise FetchError(url, Problem.NETWORK, f"the download failed ({type(e).__name__})") from None
    raise FetchError(url, Problem.REDIRECTS, f"more than {limits.max_redirects} redirects")


def file_name(url: str, content_type: str) -> str:
    """The name a fetched body is read by: the link's last path segment (the host for a site's
    front page), with the suffix its content type calls for unless it already has it."""
    parts = urlsplit(url)
    segment = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.path.strip("/") else ""
    name = "".join(c for c in segment if c.isprintable() and c not in '\\/:*?"<>|') or (
        parts.hostname or "page"
    )
    name = name[:_MAX_NAME]
    suffixes = _TYPES.get(content_type) or _GENERIC_SUFFIXES
    if PurePosixPath(name).suffix.lower() in suffixes:
        return name
    return name + suffixes[0]


def _check_link(url: str, shown: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(shown, Problem.BAD_LINK, "only http and https links can be fetched")


def _timeout(limits: Limits, deadline: float, url: str) -> httpx.Timeout:
    """Each request may take what is left of the fetch's time (connecting, its own limit)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError(url, Problem.TIMEOUT, f"no complete answer within {limits.total_seconds:g} s")
    return httpx.Timeout(left, connect=min(limits.connect_seconds, left))


def _next_hop(url: str, response: httpx.Response) -> str:
    target = urljoin(str(response.url), response.headers["location"])
    _check_link(target, url)
    return target


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _receive(url: str, response: httpx.Response, limits: Limits, deadline: float) -> Fetched:
    """The body of a final (non-redirect) answer, if its status, type and size are acceptable."""
    if not response.is_success:
        phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
        raise FetchError(
            url,
            Problem.STATUS,
            f"the server answered {response.status_code}{phrase}",
            str(response.status_code),
        )
    kind = _media_type(response)
    if kind not in _TYPES and not (kind in _GENERIC and _named_file(url)):
        shown = kind or "no content type"
        raise FetchError(
            url, Problem.CONTENT_TYPE, f"{shown} is not a web page, PDF, .docx or plain text", shown
        )
    mb = f"{limits.max_bytes / 1024 / 1024:g}"
    too_large = FetchError(url, Problem.TOO_LARGE, f"larger than {mb} MB", mb)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise too_large  # refused early; only the bytes counted decide acceptance
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limits.max_bytes:
            raise too_large
        if time.monotonic() > deadline:
            raise FetchError(url, Problem.TIMEOUT, f"no complete answer within {limits.total_seconds:g} s")
    return Fetched(url=url, name=file_name(url, kind), data=bytes(body), content_type=kind)


def _named_file(url: str) -> bool:
    """Whether the link itself names a .pdf or .docx file (for a generic download)."""
    return PurePosixPath(unquote(urlsplit(url).path)).suffix.lower() in _GENERIC_SUFFIXES
