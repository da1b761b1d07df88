"""A file sent in a chat, once for every channel: whether to fetch it at all (an admin's, in
a private chat: a report to add; anyone else's is answered without downloading it), its
bytes fetched from the platform counted as they arrive (more than the upload limit stops
the download there, whatever size the platform claimed), and its name made safe to keep.
What the file then means (read, previewed, refused with a line) is the core's admin flow.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import httpx

from bot.core import texts
from bot.core.messages import Message, Reply, TextPart
from retrieval.config import Settings

DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
NAME_CHARS = 120  # a longer name is cut (keeping its suffix)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class TooBig(Exception):
    """A download passed its limit: `size` bytes had arrived (or were claimed) by then."""

    def __init__(self, size: int) -> None:
        super().__init__(f"more than the limit: {size} bytes")
        self.size = size


class DownloadFailed(Exception):
    """The platform did not hand the file over (an error answer, a broken connection)."""


@dataclass(frozen=True)
class Limit:
    """The upload limit from the settings, in bytes and as the admin reads it."""

    megabytes: float

    @property
    def bytes(self) -> int:
        return int(self.megabytes * 1024 * 1024)

    @classmethod
    def of(cls, settings: Settings) -> Limit:
        return cls(settings.max_upload_mb)


def wanted(admin: bool, private: bool) -> bool:
    """Whether a file sent is fetched: only an admin's, in a private chat, is a report to add
    (anyone else gets the core's one line without the bot downloading a byte)."""
    return admin and private


def too_big(size: int, limit: Limit) -> Reply:
    """The one line for a file over the limit (nothing was kept)."""
    return Reply([TextPart(texts.UPLOAD_TOO_BIG.format(size=size / 1024 / 1024, limit=limit.megabytes))])


def failed() -> Reply:
    """The one line for a file the platform would not hand over."""
    return Reply([TextPart(texts.UPLOAD_NOT_FETCHED)])


def read_capped(chunks: Iterable[bytes], limit: int) -> bytes:
    """The chunks joined; TooBig as soon as more than `limit` bytes have come."""
    received = bytearray()
    for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise TooBig(len(received))
    return bytes(received)


async def aread_capped(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    """read_capped over an async iterator."""
    received = bytearray()
    async for chunk in chunks:
        received += chunk
        if len(received) > limit:
            raise TooBig(len(received))
    return bytes(received)


def claimed_size(response: httpx.Response) -> int | None:
    """The Content-Length a response claims, if it is a number."""
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


async def download(
    client: httpx.AsyncClient, url: str, limit: int, headers: dict[str, str] | None = None
) -> tuple[bytes, httpx.Headers]:
    """GET `url`'s body, at most `limit` bytes (TooBig beyond, DownloadFailed for an error
    answer or a broken transfer), and the response's headers."""
    try:
        async with client.stream("GET", url, headers=headers, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            size = claimed_size(response)
            if size is not None and size > limit:
                raise TooBig(size)
            return await aread_capped(response.aiter_bytes(), limit), response.headers
    except httpx.HTTPError as e:
        raise DownloadFailed(type(e).__name__) from None


def download_sync(
    client: httpx.Client, url: str, limit: int, headers: dict[str, str] | None = None
) -> tuple[bytes, httpx.Headers]:
    """download() for channels that work in threads."""
    try:
        with client.stream("GET", url, headers=headers, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            size = claimed_size(response)
            if size is not None and size > limit:
                raise TooBig(size)
            return read_capped(response.iter_bytes(), limit), response.headers
    except httpx.HTTPError as e:
        raise DownloadFailed(type(e).__name__) from None


def safe_name(name: str, fallback: str = "upload") -> str:
    """A file name as a platform gave it, made safe to keep and show: no folders, no control
    or reserved characters, at most NAME_CHARS characters with its suffix kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._") or fallback
    if len(name) > NAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            name = stem[: NAME_CHARS - len(suffix) - 1] + "." + suffix
        else:
            name = name[:NAME_CHARS]
    return name


def name_from_headers(headers: httpx.Headers) -> str:
    """The file name a download's Content-Disposition gives (filename*=UTF-8'' first), or ""."""
    value = headers.get("content-disposition", "")
    star = re.search(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", value, re.IGNORECASE)
    if star:
        from urllib.parse import unquote

        return unquote(star.group(2).strip().strip('"'), encoding=star.group(1) or "utf-8", errors="replace")
    plain = re.search(r'filename\s*=\s*"?([^";]+)"?', value, re.IGNORECASE)
    return plain.group(1).strip() if plain else ""


def suffix_for(data: bytes) -> str:
    """A suffix for a file a platform sent without a name, by its first bytes (the library
    reads a file by its suffix, and checks the bytes again)."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        return ".docx"
    if head[:1] == b"<":
        return ".html"
    return ".txt"


def file_message(base: Message, data: bytes, name: str) -> Message:
    """`base` (who, where, admin) carrying a file for the core."""
    return Message(
        base.user_id,
        base.chat_id,
        private=base.private,
        addressed=base.addressed,
        admin=base.admin,
        file=data,
        file_name=safe_name(name),
        mention=base.mention,
    )
