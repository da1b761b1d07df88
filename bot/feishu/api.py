"""The open platform's API, through lark-oapi's client: it fetches and caches the
tenant_access_token and makes the requests; this adds what a bot needs on top: retries
through 5xx answers, network errors and rate limits (with backoff, for a bounded time), a
token the platform no longer accepts fetched anew once, and the `uuid` that makes a retried
send arrive once.

lark_oapi is imported when an Api is made, never at import time (it takes seconds, and it
grabs an event loop on import: see bot/feishu/longconn.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from bot.core import intake
from bot.core.platform import Backoff

log = logging.getLogger(__name__)

# Codes the platform answers for a tenant_access_token that is invalid or expired.
TOKEN_INVALID = frozenset({99991661, 99991663, 99991668})
# Codes for "too many requests" (per chat, per app) and "busy, retry".
RATE_LIMITED = frozenset({99991400, 230020, 11232})
BUSY = frozenset({1, 2200, 230015, 99991401})


class FeishuError(Exception):
    """A call the platform refused (or kept failing): its code and message."""

    def __init__(self, code: int | None, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg = code, msg


def send_uuid(delivery: str, n: int) -> str:
    """The `uuid` of the n-th message sent for a delivery: the platform sends a message at most
    once per uuid (within an hour), so a send retried after a lost answer is not doubled."""
    return hashlib.sha256(f"{delivery}:{n}".encode()).hexdigest()[:40]


class Api:
    """The calls the bot makes, on one lark-oapi Client pointed at `domain`."""

    def __init__(
        self, app_id: str, app_secret: str, domain: str, timeout: float = 10.0, retry_seconds: float = 30.0
    ) -> None:
        import lark_oapi as lark

        self.app_id = app_id
        self.domain = domain.rstrip("/")
        self.retry_seconds = retry_seconds
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0))
        self.client = (
            lark.Client.builder()
            .app_id(app_id)
            .app_secret(app_secret)
            .domain(domain)
            .timeout(timeout)
            .log_level(lark.LogLevel.WARNING)
            .build()
        )

    # --- the calls ---------------------------------------------------------------------------

    def bot_open_id(self) -> str:
        """The bot's own open_id (GET /open-apis/bot/v3/info), to recognise @-mentions of it."""
        import lark_oapi as lark

        request = (
            lark.BaseRequest.builder()
            .http_method(lark.HttpMethod.GET)
            .uri("/open-apis/bot/v3/info")
            .token_types({lark.AccessTokenType.TENANT})
            .build()
        )
        response = self._call(lambda: self.client.request(request))
        body = json.loads(response.raw.content)
        open_id = (body.get("bot") or {}).get("open_id") or ""
        if not open_id:
            raise FeishuError(None, "bot/v3/info has no open_id")
        return str(open_id)

    def reply(self, message_id: str, msg_type: str, content: str, uuid: str) -> str:
        """Reply to a message; the new message's id."""
        from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody

        body = ReplyMessageRequestBody.builder().msg_type(msg_type).content(content).uuid(uuid).build()
        request = ReplyMessageRequest.builder().message_id(message_id).request_body(body).build()
        response = self._call(lambda: self.client.im.v1.message.reply(request))
        return str(response.data.message_id)

    def send(self, chat_id: str, msg_type: str, content: str, uuid: str) -> str:
        """Send a message to a chat; its id."""
        from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody

        body = (
            CreateMessageRequestBody.builder()
            .receive_id(chat_id)
            .msg_type(msg_type)
            .content(content)
            .uuid(uuid)
            .build()
        )
        request = CreateMessageRequest.builder().receive_id_type("chat_id").request_body(body).build()
        response = self._call(lambda: self.client.im.v1.message.create(request))
        return str(response.data.message_id)

    def update_card(self, message_id: str, content: str) -> None:
        """Replace a card message's card (PATCH /open-apis/im/v1/messages/:message_id)."""
        from lark_oapi.api.im.v1 import PatchMessageRequest, PatchMessageRequestBody

        body = PatchMessageRequestBody.builder().content(content).build()
        request = PatchMessageRequest.builder().message_id(message_id).request_body(body).build()
        self._call(lambda: self.client.im.v1.message.patch(request))

    def upload_file(self, name: str, data: bytes) -> str:
        """Upload a file for a file message; its file_key."""
        import io

        from lark_oapi.api.im.v1 import CreateFileRequest, CreateFileRequestBody

        suffix = name.rsplit(".", 1)[-1].lower()
        file_type = {"pdf": "pdf", "doc": "doc", "docx": "doc", "xls": "xls", "xlsx": "xls"}.get(
            suffix, "stream"
        )

        def call() -> Any:
            body = (
                CreateFileRequestBody.builder()
                .file_type(file_type)
                .file_name(name)
                # (name, data, type): a file part with a filename (the SDK's type hint says IO,
                # but a bare IO goes out as a form field without one); the name itself is file_name.
                .file(("upload." + suffix, io.BytesIO(data), "application/octet-stream"))  # type: ignore[arg-type]
                .build()
            )
            return self.client.im.v1.file.create(CreateFileRequest.builder().request_body(body).build())

        return str(self._call(call).data.file_key)

    def download(self, message_id: str, file_key: str, limit: int) -> bytes:
        """A file a user sent (GET /open-apis/im/v1/messages/:message_id/resources/:file_key),
        streamed and counted: intake.TooBig past `limit` bytes, FeishuError when refused."""
        from lark_oapi.core.token import TokenManager

        path = f"/open-apis/im/v1/messages/{quote(message_id)}/resources/{quote(file_key)}"
        url = f"{self.domain}{path}?type=file"
        for renewed in (False, True):
            try:
                token = TokenManager.get_self_tenant_token(self.client.config)
            except Exception as e:  # the SDK's own: no token for these credentials
                raise FeishuError(getattr(e, "code", None), type(e).__name__) from e
            try:
                data, _ = intake.download_sync(self.http, url, limit, {"Authorization": f"Bearer {token}"})
                return data
            except intake.DownloadFailed as e:
                if renewed:
                    raise FeishuError(None, str(e)) from None
                self._forget_token()  # a token the platform stopped taking: once more, anew
        raise AssertionError("unreachable")

    # --- retries -------------------------------------------------------------------------------

    def _call(self, call: Callable[[], Any]) -> Any:
        """`call()`'s response when it succeeds; retried while the failure is passing."""
        deadline = time.monotonic() + self.retry_seconds
        backoff = Backoff(first=0.5, cap=8.0)
        renewed = False
        while True:
            try:
                response = call()
                code, msg = response.code, response.msg or ""
                status = response.raw.status_code if response.raw is not None else 0
            except (OSError, ValueError) as e:  # network errors (requests'), a body that is not JSON
                code, msg, status, response = None, type(e).__name__, 0, None
            except Exception as e:  # the SDK's own: no token for these credentials, and the like
                raise FeishuError(getattr(e, "code", None), type(e).__name__) from e
            if response is not None and response.success():
                return response
            if code in TOKEN_INVALID and not renewed:
                self._forget_token()
                renewed = True
                continue
            passing = response is None or status >= 500 or status == 429 or code in RATE_LIMITED | BUSY
            delay = backoff.next_delay()
            if not passing or time.monotonic() + delay > deadline:
                raise FeishuError(code, msg)
            log.warning("feishu call failed (%s %s), retrying in %.1fs", code, msg, delay)
            time.sleep(delay)

    def _forget_token(self) -> None:
        """Drop the cached tenant_access_token, so that the next call fetches a new one."""
        from lark_oapi.core.token import TokenManager

        TokenManager.cache.set(f"self_tenant_token:{self.app_id}", "", 0)
