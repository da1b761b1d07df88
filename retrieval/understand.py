"""Question understanding: places, years, issuers, what kind of answer is wanted, and the
search terms.

A place, year or kind of issuer (公安局, 政府办) that matches indexed reports narrows the search
to them; a place that no report covers is reported back so the caller can say so instead of
answering about somewhere else. Places are found in the question's text by the place index
(names and aliases from the gazetteer and the indexed reports), never by teaching the
tokenizer. Words that only ask (多少, 哪些, 还有, 报告 …; data/question_words.txt) are dropped
from the terms; those that ask for a figure mark the question as wanting one. Words staff use
(打官司, 红头文件; data/synonyms.txt) also search for the words reports use.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import jieba

from retrieval.bodies import bodies
from retrieval.models import Query, Report, SectionKind
from retrieval.places import PACKAGE_DATA, Gazetteer, NearNames, could_be_town, default_gazetteer
from retrieval.tokenize import Tokenizer, fold

MAX_QUESTION_CHARS = 500
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_TOWN_SUFFIXES = ("街道", "镇", "乡")
# Suffixes of the places a question may name that the gazetteer lacks: towns, and counties
# new, renamed or made up (柘原县).
_NAME_SUFFIXES = (*_TOWN_SUFFIXES, "县")
# What may follow such a suffix in one jieba word (瓦屋/镇政府, 北湖/街道办, 柘原/县委).
_TOWN_WORD_TAILS = ("", "办", "办事处", "政府", "人民政府", "党委", "委")
# A town's suffix and the character after it that make a word of their own (发展乡村, 各镇街).
_TOWN_GLUED = ("乡村", "乡镇", "镇街")
# A word jieba's dictionary counts this often, unless a name to it, is an ordinary word: the
# gazetteer's towns named after one (中心镇, 平安乡, 建设街道) are no places in a question.
_ORDINARY_WORD_FREQ = 500
# jieba's part-of-speech tags for names of places and people: a word before 镇/乡/街道 so
# tagged reads as a town's name (柳林乡, 北湖街道); a noun or verb (部分街道, 推进乡) does not.
_NAME_TAGS = frozenset({"ns", "nr", "nrt", "nrfg", "nz"})
# Tags of words that never begin or make up a name (给, 以, 和, 各, 均 …).
_FUNCTION_TAGS = frozenset({"p", "c", "u", "uj", "ul", "uz", "ud", "ug", "uv", "r", "d", "y", "e", "o"})
# Characters that make a phrase with the suffix or begin one (全县, 本镇, 各乡): no name
# starts or ends with them.
_NEVER_FIRST = frozenset("全本我该各每此其这那")
_FOLLOW_UP = re.compile(
    r"^(?:那么|那|还有|换成|再看|换)?\s*(?P<core>[^\s?？!！。，,]{2,20}?)\s*"
    r"(?:呢|的呢|的情况呢|怎么样|又如何|如何)?\s*[?？!！。]*$"
)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*(?:年度?)?")
_YEAR_MENTION = r"(?<!\d){y}(?!\d)\s*(?:年度?)?"
# A year in Chinese numerals (二〇二二年, 二零二三年度): read as digits, the same length.
_CN_YEAR = re.compile(r"[〇零一二三四五六七八九]{4}(?=\s*年)")
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def _digit_years(text: str) -> str:
    return _CN_YEAR.sub(lambda m: m.group(0).translate(_CN_DIGITS), text)


_SECTION_WORDS: tuple[tuple[SectionKind, tuple[str, ...]], ...] = (
    (SectionKind.PROBLEMS, ("问题", "不足", "短板", "差距", "薄弱")),
    (SectionKind.PLANS, ("下一步", "下一年", "下年度", "打算", "安排", "计划", "思路", "明年", "今后")),
    (SectionKind.DUTY, ("第一责任人", "主要负责人")),
)
_QUESTION_INTENT: tuple[tuple[SectionKind, tuple[str, ...]], ...] = (
    (SectionKind.PROBLEMS, ("问题", "不足", "短板", "差距", "薄弱", "困难", "缺点")),
    (
        SectionKind.PLANS,
        ("下一步", "下一年", "下年", "明年", "打算", "计划", "今后", "未来", "将来", "安排", "思路"),
    ),
)


def section_kind(section: tuple[str, ...]) -> SectionKind:
    """Which standard part of a report a section path lies in, judged by its top heading; a
    top heading naming two parts (第三部分 存在的问题和2024年工作安排) leaves it to the
    next heading that names one of them (二、2024年工作安排 → plans)."""
    if not section:
        return SectionKind.OTHER
    named = [kind for kind, words in _SECTION_WORDS if any(w in section[0] for w in words)]
    if len(named) > 1:
        for heading in section[1:]:
            inner = [k for k, words in _SECTION_WORDS if k in named and any(w in heading for w in words)]
            if inner:
                return inner[0]
    return named[0] if named else SectionKind.OTHER


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


_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|[件次条个户名人场份万亿元余项起幅处类家所台宗卷期天])")


def has_figures(text: str, units: str = "") -> bool:
    """Whether text states a count, amount or rate (a year or a date is not a figure); with
    `units`, one counted in one of those measure words."""
    if not units:
        return bool(_FIGURE.search(text))
    # 0.5个工作日 counts days too.
    return bool(re.search(rf"\d+(?:\.\d+)?\s*(?:万|亿)?(?:个工作|个)?[{re.escape(units)}]", text))


# Measure words that count the same things (名 and 人 both count people).
_LIKE_UNITS = ("人名", "次场期", "件起宗", "元钱", "天日")
_ASKED_UNIT = re.compile(r"(?:多少|几)\s*([件次条个户名人场份项起幅处类家台期宗卷天钱部%])")


def units_asked(text: str) -> str:
    """The measure words of the figures a question asks for (多少条 → 条, 几名 → 名人), or ""."""
    out = ""
    for m in _ASKED_UNIT.finditer(text):
        unit = m.group(1)
        like = next((g for g in _LIKE_UNITS if unit in g), unit)
        out += "".join(c for c in like if c not in out and c != "钱")
    return out


# Requests that are no question about the reports: drafting, translating, summing up a whole
# report or year, and asking the bot's opinion. The bot quotes reports; it writes nothing.
_NOT_OUR_JOB = re.compile(
    r"(?:帮我|帮忙|替我|给我|请你|麻烦你?|能否|能不能|可以|可否)\s*(?:帮我|给我)?\s*"
    r"(?:写|起草|撰写|草拟|拟写|拟定|拟一|代写|编写|生成|出一份|做一份|润色|改写|续写|翻译|总结|概括|归纳|汇总)"
    r"|^(?:请)?(?:写|起草|撰写|草拟|代写|编写|生成)\s*(?:一|个|篇|份|首|段)"
    r"|写(?:一|个|篇|份)?(?:首|篇)(?:诗|词|歌|文章|作文|散文|小说)"
    r"|翻译|译成|译为|英文版|英译|translate|in english"
    r"|(?:用|以|写成|换成|改成)(?:英文|英语|外语|日语|日文|韩语|俄语|法语)"
    r"|(?:总结|概括|归纳|汇总|梳理)(?:一下)?[^，。？?]{0,12}(?:所有|全部|全年|整年|每份|各份|这些|整份|全文|整个)"
    r"|你(?:觉得|认为|怎么看|如何看|如何评价|怎么评价|的看法|的观点|的意见|的评价)"
    r"|评价一下|打个?分|好不好[?？]*$",
    re.IGNORECASE,
)


# A long pasted question's clauses that only frame it (who asks, why, politeness, what to do if
# nothing is found): no content to search for.
_FILLER_CLAUSE = re.compile(
    r"谢谢|多谢|感谢|麻烦|请教|您好|你好|打扰|我是|我们|我在|我需要|我要|领导让我|想参考|想了解一下$|"
    r"引用原文|原文给我|原文摘给我|提供原文|找一下原文|告诉我|如果[^，,。？?]{0,8}(?:没有|有的话|有相关|方便|能)|"
    r"就算了|就最好|准备一个材料|整理[^，,。？?]{0,8}材料|对比分析|调研报告|^如果有$"
)
_CLAUSE = re.compile(r"[^，,。？?！!；;]+")
LONG_QUESTION_CHARS = 30  # a question this long may be a pasted paragraph with framing clauses


def content_of(text: str) -> str:
    """A long question with its framing clauses blanked (offsets hold): `请教一下,宁远县仁和镇
    2024年…有没有推行三项制度?…我在写调研报告需要引用原文,…谢谢` keeps only what it asks
    about. A short question, or one all framing, is returned as it is."""
    if len(text) < LONG_QUESTION_CHARS:
        return text
    out = text
    for m in _CLAUSE.finditer(text):
        if _FILLER_CLAUSE.search(m.group(0)):
            out = out[: m.start()] + " " * (m.end() - m.start()) + out[m.end() :]
    return out if _WORDLIKE.search(out) else text


def out_of_scope(text: str) -> bool:
    """Whether a message asks for something besides finding what reports say: drafting
    (帮我写一份…计划), translating, summing up a whole year or report, or an opinion (你觉得…)."""
    return bool(_NOT_OUR_JOB.search(normalise(text)))


_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


def normalise(text: str) -> str:
    """NFKC, markup tags and control characters removed, runs of whitespace collapsed.

    Tags go because a question pasted from a web page should not ask for `span`."""
    text = _MARKUP.sub(" ", unicodedata.normalize("NFKC", text))
    text = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(text.split())


# A town named in an issuer (柳林乡人民政府, …区人民政府唐家墩街道办事处): the report's town
# even when its places stop at the county.
_ISSUER_TOWN = re.compile(
    r"(?:^|政府|[县区市旗])(?P<town>[\u4e00-\u9fff]{2,4}?(?:街道|镇|乡))(?:人民政府|办事处|党委|政府|$)"
)


# A county-level place an issuer begins with (柘原县人民政府, 洋县自然资源局): the report's place
# when none was read from it.
_ISSUER_COUNTY = re.compile(
    r"(?P<county>[\u4e00-\u9fff]{1,3}?[县市区旗])(?=人民政府|政府|委员会|人大|政协|[\u4e00-\u9fff]{1,10}?[局办厅委])"
)


@dataclass(frozen=True, slots=True)
class _Resolved:
    """The places a text names (see Understander._resolve)."""

    known: list[str]
    unknown: list[str]
    rest: str
    corrected: tuple[tuple[str, str], ...] = ()  # (as written, the place taken) one character off
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (as written, the places it may be)


@dataclass
class PlaceIndex:
    """Places of the indexed reports and every alias people use for them, their years, and
    the kinds of their issuers."""

    alias_to_place: dict[str, str] = field(default_factory=dict)
    place_reports: dict[str, set[int]] = field(default_factory=dict)
    year_reports: dict[int, set[int]] = field(default_factory=dict)
    # Reports whose plans section is for a year (Report.plan_year, else the year after).
    plan_reports: dict[int, set[int]] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    issuers: dict[int, str] = field(default_factory=dict)
    narrowest: dict[int, str] = field(default_factory=dict)
    kind_reports: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, reports: Iterable[Report], gazetteer: Gazetteer, names: dict[str, str] | None = None
    ) -> PlaceIndex:
        """The index of `reports`; `names` are the gazetteer's (see _gazetteer_names), if
        already at hand."""
        idx = cls()
        names = _gazetteer_names(gazetteer) if names is None else names
        # An issuer reports year after year: its kind and its places' aliases are worked out
        # once (at tens of thousands of reports this was most of a library's start).
        kinds: dict[tuple[str, tuple[str, ...]], str] = {}
        aliases: dict[str, list[str]] = {}
        for r in reports:
            idx.issuers[r.id] = r.issuer
            places = list(r.places)
            # Read in the questions' form (a traditional-character issuer: 汝城縣 → 汝城县).
            issuer = fold(r.issuer)
            county = _ISSUER_COUNTY.match(issuer)
            if not places and county:
                places.append(county.group("county"))
            town = _ISSUER_TOWN.search(issuer)
            if town and town.group("town") not in places:
                places.append(town.group("town"))
            if places:
                idx.narrowest[r.id] = places[-1]
            if r.year:
                idx.years[r.id] = r.year
                idx.year_reports.setdefault(r.year, set()).add(r.id)
                plan_year = r.plan_year or r.year + 1
                idx.plan_reports.setdefault(plan_year, set()).add(r.id)
            for place in places:
                idx.place_reports.setdefault(place, set()).add(r.id)
                folded = aliases.get(place)
                if folded is None:
                    folded = aliases[place] = [fold(a) for a in _aliases(place, gazetteer)]
                for alias in folded:
                    idx.alias_to_place.setdefault(alias, place)
            key = (issuer, tuple(places))
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = issuer_kind(issuer, places, gazetteer, names)
            if kind:
                idx.kind_reports.setdefault(kind, set()).add(r.id)
        return idx

    def known_places(self) -> list[str]:
        """The narrowest place of each report, for telling users what exists."""
        return sorted(set(self.narrowest.values()))


def _aliases(place: str, gazetteer: Gazetteer) -> set[str]:
    """The gazetteer's aliases of a place, and for an autonomous county of 各族 (all
    nationalities, not one of them: 龙胜各族自治县) its name without that word too (龙胜)."""
    out = gazetteer.aliases(place)
    out |= {a.replace("各族", "") for a in out if "各族" in a and len(a.replace("各族", "")) >= 2}
    return out


def issuer_kind(
    issuer: str, places: Iterable[str], gazetteer: Gazetteer, names: dict[str, str] | None = None
) -> str:
    """The organisation an issuer is, without its places: 永丰县公安局 → 公安局,
    政协安化县委员会办公室 → 政协委员会办公室, 武汉市江汉区人民政府唐家墩街道办事处 →
    人民政府街道办事处. Empty when nothing is left.

    The report's own places go wherever they are; other place names only from the start
    (汝城县市场监督管理局 holds no place 县市, but 湖南省汝城县… starts with two)."""
    kind = issuer
    own: set[str] = set()
    for p in places:
        town = next((s for s in _TOWN_SUFFIXES if p.endswith(s) and len(p) > len(s)), "")
        # A town's name goes, its suffix stays: …唐家墩街道办事处 is a 街道办事处.
        own |= {a[: -len(town)] if town and a.endswith(town) else a for a in _aliases(p, gazetteer)}
    for name in sorted(own, key=len, reverse=True):
        kind = kind.replace(name, "")
    kind = re.sub(r"^中共", "", kind)
    names = _gazetteer_names(gazetteer) if names is None else names
    stripped = True
    while stripped:
        stripped = False
        for n in range(min(len(kind), 12), 1, -1):
            if kind[:n] in names:
                kind, stripped = kind[n:], True
                break
    if kind == issuer:
        # No place named at all, but its level may be (县综合行政执法局).
        kind = re.sub(r"^[省市县区旗](?=.{2})", "", kind)
    return kind if len(kind) >= 2 else ""


class IssuerKinds:
    """The kinds of issuer a question may name: data/issuer_kinds.txt groups their forms, and
    each body of the body-name table (retrieval.bodies: 发改委 发展改革委 发展和改革委员会 …) is a
    group too, its stem (民政) a form that counts only right after a place (江苏民政)."""

    def __init__(self, path: Path = PACKAGE_DATA / "issuer_kinds.txt") -> None:
        self.groups: list[tuple[str, ...]] = []
        self.with_place: set[str] = set()  # forms that narrow only together with a place
        self.after_place: set[str] = set()  # forms that narrow only written right after one
        for line in path.read_text("utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            words = line.split()
            group = tuple(fold(w) for w in words if w != "@")
            self.groups.append(group)
            if words[0] == "@":
                self.with_place.update(group)
        for body in bodies():
            self.groups.append((*body.forms, body.stem))
            self.after_place.add(body.stem)
            self.with_place.add(body.stem)

    def forms(self, kind: str) -> set[str]:
        """Every way a question may name `kind`: itself and the forms of each group one of
        whose forms it ends with (人民政府办公室 → 政府办, 政府办公室 …)."""
        out = {kind}
        for group in self.groups:
            if any(kind.endswith(f) for f in group):
                out.update(group)
        return out


class Synonyms:
    """Groups of words that stand for each other (data/synonyms.txt)."""

    def __init__(self, path: Path = PACKAGE_DATA / "synonyms.txt") -> None:
        self.others: dict[str, set[str]] = {}
        for line in path.read_text("utf-8").splitlines():
            if line.startswith("#"):
                continue
            group = [fold(w) for w in line.split()]
            for w in group:
                self.others.setdefault(w, set()).update(o for o in group if o != w)
        self._longest = max(map(len, self.others), default=0)

    def find(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """Non-overlapping (start, end, other words) of group words in `text`, the longest
        word at each position first."""
        out: list[tuple[int, int, tuple[str, ...]]] = []
        i = 0
        while i < len(text):
            for n in range(min(self._longest, len(text) - i), 0, -1):
                others = self.others.get(text[i : i + n])
                if others:
                    out.append((i, i + n, tuple(sorted(others, key=len, reverse=True))))
                    i += n
                    break
            else:
                i += 1
        return out


@functools.cache
def _word_tags() -> dict[str, str]:
    """jieba's part-of-speech tags of the words the town test looks up: every single
    character, names of places and people up to three characters, and place words ending in a
    town's suffix. Read once from jieba's dictionary, when first needed (~0.2 s, a few MB;
    all its tags would be 50 MB)."""
    out: dict[str, str] = {}
    path = Path(jieba.__file__).with_name("dict.txt")
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()  # word, frequency, tag
            if len(parts) < 3:
                continue
            word, tag = parts[0], parts[2]
            name = tag in _NAME_TAGS and len(word) <= 3
            if len(word) == 1 or name or (tag == "ns" and word.endswith(_NAME_SUFFIXES)):
                out[word] = tag
    return out


@functools.cache
def _common_nouns() -> frozenset[str]:
    """The common nouns (tag n) of two to four characters of jieba's dictionary: the things a
    question may ask about (门票, 电视剧, 房价). Read once, when first needed (~0.3 s)."""
    path = Path(jieba.__file__).with_name("dict.txt")
    with path.open(encoding="utf-8") as f:
        return frozenset(
            parts[0]
            for line in f
            if len(parts := line.split()) >= 3 and parts[2] == "n" and 2 <= len(parts[0]) <= 4
        )


def is_common_noun(word: str) -> bool:
    """Whether `word` names a thing in jieba's dictionary (门票 yes; 调解, 催办 are verbs)."""
    return word in _common_nouns()


class Understander:
    """Turns question text into a Query against the currently indexed reports."""

    def __init__(self, tokenizer: Tokenizer, gazetteer: Gazetteer | None = None) -> None:
        self.tokenizer = tokenizer
        self.gazetteer = gazetteer or default_gazetteer()
        self._question_words, self._figure_words = _read_question_words()
        self._other_places = _gazetteer_names(self.gazetteer)
        self.synonyms = Synonyms()
        self.issuer_kinds = IssuerKinds()
        self.places = PlaceIndex()
        self._kind_forms: dict[str, set[str]] = {}
        self._longest = max(map(len, self._other_places))
        self._longest_town = 0  # of the gazetteer's towns, when first needed
        self._near = NearNames({})

    def set_reports(self, reports: Iterable[Report]) -> None:
        """Refresh the places, years and issuers of indexed reports (after an ingest or delete)."""
        self.places = PlaceIndex.build(reports, self.gazetteer, self._other_places)
        forms: dict[str, set[str]] = {}
        for kind in self.places.kind_reports:
            for form in self.issuer_kinds.forms(kind):
                forms.setdefault(form, set()).add(kind)
        self._kind_forms = forms
        self._longest = max(map(len, [*self._other_places, *self.places.alias_to_place]))
        self._near = NearNames(self.places.alias_to_place)

    def understand(self, question: str) -> Query:
        """What `question` asks, against the indexed reports: the places, years and issuers
        that narrow it, the reports to answer from first, and its search terms."""
        text = normalise(question)
        folded = _digit_years(fold(text))
        resolved = self._resolve(folded)
        known, unknown, rest = resolved.known, resolved.unknown, content_of(resolved.rest)
        rest += self._head_of(folded, known)
        years = [int(y) for y in _YEAR.findall(folded)]
        kind = question_kind(folded)
        report_ids, used_years, plans, first = self._narrow(known, years, kind)
        kind = SectionKind.PLANS if plans else kind
        for y in used_years:
            rest = re.sub(_YEAR_MENTION.format(y=y), " ", rest)
        report_ids, rest = self._narrow_by_issuer(report_ids, rest)
        if not used_years and report_ids is not None:
            # Narrowed by place or issuer, no year named: each place's newest report first.
            first = self._newest(report_ids)
        terms, alternatives = self._terms(rest)
        words = self.tokenizer.words(rest)
        wants_figures = any(w in self._figure_words for w in words) or "几" in rest
        # A rate asked about (立案率, 调解成功率) is a figure asked for.
        wants_figures = wants_figures or any(len(t) > 1 and t.endswith("率") for t in terms)
        units = units_asked(rest) if wants_figures else ""
        if unknown and not known:
            # Only places with no report: the answer says so, and a year alone must not pick
            # some other place's report to stand in for it.
            report_ids, first = None, set()
        ids = None if report_ids is None else tuple(sorted(report_ids))
        absent: tuple[int, ...] = ()
        place_years: tuple[int, ...] = ()
        if known and years and not used_years:
            # 中村乡2024年…: the place has reports, none of that year; the answer says which it has.
            absent = tuple(dict.fromkeys(years))
            theirs = set().union(*(self.places.place_reports.get(p, set()) for p in known))
            place_years = tuple(sorted({self.places.years[i] for i in theirs if i in self.places.years}))
        return Query(
            text=text,
            terms=tuple(dict.fromkeys(terms)),
            places=tuple(known),
            unknown_places=tuple(unknown),
            years=tuple(used_years),
            wants_figures=wants_figures,
            units=units,
            kind=kind,
            report_ids=ids,
            alternatives=tuple(alternatives.items()),
            first=tuple(sorted(first)) if ids is not None and set(first) != set(ids) else (),
            corrected=resolved.corrected,
            choices=resolved.choices,
            absent_years=absent,
            place_years=place_years,
        )

    def _head_of(self, text: str, known: list[str]) -> str:
        """` 区长` for `静海区长`: a place's head written onto its name (区长, 县长, 镇长 …),
        which reading the place takes apart."""
        out = ""
        for m in _HEAD.finditer(text):
            before = text[: m.start() + 1]
            if any(before.endswith(a) and p in known for a, p in self.places.alias_to_place.items()):
                out += " " + m.group(0)
        return out

    def follow_up(self, previous: str, message: str) -> str | None:
        """`那蓝山县呢？` or `那2023年呢？` after a question: that question asked about the
        place(s) or year named now. None when the message is not such a follow-up."""
        m = _FOLLOW_UP.match(_digit_years(fold(normalise(message))))
        if not m:
            return None
        core = m.group("core")
        years = _YEAR.findall(core)
        core_places = re.sub(_YEAR.pattern, " ", core)
        known, unknown, left = self._places(core_places)
        if not (known or unknown or years) or _WORDLIKE.search(left):
            return None
        before = _digit_years(fold(normalise(previous)))
        if years:
            # The previous question's years give way to the one named now.
            before = re.sub(_YEAR.pattern, "", before)
        year_text = "".join(f"{y}年" for y in years)
        if not (known or unknown):
            # Only a year: put it after the places the previous question named.
            _, _, rest = self._places(before)
            cut = len(rest) - len(rest.lstrip(" "))
            out = before[:cut] + year_text + before[cut:]
            return out if _WORDLIKE.search(rest) else None
        _, _, rest = self._places(before)
        places = core_places.replace(" ", "")
        return places + year_text + rest.strip() if _WORDLIKE.search(rest) else None

    def _terms(self, rest: str) -> tuple[list[str], dict[str, tuple[str, ...]]]:
        """Search terms of what is left of a question, and for each word of a synonym group
        the group's other words. A group word is one term however jieba cuts it, when it
        starts and ends where jieba's words do (so 行政许可办件量 keeps 办件)."""
        words = self.tokenizer.words(rest)
        starts = [0]
        for w in words:
            starts.append(starts[-1] + len(w))
        bounds = set(starts)
        spans = {
            start: (end, others)
            for start, end, others in self.synonyms.find(rest)
            if start in bounds and end in bounds and rest[start:end] not in self._question_words
        }
        alternatives: dict[str, tuple[str, ...]] = {}
        terms: list[str] = []
        skip_to = 0
        for w, start in zip(words, starts, strict=False):
            if start < skip_to:
                continue
            if start in spans:
                end, others = spans[start]
                word = rest[start:end]
                terms.append(word)
                alternatives[word] = others
                skip_to = end
                continue
            terms.extend(t for t in self.tokenizer.tokens(w) if t not in self._question_words)
        return terms, alternatives

    def _places(self, text: str) -> tuple[list[str], list[str], str]:
        """Known places named in (folded) `text` (one character off included, see
        _resolve), unknown places named, and the text without them (each replaced by spaces,
        so offsets hold)."""
        r = self._resolve(text)
        return r.known, r.unknown, r.rest

    def _resolve(self, text: str) -> _Resolved:
        """The places named in (folded) `text`: known ones (of indexed reports), unknown ones,
        names one character off known ones, and the text without them.

        Every name found anywhere competes and a longer one always wins over a shorter one it
        overlaps (昌吉州 over 吉州区, 湖南省政府办 → 湖南省), a place of an indexed report over
        any other of the same length (上海市浦东新区 → 上海市, 浦东新区). A town (…镇, …乡,
        …街道) that no report covers is unknown too: one of the gazetteer's where the words
        around read as its name (see _table_towns), or any other when what comes before its
        suffix reads as a name (see _unknown_towns); never one named after an ordinary word
        (中心镇) nor one whose suffix begins a word (发展乡村, 太平镇街). What is left is looked
        for one character off the collection's own names (海源县 → 海原县; see
        places.NearNames) before towns, so a typo of a town it holds is no unknown town."""
        aliases = self.places.alias_to_place
        found: list[tuple[int, int, str, bool]] = []  # start, end, place, known
        for i in range(len(text)):
            for n in range(min(self._longest, len(text) - i), 1, -1):
                name = text[i : i + n]
                if name in aliases:
                    found.append((i, i + n, aliases[name], True))
                elif name in self._other_places:
                    found.append((i, i + n, self._other_places[name], False))
                else:
                    continue
                break
        found.sort(key=lambda f: (-(f[1] - f[0]), not f[3], f[0]))
        taken = [False] * len(text)
        chosen: list[tuple[int, int, str, bool]] = []
        for start, end, place, is_known in found:
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                chosen.append((start, end, place, is_known))
        chosen.sort()
        known = [p for _, _, p, k in chosen if k]
        unknown = [p for _, _, p, k in chosen if not k]
        corrected: list[tuple[str, str]] = []
        choices: list[tuple[str, tuple[str, ...]]] = []
        for near in self._near.find(text, taken, self._not_a_typo):
            taken[near.start : near.end] = [True] * (near.end - near.start)
            if len(near.places) == 1:
                known.append(near.places[0])
                corrected.append((near.written, near.places[0]))
            else:
                choices.append((near.written, near.places))
        for start, end in [*self._table_towns(text, taken), *self._unknown_towns(text, taken)]:
            glued = text[end - 1 : end + 1] in _TOWN_GLUED
            if not any(taken[start:end]) and not glued and not self._ordinary_town(text[start:end]):
                unknown.append(text[start:end])
                taken[start:end] = [True] * (end - start)
        rest = "".join(" " if t else c for c, t in zip(text, taken, strict=True))
        return _Resolved(
            list(dict.fromkeys(known)), list(dict.fromkeys(unknown)), rest, tuple(corrected), tuple(choices)
        )

    def _not_a_typo(self, written: str) -> bool:
        """Whether a name one character off a collection's place is something else: a place or
        town of the gazetteer's own, or a word of the dictionary (a typo is neither)."""
        return (
            written in self._other_places
            or written in self.gazetteer.town_names()
            or written in self.gazetteer.short_names()
            or self.tokenizer.frequency(written) > 0
            or any(w in written for w in ("哪", "什么", "多少", "怎么"))
        )

    def _table_towns(self, text: str, taken: list[bool]) -> list[tuple[int, int]]:
        """Spans of the gazetteer's towns (贤庠镇, 依西肯乡, 锣鼓塔街道 …) in `text` outside
        `taken`, the longest at each position.

        A name counts only as jieba reads it as one: not cut into by the words around it (发展/
        乡村 holds no 发展乡, nor 各镇街 a 镇), and not an ordinary word and its suffix (中心镇,
        平安乡, 建设街道), nor a word starting as towns never do (城镇街道, 小城镇 …)."""
        if not any(s in text for s in (*_TOWN_SUFFIXES, "苏木")):
            return []
        names = self.gazetteer.town_names()
        if not self._longest_town:
            self._longest_town = max(map(len, names), default=0)
        words = self.tokenizer.words(text)
        word_at: list[tuple[int, int]] = []  # each character's word, as (start, end)
        start = 0
        for w in words:
            word_at += [(start, start + len(w))] * len(w)
            start += len(w)
        if start != len(text):
            return []  # the words do not cover the text as given: no offsets to trust
        found: list[tuple[int, int]] = []
        i = 0
        while i < len(text):
            for n in range(min(self._longest_town, len(text) - i), 2, -1):
                name = text[i : i + n]
                if (
                    name in names
                    and not any(taken[i : i + n])
                    and self._reads_as_town(text, i, n, word_at)
                    and not self._ordinary_town(name)
                ):
                    found.append((i, i + n))
                    i += n - 1
                    break
            i += 1
        return found

    def _reads_as_town(self, text: str, i: int, n: int, word_at: list[tuple[int, int]]) -> bool:
        """Whether the town name text[i:i+n] is one where it stands, by the words around it
        (see _table_towns; its stem is judged apart, by _ordinary_town)."""
        name, end = text[i : i + n], i + n
        if not could_be_town(name) or text[end - 1 : end + 1] in _TOWN_GLUED:
            return False  # 发展乡村, 太平镇街 (towns and 街道): the suffix begins a word
        # No word begins before the name, and the suffix starts none that goes on past it
        # but an office's (瓦屋/镇政府, 北湖/街道办).
        last_end = word_at[end - 1][1]
        return word_at[i][0] == i and (last_end == end or text[end:last_end] in _TOWN_WORD_TAILS)

    def _ordinary_town(self, name: str) -> bool:
        """Whether a town of the gazetteer's is named after an ordinary word (中心镇, 平安乡,
        建设街道), so that the words in a question are more likely that word and its suffix."""
        if name not in self.gazetteer.town_names():
            return False
        stem = name[:-2] if name.endswith(("街道", "苏木")) else name[:-1]
        return (
            self.tokenizer.frequency(stem) >= _ORDINARY_WORD_FREQ and _word_tags().get(stem) not in _NAME_TAGS
        )

    def _unknown_towns(self, text: str, taken: list[bool]) -> list[tuple[int, int]]:
        """Spans of town and county names (…镇, …乡, …街道, …县) in `text` outside `taken`.

        jieba's segmentation decides: the suffix must be a word of its own (not 乡镇, 下乡,
        城乡, 各街道), and the two to four characters before it must be a name to jieba (a
        place or person name: 柳林, 北湖, 城关镇) or characters it found no word for (唐/家/墩,
        张/庄), never ordinary words (部分, 推进, 法治), function words (给, 以, 和) or
        asking words."""
        if not any(s in text for s in _NAME_SUFFIXES):
            return []
        words = self.tokenizer.words(text)
        tags = _word_tags()
        starts = [0]
        for w in words:
            starts.append(starts[-1] + len(w))
        found: list[tuple[int, int]] = []
        for k, w in enumerate(words):
            a = starts[k]
            suffix = next((s for s in _NAME_SUFFIXES if w.startswith(s)), None)
            if suffix and w[len(suffix) :] in _TOWN_WORD_TAILS:
                end = a + len(suffix)
                begin = a
                j = k - 1
                while j >= 0 and self._reads_as_name(words[j], tags) and a - starts[j] <= 4:
                    begin = starts[j]
                    j -= 1
                name = words[j + 1 : k]
                # Characters jieba found no word for are a name only if not all verbs (治/进乡
                # is a cut of 法治进乡村; 唐/家/墩, 万/松 are names).
                shattered = all(len(n) == 1 for n in name)
                if shattered and all(tags.get(n, "").startswith("v") for n in name):
                    continue
                if name and (name[0][0] in _NEVER_FIRST or name[-1][-1] in _NEVER_FIRST):
                    continue  # 全县, 开展全县 …, 本镇
                if 2 <= a - begin <= 4 and not any(taken[begin:end]):
                    found.append((begin, end))
            elif (
                len(w) >= 3
                and w.endswith(_TOWN_SUFFIXES)
                and tags.get(w) == "ns"
                and tags.get(w[0]) != "r"  # not 各乡镇
                and not w.endswith("下乡")  # 上山下乡
                and not any(taken[a : a + len(w)])
            ):
                found.append((a, a + len(w)))
        return found

    def _reads_as_name(self, word: str, tags: dict[str, str]) -> bool:
        """Whether a word may be (part of) a town's name, by jieba's tag for it."""
        if not _CJK_WORD.fullmatch(word) or word in self.tokenizer.stopwords:
            return False
        tag = tags.get(word, "")
        if word in self._question_words:
            # An asking word (问张庄镇 → 张庄镇), unless a measure word, which names use (唐家墩).
            return len(word) == 1 and tag in ("q", "m")
        if len(word) == 1:
            return tag not in _FUNCTION_TAGS
        return tag in _NAME_TAGS and len(word) <= 3

    def _narrow(
        self, known: list[str], years: list[int], kind: SectionKind
    ) -> tuple[set[int] | None, list[int], bool, set[int]]:
        """Report ids the question is limited to (None for all), the years that narrowed it,
        whether its plans are wanted because a year named is the one after a report's, and
        the reports to answer from first.

        A question about plans for year N (临城县2023年有什么工作计划) takes the report whose
        plans section is for N (the year N−1 report's 2023年工作计划) first, then the year-N
        report's own plans."""
        ids: set[int] | None = None
        if known:
            # 湖南省蓝山县: the narrower place wins over the wider one that contains it.
            sets = [self.places.place_reports.get(p, set()) for p in known]
            specific = [s for s in sets if not any(o < s for o in sets)]
            ids = set().union(*specific)
        used: list[int] = []
        plans = False
        first: set[int] = set()
        by_year, plan_for = self.places.year_reports, self.places.plan_reports
        chosen: set[int] = set()
        for y in years:
            same = by_year.get(y, set())
            before = plan_for.get(y, set()) - same
            if ids is not None:
                same, before = same & ids, before & ids
            if kind == SectionKind.PLANS and before:
                chosen |= before | same
                first |= before
                plans = True
            elif same:
                chosen |= same
            else:
                # Not asking for plans: an older report's plans for that year say nothing of
                # what was done in it (中村乡2024年…搞了些什么, 南昌县2020年法治政府建设情况).
                continue
            used.append(y)
        if used:
            ids = chosen
        elif years and ids is not None:
            # 柘原县2020年…: the place has no report for that year (nor plans for it), so
            # nothing of its other years answers; a report whose year is unknown still may.
            ids = {i for i in ids if i not in self.places.years}
        return ids, used, plans, first

    def _newest(self, ids: set[int]) -> set[int]:
        """Of reports of the places asked about, those of each place's newest year."""
        by_place: dict[str, list[int]] = {}
        for i in ids:
            by_place.setdefault(self.places.narrowest.get(i, ""), []).append(i)
        out: set[int] = set()
        for group in by_place.values():
            newest = max((self.places.years.get(i, 0) for i in group), default=0)
            out.update(i for i in group if self.places.years.get(i, 0) == newest)
        return out

    def _narrow_by_issuer(self, ids: set[int] | None, rest: str) -> tuple[set[int] | None, str]:
        """公安局, 政府办, 政协 … → the reports whose issuer is of that kind, within the
        places named (if any); the words that narrowed are taken out of the text. Unchanged
        when no report of the place is of that kind."""
        found: list[tuple[int, int, set[str]]] = []
        after_place = self.issuer_kinds.after_place
        for form, kinds in self._kind_forms.items():
            if form not in rest or (ids is None and form in self.issuer_kinds.with_place):
                continue
            for m in re.finditer(re.escape(form), rest):
                if form in after_place and not (m.start() > 0 and rest[m.start() - 1] == " "):
                    continue  # 民政 names a body only after its place (江苏民政), not in 民政工作
                found.append((m.start(), m.end(), kinds))
        # A form inside a longer one found (政府 in 政府办) is not a form of its own.
        found = [f for f in found if not any(o[0] <= f[0] and f[1] <= o[1] and o != f for o in found)]
        if not found:
            return ids, rest
        match: set[int] = set()
        for _, _, kinds in found:
            for k in kinds:
                match |= self.places.kind_reports.get(k, set())
        if ids is not None:
            match &= ids
        if not match:
            return ids, rest
        for a, b, _ in found:
            rest = rest[:a] + " " * (b - a) + rest[b:]
        return match, rest


_CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")


_HEAD = re.compile(r"[省市县区旗镇乡]长")


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
