"""`reportbot feishu [--http]`: the Feishu bot, by long connection (the default: no public
address needed) or by HTTP events. Nothing here imports lark_oapi or the HTTP server at
import time: bot/cli.py imports this module for every command.
"""

from __future__ import annotations

import logging
import re

import click

from bot.core.conversation import Core
from bot.feishu.api import Api, FeishuError
from bot.feishu.bot import FeishuBot
from retrieval.config import Settings
from retrieval.library import Library

# Connection URLs the SDK logs carry their access key and ticket in the query string.
_QUERY = re.compile(r"(wss?://[^\s?]+)\?\S*")


class _NoQueries(logging.Filter):
    """Keeps URL query strings (the long connection's ticket) out of the SDK's log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = _QUERY.sub(r"\1?…", message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def setup_logs(settings: Settings) -> None:
    """Log as `reportbot serve` does, the Feishu secrets never in a line; the SDK's own
    handler (to stdout) dropped for ours, its DEBUG lines (whole events) only if allowed."""
    from bot.telegram import logs

    secrets = (settings.feishu_app_secret, settings.feishu_encrypt_key, settings.feishu_verification_token)
    logs.hide(*(s.get_secret_value() for s in secrets if s is not None))
    logs.setup(settings.log_level, settings.log_private)
    lark = logging.getLogger("Lark")
    for handler in list(lark.handlers):
        lark.removeHandler(handler)
    lark.addFilter(_NoQueries())


def build(settings: Settings, library: Library) -> FeishuBot:
    """The FeishuBot for these settings, on an Api (which imports the SDK: seconds)."""
    assert settings.feishu_app_secret is not None
    api = Api(settings.feishu_app_id, settings.feishu_app_secret.get_secret_value(), settings.feishu_domain)
    return FeishuBot(Core(library), api, settings.feishu_admin_ids)


def run_long_connection(settings: Settings, library: Library) -> None:
    """Receive events over the long connection until Ctrl+C."""
    from bot.feishu.longconn import LongConnection

    bot = build(settings, library)
    assert settings.feishu_app_secret is not None
    bot.start()
    connection = LongConnection(
        bot,
        settings.feishu_app_id,
        settings.feishu_app_secret.get_secret_value(),
        settings.feishu_domain,
        debug=settings.log_private and settings.log_level == "DEBUG",
    ).start()
    try:
        connection.wait()
    except KeyboardInterrupt:
        pass
    finally:
        connection.stop()
        bot.close()


def run_http(settings: Settings, library: Library) -> None:
    """Serve the HTTP event route until Ctrl+C."""
    import uvicorn

    from bot.feishu import http

    bot = build(settings, library)
    bot.start()
    secret = settings.feishu_encrypt_key
    token = settings.feishu_verification_token
    asgi = http.app(
        bot,
        settings.feishu_http_path,
        secret.get_secret_value() if secret else None,
        token.get_secret_value() if token else None,
        settings.feishu_max_skew_seconds,
    )
    try:
        uvicorn.run(
            asgi,
            host=settings.feishu_http_listen,
            port=settings.feishu_http_port,
            log_level="warning",
            access_log=False,
        )
    finally:
        bot.close()


@click.command("feishu")
@click.option(
    "--http", "use_http", is_flag=True, help="Receive events by HTTP instead of the long connection."
)
@click.pass_context
def command(ctx: click.Context, use_http: bool) -> None:
    """Run the Feishu (飞书/Lark) bot: long connection, or HTTP events with --http."""
    from bot.runner import open_library

    settings: Settings = ctx.obj["settings"]
    if not settings.feishu_app_id or settings.feishu_app_secret is None:
        raise click.ClickException(
            "REPORTBOT_FEISHU_APP_ID and REPORTBOT_FEISHU_APP_SECRET are not set: copy them from the "
            "app's 凭证与基础信息 page into .env or the environment"
        )
    if use_http and settings.feishu_encrypt_key is None:
        raise click.ClickException(
            "REPORTBOT_FEISHU_ENCRYPT_KEY is not set: --http checks every event's signature with it "
            "(set one under 事件与回调 → 加密策略)"
        )
    setup_logs(settings)
    library = open_library(ctx)
    try:
        (run_http if use_http else run_long_connection)(settings, library)
    except FeishuError as e:
        raise click.ClickException(f"Feishu refused the app's credentials or is unreachable ({e})") from None
    finally:
        library.close()
