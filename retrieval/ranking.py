"""Questions across reports about a figure (`哪个县行政复议案件最多`, `各县行政诉讼败诉率`,
`哪些地方出庭应诉率超过90%`), answered with a ranked table from the figure index: place, year,
value, the sentence stating it and its citation.

Only the same measure counts (败诉率 is not 出庭应诉率); each place gives one row, from its
newest report stating the figure unless a year is asked (a government's report before a
department's); places are those of the level the question names (县 means counties, 县级市 and
区 only when the question says so); the reports that state no such figure are counted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from retrieval.figures import measure_matches
from retrieval.models import Figure, Hit, Passage, Report, Row, Snippet, Span, StoredFigure, Table

# Words that ask for an order or a threshold, and which way.
_MOST = re.compile(r"最(?:高|多|大|好|快|长)|排名|排行|前[几三五十]|第一")
_LEAST = re.compile(r"最(?:低|少|小|差|慢|短)|倒数")
_OVER = re.compile(r"(?:超过|高于|大于|不低于|达到|以上)\s*(\d+(?:\.\d+)?)\s*(%|％|件|次|人|个|项)?")
_UNDER = re.compile(r"(?:低于|少于|小于|不足|不到|以下)\s*(\d+(?:\.\d+)?)\s*(%|％|件|次|人|个|项)?")
# Words asking across places, with the level they name.
# The place words must follow: 各类, 哪些矛盾纠纷 ask across nothing.
_SCOPE = re.compile(
    r"(?P<level>各个?|哪些|哪个|哪一个|哪几个|每个|所有)"
    r"(?P<unit>县市区|县区|区县|市县|县市|地区|地方|城市|乡镇|街道|省份|省|市|县|区|镇|乡)"
)
# What is left of a question once its asking words are gone is the measure; these go too.
_NOT_MEASURE = re.compile(
    r"各个?|哪些|哪个|哪一个|哪几个|每个|所有|县市区|县区|区县|市县|县市|地区|地方|城市|乡镇|街道|省份"
    r"|最(?:高|多|大|好|快|长|低|少|小|差|慢|短)|排名|排行|排第几|情况|数量|数据|分别"
    r"|(?:有|是)?(?:多少|几)[件次条个户名人场份项起处家期]?|"
    r"超过|高于|大于|不低于|达到|以上|低于|少于|小于|不足|不到|以下|\d+(?:\.\d+)?\s*(?:%|％|件|次|人|个|项)?"
    r"|[的了呢吗啊？?。，,！!]|是|有|哪|谁|前[几三五十]|第一|倒数"
)
_LEVELS = {
    "县": ("县", "旗"),
    "区": ("区",),
    "市": ("市",),
    "镇": ("镇",),
    "乡": ("乡",),
    "乡镇": ("镇", "乡"),
    "街道": ("街道",),
    "省": ("省", "自治区"),
    "省份": ("省", "自治区"),
    "县区": ("县", "旗", "区"),
    "区县": ("县", "旗", "区"),
    "县市区": ("县", "旗", "区", "市"),
    "县市": ("县", "旗", "市"),
    "市县": ("县", "旗", "市"),
}


@dataclass(frozen=True, slots=True)
class Asked:
    """What a question across reports asks of the figure index."""

    measure: str
    levels: tuple[str, ...]  # place-name endings the question's level allows; () for any
    descending: bool
    over: float | None = None
    under: float | None = None


def asked(text: str) -> Asked | None:
    """The figure a question across reports asks to rank places by, or None when it asks none
    (哪些地方开展了案卷评查 asks for passages, not a figure)."""
    scope = _SCOPE.search(text)
    most, least = _MOST.search(text), _LEAST.search(text)
    over, under = _OVER.search(text), _UNDER.search(text)
    figure_words = re.search(r"多少|几|数量|数据|率|排名|排第几", text)
    if scope is None or not (most or least or over or under or figure_words):
        return None
    measure = _NOT_MEASURE.sub("", text[: scope.start()] + text[scope.end() :])
    if len(measure) < 2:
        return None
    unit = scope.group("unit") or ""
    levels = _LEVELS.get(unit, ())
    return Asked(
        measure,
        levels,
        descending=not least,
        over=float(over.group(1)) if over else None,
        under=float(under.group(1)) if under else None,
    )


def table(
    q: Asked,
    reports: list[Report],
    figures: Callable[[list[int], str], list[StoredFigure]],
    passages: Callable[[list[int]], dict[int, Passage]],
    year: int | None = None,
) -> Table | None:
    """The ranked table for `q` over `reports` (already narrowed to the question's places);
    None when no report in scope states such a figure."""
    scope = [r for r in reports if _of_level(r, q.levels) and (year is None or r.year == year)]
    if not scope:
        return None
    found: dict[int, StoredFigure] = {}
    for stored in figures([r.id for r in scope], q.measure):
        f = stored.figure
        if stored.report_id in found or not measure_matches(q.measure, f.measure):
            continue
        if q.measure.endswith("率") != (f.unit == "%"):
            continue
        found[stored.report_id] = stored
    if not found:
        return None
    by_place: dict[str, Report] = {}
    for r in sorted(scope, key=_preference):
        if r.id in found:
            by_place.setdefault(r.place or r.issuer, r)
    texts = passages([found[r.id].passage_id for r in by_place.values()])
    rows = [
        Row(place, r, texts[found[r.id].passage_id], found[r.id].figure)
        for place, r in by_place.items()
        if found[r.id].passage_id in texts
    ]
    if q.over is not None:
        rows = [row for row in rows if row.figure.value > q.over]
    if q.under is not None:
        rows = [row for row in rows if row.figure.value < q.under]
    rows.sort(key=lambda row: row.figure.value, reverse=q.descending)
    places_with = {r.place or r.issuer for r in scope if r.id in found}
    without = len({r.place or r.issuer for r in scope} - places_with)
    return Table(q.measure, tuple(rows), q.descending, without, q.over, q.under)


def hits(t: Table) -> tuple[Hit, ...]:
    """The table's rows as hits (each sentence quoted with its figure marked), in its order."""
    return tuple(
        Hit(i + 1, float(row.figure.value), row.passage, row.report, snippet(row.passage.text, row.figure))
        for i, row in enumerate(t.rows)
    )


def snippet(text: str, f: Figure) -> Snippet:
    """The sentence of `text` stating `f`, verbatim, with the figure marked."""
    start = max(text.rfind("。", 0, f.start), text.rfind("；", 0, f.start)) + 1
    stops = [p for p in (text.find("。", f.end), text.find("；", f.end)) if p != -1]
    end = min(stops) + 1 if stops else len(text)
    return Snippet(
        (
            Span(("…" if start > 0 else "") + text[start : f.start]),
            Span(text[f.start : f.end], match=True),
            Span(text[f.end : end] + ("…" if end < len(text) else "")),
        )
    )


def figure_asked(
    terms: tuple[str, ...],
    units: str,
    report_ids: list[int],
    figures: Callable[[list[int], str], list[StoredFigure]],
) -> StoredFigure | None:
    """The first figure, in the first of `report_ids` stating one, of the measure a question's
    terms name and in a unit it asks for (件 for cases, % for rates): what a single report's
    figure question leads with. None when none states it."""
    measure = "".join(terms)
    wants_rate = measure.endswith("率")
    # The reports in growing runs, stopping at the first run stating one: an issuer such as
    # 政府办 names thousands of reports, and the first few usually answer.
    start, size = 0, 8
    while start < len(report_ids):
        part = report_ids[start : start + size]
        by_report: dict[int, StoredFigure] = {}
        for stored in figures(part, measure):
            f = stored.figure
            if stored.report_id in by_report or not measure_matches(measure, f.measure):
                continue
            if wants_rate != (f.unit == "%") or (units and not any(u in f.unit for u in units)):
                continue
            by_report[stored.report_id] = stored
        found = next((by_report[r] for r in part if r in by_report), None)
        if found is not None:
            return found
        start, size = start + size, size * 8
    return None


def clause(text: str, f: Figure) -> str:
    """The clause of `text` stating `f`, from the punctuation before it to the figure's end
    (收到行政复议申请34件)."""
    start = max(text.rfind(p, 0, f.start) for p in "，。；：,;") + 1
    return text[start : f.end].strip()


def _of_level(report: Report, levels: tuple[str, ...]) -> bool:
    if not levels:
        return True
    place = report.place
    if not place:
        return False
    # 龙胜各族自治县 is a 县; 滨海新区 a 区; a 县级市 (句容市) is a 市 here, a city too.
    return any(place.endswith(level) for level in levels)


def _preference(r: Report) -> tuple[int, int]:
    """A place's report to rank by: a government's before a department's, then the newest."""
    government = "政府" in r.issuer and "办公室" not in r.issuer
    return (0 if government else 1, -(r.year or 0))
