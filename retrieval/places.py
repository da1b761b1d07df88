"""Chinese place names: a gazetteer of provinces, cities, counties and towns, and their short forms.

The gazetteer (data/places.csv, by adcode) lets a report's issuer line yield its whole chain
of places (蓝山县 → 湖南省 › 永州市 › 蓝山县), and lets a question that names a place with no
report be told so instead of being answered about somewhere else. Its towns and 街道
(data/towns.csv, read when first needed) give a town its chain too (贤庠镇 → 浙江省 › 宁波市 ›
象山县 › 贤庠镇) where the name is unique or the places named around it decide. A town the
table lacks is still read from how an issuer names itself (瓦屋镇人民政府, 江汉区人民政府唐家墩
街道办事处), and so is a county the table lacks (柘原县人民政府).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from retrieval.paths import PACKAGE_DATA  # the bundled data/ (re-exported)

# Names in the source table that are groupings, not places.
_NOT_PLACES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
_SUFFIXES = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "街道",
    "省",
    "市",
    "县",
    "区",
    "旗",
    "盟",
    "镇",
    "乡",
)
# Characters that, before 镇/乡, make a common word rather than a town (乡镇, 城镇, 全镇, 我镇 …).
_TOWN_BAD_START = set("全本我该各每城乡村集小市县区省州个一多两这那此其等和与及在对于从向为")
# A 民族乡 is named with its nationality (桐木漯瑶族乡): a longer name.
_TOWN_AT_START = re.compile(
    r"[\u4e00-\u9fff]{2,4}?[\u4e00-\u9fff]{1,3}族乡|[\u4e00-\u9fff]{2,4}?(?:镇|乡|街道)"
)
# A two-character county (洋县, 沙县, 和县) is also a pair of ordinary characters (县委和县政府):
# it counts only where a name may begin (start, after punctuation or another place name) and
# when an office of it follows, or nothing does.
_ORG_AFTER = re.compile(r"人民|政府|委|人大|政协|[\u4e00-\u9fff]{0,10}?(?:局|办|中心|委员会|办公室|院|所)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LONGEST_SHORT_FORM = 8  # characters of the longest autonomous short form looked for (阿克塞哈萨克 …)
# A row of data/towns.csv: a town's 9-digit code, or a county's 6-digit one, and its name.
_TOWN_ROW = re.compile(r"^(\d{6}|\d{9}),(.+)$", re.M)
# An issuer naming its own county-level place: 柘原县人民政府, 柘原县司法局, 新城区人民政府.
# The name's characters are never ones that start an office's name (县委依法治县办 is no county).
_COUNTY_ISSUER = re.compile(
    r"([^\W\d_县区市旗省委政府人局办]{1,6}?[县区市旗])"
    r"(?=人民政府|政府|人大|政协|委员会|[\u4e00-\u9fff]{0,10}?(?:局|办公室|中心|院|所)|[\u4e00-\u9fff]{2,4}?(?:镇|乡|街道))"
)


@dataclass(frozen=True, slots=True)
class Place:
    """One administrative division: full name, adcode and the codes of its parents."""

    name: str
    code: str
    level: int  # 1 province, 2 city, 3 county, 4 town


@dataclass(frozen=True, slots=True)
class _Towns:
    """The town table: the codes of the towns of each name, and the names of the counties that
    places.csv lacks (by adcode), so that a town there still has its county in its chain."""

    codes: dict[str, list[str]]
    counties: dict[str, str]

    @classmethod
    def read(cls, path: Path | None) -> _Towns:
        """data/towns.csv (see scripts/make_gazetteer.py); empty when there is none."""
        codes: dict[str, list[str]] = {}
        counties: dict[str, str] = {}
        if path is not None and path.exists():
            # One regex pass over the whole file, keeping codes rather than Places: the first
            # use costs ~50 ms, where Places made line by line cost ~130.
            for code, name in _TOWN_ROW.findall(path.read_text("utf-8")):
                if len(code) == 6:
                    counties[code] = name
                else:
                    codes.setdefault(name, []).append(code)
        return cls(codes, counties)


@dataclass
class Gazetteer:
    """Provinces, cities and counties by name, with short aliases where they are unambiguous;
    and, apart from them, towns (乡, 镇, 街道, 苏木) by name."""

    by_code: dict[str, Place] = field(default_factory=dict)
    by_name: dict[str, list[Place]] = field(default_factory=dict)
    nations: tuple[str, ...] = ()
    # aliases() by name: the library asks for every report's places at start-up (~100k calls
    # for a province's reports), and each costs a pass over the nations list.
    _aliases: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _longest: int = field(default=0, repr=False, compare=False)
    _short: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _autonomous: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # The ~39,000 towns are read on first use (~50 ms), not at start-up: most questions and
    # most reports never need them.
    towns_file: Path | None = field(default=None, repr=False, compare=False)
    _towns: _Towns | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, data_dir: Path = PACKAGE_DATA) -> Gazetteer:
        """Read data/places.csv, data/counties.csv and data/nations.txt now, and data/towns.csv
        when first needed."""
        g = cls(towns_file=data_dir / "towns.csv")
        nations = [
            line.strip()
            for line in (data_dir / "nations.txt").read_text("utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        # 新疆维吾尔自治区 writes the nationality without 族.
        nations += [n[:-1] for n in nations if n.endswith("族") and len(n) > 3]
        g.nations = tuple(sorted(set(nations), key=len, reverse=True))
        # counties.csv: the county-level divisions newer than places.csv's snapshot (建安区).
        for table in ("places.csv", "counties.csv"):
            if not (data_dir / table).exists():
                continue
            with (data_dir / table).open(encoding="utf-8") as f:
                rows = csv.reader(line for line in f if not line.startswith("#"))
                next(rows)  # header
                for code, name in rows:
                    if name in _NOT_PLACES:
                        continue
                    level = 1 if code.endswith("0000") else 2 if code.endswith("00") else 3
                    place = Place(name, code, level)
                    g.by_code[code] = place
                    g.by_name.setdefault(name, []).append(place)
        return g

    def chain(self, place: Place) -> tuple[str, ...]:
        """Names from the province down to `place` (cities missing from the table are skipped)."""
        codes = [place.code[:2] + "0000", place.code[:4] + "00", place.code[:6], place.code]
        names: list[str] = []
        for code in codes[: place.level]:
            p = self.by_code.get(code)
            name = p.name if p else self._town_table().counties.get(code) if place.level == 4 else None
            if name and name not in names:
                names.append(name)
        if place.level == 4:
            names.append(place.name)
        return tuple(names)

    def _town_table(self) -> _Towns:
        if self._towns is None:
            self._towns = _Towns.read(self.towns_file)
        return self._towns

    def towns(self, name: str) -> tuple[Place, ...]:
        """The towns of the table with this full name (城关镇 has dozens); empty for none."""
        return tuple(Place(name, code, 4) for code in self._town_table().codes.get(name, ()))

    def town_names(self) -> Collection[str]:
        """Every town name in the table."""
        return self._town_table().codes.keys()

    def town_chain(
        self, town: str, within: Sequence[str] = (), around: Iterable[str] = ()
    ) -> tuple[str, ...]:
        """The places of `town`, province first, as the table gives them when they are certain.

        `within` are the places the text names it in (湖北省, 十堰市 …, widest first) and
        `around` any others named near it (a report's opening). Of the table's towns of that
        name, those inside all of `within` count; of several, those in the most places of
        `around`. Exactly one left gives its whole chain; otherwise nothing is guessed: the
        result is `within` and the town (just the town when `within` is empty), as it is for
        a town the table lacks."""
        inside = [t for t in self.towns(town) if set(within) <= set(self.chain(t))]
        if len(inside) > 1:
            named = set(around)
            shared = {t.code: len(named & set(self.chain(t))) for t in inside}
            most = max(shared.values())
            if most:
                inside = [t for t in inside if shared[t.code] == most]
        return self.chain(inside[0]) if len(inside) == 1 else (*within, town)

    def short_name(self, name: str) -> str:
        """The name without its administrative suffix and nationality words (秀山土家族苗族自治县 → 秀山).

        Returns the name unchanged when the short form would be a single character.
        """
        short = name
        for suffix in _SUFFIXES:
            if short.endswith(suffix) and len(short) > len(suffix):
                short = short[: -len(suffix)]
                break
        # 自治县 names carry the nationalities before the suffix: strip them from the end.
        changed = True
        while changed:
            changed = False
            for nation in self.nations:
                if short.endswith(nation) and len(short) > len(nation) + 1:
                    short = short[: -len(nation)]
                    changed = True
        return short if len(short) >= 2 else name

    def aliases(self, name: str) -> set[str]:
        """Ways people write a place: the full name, the short name, and short name + 县/市/区."""
        known = self._aliases.get(name)
        if known is None:
            known = self._aliases[name] = frozenset(self._make_aliases(name))
        return set(known)

    def short_names(self) -> dict[str, str]:
        """Every way of writing a place that names one place only (岳阳, 岳阳县, 西乌旗 …) → its
        full name: how file names and titles written by staff name places. Built once."""
        if not self._short:
            seen: dict[str, set[str]] = {}
            for name in self.all_names():
                for alias in self.aliases(name):
                    seen.setdefault(alias, set()).add(name)
            self._short = {a: next(iter(n)) for a, n in seen.items() if len(n) == 1 and len(a) >= 2}
        return self._short

    def _make_aliases(self, name: str) -> set[str]:
        short = self.short_name(name)
        out = {name, short}
        if name.endswith("旗") and len(short) > 3 and not set(short) & set("左右前中后"):
            out.add(short[:2] + "旗")  # 西乌珠穆沁旗 is 西乌旗 as people say it
        if short != name:
            # 州 and 旗 too: 昌吉州 is 昌吉回族自治州, 红河州 红河哈尼族彝族自治州 as people write them.
            for suffix in ("县", "市", "区", "镇", "乡", "州", "旗"):
                if name.endswith(suffix):
                    out.add(short + suffix)
        return {a for a in out if len(a) >= 2}

    def autonomous_short_forms(self) -> dict[str, str]:
        """Short forms of autonomous prefectures, counties and banners with their suffix, each
        naming one place (昌吉州 → 昌吉回族自治州, 金平县 → 金平苗族瑶族傣族自治县), that are
        no full name themselves. Built once."""
        if not self._autonomous:
            self._autonomous = {
                a: full
                for a, full in self.short_names().items()
                if "自治" in full
                and a != full
                and len(a) >= 3
                and a[-1] in "州县旗"
                and a not in self.by_name
            }
        return self._autonomous

    def expand_short_forms(self, text: str) -> str:
        """`text` with autonomous short forms written out in full (昌吉州人民政府 →
        昌吉回族自治州人民政府), so that a report naming its place so is read as that place and
        never as a shorter name inside it (吉州区). A form already inside its full name stays."""
        forms = self.autonomous_short_forms()
        if not forms:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            for n in range(min(_LONGEST_SHORT_FORM, len(text) - i), 2, -1):
                full = forms.get(text[i : i + n])
                if full:
                    out.append(full)
                    i += n
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    def mentions(self, text: str) -> list[tuple[int, str]]:
        """Place names in `text` with their positions, longest name first at each position
        (沙洋县 is not also 洋县). Two-character counties count only where a name may begin and an
        office of theirs follows (洋县自然资源局, 2021年，洋县…), or right after a wider place."""
        if not self._longest:
            self._longest = max(map(len, self.by_name))
        out: list[tuple[int, str]] = []
        i = 0
        after_place = False
        while i < len(text):
            for n in range(min(self._longest, len(text) - i), 1, -1):
                name = text[i : i + n]
                if name not in self.by_name:
                    continue
                if n == 2 and not (name[-1] in "县市" and self._may_start(text, i, after_place)):
                    continue
                out.append((i, name))
                i += n
                after_place = True
                break
            else:
                i += 1
                after_place = False
        return out

    @staticmethod
    def _may_start(text: str, i: int, after_place: bool) -> bool:
        if not after_place and i > 0 and _CJK.match(text[i - 1]):
            return False
        rest = text[i + 2 :]
        return after_place or not rest or not _CJK.match(rest[0]) or bool(_ORG_AFTER.match(rest))

    def find_in(self, text: str, context: str = "") -> tuple[str, ...]:
        """The place chain of the most specific county-level (or wider) place named in `text`,
        plus any town or 街道 named right after it (鲁山县瓦屋镇, 江汉区人民政府唐家墩街道), with
        the county the town table puts it in when only a city or province is named before it
        and that settles it (see `town_chain`). Empty when no county-level or wider place is
        found: a town named alone is `town_chain`'s to place.

        Where a county name is shared by several provinces, a province or city named in the
        same text, else the town named after it, else one named in `context` (a report's
        opening sentence) decides; failing that the one named first, then the first in the
        table.
        """
        text, context = self.expand_short_forms(text), self.expand_short_forms(context)
        found = self.mentions(text)
        if not found:
            return ()
        first: dict[str, int] = {}
        for pos, name in found:
            first.setdefault(name, pos)
        places = [p for n in first for p in self.by_name[n]]
        deepest = max(p.level for p in places)
        candidates = [p for p in places if p.level == deepest]
        codes = {p.code for p in places}
        nearby = [n for _, n in self.mentions(context)] if context else []
        around = {p.code for n in nearby for p in self.by_name[n]}

        def named_ancestors(p: Place, codes: set[str]) -> int:
            return (p.code[:2] + "0000" in codes) + (p.code[:4] + "00" in codes)

        def has_town(p: Place) -> bool:
            # 朝阳区人民政府XX街道办事处: the 朝阳区 that has that 街道 is the one meant.
            town = town_after(text[first[p.name] + len(p.name) :])
            return p.level == 3 and bool(town) and any(t.code[:6] == p.code for t in self.towns(town or ""))

        # A province or city named in the text (or around it) is an ancestor of the right one.
        shared = len(candidates) > 1  # (the town table is read only for a shared name)
        candidates.sort(
            key=lambda p: (
                -named_ancestors(p, codes),
                -has_town(p) if shared else 0,
                -named_ancestors(p, around),
                first[p.name],
            )
        )
        best = candidates[0]
        chain = self.chain(best)
        rest = text[first[best.name] + len(best.name) :]
        town = town_after(rest) or self._table_town_after(rest, best)
        # The table completes a town named after a city or province (宁波市贤庠镇 → … 象山县 …).
        return self.town_chain(town, chain, nearby) if town else chain

    def _table_town_after(self, rest: str, county: Place) -> str | None:
        """A town right after a county's name that looks like a common word (小陶镇: 小镇)
        but that the town table has in that very county."""
        if county.level != 3:
            return None
        m = _TOWN_AT_START.match(rest[4:] if rest.startswith("人民政府") else rest)
        if m is None or "政府" in m.group(0):
            return None
        return m.group(0) if any(t.code[:6] == county.code for t in self.towns(m.group(0))) else None

    def county_of_issuer(self, issuer: str) -> str | None:
        """The county-level place an issuer names as its own (柘原县人民政府 → 柘原县), found by
        the way offices are named rather than in the table, so new, renamed or missing counties
        are found too. Wider places written before it (某某省, 某某市) are skipped."""
        rest = issuer
        for pos, name in self.mentions(issuer):
            if pos == len(issuer) - len(rest) and min(p.level for p in self.by_name[name]) < 3:
                rest = issuer[pos + len(name) :]
        m = _COUNTY_ISSUER.match(rest)
        if m is None or m.group(1).startswith("自治"):
            return None  # 自治区人民政府: a level's word, no county's name
        return m.group(1)

    def all_names(self) -> Iterable[str]:
        """Every full place name of three characters or more (shorter ones are common words)."""
        return (n for n in self.by_name if len(n) >= 3)

    def province_aliases(self) -> dict[str, str]:
        """Short province names (湖南, 内蒙古 …) → full names: distinctive enough to spot in a question."""
        return {
            self.short_name(p.name): p.name
            for p in self.by_code.values()
            if p.level == 1 and self.short_name(p.name) != p.name
        }


def could_be_town(name: str) -> bool:
    """Whether a name ending in 镇/乡/街道 may be a town's rather than a common word (乡镇,
    城镇, 全镇 …), judged by its first character."""
    # 城关 (the old town centre) is the commonest town name of all, though 城镇 is a word.
    if "政府" in name or "人民" in name:
        return False  # 人民政府乡镇…: an office's words, not a town's name
    return name[0] not in _TOWN_BAD_START or name.startswith("城关")


def town_at_start(text: str) -> str | None:
    """The town or township name (瓦屋镇, 城关街道 …) that `text` begins with, if any."""
    m = _TOWN_AT_START.match(text)
    return m.group(0) if m and could_be_town(m.group(0)) else None


def town_after(text: str) -> str | None:
    """The town or 街道 that follows a county's name: 瓦屋镇 in `瓦屋镇人民政府`, and in the
    official 街道 form `人民政府唐家墩街道办事处` (a county's government, then its 街道)."""
    return town_at_start(text[4:] if text.startswith("人民政府") else text)


@cache
def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, read once per process."""
    return Gazetteer.load()


# Characters that end an administrative name: a near name must keep its suffix as written
# (海原乡 is no typo of 海原县).
_SUFFIX_CHARS = frozenset("省市县区旗盟州镇乡道木")


@dataclass(frozen=True, slots=True)
class Near:
    """A name in a text one character off names of the collection's places: where it is,
    as written, and the places it may be (one: taken as that place; more: the user picks)."""

    start: int
    end: int
    written: str
    places: tuple[str, ...]


class NearNames:
    """Names one character off the names of a collection's places (海源县 for 海原县, 粟子乡
    for 栗子乡, 日喀泽 for 日喀则): only names the collection holds are matched, so a typo is
    never taken for a place it has no report of.

    Each name of three characters or more is indexed under every way of blanking one of its
    characters but an administrative suffix; a text's substrings are looked up the same way."""

    def __init__(self, names: dict[str, str]) -> None:
        """`names`: each way of writing a place → the place (PlaceIndex.alias_to_place)."""
        self._keys: dict[str, set[str]] = {}
        self._names = names
        lengths: set[int] = set()
        for name, place in names.items():
            if len(name) < 3 or not all(_CJK.match(c) for c in name):
                continue
            lengths.add(len(name))
            for key in _blanked(name):
                self._keys.setdefault(key, set()).add(place)
        self._lengths = sorted(lengths, reverse=True)

    def find(self, text: str, taken: Sequence[bool], exclude: Callable[[str], bool]) -> list[Near]:
        """Names one character off a collection name in `text`, outside `taken`, the longest
        first; none that `exclude` rejects (a real place of its own, an ordinary word)."""
        out: list[Near] = []
        used = list(taken)
        for n in self._lengths:
            for i in range(len(text) - n + 1):
                if any(used[i : i + n]):
                    continue
                written = text[i : i + n]
                if written in self._names or not all(_CJK.match(c) for c in written):
                    continue
                places: set[str] = set()
                for key in _blanked(written):
                    places |= self._keys.get(key, set())
                if not places or exclude(written):
                    continue
                out.append(Near(i, i + n, written, tuple(sorted(places))))
                used[i : i + n] = [True] * n
        return sorted(out, key=lambda x: x.start)


def _blanked(name: str) -> list[str]:
    """`name` with each character blanked in turn, a final administrative suffix kept."""
    last = len(name) - 1 if name[-1] in _SUFFIX_CHARS else len(name)
    return [name[:j] + "\0" + name[j + 1 :] for j in range(last)]
