"""Turn a report's text lines into metadata and body passages with their section paths.

Reports number their headings as the official-document standard does — 一、 › （一） › 1. ›
（1） — and often open list items with 一是 / 二是. A heading on its own line is the section
of the paragraphs under it; a heading that opens a paragraph (`（二）持续深化政务公开。一是…`)
also sets the section, and the paragraph keeps its full text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from retrieval.models import Document, Line, ParsedPassage, ParsedReport
from retrieval.places import Gazetteer, default_gazetteer, town_at_start
from retrieval.understand import has_figures

_CN = "[一二三四五六七八九十百零〇]+"
# (level, pattern) in the standard's order; the captured group is the item number.
_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"^({_CN})\s*[、.．]\s*")),
    (2, re.compile(rf"^[（(]\s*({_CN})\s*[）)]\s*")),
    (3, re.compile(r"^(\d{1,2})\s*(?:[.．](?!\d)|、)\s*")),
    (4, re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*")),
    (5, re.compile(rf"^({_CN})是")),
)
_SENTENCE_END = "。！？；!?;"
_MAX_HEADING = 60  # a numbered line longer than this, or with a sentence inside, is a paragraph
_MAX_INLINE_HEADING = 40
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
_DATE_LINE = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_ORG = re.compile(
    r"[\u4e00-\u9fff]{2,30}?"
    r"(?:人民政府办公室|人民政府|委员会办公室|委员会|政府办公室|办公室|街道办事处|局|委|办|院|所|中心)"
)
_CN_NAMES = "零一二三四五六七八九十"
_CN_DIGITS = {c: i for i, c in enumerate(_CN_NAMES[:10])} | {"〇": 0}


def cn_number(s: str) -> int:
    """The value of a Chinese numeral up to 99 (一 → 1, 十二 → 12, 二十 → 20)."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(s, 0)


@dataclass(frozen=True, slots=True)
class _Heading:
    level: int
    number: int
    text: str  # the heading as written, marker included
    standalone: bool  # on its own line (not opening a paragraph)


def _heading(line: str) -> _Heading | None:
    """The heading a line is or opens, or None for an ordinary paragraph."""
    for level, pattern in _MARKERS:
        m = pattern.match(line)
        if not m:
            continue
        number = cn_number(m.group(1))
        body = line.rstrip(_SENTENCE_END + "。：:")
        if len(line) <= _MAX_HEADING and not any(c in body for c in _SENTENCE_END):
            # `（1）全年办理案件5件。` is an item of a list, not a heading: headings name work,
            # items report its figures.
            if line[-1] in _SENTENCE_END and has_figures(line[m.end() :]):
                return None
            return _Heading(level, number, body, True)
        if level == 5 and f"{_CN_NAMES[number + 1 : number + 2]}是" in line[m.end() :]:
            return None  # 一是…二是…三是… in one paragraph is a list, not a subsection
        cut = min((i for i, c in enumerate(line) if c in _SENTENCE_END + "："), default=-1)
        if 0 < cut <= _MAX_INLINE_HEADING:
            return _Heading(level, number, line[:cut], False)
        return None
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


def _split_front(lines: list[str]) -> tuple[list[str], int]:
    """The header lines (issuer, title, addressee) and the index where the body starts."""
    for i, line in enumerate(lines):
        # Title, issuer and addressee lines are short and have no sentence in them.
        if _heading(line) or len(line) > _MAX_HEADING or line[-1:] in "。" or "，" in line:
            return lines[:i], i
    return lines, len(lines)


def _is_trailer(line: str, issuer: str) -> bool:
    """A signature or date line at the end of a report."""
    return bool(_DATE_LINE.match(line)) or (len(line) <= 30 and line == issuer)


def _title_and_issuer(front: list[str], body: list[str]) -> tuple[str, str]:
    titles = [x for x in front if "报告" in x or "总结" in x]
    addressee = [x for x in front if x.endswith(("：", ":")) and len(x) <= 20]
    others = [x for x in front if x not in titles and x not in addressee]
    title = "".join(titles)
    issuer = others[0] if others else ""
    if not issuer and title:
        # 鲁山县瓦屋镇人民政府关于2023年…报告 / 政协安化县委员会办公室2024年…报告
        m = re.match(r"^(.{2,40}?)(?=关于|(?:19|20)\d{2}\s*年)", title)
        if m and _ORG.fullmatch(m.group(1)):
            issuer = m.group(1)
    if not issuer and body:
        m = _ORG.search(body[0][:80].split("，", 1)[-1])
        if m:
            issuer = m.group(0)
    if issuer and title.startswith(issuer) and len(title) > len(issuer):
        title = title[len(issuer) :]
    return title, issuer


def _year(title: str, body: list[str]) -> int | None:
    """The year a report covers: the title's, else the opening paragraph's, else the most named."""
    for text in (title, body[0] if body else ""):
        m = _YEAR.search(text)
        if m:
            return int(m.group(1))
    counts = Counter(int(y) for line in body for y in _YEAR.findall(line))
    return counts.most_common(1)[0][0] if counts else None


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

    `content` is the file's bytes, hashed so that re-ingesting the same file is a no-op.
    """
    lines = document.texts
    gazetteer = gazetteer or default_gazetteer()
    front, start = _split_front(lines)
    body = lines[start:]
    title, issuer = _title_and_issuer(front, body)
    if not title:
        title = re.sub(r"^\d+_", "", source.rsplit(".", 1)[0])
    year = _year(title, body)
    # A township's issuer line often names only the town (张庄镇人民政府).
    town = town_at_start(issuer)
    places = (
        gazetteer.find_in(issuer + " " + title)
        or gazetteer.find_in(" ".join(body[:1]))
        or ((town,) if town else ())
    )

    headings = {i: h for i, line in enumerate(body) if (h := _heading(line))}
    _promote_misnumbered_top(headings)
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
        elif _is_trailer(line, issuer):
            continue
        passages.append(ParsedPassage(tuple(x.text for x in stack), line))
    return ParsedReport(
        title=title,
        issuer=issuer,
        year=year,
        places=places,
        source=source,
        sha256=hashlib.sha256(content).hexdigest(),
        passages=tuple(passages),
        outline=tuple(outline),
        published=document.published,
        origin=document.origin,
        text_sha256=text_hash(passages),
    )
