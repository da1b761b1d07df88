"""The `reportbot` command line: ask, ingest, show, delete, reindex, reports, log, eval, and
the channels it starts (chat on the terminal, web, serve for Telegram); the console script's
entry point.

Library errors arrive as ReportbotError and leave as one line on stderr with a non-zero exit,
as sqlite-utils' CLI turns its errors into click.ClickException.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from tqdm import tqdm

from bot import cli_texts as texts
from bot.core.shapes import answer_json
from bot.dingtalk.command import dingtalk
from bot.feishu.app import command as feishu_command
from bot.runner import open_library
from bot.telegram import logs
from bot.terminal import answer_text
from bot.wecom.app import wecom
from retrieval import texts as library_texts
from retrieval.config import Settings
from retrieval.errors import ReportbotError, UnreadableFile
from retrieval.evaluate import check_metadata, evaluate, read_meta, read_questions
from retrieval.export import answer_docx
from retrieval.fetch import is_link
from retrieval.library import Ingested, OnDuplicate, Outcome
from retrieval.models import Answer, LogEntry, OutlineEntry, Passage, Report, StoredFigure


def build_settings(**overrides: Any) -> Settings:
    """Settings from the environment and .env; a bad value becomes one line, not a traceback."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as e:
        err = e.errors()[0]
        field = "_".join(str(x) for x in err["loc"]).upper()
        message = err["msg"].removeprefix("Value error, ")
        raise click.ClickException(f"REPORTBOT_{field}: {message}" if field else message) from None


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=(
        "Where the database, index and kept originals live (default: REPORTBOT_DATA_DIR, else "
        ".reportbot/ in a source checkout, else $XDG_DATA_HOME/reportbot or ~/.local/share/reportbot)."
    ),
)
@click.version_option(package_name="reportbot")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """Answer questions about 法治政府建设年度报告 with quoted excerpts and citations."""
    ctx.ensure_object(dict)
    ctx.obj["settings"] = build_settings(data_dir=data_dir)


@cli.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option("-k", "k", default=3, show_default=True, type=click.IntRange(1, 50), help="Passages.")
@click.option(
    "--docx",
    "docx_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the answer to a Word file (question, excerpts, full citations).",
)
@click.pass_context
def ask(ctx: click.Context, question: str | None, as_json: bool, k: int, docx_path: Path | None) -> None:
    """Answer QUESTION, or one question per line from stdin when QUESTION is left out."""
    library = open_library(ctx)
    if docx_path is not None and question is None:
        raise click.UsageError("--docx needs a QUESTION argument")
    questions = [question] if question is not None else (line.rstrip("\n") for line in sys.stdin)
    for q in questions:
        if question is None and not q.strip():
            continue
        answer = library.ask(q, k=k)
        shown = _at_most(answer, k)
        if docx_path is not None:
            try:
                docx_path.write_bytes(answer_docx(answer))
            except OSError as e:
                raise click.ClickException(f"cannot write {docx_path}: {e.strerror or e}") from None
        if as_json:
            click.echo(json.dumps(answer_json(shown), ensure_ascii=False))
            continue
        if question is None:  # many answers in a row: say which question each one answers
            click.echo(texts.QUESTION.format(question=q))
        click.echo(answer_text(shown, color=sys.stdout.isatty()))
        if len(shown.hits) < len(answer.hits):
            click.echo(
                texts.MORE_EXCERPTS.format(n=len(answer.hits) - len(shown.hits), total=len(answer.hits))
            )
        if question is None:
            click.echo()


def _at_most(answer: Answer, k: int) -> Answer:
    """A ranking's answer with only its first k excerpts (its table whole): the library quotes
    every ranked place, and -k says how many excerpts to print."""
    if answer.table is None or len(answer.hits) <= k or answer.groups:
        return answer
    return dataclasses.replace(answer, hits=answer.hits[:k])


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--replace-duplicates",
    is_flag=True,
    help="A report whose content is already stored (from another file) replaces the stored one.",
)
@click.option(
    "--keep-duplicates",
    is_flag=True,
    help="A report whose content is already stored (from another file) is stored beside it.",
)
@click.option("-v", "--verbose", is_flag=True, help="A line for every file, however many.")
@click.pass_context
def ingest(
    ctx: click.Context,
    sources: tuple[str, ...],
    replace_duplicates: bool,
    keep_duplicates: bool,
    verbose: bool,
) -> None:
    """Add report files (.txt .docx .pdf .html), folders of them, or http(s) links.

    A report with the same content as a stored one, read from another file (a .docx and a
    .txt of it, a page saved twice), is skipped and named unless --replace-duplicates or
    --keep-duplicates says otherwise. The same file again changes nothing."""
    if replace_duplicates and keep_duplicates:
        raise click.UsageError("--replace-duplicates and --keep-duplicates cannot be given together")
    policy = (
        OnDuplicate.REPLACE
        if replace_duplicates
        else OnDuplicate.KEEP
        if keep_duplicates
        else OnDuplicate.SKIP
    )
    library = open_library(ctx)
    paths: list[Path | str] = [s if is_link(s) else Path(s) for s in sources]
    # On stderr, and only on a terminal: a log or a pipe gets the summary alone.
    bar = tqdm(unit="file", disable=None, file=sys.stderr, dynamic_ncols=True)

    def progress(files: int, total: int, passages: int) -> None:
        bar.total = total
        elapsed = bar.format_dict["elapsed"] or 1e-9
        bar.set_postfix_str(f"{passages} passages, {passages / elapsed:.0f}/s", refresh=False)
        bar.update(files - bar.n)

    def pages(page: int, total: int) -> None:
        # A scan is read by OCR at seconds a page: say which page while a file takes long.
        bar.set_postfix_str(f"page {page}/{total}")

    try:
        done, errors = library.ingest(paths, on_duplicate=policy, progress=progress, pages=pages)
    finally:
        bar.close()
    # Each file's line when there are few; with many, the summary says it all.
    if verbose or len(done) + len(errors) <= LIST_FILES_UP_TO:
        for d in done:
            click.echo(ingested_line(d))
    for e in errors:
        click.echo(f"refused: {e}", err=True)
    if len(done) + len(errors) > 1:
        click.echo(ingest_summary(done, errors))
    if errors:
        sys.exit(1)


LIST_FILES_UP_TO = 10


def ingest_summary(done: list[Ingested], errors: list[UnreadableFile]) -> str:
    """One line: how many files were added, replaced, unchanged, duplicates, refused."""
    counts = Counter(d.outcome for d in done)
    parts = [f"{counts[o]} {o.value}" for o in Outcome if counts[o]]
    if errors:
        parts.append(f"{len(errors)} refused")
    passages = sum(d.report.passage_count for d in done if d.changed)
    return (
        f"ingested {len(done) + len(errors)} files: "
        + (", ".join(parts) or "nothing")
        + (f" ({passages} passages added)" if passages else "")
    )


def ingested_line(d: Ingested) -> str:
    """One line saying what ingesting one file or link did."""
    r = d.report
    stored = f"#{r.id} {r.issuer}《{r.title}》"
    if d.outcome == Outcome.DUPLICATE:
        return (
            f"duplicate: {d.source}: same content as {stored}, skipped"
            " (--replace-duplicates or --keep-duplicates to store it)"
        )
    line = f"{d.outcome.value}: {stored} {r.year or ''} ({r.passage_count} passages)"
    if d.outcome == Outcome.REPLACED and d.replaced:
        line += f", replacing #{d.replaced.id}"
    return line + (f" {r.url}" if r.url else "")


@cli.command()
@click.argument("report_id", metavar="ID", type=int)
@click.pass_context
def show(ctx: click.Context, report_id: int) -> None:
    """Print a stored report's metadata, outline and figures, to check how it was parsed."""
    library = open_library(ctx)
    try:
        report = library.report(report_id)
        outline = library.sections(report_id)
    except ReportbotError as e:
        raise click.ClickException(str(e)) from None
    click.echo(report_text(report, outline))
    click.echo(figures_text(library.figures(report_id), library.report_passages(report_id), report.year))


def report_text(r: Report, outline: tuple[OutlineEntry, ...]) -> str:
    """`show`'s page: the metadata, one field a line ("-" when missing), then the outline,
    each section indented by its level with its passage count and first words."""
    inferred = texts.INFERRED
    year = "-" if r.year is None else f"{r.year}" + (inferred if r.year_inferred else "")
    issuer = r.issuer + (inferred if r.issuer and r.issuer_inferred else "")
    places = " › ".join(r.places) + (inferred if r.places and r.places_inferred else "")
    fields = [
        ("issuer", issuer),
        ("title", r.title),
        ("year", year),
        ("plan year", str(r.plan_year or "")),
        ("places", places),
        ("url", r.url),
        ("published", r.published),
        ("origin", r.origin),
        ("source file", r.source),
        ("signed on", r.signed_on),
        ("passages", str(r.passage_count)),
    ]
    width = max(len(k) for k, _ in fields) + 1
    lines = [f"#{r.id}", *(f"{k + ':':<{width}} {v or '-'}" for k, v in fields), "", "outline:"]
    for entry in outline:
        indent = "  " * max(len(entry.path), 1)
        heading = entry.path[-1] if entry.path else library_texts.SECTION_OPENING
        words = f"  {entry.first_words}" if entry.first_words else ""
        lines.append(f"{indent}{heading}  [{entry.passages}]{words}")
    return "\n".join(lines)


FIGURE_CONTEXT = 24  # characters of the passage shown before a figure


def figures_text(figures: list[StoredFigure], passages: list[Passage], year: int | None = None) -> str:
    """`show`'s figures, one a line as `measure = value unit (year)` with what kind it is (a
    part of a total, a change, a goal) and the words before it in the passage; `year` is the
    report's, for figures whose text names none."""
    text = {p.id: p.text for p in passages}
    lines = ["", f"figures: {len(figures)}"]
    kinds = {"change": "变化", "goal": "目标"}
    for stored in figures:
        f = stored.figure
        before = text.get(stored.passage_id, "")[max(0, f.start - FIGURE_CONTEXT) : f.start]
        of = f.of_year(year)
        notes = [n for n in (f"{of}" if of else "", "部分" if f.part else "", kinds.get(f.kind, "")) if n]
        shown = f"{f.value:g} {f.unit}"
        lines.append(f"  {f.measure or '-'} = {shown} ({', '.join(notes) or '-'})  …{before}{f.written}")
    return "\n".join(lines)


@cli.command()
@click.argument("report_id", metavar="ID", type=int)
@click.option("--yes", "-y", is_flag=True, help="Delete without asking (a terminal is asked first).")
@click.pass_context
def delete(ctx: click.Context, report_id: int, yes: bool) -> None:
    """Delete a stored report, its passages and its kept original file; on a terminal, after
    asking."""
    library = open_library(ctx)
    try:
        report = library.report(report_id)
        # A script or a pipe has no one to ask: it said what to delete.
        if not yes and sys.stdin.isatty():
            named = {"id": report.id, "issuer": report.issuer, "title": report.title}
            if not click.confirm(texts.DELETE_CONFIRM.format(**named), default=False):
                click.echo(texts.DELETE_KEPT)
                return
        report = library.delete(report_id)
    except ReportbotError as e:
        raise click.ClickException(str(e)) from None
    click.echo(texts.DELETED.format(id=report.id, issuer=report.issuer, title=report.title))


@cli.command()
@click.option("--retokenize", is_flag=True, help="Run the tokenizer again (after dictionary changes).")
@click.pass_context
def reindex(ctx: click.Context, retokenize: bool) -> None:
    """Rebuild the search index from the database."""
    library = open_library(ctx)
    bar = tqdm(total=library.passage_count(), unit="passage", disable=None)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    n = library.reindex(retokenize=retokenize, progress=progress)
    bar.close()
    click.echo(f"indexed {n} passages")


@cli.command()
@click.pass_context
def reports(ctx: click.Context) -> None:
    """List the stored reports."""
    for r in open_library(ctx).reports():
        click.echo(
            f"#{r.id}\t{r.year or '-'}\t{' › '.join(r.places) or '-'}\t{r.issuer}《{r.title}》"
            f"\t{r.passage_count} passages\t{r.source}" + (f"\t{r.url}" if r.url else "")
        )


@cli.command("log")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000), help="Entries.")
@click.option("--refused", is_flag=True, help="Only refused questions.")
@click.option("--disliked", is_flag=True, help="Only answered questions given a 👎.")
@click.pass_context
def log_(ctx: click.Context, limit: int, refused: bool, disliked: bool) -> None:
    """Recent refused and 👎 questions with what they got, newest first (times in UTC):
    what to add or fix. Says nothing of who asked; kept as long as
    REPORTBOT_QUERY_RETENTION_DAYS says."""
    library = open_library(ctx)
    both = not refused and not disliked
    entries = library.conversation_log(limit, refused=refused or both, disliked=disliked or both)
    if not entries:
        click.echo(texts.LOG_EMPTY.format(days=library.settings.query_retention_days))
    for entry in entries:
        click.echo(log_text(entry))


def log_text(entry: LogEntry) -> str:
    """One entry of `reportbot log`: when, why it is listed, the question; for an answer,
    the top excerpt's citation and quoted words on the lines below."""
    when = entry.at[:16].replace("T", " ")
    lines = [f"{when}  {texts.log_verdict(entry)}  {entry.question}"]
    if entry.answered:
        r = entry.report
        if r is None:
            lines.append(f"    → {texts.LOG_REPORT_GONE}")
        else:
            name = f"{r.issuer}《{r.title}》" + (f"（{r.year}年）" if r.year else "")
            lines.append(f"    → #{r.id} " + " › ".join([name, *entry.section]))
        lines.append(f"      “{entry.snippet}”")
    return "\n".join(lines)


@cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-v", "--verbose", is_flag=True, help="Show each question that missed.")
@click.option(
    "--meta",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check stored metadata against a meta.json (issuer, year, title, places, sections).",
)
@click.pass_context
def eval_(ctx: click.Context, file: Path, verbose: bool, meta: Path | None) -> None:
    """Score answers against FILE (JSONL of {"q", "expect": [substrings]}; [] = must refuse)."""
    library = open_library(ctx)
    if meta is not None:
        try:
            wanted = read_meta(meta)
        except ValueError as e:
            raise click.ClickException(str(e)) from None
        checked = check_metadata(wanted, library.reports(), library.report_passages)
        if verbose:
            for miss in checked.misses:
                click.echo(f"meta miss: {miss}")
        click.echo(checked.summary())
    try:
        questions = read_questions(file)
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    result = evaluate(library.ask, questions)
    if verbose:
        for miss in result.misses:
            click.echo(f"miss: {miss}")
    click.echo(result.summary())


@cli.command()
@click.option(
    "--history",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path.home() / ".reportbot_history",
    show_default=True,
    help="Where the line-editing history is kept.",
)
@click.pass_context
def chat(ctx: click.Context, history: Path) -> None:
    """Chat on the terminal as in the bot's private chat (follow-ups, 更多, 全文 N, 来源 N)."""
    from bot.terminal import run_terminal

    run_terminal(open_library(ctx), history)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
def web(ctx: click.Context, host: str, port: int) -> None:
    """Serve the web chat page and its JSON API (POST /api/chat, /api/ask; GET /api/start, /api/reports)."""
    from bot.web.app import serve  # Starlette and uvicorn only for this command

    library = open_library(ctx)
    click.echo(f"reportbot web on http://{host}:{port}/ (Ctrl+C to stop)")
    serve(library, host, port)


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
    from bot.telegram.app import StartupError, check_telegram, run  # telegram only when serving

    library = open_library(ctx)
    try:
        asyncio.run(check_telegram(settings))
    except StartupError as e:
        library.close()
        raise click.ClickException(str(e)) from None
    run(settings, library, webhook_url)


cli.add_command(dingtalk)
cli.add_command(wecom)
cli.add_command(feishu_command)


def main() -> None:
    cli(prog_name="reportbot")
