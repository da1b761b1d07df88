"""Turn a report file (.txt, .docx, .pdf, .html) into its text as a list of logical lines.

This module only extracts text: it does not interpret headings or metadata. Every refusal is an
`UnreadableFile` whose message names the file and says why it could not be read.
"""

from __future__ import annotations

import codecs
import io
import pathlib
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any

import docx
from charset_normalizer import from_bytes
from docx.exceptions import PythonDocxError
from docx.opc.exceptions import OpcError
from lxml import etree
from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from retrieval.errors import UnreadableFile
from retrieval.models import Document, Line

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".docx", ".pdf", ".html", ".htm"})
MAX_FILE_BYTES = 20 * 1024 * 1024

_EMPTY = "file is empty"
_BINARY = "not a text file (binary data)"
_TOO_LARGE = "file is larger than 20 MB"
_BAD_DOCX = "not a valid .docx file"
_BAD_PDF = "not a valid PDF file"
_ENCRYPTED_PDF = "PDF is encrypted"
_NO_TEXT_LAYER = "PDF has no text layer (scanned?)"


def read_path(path: pathlib.Path) -> list[str]:
    """Read the file at `path` and return its lines as `read_lines(path.name, data)` does.

    Raises UnreadableFile (never OSError) when the file cannot be opened or read.
    """
    try:
        # Check the size before reading so a huge file is refused without loading it.
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableFile(path.name, _TOO_LARGE)
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(path.name, f"cannot read file ({exc.strerror or exc})") from exc
    return read_lines(path.name, data)


def read_document(name: str, data: bytes) -> Document:
    """The file `name` (whose content is `data`) as a Document: its logical lines, with the
    heading levels the file's own structure gives, and what a web page says of itself.

    Raises UnreadableFile as `read_lines` does."""
    return Document(tuple(Line(text) for text in read_lines(name, data)))


def read_lines(name: str, data: bytes) -> list[str]:
    """Return the text of the file `name` (whose content is `data`) as logical lines.

    The format is chosen by the suffix of `name` (case-insensitive). Lines come in document
    order, each stripped of surrounding whitespace, with control characters and Word bookmark
    artefacts removed; empty lines are dropped. The result is never empty: a file without text
    raises UnreadableFile, as does an unsupported, oversized, corrupt or encrypted file.
    """
    suffix = pathlib.PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "without a suffix"
        raise UnreadableFile(name, f"unsupported file type {shown} (use .txt, .docx, .pdf or .html)")
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(name, _TOO_LARGE)
    if not data:
        raise UnreadableFile(name, _EMPTY)
    if suffix == ".docx":
        lines = _clean_lines(_docx_paragraphs(name, data))
    elif suffix == ".pdf":
        lines = _pdf_lines(name, data)
    elif suffix in (".html", ".htm"):
        lines = _html_lines(name, data)
    else:
        text = _decode_text(name, data)
        _require_text(name, text)
        lines = _clean_lines([text])
    if not lines:
        raise UnreadableFile(name, _NO_TEXT_LAYER if suffix == ".pdf" else _EMPTY)
    return lines


# --- line clean-up shared by all formats -------------------------------------------------------

# Converters from .docx to text leave Word's hidden bookmarks behind, e.g. "[bookmark: _GoBack]".
_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]", re.IGNORECASE)
# PDF extraction often yields Kangxi radicals (U+2F00..U+2FD5) instead of the identical-looking
# ideographs ("⼀" for "一"); map just those, since full NFKC would also turn "（一）" into "(一)".
_KANGXI_TO_IDEOGRAPH = {cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)}
# Invisible characters that are not whitespace, so str.strip() would keep them.
_INVISIBLE = {ord(c): None for c in "\ufeff\u200b\u200c\u200d\u2060\u00ad"}


def _clean_lines(chunks: Iterable[str]) -> list[str]:
    """Split `chunks` into lines at any line break and return the non-empty cleaned lines."""
    lines = []
    for chunk in chunks:
        for raw in chunk.splitlines():  # also splits at "\r\n", "\r", "\f", U+2028...
            line = _clean_line(raw)
            if line:
                lines.append(line)
    return lines


def _clean_line(raw: str) -> str:
    """Return `raw` (one line) normalised: NFC, no controls or bookmarks, stripped (maybe "")."""
    text = unicodedata.normalize("NFC", raw.translate(_KANGXI_TO_IDEOGRAPH))
    text = _BOOKMARK.sub("", text).translate(_INVISIBLE)
    # Tabs separate table cells, so they stay; every other control character goes.
    text = "".join(c for c in text if c == "\t" or unicodedata.category(c) != "Cc")
    return text.strip()  # str.strip() also removes U+3000 and NBSP


# --- character statistics used to tell text from binary data ---------------------------------


def _is_cjk(char: str) -> bool:
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
    cjk = sum(_is_cjk(c) for c in visible)
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
    words = sum(_is_cjk(c) or unicodedata.category(c)[0] in ("L", "N") for c in visible)
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


def _decode_text(name: str, data: bytes, declared: str | None = None) -> str:
    """Decode `data` (a text file) to str, detecting its encoding.

    `declared` is an encoding the document names itself (an HTML meta charset); a BOM and valid
    UTF-8 take precedence over it. Raises UnreadableFile if no encoding yields text.
    """
    if data.startswith(_BINARY_SIGNATURES):
        raise UnreadableFile(name, _BINARY)
    text = _decode_known(data, declared)
    if text is None:
        text = _decode_guess(data)
    if text is None:
        raise UnreadableFile(name, _BINARY)
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


def _require_text(name: str, text: str) -> None:
    """Raise UnreadableFile unless decoded `text` has visible characters that read as text."""
    if not text.strip():
        raise UnreadableFile(name, _EMPTY)
    if not _looks_like_text(text):
        raise UnreadableFile(name, _BINARY)


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
    if len(data) > _SHORT_TEXT_BYTES or utf8.isascii() or any(_is_cjk(c) for c in utf8):
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


# --- .docx ----------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_paragraphs(name: str, data: bytes) -> list[str]:
    """Return the body paragraphs of a .docx in order; a table row gives one tab-joined line."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (
        OpcError,  # includes "package not found"
        PythonDocxError,
        zipfile.BadZipFile,
        zlib.error,
        KeyError,  # a zip without the parts a Word document needs
        ValueError,  # another kind of OOXML package (.xlsx, .pptx)
        EOFError,
        etree.LxmlError,  # malformed XML inside the package
    ) as exc:
        raise UnreadableFile(name, _BAD_DOCX) from exc
    return list(_docx_blocks(document.element.body))


def _docx_blocks(container: Any) -> Iterator[str]:
    """Yield the text of each paragraph and table row directly in `container`, in order."""
    for child in container.iterchildren():
        if child.tag == f"{_W}p":
            yield _docx_paragraph_text(child)
        elif child.tag == f"{_W}tbl":
            for row in child.iterchildren(f"{_W}tr"):
                yield _docx_row_text(row)
        elif child.tag == f"{_W}sdt":  # content control: its content is ordinary body text
            for content in child.iterchildren(f"{_W}sdtContent"):
                yield from _docx_blocks(content)


def _docx_row_text(row: Any) -> str:
    """Text of a table row: non-empty cells joined by tabs, paragraphs in a cell by spaces."""
    cells = []
    for cell in row.iterchildren(f"{_W}tc"):
        text = " ".join(_docx_paragraph_text(p) for p in cell.iter(f"{_W}p"))
        text = " ".join(text.split("\n")).strip()  # keep the row on one line
        if text:
            cells.append(text)
    return "\t".join(cells)


def _docx_paragraph_text(paragraph: Any) -> str:
    """Visible text of a w:p element, including hyperlinks, fields and tracked insertions.

    python-docx's Paragraph.text reads only top-level runs and hyperlinks; this also reads runs
    nested in w:ins, w:smartTag, w:fldSimple and inline content controls, but not deleted text
    or text boxes (whose paragraphs are not part of the body flow).
    """
    return "".join(run.text for run in _VISIBLE_RUNS(paragraph))


# Runs are python-docx CT_R elements, whose .text renders w:t, w:tab, w:br and the like.
_VISIBLE_RUNS = etree.XPath(
    ".//w:r[not(ancestor::w:del) and not(ancestor::w:txbxContent) and not(ancestor::mc:Fallback)]",
    namespaces={
        "w": _W[1:-1],
        "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    },
)


# --- .pdf -----------------------------------------------------------------------------------


def _pdf_lines(name: str, data: bytes) -> list[str]:
    """Return the paragraphs of a PDF's text layer, rejoining lines that extraction broke."""
    raw_lines = [line for page in _pdf_page_texts(name, data) for line in _pdf_page_lines(page)]
    return _join_wrapped(raw_lines)


# pypdf raises many kinds of errors on malformed files, not only its own PdfReadError.
_PDF_ERRORS: tuple[type[Exception], ...] = (
    PyPdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    OSError,
    zlib.error,
)


def _pdf_page_texts(name: str, data: bytes) -> list[str]:
    """Extract the text of each page with pypdf, decrypting with an empty password if needed."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _pdf_decrypt_empty(reader):
            raise UnreadableFile(name, _ENCRYPTED_PDF)
        return [page.extract_text() or "" for page in reader.pages]
    except DependencyError as exc:  # e.g. AES encryption without the cryptography package
        raise UnreadableFile(name, _ENCRYPTED_PDF) from exc
    except _PDF_ERRORS as exc:
        raise UnreadableFile(name, _BAD_PDF) from exc


def _pdf_decrypt_empty(reader: Any) -> bool:
    """Try the empty user password (many PDFs are 'encrypted' only to restrict printing)."""
    return bool(reader.decrypt("") != PasswordType.NOT_DECRYPTED)


# A page number on a line of its own: "3", "- 3 -", "— 3 —", "第3页", "第 3 页 共 10 页", "3/10".
_PAGE_NUMBER = re.compile(
    r"[-—–－·\s]*(?:第\s*)?\d{1,3}\s*(?:页)?\s*(?:(?:[/／]|共)\s*\d{1,3}\s*(?:页)?)?[-—–－·\s]*"
)


def _pdf_page_lines(page_text: str) -> list[str]:
    """Cleaned lines of one page's text without page numbers; "" marks a blank line."""
    lines = [_clean_line(raw) for raw in page_text.splitlines()]
    return [line for line in lines if not _PAGE_NUMBER.fullmatch(line)]


# Marks that begin a numbered heading or enumerated point: "一、" "（一）" "(1)" "1." "1、"
# "一是" "第一章" "①". A line starting with one begins a new paragraph.
_HEADING_START = re.compile(
    r"(?:[一二三四五六七八九十百]+[、．.]"
    r"|[（(][一二三四五六七八九十百\d]+[）)]"
    r"|\d{1,3}(?:\.\d{1,3})*[.、．](?!\d)"
    r"|[一二三四五六七八九十]+是"
    r"|第[一二三四五六七八九十百\d]+[章节条部分]"
    r"|[①-⑳])"
)
_SENTENCE_END = frozenset("。！？；：!?;:")
_CLOSERS = "”’」』）)》〉】"
# A line at least this share of the widest lines' width is a full line that the layout wrapped;
# a shorter line without final punctuation is a title, heading or signature and stands alone.
_FULL_LINE_SHARE = 0.75


def _join_wrapped(lines: list[str]) -> list[str]:
    """Rejoin lines that PDF layout wrapped into paragraphs; "" entries are paragraph breaks.

    A line is joined to the next when it is full-width, does not end a sentence, and the next
    line does not start a heading. Chinese lines join without a space, Latin words with one.
    """
    full_width = _typical_full_width([line for line in lines if line])
    paragraphs: list[str] = []
    previous = ""  # the last physical line, whose shape decides whether the next one joins it
    for line in lines:
        if line and previous and _continues(previous, line, full_width):
            paragraphs[-1] += _joiner(previous, line) + line
        elif line:
            paragraphs.append(line)
        previous = line
    return paragraphs


def _continues(previous: str, line: str, full_width: float) -> bool:
    """True if `line` continues the paragraph whose last physical line was `previous`."""
    ends_sentence = previous.rstrip(_CLOSERS)[-1:] in _SENTENCE_END
    was_wrapped = _width(previous) >= _FULL_LINE_SHARE * full_width
    return was_wrapped and not ends_sentence and not _HEADING_START.match(line)


def _joiner(left: str, right: str) -> str:
    """The text between two joined lines: a space between Latin words, else nothing."""
    return " " if left[-1:].isascii() and left[-1:].isalpha() and right[:1].isascii() else ""


def _width(line: str) -> int:
    """Display width of `line`: wide (CJK) characters count two columns, others one."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def _typical_full_width(lines: list[str]) -> float:
    """Width of a full line: a high percentile of line widths, robust to a few long outliers."""
    if not lines:
        return 0.0
    widths = sorted(_width(line) for line in lines)
    return float(widths[int(0.9 * (len(widths) - 1))])


# --- .html ----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _html_lines(name: str, data: bytes) -> list[str]:
    """Return the visible body text of an HTML page, one line per block element or <br>."""
    match = _META_CHARSET.search(data[:4096])
    declared = match.group(1).decode("ascii") if match else None
    parser = _TextExtractor()
    parser.feed(_decode_text(name, data, declared))
    parser.close()
    # Judge the shown text, not the markup: tags are mostly symbols and would look like junk.
    text = parser.text()
    _require_text(name, text)
    return _clean_lines([text])


class _TextExtractor(HTMLParser):
    """Collects the text an HTML page shows, with a line break at each block boundary."""

    _BLOCKS = frozenset(
        {
            *("address", "article", "aside", "blockquote", "body", "br", "caption", "dd"),
            *("div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form"),
            *("h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav"),
            *("ol", "p", "pre", "section", "table", "tbody", "tfoot", "thead", "tr", "ul"),
        }
    )
    _CELLS = frozenset({"td", "th"})
    # Elements whose content is never body text. <title> belongs in <head>, but is skipped even
    # where a sloppy page puts it.
    _HIDDEN = frozenset({"script", "style", "title", "noscript", "template", "svg"})
    # Marks a line break in the source; resolved in text(), when both neighbours are known.
    _SOURCE_BREAK = "\ue000"

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._in_head = False
        self._hidden_depth = 0
        self._pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._in_head = True
        elif tag in self._BLOCKS:
            self._in_head = False  # <body> or body content ends a <head> left open
        if tag in self._HIDDEN:
            self._hidden_depth += 1
        elif tag == "pre":
            self._pre_depth += 1
        if tag in self._BLOCKS:
            self._parts.append("\n")
        elif tag in self._CELLS:
            self._parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag in self._HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in self._BLOCKS:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_head or self._hidden_depth:
            return
        if not self._pre_depth:
            # Outside <pre>, a line break in the source is white space, not a new line.
            data = _HTML_SOURCE_BREAK.sub(self._SOURCE_BREAK, data)
        self._parts.append(data)

    def text(self) -> str:
        """The collected text. A source line break vanishes between CJK characters (as Chinese
        has no spaces between words) and becomes a space elsewhere."""
        text = _HTML_BREAK_IN_CJK.sub("", "".join(self._parts))
        return text.replace(self._SOURCE_BREAK, " ")


# ASCII white space only: an &nbsp; or a full-width space is content.
_HTML_SOURCE_BREAK = re.compile(r"[ \t\f]*[\r\n][ \t\f\r\n]*")
_CJK_CLASS = "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_HTML_BREAK_IN_CJK = re.compile(f"(?<={_CJK_CLASS}){_TextExtractor._SOURCE_BREAK}+(?={_CJK_CLASS})")
