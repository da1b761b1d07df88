"""What a reader works out about a report beyond its own title line: the place and year an
admin's file name gives (`岳阳县_2022.txt`), a page title without its site's words, the issuer a
body implies (县人民政府, 区政府, 我市, 本局) completed with the place named elsewhere, and the
year the title, opening, dates and signature say, weighed.

parse.py asks these when the report does not say outright; each answer it takes from here is
marked inferred on the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from retrieval.bodies import full_name
from retrieval.places import Gazetteer, could_be_town

_CJK = re.compile(r"[\u4e00-\u9fff]")
_YEAR_PLAIN = r"(?:19|20)\d{2}"
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# Words of a file name that say what the file is, not who wrote it.
_NAME_NOISE = re.compile(
    r"关于|法治政府建设|法治建设|年度|工作|情况|报告|总结|的|年|度|法治|政府信息公开|最终稿|定稿|终稿|修改稿|副本|附件"
)
_NAME_SPLIT = re.compile(r"[_\-\s.,，。()（）\[\]【】《》+~—]+")
# Short forms staff write for offices (市场监管局, 政府办): the full form is what a report signs.
_ABBREVIATIONS = (
    ("市场监管局", "市场监督管理局"),
    ("市监局", "市场监督管理局"),
    ("政府办", "人民政府办公室"),
    ("管委会", "管理委员会"),
    ("人社局", "人力资源和社会保障局"),
)
_DEPARTMENT = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:局|厅|委员会|委|办公室|办|中心|院|所|队)$")
# The levels a body calls its own government by: 县人民政府, 区政府, 我市, 全旗 …
_LEVELS = "省市县区旗镇乡"
_GOVERNMENT_SELF = re.compile(
    rf"(?:^|[，,。；;：:、\s]|在|由)(?P<level>[{_LEVELS}])(?:人民)?政府(?![办网站门户常务工作报告部门各])"
)
_WE = re.compile(rf"[我本](?P<level>[{_LEVELS}]|街道|局|厅|委|办|中心)(?![\u4e00-\u9fff]{{0,1}}[长委])")
_STREET_SELF = re.compile(r"街道(?:党工委|办事处|各部门)|全街道|我街道|本街道")
_DEPARTMENT_SELF = re.compile(
    rf"(?:^|[，,。；;：:、\s]|\d年)(?P<level>[{_LEVELS}])(?P<office>[\u4e00-\u9fff]{{2,10}}?(?:局|厅|委员会))"
    r"(?=在|坚持|以|深入|认真|全面|始终|紧紧|围绕|聚焦|按照|紧扣|立足|着力|扎实|高度|持续|积极|，|,)"
)
# Site names, channels and spam joined to a page title (…报告_街镇园区文件_上海市宝山区人民政府门户网站).
_TITLE_SEPARATORS = re.compile(
    r"\s*(?:[_|｜]|--|——|\s-\s|-(?=[\u4e00-\u9fff]{2,}(?:网|站|国际|娱乐|平台)))\s*"
)
_TITLE_WORDS = re.compile(r"报告|总结|汇报|情况")
_SPACED = re.compile(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff])")


@dataclass(frozen=True, slots=True)
class FileName:
    """What an admin's file name says: the issuer or place written in it, and a year."""

    name: str  # 岳阳县, 武汉市司法局, 秀山县政府办, 象山贤庠镇; "" when it names nothing
    year: int | None


def read_file_name(source: str) -> FileName:
    """The name and year an admin put in a file name (`岳阳县_2022.txt`, `2023年武汉市司法局
    法治政府建设年度报告.docx`); a link's own name (`t20240328_6583952.html`) says nothing."""
    stem = PurePosixPath(source.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    stem = unicodedata.normalize("NFKC", stem)
    years = [int(y) for y in _YEAR_IN_NAME.findall(stem)]
    year = years[0] if years and 1990 <= years[0] <= 2100 else None
    words = [_NAME_NOISE.sub("", w) for w in _NAME_SPLIT.split(_YEAR_IN_NAME.sub(" ", stem))]
    name = next((w for w in words if len(w) >= 2 and all(_CJK.match(c) for c in w)), "")
    return FileName(name, year)


def clean_title(text: str) -> str:
    """A title without what a site joins to it (`…情况报告_街镇园区文件_上海市宝山区人民政府门户
    网站`, `…报告-和记娱乐国际`) and without the spaces of a spaced-out title (`报 告`)."""
    text = " ".join(text.split())
    parts = [p for p in _TITLE_SEPARATORS.split(text) if p]
    if len(parts) > 1:
        titled = [p for p in parts if _TITLE_WORDS.search(p)]
        text = titled[0] if titled else parts[0]
    return _SPACED.sub("", text).strip()


def expand(name: str) -> str:
    """An office's name with the short forms staff write spelt out (市场监管局 → 市场监督管理局,
    潍坊市发改委 → 潍坊市发展和改革委员会: the body-name table, retrieval.bodies)."""
    for short, full in _ABBREVIATIONS:
        if name.endswith(short) and not name.endswith(full):
            return name[: -len(short)] + full
    for n in range(min(len(name), 8), 1, -1):
        full_ = full_name(name[-n:])
        if full_ and not name.endswith(full_):
            return name[:-n] + full_
    return name


@dataclass(frozen=True, slots=True)
class SelfReference:
    """How a body refers to its issuer without naming its place: a level's government
    (县人民政府, 区政府, 我市 → `市`), a 街道, or an office (本局; 市市场监管局 → `市`, 市场监管局)."""

    level: str  # 省 市 县 区 旗 镇 乡, 街道, or "" for an office of unknown level
    office: str = ""  # "" for the government itself


def self_reference(opening: str, body: list[str]) -> SelfReference | None:
    """What the report calls its issuer: the opening sentence first (its subject), then the
    first paragraphs. None when it never says."""
    head = opening[:200]
    if m := _DEPARTMENT_SELF.search(head):
        return SelfReference(m.group("level"), m.group("office"))
    for text in (head, " ".join(body[:6])[:2000]):
        found = _levels_said(text)
        if found:
            return found
    return None


def _levels_said(text: str) -> SelfReference | None:
    votes: Counter[str] = Counter()
    for m in _GOVERNMENT_SELF.finditer(text):
        votes[m.group("level")] += 2
    for m in _WE.finditer(text):
        votes[m.group("level")] += 1
    if _STREET_SELF.search(text):
        votes["街道"] += 2
    if not votes:
        return None
    level = votes.most_common(1)[0][0]
    if level in ("局", "厅", "委", "办", "中心"):
        return SelfReference("", level)
    return SelfReference(level)


@dataclass(frozen=True, slots=True)
class Named:
    """The places a file name or title starts with, widest first as written (西宁市, 城中区),
    the town or 街道 after them, and what follows (an office: 司法局, 政府办; or "")."""

    places: tuple[str, ...]  # full gazetteer names
    town: str  # 塘栖镇, 西乡街道, or ""
    rest: str

    @property
    def name(self) -> str:
        """The places and town as one name: 西宁市城中区, 宝安区西乡街道."""
        return "".join(self.places) + self.town


_TOWN_NAME = re.compile(r"([\u4e00-\u9fff]{2,5}?(?:街道|镇|乡))")


def named_in(text: str, gazetteer: Gazetteer) -> Named:
    """The places a short name starts with, as staff write them: 岳阳县, 西宁城中区 (西宁市's
    城中区), 宝安区西乡街道, 绍兴市场监管局 (绍兴市's 市场监管局), 西乌旗 (西乌珠穆沁旗),
    黔西南州政府 (黔西南布依族苗族自治州's 政府)."""
    rest = "".join(text.split())
    places: list[str] = []
    while True:
        full, after = _place_prefix(rest, gazetteer)
        if not full or full in places:
            break
        places.append(full)
        # 黔西南 + 州政府: the suffix written after a short name belongs to the name.
        if after[:1] and full.endswith(after[0]) and after[1:].startswith(("人民政府", "政府")):
            after = after[1:]
        rest = after
    town = ""
    m = _TOWN_NAME.match(rest)
    if m and could_be_town(m.group(1)):
        town, rest = m.group(1), rest[m.end() :]
        # 临平塘栖镇: a county's short name the table lacks, then a town it has.
        known = next((town[i:] for i in range(len(town) - 2) if gazetteer.towns(town[i:])), town)
        town = known
    return Named(tuple(places), town, rest)


def _place_prefix(text: str, gazetteer: Gazetteer) -> tuple[str, str]:
    """(full place name, the rest) for the longest way `text` starts with a place: its full
    name, or its short name with or without a suffix; ("", text) when it starts with none."""
    names = gazetteer.short_names()
    for n in range(min(len(text), 12), 1, -1):
        head = text[:n]
        full = head if head in gazetteer.by_name else names.get(head)
        if not full:
            continue
        rest = text[n:]
        if full != head and rest[:1] in _NOT_AFTER_SHORT:
            continue  # 浦江镇 is no 浦江县, 公安局 no 公安县: a short name ends a word there

        # 绍兴市场监管局 is 绍兴 + 市场监管局: 市场 (market) is a word, never a city's suffix.
        if head.endswith("市") and rest.startswith("场") and names.get(head[:-1]) == full:
            rest = text[n - 1 :]
        return full, rest
    return "", text


# Characters that, right after a short place name, make it part of another word.
_NOT_AFTER_SHORT = set("镇乡街村路局厅处所队站园社委")


MIN_NAMED = 2  # a place the body names this often, and more often than any other of its level


def most_named(text: str, level: str, gazetteer: Gazetteer) -> str:
    """The place of `level` (市, 县 …) that `text` names most often, by its full or short
    name (绍兴 → 绍兴市), when it names it at least MIN_NAMED times and more than any other;
    "" otherwise."""
    names = gazetteer.short_names()
    counts: Counter[str] = Counter()
    i = 0
    while i < len(text):
        for n in range(min(6, len(text) - i), 1, -1):
            head = text[i : i + n]
            full = head if head in gazetteer.by_name else names.get(head)
            if full and full.endswith(level) and len(gazetteer.by_name.get(full, ())) == 1:
                counts[full] += 1
                i += n
                break
        else:
            i += 1
    top = counts.most_common(2)
    if not top or top[0][1] < MIN_NAMED or (len(top) > 1 and top[1][1] == top[0][1]):
        return ""
    return top[0][0]


def government_of(place: str) -> str:
    """The name a place's government signs with: 岳阳县人民政府, 清波街道办事处, 某某开发区管理委员会."""
    if place.endswith("街道"):
        return place + "办事处"
    if place.endswith(("开发区", "新区", "园区", "高新区", "试验区")):
        return place + "管理委员会"
    return place + "人民政府"


# A development zone names itself after its city: 天津经济技术开发区, 西咸新区.
_ZONE = re.compile(
    r"^([\u4e00-\u9fff]{2,16}?(?:经济技术开发区|高新技术产业开发区|经济开发区|开发区|经开区|高新区|新区|园区|试验区|示范区|合作区))"
)
# 曲靖经开区 is 曲靖经济技术开发区.
_ZONE_SHORT = (("经开区", "经济技术开发区"),)
# The kinds of zone, as a zone's name ends: a name that is only these is no zone's own.
ZONE_KIND = re.compile(
    r"(?:经济技术|高新技术产业|经济|高新)?开发区|经开区|高新区|新区|园区|试验区|示范区|合作区|(?:经济|高新)"
    r"(?:技术)?(?:开发区|园区)"
)
# A national ministry or commission, named with no place: 生态环境部, 国家林业和草原局.
_NATIONAL = re.compile(
    r"^((?:国家|中国)?[\u4e00-\u9fff]{2,12}?(?:部|总局|署|委员会))(?![\u4e00-\u9fff]{0,2}[县区市省])"
)
_LEAD_IN = re.compile(rf"^(?:关于|[（(]?(?:{_YEAR_PLAIN})\s*年度?[）)]?|[，,、\s])+")
_UNDER = re.compile(r"^在[^，,。]{2,40}?下[，,]")
_OFFICE = re.compile(r"^(?:[\u4e00-\u9fff]{1,12}?(?:局|厅|委员会|办公室|办|中心)|政府|人民政府)$")


def subject(text: str) -> str:
    """A title's or opening sentence's words after its year and 关于 (2020年静海区… → 静海区…)."""
    text = _LEAD_IN.sub("", "".join(text.split()))
    return _UNDER.sub("", text)


def implied_issuer(
    title: str, opening: str, ref: SelfReference | None, file_name: FileName, gazetteer: Gazetteer
) -> str:
    """The issuer a reader takes a report to be from when it never signs its name: the place
    its title, file name or opening names (in that order), as the body refers to itself (`ref`,
    see self_reference: 区政府, 我镇, 市市场监管局, 本局 + the file's 司法局). A town the body
    implies but nobody names, or an office nobody names, gives "" rather than a guess."""
    texts = [subject(title), file_name.name, subject(opening)]
    for text in texts:
        m = _ZONE.match(text)
        # 经济开发区 alone is a kind of zone, not one's name: a later text may name it (宁河经济开发区).
        if m and m.group(1) not in gazetteer.by_name and not ZONE_KIND.fullmatch(m.group(1)):
            zone = m.group(1)
            for short, full in _ZONE_SHORT:
                zone = zone[: -len(short)] + full if zone.endswith(short) else zone
            return zone + "管理委员会"
    named = [named_in(t, gazetteer) for t in texts]
    best = next((n for n in named if n.places or n.town), None)
    if best is not None and not best.places:
        # 海滨街道 in the title, 宝坻海滨街道 in the file name: the town's county from the other.
        wider = next((n for n in named if n.places and n.town in ("", best.town)), None)
        if wider is not None:
            best = Named(wider.places, best.town, best.rest)
    if best is None:
        for text in texts[:2]:
            m = _NATIONAL.match(text)
            if m and not gazetteer.mentions(m.group(1)):
                return m.group(1)
        return ""
    offices = [n.rest for n in named if n.places and _OFFICE.match(n.rest) and "政府" not in n.rest]
    offices += [expand(n.rest) for n in named if n.places and n.rest in ("政府办", "政府办公室")]
    office = (ref.office if ref and ref.level else "") or next(iter(offices), "")
    if office:
        level = ref.level if ref else ""
        at = next((n for n in named if n.places and (not level or n.places[-1].endswith(level))), best)
        return "".join(at.places) + expand(office)
    if ref and ref.level in ("镇", "乡", "街道") and not best.town:
        return ""  # a town no one names
    return government_of(best.name)


# --- years ---------------------------------------------------------------------------------

# A year of a range or a plan's span (2021—2025年, （20212025年）) says nothing of the year covered.
_RANGE = re.compile(rf"{_YEAR_PLAIN}\s*[-—－–~至到]{{0,2}}\s*{_YEAR_PLAIN}\s*年")
_SINCE = re.compile(rf"({_YEAR_PLAIN})\s*年(?:度)?以来")
_BROKEN_DATE = re.compile(rf"(?<!\d)({_YEAR_PLAIN})(?=(?:1[0-2]|0?[1-9])月)")
# A clause that opens with its year: `2023年，…`, `…的具体部署,2023年,清波街道以…`, `2024年是…`.
_LEADING_YEAR = re.compile(
    rf"(?:^|[，,。；;：:])[^，,。；;]{{0,6}}?({_YEAR_PLAIN})\s*年(?:度)?(?:以来)?[，,是]"
)


def opening_year(opening: str) -> int | None:
    """The year an opening sentence reports on: `2023年，…`, `2025年以来，…`, `2024年是…之年`,
    a date with a lost 年 (`20256月`), never a plan's span (`纲要(2023—2027年)`)."""
    text = _RANGE.sub("", opening[:300])
    if m := _SINCE.search(text[:80]) or _LEADING_YEAR.search(text) or _BROKEN_DATE.search(text[:80]):
        return int(m.group(1))
    return None


def without_ranges(text: str) -> str:
    """`text` without the year ranges and spans in it (纲要(2021—2025年), （20212025年）)."""
    return _RANGE.sub("", text)
