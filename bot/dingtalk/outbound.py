"""Where the robot may send: the one HTTP client every DingTalk call goes through.

A robot message names the sessionWebhook its answer goes to, and in the HTTP mode the body is
not covered by DingTalk's signature (which signs only the timestamp), so a forged or replayed
delivery could name any URL: an internal service, the cloud metadata address. So an answer is
posted only to a URL under one of `Hosts.origins` (DingTalk's own API hosts by default, or a
relay that is configured), and, as for an admin's link (retrieval/fetch.py), the address
connected to must be public unless `Hosts.allow` names it: the host is resolved here and the
address checked is the address connected to, so a DNS answer cannot lead inside either.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx

from retrieval.fetch import AddressGuard, InternalAddress

# Where DingTalk's docs put a robot message's sessionWebhook (https://oapi.dingtalk.com/robot/
# sendBySession?session=…) and its newer OpenAPI.
DINGTALK_ORIGINS = ("https://oapi.dingtalk.com", "https://api.dingtalk.com")
TIMEOUT = 10.0


@dataclass(frozen=True)
class Hosts:
    """Where the robot may post: only under `origins` (scheme, host and port), and only to
    public addresses or those `allow` names (host names, addresses or CIDR networks)."""

    origins: tuple[str, ...] = DINGTALK_ORIGINS
    allow: tuple[str, ...] = ()

    def permits(self, url: str) -> bool:
        """Whether `url` is under one of the origins (nothing about its address yet)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.username is not None or parts.password is not None or not parts.hostname:
            return False
        origin = _origin(parts.scheme, parts.hostname, port)
        return origin in {_normal(o) for o in self.origins}

    def client(self, timeout: float = TIMEOUT) -> httpx.AsyncClient:
        """An HTTP client that connects only to addresses this allows, follows no redirect and
        reads no proxy from the environment."""
        transport = _GuardedTransport(AddressGuard(self.allow))
        return httpx.AsyncClient(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        )


def _origin(scheme: str, host: str, port: int | None) -> str:
    scheme = scheme.lower()
    default = {"https": 443, "http": 80}.get(scheme)
    host = host.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + ("" if port is None or port == default else f":{port}")


def _normal(origin: str) -> str:
    parts = urlsplit(origin.rstrip("/"))
    return _origin(parts.scheme, parts.hostname or "", parts.port)


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves a host itself, refuses it unless every address it resolves to is allowed, and
    connects to the address it checked (TLS still checks the certificate for the host name)."""

    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not self.guard.allows_name(host):
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as e:
                raise httpcore.ConnectError(str(e)) from e
            host = self.guard.screened(host, infos)
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise InternalAddress("a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's async transport with its pool on a _GuardedBackend (built as httpx builds it,
    without proxies)."""

    def __init__(self, guard: AddressGuard) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_GuardedBackend(guard),
        )
