"""Turn a report file (.txt, .docx, .pdf, .html) into a Document: its logical lines in order.

This stage only reads: it keeps every line the report has (title lines, red head, document
number, addressee, body, signature, date) as separate lines and takes away only what is not
the report — a web page's menus and footers, a PDF's running headers and page numbers, Word's
page headers. It records what the file itself says about structure (Word heading styles, an
HTML <h1>) in `Line.level` and leaves judging the text to `retrieval.parse`.

One module per format: `retrieval.decode` (text encodings, line clean-up), `retrieval.pdf`
(with `retrieval.ocr` for scans), `retrieval.word`, `retrieval.webpage`. Every refusal is an
`UnreadableFile` whose message names the file and says why it could not be read.
"""

from __future__ import annotations

import pathlib
import stat

from retrieval.decode import EMPTY, clean_lines, decode_text, require_text, text_table_rows
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.models import Document, Line
from retrieval.pdf import Progress, pdf_lines
from retrieval.webpage import webpage_document
from retrieval.word import docx_lines

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".docx", ".pdf", ".html", ".htm"})
MAX_FILE_BYTES = 20 * 1024 * 1024

_LIMIT_MB = f"{MAX_FILE_BYTES // (1024 * 1024)}"
_TOO_LARGE = f"file is larger than {_LIMIT_MB} MB"
# Word 97–2003 and WPS's own format: asked for often, and the fix is one "save as .docx".
OLD_WORD_SUFFIXES = frozenset({".doc", ".wps"})
_NO_TEXT = "PDF has no text"
_NOT_REGULAR = "not a regular file"


def read_path(path: pathlib.Path, progress: Progress | None = None) -> list[str]:
    """Read the file at `path` and return its lines as `read_lines(path.name, data)` does.

    Raises UnreadableFile (never OSError) when the file cannot be opened or read.
    """
    try:
        # Check before reading: a huge file is refused without loading it, and a device or
        # FIFO (/dev/zero, a pipe) would never end or never start.
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path.name, _NOT_REGULAR, Unreadable.NOT_REGULAR)
        if info.st_size > MAX_FILE_BYTES:
            raise UnreadableFile(path.name, _TOO_LARGE, Unreadable.TOO_LARGE, _LIMIT_MB)
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)  # a file that grew since stat() is cut here
        if len(data) > MAX_FILE_BYTES:
            raise UnreadableFile(path.name, _TOO_LARGE, Unreadable.TOO_LARGE, _LIMIT_MB)
    except OSError as exc:
        kind = Unreadable.MISSING if isinstance(exc, FileNotFoundError) else Unreadable.CANNOT_OPEN
        raise UnreadableFile(path.name, f"cannot read file ({exc.strerror or exc})", kind) from exc
    return read_document(path.name, data, progress).texts


def read_document(name: str, data: bytes, progress: Progress | None = None) -> Document:
    """The file `name` (whose content is `data`) as a Document: its logical lines, with the
    heading levels the file's own structure gives, and what a web page says of itself.

    The format is chosen by the suffix of `name` (case-insensitive). Lines come in document
    order, each stripped of surrounding whitespace, with control characters and Word bookmark
    artefacts removed; empty lines are dropped. The result is never empty: a file without text
    raises UnreadableFile, as does an unsupported, oversized, corrupt or encrypted file.
    `progress(page, pages)` is called as each page of a PDF is read (OCR takes seconds a page).
    """
    suffix = pathlib.PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "without a suffix"
        kind = Unreadable.OLD_WORD if suffix in OLD_WORD_SUFFIXES else Unreadable.UNSUPPORTED
        raise UnreadableFile(
            name, f"unsupported file type {shown} (use .txt, .docx, .pdf or .html)", kind, suffix
        )
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(name, _TOO_LARGE, Unreadable.TOO_LARGE, _LIMIT_MB)
    if not data:
        raise UnreadableFile(name, EMPTY, Unreadable.EMPTY)
    if suffix == ".docx":
        document = Document(tuple(docx_lines(name, data)))
    elif suffix == ".pdf":
        document = Document(tuple(Line(text) for text in pdf_lines(name, data, progress)))
    elif suffix in (".html", ".htm"):
        document = webpage_document(name, data)
    else:
        text = decode_text(name, data)
        require_text(name, text)
        rows = text_table_rows(clean_lines([text]))
        document = Document(tuple(Line(text, table=table) for text, table in rows))
    if not document.lines:
        if suffix == ".pdf":
            raise UnreadableFile(name, _NO_TEXT, Unreadable.PDF_NO_TEXT)
        raise UnreadableFile(name, EMPTY, Unreadable.EMPTY)
    if any(len(line.text) > MAX_LINE_CHARS for line in document.lines):
        split = tuple(
            Line(piece, line.level, line.table) for line in document.lines for piece in split_long(line.text)
        )
        document = Document(split, published=document.published, origin=document.origin)
    return document


# A paragraph longer than this (a whole report on one line, a PDF without paragraph breaks)
# is cut at sentence ends into passage-sized lines of about PASSAGE_CHARS.
MAX_LINE_CHARS = 1500
PASSAGE_CHARS = 1000
_SENTENCE_ENDS = "。！？!?"
_CLAUSE_ENDS = "；;"


def split_long(text: str) -> list[str]:
    """`text` whole if it is at most MAX_LINE_CHARS long, else cut into pieces of at most
    about PASSAGE_CHARS at sentence ends (at clause ends, or hard, where a sentence runs on).
    The pieces joined give `text` back."""
    if len(text) <= MAX_LINE_CHARS:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > PASSAGE_CHARS:
        window = rest[:PASSAGE_CHARS]
        cut = _last_end(window, _SENTENCE_ENDS)
        if cut < PASSAGE_CHARS // 2:
            cut = max(cut, _last_end(window, _CLAUSE_ENDS))
        if cut < PASSAGE_CHARS // 2:
            cut = PASSAGE_CHARS
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    return pieces


def _last_end(window: str, ends: str) -> int:
    """The index just past the last of `ends` in `window` (with closing quotes), or 0."""
    best = max((window.rfind(mark) for mark in ends), default=-1) + 1
    while 0 < best < len(window) and window[best] in "”’」』）)":
        best += 1
    return best


def read_lines(name: str, data: bytes) -> list[str]:
    """The texts of `read_document(name, data)`'s lines."""
    return read_document(name, data).texts
