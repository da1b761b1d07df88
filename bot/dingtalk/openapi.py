"""DingTalk's OpenAPI, for what a sessionWebhook cannot do: interactive cards whose presses come
back as Stream callbacks, files (uploaded as media, then sent as a file message), messages to a
chat with no sessionWebhook at hand (the answer to a card's press), and the bytes of a file an
admin sends.

Calls go through the channel's guarded client (bot/dingtalk/outbound.py) to the configured
hosts only: `api_base` (https://api.dingtalk.com: the access token, cards, robot messages, file
downloads) and `oapi_base` (https://oapi.dingtalk.com: media upload). The access token is the
app's (AppKey and AppSecret), kept until shortly before DingTalk says it expires and fetched
again after a 401.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import httpx

from bot.core import intake

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1.0/oauth2/accessToken"
CARD_PATH = "/v1.0/card/instances/createAndDeliver"
GROUP_MESSAGE_PATH = "/v1.0/robot/groupMessages/send"
PRIVATE_MESSAGE_PATH = "/v1.0/robot/oToMessages/batchSend"
DOWNLOAD_PATH = "/v1.0/robot/messageFiles/download"
UPLOAD_PATH = "/media/upload"
TOKEN_MARGIN = 300.0  # seconds before DingTalk's expiry that a token is fetched anew
TRIES = 3
# What DingTalk's media upload takes as type=file (anything else is sent zipped) and at most.
FILE_SUFFIXES = frozenset({"doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"})
IMAGE_SUFFIXES = frozenset({"jpg", "jpeg", "png", "gif", "bmp"})
MAX_MEDIA_BYTES = 20 * 1024 * 1024
_MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
    "png": "image/png",
}


class ApiError(RuntimeError):
    """The OpenAPI refused a call for good (the path, DingTalk's code and message)."""


class MediaTooBig(ApiError):
    """A file to send over DingTalk's limit for media (its size, in bytes)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes is over DingTalk's media limit")
        self.size = size


@dataclass(frozen=True)
class Space:
    """Where a message goes: a group by its conversation id, or a private chat with the robot
    by the user's staff id (and its conversation id, which is the chat's key in the core)."""

    conversation: str
    private: bool
    user: str

    @property
    def reachable(self) -> bool:
        """Whether the OpenAPI can send here (a private chat needs the user's staff id)."""
        return bool(self.user if self.private else self.conversation)


class OpenApi:
    """The app's OpenAPI calls, over one HTTP client."""

    def __init__(
        self,
        client_id: str,
        secret: str,
        http: Callable[[], httpx.AsyncClient],
        api_base: str = "https://api.dingtalk.com",
        oapi_base: str = "https://oapi.dingtalk.com",
        clock: Callable[[], float] = time.time,
        retry_delay: float = 1.0,
    ) -> None:
        self.client_id, self._secret = client_id, secret
        self.retry_delay = retry_delay
        self._http = http
        self.api_base, self.oapi_base = api_base.rstrip("/"), oapi_base.rstrip("/")
        self.clock = clock
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    # --- the access token ----------------------------------------------------------------------

    async def token(self) -> str:
        """The app's access token (fetched when there is none or it is about to expire)."""
        async with self._token_lock:
            if self._token is not None and self._token[1] > self.clock():
                return self._token[0]
            body = {"appKey": self.client_id, "appSecret": self._secret}
            response = await self._http().post(self.api_base + TOKEN_PATH, json=body)
            data = _json(response)
            token, expires = data.get("accessToken"), data.get("expireIn")
            if response.status_code != 200 or not isinstance(token, str) or not isinstance(expires, int):
                raise ApiError(f"{TOKEN_PATH}: {response.status_code} {data.get('code', '')}")
            self._token = (token, self.clock() + expires - TOKEN_MARGIN)
            return token

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST an OpenAPI call with the token: once more with a new token after a 401, and
        again after a 5xx or a network failure (TRIES in all); any other refusal is final."""
        renewed = False
        for attempt in range(1, TRIES + 1):
            last = attempt == TRIES
            headers = {"x-acs-dingtalk-access-token": await self.token()}
            try:
                response = await self._http().post(self.api_base + path, json=body, headers=headers)
            except httpx.TransportError:
                if last:
                    raise
                await asyncio.sleep(self.retry_delay * attempt)
                continue
            if response.status_code == 401 and not renewed:
                self._token, renewed = None, True
                continue
            if response.status_code >= 500 and not last:
                await asyncio.sleep(self.retry_delay * attempt)
                continue
            data = _json(response)
            if response.status_code != 200:
                code, message = data.get("code", ""), data.get("message", "")
                raise ApiError(f"{path}: {response.status_code} {code} {message}")
            return data
        raise ApiError(f"{path}: no answer after {TRIES} tries")

    # --- sending -----------------------------------------------------------------------------------

    async def send_card(self, space: Space, template: str, out_track_id: str, params: dict[str, str]) -> None:
        """Create and deliver an interactive card whose presses come back over the stream."""
        body: dict[str, Any] = {
            "cardTemplateId": template,
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": params},
            "callbackType": "STREAM",
            # Not forwardable: a press must come from the chat the card was sent to.
            "imGroupOpenSpaceModel": {"supportForward": False},
            "imRobotOpenSpaceModel": {"supportForward": False},
        }
        if space.private:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{space.user}"
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT"}
        else:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{space.conversation}"
            body["imGroupOpenDeliverModel"] = {"robotCode": self.client_id}
        await self.call(CARD_PATH, body)

    async def send_message(self, space: Space, key: str, param: dict[str, str]) -> None:
        """Send a robot message (`key`: sampleMarkdown, sampleFile, sampleImageMsg…) to a chat."""
        body: dict[str, Any] = {
            "robotCode": self.client_id,
            "msgKey": key,
            "msgParam": json.dumps(param, ensure_ascii=False),
        }
        if space.private:
            await self.call(PRIVATE_MESSAGE_PATH, {**body, "userIds": [space.user]})
        else:
            await self.call(GROUP_MESSAGE_PATH, {**body, "openConversationId": space.conversation})

    async def send_markdown(self, space: Space, title: str, text: str) -> None:
        await self.send_message(space, "sampleMarkdown", {"title": title, "text": text})

    async def send_file(self, space: Space, name: str, data: bytes) -> None:
        """Upload a file and send it: a picture as a picture; a type DingTalk does not take as a
        file (a page, plain text) inside a .zip of the same name. Raises MediaTooBig over 20 MB."""
        suffix = PurePosixPath(name).suffix.lower().lstrip(".")
        if suffix in IMAGE_SUFFIXES:
            media = await self.upload(name, data, "image")
            await self.send_message(space, "sampleImageMsg", {"photoURL": media})
            return
        if suffix not in FILE_SUFFIXES:
            name, data, suffix = f"{PurePosixPath(name).stem or 'file'}.zip", _zip(name, data), "zip"
        media = await self.upload(name, data, "file")
        await self.send_message(space, "sampleFile", {"mediaId": media, "fileName": name, "fileType": suffix})

    async def upload(self, name: str, data: bytes, kind: str) -> str:
        """Upload media (`kind`: file or image); its media_id."""
        if len(data) > MAX_MEDIA_BYTES:
            raise MediaTooBig(len(data))
        suffix = PurePosixPath(name).suffix.lower().lstrip(".")
        for attempt in (1, 2):
            params = {"access_token": await self.token(), "type": kind}
            files = {"media": (name, data, _MIME.get(suffix, "application/octet-stream"))}
            response = await self._http().post(self.oapi_base + UPLOAD_PATH, params=params, files=files)
            answer = _json(response)
            code = answer.get("errcode", 0)
            if code in (40014, 42001) and attempt == 1:  # DingTalk: token invalid / expired
                self._token = None
                continue
            media = answer.get("media_id")
            if response.status_code != 200 or code != 0 or not isinstance(media, str):
                raise ApiError(f"{UPLOAD_PATH}: {response.status_code} {code} {answer.get('errmsg', '')}")
            return media
        raise AssertionError("unreachable")

    # --- receiving -----------------------------------------------------------------------------

    async def download(self, download_code: str, limit: int) -> bytes:
        """The bytes of a file sent to the robot, streamed and counted (the core's intake:
        intake.TooBig as soon as more than `limit` arrive, intake.DownloadFailed when DingTalk
        does not hand it over)."""
        try:
            found = await self.call(
                DOWNLOAD_PATH, {"downloadCode": download_code, "robotCode": self.client_id}
            )
        except (ApiError, httpx.HTTPError) as e:
            raise intake.DownloadFailed(type(e).__name__) from None
        url = found.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise intake.DownloadFailed("no downloadUrl")
        data, _headers = await intake.download(self._http(), url, limit)
        return data


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _zip(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return out.getvalue()
