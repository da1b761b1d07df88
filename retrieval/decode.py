"""Bytes of unknown encoding → text, and the line clean-up every format shares.

A Chinese report arrives as UTF-8, UTF-8 with a BOM, GB18030/GBK (also labelled gb2312),
UTF-16 with or without a BOM; `decode_text` finds which, and refuses binary data.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterable

from charset_normalizer import from_bytes

from retrieval.errors import Unreadable, UnreadableFile

EMPTY = "file is empty"
BINARY = "not a text file (binary data)"


# --- line clean-up shared by all formats -------------------------------------------------------

# Converters from .docx to text leave Word's hidden bookmarks behind, e.g. "[bookmark: _GoBack]".
_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]", re.IGNORECASE)
# PDF extraction often yields Kangxi radicals (U+2F00..U+2FD5) instead of the identical-looking
# ideographs ("⼀" for "一"); map just those, since full NFKC would also turn "（一）" into "(一)".
_KANGXI_TO_IDEOGRAPH = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)}
# Invisible characters that are not whitespace, so str.strip() would keep them.
_INVISIBLE = {ord(c): None for c in "\ufeff\u200b\u200c\u200d\u2060\u00ad"}


def clean_lines(chunks: Iterable[str]) -> list[str]:
    """Split `chunks` into lines at any line break and return the non-empty cleaned lines."""
    lines = []
    for chunk in chunks:
        for raw in chunk.splitlines():  # also splits at "\r\n", "\r", "\f", U+2028...
            line = clean_line(raw)
            if line:
                lines.append(line)
    return lines


def clean_line(raw: str) -> str:
    """Return `raw` (one line) normalised: NFC, no controls or bookmarks, stripped (maybe "")."""
    text = unicodedata.normalize("NFC", raw.translate(_KANGXI_TO_IDEOGRAPH))
    text = _BOOKMARK.sub("", text).translate(_INVISIBLE)
    # Tabs separate table cells, so they stay; every other control character goes.
    text = "".join(c for c in text if c == "\t" or unicodedata.category(c) != "Cc")
    return text.strip()  # str.strip() also removes U+3000 and NBSP


# --- character statistics used to tell text from binary data ---------------------------------


def is_cjk(char: str) -> bool:
    """True for a common Chinese ideograph or a CJK / full-width punctuation mark."""
    cp = ord(char)
    # Rare blocks (extension A, Yi, Hangul) are left out on purpose: wrong decodings of Chinese
    # bytes land there, right ones almost never do.
    return (
        0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0x3000 <= cp <= 0x301F  # CJK punctuation: 、。《》「」【】
        or 0xFF00 <= cp <= 0xFFEF  # full-width forms: ，：；（）
        or 0x2010 <= cp <= 0x2027  # dashes, curly quotes and ellipsis used in Chinese text
    )


def _chinese_score(text: str) -> float:
    """How Chinese decoded `text` looks: its share of CJK among visible characters.

    0.0 unless the text is almost entirely CJK and printable ASCII, as a Chinese report is, and
    has some CJK. Ranks candidate decodings of the same bytes.
    """
    visible = [c for c in text if not c.isspace()]
    cjk = sum(is_cjk(c) for c in visible)
    ascii_printable = sum(" " < c < "\x7f" for c in visible)
    if not cjk or cjk + ascii_printable < _PLAUSIBLE_SHARE * len(visible):
        return 0.0
    return cjk / len(visible)


# A right decoding of a Chinese text is all CJK and ASCII; a wrong one (GBK read as UTF-16)
# lands in rare blocks. The share leaves room for a few symbols such as ① or ×.
_PLAUSIBLE_SHARE = 0.9
# Short GBK text can be valid UTF-8 too; it is taken as GB18030 only if that reads as Chinese.
_MOSTLY_CJK = 0.6
# Decoded binary data is full of controls, private-use and unassigned code points.
_MAX_JUNK_SHARE = 0.05
# Real text is mostly letters, digits and CJK punctuation; junk is mostly symbols.
_MIN_WORD_SHARE = 0.5


def _looks_like_text(text: str) -> bool:
    """True if decoded `text` (with at least one visible character) reads as prose, not junk."""
    if "\x00" in text:
        return False
    visible = [c for c in text if not c.isspace()]
    junk = sum(c == "\ufffd" or unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs") for c in visible)
    words = sum(is_cjk(c) or unicodedata.category(c)[0] in ("L", "N") for c in visible)
    return junk <= _MAX_JUNK_SHARE * len(visible) and words >= _MIN_WORD_SHARE * len(visible)


# --- decoding bytes of unknown encoding ---------------------------------------------------------

# Longest first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Detectors often name a narrower or neighbouring Chinese encoding for GB18030 text (and even
# cp949 for short GBK text); GB18030 is a superset of GB2312 and GBK, so it is the safe reading.
_CHINESE_ENCODINGS = frozenset(
    {"gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950", "cp936", "euc_kr", "cp949"}
)


def decode_text(name: str, data: bytes, declared: str | None = None) -> str:
    """Decode `data` (a text file) to str, detecting its encoding.

    `declared` is an encoding the document names itself (an HTML meta charset); a BOM and valid
    UTF-8 take precedence over it. Raises UnreadableFile if no encoding yields text.
    """
    if data.startswith(_BINARY_SIGNATURES):
        raise UnreadableFile(name, BINARY, Unreadable.BINARY)
    text = _decode_known(data, declared)
    if text is None:
        text = _decode_guess(data)
    if text is None:
        raise UnreadableFile(name, BINARY, Unreadable.BINARY)
    return text


# Files often renamed to .txt by mistake: images, PDFs, zips (.docx), old .doc, archives.
_BINARY_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"%PDF-",
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x1f\x8b",
    b"\x7fELF",
)


def require_text(name: str, text: str) -> None:
    """Raise UnreadableFile unless decoded `text` has visible characters that read as text."""
    if not text.strip():
        raise UnreadableFile(name, EMPTY, Unreadable.EMPTY)
    if not _looks_like_text(text):
        raise UnreadableFile(name, BINARY, Unreadable.BINARY)


def _decode_known(data: bytes, declared: str | None) -> str | None:
    """Decode `data` by its BOM, else as UTF-8, else as declared; None if none of them fits."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in data:
        return None  # valid UTF-8 or GB18030 perhaps, but text has no NULs: UTF-16 or binary
    utf8 = _strict_decode(data, "utf-8")
    if utf8 is not None:
        return _gb18030_if_misread(data, utf8)
    # Valid UTF-8 beats a declaration: saved pages are often re-encoded but keep their meta.
    if declared is not None and (canonical := _canonical_encoding(declared)) is not None:
        return _strict_decode(data, canonical)
    return None


def _gb18030_if_misread(data: bytes, utf8: str) -> str:
    """`utf8` (the UTF-8 reading of `data`), or the GB18030 reading if that is the real one.

    A few GBK characters can form valid UTF-8 ("一" is D2 BB, which UTF-8 reads as "һ"); each
    more character makes that less likely, so only a short file is in doubt. When its UTF-8
    reading has non-ASCII but no CJK and its GB18030 reading is Chinese, it is taken for
    Chinese: this reader is for Chinese reports.
    """
    if len(data) > _SHORT_TEXT_BYTES or utf8.isascii() or any(is_cjk(c) for c in utf8):
        return utf8
    gb = _strict_decode(data, "gb18030")
    return gb if gb is not None and _chinese_score(gb) >= _MOSTLY_CJK else utf8


_SHORT_TEXT_BYTES = 32
_UTF16 = ("utf-16-le", "utf-16-be")


def _decode_guess(data: bytes) -> str | None:
    """Decode `data` that has no BOM and is not UTF-8: Chinese encodings first, then a detector.

    Returns None if nothing yields a decoding.
    """
    # NUL bytes rule out GB18030 (where they would be NUL characters), not UTF-16.
    encodings = _UTF16 if b"\x00" in data else ("gb18030", *_UTF16)
    best, best_score = None, 0.0
    for encoding in encodings:
        text = _strict_decode(data, encoding)
        if text is not None and text.isspace():
            return text  # blank in the likeliest encoding: an empty file, not binary
        score = 0.0
        if text is not None:
            score = _chinese_score(_without_xx00(text) if encoding in _UTF16 else text)
        if score > best_score:
            best, best_score = text, score
    if best is not None:
        return best
    utf16 = _utf16_by_nul_pattern(data)
    if utf16 is not None:
        return _strict_decode(data, utf16)
    return _detect(data)


def _without_xx00(text: str) -> str:
    """`text` without the characters U+xx00, which are no evidence for a UTF-16 byte order.

    ASCII read in the wrong byte order turns into such characters, and many are ideographs
    ("hello" becomes "栀攀氀氀漀"), so they would make a wrong reading look Chinese.
    """
    return "".join(c for c in text if ord(c) & 0xFF or ord(c) < 0x100)


def _utf16_by_nul_pattern(data: bytes) -> str | None:
    """Name the UTF-16 byte order if `data` looks like BOM-less UTF-16 of mostly Latin text.

    Latin text in UTF-16 has a NUL in every other byte; binary data has NULs scattered evenly.
    """
    if len(data) % 2:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    if even_nuls + odd_nuls < len(data) // 8:
        return None
    if odd_nuls >= 4 * even_nuls:
        return "utf-16-le"
    if even_nuls >= 4 * odd_nuls:
        return "utf-16-be"
    return None


def _detect(data: bytes) -> str | None:
    """Decode `data` with the encoding charset-normalizer finds, or None if it finds none."""
    match = from_bytes(data).best()
    # BOM-less UTF-16 was already tried above; a detector's UTF-16/32 guess on bytes that failed
    # those checks is a guess about binary data (it reads a PNG signature as UTF-16-BE).
    if match is None or (match.encoding or "").startswith(("utf_16", "utf_32")):
        return None
    if _canonical_encoding(match.encoding or "") in _CHINESE_ENCODINGS:
        text = _strict_decode(data, "gb18030")
        if text is not None:
            return text
    return str(match)


def _canonical_encoding(label: str) -> str | None:
    """Python's name for the encoding `label` (GB2312/GBK widened to GB18030); None if unknown."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # Pages labelled gb2312 or gbk routinely contain characters only GB18030 covers.
    return "gb18030" if name in ("gb2312", "gbk", "cp936") else name


def _strict_decode(data: bytes, encoding: str) -> str | None:
    """`data` decoded strictly as `encoding`, or None if it is not valid in that encoding."""
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def display_width(text: str) -> int:
    """Display width of `text`: wide (CJK) characters count two columns, others one."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


_PROSE_MARKS = re.compile("[，。；：、！？]")
_NUMBER_CELL = re.compile(r"[-+]?\d[\d,，.]*%?")
# What a table's values count, as a header names it in brackets: 合计(宗), 项目（件）, 金额(万元).
_UNIT_WORDS = (
    "件|宗|起|人|人次|名|次|场|期|个|项|条|份|篇|家|户|所|处|批|元|万元|亿元|千元|万件|万人|%|％|"
    "平方米|公里|亩|套|台|册|课时|学时"
)
_UNIT_SUFFIX = re.compile(rf"[（(](?:{_UNIT_WORDS})[）)]$")


def table_row_texts(rows: list[list[str]], headed: bool = True) -> list[str]:
    """Each row of a table of cell texts as one line that reads alone: `首列：表头 值，表头 值`.

    With two rows or more and two columns or more, the first row is the header and is not a
    line of its own (unless not `headed`: then every row is `首列：值，值`); otherwise cells are
    joined with `，`. Layout tables (a cell holding a paragraph) give their cells as they are,
    one line each."""
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    if not headed:
        rows = [[""] * max(len(row) for row in rows), *rows]
    width = max(len(row) for row in rows)
    if any(
        len(cell) > 60 or (_PROSE_MARKS.search(cell[:-1]) and len(cell) > 30) for row in rows for cell in row
    ):
        return [cell for row in rows for cell in row if cell]  # a layout table, not data
    if len(rows) < 2 or width < 2:
        return ["，".join(cell for cell in row if cell) for row in rows]
    header, body = rows[0], rows[1:]
    # The first column's header may say what the values count (`项目（件）`): each row's name
    # carries it, as a reader of the row takes it from there.
    named_unit = _UNIT_SUFFIX.search(header[0])
    out = []
    for row in body:
        first = row[0]
        pairs = []
        start = 1
        if _NUMBER_CELL.fullmatch(first) and header[0] and header[0] != first:
            # A row of numbers only (`12175 | 94929`): its first cell is a value of the first
            # column, not the row's name, so it keeps its header as the others do.
            first, start = "", 0
        elif first and named_unit and not _UNIT_SUFFIX.search(first):
            first += named_unit.group(0)
        for column, cell in enumerate(row[start:], start=start):
            if not cell:
                continue
            name = header[column] if column < len(header) else ""
            pairs.append(f"{name} {cell}" if name and name != cell else cell)
        out.append(f"{first}：{'，'.join(pairs)}" if first and pairs else first or "，".join(pairs))
    return out


# --- tables in plain text ---------------------------------------------------------------------
#
# A web page's table copied as text comes one of two ways: a row a line with its cells between
# bars or tabs (`| 项目 | 2022年 | 2023年 |`), or a cell a line (`项目` / `2022年` / `2023年` /
# `行政复议案件` / `26` / `34`). Both are rendered as table_row_texts renders a .docx or HTML
# table, so that a row reads alone and its figures get their column's header and year.

# Cells of a plain-text table row: ASCII or full-width bars, or tabs (as spreadsheets copy them).
_CELL_SEPARATOR = re.compile(r"\s*[|｜\t]\s*")
_DIGIT = re.compile(r"\d")
# One bar at either end of a row closes the row (`| 12175 | 94929 |`), it is no cell of its own.
_ROW_ENDS = re.compile(r"^\s*[|｜]|[|｜]\s*$")
_YEAR_CELL = re.compile(r"(19|20)\d\d年?度?")


def text_table_rows(lines: list[str]) -> list[tuple[str, bool]]:
    """`lines` (cleaned lines of a plain-text file) with its tables rendered as table_row_texts
    renders a .docx or HTML table: each row a line with its header cells, flagged True.

    A bar table is a run of two rows or more whose cells are separated by `|`, `｜` or tabs,
    with a digit in some row after the first; a row with one non-empty cell is the caption of
    the rows after it, a line of its own (its unit, `行政处罚实施数量(宗)`, goes to their header).
    A cell-a-line table (its cells maybe between bars a line apart, `| 规章` / `|` / `0`) is
    found only where its shape is unmistakable (see _cell_table). Any other line, a lone line
    holding a bar (`首页 | 政务公开`) among them, is passed through as it is, flagged False."""
    out: list[tuple[str, bool]] = []
    plain: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _text_cells(lines[j]) is not None:
            j += 1
        if j == i:
            plain.append(lines[i])
            i += 1
            continue
        cells = [[cell for cell in _text_cells(line) or [] if cell] for line in lines[i:j]]
        if all(len(filled) <= 1 for filled in cells):
            # `| 信息内容` / `|` / `本年制发件数` / `|`…: bars between cells a line apart, no row
            # of cells between bars; a line of bars alone holds nothing.
            plain += [filled[0] for filled in cells if filled]
            i = j
            continue
        out.extend(_cell_tables(plain))
        plain = []
        out.extend(_text_table(lines[i:j]))
        i = j
    out.extend(_cell_tables(plain))
    return out


def _text_cells(line: str) -> list[str] | None:
    """The cells of `line` if it has a cell separator (a row of a plain-text table, or its
    caption when only one cell is filled), else None."""
    if not _CELL_SEPARATOR.search(line):
        return None
    return [cell.strip() for cell in _CELL_SEPARATOR.split(_ROW_ENDS.sub("", line.strip()))]


def _is_header(cells: list[str]) -> bool:
    """True if a row's cells after the first are names or years, no figures: a header row."""
    return all(not _DIGIT.search(cell) or _YEAR_CELL.fullmatch(cell) for cell in cells[1:])


def _text_table(run: list[str]) -> list[tuple[str, bool]]:
    """A run of bar- or tab-separated lines as tables: captions split them (see text_table_rows)."""
    out: list[tuple[str, bool]] = []
    rows: list[list[str]] = []
    lines: list[str] = []
    unit = ""

    def flush() -> None:
        if len(rows) >= 2 and any(_DIGIT.search(cell) for row in rows[1:] for cell in row):
            headed = _is_header(rows[0])  # a first row holding figures is no header: none is
            out.extend((text, True) for text in table_row_texts(_with_caption_unit(rows, unit), headed))
        else:
            out.extend((line, False) for line in lines)
        rows.clear()
        lines.clear()

    for line in run:
        cells = _text_cells(line) or []
        filled = [cell for cell in cells if cell]
        if len(filled) == 1 and len(run) > 1:  # `行政处罚实施数量(宗) | ||||`: a caption
            flush()
            out.append((filled[0], False))
            named = _UNIT_SUFFIX.search(filled[0])
            unit = named.group(0) if named else ""
            continue
        if rows and len(cells) != len(rows[0]):
            flush()  # another width: another table, which has its own header
            unit = ""
        elif len(rows) >= 2 and _is_header(cells) and _DIGIT.search(lines[-1]):
            flush()  # names or years after a row of figures: the header of the next table
            unit = ""
        rows.append(cells)
        lines.append(line)
    flush()
    return out


def _with_caption_unit(rows: list[list[str]], unit: str) -> list[list[str]]:
    """`rows` with the unit its caption names (`(宗)`) on the header cells that name none: the
    first column's when the rows have names, else every column's but a year's."""
    if not unit or len(rows) < 2:
        return rows
    header = rows[0]
    named_rows = any(row[0] and not _NUMBER_CELL.fullmatch(row[0]) for row in rows[1:])
    columns = [0] if named_rows else range(len(header))
    marked = [
        cell + unit
        if i in columns and cell and not _UNIT_SUFFIX.search(cell) and not _YEAR_CELL.fullmatch(cell)
        else cell
        for i, cell in enumerate(header)
    ]
    return [marked, *rows[1:]]


# --- a cell a line ---

# A cell holding a number: 26, 1,200, 92.0%, 26件, -3.5 (no date, code or phone number).
_NUMBER_LINE = re.compile(
    rf"[-+]?\d{{1,3}}(?:,\d{{3}})*(?:\.\d+)?(?:{_UNIT_WORDS})?|[-+]?\d+(?:\.\d+)?(?:{_UNIT_WORDS})?"
)
# A name cell is short and holds no sentence punctuation (a heading `一、…` or a clause is none).
_NAME_CELL_CHARS = 16
_SENTENCE_MARKS = re.compile(r"[，,。；;：:！!？?]")
_BARE_YEAR = re.compile(r"(?:19|20)\d\d")

# A cell left blank the way tables mark it: —, -, /, 无.
_DASH_CELL = re.compile(r"[—–\-－/／]{1,2}|无")


def _is_number(line: str) -> bool:
    """A number cell, or one marked blank (a dash) in a row of numbers."""
    return (_NUMBER_LINE.fullmatch(line) is not None and not _BARE_YEAR.fullmatch(line)) or bool(
        _DASH_CELL.fullmatch(line)
    )


def _is_name(line: str) -> bool:
    """A name cell: short, no number, no sentence punctuation, no `一、` heading."""
    return (
        len(line) <= _NAME_CELL_CHARS
        and not _SENTENCE_MARKS.search(line)
        and not _NUMBER_LINE.fullmatch(line)
        and not line.startswith(
            ("一、", "二、", "三、", "四、", "五、", "六、", "七、", "八、", "九、", "十、")
        )
    )


def _is_head(line: str) -> bool:
    """A header cell: a name or a year (`2022年`, or bare `2022`)."""
    return _is_name(line) or _BARE_YEAR.fullmatch(line) is not None


def _cell_tables(lines: list[str]) -> list[tuple[str, bool]]:
    """Plain `lines` (no bar table among them) with the tables written a cell a line rendered
    as table rows, flagged True; every other line as it is, flagged False."""
    out: list[tuple[str, bool]] = []
    done = 0  # lines before this are in `out`
    i = 0
    while i + 1 < len(lines):
        if not (_is_name(lines[i]) and _is_number(lines[i + 1])):
            i += 1
            continue
        start, end, rows = _cell_table(lines, i, done)
        if not rows:
            # No row from here to `end` has a header before it (the lines before each are
            # another row's), so none starts a table: each line is tried once.
            i = max(i + 1, end - 1)
            continue
        out.extend((line, False) for line in lines[done:start])
        out.extend((text, True) for text in table_row_texts(rows))
        done = i = end
    out.extend((line, False) for line in lines[done:])
    return out


def _cell_table(lines: list[str], label: int, floor: int) -> tuple[int, int, list[list[str]]]:
    """The table written a cell a line whose first row is named at `label` (its numbers follow):
    (where its header starts, where it ends, its rows with the header first); when there is
    none, no rows and where the rows looked at end.

    Only an unmistakable shape is a table: a header of 2 or more short cells (names or years) right
    before `label`; then rows, each a name (a long name may wrap onto a second line) and the same
    count n ≥ 1 of numbers; at least two rows, three when n is 1, and their numbers not merely
    1, 2, 3… (a numbered list). The header has n + 1 cells (the first names the column of row
    names), n, or twice either (two tables side by side share a row: `收案数` `受理数` `收案数`
    `受理数`). A row of n ≥ 3 numbers right after exactly n names (`警告` `罚款` `拘留` `31` `54`
    `59`) is one too."""
    n = _numbers_from(lines, label + 1)
    rows = [[lines[label], *_blanked(lines[label + 1 : label + 1 + n])]]
    at = label + 1 + n
    while at < len(lines):
        for wrapped in (1, 2):
            names = lines[at : at + wrapped]
            if (
                len(names) == wrapped
                and all(map(_is_name, names))
                and _numbers_from(lines, at + wrapped) == n
            ):
                rows.append(["".join(names), *_blanked(lines[at + wrapped : at + wrapped + n])])
                at += wrapped + n
                break
        else:
            break
    if (
        len(rows) < (3 if n == 1 else 2)
        or _numbered_list(rows)
        or not any(c for row in rows for c in row[1:])
    ):
        return _number_row(lines, label + 1, floor) or (label, at, [])
    for width in (2 * (n + 1), 2 * n, n + 1, n):
        start = label - width
        cells = lines[start:label]
        if width < 2 or start < floor or not all(map(_is_head, cells)):
            continue
        if width in (2 * n, 2 * (n + 1)) and width > n + 1 and cells[: width // 2] != cells[width // 2 :]:
            continue
        header = cells[: width // 2] if width in (2 * n, 2 * (n + 1)) and width > n + 1 else cells
        header = [f"{c}年" if _BARE_YEAR.fullmatch(c) else c for c in header]
        if len(header) == n:
            header = ["", *header]
        return start, at, [header, *rows]
    return _number_row(lines, label + 1, floor) or (label, at, [])


def _blanked(cells: list[str]) -> list[str]:
    """Number cells with those marked blank (—) empty, as a table's empty cells are."""
    return ["" if _DASH_CELL.fullmatch(cell) else cell for cell in cells]


def _numbers_from(lines: list[str], at: int) -> int:
    """How many number cells follow one another from `at`."""
    n = 0
    while at + n < len(lines) and _is_number(lines[at + n]):
        n += 1
    return n


def _numbered_list(rows: list[list[str]]) -> bool:
    """Whether the rows' numbers are 1, 2, 3…: a list numbered a line apart, not figures."""
    values = [cell for row in rows for cell in row[1:]]
    return values == [str(k) for k in range(1, len(values) + 1)]


def _number_row(lines: list[str], at: int, floor: int) -> tuple[int, int, list[list[str]]] | None:
    """A header of n ≥ 3 names right before `at` and n numbers from `at`, then no more: one row."""
    n = _numbers_from(lines, at)
    start = at - n
    if n < 3 or start < floor or not all(map(_is_name, lines[start:at])):
        return None
    if start > floor and _is_name(lines[start - 1]):
        return None  # more names than numbers: cells left empty or names wrapped, no telling which
    values = _blanked(lines[at : at + n])
    if not any(values):
        return None
    return start, at + n, [lines[start:at], values]
