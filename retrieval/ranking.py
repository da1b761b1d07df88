"""Which figure answers a question, and questions across reports about a figure
(`哪个县行政复议案件最多`, `各县行政诉讼败诉率`, `哪些地方出庭应诉率超过90%`), answered with a
ranked table from the figure index: place, year, value, the sentence stating it and its citation.

A report's figure is sure only when one value of the measure asked, of the report's own year, is
stated: not a change, a goal or a part of a total (unless the part is what was asked), and when
two figures of the measure disagree, neither (`sure_figure`). Only the same measure counts
(败诉率 is not 出庭应诉率); each place or body gives one row, from its newest report stating the
figure unless a year is asked; a question naming a level (各县, 哪个镇) ranks the governments of
places of that level (县 means counties; 县级市 and 区 only when the question says so), not their
departments or towns; the reports that state no such figure are counted.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from retrieval.figures import OUTCOMES, measure_closeness
from retrieval.models import (
    Figure,
    FigureColumns,
    Hit,
    LeadFigure,
    Passage,
    Report,
    Row,
    Snippet,
    Span,
    StoredFigure,
    Table,
)
from retrieval.tokenize import fold

# Words that ask for an order or a threshold, and which way.
_MOST = re.compile(r"最(?:高|多|大|好|快|长)|排名|排行|前[几三五十]|第一")
_LEAST = re.compile(r"最(?:低|少|小|差|慢|短)|倒数")
_OVER = re.compile(r"(?:超过|高于|大于)\s*(\d+(?:\.\d+)?)\s*(%|％|件|次|人|个|项)?")
# Thresholds the figure itself meets: 达到100%, 不低于90%, 90%以上.
_AT_LEAST = re.compile(
    r"(?:不低于|达到|达|至少)\s*(\d+(?:\.\d+)?)\s*(%|％|件|次|人|个|项)?|(\d+(?:\.\d+)?)\s*(%|％)?\s*(?:及)?以上"
)
# Asking how a figure changed: each year's figure leads.
COMPARE = re.compile(r"对比|比较|变化|历年|逐年|趋势|增减")
_UNDER = re.compile(r"(?:低于|少于|小于|不足|不到|以下)\s*(\d+(?:\.\d+)?)\s*(%|％|件|次|人|个|项)?")
# Words asking across places, with the level they name.
# The place words must follow: 各类, 哪些矛盾纠纷 ask across nothing.
_SCOPE = re.compile(
    r"(?P<level>各个?|哪些|哪个|哪一个|哪几个|每个|所有)"
    r"(?P<unit>县市区|县区|区县|市县|县市|地区|地方|城市|乡镇|街道|省份|省|市|县|区|镇|乡|地(?=[\u4e00-\u9fff]{2}))"
)
# What is left of a question once its asking words are gone is the measure; these go too.
_NOT_MEASURE = re.compile(
    r"各个?|哪些|哪个|哪一个|哪几个|每个|所有|县市区|县区|区县|市县|县市|地区|地方|城市|乡镇|街道|省份"
    r"|最(?:高|多|大|好|快|长|低|少|小|差|慢|短)|排名|排行|排第几|情况|数量|数据|分别"
    r"|(?:有|是)?(?:多少|几)(?:人次|场次|件次|户次|[件次条个户名人场份项起处家期钱部册轮所])?|"
    r"超过|高于|大于|不低于|达到|以上|低于|少于|小于|不足|不到|以下|\d+(?:\.\d+)?\s*(?:%|％|件|次|人|个|项)?"
    r"|[的了呢吗啊？?。，,！!]|哪|谁|前[几三五十]|第一|倒数|对比|比较|变化|历年|逐年|趋势|增减"
    r"|至少|不低于|(?<![到送])达(?=\d)|(?:19|20)\d{2}年度?"
)
_OUTCOME = re.compile(OUTCOMES)
_NO_UNIT = np.iinfo(np.int64).max  # above any unit's number (FigureColumns.unit)
_DONE_AFTER = re.compile(r"(?:受理|办理|开展|举办|召开|组织|进行|办|开|搞|做)$")
# A measure ending in what it is counted in.
_COUNTED_UNITS = {"人次": "人次", "人数": "人名", "场次": "场次", "件数": "件起宗"}
_COUNTED_IN = re.compile(r"(?:人次|人数|场次|件数)$")
# Measures stated in % (出庭应诉率, 不见面审批事项占比).
RATE_WORDS = ("率", "占比", "比例", "比重")
# 其他…, 其余…: the rest of a measure once its kinds are counted.
_REMAINDER = re.compile(r"^(?:其他|其它|其余|另有)")
_YEARS = re.compile(r"(?:19|20)\d{2}\s*年度?|[〇零一二三四五六七八九]{4}年度?")
# A body asked about before its measure (司法局办理…, 县政府聘请…): who, not what.
_BODY = re.compile(
    r"^(?:[\u4e00-\u9fff]{0,3}?(?:局|厅)|[县市区乡镇]?(?:人民)?政府(?:办公室|办)?|法院|检察院)(?=[\u4e00-\u9fff]{2})"
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
    inclusive: bool = False  # the threshold itself meets it (达到100%)
    level: str = ""  # the level as the question names it (县, 乡镇), "" for any
    units: str = ""  # the measure words asked (多少名 → 人名, 培训人次 → 人次), "" for any


def asked(text: str) -> Asked | None:
    """The figure a question across reports asks to rank places by, or None when it asks none
    (哪些地方开展了案卷评查 asks for passages, not a figure)."""
    scope = _SCOPE.search(text)
    most, least = _MOST.search(text), _LEAST.search(text)
    over, under, at_least = _OVER.search(text), _UNDER.search(text), _AT_LEAST.search(text)
    if over is None and at_least is not None:
        over = at_least
    figure_words = re.search(r"多少|几|数量|数据|率|排名|排第几", text)
    if scope is None or not (most or least or over or under or figure_words):
        return None
    measure = _BODY.sub("", _NOT_MEASURE.sub("", _YEARS.sub("", text[: scope.start()] + text[scope.end() :])))
    if len(measure) < 2:
        return None
    # 法治培训人次: the measure is 法治培训, counted in 人次.
    counted = _COUNTED_IN.search(measure)
    units = _COUNTED_UNITS[counted.group(0)] if counted and counted.start() >= 2 else ""
    measure = measure[: counted.start()] if units and counted else measure
    unit = scope.group("unit") or ""
    levels = _LEVELS.get(unit, ())
    bound = next((g for g in over.groups() if g), None) if over else None
    return Asked(
        measure,
        levels,
        descending=not least,
        over=float(bound) if bound else None,
        under=float(under.group(1)) if under else None,
        inclusive=over is at_least and over is not None,
        level=unit if levels else "",
        units=units,
    )


def measure_asked(text: str, places: tuple[str, ...] = ()) -> str:
    """The measure a question about one place's figure asks for: its words without the places,
    years, body and asking words (临城县2022年和2023年行政复议案件对比 → 行政复议案件)."""
    shorts = (
        re.sub(r"(?:土家族苗族|各族|[\u4e00-\u9fff]{0,4}族)?自治[县州旗]$|[省市县区镇乡旗]$|街道$", "", place)
        for place in places
    )
    # Longest first, the short forms among them: 红河州 goes whole, not as 红河 + 州.
    for name in sorted({*places, *(s for s in shorts if len(s) >= 2)}, key=len, reverse=True):
        text = text.replace(name, "")
    measure = _NOT_MEASURE.sub("", _YEARS.sub("", text))
    measure = re.sub(r"^[和与及、]+|[和与及、]+$", "", measure)
    # 法律援助案件受理了多少, 法治培训办了几期: the verb after what was counted says nothing
    # (one character only when 了 follows it: 联办 is no verb of 一件事联办多少项).
    done = _DONE_AFTER.sub("", measure)
    if len(measure) - len(done) == 1 and f"{measure[-1]}了" not in text:
        done = measure
    return _BODY.sub("", done if len(done) >= 2 else measure)


def who(report: Report) -> str:
    """Whom a report's figures belong to: the place for its government's report (a county's,
    a town's, through its 政府办 too), else the body issuing it (永丰县公安局)."""
    return _who(report.place, report.issuer)


@functools.lru_cache(maxsize=1 << 16)
def _who(place: str, issuer: str) -> str:
    # Cached: a ranking over the whole collection asks it of every report in scope.
    if _government(issuer):
        return place or issuer
    short = re.sub(r"(?:[\u4e00-\u9fff]{0,6}族)?自治[县州旗]$|[省市县区镇乡旗]$|街道$", "", place)
    if not place or not issuer or place in issuer or (len(short) >= 2 and short in issuer):
        return issuer or place  # 秀山县司法局 of 秀山土家族苗族自治县
    bare = re.sub(r"^[县市区]", "", issuer)  # 县综合行政执法局 of 松阳县
    return place + bare


def is_government(report: Report) -> bool:
    """Whether a report is its place's government's own (人民政府, its 办公室, a 街道办事处)."""
    return _government(report.issuer)


@functools.lru_cache(maxsize=1 << 16)
def _government(issuer: str) -> bool:
    return bool(re.search(r"人民政府|政府办|街道办事处|街道办|^[\u4e00-\u9fff]{1,12}(?:乡|镇)$", issuer))


def counted_in(measure: str, units: str) -> str:
    """The measure words a figure of `measure` may be in: `units` as asked, else 件/起/宗 for
    cases (6次学习 counts no cases), else any ("")."""
    return units or ("件起宗" if measure.endswith("案件") else "")


def candidates(
    measure: str, units: str, stored: list[StoredFigure], report: Report
) -> list[tuple[int, StoredFigure]]:
    """The figures of `report` that may answer a question for `measure` (in one of `units`, when
    it asks for some), each with how closely it matches: values of the report's own year only."""
    wants_rate = measure.endswith(RATE_WORDS)
    units = counted_in(measure, units)
    out = []
    for one in stored:
        f = one.figure
        if one.report_id != report.id or f.kind not in ("", "all"):
            continue
        if f.of_year(report.year) != report.year:
            continue
        if wants_rate != (f.unit == "%") or (units and not any(u in f.unit for u in units)):
            continue
        if _REMAINDER.match(f.measure) and not _REMAINDER.match(measure):
            continue  # 其他行政处罚12宗 is what is left of 行政处罚 after its kinds, never all of it
        closeness = measure_closeness(measure, f.measure)
        if closeness == 0 or (f.part and closeness < 3):
            continue  # a part (营业执照46件 of 行政许可321件) answers only when it is what was asked
        out.append((closeness, one))
    return out


def context_figure(
    measure: str,
    words: tuple[str, ...],
    units: str,
    passage: Passage,
    report: Report,
    stored: list[StoredFigure],
) -> StoredFigure | None:
    """The figure of `passage` answering `measure` by its context when no figure's own measure
    does: the section's heading or the sentence before the figure says what it counts
    (2.强化合法性审查 … 开展全流程审查1090件 answers 合法性审查了多少件; 严格落实合法性审核机制
    … 对60件区政府重大行政决策事项草案 answers 合法性审核了多少件重大行政决策事项), or its
    own stretch of the sentence holds every word asked (市政府常务会议11次研究部署法治政府建设工作
    answers 政府常务会议研究法治政府几次). Only a question asking a measure word, only the
    report's own year, never a part; None unless exactly one value is so told."""
    if not units or report.year is None:
        return None
    heading = fold(passage.section[-1] if passage.section else "")
    own = sorted((s for s in stored if s.passage_id == passage.id), key=lambda s: s.figure.start)
    measures = [fold(s.figure.measure) for s in own]
    text = passage.text
    found = []
    for i, s in enumerate(own):
        f = s.figure
        if f.part or f.kind not in ("", "all"):
            continue
        if f.of_year(report.year) != report.year or not any(u in f.unit for u in units):
            continue
        start = max(text.rfind(p, 0, f.start) for p in "。；\n") + 1
        told = _told_by(fold(measure), heading + "\n" + fold(text[start : f.start]), fold(f.measure))
        # (其中21名…进行现场述法)和…471名: words another figure measures are that figure's.
        if told and not any(told in m for m in measures[:i]):
            found.append(s)
            continue
        # Its own stretch: from the figure before it in the sentence to its clause's end.
        since = max(start, own[i - 1].figure.end if i else 0)
        stops = [p for p in (text.find(c, f.end) for c in "，。；,;") if p != -1]
        stretch = fold(text[since : min(stops) if stops else len(text)])
        earlier = measures[:i]
        if (
            words
            and all(w in stretch for w in words)
            and not any(all(w in m for w in words) for m in earlier)
        ):
            found.append(s)
    return found[0] if len({(s.figure.value, s.figure.unit) for s in found}) == 1 else None


def _told_by(measure: str, context: str, figure_measure: str) -> str:
    """The first words of `measure` (three or more) that `context` says, when the figure's
    own measure says the rest (合法性审核 + 重大行政决策事项); "" when it does not."""
    for i in range(len(measure), 2, -1):
        if measure[:i] in context:
            rest = measure[i:]
            return measure[:i] if not rest or rest in figure_measure else ""
    return ""


def _later(measure: str, stored: StoredFigure, report: Report) -> bool:
    """Whether `stored` states `measure` for a year after `report`'s (a goal aside)."""
    f = stored.figure
    return (
        stored.report_id == report.id
        and f.kind in ("", "all")
        and f.year is not None
        and report.year is not None
        and f.year > report.year
        and measure_closeness(measure, f.measure) > 0
    )


def sure_figure(
    measure: str, units: str, stored: list[StoredFigure], report: Report
) -> tuple[StoredFigure | None, bool]:
    """The figure of `report` answering `measure`, and whether the report is unsure (two of
    its closest figures of the measure disagree: neither is the answer). (None, False) when it
    states none."""
    found = candidates(measure, units, stored, report)
    if not found or report.year is None:
        return None, bool(found)
    if any(_later(measure, f, report) for f in stored):
        # 从2019年的15%提高到2020年的29.65%: a value of a later year than the report's means the
        # report is not of the year it is dated, and its undated values are of no known year.
        return None, True
    best = max(c for c, _ in found)
    top = [f for c, f in found if c == best]
    # 1-10月平均出庭应诉率为73.55%，其中10月为89%: a part of the measure asked is not its value
    # once the whole is stated too.
    top = [f for f in top if not f.figure.part] or top
    if len({(f.figure.value, f.figure.unit) for f in top}) > 1:
        # 收到…34件 answers how many cases, 审结29件 what became of some: unless asked, outcomes go;
        # and the whole place's figure (全省…5422件) before its bodies' (市州…4377件).
        outcome = _OUTCOME
        top = [f for f in top if outcome.search(measure) or not outcome.search(f.figure.measure)] or top
        top = [f for f in top if f.figure.kind == "all"] or top
    if len({(f.figure.value, f.figure.unit) for f in top}) > 1:
        return None, True
    # Of figures agreeing, the one a sentence states with its unit quotes best (not a table cell).
    return min(top, key=lambda f: not f.figure.written.endswith(f.figure.unit)), False


def sure_figures(
    measure: str, stated: FigureColumns, reports: dict[int, Report], units: str = ""
) -> dict[int, int]:
    """For each of `reports` stating `measure` for sure, the entry of `stated` holding the
    figure sure_figure gives it (in one of `units`, when asked). `stated`: values of measures
    of its kind (Store.figures_answering). The same answers as sure_figure report by report, worked out
    for all reports at once: a ranking over a million passages reads ~100,000 figures."""
    n = len(stated)
    if not n or not reports:
        return {}
    rep, year, part = stated.report, stated.year, stated.part
    # Each entry's report's year, 0 for a report not in scope or of no year (which states none).
    ids = np.fromiter(reports, np.int64, len(reports))
    order = np.argsort(ids)
    ids = ids[order]
    known = np.fromiter((r.year or 0 for r in reports.values()), np.int64, len(reports))[order]
    at = np.minimum(np.searchsorted(ids, rep), len(ids) - 1)
    report_year = np.where(ids[at] == rep, known[at], 0)
    closeness = np.array([measure_closeness(measure, m) for m in stated.measures], np.int64)[stated.measure]
    # candidates(): a remainder (其他行政处罚) answers only a remainder; cases are counted in 件.
    remainder = bool(_REMAINDER.match(measure))
    of_kind = np.array([remainder or not _REMAINDER.match(m) for m in stated.measures], bool)[stated.measure]
    units = counted_in(measure, units)
    counted = np.array([not units or any(u in unit for u in units) for unit in stated.units], bool)[
        stated.unit
    ]
    starts = np.flatnonzero(np.r_[True, rep[1:] != rep[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))

    def any_of(mask: np.ndarray) -> np.ndarray:
        """Per report (a run of entries): whether `mask` holds for one of its entries."""
        return np.add.reduceat(mask, starts) > 0

    def unless_none(narrower: np.ndarray, wider: np.ndarray) -> np.ndarray:
        """`narrower` in each report where it keeps an entry, else `wider` (sure_figure's `… or top`)."""
        return np.where(any_of(narrower)[group], narrower, wider)

    def disagree(top: np.ndarray) -> np.ndarray:
        """Per report: whether its `top` entries state more than one (value, unit)."""
        value, unit = stated.value, stated.unit
        low = np.minimum.reduceat(np.where(top, value, np.inf), starts)
        high = np.maximum.reduceat(np.where(top, value, -np.inf), starts)
        first_unit = np.minimum.reduceat(np.where(top, unit, _NO_UNIT), starts)
        last_unit = np.maximum.reduceat(np.where(top, unit, -1), starts)
        return (low != high) | (first_unit != last_unit) | any_of(top & np.isnan(value))

    # candidates(): of the report's own year, a rate for a rate, a part only when close.
    own = (report_year > 0) & ((year == 0) | (year == report_year))
    cand = own & (stated.rate == measure.endswith(RATE_WORDS)) & counted & of_kind
    cand &= (closeness > 0) & ~(part & (closeness < 3))
    later = (report_year > 0) & (year > report_year) & (closeness > 0)  # _later()
    best = np.maximum.reduceat(np.where(cand, closeness, 0), starts)
    top = cand & (closeness == best[group])
    top = unless_none(top & ~part, top)
    split = disagree(top)
    if split.any():
        settled = top
        if not _OUTCOME.search(measure):
            outcome = np.array([bool(_OUTCOME.search(m)) for m in stated.measures], bool)[stated.measure]
            settled = unless_none(settled & ~outcome, settled)
        settled = unless_none(settled & stated.whole, settled)
        top = np.where(split[group], settled, top)
        split = disagree(top)
    # Of figures agreeing, the first a sentence states with its unit, else the first.
    rank = np.where(top, np.where(stated.with_unit, 0, 1), 2) * n + np.arange(n)
    first = np.minimum.reduceat(rank, starts) % n
    sure = any_of(cand) & ~any_of(later) & ~split
    return dict(zip(rep[first[sure]].tolist(), first[sure].tolist(), strict=True))


def shown(f: Figure) -> str:
    """A figure as a lead shows it: as written, with its unit when the text left it to a
    table's header (26 → 26件)."""
    return f.written if f.written.endswith(f.unit) else f"{f.written}{f.unit}"


def lead_figure(stored: StoredFigure, report: Report) -> LeadFigure:
    """What a lead line carries of `stored`, a figure of `report`."""
    f = stored.figure
    return LeadFigure(
        who(report),
        f.measure,
        f.value,
        f.unit,
        f.of_year(report.year),
        f.written,
        stored.passage_id,
        report.id,
    )


def table(
    q: Asked,
    reports: list[Report],
    figures: Callable[[str], FigureColumns],
    passages: Callable[[list[int]], dict[int, Passage]],
    year: int | None = None,
) -> Table | None:
    """The ranked table for `q` over `reports` (already narrowed to the question's places);
    None when no report in scope states such a figure for sure. `figures(measure)`: the
    figures that may answer `measure` in any report (Store.figures_answering), by report and
    passage order."""
    stated = figures(q.measure)
    if not len(stated):
        return None  # before going through the reports: most measures asked are stated nowhere
    levels = q.levels
    # _of_level inline: this goes through every report of the collection.
    scope = [
        r
        for r in reports
        if (not levels or (r.places and r.places[-1].endswith(levels))) and (year is None or r.year == year)
    ]
    if not scope:
        return None
    found = sure_figures(q.measure, stated, {r.id: r for r in scope}, q.units)
    if q.levels and any(is_government(r) for r in scope if r.id in found):
        # 各县: the counties' governments, not their bureaus, once a government states it.
        scope = [r for r in scope if is_government(r)]
        kept = {r.id for r in scope}  # a set: scope may be every report of the collection
        found = {i: f for i, f in found.items() if i in kept}
    if not found:
        return None
    by_place: dict[str, Report] = {}
    for r in sorted((r for r in scope if r.id in found), key=_preference):
        by_place.setdefault(who(r), r)
    mixed = len({is_government(r) for r in by_place.values()}) > 1
    # The threshold and the unit picked from the columns: only the rows kept are read whole.
    listed = [(place, r, found[r.id]) for place, r in by_place.items()]
    value = stated.value[[at for _, _, at in listed]].tolist()
    if q.over is not None:
        over = q.over
        listed = [e for e, v in zip(listed, value, strict=True) if v > over or (q.inclusive and v == over)]
        value = stated.value[[at for _, _, at in listed]].tolist()
    if q.under is not None:
        under = q.under
        listed = [e for e, v in zip(listed, value, strict=True) if v < under]
    if listed:
        # 8700条 and 16件 are no one ranking: the unit most rows give, with its like (场 and 期
        # count events alike, 件 and 起 cases).
        kinds = [_unit_kind(stated.units[u]) for u in stated.unit[[at for _, _, at in listed]].tolist()]
        unit = Counter(kinds).most_common(1)[0][0]
        listed = [e for e, k in zip(listed, kinds, strict=True) if k == unit]
    figures_of = stated.figures([at for _, _, at in listed])
    texts = passages([f.passage_id for f in figures_of])
    rows = [
        Row(place if not mixed or is_government(r) else f"{place}（部门）", r, texts[f.passage_id], f.figure)
        for (place, r, _), f in zip(listed, figures_of, strict=True)
        if f.passage_id in texts
    ]
    rows.sort(key=lambda row: row.figure.value, reverse=q.descending)
    places = {_who(place, issuer) for place, issuer in {(r.place, r.issuer) for r in scope}}
    without = len(places - set(by_place))
    return Table(q.measure, tuple(rows), q.descending, without, q.over, q.under, q.inclusive)


def hits(t: Table) -> tuple[Hit, ...]:
    """The table's rows as hits (each clause stating its figure quoted, the figure marked), in
    its order."""
    return tuple(
        Hit(
            i + 1,
            float(row.figure.value),
            row.passage,
            row.report,
            clause_snippet(row.passage.text, row.figure),
        )
        for i, row in enumerate(t.rows)
    )


def clause_snippet(text: str, f: Figure) -> Snippet:
    """The clause of `text` stating `f`, verbatim, with the figure marked: a ranking's row
    quotes what states its figure, not the whole sentence around it."""
    start = max(text.rfind(p, 0, f.start) for p in "，。；,;") + 1
    stops = [p for p in (text.find(c, f.end) for c in "，。；,;") if p != -1]
    end = min(stops) if stops else len(text)
    return Snippet(
        (
            Span(("…" if start > 0 else "") + text[start : f.start]),
            Span(text[f.start : f.end], match=True),
            Span(text[f.end : end] + ("…" if end < len(text) else "")),
        )
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


def clause(text: str, f: Figure) -> str:
    """The clause of `text` stating `f`, from the punctuation before it to the figure's end
    (收到行政复议申请34件)."""
    start = max(text.rfind(p, 0, f.start) for p in "，。；：,;") + 1
    end = f.end
    if f.measure and fold(f.measure[-2:]) not in fold(text[start : f.end]):
        # 召开7次疫情防控专题会议: what was counted follows the figure; the quote holds it.
        stops = [p for p in (text.find(c, f.end) for c in "，。；,;、") if p != -1]
        end = min(stops) if stops else len(text)
    return text[start:end].strip()


# Measure words counting the same things.
_LIKE_UNITS = ("人名位", "次场期场次", "件起宗", "天日")


def _unit_kind(unit: str) -> str:
    """The group of measure words `unit` belongs to (期 → 次场期场次), or itself."""
    return next((g for g in _LIKE_UNITS if unit and unit in g), unit)


def _of_level(report: Report, levels: tuple[str, ...]) -> bool:
    if not levels:
        return True
    place = report.place
    if not place:
        return False
    # 龙胜各族自治县 is a 县; 滨海新区 a 区; a 县级市 (句容市) is a 市 here, a city too.
    return place.endswith(levels)


def _preference(r: Report) -> tuple[int, int]:
    """A place's report to rank by: a government's before a department's, then the newest."""
    government = "政府" in r.issuer and "办公室" not in r.issuer
    return (0 if government else 1, -(r.year or 0))
