"""`reportbot serve`, added to the retrieval CLI; the console script's entry point."""

from __future__ import annotations

import asyncio

import click

from bot import logs
from retrieval.cli import cli, open_library


@cli.command()
@click.option("--webhook", "webhook_url", metavar="URL", help="Receive updates by webhook at URL.")
@click.pass_context
def serve(ctx: click.Context, webhook_url: str | None) -> None:
    """Run the Telegram bot (long polling, or a webhook with --webhook URL)."""
    settings = ctx.obj["settings"]
    if settings.telegram_token is None:
        raise click.ClickException(
            "REPORTBOT_TELEGRAM_TOKEN is not set: put the token from @BotFather in .env or the environment"
        )
    # Before anything can log: the token is in every Bot API URL PTB and httpx log.
    logs.hide_token(settings.telegram_token.get_secret_value())
    logs.setup(settings.log_level, settings.log_private)
    from bot.app import StartupError, check_telegram, run  # telegram is imported only when serving

    library = open_library(ctx)
    try:
        asyncio.run(check_telegram(settings))
    except StartupError as e:
        library.close()
        raise click.ClickException(str(e)) from None
    run(settings, library, webhook_url)


def main() -> None:
    cli(prog_name="reportbot")
