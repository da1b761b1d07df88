"""Answers, passages and reports rendered as Telegram HTML messages and keyboards.

Everything from a report or a user is escaped; tags are only ever opened and closed around
whole pieces we build, so a message can be split between pieces but never inside a tag.
Telegram counts a message's length in UTF-16 code units of its visible text: 4096 at most.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from bot.core import texts
from bot.core.messages import (
    Action,
    AnswerPart,
    FilePart,
    Kind,
    ListPart,
    Part,
    PassagePart,
    PreviewPart,
    Reply,
    ReportPart,
    Rows,
    StatsPart,
    TextPart,
)
from retrieval import texts as library_texts
from retrieval.models import Answer, Hit, Passage, Report, Snippet
from retrieval.places import default_gazetteer

MAX_MESSAGE = 4096
# A further excerpt longer than this folds into an expandable quote (three lines, about 50
# characters, on a 390 px phone).
FOLD_CHARS = 60
HEADING_CHARS = 18  # one line of a 390 px phone
PREVIEW_ROOM = 3900  # of a message's 4096: the rest is the preview's own lines and slack
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
    return escape(" › ".join([library_texts.report_name(report), *section]))


def _report_line(report: Report) -> str:
    """A report's one citation line under its excerpts, linked to the original when fetched."""
    name = escape(library_texts.report_name(report))
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
    heading = section[-1] if section else library_texts.SECTION_OPENING
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


# --- a reply's parts as messages -------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One HTML message and its keyboard."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True)
class Document:
    """A file to send, with its HTML caption."""

    data: bytes
    name: str
    caption: str | None = None


@dataclass(frozen=True)
class Photo:
    """A picture to show in the chat (a ranking's chart), not a file to download."""

    data: bytes
    name: str


Out = Text | Document | Photo
PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg")


def messages(reply: Reply) -> list[Out]:
    """What the core's reply is in Telegram: its parts as messages and files, in order."""
    return [out for part in reply.parts for out in _part(part)]


def _part(part: Part) -> list[Out]:
    if isinstance(part, AnswerPart):
        return [Text(answer_html(part), keyboard(part.actions))]
    if isinstance(part, TextPart):
        pages = _pack([escape(line) for line in part.text.split("\n")], "\n")
        return [*map(Text, pages[:-1]), Text(pages[-1], keyboard(part.actions))]
    if isinstance(part, PassagePart):
        return [Text(m) for m in passage_messages(part.passage, part.report)]
    if isinstance(part, ReportPart):
        return [Text(m) for m in report_messages(part.report, list(part.outline))]
    if isinstance(part, FilePart):
        if part.report is None and part.name.lower().endswith(PHOTO_SUFFIXES):
            return [Photo(part.data, part.name)]  # a chart: seen in the chat at a glance
        caption = report_caption(part.report) if part.report is not None else None
        return [Document(part.data, part.name, caption)]
    if isinstance(part, ListPart):
        return [Text(list_html(part), keyboard(part.actions))]
    if isinstance(part, PreviewPart):
        return [Text(preview_html(part), keyboard(part.actions))]
    return [Text(stats_html(part))]


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    """A reply's action rows as inline buttons, each carrying its action's id (signed on the
    way out by bot.telegram.buttons). A report's button too wide for its share of a phone's
    row is shortened here, its year kept (a phone would cut it at the end, year first); a row
    whose shortened labels would read alike is split, a button a row, with its labels whole."""
    buttons: list[list[InlineKeyboardButton]] = []
    for row in rows:
        if not row:
            continue
        labels = [_fitted(a, len(row)) for a in row]
        if any(
            a.label.startswith("📄 ") and not x.startswith("📄 ") for a, x in zip(row, labels, strict=True)
        ):
            labels = [
                x.removeprefix("📄 ") if a.kind == Kind.SOURCE else x
                for a, x in zip(row, labels, strict=True)
            ]
        if len(set(labels)) < len({a.label for a in row}):
            buttons.extend([InlineKeyboardButton(a.label, callback_data=a.id)] for a in row)
            continue
        buttons.append(
            [InlineKeyboardButton(label, callback_data=a.id) for label, a in zip(labels, row, strict=True)]
        )
    return InlineKeyboardMarkup(buttons) if buttons else None


# A phone's keyboard: the width of a message bubble on a 390 px screen, 4 px between buttons,
# each button's label inset by 6 px a side, in 14 px type.
KEYBOARD_PX = 334
BUTTON_GAP_PX = 4
BUTTON_PADDING_PX = 12
_SOURCE_LABEL = re.compile(r"^(?P<icon>📄 )?(?P<place>.+?)(?P<year> \d{4})?$")


def label_px(text: str) -> float:
    """About how wide a label is on a phone in 14 px type: a Chinese character 14 px, an
    emoji 18, a space 4, a digit or Latin letter 8."""
    return sum(
        18 if ord(c) >= 0x1F000 else 4 if c == " " else 8 if ord(c) < 0x2E80 and c != "…" else 14
        for c in text
    )


def button_room(buttons_in_row: int) -> float:
    """The width a label has on a button of a row of `buttons_in_row`."""
    n = max(buttons_in_row, 1)
    return (KEYBOARD_PX - BUTTON_GAP_PX * (n - 1)) / n - BUTTON_PADDING_PX


def _fitted(action: Action, buttons_in_row: int) -> str:
    """The label of a report's button as it fits its button: whole; with the place as people
    shorten it (秀山土家族苗族自治县 → 秀山县); without the icon; the place cut, the year kept."""
    room = button_room(buttons_in_row)
    m = _SOURCE_LABEL.match(action.label)
    if action.kind != Kind.SOURCE or label_px(action.label) <= room or m is None:
        return action.label
    icon, place, year = m["icon"] or "", m["place"], m["year"] or ""
    short = _short_place(place)
    for label in (f"{icon}{short}{year}", f"{short}{year}"):
        if label_px(label) <= room:
            return label
    for keep in range(len(short) - 1, 0, -1):
        label = f"{short[:keep]}…{year}"
        if label_px(label) <= room:
            return label
    return f"{short[:1]}…{year}"


def _short_place(place: str) -> str:
    """The shortest way people write a place that names it alone and keeps its kind (秀山县
    for 秀山土家族苗族自治县); the place itself when there is none."""
    gazetteer = default_gazetteer()
    unique = gazetteer.short_names()
    forms = [
        a for a in gazetteer.aliases(place) if a != place and a[-1] == place[-1] and unique.get(a) == place
    ]
    return min(forms, key=len) if forms else place


def answer_html(part: AnswerPart) -> str:
    """The reply to a question: its lead line, then quoted excerpts grouped by report with one
    citation line each (a comparison: each side's excerpt under its name), then the sentences
    around them (a refusal, a reply about the collection, the sides with nothing, other years)."""
    answer = part.answer
    # The first line is the answer: its lead line, else the first excerpt (or the reply's or
    # refusal's sentences); what was understood only when it is not what was typed.
    asked = f"<i>{texts.QUESTION_LABEL}{escape(_shorten(part.asked, 200))}</i>" if part.asked else ""
    head = "\n".join(x for x in (f"<b>{escape(part.lead)}</b>" if part.lead else "", asked) if x)
    notes = [escape(n) for n in part.notes]
    if answer.reply is not None:  # line by line: as many of the listed reports as fit
        lines = [line for n in notes for line in n.split("\n")]
        return _fit([*([f"{head}\n"] if head else []), *lines], "\n")
    if not part.excerpts:
        return "\n\n".join([*([head] if head else []), *notes])
    if answer.groups:
        first = part.excerpts[0].hit.rank
        blocks = [
            "\n".join(
                [*(_excerpt(h, h.rank == first, g.key) for h in g.hits), _report_line(g.hits[0].report)]
            )
            for g in answer.groups
            if g.hits
        ]
    elif answer.table is not None:
        # A ranking: its lead line gives the order; each place's excerpt under its report's
        # line, the excerpts one after another, so that the whole fits a phone's screen.
        first = part.excerpts[0].hit.rank
        ranked = "\n".join(_ranked_excerpt(e.hit, e.hit.rank == first) for e in part.excerpts)
        return _fit([*([head] if head else []), ranked, *(["\n".join(notes)] if notes else [])], "\n\n")
    else:
        blocks = _answer_blocks(tuple(e.hit for e in part.excerpts))
    tail = ["\n".join(notes)] if notes else []
    return _fit([*([head] if head else []), *blocks, *tail], "\n\n")


def _ranked_excerpt(hit: Hit, first: bool) -> str:
    """A ranked place's excerpt: its number and report line (which names the place and year),
    then the quote; folded beyond the first when long."""
    fold = not first and len(hit.snippet.text) > FOLD_CHARS
    quote = "<blockquote expandable>" if fold else "<blockquote>"
    return f"<b>{hit.rank}.</b> {_report_line(hit.report)}\n{quote}{snippet_html(hit.snippet)}</blockquote>"


def passage_messages(passage: Passage, report: Report) -> list[str]:
    """The whole passage with its citation, split into messages that each fit."""
    head = f"📄 {citation(report, passage.section or (library_texts.SECTION_OPENING,))}"
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
    lines = [f"<b>{escape(_shorten(library_texts.report_name(report), 300))}</b>"]
    if report.places:
        lines.append(escape(" › ".join(report.places)))
    if report.url:
        lines.append(f'🔗 <a href="{html.escape(report.url, quote=True)}">{escape(texts.REPORT_LINK)}</a>')
    return "\n".join(lines)


LIST_WORDS_CHARS = 60  # filter words longer than this are cut where a list repeats them
LIST_TITLE_CHARS = 60  # a title longer than this (a misparse, mostly) is cut in a list line


def list_html(part: ListPart) -> str:
    """A page of a report list: its count and page, then (for /reports) a line per report; the
    pick list to delete from has its reports on its buttons."""
    words = _shorten(part.words, LIST_WORDS_CHARS)
    if not part.reports:
        return escape(texts.REPORTS_NONE_FOUND.format(words=words) if words else texts.NO_REPORTS_YET)
    page, pages = part.offset // part.size + 1, max(1, -(-part.total // part.size))
    n = f"{part.total:,}"
    if part.deleting:
        template = texts.DELETE_PICK_FOUND if words else texts.DELETE_PICK_PAGE
        return escape(template.format(words=words, n=n, page=page, pages=pages))
    template = texts.REPORTS_FOUND if words else texts.REPORTS_HEADER
    lines = [escape(template.format(words=words, n=n, page=page, pages=pages))]
    lines += [escape(_list_line(r)) for r in part.reports]
    return _fit(lines, "\n")


def _list_line(r: Report) -> str:
    title = _shorten(library_texts.short_title(r), LIST_TITLE_CHARS)
    return f"#{r.id} {r.year or ''} {r.issuer}《{title}》（{r.passage_count}段）"


def _titled(text: str) -> str:
    """Plain text whose first line is a title: the title bold, everything escaped."""
    title, _, rest = text.partition("\n")
    return f"<b>{escape(title)}</b>\n{escape(rest)}" if rest else f"<b>{escape(title)}</b>"


def preview_html(part: PreviewPart) -> str:
    """A report's preview in one message: the outline cut where it would not fit, saying how
    many sections are left out."""
    head, warnings, tail = (
        _titled(part.head),
        "\n".join(map(escape, part.warnings)),
        "\n".join(map(escape, part.tail)),
    )
    room = PREVIEW_ROOM - visible_length("\n\n".join([head, warnings, tail]))
    outline = [f"<b>{escape(texts.PREVIEW_OUTLINE)}</b>"]
    for i, entry in enumerate(part.outline):
        line = escape(entry)
        left = len(part.outline) - i - 1  # after this one: if any, there must be room to say so
        more = [escape(texts.PREVIEW_OUTLINE_MORE.format(n=left))] if left else []
        if visible_length("\n".join([*outline, line, *more])) > room:
            outline.append(escape(texts.PREVIEW_OUTLINE_MORE.format(n=left + 1)))  # room kept for it
            break
        outline.append(line)
    return "\n\n".join(p for p in [head, warnings, "\n".join(outline), tail] if p)


def stats_html(part: StatsPart) -> str:
    """/stats in one message: the counts, then as many of the logged lines as fit."""
    head = _titled(part.counts)
    lines = [escape(part.header)]
    for line in map(escape, part.lines):
        if visible_length("\n".join([head, "", *lines, line])) > MAX_MESSAGE:
            break
        lines.append(line)
    return "\n\n".join([head, "\n".join(lines)])


def inline_results(answer: Answer) -> list[InlineQueryResultArticle]:
    """Inline mode: one article per hit; choosing it posts the excerpt with its citation."""
    out = []
    for h in answer.hits:
        section = h.passage.section[-1] if h.passage.section else library_texts.SECTION_OPENING
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

FEEDBACK_PREFIXES = ("fb:", "fbr:")  # the ids of 👍/👎, 已反馈 and the 👎 reasons (bot.core.actions)
ROW_BUTTONS = 4  # more in one row and a phone cuts their labels


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
