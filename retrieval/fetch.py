"""Fetch a link as a report file: the page itself, or the .pdf/.docx/plain text it answers
with. What comes back is a name and bytes that take the same path as a saved file
(read_document → parse_document → Library.add).

A link is something an admin pastes, so the limits are the server's to keep, not ours to trust:
the body is streamed and counted and the download stops at `max_bytes` (a Content-Length is
only used to refuse early, never to accept); connecting has its own timeout and the whole fetch,
redirects included, one deadline; redirects are followed by hand, at most `max_redirects`, and
only to http/https; and only the content types the reader understands are accepted. Every
refusal is a FetchError with a one-line reason.

A link is fetched only from public addresses: one whose host is, or resolves to, a loopback,
private, link-local (cloud metadata: 169.254.169.254), shared or reserved address is refused,
also after a redirect, and the address checked is the one connected to (so a DNS answer that
changes between the check and the connection cannot lead inside). `Limits.allow` names the
internal document servers (host names, addresses or networks) that may be fetched all the same.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpcore
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
    INTERNAL = "internal"  # the host is or resolves to a non-public address


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a fetch may take: bytes of body, seconds to connect, seconds in all."""

    max_bytes: int = MAX_FILE_BYTES
    connect_seconds: float = 10.0
    total_seconds: float = 30.0
    max_redirects: int = 5
    # Internal document servers that may be fetched: host names, addresses or networks (CIDR).
    allow: tuple[str, ...] = ()


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
    guard = AddressGuard(limits.allow)
    shown = url  # refusals name the link as given, wherever it led
    guard.check_literal(url, shown)
    try:
        transport = AddressGuardedTransport(guard)
        with httpx.Client(
            headers=headers, follow_redirects=False, transport=transport, trust_env=False
        ) as client:
            for _hop in range(limits.max_redirects + 1):
                with client.stream("GET", url, timeout=_timeout(limits, deadline, url)) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = _next_hop(url, response)
                        guard.check_literal(url, shown)
                        continue
                    return _receive(url, response, limits, deadline)
    except FetchError:
        raise
    except InternalAddress as e:
        raise FetchError(shown, Problem.INTERNAL, f"{e.host} is an internal address", e.host) from None
    except httpx.ConnectError:
        raise FetchError(url, Problem.CONNECT, f"could not connect to {urlsplit(url).hostname}") from None
    except httpx.ConnectTimeout:
        raise FetchError(
            url, Problem.TIMEOUT, f"could not connect within {limits.connect_seconds:g} s"
        ) from None
    except httpx.TimeoutException:
        raise FetchError(
            url, Problem.TIMEOUT, f"no complete answer within {limits.total_seconds:g} s"
        ) from None
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


class InternalAddress(OSError):
    """A connection refused before it was made: the address is not public and not allowed."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host} is not a public address")
        self.host = host


class AddressGuard:
    """Which addresses may be connected to: public ones, and those `allow` names. Shared by
    the link fetcher and every client that posts to an address a message names."""

    def __init__(self, allow: Iterable[str]) -> None:
        self.names: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in allow:
            entry = entry.strip().lower()
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if entry:
                    self.names.add(entry.rstrip("."))

    def allows_name(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.names

    def allows(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(ip in net for net in self.networks):
            return True
        return ip.is_global and not ip.is_multicast

    def screened(self, host: str, infos: Iterable[tuple]) -> str:
        """The address to connect to for `host`, resolved as `infos` (getaddrinfo's answer);
        raises InternalAddress unless every address it resolves to is allowed."""
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        refused = [a for a in addresses if not self.allows(a)]
        if refused or not addresses:
            raise InternalAddress(refused[0] if refused else host)
        return addresses[0]

    def check_literal(self, url: str, shown: str) -> None:
        """Refuse a link whose host is written as a non-public address (before any request);
        the refusal names `shown`."""
        host = (urlsplit(url).hostname or "").strip("[]")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            if host.lower().rstrip(".") == "localhost" and not self.allows_name(host):
                raise FetchError(shown, Problem.INTERNAL, "localhost is an internal address", host) from None
            return
        if not self.allows_name(host) and not self.allows(host):
            raise FetchError(shown, Problem.INTERNAL, f"{host} is an internal address", host)


class AddressGuardedBackend(httpcore.SyncBackend):
    """Resolves a host itself, refuses it unless every address it resolves to is allowed, and
    connects to the address it checked."""

    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if self.guard.allows_name(host):
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            raise httpcore.ConnectError(str(e)) from e
        address = self.guard.screened(host, infos)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


class AddressGuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool on a AddressGuardedBackend (httpx does not take a
    network backend itself; the pool is built as HTTPTransport builds it, without proxies)."""

    def __init__(self, guard: AddressGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=AddressGuardedBackend(guard),
        )


def _named_file(url: str) -> bool:
    """Whether the link itself names a .pdf or .docx file (for a generic download)."""
    return PurePosixPath(unquote(urlsplit(url).path)).suffix.lower() in _GENERIC_SUFFIXES
