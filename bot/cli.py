"""`reportbot serve`, added to the retrieval CLI; the console script's entry point."""

from __future__ import annotations

import logging

import click

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
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    # httpx logs every poll at INFO; that drowns the bot's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from bot.app import run  # telegram is imported only when serving

    run(settings, open_library(ctx), webhook_url)


def main() -> None:
    cli(prog_name="reportbot")
