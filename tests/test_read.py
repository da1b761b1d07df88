"""Tests for retrieval.read: every input is built here, in memory or under tmp_path."""

from __future__ import annotations

import codecs
import io
import os
import pathlib
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable

import pytest
from reportlab.pdfgen import canvas

from retrieval import read, texts
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.fetch import Problem
from retrieval.read import read_lines, read_path
from tests.conftest import draw_pdf, make_docx
from tests.test_pdf import FLUSH_PAGES, encrypted_pdf

# The lines a reader should return for the sample report below.
REPORT_LINES = [
    "XX县人民政府办公室2024年法治政府建设年度报告",
    "一、2024年工作开展情况",
    "（一）坚持党的领导。2024年，我办深入学习贯彻习近平法治思想，全面推进依法行政。",
    "（二）持续深化政务公开。一是完善制度；二是拓展渠道，全年公开信息1234条。",
    "二、存在的不足",
]

# The same report as a text file looks in the wild: Word's bookmark artefact, full-width
# indentation, blank and whitespace-only lines, trailing blanks, CRLF line ends.
REPORT_TEXT = (
    "[bookmark: _GoBack]XX县人民政府办公室2024年法治政府建设年度报告\r\n"
    "\r\n"
    "   \r\n"
    "一、2024年工作开展情况\r\n"
    "　　（一）坚持党的领导。2024年，我办深入学习贯彻习近平法治思想，全面推进依法行政。\r\n"
    "\t（二）持续深化政务公开。一是完善制度；二是拓展渠道，全年公开信息1234条。　\r\n"
    " 　\r\n"
    "二、存在的不足\r\n"
)


def _encode(text: str, encoding: str) -> bytes:
    """`text` in `encoding`; a "+bom" suffix prepends the byte-order mark."""
    boms = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
    if encoding.endswith("+bom"):
        encoding = encoding.removesuffix("+bom")
        return boms[encoding] + text.encode(encoding)
    return text.encode(encoding)


# --- .txt -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding",
    [
        "utf-8",
        "utf-8-sig",
        "gb18030",
        "gbk",
        "utf-16-le+bom",
        "utf-16-be+bom",
        "utf-16-le",
        "utf-16-be",
    ],
)
def test_txt_in_any_encoding_gives_the_same_lines(encoding: str) -> None:
    assert read_lines("report.txt", _encode(REPORT_TEXT, encoding)) == REPORT_LINES


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "gb2312", "utf-16-le+bom"])
@pytest.mark.parametrize("text", ["法治政府", "一、总体情况", "一", "（一）", "2024年报告"])
def test_short_chinese_text_is_not_misdetected(text: str, encoding: str) -> None:
    # Detectors guess cp949 or big5 for a few GBK bytes, and "一" in GBK is valid UTF-8.
    assert read_lines("short.txt", _encode(text, encoding)) == [text]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", ["hello world", "Annual report", "Report 2024\nhello"])
def test_bomless_utf16_latin_text_gets_its_byte_order_right(text: str, encoding: str) -> None:
    # Read in the wrong byte order, ASCII turns into ideographs: "hello" into "栀攀氀氀漀".
    assert read_lines("a.txt", text.encode(encoding)) == text.split("\n")


def test_txt_lines_are_cleaned_but_keep_inner_spacing() -> None:
    text = (
        "\u00a0 甲  乙\u3000丙\u00a0\r"  # outer NBSP/full-width space go, inner spacing stays
        "丁[bookmark: _Toc123]戊\n"  # bookmark artefacts go wherever they are
        "己\x07庚\x1b\u200b辛\r\n"  # control and zero-width characters go
        "\u3000\u3000\n"
        "\ufeff壬癸\n"
        f"{REPORT_LINES[2]}\n"  # a few stray controls are tolerated in text of some length
    )
    expected = ["甲  乙\u3000丙", "丁戊", "己庚辛", "壬癸", REPORT_LINES[2]]
    assert read_lines("a.txt", text.encode("utf-8")) == expected


def test_kangxi_radicals_from_pdf_conversions_become_ideographs() -> None:
    assert read_lines("a.txt", "\u2f00是完善制度".encode()) == ["一是完善制度"]


@pytest.mark.parametrize("name", ["report.txt", "REPORT.TXT", "报告.Txt"])
def test_read_path_reads_the_file_and_ignores_suffix_case(tmp_path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(REPORT_TEXT.encode("gb18030"))
    assert read_path(path) == REPORT_LINES


# --- refusals -------------------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _empty_docx() -> bytes:
    return make_docx(lambda document: document.add_paragraph("　 "))


def _drawing_pdf() -> bytes:
    """A page with neither text nor an image: nothing to read, even by OCR."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(100, 100, 200, 300, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


EMPTY = "file is empty"
BINARY = "not a text file (binary data)"
UNSUPPORTED = "unsupported file type {} (use .txt, .docx, .pdf or .html)"
REFUSALS: list[tuple[str, Callable[[], bytes], str]] = [
    ("empty.txt", lambda: b"", EMPTY),
    ("blank.txt", lambda: " \r\n\t\u3000\u00a0\n".encode(), EMPTY),
    ("blank-gbk.txt", lambda: "\u3000\u3000\r\n".encode("gbk"), EMPTY),
    ("blank-utf16.txt", lambda: "\ufeff \r\n\u3000".encode("utf-16-le"), EMPTY),
    ("artefact-only.txt", lambda: b"[bookmark: _GoBack]\n", EMPTY),
    ("random.txt", lambda: os.urandom(4096), BINARY),
    ("random-seeded.txt", lambda: random.Random(1).randbytes(4096), BINARY),
    ("random-no-nul.txt", lambda: random.Random(2).randbytes(4096).replace(b"\0", b""), BINARY),
    ("image.txt", _png, BINARY),
    ("signature.txt", lambda: b"\x89PNG\r\n\x1a\n", BINARY),
    ("pdf-renamed.txt", lambda: draw_pdf(FLUSH_PAGES), BINARY),
    ("docx-renamed.html", _empty_docx, BINARY),
    ("nul.txt", lambda: "法治政府\x00报告".encode(), BINARY),
    ("symbols.txt", lambda: b"\x01\x02\x03\x04#$%&", BINARY),
    ("random.html", lambda: random.Random(3).randbytes(2048), BINARY),
    ("scripts-only.html", lambda: b"<html><script>var a = 1;</script></html>", EMPTY),
    ("head-only.html", lambda: "<head><title>标题</title></head>".encode(), EMPTY),
    ("empty.docx", lambda: b"", EMPTY),
    ("not-a-zip.docx", lambda: b"this is not a zip file", "not a valid .docx file"),
    ("truncated.docx", lambda: _empty_docx()[:500], "not a valid .docx file"),
    ("other-zip.docx", lambda: _zip({"a.txt": "法治"}), "not a valid .docx file"),
    ("no-text.docx", _empty_docx, EMPTY),
    ("not-a-pdf.pdf", lambda: b"this is not a PDF", "not a valid PDF file"),
    ("corrupt.pdf", lambda: b"%PDF-1.4\n" + random.Random(4).randbytes(300), "not a valid PDF file"),
    ("encrypted.pdf", encrypted_pdf, "PDF is encrypted"),
    ("drawing.pdf", _drawing_pdf, "PDF has no text"),
    ("report.doc", lambda: b"\xd0\xcf\x11\xe0", UNSUPPORTED.format("'.doc'")),
    ("report.xlsx", lambda: _zip({"a": "b"}), UNSUPPORTED.format("'.xlsx'")),
    ("report.txt.gz", lambda: b"\x1f\x8b", UNSUPPORTED.format("'.gz'")),
    ("README", lambda: b"text", UNSUPPORTED.format("without a suffix")),
]


@pytest.mark.parametrize(("name", "make", "reason"), REFUSALS, ids=[name for name, _, _ in REFUSALS])
def test_unreadable_input_is_refused_with_a_reason(name: str, make: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_lines(name, make())
    assert str(caught.value) == f"{name}: {reason}"
    assert (caught.value.name, caught.value.reason) == (name, reason)


# The code each refusal above carries, which the bot turns into Chinese.
REFUSAL_KINDS: dict[str, Unreadable] = {
    **{name: Unreadable.EMPTY for name, _, reason in REFUSALS if reason == EMPTY},
    **{name: Unreadable.BINARY for name, _, reason in REFUSALS if reason == BINARY},
    "not-a-zip.docx": Unreadable.BAD_DOCX,
    "truncated.docx": Unreadable.BAD_DOCX,
    "other-zip.docx": Unreadable.BAD_DOCX,
    "not-a-pdf.pdf": Unreadable.BAD_PDF,
    "corrupt.pdf": Unreadable.BAD_PDF,
    "encrypted.pdf": Unreadable.ENCRYPTED_PDF,
    "drawing.pdf": Unreadable.PDF_NO_TEXT,
    "report.doc": Unreadable.OLD_WORD,
    "report.xlsx": Unreadable.UNSUPPORTED,
    "report.txt.gz": Unreadable.UNSUPPORTED,
    "README": Unreadable.UNSUPPORTED,
}


@pytest.mark.parametrize(("name", "make"), [(n, m) for n, m, _ in REFUSALS], ids=[n for n, _, _ in REFUSALS])
def test_every_refusal_carries_its_kind(name: str, make: Callable[[], bytes]) -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_lines(name, make())
    assert caught.value.kind == REFUSAL_KINDS[name]


def test_a_word_97_file_renamed_docx_is_named_as_such() -> None:
    with pytest.raises(UnreadableFile) as caught:
        read_lines("报告.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    assert caught.value.kind == Unreadable.OLD_WORD
    assert "save it as .docx" in caught.value.reason


def test_a_zip_bomb_docx_is_refused_before_inflating() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(16 * 1024 * 1024))
    with pytest.raises(UnreadableFile) as caught:
        read_lines("bomb.docx", buffer.getvalue())
    assert caught.value.kind == Unreadable.ZIP_BOMB


@pytest.mark.parametrize("kind", list(Unreadable))
def test_every_refusal_kind_has_a_chinese_sentence(kind: Unreadable) -> None:
    sentence = texts.unreadable(kind, "7")
    assert sentence != texts.UNREADABLE_OTHER and re.search("[\u4e00-\u9fff]{4}", sentence)
    assert not set(re.findall(r"(?<![.\w])[A-Za-z]{2,}", sentence)) - {
        "PDF",
        "Word",
        "WPS",
        "MB",
        "OCR",
        "reportbot",
        "ocr",
        "http",
        "https",
    }
    assert "{" not in sentence and ("7" in sentence) == ("{detail}" in texts.UNREADABLE_REASONS[kind])


def test_link_problems_are_refusal_kinds_and_unknown_kinds_still_read_chinese() -> None:
    assert {p.value for p in Problem} <= {k.value for k in Unreadable}
    assert texts.unreadable("from_a_newer_version") == texts.UNREADABLE_OTHER
    assert texts.unreadable(Unreadable.UNSUPPORTED) == texts.unreadable(Unreadable.UNSUPPORTED, "没有扩展名")


@pytest.mark.parametrize("name", ["big.txt", "big.docx", "big.pdf", "big.html"])
def test_oversized_file_is_refused(monkeypatch, tmp_path, name: str) -> None:
    monkeypatch.setattr(read, "MAX_FILE_BYTES", 100)
    path = tmp_path / name
    path.write_bytes(b"x" * 101)
    for call in (lambda: read_lines(name, path.read_bytes()), lambda: read_path(path)):
        with pytest.raises(UnreadableFile) as caught:
            call()
        assert str(caught.value) == f"{name}: file is larger than 20 MB"
        assert (caught.value.kind, caught.value.detail) == (Unreadable.TOO_LARGE, "20")
    path.write_bytes("法治".encode() * 16)  # at the limit: read
    if name == "big.txt":
        assert read_path(path) == ["法治" * 16]


def test_missing_file_is_refused_not_raised_as_oserror(tmp_path) -> None:
    with pytest.raises(UnreadableFile, match=r"^gone\.txt: cannot read file") as caught:
        read_path(tmp_path / "gone.txt")
    assert caught.value.kind == Unreadable.MISSING


def test_supported_suffixes() -> None:
    assert sorted(read.SUPPORTED_SUFFIXES) == [".docx", ".htm", ".html", ".pdf", ".txt"]
    assert read.MAX_FILE_BYTES == 20 * 1024 * 1024


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_non_regular_files_are_refused_without_reading(tmp_path, kind: str) -> None:
    path = tmp_path / "report.txt"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    elif kind == "device":
        path = pathlib.Path("/dev/zero")  # reading it would never end
    else:
        path.mkdir()
    with pytest.raises(UnreadableFile) as caught:
        read_path(path)
    assert caught.value.reason == "not a regular file"
    assert caught.value.kind == Unreadable.NOT_REGULAR


def test_an_over_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentence = "全年办理行政复议案件三十七件，纠错率百分之十二，复议质效持续提升。"  # 33 characters
    text = sentence * 100  # 3,300 characters on one line
    lines = read_lines("one-line.txt", text.encode())
    assert "".join(lines) == text
    assert all(line.endswith("。") and len(line) <= read.PASSAGE_CHARS for line in lines)
    assert len(lines) == 4


def test_a_run_on_text_without_sentence_ends_is_cut_hard() -> None:
    text = "法治" * 1000
    lines = read_lines("run-on.txt", text.encode())
    assert "".join(lines) == text
    assert [len(line) for line in lines] == [1000, 1000]
