"""`reportbot dingtalk [--http]`: run the DingTalk robot in Stream mode (no public address
needed), or in the outgoing-robot HTTP mode (DingTalk POSTs to us)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import click

from bot.telegram import logs
from retrieval.config import Settings
from retrieval.library import Library

if TYPE_CHECKING:
    from bot.dingtalk.channel import DingTalk


@click.command()
@click.option("--http", "http_mode", is_flag=True, help="Receive messages by HTTP POST (outgoing robot).")
@click.pass_context
def dingtalk(ctx: click.Context, http_mode: bool) -> None:
    """Run the DingTalk (钉钉) robot: Stream mode, or the HTTP mode with --http."""
    from bot.runner import open_library

    settings: Settings = ctx.obj["settings"]
    if settings.dingtalk_client_secret is None or not (http_mode or settings.dingtalk_client_id):
        raise click.ClickException(
            "REPORTBOT_DINGTALK_CLIENT_ID and REPORTBOT_DINGTALK_CLIENT_SECRET are not set: put the app's "
            "AppKey and AppSecret in .env or the environment"
        )
    secret = settings.dingtalk_client_secret.get_secret_value()
    logs.hide(secret)  # before anything can log
    logs.setup(settings.log_level, settings.log_private)
    if not settings.log_private:  # their DEBUG lines carry messages and sessionWebhook URLs
        for name in ("websockets", "httpx", "httpcore", "dingtalk_stream"):
            logging.getLogger(name).setLevel(logging.WARNING)
    library = open_library(ctx)
    try:
        if http_mode:
            click.echo(
                f"reportbot dingtalk (HTTP) on {settings.dingtalk_http_listen}:{settings.dingtalk_http_port}"
                f"/{settings.dingtalk_http_path.strip('/')}"
            )
            run_http(settings, library, secret)
        else:
            click.echo("reportbot dingtalk (Stream mode; Ctrl+C to stop)")
            asyncio.run(run_stream(settings, library, secret))
    except KeyboardInterrupt:
        pass
    finally:
        library.close()


def channel_for(settings: Settings, library: Library, secret: str, stream: bool) -> DingTalk:
    """The robot as the settings describe it: cards only in Stream mode, where their callbacks
    arrive; files wherever the AppKey is set."""
    from bot.core.conversation import Core
    from bot.dingtalk.channel import DingTalk
    from bot.dingtalk.outbound import Hosts

    hosts = Hosts(settings.dingtalk_reply_origins, settings.dingtalk_private_allow)
    return DingTalk(
        Core(library),
        secret,
        admins=settings.dingtalk_admin_ids,
        hosts=hosts,
        client_id=settings.dingtalk_client_id,
        api_base=settings.dingtalk_api_base_url,
        oapi_base=settings.dingtalk_oapi_base_url,
        card_template=settings.dingtalk_card_template_id if stream else "",
    )


async def run_stream(settings: Settings, library: Library, secret: str) -> None:
    """Stay connected to DingTalk's stream and answer until cancelled."""
    from bot.dingtalk.stream import stream_client

    channel = channel_for(settings, library, secret, stream=True)
    client = stream_client(settings.dingtalk_client_id, secret, settings.dingtalk_api_base_url, channel)
    try:
        await client.start()
    finally:
        await channel.close()


def run_http(settings: Settings, library: Library, secret: str) -> None:
    """Serve the outgoing robot's endpoint until stopped."""
    import uvicorn

    from bot.dingtalk.webhook import create_app

    app = create_app(
        channel_for(settings, library, secret, stream=False),
        secret,
        settings.dingtalk_http_path,
        max_skew_seconds=settings.dingtalk_max_skew_seconds,
    )
    uvicorn.run(
        app,
        host=settings.dingtalk_http_listen,
        port=settings.dingtalk_http_port,
        log_level="warning",
        access_log=False,
    )
