"""Narrow exceptions the library raises; the CLI and the bot turn them into one-line messages."""

from enum import StrEnum


class ReportbotError(Exception):
    """Base class: its str() is a one-line message fit to show a user."""


class Unreadable(StrEnum):
    """Why a file or a link was refused, as a code: the CLI prints the English `reason` that
    comes with it, the bot a Chinese sentence per code (texts.unreadable)."""

    # reading the file
    MISSING = "missing"  # no such file
    CANNOT_OPEN = "cannot_open"  # permissions, an I/O error
    FOLDER = "folder"  # a folder holding no report files
    NOT_REGULAR = "not_regular"  # a device, FIFO or socket
    TOO_LARGE = "too_large"  # detail: the limit in MB
    UNSUPPORTED = "unsupported"  # detail: the suffix ('' for none)
    OLD_WORD = "old_word"  # a Word 97–2003 .doc (under its own name or renamed .docx)
    # what is inside
    EMPTY = "empty"
    BINARY = "binary"  # not text in any encoding
    BAD_DOCX = "bad_docx"
    ZIP_BOMB = "zip_bomb"  # a .docx inflating to far more than a document
    BAD_PDF = "bad_pdf"
    ENCRYPTED_PDF = "encrypted_pdf"  # locked with a real password
    PDF_NO_TEXT = "pdf_no_text"  # no text layer and nothing OCR could read
    NEEDS_OCR = "needs_ocr"  # a scan, and the OCR extra is not installed
    TOO_MANY_PAGES = "too_many_pages"  # detail: the limit
    TOO_MANY_SCANS = "too_many_scans"  # detail: the limit of scanned pages
    TOO_SLOW = "too_slow"  # detail: the time limit in seconds
    # what parsing found
    NO_PASSAGES = "no_passages"
    TOO_MANY_PASSAGES = "too_many_passages"  # detail: how many
    REPETITIVE = "repetitive"  # detail: how often one paragraph repeats
    # fetching a link (FetchError; the same values as retrieval.fetch.Problem)
    BAD_LINK = "bad_link"
    CONNECT = "connect"
    TIMEOUT = "timeout"
    STATUS = "status"  # detail: the HTTP status
    CONTENT_TYPE = "content_type"  # detail: the content type
    REDIRECTS = "redirects"
    NETWORK = "network"
    INTERNAL = "internal"  # detail: the address; a link to a private, loopback or metadata address


class UnreadableFile(ReportbotError):
    """A file could not be turned into report text (unknown type, binary junk, empty,
    encrypted). `reason` is the English one-liner the CLI prints; `kind` says why as a code,
    with `detail` (a limit, a suffix, a count) where the sentence needs one."""

    def __init__(self, name: str, reason: str, kind: Unreadable, detail: str = "") -> None:
        self.name = name
        self.reason = reason
        self.kind = kind
        self.detail = detail
        super().__init__(f"{name}: {reason}")


class UnknownReport(ReportbotError):
    """No report has the given id."""

    def __init__(self, report_id: int) -> None:
        self.report_id = report_id
        super().__init__(f"no report with id {report_id}")


class FetchError(UnreadableFile):
    """A link could not be fetched as a report. `problem` (a retrieval.fetch.Problem, also its
    `kind`) says why in a word the bot turns into Chinese (see texts.unreadable), with
    `detail` (a status code, a content type, a size limit) where it needs one; `reason` is the
    English one-liner the CLI prints."""

    def __init__(self, url: str, problem: str, reason: str, detail: str = "") -> None:
        self.url = url
        self.problem = problem
        super().__init__(url, reason, Unreadable(problem), detail)


class StoreUnavailable(ReportbotError):
    """The database cannot be opened: its folder is not writable, or the file is damaged."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
