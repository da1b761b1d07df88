"""Comparisons: a question naming several places or years (`秀山县和潢川县的政务公开比较`,
`临城县2022年和2023年行政复议案件对比`), or asking across reports (`哪些地方开展了案卷评查`,
`湖北省各地的矛盾纠纷化解情况`, `哪个县的立案率最高`), answered side by side.

Each named side is asked as a question of its own — the question with the other sides and the
comparing words taken out — so it is narrowed, ranked and refused exactly as any question is;
a side that gets no excerpt is `missing`. A question across reports is asked once without
its across-words, and the best passage of each report that clears the usual bar is a group.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from retrieval.models import Answer, Group, Hit, Query, Refusal, Report, Snippet, Span
from retrieval.places import Gazetteer
from retrieval.understand import MAX_QUESTION_CHARS, Understander, normalise

Ask = Callable[[str, int, int], Answer]  # (question, k, offset) → answer: the ordinary path
MAX_GROUPS = 4  # reports quoted for a question across reports: a phone screen's worth
MAX_ALSO = 12  # further reports that say it too, named (each with its button) but not quoted
ACROSS_CANDIDATES = 50  # hits of the ordinary answer an across question groups by report
PER_SIDE = 1  # the best passage of each side

_LEVEL = r"(?:县市区|县区|区县|市县|地区|地方|城市|乡镇|街道|省|市|县|区|地)"  # longest first
# Words that ask across the reports. 各部门/各单位 are not among them: one report speaks of its
# own 各部门; 哪些部门 across reports is.
_ACROSS = re.compile(
    rf"各个?{_LEVEL}|哪些{_LEVEL}|哪些(?:部门|单位)|哪(?:个|一个|几个)(?:{_LEVEL}|部门|单位)"
    rf"|(?:几个|多少个?)(?:地方|地区)|每个{_LEVEL}|所有报告|各份?报告"
)
# Words that only say "compare": taken out before each side is asked.
_COMPARING = re.compile(
    r"比较一下|比较|对比一下|对比|相比较?|比一比|比起来|有何不同|有什么不同|有哪些不同|有什么区别|有何区别"
    r"|的区别|区别|的差异|差异|异同|分别是|分别|各自|哪个|哪一个|哪家|谁"
    r"|(?:更|最|较)(?:高|低|多|少|大|小|好|快|强|优)"
)
# Words that say "compare" and nothing else, in any question.
_SAYS_COMPARE = re.compile(r"比较|对比|相比|区别|差异|异同|有何不同|有什么不同|有哪些不同|比一比")
# After 哪个/谁/比较: the adjective that ends the question (哪个立案率高 → 立案率).
_ASKED_ADJECTIVE = re.compile(r"(?:高|低|多|少|大|小|好|快|强|优)(?:一些|些|一点)?(?:呢|吗|啊)?[?？。!！]*$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年度|年)?(?!\d)")
_FIGURE = re.compile(
    r"\d+(?:\.\d+)?(?:\s*(?:%|％|‰)|(?:万|亿)?余?(?:人次|件次|个工作日|[件次条个户名人场份元项起处类家所卷宗台期天批册篇单辆吨亩]|万|亿))"
)


@dataclass(frozen=True, slots=True)
class _Side:
    key: str  # as the question names it
    place: str = ""  # canonical place ("" for a year)
    known: bool = True  # has a report


def mark_figures(snippet: Snippet) -> Snippet:
    """The snippet with its figures (counts, amounts, rates: 立案率为82%, 3860卷) marked too."""
    out: list[Span] = []
    for span in snippet.spans:
        if span.match:
            out.append(span)
            continue
        pos = 0
        for m in _FIGURE.finditer(span.text):
            if m.start() > pos:
                out.append(Span(span.text[pos : m.start()]))
            out.append(Span(m.group(0), match=True))
            pos = m.end()
        if pos < len(span.text):
            out.append(Span(span.text[pos:]))
    return Snippet(tuple(out))


class Comparer:
    """Finds the sides of a comparison and answers each through the ordinary path."""

    def __init__(self, understander: Understander, gazetteer: Gazetteer) -> None:
        self.understander = understander
        self.gazetteer = gazetteer

    def answer(
        self,
        question: str,
        ask: Ask,
        reports: dict[int, Report],
        k: int = 3,
        offset: int = 0,
        understood: Query | None = None,
    ) -> Answer | None:
        """The side-by-side answer, or None when the question compares nothing (it is asked
        as usual). Every side named gets a group or a `missing` entry. `hits` is the flat
        list: each group's best in the groups' order (the question's, or best first across
        reports), then the sides' further passages, up to k; nothing past the first page
        (`offset` > 0 gets none). Words asking across reports whose scope is one place's
        (汝城县各乡镇…) or comparing words with no sides are just dropped from the question.
        `understood` is the question as the ordinary path understood it, if at hand."""
        text = normalise(question[: MAX_QUESTION_CHARS * 4])
        if len(text) > MAX_QUESTION_CHARS:
            return None  # refused as too long on the ordinary path
        across = bool(_ACROSS.search(text))
        years = list(dict.fromkeys(int(y) for y in _YEAR.findall(text)))
        q = understood or self.understander.understand(text)
        sides = self._place_sides(text, q.places, q.unknown_places)
        by_place = len(sides) >= 2 and any(s.known for s in sides)
        core = _ACROSS.sub(" ", text)
        if _COMPARING.search(core):
            core = _ASKED_ADJECTIVE.sub("", _COMPARING.sub(" ", core))
        if not (by_place or len(years) >= 2 or across):
            if not _SAYS_COMPARE.search(text):
                return None
            # 汝城县公安局和市场监督管理局的…比较: no sides to set apart, but 比较 is no topic.
            answer = ask(core, k, offset)
            return dataclasses.replace(answer, query=dataclasses.replace(answer.query, text=text))
        if by_place:
            return self._named(text, core, sides, ask, k, offset, named=[*q.places, *q.unknown_places])
        if len(years) >= 2:
            return self._named(text, core, [_Side(f"{y}年") for y in years], ask, k, offset, years=years)
        # Across reports means across places: 临城县各乡镇 with two years of 临城县 is not.
        scope = (
            reports.values() if q.report_ids is None else (reports[i] for i in q.report_ids if i in reports)
        )
        if _several_places(scope):
            return self._across(text, core, ask, k, offset)
        # 汝城县各乡镇…: one place's reports, asked without the words asking across.
        answer = ask(_ACROSS.sub(" ", text), k, offset)
        return dataclasses.replace(answer, query=dataclasses.replace(answer.query, text=text))

    # --- finding the sides -----------------------------------------------------------------

    def _place_sides(self, text: str, known: tuple[str, ...], unknown: tuple[str, ...]) -> list[_Side]:
        """The places named, narrowest only (湖南省蓝山县 is one side: 蓝山县), in the order the
        question names them, each keyed by the name it uses."""
        # A town no report and no gazetteer knows is a side only when joined to another place
        # (秀山县和张庄镇); elsewhere it may be a cut of ordinary words (多少个乡镇 → 少个乡).
        unknown = tuple(
            u for u in unknown if u in self.gazetteer.by_name or self.gazetteer.towns(u) or _joined(text, u)
        )
        named = [*known, *unknown]
        narrowest = [p for p in named if not any(o != p and self._inside(o, p, named, text) for o in named)]
        sides = [_Side(self._surface(text, p), p, p in known) for p in narrowest]
        return sorted(sides, key=lambda s: _position(text, s.key))

    def _inside(self, inner: str, outer: str, named: list[str], text: str) -> bool:
        """Whether place `inner` lies in `outer`: its reports are some of `outer`'s, or the
        gazetteer puts it there."""
        of_inner, of_outer = self._reports_of(inner), self._reports_of(outer)
        if of_inner and of_outer:
            # Equal sets (鲁山县瓦屋镇, where 瓦屋镇 is the county's only report): one side.
            return of_inner < of_outer or (of_inner == of_outer and named.index(inner) > named.index(outer))
        if inner in self.gazetteer.by_name:
            return any(outer in self.gazetteer.chain(p)[:-1] for p in self.gazetteer.by_name[inner])
        if any(outer in self.gazetteer.chain(t)[:-1] for t in self.gazetteer.towns(inner)):
            return True
        # A town lies in the place written just before it (竹山县柳林乡), whether or not the
        # gazetteer's towns hold it there.
        return any(a + inner in text for a in self.gazetteer.aliases(outer) | {outer})

    def _reports_of(self, place: str) -> set[int]:
        """The reports of a place, as the question understander narrows to them."""
        return self.understander.places.place_reports.get(place, set())

    def _surface(self, text: str, place: str) -> str:
        """The name the question uses for a place (秀山县 for 秀山土家族苗族自治县)."""
        names = [a for a in self.gazetteer.aliases(place) | {place} if a in text]
        return max(names, key=len) if names else place

    # --- answering --------------------------------------------------------------------------

    def _named(
        self,
        text: str,
        core: str,
        sides: list[_Side],
        ask: Ask,
        k: int,
        offset: int,
        named: list[str] | None = None,
        years: list[int] | None = None,
    ) -> Answer:
        """Each side asked on its own: the question without the other sides."""
        groups: list[Group] = []
        found: list[list[Hit]] = []  # each group's side's hits, best first
        missing: list[str] = []
        refused: list[tuple[str, Answer]] = []
        for side in sides:
            if not side.known:
                missing.append(side.key)
                continue
            if years is None:
                # Out go the other sides and the wider places they lie in (河南省 of 河南省潢川县),
                # not the places this side lies in.
                drop = [
                    p
                    for p in named or ()
                    if p != side.place and not self._inside(side.place, p, [p, side.place], text)
                ]
                asked = side.key.join(
                    _blank(part, {a for p in drop for a in self.gazetteer.aliases(p) | {p}})
                    for part in core.split(side.key)
                )
            else:
                asked = _blank_years(core, [y for y in years if f"{y}年" != side.key])
            answer = ask(asked, k, 0)
            if years is None:  # only the side's own reports
                theirs = self._reports_of(side.place)
                hits = [h for h in answer.hits if h.report.id in theirs]
            else:  # a year that narrowed nothing has none (its plans may be the year before's)
                hits = list(answer.hits) if int(side.key.rstrip("年")) in answer.query.years else []
            if answer.answered and hits:
                groups.append(Group(side.key, hits[0].report, tuple(hits[:PER_SIDE])))
                found.append(hits)
            else:
                missing.append(side.key)
                if answer.refusal not in (None, Refusal.NO_MATCH):
                    refused.append((side.key, answer))  # not searched: its own reason, not 没有提到
        # In the order the question names the sides (each is what was asked for): each side's
        # best, then each side's second best …
        level = sorted(
            ((i, n, h) for n, hits in enumerate(found) for i, h in enumerate(hits)), key=lambda x: x[:2]
        )
        result = self._result(text, core, [h for _, _, h in level], groups, missing, k, offset)
        return dataclasses.replace(result, side_refusals=tuple(refused))

    def _across(self, text: str, core: str, ask: Ask, k: int, offset: int) -> Answer:
        answer = ask(core, ACROSS_CANDIDATES, 0)
        if not answer.answered:
            return dataclasses.replace(answer, query=dataclasses.replace(answer.query, text=text))
        best: dict[int, Hit] = {}
        also: dict[int, Report] = {}
        for h in answer.hits:  # best first: the first hit of each report is its best
            if h.report.id in best or h.report.id in also:
                continue
            if len(best) < MAX_GROUPS:
                best[h.report.id] = h
            elif len(also) < MAX_ALSO:
                also[h.report.id] = h.report
        keys = report_keys(list(best.values()))
        groups = [Group(key, h.report, (h,)) for key, h in zip(keys, best.values(), strict=True)]
        firsts = set(map(id, best.values()))
        flat = [*best.values(), *(h for h in answer.hits if id(h) not in firsts)]
        result = self._result(text, core, flat, groups, [], k, offset)
        return dataclasses.replace(result, also=tuple(also.values()))

    def _result(
        self,
        text: str,
        core: str,
        flat: list[Hit],
        groups: list[Group],
        missing: list[str],
        k: int,
        offset: int,
    ) -> Answer:
        """The answer: the flat hits (every group's first, then further hits of the sides up
        to k in all) renumbered with figures marked, the same hits in the groups, and the
        query as understood without the comparing words."""
        shown = flat[: max(k, sum(len(g.hits) for g in groups))]
        renumbered = {
            id(h): dataclasses.replace(h, rank=i + 1, snippet=mark_figures(h.snippet))
            for i, h in enumerate(shown)
        }
        out_groups = tuple(
            dataclasses.replace(g, hits=tuple(renumbered[id(h)] for h in g.hits if id(h) in renumbered))
            for g in groups
        )
        hits = tuple(renumbered[id(h)] for h in shown) if offset == 0 else ()
        q = self.understander.understand(core)
        # Every side said nothing about it: refused as any question is, the sides still listed.
        refusal = None if groups else Refusal.NO_MATCH
        return Answer(
            dataclasses.replace(q, text=text),
            hits=hits,
            refusal=refusal,
            groups=out_groups,
            missing=tuple(missing),
        )


def _several_places(reports: Iterable[Report]) -> bool:
    first = None
    for r in reports:
        place = r.place or r.issuer
        if first is None:
            first = place
        elif place != first:
            return True
    return False


def report_keys(hits: list[Hit]) -> list[str]:
    """A name for each hit's report: its place, or where a place has several reports, the
    issuer (汝城县公安局), and the year where that is not enough either."""
    places = [h.report.place or h.report.issuer for h in hits]
    keys = [
        p if places.count(p) == 1 else (h.report.issuer if p in h.report.issuer else f"{p}{h.report.issuer}")
        for p, h in zip(places, hits, strict=True)
    ]
    return [
        f"{k}（{h.report.year}年）" if keys.count(k) > 1 and h.report.year else k
        for k, h in zip(keys, hits, strict=True)
    ]


def _blank(text: str, names: set[str]) -> str:
    """`text` with the names blanked out, longest first."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def _blank_years(text: str, years: list[int]) -> str:
    """`text` without the years (and their 年)."""
    for y in years:
        text = re.sub(rf"(?<!\d){y}\s*(?:年度|年)?(?!\d)", " ", text)
    return text


_JOINING = "和与及跟同、,，"


def _joined(text: str, name: str) -> bool:
    """Whether `name` stands in `text` next to a word joining it to another (和, 与, 、 …)."""
    i = text.find(name)
    end = i + len(name)
    return i >= 0 and ((i > 0 and text[i - 1] in _JOINING) or (end < len(text) and text[end] in _JOINING))


def _position(text: str, name: str) -> int:
    i = text.find(name)
    return i if i >= 0 else len(text)
