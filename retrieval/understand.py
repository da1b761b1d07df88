"""Question understanding: places, years, what kind of answer is wanted, and the search terms.

A place or year that matches indexed reports narrows the search to them; a place that no
report covers is reported back so the caller can say so instead of answering about somewhere
else. Question words (多少, 哪些, 怎么 …) are dropped from the terms; those that ask for a
figure mark the question as wanting one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from retrieval.models import Query, Report, SectionKind
from retrieval.places import PACKAGE_DATA, Gazetteer, could_be_town, default_gazetteer
from retrieval.tokenize import Tokenizer

MAX_QUESTION_CHARS = 500
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]+")
_TOWN_SUFFIX = re.compile(r"镇|乡|街道")
# Besides what places.could_be_town rules out (各乡镇, 城乡), a town name in a question does not
# start with a word asking for it (问张庄镇 → 张庄镇).
_ASKING_START = set("问想请查看说是有要呢吗的了")
_FOLLOW_UP = re.compile(
    r"^(?:那么|那|还有|换成|再看)?\s*(?P<core>[^\s?？!！。，,]{2,20}?)\s*"
    r"(?:呢|的呢|的情况呢|怎么样|又如何|如何)?\s*[?？!！。]*$"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*(?:年度?)?")
# Organisation words in questions and the forms issuers write them in.
_ORG_FORMS = {
    "政府办": ("人民政府办公室", "政府办公室"),
    "县政府": ("人民政府",),
    "镇政府": ("人民政府",),
    "政协": ("政协",),
    "人大": ("人大",),
    "司法局": ("司法局",),
}


_SECTION_WORDS: tuple[tuple[SectionKind, tuple[str, ...]], ...] = (
    (SectionKind.PROBLEMS, ("问题", "不足", "短板", "差距", "薄弱")),
    (SectionKind.PLANS, ("下一步", "下一年", "下年度", "打算", "安排", "计划", "思路", "明年", "今后")),
    (SectionKind.DUTY, ("第一责任人", "主要负责人")),
)
_QUESTION_INTENT: tuple[tuple[SectionKind, tuple[str, ...]], ...] = (
    (SectionKind.PROBLEMS, ("问题", "不足", "短板", "差距", "薄弱", "困难", "缺点")),
    (SectionKind.PLANS, ("下一步", "下一年", "下年", "明年", "打算", "计划", "今后", "未来", "将来", "安排")),
)


def section_kind(section: tuple[str, ...]) -> SectionKind:
    """Which standard part of a report a section path lies in, judged by its top heading."""
    if not section:
        return SectionKind.OTHER
    top = section[0]
    for kind, words in _SECTION_WORDS:
        if any(w in top for w in words):
            return kind
    return SectionKind.OTHER


def question_kind(text: str) -> SectionKind:
    """The standard part a question asks about (problems, plans), or OTHER."""
    for kind, words in _QUESTION_INTENT:
        if any(w in text for w in words):
            return kind
    return SectionKind.OTHER


def is_intent_term(term: str, kind: SectionKind) -> bool:
    """Whether a search term only says which part of a report is wanted (计划, 不足 …)."""
    words = dict(_QUESTION_INTENT).get(kind, ())
    return any(term in w or w in term for w in words)


_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|[件次条个户名人场份万亿元余项起幅处类家所])")


def has_figures(text: str) -> bool:
    """Whether text states a count, amount or rate (a year or a date is not a figure)."""
    return bool(_FIGURE.search(text))


_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


def normalise(text: str) -> str:
    """NFKC, markup tags and control characters removed, runs of whitespace collapsed.

    Tags go because a question pasted from a web page should not ask for `span`."""
    text = _MARKUP.sub(" ", unicodedata.normalize("NFKC", text))
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


@dataclass
class PlaceIndex:
    """Places of the indexed reports and every alias people use for them."""

    alias_to_place: dict[str, str] = field(default_factory=dict)
    place_reports: dict[str, set[int]] = field(default_factory=dict)
    year_reports: dict[int, set[int]] = field(default_factory=dict)
    issuers: dict[int, str] = field(default_factory=dict)
    narrowest: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, reports: Iterable[Report], gazetteer: Gazetteer) -> PlaceIndex:
        idx = cls()
        for r in reports:
            idx.issuers[r.id] = r.issuer
            if r.places:
                idx.narrowest[r.id] = r.places[-1]
            if r.year:
                idx.year_reports.setdefault(r.year, set()).add(r.id)
            for place in r.places:
                idx.place_reports.setdefault(place, set()).add(r.id)
                for alias in gazetteer.aliases(place):
                    idx.alias_to_place.setdefault(alias, place)
        return idx

    def known_places(self) -> list[str]:
        """The narrowest place of each report, for telling users what exists."""
        return sorted(set(self.narrowest.values()))


class Understander:
    """Turns question text into a Query against the currently indexed reports."""

    def __init__(self, tokenizer: Tokenizer, gazetteer: Gazetteer | None = None) -> None:
        self.tokenizer = tokenizer
        self.gazetteer = gazetteer or default_gazetteer()
        self._question_words, self._figure_words = _read_question_words()
        self._other_places = _gazetteer_names(self.gazetteer)
        self.places = PlaceIndex()
        self._longest = max(map(len, self._other_places))

    def set_reports(self, reports: Iterable[Report]) -> None:
        """Refresh the places and years of indexed reports (after an ingest or delete)."""
        self.places = PlaceIndex.build(reports, self.gazetteer)
        self.tokenizer.add_words(self.places.alias_to_place)
        self._longest = max(map(len, [*self._other_places, *self.places.alias_to_place]))

    def understand(self, question: str) -> Query:
        text = normalise(question)
        words = self.tokenizer.words(text)
        known, unknown, rest = self._places(text)
        years = [int(y) for y in _YEAR.findall(text)]
        report_ids, used_years, plans = self._narrow(known, years)
        kind = SectionKind.PLANS if plans else question_kind(text)

        for y in used_years:
            rest = re.sub(rf"{y}\s*(?:年度?)?", " ", rest)
        terms = [t for t in self.tokenizer.tokens(rest) if t not in self._question_words]
        wants_figures = any(w in self._figure_words for w in words) or "几" in text
        report_ids = self._narrow_by_issuer(report_ids, rest)
        if unknown and not known:
            # Only places with no report: the answer says so, and a year alone must not pick
            # some other place's report to stand in for it.
            report_ids = None
        return Query(
            text=text,
            terms=tuple(dict.fromkeys(terms)),
            places=tuple(known),
            unknown_places=tuple(unknown),
            years=tuple(used_years),
            wants_figures=wants_figures,
            kind=kind,
            report_ids=None if report_ids is None else tuple(sorted(report_ids)),
        )

    def follow_up(self, previous: str, message: str) -> str | None:
        """`那蓝山县呢？` after a question: that question asked about the place(s) named now.
        None when the message is not such a follow-up."""
        m = _FOLLOW_UP.match(normalise(message))
        if not m:
            return None
        core = m.group("core")
        known, unknown, left = self._places(core)
        if not (known or unknown) or _WORDLIKE.search(left):
            return None
        _, _, rest = self._places(normalise(previous))
        return core + rest.strip() if _WORDLIKE.search(rest) else None

    def _places(self, text: str) -> tuple[list[str], list[str], str]:
        """Known places named in `text`, unknown places named, and the text without them.

        At each position the longest name wins, a place of an indexed report before any other
        (湖南省政府办 → 湖南省; 上海市浦东新区 → 上海市, 浦东新区). A town (…镇, …乡, …街道)
        that no report covers is unknown too."""
        known: list[str] = []
        unknown: list[str] = []
        taken = [False] * len(text)
        aliases = self.places.alias_to_place
        i = 0
        while i < len(text):
            for n in range(min(self._longest, len(text) - i), 1, -1):
                name = text[i : i + n]
                if name in aliases:
                    known.append(aliases[name])
                elif name in self._other_places:
                    unknown.append(self._other_places[name])
                else:
                    continue
                taken[i : i + n] = [True] * n
                i += n - 1
                break
            i += 1
        for m in _TOWN_SUFFIX.finditer(text):
            for n in (3, 2):  # characters of the name before the suffix, longest first
                start = m.start() - n
                name = text[max(start, 0) : m.end()]
                if start < 0 or any(taken[start : m.end()]) or not _CJK_ONLY.fullmatch(name):
                    continue
                if not could_be_town(name) or name[0] in _ASKING_START:
                    continue
                unknown.append(name)
                taken[start : m.end()] = [True] * len(name)
                break
        rest = "".join(" " if t else c for c, t in zip(text, taken, strict=True))
        return list(dict.fromkeys(known)), list(dict.fromkeys(unknown)), rest

    def _narrow(self, known: list[str], years: list[int]) -> tuple[set[int] | None, list[int], bool]:
        """Report ids the question is limited to (None for all), the years that narrowed it,
        and whether a year named was the one after a report's (so its plans are wanted)."""
        ids: set[int] | None = None
        if known:
            # 湖南省蓝山县: the narrower place wins over the wider one that contains it.
            sets = [self.places.place_reports.get(p, set()) for p in known]
            specific = [s for s in sets if not any(o < s for o in sets)]
            ids = set().union(*specific)
        used: list[int] = []
        plans = False
        by_year = self.places.year_reports
        for y in years:
            # A report's plans are for the year after the one it covers: 安化县2025年安排
            # asks the 2024 report.
            for year, ahead in ((y, False), (y - 1, True)):
                candidate = by_year.get(year, set())
                candidate = candidate if ids is None else ids & candidate
                if candidate:
                    ids, plans = candidate, plans or ahead
                    used.append(y)
                    break
        return ids, used, plans

    def _narrow_by_issuer(self, ids: set[int] | None, rest: str) -> set[int] | None:
        """安化县政协 → the report issued by 政协安化县委员会办公室, when the place has several."""
        if ids is None or len(ids) < 2:
            return ids
        for word, forms in _ORG_FORMS.items():
            if word in rest:
                match = {i for i in ids if any(f in self.places.issuers.get(i, "") for f in forms)}
                if match:
                    return match
        return ids


def _gazetteer_names(gazetteer: Gazetteer) -> dict[str, str]:
    """Names that certainly mean a place → its full name: full names of three characters or
    more, short names with their suffix (秀山县), and short province names (湖南)."""
    out: dict[str, str] = {}
    for name in gazetteer.all_names():
        for alias in gazetteer.aliases(name):
            if alias == name or alias[-1] in "省市县区旗州":
                out.setdefault(alias, name)
    for short, full in gazetteer.province_aliases().items():
        out.setdefault(short, full)
    return out


def _read_question_words() -> tuple[frozenset[str], frozenset[str]]:
    words: set[str] = set()
    figures: set[str] = set()
    for line in (PACKAGE_DATA / "question_words.txt").read_text("utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("="):
            figures.update(line[1:].split())
        else:
            words.update(line.split())
    return frozenset(words | figures), frozenset(figures)
