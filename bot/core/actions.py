"""The actions under a reply, and their ids: `full:<passage>`, `src:<report>`, `exp:<question>`,
`more:<question>:<offset>`, `yr:<question>:<year>`, `pl:<question>:<choice>`, `fb:<question>:<1|-1|0>`,
`fbr:<question>:<reason>`, `rep:<offset>[:w:<words>|:k:<key>]`, `delp:…`, `del:<report>:ask`.

Channels carry ids without reading them. An id is at most MAX_ID_BYTES, so that every channel
can (Telegram's callback data is 64 bytes, of which a signature takes 12)."""

from __future__ import annotations

from bot.core import texts
from bot.core.messages import Action, Excerpt, Kind, Rows
from retrieval import texts as library_texts
from retrieval.models import Answer, Refusal, Report

MAX_ID_BYTES = 64 - 12
ROW = 4  # actions in one row at most: more and a phone cuts their labels
FEEDBACK_PREFIXES = ("fb:", "fbr:")
LIST_PREFIXES = ("rep", "delp")  # /reports, and the admin's pick list to delete from
DELETE_BUTTON_CHARS = 40  # about what a one-button row shows on a phone
DELETE_ISSUER_CHARS = 12  # of which the issuer takes at most this; the title gets the rest
REPLY_SOURCES = 12  # actions to the reports a reply about the collection lists


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def full(hit_rank: int, passage_id: int) -> Action:
    return Action(texts.FULL.format(n=hit_rank), f"full:{passage_id}", Kind.FULL, passage_id)


def source(label: str, report_id: int) -> Action:
    return Action(label, f"src:{report_id}", Kind.SOURCE, report_id)


def feedback(query_id: int) -> tuple[Action, ...]:
    return (
        Action(texts.THUMBS_UP, f"fb:{query_id}:1", Kind.FEEDBACK),
        Action(texts.THUMBS_DOWN, f"fb:{query_id}:-1", Kind.FEEDBACK),
    )


def marked_feedback(query_id: int, value: str, reason: str | None = None) -> tuple[Action, ...]:
    """The one action a feedback row becomes once pressed: 已反馈 👍, 已反馈 👎（不完整）."""
    label = (
        texts.FEEDBACK_MARKED_REASON.format(reason=reason)
        if reason
        else texts.FEEDBACK_MARKED.format(value=value)
    )
    return (Action(label, f"fb:{query_id}:0", Kind.FEEDBACK),)


def reasons(query_id: int) -> tuple[Action, ...]:
    """What a 👎 asks: 不相关 / 不完整 / 过时 / 其他."""
    return tuple(
        Action(label, f"fbr:{query_id}:{reason.value}", Kind.FEEDBACK)
        for reason, label in texts.FEEDBACK_REASONS.items()
    )


def is_feedback(action_id: str) -> bool:
    return action_id.startswith(FEEDBACK_PREFIXES)


def _rows(actions: list[Action], size: int) -> list[tuple[Action, ...]]:
    return [tuple(actions[i : i + size]) for i in range(0, len(actions), size)]


def answer_excerpts(answer: Answer) -> tuple[Excerpt, ...]:
    """Each excerpt of an answer (by comparison side, if any) with its 全文 and 来源 actions."""
    several = len({h.report.id for h in answer.hits}) > 1
    if answer.groups:
        return tuple(
            Excerpt(h, g.key, full(h.rank, h.passage.id), source(_source_label(g.key, h.report), h.report.id))
            for g in answer.groups
            for h in g.hits
        )
    return tuple(
        Excerpt(
            h,
            "",
            full(h.rank, h.passage.id),
            source(
                _source_label(h.report.place or h.report.issuer, h.report) if several else texts.SOURCE_ONE,
                h.report.id,
            ),
        )
        for h in answer.hits
    )


def _source_label(place: str, report: Report) -> str:
    """A report's button: its place and year (临城县 2023), never an internal id, and never a
    name cut in the middle (a place too long for a button gives way to its report's year)."""
    return texts.SOURCE_OF.format(place=report_label(place, report))


def _list_name(r: Report) -> str:
    """A listed report's name on its button: the place for a government's report, the issuer
    for a department's (汝城县公安局), so that a place's several reports are told apart."""
    government = not r.issuer or ("政府" in r.issuer and "办公室" not in r.issuer)
    return (r.place or r.issuer) if government else r.issuer


def report_label(place: str, report: Report) -> str:
    """How a button names a report: `临城县 2023`; the year left out when the place or side
    already says it (2023年)."""
    year = f" {report.year}" if report.year and str(report.year) not in place else ""
    return place + year


def answer_actions(
    answer: Answer,
    excerpts: tuple[Excerpt, ...],
    query_id: int | None,
    offset: int,
    has_more: bool,
    page: int,
) -> Rows:
    """全文 of each excerpt, 来源 of each report, then 👍 👎 导出 and paging, then a row of
    other years. A comparison: 全文 and 来源 in rows of four, no paging; a reply about the
    collection: 来源 of each report it lists; a refusal: none."""
    if answer.reply is not None:
        listed = answer.reply.reports if answer.reply.kind.value != "places" else ()
        sources = [source(report_label(r.place or r.issuer, r), r.id) for r in listed[:REPLY_SOURCES]]
        return tuple(_rows(sources, 3))
    fulls = [e.full for e in excerpts if e.full]
    if answer.groups or answer.missing:
        sides = [
            source(_source_label(g.key, g.report), g.report.id) for g in answer.groups if g.report is not None
        ]
        # Every report the reply names has its button: those saying it too, beyond the quoted.
        sides += [source(_source_label(r.place or r.issuer, r), r.id) for r in answer.also]
        rows = [*_rows(fulls, ROW), *_rows(sides, ROW)]
        if query_id is not None and excerpts:
            rows.append((*feedback(query_id), Action(texts.EXPORT, f"exp:{query_id}", Kind.EXPORT)))
        return tuple(rows)
    if not excerpts:
        return _refusal_actions(answer, query_id)
    sources = list({e.hit.report.id: e.source for e in excerpts if e.source}.values())
    rows = [tuple(fulls), tuple(sources)]
    if query_id is not None:
        last = [*feedback(query_id), Action(texts.EXPORT, f"exp:{query_id}", Kind.EXPORT)]
        if offset > 0:
            last.append(Action(texts.PREVIOUS, f"more:{query_id}:{max(0, offset - page)}", Kind.PREVIOUS))
        if has_more:
            last.append(Action(texts.MORE, f"more:{query_id}:{offset + len(excerpts)}", Kind.MORE))
        rows.append(tuple(last))
        years = [
            Action(texts.YEAR_BUTTON.format(year=y), f"yr:{query_id}:{y}", Kind.YEAR)
            for y in answer.other_years
        ]
        rows.extend(_rows(years, ROW))
    return tuple(rows)


def _refusal_actions(answer: Answer, query_id: int | None) -> Rows:
    """A refusal's choices: the years the place has (暂未收录…2024年的报告；有：…), or the
    places a name one character off may be; none for other refusals."""
    if query_id is None:
        return ()
    if answer.refusal == Refusal.MISSING_YEAR:
        years = [
            Action(texts.YEAR_BUTTON.format(year=y), f"yr:{query_id}:{y}", Kind.YEAR)
            for y in answer.other_years
        ]
        return tuple(_rows(years, ROW))
    if answer.refusal == Refusal.WHICH_PLACE and answer.query.choices:
        places = answer.query.choices[0][1]
        picks = [
            Action(texts.PLACE_BUTTON.format(place=p), f"pl:{query_id}:{i}", Kind.PLACE)
            for i, p in enumerate(places)
        ]
        return tuple(_rows(picks, 2))
    return ()


# --- report lists --------------------------------------------------------------------------


def page_id(prefix: str, offset: int, words: str = "", key: str = "") -> str | None:
    """The id of a report list's page: `prefix:offset`, with the filter words (`:w:秀山`) or,
    for words too long to carry, the key they are remembered under (`:k:…`). None when the
    words do not fit (the caller remembers them and passes `key`)."""
    data = f"{prefix}:{offset}"
    if key:
        data += f":k:{key}"
    elif words:
        data += f":w:{words}"
    return data if len(data.encode()) <= MAX_ID_BYTES else None


def page_row(prefix: str, total: int, offset: int, size: int, words: str, key: str) -> tuple[Action, ...]:
    """‹ and › to the pages before and after this one (none on a single page)."""
    row = []
    if offset > 0:
        data = page_id(prefix, max(0, offset - size), words, key)
        row.append(Action(texts.LIST_PREVIOUS, data or "", Kind.PAGE))
    if offset + size < total:
        data = page_id(prefix, offset + size, words, key)
        row.append(Action(texts.LIST_NEXT, data or "", Kind.PAGE))
    return tuple(row)


def list_actions(
    prefix: str, reports: list[Report], total: int, offset: int, size: int, words: str, key: str
) -> Rows:
    """A report list's actions: for /reports each report's outline, two a row; for the pick
    list each report to delete, one a row; then ‹ ›."""
    if not reports:
        return ()
    if prefix == "rep":
        buttons = [source(report_label(_list_name(r), r), r.id) for r in reports]
        rows = _rows(buttons, 2)
    else:
        rows = [(Action(delete_label(r), f"del:{r.id}:ask", Kind.PICK, r.id),) for r in reports]
    nav = page_row(prefix, total, offset, size, words, key)
    return tuple([*rows, *([nav] if nav else [])])


def delete_label(report: Report) -> str:
    """A pick-list action: id, issuer, year and title, each shortened so the whole fits (the
    title without the issuer it repeats or a leading 关于; the year apart only when the title
    does not say it)."""
    title = library_texts.short_title(report)
    title = title.removeprefix("关于") if len(title) > 4 else title
    year = f" {report.year}年" if report.year and not library_texts.title_says_year(title) else ""
    head = f"#{report.id} {shorten(report.issuer or texts.NONE, DELETE_ISSUER_CHARS)}{year}"
    room = max(DELETE_BUTTON_CHARS - len(head) - 2, 8)  # 2: the title's brackets
    return f"{head}《{shorten(title, room)}》"


def parse(action_id: str) -> tuple[str, list[str]]:
    """An id's prefix and its fields."""
    prefix, *fields = action_id.split(":")
    return prefix, fields
