"""A PDF's text as logical lines: printed lines placed on their pages, the page furniture
(running headers and footers, page numbers) taken away, and wrapped lines joined back into
their paragraphs, also across page breaks.

A PDF knows only where each run of text is drawn, so paragraphs are found from the layout, as
a reader of the printed page finds them. Chinese official documents (公文, GB/T 9704) indent
the first line of each paragraph and of each heading by two characters and fill every other
line to the right margin; so a line that reaches the right margin, followed by a line that
starts at the left margin, is one paragraph wrapped. Where a document does not indent its
paragraphs, the text decides: a full line that does not end a sentence, followed by a line
that does not open a numbered heading.

A scanned PDF (no text layer) is read by OCR (`retrieval.ocr`), whose lines come with their
boxes and go through the same joining.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from retrieval.decode import clean_line
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.pagelines import PageLine, merge_runs

Progress = Callable[[int, int], None]

BAD_PDF = "not a valid PDF file"
ENCRYPTED_PDF = "PDF is encrypted"
# An annual report runs to tens of pages; these bound what a hostile or broken file can cost.
# The time is checked between pages (one page cannot be interrupted).
MAX_PAGES = 500
MAX_SCANNED_PAGES = 100  # OCR takes seconds a page
TIME_LIMIT_S = 300.0


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


def open_pdf(name: str, data: bytes) -> PdfReader:
    """The PDF in `data`, decrypted with the empty password if it needs one.

    Raises UnreadableFile when it is not a PDF or is locked with a real password."""
    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are 'encrypted' only to restrict printing: the empty password opens them.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise UnreadableFile(name, ENCRYPTED_PDF, Unreadable.ENCRYPTED_PDF)
        len(reader.pages)  # a broken page tree shows here rather than later
    except DependencyError as exc:  # e.g. AES encryption without the cryptography package
        raise UnreadableFile(name, ENCRYPTED_PDF, Unreadable.ENCRYPTED_PDF) from exc
    except _PDF_ERRORS as exc:
        raise UnreadableFile(name, BAD_PDF, Unreadable.BAD_PDF) from exc
    return reader


def pdf_lines(name: str, data: bytes, progress: Progress | None = None) -> list[str]:
    """The logical lines of the PDF `data`: its paragraphs and its short lines (titles, red
    head, document number, addressee, signature, date), in reading order, without page
    furniture. A page without a text layer is read by OCR when the extra is installed.

    `progress(page, pages)` is called after each page. Raises UnreadableFile, also for a scan
    when OCR is not installed (the reason names the extra)."""
    from retrieval import ocr  # imports nothing heavy until a page needs OCR

    reader = open_pdf(name, data)
    pages: list[list[PageLine]] = []
    total = len(reader.pages)
    if total > MAX_PAGES:
        raise UnreadableFile(
            name, f"PDF has more than {MAX_PAGES} pages", Unreadable.TOO_MANY_PAGES, str(MAX_PAGES)
        )
    deadline = time.monotonic() + TIME_LIMIT_S
    ocr_missing = False
    scanned = 0
    for number, page in enumerate(reader.pages, start=1):
        try:
            lines = text_layer_lines(page)
        except _PDF_ERRORS as exc:
            raise UnreadableFile(name, BAD_PDF, Unreadable.BAD_PDF) from exc
        if not lines and not ocr_missing:
            scanned += 1
            if scanned > MAX_SCANNED_PAGES:
                raise UnreadableFile(
                    name,
                    f"PDF has more than {MAX_SCANNED_PAGES} scanned pages",
                    Unreadable.TOO_MANY_SCANS,
                    str(MAX_SCANNED_PAGES),
                )
            try:
                lines = ocr.page_lines(page)
            except ocr.OcrUnavailable:
                ocr_missing = True
        if time.monotonic() > deadline:
            raise UnreadableFile(
                name,
                f"PDF took more than {TIME_LIMIT_S:g} s to read",
                Unreadable.TOO_SLOW,
                f"{TIME_LIMIT_S:g}",
            )
        pages.append(lines)
        if progress:
            progress(number, total)
    if ocr_missing and not any(pages):
        raise UnreadableFile(name, ocr.NEEDS_OCR, Unreadable.NEEDS_OCR)
    return join_paragraphs(pages)


# --- the text layer ------------------------------------------------------------------------


def text_layer_lines(page: Any) -> list[PageLine]:
    """The printed lines of one pypdf page, top to bottom, each with its position."""
    runs: list[PageLine] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, font_size: float) -> None:
        if not text.strip():
            return
        a, b, _, _, e, f = _multiply(tm, cm)
        size = abs(font_size * math.hypot(a, b)) or abs(font_size) or 1.0
        if abs(b) > 0.1 * abs(a):
            return  # rotated text is a stamp or a margin note, not a line of the report
        # pypdf hands over a run of text at its starting point; a line break inside it moves on
        # by one line (only its first part's place is known).
        for i, piece in enumerate(text.split("\n")):
            piece = clean_line(piece)
            if piece:
                x1 = e + _text_width(piece) * size
                runs.append(PageLine(piece, e, x1, f - i * 1.2 * size, size))

    page.extract_text(visitor_text=visit)
    return _runs_to_lines(runs)


def _multiply(m: Sequence[float], n: Sequence[float]) -> tuple[float, ...]:
    """The product m × n of two PDF matrices [a b c d e f]."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _text_width(text: str) -> float:
    """Width of `text` in ems: a CJK character is a square em, a Latin letter or digit half.
    (Close enough for finding the margins; the exact glyph widths are in the font.)"""
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F", "A") else 0.5 for c in text)


def _runs_to_lines(runs: list[PageLine]) -> list[PageLine]:
    """Runs on the same baseline merged into one line each, lines from the top of the page."""
    lines: list[list[PageLine]] = []
    for run in sorted(runs, key=lambda r: (-r.y, r.x0)):
        if lines and abs(lines[-1][0].y - run.y) <= 0.4 * max(run.size, lines[-1][0].size):
            lines[-1].append(run)
        else:
            lines.append([run])
    return [merge_runs(line) for line in lines]


# --- page furniture ------------------------------------------------------------------------

# A page number on a line of its own: "3", "- 3 -", "— 3 —", "第3页", "第 3 页 共 10 页", "3/10".
_PAGE_NUMBER = re.compile(
    r"[-—–－·\s]*(?:第\s*)?\d{1,4}\s*(?:页)?\s*(?:(?:[/／]|共)\s*\d{1,4}\s*(?:页)?)?[-—–－·\s]*"
)
# Running headers and footers sit among the first or last lines of a page.
_EDGE_LINES = 2


def _furniture_key(line: PageLine) -> str:
    """What a running header or footer looks like on every page: its text with numbers
    masked (a header may carry the page number) and spaces dropped."""
    return re.sub(r"\d+", "#", "".join(line.text.split()))


def without_furniture(pages: list[list[PageLine]]) -> list[list[PageLine]]:
    """`pages` without page numbers and without running headers and footers: a line found
    among the edge lines of two or more pages (same text, numbers aside, same size)."""
    pages = [_without_page_numbers(page) for page in pages]
    seen: Counter[tuple[str, float]] = Counter()
    for page in pages:
        keys = {(_furniture_key(line), round(line.size)) for line in _edges(page)}
        seen.update(keys)
    repeated = {key for key, count in seen.items() if count >= 2}
    in_margin = _in_margin(pages)
    cleaned = []
    for page in pages:
        edges = {id(line) for line in _edges(page)}
        cleaned.append(
            [
                line
                for line in page
                if id(line) not in edges
                or not ((_furniture_key(line), round(line.size)) in repeated or in_margin(line))
            ]
        )
    return cleaned


def _in_margin(pages: list[list[PageLine]]) -> Callable[[PageLine], bool]:
    """A test for small print in the top or bottom margin: smaller than the body text and
    above (or below) every line of body text on any page. That is a running header or
    footer even where it appears once (公文 print the header from page 2 on)."""
    lines = [line for page in pages for line in page]
    if not lines:
        return lambda line: False
    size = _body_size(lines)
    body_ys = [line.y for line in lines if _is_body(line, size)]
    top, bottom = max(body_ys), min(body_ys)

    def test(line: PageLine) -> bool:
        small = line.size <= 0.85 * size
        return small and (line.y > top + 0.5 * size or line.y < bottom - 0.5 * size)

    return test


def _edges(page: list[PageLine]) -> list[PageLine]:
    return page[:_EDGE_LINES] + page[max(_EDGE_LINES, len(page) - _EDGE_LINES) :]


def _without_page_numbers(page: list[PageLine]) -> list[PageLine]:
    edges = {id(line) for line in _edges(page)}
    return [line for line in page if not (id(line) in edges and _PAGE_NUMBER.fullmatch(line.text))]


# --- paragraphs ----------------------------------------------------------------------------

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
# A line ending with one of these ends its paragraph, unless the layout says otherwise. Not
# "；": it ends a clause, and wrapped items of a list run on after it.
_PARAGRAPH_END = frozenset("。！？：!?:")
# A line ending within this many ems of the right margin is full: the layout wrapped it. (Line
# ends are estimated from character counts, which are off by about an em when a line holds
# quotes or Latin text; a paragraph's last line is rarely this close to full.)
_FULL_SLACK = 2.0
_CLOSERS = "”’」』）)》〉】"
_INSIDE_SENTENCE = re.compile("[，。；：！？,;]")


@dataclass(frozen=True, slots=True)
class _Margins:
    """Where a page's body text starts and ends, and the body font size."""

    left: float
    right: float
    size: float


def join_paragraphs(pages: list[list[PageLine]]) -> list[str]:
    """The logical lines of `pages` (each top to bottom): furniture removed, wrapped lines
    joined into paragraphs, a paragraph running over a page break joined too."""
    pages = without_furniture(pages)
    body = [line for page in pages for line in page]
    if not body:
        return []
    size = _body_size(body)
    whole = _margins(body, size, None)
    indents = _uses_indents(body, whole)
    out: list[str] = []
    previous: tuple[PageLine, _Margins] | None = None
    for page in pages:
        margins = _margins(page, size, whole)
        for line in page:
            if previous and _continues(*previous, line, margins, indents):
                out[-1] += _joiner(out[-1], line.text) + line.text
            else:
                out.append(line.text)
            previous = (line, margins)
    return out


def _body_size(lines: list[PageLine]) -> float:
    """The font size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0]


def _is_body(line: PageLine, size: float) -> bool:
    return abs(line.size - size) <= 0.2 * size


def _margins(lines: list[PageLine], size: float, fallback: _Margins | None) -> _Margins:
    """The left and right edges of body text. Left: the leftmost start shared by two body
    lines or more (one line alone may be a stray). Right: where most full lines end, the
    commonest end among the longer half of the lines (ends are estimated, so they scatter
    by an em or so)."""
    body = [line for line in lines if _is_body(line, size)]
    left = _shared_lowest([line.x0 for line in body], size)
    right = _commonest_end([line.x1 for line in body], size)
    if fallback is not None:
        left = fallback.left if left is None else left
        right = fallback.right if right is None else right
    if left is None or right is None:  # one line: no layout to read
        left = min((line.x0 for line in lines), default=0.0) if left is None else left
        right = max((line.x1 for line in lines), default=0.0) if right is None else right
    return _Margins(left, right, size)


def _shared_lowest(values: list[float], size: float) -> float | None:
    ordered = sorted(values)
    for here, after in itertools.pairwise(ordered):
        if after - here <= 0.5 * size:
            return here
    return None


def _commonest_end(ends: list[float], size: float) -> float | None:
    if len(ends) < 2:
        return None
    longer = sorted(ends)[len(ends) // 2 :]
    bins = Counter(round(end / (0.5 * size)) for end in longer)
    best = max(bins.items(), key=lambda item: (item[1], item[0]))[0]
    return max(end for end in longer if round(end / (0.5 * size)) == best)


def _uses_indents(lines: list[PageLine], margins: _Margins) -> bool:
    """True when the document starts its paragraphs with a first-line indent: a paragraph
    that wraps (a full line right after a line that stopped short) more often starts
    indented by one to three characters than flush left. Short lines after short lines are
    not counted: indented list items say nothing about how paragraphs start."""
    em = margins.size
    indented = flush = 0
    for before, after in itertools.pairwise(lines):
        if not (_is_body(before, em) and _is_body(after, em)):
            continue
        if _is_full(before, margins) or not _is_full(after, margins):
            continue
        offset = after.x0 - margins.left
        if 0.8 * em <= offset <= 3.3 * em:
            indented += 1
        elif offset <= 0.6 * em:
            flush += 1
    return indented > flush


def _is_full(line: PageLine, margins: _Margins) -> bool:
    """True if `line` reaches the right margin (the layout wrapped it there)."""
    return line.x1 >= margins.right - _FULL_SLACK * margins.size


def _continues(
    previous: PageLine, prev_margins: _Margins, line: PageLine, margins: _Margins, indents: bool
) -> bool:
    """True if `line` continues the paragraph whose last printed line was `previous`."""
    em = margins.size
    if not (_is_body(previous, em) and _is_body(line, em)):
        return False
    filled = _is_full(previous, prev_margins)
    flush_left = line.x0 <= margins.left + 0.6 * em
    if not (filled and flush_left):
        return False
    if indents:
        # A new paragraph or heading would be indented: this line is the rest of the last one.
        return True
    text = previous.text.rstrip(_CLOSERS)
    if text[-1:] in _PARAGRAPH_END or _HEADING_START.match(line.text):
        return False
    if _HEADING_START.match(previous.text) and not _INSIDE_SENTENCE.search(previous.text):
        # A heading that fills its line goes on only into a short tail that ends it.
        return not _INSIDE_SENTENCE.search(line.text[:-1]) and line.x1 < margins.right - _FULL_SLACK * em
    return True


def _joiner(left: str, right: str) -> str:
    """The text between two joined lines: a space between Latin words, else nothing."""
    return " " if left[-1:].isascii() and left[-1:].isalpha() and right[:1].isascii() else ""
