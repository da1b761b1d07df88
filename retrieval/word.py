"""A .docx file's body as logical lines, with what Word itself says about them.

- Heading levels: the Title style is level 0; Heading 1–3 (by style name, also through a
  style's basedOn chain) and an outline level 0–2 (w:outlineLvl, on the paragraph or its
  style) are levels 1–3, whatever the text says.
- Automatic numbering (w:numPr → numbering.xml) is rendered into the text, as Word shows it:
  a heading numbered by Word keeps its `一、` or `（一）`.
- A table gives a line per row, each with its header cells (see `_table_lines`).
- Only the body counts: page headers and footers live in other parts of the package, and text
  boxes, deleted text and hidden text are left out.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docx
from docx.exceptions import PythonDocxError
from docx.opc.exceptions import OpcError
from lxml import etree

from retrieval.decode import clean_lines, table_row_texts
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.models import Line

BAD_DOCX = "not a valid .docx file"
OLD_WORD = "a Word 97-2003 (.doc) file under a .docx name: save it as .docx"
# The compound-file header every Word 97–2003 document (and WPS's .wps) starts with.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_NS = {"w": _W[1:-1], "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}


def docx_lines(name: str, data: bytes) -> list[Line]:
    """The body of the .docx `data`: paragraphs and table rows in order. Raises UnreadableFile."""
    if data.startswith(_OLE_SIGNATURE):
        raise UnreadableFile(name, OLD_WORD, Unreadable.OLD_WORD)
    try:
        _check_zip(name, data)
        document = docx.Document(io.BytesIO(data))
        styles = _Styles(document.styles.element)
        numbering = _Numbering(_numbering_element(document))
    except (
        OpcError,  # includes "package not found"
        PythonDocxError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,  # a zip without the parts a Word document needs
        ValueError,  # another kind of OOXML package (.xlsx, .pptx)
        EOFError,
        etree.LxmlError,  # malformed XML inside the package
        NotImplementedError,
    ) as exc:
        raise UnreadableFile(name, BAD_DOCX, Unreadable.BAD_DOCX) from exc
    return list(_blocks(document.element.body, styles, numbering))


# A Word document's parts inflate to a few MB; a zip bomb inflates to gigabytes from a few KB.
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
TOO_BIG_INSIDE = "the .docx inflates to too much data (a zip bomb?)"


def _check_zip(name: str, data: bytes) -> None:
    """Refuse a package whose members would inflate past the limits, before inflating any:
    the sizes zip's directory declares are what zipfile will allow each member to yield."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    inflated = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if inflated > MAX_INFLATED_BYTES or inflated > MAX_COMPRESSION_RATIO * max(compressed, 1024):
        raise UnreadableFile(name, TOO_BIG_INSIDE, Unreadable.ZIP_BOMB)


def _numbering_element(document: Any) -> Any:
    try:
        return document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return None  # no numbering part: nothing is numbered


def _blocks(container: Any, styles: _Styles, numbering: _Numbering) -> Iterator[Line]:
    """The lines of each paragraph and table directly in `container`, in order."""
    for child in container.iterchildren():
        if child.tag == f"{_W}p":
            yield from _paragraph_lines(child, styles, numbering)
        elif child.tag == f"{_W}tbl":
            yield from _table_lines(child)
        elif child.tag == f"{_W}sdt":  # content control: its content is ordinary body text
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _blocks(content, styles, numbering)


def _paragraph_lines(paragraph: Any, styles: _Styles, numbering: _Numbering) -> Iterator[Line]:
    style_id = _val(paragraph.find(f"{_W}pPr/{_W}pStyle"))
    own_outline = _val(paragraph.find(f"{_W}pPr/{_W}outlineLvl"))
    # The paragraph's own outline level, even "body text", beats what its style says.
    level = styles.level(style_id) if own_outline is None else _outline_to_level(own_outline)
    text = paragraph_text(paragraph)
    if text.strip():
        num = paragraph.find(f"{_W}pPr/{_W}numPr")
        text = numbering.label(num if num is not None else styles.numbering(style_id)) + text
    # A line break inside a paragraph (w:br) starts a new line with the same level.
    for line in clean_lines([text]):
        yield Line(line, level=level)


def _outline_to_level(outline: str | None) -> int | None:
    """Word's outline level 0–2 as heading level 1–3; 9 (body text) and deeper as None."""
    if outline is None or not outline.isdigit():
        return None
    return int(outline) + 1 if int(outline) <= 2 else None


def _val(element: Any) -> str | None:
    return None if element is None else element.get(f"{_W}val")


def paragraph_text(paragraph: Any) -> str:
    """Visible text of a w:p element, including hyperlinks, fields and tracked insertions.

    python-docx's Paragraph.text reads only top-level runs and hyperlinks; this also reads runs
    nested in w:ins, w:smartTag, w:fldSimple and inline content controls, but not deleted or
    hidden text, nor text boxes (whose paragraphs are not part of the body flow).
    """
    return "".join(run.text for run in _VISIBLE_RUNS(paragraph))


# Runs are python-docx CT_R elements, whose .text renders w:t, w:tab, w:br and the like.
_VISIBLE_RUNS = etree.XPath(
    ".//w:r[not(ancestor::w:del) and not(ancestor::w:txbxContent) and not(ancestor::mc:Fallback)"
    " and not(w:rPr/w:vanish[not(@w:val) or @w:val!='0' and @w:val!='false'])]",
    namespaces=_NS,
)


# --- styles --------------------------------------------------------------------------------

_HEADING_NAME = re.compile(r"heading\s*([1-9])|标题\s*([1-9])", re.IGNORECASE)


class _Styles:
    """Paragraph styles: the heading level and the numbering each gives, through basedOn."""

    def __init__(self, element: Any) -> None:
        self._styles: dict[str, Any] = {}
        self._default: str | None = None
        for style in element.iterchildren(f"{_W}style"):
            if style.get(f"{_W}type") not in (None, "paragraph"):
                continue
            style_id = style.get(f"{_W}styleId")
            if style_id:
                self._styles[style_id] = style
                if style.get(f"{_W}default") in ("1", "true"):
                    self._default = style_id

    def _chain(self, style_id: str | None) -> Iterator[Any]:
        """The style and those it is based on, nearest first (cycles cut)."""
        seen: set[str] = set()
        current = style_id if style_id in self._styles else self._default
        while current and current not in seen and current in self._styles:
            seen.add(current)
            style = self._styles[current]
            yield style
            current = _val(style.find(f"{_W}basedOn"))

    def level(self, style_id: str | None) -> int | None:
        """The heading level style `style_id` gives: 0 for Title, 1–3 for Heading 1–3 or an
        outline level 0–2, None for body text."""
        for style in self._chain(style_id):
            name = (_val(style.find(f"{_W}name")) or "").strip()
            if name.lower() == "title" or name == "标题":
                return 0
            heading = _HEADING_NAME.fullmatch(name)
            if heading:
                number = int(heading.group(1) or heading.group(2))
                return number if number <= 3 else None
            outline = _val(style.find(f"{_W}pPr/{_W}outlineLvl"))
            if outline is not None:
                return _outline_to_level(outline)
        return None

    def numbering(self, style_id: str | None) -> Any:
        """The w:numPr a style gives its paragraphs (a numbered heading style), or None."""
        for style in self._chain(style_id):
            num = style.find(f"{_W}pPr/{_W}numPr")
            if num is not None:
                return num
        return None


# --- numbering -----------------------------------------------------------------------------


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."


@dataclass
class _List:
    """One list instance (a w:num): its levels and where each level's count stands."""

    levels: dict[int, _Level]
    counts: dict[int, int] = field(default_factory=dict)


class _Numbering:
    """Renders Word's automatic numbering as the label Word shows (`一、`, `（二）`, `3.`).

    Counts are kept per list (numId) and level; a level counting on resets the levels below
    it, as Word does by default. A w:startOverride restarts a list at its value."""

    def __init__(self, element: Any) -> None:
        self._lists: dict[str, _List] = {}
        if element is None:
            return
        abstract = {a.get(f"{_W}abstractNumId"): a for a in element.iterchildren(f"{_W}abstractNum")}
        for num in element.iterchildren(f"{_W}num"):
            definition = abstract.get(_val(num.find(f"{_W}abstractNumId")))
            if definition is None:
                continue
            levels = {int(lvl.get(f"{_W}ilvl", "0")): _level(lvl) for lvl in definition.iter(f"{_W}lvl")}
            for override in num.iterchildren(f"{_W}lvlOverride"):
                ilvl = int(override.get(f"{_W}ilvl", "0"))
                start = _val(override.find(f"{_W}startOverride"))
                replaced = override.find(f"{_W}lvl")
                if replaced is not None:
                    levels[ilvl] = _level(replaced)
                if start is not None and start.isdigit():
                    levels.setdefault(ilvl, _Level()).start = int(start)
            self._lists[num.get(f"{_W}numId", "")] = _List(levels)

    def label(self, num_pr: Any) -> str:
        """The label of the next paragraph numbered by `num_pr` (a w:numPr), counting it."""
        if num_pr is None:
            return ""
        num_id = _val(num_pr.find(f"{_W}numId"))
        ilvl_text = _val(num_pr.find(f"{_W}ilvl")) or "0"
        instance = self._lists.get(num_id or "")
        if instance is None or not ilvl_text.isdigit():
            return ""  # numId 0 means "not numbered"
        ilvl = int(ilvl_text)
        level = instance.levels.get(ilvl, _Level())
        instance.counts[ilvl] = instance.counts.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in instance.counts if k > ilvl]:
            del instance.counts[deeper]
        if level.fmt in ("bullet", "none"):
            return ""  # a bullet carries no level and no number worth quoting

        def number(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            k_level = instance.levels.get(k, _Level())
            count = instance.counts.get(k, k_level.start)
            return format_number(count, level.fmt if k == ilvl else k_level.fmt)

        return re.sub(r"%([1-9])", number, level.text)


def _level(lvl: Any) -> _Level:
    start = _val(lvl.find(f"{_W}start"))
    return _Level(
        start=int(start) if start and start.isdigit() else 1,
        fmt=_val(lvl.find(f"{_W}numFmt")) or "decimal",
        text=_val(lvl.find(f"{_W}lvlText")) or "",
    )


_CN_DIGITS = "〇一二三四五六七八九"
_CN_DIGITS_FORMAL = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_EARTHLY_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"


def format_number(n: int, fmt: str) -> str:
    """`n` written in Word's number format `fmt` (chineseCounting 12 → 十二, decimal → 12)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "ideographDigital"):
        return (
            chinese_counting(n) if fmt != "ideographDigital" else "".join(_CN_DIGITS[int(d)] for d in str(n))
        )
    if fmt == "chineseLegalSimplified":
        return "".join(_CN_DIGITS_FORMAL[int(d)] for d in str(n))
    if fmt in ("ideographTraditional",) and 1 <= n <= 10:
        return _HEAVENLY_STEMS[n - 1]
    if fmt == "ideographZodiac" and 1 <= n <= 12:
        return _EARTHLY_BRANCHES[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalFullWidth":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter") and n >= 1:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "lowerLetter" else letter.upper()
    if fmt in ("lowerRoman", "upperRoman") and n >= 1:
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    return str(n)


def chinese_counting(n: int) -> str:
    """`n` (0–9999) in Chinese counting numerals as Word writes them: 10 → 十, 21 → 二十一."""
    if n < 10:
        return _CN_DIGITS[n] if n else "〇"
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if not rest else ("〇" + _CN_DIGITS[rest] if rest < 10 else _tens(rest))
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)


def _tens(n: int) -> str:
    """10–99 inside a larger number, where 10 is 一十."""
    return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")


def _roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    ):  # fmt: skip
        while n >= value:
            out += letters
            n -= value
    return out


# --- tables --------------------------------------------------------------------------------


def _table_lines(table: Any) -> Iterator[Line]:
    """A line per row of `table` that reads alone, with its header cells (the format of
    `retrieval.decode.table_row_texts`, e.g. `行政许可办件（件）：2021年 18630，2022年 21544`).
    Cells merged down a column repeat the merged text in each row."""
    for text in table_row_texts(_table_cells(table)):
        for line in clean_lines([text]):
            yield Line(line, table=True)


def _table_cells(table: Any) -> list[list[str]]:
    """The text of each grid cell, row by row; a horizontally merged cell fills one column
    (its text once), a vertically merged one repeats the text of the cell it continues."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}
    for tr in table.iterchildren(f"{_W}tr"):
        row: list[str] = []
        column = 0
        for tc in tr.iterchildren(f"{_W}tc"):
            span_text = _val(tc.find(f"{_W}tcPr/{_W}gridSpan"))
            span = int(span_text) if span_text and span_text.isdigit() else 1
            merge = tc.find(f"{_W}tcPr/{_W}vMerge")
            text = " ".join(paragraph_text(p) for p in tc.iter(f"{_W}p"))
            text = " ".join(text.split())  # the row stays on one line
            if merge is not None and _val(merge) in (None, "continue"):
                text = above.get(column, text)
            above[column] = text
            row.append(text)
            row.extend("" for _ in range(span - 1))
            column += span
        rows.append(row)
    return rows
