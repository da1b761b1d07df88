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
from retrieval.models import Answer, Hit, Passage, ReplyKind, Report, Snippet

MAX_MESSAGE = 4096
# A further excerpt longer than this folds into an expandable quote (three lines, about 50
# characters, on a 390 px phone).
FOLD_CHARS = 60
HEADING_CHARS = 18  # one line of a 390 px phone
REPLY_BUTTONS = 12  # buttons to the reports a reply about the collection lists
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
    """issuer《title》（year, when the title has none） › section › subsection, escaped."""
    return escape(" › ".join([texts.report_name(report), *section]))


def _report_line(report: Report) -> str:
    """A report's one citation line under its excerpts, linked to the original when fetched."""
    name = escape(texts.report_name(report))
    if report.url:
        name = f'<a href="{html.escape(report.url, quote=True)}">{name}</a>'
    return f"📄 {name}"


def _excerpt(hit: Hit, first: bool, label: str = "") -> str:
    """One excerpt: its number (and `label`, a comparison's side) and nearest heading, then
    the quote. A long quote other than the first folds (Telegram's expandable quote) so that
    an answer fits a phone screen."""
    section = hit.passage.section
    # A passage opening with its own heading (（三）强化宣传教育。…) shows it in the quote: name
    # the heading above it instead.
    if section and hit.passage.text.startswith(section[-1]):
        section = section[:-1]
    heading = section[-1] if section else texts.SECTION_OPENING
    fold = not first and len(hit.snippet.text) > FOLD_CHARS
    quote = "<blockquote expandable>" if fold else "<blockquote>"
    number = f"{hit.rank}. {escape(label)}" if label else f"{hit.rank}."
    return (
        f"<b>{number}</b> <i>{escape(_shorten(heading, HEADING_CHARS))}</i>\n"
        f"{quote}{snippet_html(hit.snippet)}</blockquote>"
    )


def _answer_blocks(hits: tuple[Hit, ...]) -> list[str]:
    """The excerpts grouped by report, in the order of each report's best hit; a report's
    citation line is said once, under its excerpts (the full section path is in 全文)."""
    by_report: dict[int, list[Hit]] = {}
    for h in hits:
        by_report.setdefault(h.report.id, []).append(h)
    first = hits[0].rank if hits else 0
    return [
        "\n".join([*(_excerpt(h, h.rank == first) for h in group), _report_line(group[0].report)])
        for group in by_report.values()
    ]


def answer_message(
    answer: Answer, query_id: int | None, offset: int = 0, has_more: bool = False, page_size: int = 3
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The reply to a question: a refusal sentence, or quoted excerpts grouped by report with
    one citation line each, and buttons: 全文 of each excerpt, 来源 of each report, feedback,
    导出 and paging."""
    head = f"<b>{texts.QUESTION_LABEL}</b>{escape(_shorten(answer.query.text, 200))}"
    if answer.reply is not None:
        return _reply_message(answer, head)
    if answer.groups or answer.missing:
        return _comparison_message(answer, head, query_id)
    if not answer.answered:
        return f"{head}\n\n{escape(texts.refusal(answer))}", None
    blocks = _answer_blocks(answer.hits)
    if answer.other_years:
        blocks.append(escape(texts.other_years(answer)))
    body = _fit([head, *blocks], "\n\n")
    rows = [
        [
            InlineKeyboardButton(texts.FULL.format(n=h.rank), callback_data=f"full:{h.passage.id}")
            for h in answer.hits
        ]
    ]
    reports = list({h.report.id: h.report for h in answer.hits}.values())
    rows.append(
        [
            InlineKeyboardButton(
                texts.SOURCE_OF.format(place=_shorten(r.place or r.issuer, 8))
                if len(reports) > 1
                else texts.SOURCE_ONE,
                callback_data=f"src:{r.id}",
            )
            for r in reports
        ]
    )
    if query_id is not None:
        last: list[InlineKeyboardButton] = [
            InlineKeyboardButton(texts.THUMBS_UP, callback_data=f"fb:{query_id}:1"),
            InlineKeyboardButton(texts.THUMBS_DOWN, callback_data=f"fb:{query_id}:-1"),
            InlineKeyboardButton(texts.EXPORT, callback_data=f"exp:{query_id}"),
        ]
        if offset > 0:
            prev = max(0, offset - page_size)
            last.append(InlineKeyboardButton(texts.PREVIOUS, callback_data=f"more:{query_id}:{prev}"))
        if has_more:
            nxt = offset + len(answer.hits)
            last.append(InlineKeyboardButton(texts.MORE, callback_data=f"more:{query_id}:{nxt}"))
        rows.append(last)
        rows.extend(_year_rows(answer, query_id))
    return body, InlineKeyboardMarkup(rows)


def _reply_message(answer: Answer, head: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """An answer from the collection: its text, and a button to each report it lists."""
    lines = texts.reply(answer).split("\n")
    body = _fit([f"{head}\n", *map(escape, lines)], "\n")
    reports = answer.reply.reports if answer.reply and answer.reply.kind != ReplyKind.PLACES else ()
    buttons = [
        InlineKeyboardButton(f"#{r.id} {_shorten(r.place or r.issuer, 12)}", callback_data=f"src:{r.id}")
        for r in reports[:REPLY_BUTTONS]
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return body, InlineKeyboardMarkup(rows) if rows else None


def _year_rows(answer: Answer, query_id: int) -> list[list[InlineKeyboardButton]]:
    """A button per other year of the place, re-asking the question for that year."""
    buttons = [
        InlineKeyboardButton(texts.YEAR_BUTTON.format(year=y), callback_data=f"yr:{query_id}:{y}")
        for y in answer.other_years
    ]
    return [buttons[i : i + 4] for i in range(0, len(buttons), 4)]


def _comparison_message(
    answer: Answer, head: str, query_id: int | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A comparison in one compact message: per side its best excerpt (terms and figures
    bold) under the side's name, and its report's one citation line; then a line for each
    side whose report says nothing. Buttons as for any answer, without paging."""
    hits = [h for g in answer.groups for h in g.hits]
    first = hits[0].rank if hits else 0
    blocks = [
        "\n".join([*(_excerpt(h, h.rank == first, g.key) for h in g.hits), _report_line(g.hits[0].report)])
        for g in answer.groups
        if g.hits
    ]
    lines = [escape(texts.missing(answer, key)) for key in answer.missing]
    body = _fit([head, *blocks, "\n".join(lines)] if lines else [head, *blocks], "\n\n")
    full = [
        InlineKeyboardButton(texts.FULL.format(n=h.rank), callback_data=f"full:{h.passage.id}") for h in hits
    ]
    rows = [full[i : i + 4] for i in range(0, len(full), 4)]
    sources = [
        InlineKeyboardButton(
            texts.SOURCE_OF.format(place=_shorten(g.key, 8)), callback_data=f"src:{g.report.id}"
        )
        for g in answer.groups
        if g.report is not None
    ]
    rows.extend(sources[i : i + 4] for i in range(0, len(sources), 4))
    if query_id is not None and hits:
        rows.append(
            [
                InlineKeyboardButton(texts.THUMBS_UP, callback_data=f"fb:{query_id}:1"),
                InlineKeyboardButton(texts.THUMBS_DOWN, callback_data=f"fb:{query_id}:-1"),
                InlineKeyboardButton(texts.EXPORT, callback_data=f"exp:{query_id}"),
            ]
        )
    return body, InlineKeyboardMarkup(rows) if rows else None


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


def report_caption(report: Report) -> str:
    """The caption of a report's original file: its name, year and places (≤ 1024 characters)."""
    lines = [f"<b>{escape(_shorten(texts.report_name(report), 300))}</b>"]
    if report.places:
        lines.append(escape(" › ".join(report.places)))
    if report.url:
        lines.append(f'🔗 <a href="{html.escape(report.url, quote=True)}">{escape(texts.REPORT_LINK)}</a>')
    return "\n".join(lines)


def original_name(report: Report, suffix: str) -> str:
    """A file name for a report's original that says what it is (not the stored id)."""
    stem = "".join(
        c for c in (report.issuer + (f"_{report.year}" if report.year else "")) if c.isalnum() or c == "_"
    )
    return f"{stem or 'report'}{suffix}"


REPORTS_PER_PAGE = 10
MAX_CALLBACK_BYTES = 64 - 12  # Telegram's 64 bytes, less the signature bot.buttons adds
LIST_WORDS_CHARS = 60  # filter words longer than this are cut where a list repeats them
LIST_TITLE_CHARS = 60  # a title longer than this (a misparse, mostly) is cut in a list line
BUTTON_CHARS = 40  # a /delete button's text: about what a one-button row shows on a phone
BUTTON_ISSUER_CHARS = 12  # of which the issuer takes at most this; the title gets the rest


def page_data(prefix: str, offset: int, words: str = "", key: str = "") -> str | None:
    """Callback data for a page of a report list: `prefix:offset`, with the filter words
    (`:w:秀山`) or, for words too long to carry, the key they are remembered under (`:k:…`).
    None when the words do not fit (the caller remembers them and passes `key`)."""
    data = f"{prefix}:{offset}"
    if key:
        data += f":k:{key}"
    elif words:
        data += f":w:{words}"
    return data if len(data.encode()) <= MAX_CALLBACK_BYTES else None


def _pages(total: int, offset: int, size: int) -> tuple[int, int]:
    """(this page's number, the number of pages), both from 1."""
    return offset // size + 1, max(1, -(-total // size))


def _list_header(total: int, offset: int, size: int, words: str) -> str:
    page, pages = _pages(total, offset, size)
    words = _shorten(words, LIST_WORDS_CHARS)
    if words:
        return texts.REPORTS_FOUND.format(words=words, n=f"{total:,}", page=page, pages=pages)
    return texts.REPORTS_HEADER.format(n=f"{total:,}", page=page, pages=pages)


def _page_row(
    prefix: str, total: int, offset: int, size: int, words: str, key: str
) -> list[InlineKeyboardButton]:
    """‹ and › to the pages before and after this one (none on a single page)."""
    row = []
    if offset > 0:
        data = page_data(prefix, max(0, offset - size), words, key)
        row.append(InlineKeyboardButton(texts.LIST_PREVIOUS, callback_data=data))
    if offset + size < total:
        data = page_data(prefix, offset + size, words, key)
        row.append(InlineKeyboardButton(texts.LIST_NEXT, callback_data=data))
    return row


def _no_reports(words: str) -> str:
    words = _shorten(words, LIST_WORDS_CHARS)
    return escape(texts.REPORTS_NONE_FOUND.format(words=words) if words else texts.NO_REPORTS_YET)


def reports_list(
    reports: list[Report],
    total: int | None = None,
    offset: int = 0,
    words: str = "",
    key: str = "",
    size: int = REPORTS_PER_PAGE,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of the /reports list (`reports`, of `total` that match `words`, from `offset`):
    the count and page, one line per report, a button to each one's outline, and ‹ › to the
    pages around it. `key` stands for words too long for a button's data (see page_data)."""
    total = len(reports) if total is None else total
    if not reports:
        return _no_reports(words), None
    lines = [escape(_list_header(total, offset, size, words))]
    lines += [escape(_list_line(r)) for r in reports]
    buttons = [
        InlineKeyboardButton(
            _shorten(f"#{r.id} {r.year or ''} {r.place or r.issuer}", 24), callback_data=f"src:{r.id}"
        )
        for r in reports
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    nav = _page_row("rep", total, offset, size, words, key)
    return _fit(lines, "\n"), InlineKeyboardMarkup([*rows, *([nav] if nav else [])])


def _list_line(r: Report) -> str:
    title = _shorten(texts.short_title(r), LIST_TITLE_CHARS)
    return f"#{r.id} {r.year or ''} {r.issuer}《{title}》（{r.passage_count}段）"


def delete_button_text(report: Report) -> str:
    """A /delete button: id, issuer, year and title, each shortened so the whole fits (the
    title without the issuer it repeats or a leading 关于; the year apart only when the title
    does not say it)."""
    title = texts.short_title(report)
    title = title.removeprefix("关于") if len(title) > 4 else title
    year = f" {report.year}年" if report.year and not texts.title_says_year(title) else ""
    head = f"#{report.id} {_shorten(report.issuer or texts.NONE, BUTTON_ISSUER_CHARS)}{year}"
    room = max(BUTTON_CHARS - len(head) - 2, 8)  # 2: the title's brackets
    return f"{head}《{_shorten(title, room)}》"


def delete_list(
    reports: list[Report],
    total: int,
    offset: int = 0,
    words: str = "",
    key: str = "",
    size: int = REPORTS_PER_PAGE,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of /delete's pick list: a button per report (issuer, year, title) and ‹ ›."""
    if not reports:
        return _no_reports(words), None
    page, pages = _pages(total, offset, size)
    text = texts.DELETE_PICK_PAGE.format(n=f"{total:,}", page=page, pages=pages)
    if words:
        text = texts.DELETE_PICK_FOUND.format(
            words=_shorten(words, LIST_WORDS_CHARS), n=f"{total:,}", page=page, pages=pages
        )
    rows = [[InlineKeyboardButton(delete_button_text(r), callback_data=f"del:{r.id}:ask")] for r in reports]
    nav = _page_row("delp", total, offset, size, words, key)
    return escape(text), InlineKeyboardMarkup([*rows, *([nav] if nav else [])])


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


# --- the feedback row under an answer ---------------------------------------------------------

FEEDBACK_PREFIXES = ("fb:", "fbr:")  # the callback data of 👍/👎, 已反馈 and the 👎 reasons
ROW_BUTTONS = 4  # more in one row and a phone cuts their labels


def marked_feedback(query_id: int, value: str, reason: str | None = None) -> list[InlineKeyboardButton]:
    """The one button a feedback row becomes once pressed: 已反馈 👍, 已反馈 👎（不完整）.
    Pressing it only says that feedback was given."""
    text = (
        texts.FEEDBACK_MARKED_REASON.format(reason=reason)
        if reason
        else texts.FEEDBACK_MARKED.format(value=value)
    )
    return [InlineKeyboardButton(text, callback_data=f"fb:{query_id}:0")]


def reason_buttons(query_id: int) -> list[InlineKeyboardButton]:
    """What a 👎 asks: 不相关 / 不完整 / 过时 / 其他."""
    return [
        InlineKeyboardButton(label, callback_data=f"fbr:{query_id}:{reason.value}")
        for reason, label in texts.FEEDBACK_REASONS.items()
    ]


def _is_feedback(b: InlineKeyboardButton) -> bool:
    return isinstance(b.callback_data, str) and b.callback_data.startswith(FEEDBACK_PREFIXES)


def feedback_buttons(markup: InlineKeyboardMarkup) -> list[InlineKeyboardButton]:
    """The feedback buttons of a keyboard (plain callback data) as they stand: 👍/👎, the
    reasons, or 已反馈."""
    return [b for row in markup.inline_keyboard for b in row if _is_feedback(b)]


def with_feedback_row(
    markup: InlineKeyboardMarkup, buttons: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup:
    """`markup` (plain callback data) with its feedback buttons replaced by `buttons`, every
    other button where it was. They take the feedback buttons' place in their row while the
    row stays at ROW_BUTTONS or fewer, else a row of their own just above the rest of it.
    A keyboard without feedback buttons is returned unchanged."""
    is_feedback = _is_feedback
    rows = [list(row) for row in markup.inline_keyboard]
    at = next((i for i, row in enumerate(rows) if any(is_feedback(b) for b in row)), None)
    if at is None:
        return markup
    row = rows[at]
    first = next(j for j, b in enumerate(row) if is_feedback(b))
    rest = [b for b in row if not is_feedback(b)]
    if len(rest) + len(buttons) <= ROW_BUTTONS:
        new_rows = [[*rest[:first], *buttons, *rest[first:]]]
    else:
        new_rows = [buttons, rest]
    others = [[b for b in r if not is_feedback(b)] for r in rows[at + 1 :]]
    return InlineKeyboardMarkup([r for r in [*rows[:at], *new_rows, *others] if r])
