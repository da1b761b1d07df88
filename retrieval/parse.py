"""Turn a report's lines into metadata and body passages with their section paths.

A report as it comes has three parts, and only the middle one is passages:

- the front: the title (maybe wrapped over two or three lines, maybe after a 公文 red head,
  document number or a web page's menus), an issuer line, the addressee (`省政府：`), a web
  page's 发布时间/来源 line;
- the body: headings numbered as the official-document standard does — 第一部分 › 一、 ›
  （一） › 1. › （1） — often with 一是 / 二是 list items, or given their level by the file
  (Word heading styles, HTML h1–h3) without numbers; paragraphs; table rows;
- the end: the signature and its date, and whatever a web page puts after them.

A heading on its own line is the section of the paragraphs under it; a heading that opens a
paragraph (`（二）持续深化政务公开。一是…`) also sets the section, and the paragraph keeps its
full text. A numbered line that is one whole sentence (`1.出台…办法，明确…。`) and is followed by
the next item of its list is an item, a passage under its section, not a heading.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from retrieval.analyse import (
    ZONE_KIND,
    FileName,
    clean_title,
    expand,
    implied_issuer,
    most_named,
    named_in,
    opening_year,
    read_file_name,
    self_reference,
    without_ranges,
)
from retrieval.models import Document, Line, ParsedPassage, ParsedReport
from retrieval.places import Gazetteer, default_gazetteer, town_after, town_at_start
from retrieval.tokenize import drop_pinyin, simplified
from retrieval.understand import has_figures

_CN = "[一二三四五六七八九十百零〇]+"
# (level, pattern) in the standard's order; the captured group is the item number.
_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"^第({_CN})部分\s*")),
    (1, re.compile(rf"^({_CN})\s*[、.．]\s*")),
    (2, re.compile(rf"^[（(]\s*({_CN})\s*[）)]\s*")),
    (3, re.compile(r"^(\d{1,2})\s*(?:[.．](?!\d)|、)\s*")),
    (4, re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*")),
    (5, re.compile(rf"^({_CN})是")),
)
_SENTENCE_END = "。！？；!?;"
_MAX_HEADING = 60  # a numbered line longer than this, or with a sentence inside, is a paragraph
_MAX_INLINE_HEADING = 40
# Below the levels a file gives (Word heading styles), numbered lines it does not style nest.
_UNSTYLED = 10

# --- years and dates ---------------------------------------------------------------------
_CN_NAMES = "零一二三四五六七八九十"
_CN_DIGITS = {c: i for i, c in enumerate(_CN_NAMES[:10])} | {"〇": 0}
_YEAR_NUM = r"(?:19|20)\d{2}|(?:一九|二[〇零])[〇零一二三四五六七八九]{2}"
_YEAR = re.compile(rf"(?<![\d〇零一二三四五六七八九])({_YEAR_NUM})\s*年")
_DATE = re.compile(
    rf"({_YEAR_NUM})\s*年\s*(\d{{1,2}}|[一二三四五六七八九十]{{1,2}})\s*月"
    r"\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]$"
)
_ISO_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
# A heading for next year's plans names the year and ends in one of these (三、2024年工作打算,
# 二〇二三年工作思路, 三、存在的问题和2024年工作安排); 一、2023年重点工作开展情况 is no such heading.
_PLANS_HEADING = re.compile(rf"({_YEAR_NUM})\s*年度?[^，。]{{0,10}}?(?:计划|打算|安排|思路|要点|重点)$")
# …工作总结及2023年工作计划: the year after 及/和 is the plans' (the report covers the one before).
_PLANS_IN_TITLE = re.compile(
    rf"[及和暨与]\s*({_YEAR_NUM})\s*年度?[^，。]{{0,10}}?(?:计划|打算|安排|思路|要点)(?:的?报告)?$"
)

# --- organisations -----------------------------------------------------------------------
_ORG_SUFFIX = (
    r"(?:人民政府办公室|人民政府|政府办公室|政府办|办公室|委员会|办事处|政府|局|厅|委|办|院|所"
    r"|中心|署|队|站|室|会)"
)
# Characters no office's name holds: they show a clause (临城县在县委…, 我局坚持…).
_NOT_IN_ORG = "在的了是把被我该年，。、；："
_ORG = re.compile(rf"[^\W\d_{_NOT_IN_ORG}]{{1,30}}?{_ORG_SUFFIX}")
_ORG_SUFFIX_AT = re.compile(_ORG_SUFFIX)
_TITLE_PREFIX = re.compile(rf"^(.{{2,40}}?)(?=关于|(?:{_YEAR_NUM})\s*年)")
_TITLE_WORDS = re.compile(r"报告|总结|汇报|工作计划|工作要点|(?:建设|工作)情况$")
_CHROME = re.compile(
    r"[|｜>＞»]|当前位置|所在位置|现在的位置|设为首页|加入收藏|打印本页|【打印|关闭窗口|分享到|【字体|字号[:：]"
    # a site's header and a 政府信息公开 page's table of fields
    r"|^今天是|星期[一二三四五六日天]|农历|无障碍|简体|繁体|关怀版|长者模式|返回首页|打印整页|中文域名|^字号"
    r"|索引号|发布机构|主题分类|成文日期|发文日期|有效性[:：]|责任部门|公开形式|公开范围|公开时限|文件编号"
    r"|^名\s*称\s*[:：]|^作者\s*[:：]|^日期\s*[:：]|^(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
    r"|^[0-9A-Z]{8,}/\d{4}-\d+$|^(?:文章|信息)?来源\s*[:：]|^(?:更新|发布)(?:时间|日期)"
)
# Left in by a PDF reader: page numbers (— 3 —, -3-, 第 2 页 共 3 页).
_PAGE_NUMBER = re.compile(r"[-—－–\s]*\d{1,3}[-—－–\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?")
# A title's year written under it: （2023年度）
_TITLE_YEAR_NOTE = re.compile(rf"[（(]\s*(?:{_YEAR_NUM})\s*年度?\s*[）)]")
_META = re.compile(r"(?:发布时间|发布日期|更新时间|时间|来源|信息来源|浏览次数|点击数|阅读数|访问量)\s*[:：]")
_ORIGIN = re.compile(r"(?:信息)?来源\s*[:：]\s*(\S+?)(?=\s|浏览|点击|阅读|字号|作者|【|$)")
_DOC_NUMBER = re.compile(r"[〔\[［【（(]\s*(?:19|20)\d{2}\s*[〕\]］】）)]\s*第?\s*\d+\s*号")
# Where what follows a report starts: a web page's links and footer, a 公文's 版记.
_TAIL = re.compile(
    r"^(?:相关链接|相关文章|相关阅读|相关新闻|上一篇|下一篇|【打印|打印本页|关闭窗口|分享到|扫一扫|主办单位|版权所有"
    r"|(?:抄送|抄报|分送)\s*[:：])|印发$"
)
_PUNCT = "，。；;：:！？!?、"
# Words of a clause, never of an office's name.
_CLAUSE_WORDS = re.compile(r"坚持|学习|贯彻|深入|认真|全面|推进|围绕|落实|以习近平|不断|持续|积极")
_ADMINISTRATIVE = re.compile(r"[省市县区旗乡镇州盟]|街道|中共|政协")


def cn_number(s: str) -> int:
    """The value of a Chinese numeral up to 99 (一 → 1, 十二 → 12, 二十 → 20)."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(s, 0)


def year_number(s: str) -> int:
    """A year written in Arabic or Chinese digits (2023, 二〇二三, 二零二三) as a number."""
    if s.isdigit():
        return int(s)
    return int("".join(str(_CN_DIGITS[c]) for c in s))


def years_in(text: str) -> list[int]:
    """The years `text` names (`2023年`, `二〇二三年度`), in order."""
    return [year_number(y) for y in _YEAR.findall(text)]


def date_of(text: str) -> str:
    """The ISO date a line that is only a date gives (`2024年1月26日`, `二〇二四年一月十二日`),
    else ""."""
    m = _DATE.fullmatch(text.replace(" ", "").replace("\u3000", ""))
    if not m:
        return ""
    y, mo, d = year_number(m.group(1)), cn_number(m.group(2)), cn_number(m.group(3))
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else ""


def is_org(text: str) -> bool:
    """Whether `text` is an office's name and nothing else (屏山县人民政府办公室, 甘肃省司法厅)."""
    return len(text) <= 40 and bool(_ORG.fullmatch(text)) and not text.endswith("文件")


def _is_issuer_line(text: str) -> bool:
    """An office's name that says where it is (a web page's 新闻中心 menu item does not), or a
    party or 政协 office: what may stand beside a title as its issuer."""
    return is_org(text) and bool(_ADMINISTRATIVE.search(text)) and not _is_red_head_or_number(text)


# --- headings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Heading:
    level: int
    number: int
    text: str  # the heading as written, marker included
    standalone: bool  # on its own line (not opening a paragraph)
    sentence: bool = False  # on its own line and ending as a sentence does (。 or ；)
    semicolon: bool = False  # … and that sentence ends in ；, as only list items do
    styled: bool = False  # the file gives its level


def _marker(line: str) -> tuple[int, int, int] | None:
    """(level, number, end of the marker) of the numbering a line starts with."""
    for level, pattern in _MARKERS:
        m = pattern.match(line)
        if m:
            return level, cn_number(m.group(1)), m.end()
    return None


def _heading(line: str) -> _Heading | None:
    """The heading a line is or opens, judged by its text alone, or None for a paragraph."""
    found = _marker(line)
    if not found:
        return None
    level, number, end = found
    body = line.rstrip(_SENTENCE_END + "。：:")
    if len(line) <= _MAX_HEADING and not any(c in body for c in _SENTENCE_END):
        # `（1）全年办理案件5件。` is an item of a list, not a heading: headings name work,
        # items report its figures.
        if line[-1] in _SENTENCE_END and has_figures(line[end:]):
            return None
        return _Heading(
            level, number, body, True, sentence=line[-1] in _SENTENCE_END, semicolon=line[-1] in "；;"
        )
    if level == 5 and f"{_CN_NAMES[number + 1 : number + 2]}是" in line[end:]:
        return None  # 一是…二是…三是… in one paragraph is a list, not a subsection
    cut = min((i for i, c in enumerate(line) if c in _SENTENCE_END + "："), default=-1)
    if 0 < cut <= _MAX_INLINE_HEADING:
        return _Heading(level, number, line[:cut], False)
    return None


def _headings(body: list[Line]) -> dict[int, _Heading]:
    """The headings among the body lines, by index, at comparable levels.

    A level the file gives wins. Where the file gives levels, a numbered line it does not
    style takes the level of the styled headings numbered like it, or nests below them all."""
    styled: dict[int, _Heading] = {}
    by_marker: dict[int, Counter[int]] = {}
    for i, line in enumerate(body):
        if line.level in (1, 2, 3) and not line.table and (h := _styled_heading(line)):
            styled[i] = h
            if found := _marker(line.text):
                by_marker.setdefault(found[0], Counter())[line.level] += 1
    headings = dict(styled)
    levels = {i: h.level for i, h in styled.items()}  # every numbered line's level, heading or not
    for i, line in enumerate(body):
        if i in styled or line.table or (found := _marker(line.text)) is None:
            continue
        level = found[0]
        if styled:
            seen = by_marker.get(level)
            level = seen.most_common(1)[0][0] if seen else _UNSTYLED + level
        levels[i] = level
        h = _heading(line.text)
        if h is not None:
            headings[i] = _Heading(level, h.number, h.text, h.standalone, h.sentence, h.semicolon)
    if not styled:
        _promote_misnumbered_top(headings)
    _items_are_passages(headings, levels, len(body))
    return headings


def _styled_heading(line: Line) -> _Heading | None:
    """The heading a line styled as one is: all of it, or, when it runs on into sentences (a
    paragraph styled as a heading), its lead sentence, the paragraph keeping its text; None
    for a long paragraph with no lead sentence."""
    text = line.text
    found = _marker(text)
    number = found[1] if found else 0
    body = text.rstrip(_SENTENCE_END + "。：:") or text
    if len(text) <= _MAX_HEADING and not any(c in body for c in _SENTENCE_END):
        return _Heading(line.level or 1, number, body, True, styled=True)
    cut = min((i for i, c in enumerate(text) if c in _SENTENCE_END + "："), default=-1)
    if 0 < cut <= _MAX_INLINE_HEADING:
        return _Heading(line.level or 1, number, text[:cut], False, styled=True)
    return None


def _promote_misnumbered_top(headings: dict[int, _Heading]) -> None:
    """Some reports write their first top-level heading as `1、` and the rest as 二、 三、.

    When the first 一、-style heading is numbered 二 and an earlier standalone heading numbered
    1 opens the body, that heading is the missing 一、.
    """
    tops = [(i, h) for i, h in sorted(headings.items()) if h.level == 1]
    if not tops or tops[0][1].number != 2:
        return
    first_top = tops[0][0]
    earlier = [(i, h) for i, h in sorted(headings.items()) if i < first_top]
    if earlier and earlier[0][1].standalone and earlier[0][1].number == 1:
        i, h = earlier[0]
        headings[i] = _Heading(1, 1, h.text, True)


def _items_are_passages(headings: dict[int, _Heading], levels: dict[int, int], end: int) -> None:
    """Drop the one-sentence numbered lines that are items of a list, not headings.

    `（一）统筹推进法治建设。` with paragraphs (or deeper headings) under it names a section; the
    same line followed by its next sibling, a wider heading or the end of the body is an item,
    and so is every further item of its list, and any line ending in `；`."""
    previous_item: tuple[int, int] | None = None  # (line, level) of the last item found
    for i in sorted(headings):
        h = headings[i]
        if not h.sentence:
            continue
        after = levels.get(i + 1)
        item = (
            h.semicolon
            or previous_item == (i - 1, h.level)
            or i + 1 >= end
            or (after is not None and after <= h.level)
        )
        if item:
            del headings[i]
            previous_item = (i, h.level)


def _is_furniture(text: str, title: str, repeated: set[str]) -> bool:
    """A body line that is no report text: web page furniture, a page number, the title or
    a running header repeated on the pages."""
    if _is_chrome(text) or _PAGE_NUMBER.fullmatch(text):
        return True
    return (text in repeated and not _marker(text)) or (
        _squash(text) == _squash(title) and _title_like(Line(text))
    )


def _squash(text: str) -> str:
    return "".join(text.split())


def _is_trailer(line: str, issuer: str) -> bool:
    """A signature or date line."""
    return bool(date_of(line)) or (len(line) <= 30 and line == issuer)


# --- the front: title, issuer line, addressee, a web page's 发布时间 ---------------------

FRONT_MATTER = "报告信息"  # the section of the passage holding what the front says of the report
# A subtitle saying where the report was delivered (——在县人大常委会第十二次会议上).
_SUBTITLE = re.compile(
    r"^[—－-]{1,2}\s*\S{4,60}$|^[（(]?(?:\d{4}年\d{1,2}月\d{1,2}日)?\s*在[^，。]{4,60}$|^[^，。]{4,40}会议上[）)]?$"
)


# A field of a page's lines about the document (发布时间：…, 索引号: …, 发布机构: …), as written:
# what the page says of the report, unlike its menus.
_INFO_FIELD = re.compile(
    r"(索\s*引\s*号|发布机构|发文机关|发文字号|文\s*号|成文时间|成文日期|发文日期|发布日期|发布时间|信息来源|来源"
    r"|(?:(?<=^)|(?<=\s))(?:时间|日期))(?:\s*[:：]\s*|\s+(?=[\w〔]))"
    r"([^\s:：|｜]{2,40}?)(?=\s|$|[|｜]|索引号|发布机构|发文|成文|公开|组配|主题|公文|生成|有效|浏览|点击|字号|作者)"
)
# The same, also as a 政府信息公开 page's table writes it ([ 发布机构 ] 酉阳县司法局); only for
# quoting the front, so what the fields mean elsewhere stays as it was.
_FRONT_FIELD = re.compile(
    r"(?:[\[【［]\s*)?(索\s*引\s*号|发布机构|发文机关|发文字号|文\s*号|成文时间|成文日期|发文日期|发布日期|发布时间|信息来源|来源"
    r"|(?:(?<=^)|(?<=\s))(?:时间|日期))(?:\s*[:：]\s*|\s*[\]】］]\s*|\s+(?=[\w〔]))"
    r"([^\s:：|｜]{2,40}?)(?=\s|$|[|｜]|索引号|发布机构|发文|成文|公开|组配|主题|公文|生成|有效|浏览|点击|字号|作者)"
)


_GLUED_ADDRESSEE = re.compile(r"^([^，,。：:\d]{3,30})[：:]\s*(?=\d{4}年|[\u4e00-\u9fff])")


def info_field(lines: list[Line], name: str) -> str:
    """The value of a field of a page's table about the document (发布机构 …), or ""."""
    for line in lines:
        for field, value in _INFO_FIELD.findall(line.text):
            if field == name:
                return value
    return ""


def _front_matter(front: list[Line], title: str, published: str, addressee: str, dated: str) -> str:
    """What the lines above the body say of the report besides its title, as one passage's
    text, each as written: the page's fields about it (发布时间, 索引号, 发布机构 …), its
    document number, its subtitle (the meeting it was delivered at) and to whom it is
    addressed; then a 发布时间 only the page's markup gave and the date it was signed,
    labelled. Site menus and breadcrumbs are left out. "" when the front says none of these
    but the date."""
    facts: list[str] = []
    for line in front:
        text = line.text
        fields = [m.group(0).strip() for m in _FRONT_FIELD.finditer(text) if m.group(2)]
        facts += fields
        if text in title or _is_chrome(text) or fields:
            continue
        if m := _DOC_NUMBER.search(text):
            facts.append(text if len(text) <= 30 else m.group(0))
        elif _SUBTITLE.match(text) or text == addressee or _is_addressee(text):
            facts.append(text)
    last = front[-1].text if front else ""
    if last not in title and last not in facts and is_org(last) and len(last) <= 20 and not _is_chrome(last):
        facts.append(last)  # 县人大常委会 on its own line above the body: the addressee, unpunctuated
    if published and not any(published in f or f.startswith(("发布时间", "发布日期")) for f in facts):
        facts.insert(0, f"发布时间：{published}")
    if dated and facts:  # a date alone is the signature's, which every report has
        facts.append(f"落款日期：{dated}")
    return "\n".join(dict.fromkeys(facts))


@dataclass(frozen=True, slots=True)
class _Front:
    title: str  # as written, its lines joined; "" when none was found
    issuer_line: str  # an office's name on a line of its own beside the title, else ""
    published: str  # ISO date of a 发布时间 line, else ""
    origin: str  # its 来源, else ""
    body_start: int
    dated: str = ""  # ISO date of a date line under the title (（2024年1月5日）), else ""


def _is_chrome(text: str) -> bool:
    """A web page's menu, breadcrumb or buttons, or its line about the article (发布时间：…
    来源：…), when the reader left them in. A sentence (…资金来源：…。) is never one."""
    if text[-1] in "。！？" or len(text) > 120:
        return False
    return (
        bool(_CHROME.search(text))
        or text.startswith(("发布时间", "发布日期"))
        or len(_META.findall(text)) >= 2
    )


def _is_chrome_or_label(text: str) -> bool:
    """A page's button or empty label (`字体:`, `访问量:`), or any other chrome line."""
    return _is_chrome(text) or bool(re.fullmatch(r"[^，。：:]{1,6}[:：]", text))


def _bare_addressee(text: str) -> bool:
    """An office's name alone on a line (县人大常委会), with no punctuation."""
    return len(text) <= 20 and is_org(text) and not re.search(r"[，。；、：:]", text)


def _is_addressee(text: str) -> bool:
    """`省政府：`, `县委依法治县办：`, `县委、县政府：`: the offices a report is sent to."""
    return text[-1:] in "：:" and all(is_org(x) for x in re.split("[、，,]", text[:-1]))


def _is_red_head_or_number(text: str) -> bool:
    """A 公文's red head (`潍坊市人民政府文件`) or document number (`潍政字〔2024〕6号`)."""
    # A paragraph citing another document (…《工作要点》(城中政办函〔2025〕19号)要求…) is body.
    return (text.endswith("文件") and len(text) <= 30) or (len(text) <= 40 and bool(_DOC_NUMBER.search(text)))


def _title_like(line: Line) -> bool:
    """A line that ends a report's title: `…法治政府建设情况的报告`, `…工作总结及2023年工作计划`."""
    text = line.text
    return line.level == 0 or (
        4 <= len(text) <= 80
        and bool(_TITLE_WORDS.search(text))
        and not any(c in text for c in _PUNCT.replace("、", ""))
        and not _is_chrome(text)
        and _marker(text) is None
        and not _is_red_head_or_number(text)
    )


def _title_fragment(text: str) -> bool:
    """A line that may begin a title wrapped over lines: the issuer's name, or words with a
    year or 关于 in them (`临城县人民政府关于2023年度法治政府` / `建设情况的报告`)."""
    if len(text) > 40 or any(c in text for c in _PUNCT) or _is_chrome(text):
        return False
    if _is_red_head_or_number(text) or date_of(text) or _marker(text) is not None:
        return False
    return _is_issuer_line(text) or "关于" in text or bool(_YEAR.search(text))


def _begins_title(text: str) -> bool:
    """Whether a title line starts with the issuer (so no line above it belongs to the title)."""
    if is_org(text):
        return True
    m = _TITLE_PREFIX.match(text)
    return bool(m and is_org(m.group(1)))


def _body_like(line: Line) -> bool:
    """A line that starts the body: a heading, a table row or a paragraph."""
    text = line.text
    if line.table or line.level in (1, 2, 3):
        return True
    if (
        _is_chrome(text)
        or _is_addressee(text)
        or date_of(text.strip("（）()"))
        or _is_red_head_or_number(text)
    ):
        return False
    return (
        _marker(text) is not None
        or len(text) > _MAX_HEADING
        or text[-1] in _SENTENCE_END + "：:"
        or "，" in text
    )


def _front(lines: list[Line]) -> _Front:
    """Find the title and where the body starts.

    The title is a title-like line before the body's first heading, with the lines of it
    wrapped above (at most three lines in all) and a `（2023年度）` under it; the first whose
    title names a year, 关于 or an office, else the first. Everything above it is the page's
    or the 公文's furniture (menus, red head, document number) and never the report."""
    window = next((i for i, x in enumerate(lines) if _body_like(x) and _marker(x.text)), len(lines))
    window = min(window, 40)
    levelled = [i for i in range(window) if lines[i].level == 0]
    if levelled:
        last = levelled[0]
        while last + 1 < len(lines) and lines[last + 1].level == 0:
            last += 1
        first = _title_top(lines, levelled[0], last)
    else:
        blocks = [(_title_top(lines, i, i), i) for i in range(window) if _title_like(lines[i])]
        if not blocks:
            start = next((i for i, x in enumerate(lines) if _body_like(x)), len(lines))
            return _Front("", _front_issuer(lines[:start]), *_page_meta(lines[:start]), start)
        # A menu's 政府工作报告 is title-like too; a report's own title names its year.
        first, last = next((b for b in blocks if _titled(_joined(lines, *b))), blocks[0])
        if last + 1 < len(lines) and _TITLE_YEAR_NOTE.fullmatch(lines[last + 1].text):
            last += 1
    title = _joined(lines, first, last)
    start = next((i for i in range(last + 1, len(lines)) if _body_like(lines[i])), len(lines))
    issuer_line = _front_issuer(lines[last + 1 : start])
    if not issuer_line and first > 0 and _is_issuer_line(lines[first - 1].text):
        issuer_line = lines[first - 1].text
    dated = next((d for x in lines[last + 1 : start] if (d := date_of(x.text.strip("（）()")))), "")
    return _Front(title, issuer_line, *_page_meta(lines[:start]), start, dated)


def _title_top(lines: list[Line], first: int, end: int) -> int:
    """The first line of a title whose lines from `first` to `end` are known: up to three
    lines in all, the issuer's line above them included."""
    while (
        first > 0
        and end - first < 2
        and not _begins_title(lines[first].text)
        and _title_fragment(lines[first - 1].text)
    ):
        first -= 1
    return first


def _joined(lines: list[Line], first: int, last: int) -> str:
    return "".join(x.text for x in lines[first : last + 1])


def _titled(title: str) -> bool:
    return bool(_YEAR.search(title)) or "关于" in title or bool(_title_org(title))


def _front_issuer(lines: list[Line]) -> str:
    return next((x.text for x in lines if _is_issuer_line(x.text)), "")


def _page_meta(lines: list[Line]) -> tuple[str, str]:
    """发布时间 and 来源 from a web page's lines about the article (on one line or several),
    when the reader left them in."""
    published, origin = "", ""
    for line in lines:
        text = line.text
        if not (_is_chrome(text) and _META.search(text)):
            continue
        m = _ISO_DATE.search(text)
        if m and not published:
            published = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        o = _ORIGIN.search(text)
        if o and not origin:
            origin = o.group(1)
    return published, origin


# --- the end: signature and date -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _End:
    body_end: int  # index of the first line after the body
    signature: tuple[str, ...]  # the offices signing, top to bottom
    signed_on: str  # ISO date, else ""
    kept: tuple[int, ...]  # lines after the date that are still report text (tables, paragraphs)


def _signing(text: str) -> tuple[str, str] | None:
    """(office, ISO date) of a date line, or of an office and its date on one line."""
    if d := date_of(text):
        return "", d
    squashed = "".join(text.split())
    m = re.search(rf"({_YEAR_NUM})\s*年.{{1,8}}[日号]$", squashed)
    if m and (d := date_of(squashed[m.start() :])) and is_org(squashed[: m.start()]):
        return squashed[: m.start()], d
    return None


def _end(lines: list[Line], start: int) -> _End:
    """The signature block: the last date line after the body's last sentences, with the
    offices' names right above it. What a web page puts after it (links, footers) is not the
    report; a table or a paragraph there (an attachment) still is."""
    date_at, signed_on, office, tail_at = None, "", "", len(lines)
    for i in range(len(lines) - 1, start - 1, -1):
        line = lines[i]
        if not line.table and _TAIL.search(line.text):
            tail_at = i
            continue
        if not line.table and (found := _signing(line.text)):
            date_at, (office, signed_on) = i, found
            break
        if line.text[-1] in "。！？" and (len(line.text) > _MAX_HEADING or _marker(line.text) is not None):
            break  # back in the body's sentences: the report has no signature date
    end = tail_at if date_at is None else date_at
    signature = [office] if office else []
    while end - 1 >= start and len(signature) < 3 and _is_signature(lines[end - 1]):
        end -= 1
        signature[:0] = lines[end].text.split()
    kept: tuple[int, ...] = ()
    if date_at is not None:
        kept = tuple(
            i
            for i in range(date_at + 1, len(lines))
            if lines[i].table
            or (
                len(lines[i].text) >= 40 and lines[i].text[-1] in "。！？" and not _TAIL.search(lines[i].text)
            )
        )
    return _End(end, tuple(signature), signed_on, kept)


def _is_signature(line: Line) -> bool:
    """A line of the offices signing: one name, or several side by side (中共某县委　某县人民政府)."""
    parts = line.text.split()
    return not line.table and line.level is None and bool(parts) and all(is_org(x) for x in parts)


# --- issuer, year, places -------------------------------------------------------------------


def _title_org(title: str) -> str:
    """The office a title begins with (屏山县人民政府办公室2023年度…, 潍坊市人民政府关于…)."""
    m = _TITLE_PREFIX.match(title)
    return m.group(1) if m and is_org(m.group(1)) else ""


_LEADING_YEAR_WORDS = re.compile(rf"^\s*(?:{_YEAR_NUM})\s*年度?(?:以来)?\s*")
# A news item's lead-in (记者今天从市司法局获悉, 近日，记者从…): the office is after it.
_NEWS_LEAD_IN = re.compile(
    r"^(?:[\u4e00-\u9fff]{0,6}讯\s*)?(?:本报|本台)?记者[\u4e00-\u9fff]{0,3}?(?:今天|今日|近日|日前|昨天|昨日)?(?:从|自)"
)


def _opening_org(opening: str, gazetteer: Gazetteer) -> str:
    """An office named with its place at the start of a clause of the opening sentence
    (2024年，潢川县人民政府办公室坚持…); never words that merely end like one (县委和县政府)."""
    for clause in re.split("[，,、；;。：:]", opening[:100]):
        clause = _NEWS_LEAD_IN.sub("", _LEADING_YEAR_WORDS.sub("", clause))
        m = _ORG.match(clause)
        if not m:
            continue
        name = m.group(0)
        while more := _ORG_SUFFIX_AT.match(clause, len(name)):  # 委员会 + 办公室
            name += more.group(0)
        if _CLAUSE_WORDS.search(name):
            continue  # 通州区坚持以习近平新时代中国特色社会: a clause ending like an office
        if name.endswith("法治政府") and len(name) > 4:
            # 尖草坪区法治政府建设工作…: the topic's words, the place's government meant
            name = name[:-4] + "人民政府"
        if gazetteer.find_in(name) or gazetteer.county_of_issuer(name) or name.startswith(("政协", "中共")):
            return name
    return ""


def _needs_place(issuer: str, gazetteer: Gazetteer) -> bool:
    """Whether an issuer's name leaves out its place: a township's (柳林乡人民政府) or a
    department's written as 县综合行政执法局, 市司法局, 省司法厅."""
    if not issuer or gazetteer.county_of_issuer(issuer) or gazetteer.mentions(issuer):
        return False
    return bool(town_at_start(issuer)) or issuer[0] in "省市县区旗"


def _complete(issuer: str, around: tuple[str, ...]) -> str:
    """The issuer's name with its place, from the places named around it: 竹山县 + 柳林乡人民政府,
    松阳县 + 县综合行政执法局 (a 县 department takes the county, a 市 one the city …)."""
    if issuer[0] in "省市县区旗":
        place = next((p for p in reversed(around) if p.endswith(issuer[0]) and not _is_town(p)), "")
        return place + issuer[1:] if place else issuer
    county = next((p for p in reversed(around) if not _is_town(p)), "")
    return county + issuer if county else issuer


@dataclass(frozen=True, slots=True)
class _Who:
    issuer: str
    places: tuple[str, ...]
    issuer_inferred: bool = False  # not written in the report: implied, or the file name's
    places_inferred: bool = False


def _who(
    title: str,
    front_issuer: str,
    signature: tuple[str, ...],
    opening: str,
    origin: str,
    gazetteer: Gazetteer,
    file_name: FileName,
    body: list[str],
    addressee: str,
) -> _Who:
    """The issuer and its places as the report states them (see _issuer_and_places), else as a
    reader infers them: from the place its title, file name or opening names and how the body
    refers to itself (区政府, 我市, 本局: analyse.implied_issuer), then from the page's 来源, the
    publisher, only when nothing else says; places failing all that from the addressee
    (a report sent to 常州市人民政府： is issued under 常州市)."""
    context = " ".join([*signature, opening, file_name.name, addressee, front_issuer])
    ref = self_reference(opening, body)
    guess: str | None = None  # the implied issuer, worked out only when it is needed
    if front_issuer and not title:
        guess = implied_issuer(title, opening, ref, file_name, gazetteer)
        if guess and guess != front_issuer:
            # With no title, an office's name above the text is the site's (咸安区人民政府 above
            # 官埠桥镇's report): what the report says of itself comes first.
            front_issuer = ""
    issuer, places = _issuer_and_places(title, front_issuer, signature, opening, gazetteer, addressee)
    if issuer and places:
        return _Who(_full_government(issuer), places)
    if guess is None:
        guess = implied_issuer(title, opening, ref, file_name, gazetteer)
    if not guess and not issuer and ref is not None and ref.level in "省市县区旗":
        # 市市场监管局 in a report none of whose title, file name or opening names its city:
        # the city of that level its body names most (绍兴 …) is the one it speaks of.
        place = most_named(" ".join(body), ref.level, gazetteer)
        if place:
            guess = place + (expand(ref.office) if ref.office else "人民政府")
    if not guess and not issuer:
        guess = _region_government(opening, body, gazetteer)
    if guess and guess == issuer:
        return _Who(issuer, places)  # a national body: no place to find
    if guess and (not issuer or guess.endswith(issuer) or not gazetteer.mentions(issuer)):
        named = named_in(guess, gazetteer)
        found = gazetteer.find_in(" ".join([guess, *named.places, title]), context)
        town = named.town
        if town and not named.places and (around := gazetteer.find_in(context)) and not _is_town(around[-1]):
            # 官埠桥镇 under the 咸安区 its page or signature names
            guess, found = around[-1] + guess, around
        if town and found and town not in found and not _is_town(found[-1]):
            found = (*found, town)
        if town and (not found or found[-1] != town):
            wider = tuple(p for p in found if not _is_town(p))
            # The places named anywhere in the body (全面落实广州市…) tell which of a town's
            # namesakes it is when the opening does not.
            named_around = [n for _, n in gazetteer.mentions(context + " " + " ".join(body))]
            chain = gazetteer.town_chain(town, wider, named_around)
            if len(chain) > 1 and not named.places and not guess.startswith(chain[-2]):
                guess = chain[-2] + guess  # 清波街道办事处 → 上城区清波街道办事处
            if len(chain) > 1 or not found:
                found = chain
        zone = guess.removesuffix("管理委员会")
        if zone != guess and zone not in found:
            found = (*found, zone)
        return _Who(guess, found or places, True, bool(found) and not places)
    says_government = ref is not None and ref.level and not ref.office
    if not issuer and is_org(origin) and not says_government:
        issuer = origin
        if _needs_place(issuer, gazetteer) and (around := gazetteer.find_in(context)):
            issuer = _complete(issuer, around)
        places = places or gazetteer.find_in(issuer + " " + title, context)
        if not places and (named := named_in(issuer, gazetteer)).places:
            # 内蒙古阿拉善高新…管理委员会: places written short at the start of the name.
            places = gazetteer.find_in("".join(named.places))
        return _Who(issuer, places, True, False)
    if not places and addressee:
        return _Who(issuer, gazetteer.find_in(addressee), False, True)
    return _Who(issuer, places)


_ZONE_AT_START = re.compile(r"^([\u4e00-\u9fff]{0,8}?(?:开发区|高新区|新区|园区|试验区|示范区|合作区))")


def _zone_placed(who: _Who, body: list[str], gazetteer: Gazetteer) -> tuple[str, tuple[str, ...]]:
    """The issuer and places, a development zone's placed in the city its text names most
    (两江新区 … 视察重庆 … 《重庆两江新区管理办法》 → 重庆两江新区管理委员会, 重庆市); a zone
    whose name merely begins like a place (滨海湾新区 is no 滨海县's) keeps no such place, and
    the zone itself is a place only when nothing wider is known."""
    issuer, places = who.issuer, who.places
    m = _ZONE_AT_START.match(issuer)
    if not m:
        return issuer, places
    zone = m.group(1)
    named = named_in(zone, gazetteer)
    own = bool(named.places) and bool(ZONE_KIND.fullmatch(named.rest))  # 宁河 + 经济开发区
    real = tuple(p for p in places if p in gazetteer.by_name)
    if real and own:
        return issuer, real
    city = most_named(" ".join(body), "市", gazetteer)
    if city and not own:
        short = gazetteer.short_name(city)
        return (issuer if issuer.startswith(short) else short + issuer), gazetteer.find_in(city)
    if real and not own and named.places:
        return issuer, (zone,)  # only a place's look-alike at the start of its name
    return issuer, real or places


_REGION_SELF = re.compile(r"(自治区|省)(?:人民)?政府")


def _region_government(opening: str, body: list[str], gazetteer: Gazetteer) -> str:
    """A provincial government's report that calls itself only 自治区人民政府 (or 省政府):
    the one province of that kind its text names (法治内蒙古建设 → 内蒙古自治区人民政府);
    "" when it names none or several."""
    text = " ".join([opening, *body])
    m = _REGION_SELF.search(text)
    if not m:
        return ""
    kind = m.group(1)
    named = {
        full
        for short, full in gazetteer.province_aliases().items()
        if full.endswith(kind) and (short in text or full in text)
    }
    return f"{named.pop()}人民政府" if len(named) == 1 else ""


def _full_government(issuer: str) -> str:
    """县政府 → 县人民政府: a government signs with its full name."""
    return re.sub(r"(?<=[省市县区旗州])政府$", "人民政府", issuer)


def _issuer_and_places(
    title: str,
    front_issuer: str,
    signature: tuple[str, ...],
    opening: str,
    gazetteer: Gazetteer,
    addressee: str = "",
) -> tuple[str, tuple[str, ...]]:
    """The issuer's full name and its places, province first.

    The issuer is the office the title begins with, else the office on a line of its own by
    the title, else the signature's, else one named with its place in the opening sentence,
    else the web page's 来源. A name that leaves out its place gets it from the signature
    (松阳县综合行政执法局 signs for 县综合行政执法局) or, for a township, from the places the
    signature or the opening name (柳林乡在竹山县委…). Places come from the gazetteer; a county
    it lacks from how the issuer names itself (柘原县人民政府 → 柘原县)."""
    signed = [s for s in signature if is_org(s)]
    issuer = (
        _title_org(title)
        or front_issuer
        or (signed[-1] if signed else "")
        or _opening_org(opening, gazetteer)
    )
    fuller = [s for s in signed if s != issuer and s.endswith(issuer)]
    if issuer and fuller:
        issuer = fuller[0]
    context = " ".join([*signed, opening, addressee])
    places = gazetteer.find_in(issuer + " " + title, context)
    if not any(_county_level(p, gazetteer) for p in places):
        county = gazetteer.county_of_issuer(issuer) or next(
            (c for s in signed if (c := gazetteer.county_of_issuer(s))), None
        )
        if county and county not in gazetteer.by_name:
            town = town_after(issuer[issuer.index(county) + len(county) :]) if county in issuer else None
            wider = tuple(p for p in places if not _is_town(p))
            return issuer, (*wider, county, *((town,) if town else ()))
    if not places:
        around = gazetteer.find_in(" ".join(signed)) or gazetteer.find_in(opening)
        if around and _needs_place(issuer, gazetteer):
            completed = _complete(issuer, around)
            if completed != issuer:
                issuer = completed
                places = gazetteer.find_in(issuer + " " + title, context)
        if not places:
            town = town_at_start(issuer) or town_at_start(title)
            # A town named alone (贤庠镇人民政府…) gets its county, city and province from the
            # gazetteer's towns when its name is unique there or the places around settle it.
            if town and not (around and _is_town(around[-1])):
                places = gazetteer.town_chain(town, around)
            else:
                places = around
    return issuer, places


def _county_level(name: str, gazetteer: Gazetteer) -> bool:
    return any(p.level == 3 for p in gazetteer.by_name.get(name, ()))


def _is_town(name: str) -> bool:
    return name.endswith(("镇", "乡", "街道"))


def _years(
    title: str,
    opening: str,
    signed_on: str,
    published: str,
    outline: list[tuple[str, ...]],
    body: list[str],
    file_year: int | None = None,
) -> tuple[int | None, bool, int | None]:
    """(year covered, whether it was inferred, year the plans are for).

    The year is the title's first (but for the plans' year of `…总结及2023年工作计划`), else the
    opening paragraph's own (`2023年，…`, `2025年以来`, never a plan's span `2021—2025年`), else the
    year before a title's plans year. Failing those it is inferred from the file name
    (`岳阳县_2022.txt`); else it is the first year the opening names; else inferred from the
    signature date or 发布时间 (a report is signed or published early in the year after the one
    it covers, or in that year's last two months), from a plans
    heading (三、2024年工作打算 → 2023), or from the year the body names most. The plans are
    for the title's plans year, else a plans heading's year after the year covered, else the
    next year."""
    m = _PLANS_IN_TITLE.search(title)
    title_plan = year_number(m.group(1)) if m else None
    title_years = years_in(without_ranges(title[: m.start()] if m else title))
    year = title_years[0] if title_years else None
    if year is not None and title_plan is not None and title_plan <= year:
        title_plan = None
    if year is None:
        year = opening_year(opening)
    if year is None and title_plan is not None:
        year = title_plan - 1
    plans = [year_number(h.group(1)) for path in outline if (h := _PLANS_HEADING.search(path[-1]))]
    inferred = year is None
    if year is None and file_year is not None:
        year = file_year
    if year is None:
        # Any year the opening names, after the file name's: an opening that does not begin
        # with its year may name earlier ones first (从2019年的15%提高到2020年的29.65%).
        year = next(iter(years_in(without_ranges(opening))), None)
        inferred = year is None
    if year is None:
        dated = next((d for d in (signed_on, published) if _ISO_DATE.match(d)), "")
        if dated:
            y, month = int(dated[:4]), int(dated[5:7])
            year = y if month >= 11 else y - 1
        elif plans:
            year = plans[0] - 1
        else:
            counts = Counter(y for line in body for y in years_in(line))
            year = counts.most_common(1)[0][0] if counts else None
            inferred = year is not None
    plan_year = title_plan
    if year is not None and plan_year is None:
        plan_year = next((y for y in plans if y > year), year + 1)
    return year, inferred, plan_year


# --- the whole report -----------------------------------------------------------------------


# Where a report saved as one line (paragraphs joined by spaces) breaks: white space before a
# section heading (一、 （一） 第一部分), or after a sentence's end.
_RUN_ON_BREAK = re.compile(
    rf"(?<=\S)[ \t\u3000]+(?=第{_CN}部分|{_CN}、|[（(]{_CN}[）)])|(?<=[。！？])[ \t\u3000]+(?=\S)"
)
_RUN_ON_HEADING = re.compile(rf"^((?:第{_CN}部分|{_CN}、|[（(]{_CN}[）)])[^。！？\s]{{2,40}})\s+(\S.*)$")
_RUN_ON = 150  # a line this long with such breaks in it is several paragraphs run together


def _unrun(lines: list[Line]) -> list[Line]:
    """Lines with each run-together paragraph (a whole report on one line) on a line of its own."""
    out: list[Line] = []
    for line in lines:
        if len(line.text) < _RUN_ON or line.table or line.level is not None:
            out.append(line)
            continue
        for part in _RUN_ON_BREAK.split(line.text):
            # A heading written before its paragraph with a space between: on a line of its own.
            m = _RUN_ON_HEADING.match(part.strip())
            pieces = [m.group(1), m.group(2)] if m else [part]
            out.extend(Line(x.strip()) for x in pieces if x.strip())
    return out


def _unglued(lines: list[Line]) -> list[Line]:
    """Lines numbered 1, 2, 3… (three or more in a row) whose number a page glued to the figure
    after it (12020年…, 313个市州…, 4103个县级政府…: items 1, 3 and 4) with the number set off
    by a space (1 2020年…), so that no figure or year reads it in."""
    out = list(lines)
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and j - i < 9 and not out[j].table:
            text = out[j].text
            if not (text.startswith(str(j - i + 1)) and text[1:2].isdigit()):
                break
            j += 1
        if j - i >= 3:
            for k in range(i, j):
                out[k] = Line(f"{k - i + 1} {out[k].text[1:]}", out[k].level, out[k].table)
            i = j
        else:
            i += 1
    return out


def parse_lines(
    lines: list[str], source: str, content: bytes, gazetteer: Gazetteer | None = None
) -> ParsedReport:
    """Parse plain text lines of one report (see `parse_document`)."""
    return parse_document(Document(tuple(Line(t) for t in lines)), source, content, gazetteer)


def text_hash(passages: tuple[ParsedPassage, ...] | list[ParsedPassage]) -> str:
    """A hash of a report's body text that ignores white space and punctuation width, so the
    same report read from a .docx and from a .txt (or a page saved twice) hashes the same."""
    h = hashlib.sha256()
    for p in passages:
        h.update("".join(unicodedata.normalize("NFKC", p.text).split()).encode())
        h.update(b"\n")
    return h.hexdigest()


def parse_document(
    document: Document, source: str, content: bytes, gazetteer: Gazetteer | None = None
) -> ParsedReport:
    """Parse one report as `retrieval.read` gives it into a ParsedReport.

    The title, addressee, signature, dates and anything around the report on a web page are
    metadata, never passages; every body paragraph and table row is a passage, under the
    headings it sits below. `content` is the file's bytes, hashed so that re-ingesting the
    same file is a no-op.
    """
    gazetteer = gazetteer or default_gazetteer()
    # Pinyin readings printed after characters (領(lǐng)導(dǎo)) are no part of the report's text.
    lines = _unglued(
        _unrun([Line(t, x.level, x.table) for x in document.lines if (t := drop_pinyin(x.text).strip())])
    )
    front = _front(lines)
    end = _end(lines, front.body_start)
    body = lines[front.body_start : end.body_end]
    published = document.published or front.published
    # A 政府信息公开 page's 发布机构 is who published it, as a 来源 is.
    origin = document.origin or front.origin or info_field(lines[: front.body_start], "发布机构")

    headings = _headings(body)
    # The opening paragraph (2023年，柳林乡在竹山县委…) names the year and often the place.
    opening = body[0].text if body and 0 not in headings and not body[0].table else ""
    title = front.title
    title = clean_title(title)
    addressee = next((x.text for x in lines[: front.body_start] if _is_addressee(x.text)), "")
    file_name = read_file_name(source)
    # A page in traditional characters (臨高縣人民政府) names its places as the gazetteer
    # does once simplified; its issuer is stored so, as questions name it.
    s = simplified
    who = _who(
        s(title),
        s(front.issuer_line),
        tuple(s(x) for x in end.signature),
        s(opening),
        s(origin),
        gazetteer,
        file_name,
        [s(x.text) for x in body[:12]],
        s(addressee),
    )
    issuer, places = _zone_placed(who, [s(x.text) for x in body[:12]], gazetteer)
    if not title:
        title = re.sub(r"^\d+_", "", source.rsplit(".", 1)[0])

    # A line repeated across the body that is not a sentence is a running header left in.
    counts = Counter(x.text for x in body)
    repeated = {
        t for t, n in counts.items() if n > 1 and t[-1] not in _SENTENCE_END and len(t) <= _MAX_HEADING
    }
    stack: list[_Heading] = []
    passages: list[ParsedPassage] = []
    outline: list[tuple[str, ...]] = []
    for i, line in enumerate(body):
        h = headings.get(i)
        if h:
            while stack and stack[-1].level >= h.level:
                stack.pop()
            stack.append(h)
            outline.append(tuple(x.text for x in stack))
            if h.standalone:
                continue
        elif not line.table and (_is_trailer(line.text, issuer) or _is_furniture(line.text, title, repeated)):
            continue
        passages.append(ParsedPassage(tuple(x.text for x in stack), line.text))
    passages += [ParsedPassage((), lines[i].text) for i in end.kept]
    glued = _GLUED_ADDRESSEE.match(opening)
    if glued and not addressee and all(is_org(x) for x in re.split("[、，,]", glued.group(1))):
        addressee = glued.group(0).strip()  # 市人大常委会: 2024年，我市… (one line)
    lead = front.body_start
    # A page's buttons (字体: 访问量: 分享到:) under the title can be read as the body's first
    # lines; the addressee on its own line below them (县人大常委会) is still the front's.
    while lead < min(len(lines), front.body_start + 8) and _is_chrome_or_label(lines[lead].text):
        lead += 1
    if lead < len(lines) and lead > front.body_start and _bare_addressee(lines[lead].text):
        lead += 1
    if lead > front.body_start:  # the buttons and the addressee are no part of the body
        skipped = {x.text for x in lines[front.body_start : lead]}
        passages = [p for p in passages if p.section or p.text not in skipped]
    front_lines = lines[:lead] + ([Line(addressee)] if glued and addressee else [])
    facts = _front_matter(front_lines, title, published, addressee, end.signed_on or front.dated)
    if facts:
        passages.append(ParsedPassage((FRONT_MATTER,), facts))

    signed_on = end.signed_on or front.dated
    year, inferred, plan_year = _years(
        title, opening, signed_on, published, outline, [x.text for x in body], file_name.year
    )
    return ParsedReport(
        title=title,
        issuer=issuer,
        year=year,
        places=places,
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        passages=tuple(passages),
        outline=tuple(outline),
        published=published,
        origin=origin,
        year_inferred=inferred,
        issuer_inferred=who.issuer_inferred,
        places_inferred=who.places_inferred,
        plan_year=plan_year,
        signed_on=signed_on,
        text_sha256=text_hash(passages),
    )
