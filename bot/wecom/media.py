"""Files over WeCom: a file a user sent, downloaded from the URL its message names (within the
upload limit, counted as it arrives) and decrypted with the message's key; and a file the bot
sends, uploaded over the long connection in chunks (aibot_upload_media_init / _chunk /
_finish → media_id) for a `file` message. The HTTP callback mode has no upload: there files
are named (render.py).
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.core import intake
from bot.core.messages import Message, Reply
from bot.wecom.crypto import CryptoError, decrypt_media, media_key

UPLOAD_INIT = "aibot_upload_media_init"
UPLOAD_CHUNK = "aibot_upload_media_chunk"
UPLOAD_FINISH = "aibot_upload_media_finish"
CHUNK_BYTES = 512 * 1024  # WeCom takes chunks of at most 512 KB
MAX_CHUNKS = 100
MAX_FILE_BYTES = 20 * 1024 * 1024  # a `file` media's limit
MIN_FILE_BYTES = 5  # WeCom refuses media of 5 bytes or fewer
PADDING = 32  # what the encryption adds at most

Request = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class MediaError(Exception):
    """A file WeCom cannot take (too large, too small) or refused to take."""


async def take_file(
    client: httpx.AsyncClient, message: Message, url: str, aeskey: str, limit: intake.Limit
) -> Message | Reply:
    """The core's Message carrying the file `url` names, decrypted; or the one-line Reply when
    it is too big or cannot be had (nothing is kept either way)."""
    # The URL is trusted as far as the message naming it: only WeCom can send one (over the
    # subscribed connection, or in a callback encrypted and signed under the bot's key).
    if not url.startswith(("https://", "http://")):
        return intake.failed()
    try:
        key = media_key(aeskey)
        data, headers = await intake.download(client, url, limit.bytes + PADDING)
        plain = decrypt_media(data, key)
    except intake.TooBig as e:
        return intake.too_big(e.size, limit)
    except (intake.DownloadFailed, CryptoError):
        return intake.failed()
    if len(plain) > limit.bytes:
        return intake.too_big(len(plain), limit)
    name = intake.name_from_headers(headers) or "upload" + intake.suffix_for(plain)
    return intake.file_message(message, plain, name)


async def upload(request: Request, name: str, data: bytes) -> str:
    """Upload `data` as a `file` media over the long connection; its media_id. MediaError when
    WeCom would refuse it or did."""
    if not MIN_FILE_BYTES < len(data) <= MAX_FILE_BYTES:
        raise MediaError(f"{len(data)} bytes is outside what WeCom takes")
    chunks = math.ceil(len(data) / CHUNK_BYTES)
    if chunks > MAX_CHUNKS:
        raise MediaError("too many chunks")
    init = await request(
        UPLOAD_INIT,
        {
            "type": "file",
            "filename": name,
            "total_size": len(data),
            "total_chunks": chunks,
            "md5": hashlib.md5(data).hexdigest(),
        },
    )
    upload_id = str((init.get("body") or {}).get("upload_id") or "")
    if not upload_id:
        raise MediaError("no upload_id")
    for index in range(chunks):
        piece = data[index * CHUNK_BYTES : (index + 1) * CHUNK_BYTES]
        body = {"upload_id": upload_id, "chunk_index": index, "base64_data": base64.b64encode(piece).decode()}
        await request(UPLOAD_CHUNK, body)
    finish = await request(UPLOAD_FINISH, {"upload_id": upload_id})
    media_id = str((finish.get("body") or {}).get("media_id") or "")
    if not media_id:
        raise MediaError("no media_id")
    return media_id
