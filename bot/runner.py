"""What every command needs before it runs: the library opened from the command's settings,
a failure to open it turned into one line (click's error) rather than a traceback."""

from __future__ import annotations

import click

from retrieval.errors import ReportbotError
from retrieval.library import Library


def open_library(ctx: click.Context) -> Library:
    """The library of the command's settings (or the one a test put in ctx.obj)."""
    library = ctx.obj.get("library")
    if library is not None:
        return library
    try:
        return Library(ctx.obj["settings"])
    except ReportbotError as e:
        raise click.ClickException(str(e)) from None
