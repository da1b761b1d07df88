"""Webhook mode, closed by default: the HTTP endpoint Telegram posts updates to.

PTB's own webhook server processes any POST when no secret is set, answers malformed JSON
with a 500 and logs a bad update's whole content. This one always has a secret (the
configured one, or one made for the run), registers it with setWebhook, and refuses a POST
without it (403) before looking at the body (of which at most 1 MB is ever read); a body
that is not a JSON update gets a 400, an over-large one a 413, and nothing reaches the bot
but well-formed updates.

TLS is left to a reverse proxy in front (see the README): Telegram only calls https URLs.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from retrieval.config import Settings

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1024 * 1024  # an update is a few KB; Telegram's largest are far below this


def webhook_secret(settings: Settings) -> str:
    """The configured secret, or a new random one (Telegram allows A-Z a-z 0-9 _ -)."""
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    return secrets.token_urlsafe(32)


class UpdateHandler(tornado.web.RequestHandler):
    """POST /<path>: one update from Telegram."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: Application, secret: str) -> None:  # type: ignore[type-arg]
        self.app = app
        self.secret = secret.encode()

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            return self._answer(403, "wrong or missing secret token")
        if not self.request.headers.get("Content-Type", "").startswith("application/json"):
            return self._answer(415, "expected application/json")
        try:
            data = json.loads(self.request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return self._answer(400, "body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return self._answer(400, "not an update")
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as e:  # any shape PTB cannot read; its content stays out of the log
            log.warning("webhook: refused an update PTB cannot read (%s)", type(e).__name__)
            return self._answer(400, "not an update")
        await self.app.update_queue.put(update)
        self._answer(200, "")

    def _answer(self, status: int, reason: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"ok": status == 200, **({"description": reason} if reason else {})}))

    def log_exception(self, *args: Any) -> None:
        log.debug("webhook: a request failed", exc_info=True)


def start_server(app: Application, settings: Settings, secret: str) -> tornado.httpserver.HTTPServer:  # type: ignore[type-arg]
    """Listen on settings.webhook_listen:webhook_port for updates posted to /webhook_path."""
    path = "/" + settings.webhook_path.strip("/")
    web = tornado.web.Application(
        [(rf"{path}/?", UpdateHandler, {"app": app, "secret": secret})], log_function=_no_access_log
    )
    server = tornado.httpserver.HTTPServer(web, max_body_size=MAX_BODY_BYTES, xheaders=True)
    server.listen(settings.webhook_port, settings.webhook_listen)
    return server


def _no_access_log(handler: tornado.web.RequestHandler) -> None:
    """Access lines would show who sent what; failures are logged where they are handled."""
