"""Answers, passages and reports rendered as Telegram HTML messages and keyboards.

Everything from a report or a user is escaped; tags are only ever opened and closed around
whole pieces we build, so a message can be split between pieces but never inside a tag.
Telegram counts a message's length in UTF-16 code units of its visible text: 4096 at most.
"""

from __future__ import annotations

import html
import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from retrieval import texts
from retrieval.models import Answer, Hit, Passage, Report, Snippet

MAX_MESSAGE = 4096
_TAG = re.compile(r"<[^>]+>")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def visible_length(message_html: str) -> int:
    """Length Telegram measures: visible text in UTF-16 code units."""
    plain = html.unescape(_TAG.sub("", message_html))
    return len(plain.encode("utf-16-le")) // 2


def snippet_html(snippet: Snippet) -> str:
    return "".join(f"<b>{escape(s.text)}</b>" if s.match else escape(s.text) for s in snippet.spans)


def citation(report: Report, section: tuple[str, ...]) -> str:
    """issuer《title》year › section › subsection, escaped."""
    year = f"（{report.year}年）" if report.year else ""
    parts = [f"{report.issuer}《{report.title}》{year}", *section]
    return escape(" › ".join(parts))


def _hit_block(hit: Hit) -> str:
    return (
        f"<b>{hit.rank}.</b> <blockquote>{snippet_html(hit.snippet)}</blockquote>\n"
        f"📄 {citation(hit.report, hit.passage.section)}"
    )


def answer_message(
    answer: Answer, query_id: int | None, offset: int = 0, has_more: bool = False, page_size: int = 3
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The reply to a question: a refusal sentence, or quoted excerpts with citations and
    buttons for 全文 / 来源 of each, feedback, and paging."""
    head = f"<b>{texts.QUESTION_LABEL}</b>{escape(_shorten(answer.query.text, 200))}"
    if not answer.answered:
        return f"{head}\n\n{escape(texts.refusal(answer))}", None
    blocks = [_hit_block(h) for h in answer.hits]
    body = _fit([head, *blocks], "\n\n")
    rows = [
        [
            InlineKeyboardButton(texts.FULL.format(n=h.rank), callback_data=f"full:{h.passage.id}"),
            InlineKeyboardButton(texts.SOURCE.format(n=h.rank), callback_data=f"src:{h.report.id}"),
        ]
        for h in answer.hits
    ]
    if query_id is not None:
        last: list[InlineKeyboardButton] = [
            InlineKeyboardButton(texts.THUMBS_UP, callback_data=f"fb:{query_id}:1"),
            InlineKeyboardButton(texts.THUMBS_DOWN, callback_data=f"fb:{query_id}:-1"),
        ]
        if offset > 0:
            prev = max(0, offset - page_size)
            last.append(InlineKeyboardButton(texts.PREVIOUS, callback_data=f"more:{query_id}:{prev}"))
        if has_more:
            nxt = offset + len(answer.hits)
            last.append(InlineKeyboardButton(texts.MORE, callback_data=f"more:{query_id}:{nxt}"))
        rows.append(last)
    return body, InlineKeyboardMarkup(rows)


def passage_messages(passage: Passage, report: Report) -> list[str]:
    """The whole passage with its citation, split into messages that each fit."""
    head = f"📄 {citation(report, passage.section or (texts.SECTION_OPENING,))}"
    chunks = _split_plain(passage.text, MAX_MESSAGE - visible_length(head) - 50)
    messages = [f"<blockquote>{escape(c)}</blockquote>" for c in chunks]
    messages[-1] += f"\n{head}"
    return messages


def report_messages(report: Report, outline: list[tuple[str, ...]]) -> list[str]:
    """A report's card and outline (its headings, indented by level)."""
    meta = texts.REPORT_META.format(
        issuer=report.issuer or texts.NONE,
        year=report.year or texts.UNKNOWN_YEAR,
        places=" › ".join(report.places) or texts.NONE,
        source=report.source,
        passages=report.passage_count,
    )
    lines = [f"<b>#{report.id} {escape(report.title)}</b>", escape(meta)]
    if report.url:
        lines.append(f'🔗 <a href="{html.escape(report.url, quote=True)}">{escape(texts.REPORT_LINK)}</a>')
    if outline:
        lines.append(f"\n<b>{texts.OUTLINE_HEADER}</b>")
        lines.extend(escape("　" * (len(path) - 1) + path[-1]) for path in outline)
    return _pack(lines, "\n")


def reports_list(reports: list[Report]) -> tuple[str, InlineKeyboardMarkup | None]:
    """The /reports reply: one line per report and a button to each outline."""
    if not reports:
        return escape(texts.NO_REPORTS_YET), None
    lines = [escape(texts.REPORTS_HEADER.format(n=len(reports)))]
    lines += [
        escape(f"#{r.id} {r.year or ''} {r.issuer}《{r.title}》（{r.passage_count}段）") for r in reports
    ]
    # Telegram allows 100 buttons; beyond that the list still names every report.
    buttons = [
        InlineKeyboardButton(f"#{r.id} {_shorten(r.place or r.issuer, 12)}", callback_data=f"src:{r.id}")
        for r in reports[:99]
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return _fit(lines, "\n"), InlineKeyboardMarkup(rows)


def inline_results(answer: Answer) -> list[InlineQueryResultArticle]:
    """Inline mode: one article per hit; choosing it posts the excerpt with its citation."""
    out = []
    for h in answer.hits:
        section = h.passage.section[-1] if h.passage.section else texts.SECTION_OPENING
        message = (
            f"<blockquote>{snippet_html(h.snippet)}</blockquote>\n📄 {citation(h.report, h.passage.section)}"
        )
        out.append(
            InlineQueryResultArticle(
                id=str(h.passage.id),
                title=_shorten(f"{h.report.issuer} › {section}", 100),
                description=_shorten(h.snippet.text, 200),
                input_message_content=InputTextMessageContent(message, parse_mode="HTML"),
            )
        )
    return out


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fit(pieces: list[str], sep: str) -> str:
    """Join whole pieces while the message fits; later pieces are dropped, never cut."""
    out: list[str] = []
    for p in pieces:
        candidate = sep.join([*out, p])
        if visible_length(candidate) > MAX_MESSAGE:
            break
        out.append(p)
    return sep.join(out)


def _pack(pieces: list[str], sep: str) -> list[str]:
    """Whole pieces packed into as few messages as fit."""
    messages: list[str] = []
    current: list[str] = []
    for p in pieces:
        if current and visible_length(sep.join([*current, p])) > MAX_MESSAGE:
            messages.append(sep.join(current))
            current = []
        current.append(p)
    if current:
        messages.append(sep.join(current))
    return messages


def _split_plain(text: str, limit: int) -> list[str]:
    """Plain text cut into chunks of at most `limit` UTF-16 units, at sentence ends if possible."""
    chunks: list[str] = []
    rest = text
    while len(rest.encode("utf-16-le")) // 2 > limit:
        cut = limit
        while len(rest[:cut].encode("utf-16-le")) // 2 > limit:
            cut -= 1
        end = max(rest.rfind(c, 0, cut) for c in "。；！？\n")
        cut = end + 1 if end > limit // 2 else cut
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return [c for c in chunks if c] or [""]
