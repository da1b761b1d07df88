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


# --- tables in plain text -------------------------------------------------------------------


def _read_rows(text: str) -> list[tuple[str, bool]]:
    return [(line.text, line.table) for line in read.read_document("t.txt", text.encode("utf-8")).lines]


@pytest.mark.parametrize("bar", [" | ", "｜", "\t"])
def test_txt_table_with_year_columns_gives_each_value_its_year(bar: str) -> None:
    text = (
        "（三）行政复议情况\n"
        + bar.join(["指标", "2022年", "2023年"])
        + "\n"
        + bar.join(["行政复议案件", "26件", "34件"])
        + "\n"
        + bar.join(["出庭应诉率", "92.0%", "100%"])
        + "\n"
        + "全年工作平稳有序。\n"
    )
    assert _read_rows(text) == [
        ("（三）行政复议情况", False),
        ("行政复议案件：2022年 26件，2023年 34件", True),
        ("出庭应诉率：2022年 92.0%，2023年 100%", True),
        ("全年工作平稳有序。", False),
    ]


def test_txt_numeric_only_rows_keep_every_header() -> None:
    text = "年份 | 收案 | 结案\n2021年 | 26 | 34\n警告 | 罚款 | 合计(宗) |\n31 | 54 | 144 |\n"
    assert _read_rows(text) == [
        ("2021年：收案 26，结案 34", True),
        ("警告 31，罚款 54，合计(宗) 144", True),
    ]


def test_txt_table_without_a_header_row_is_read_row_by_row() -> None:
    # The first row holds figures: it is a row like the others, no header of theirs.
    text = "“办事满意”合计 | 512条\n非常满意 | 498条\n满意 | 14条\n"
    assert _read_rows(text) == [
        ("“办事满意”合计：512条", True),
        ("非常满意：498条", True),
        ("满意：14条", True),
    ]


def test_txt_table_caption_row_is_a_line_before_its_header_and_gives_it_its_unit() -> None:
    text = (
        "表1 行政许可实施情况\n"
        "行政许可实施数量(宗) | ||||\n"
        "申请数量 | 受理数量 | 不予许可数量 |\n"
        "26569 | 26569 | 102 |\n"
    )
    assert _read_rows(text) == [
        ("表1 行政许可实施情况", False),
        ("行政许可实施数量(宗)", False),
        ("申请数量(宗) 26569，受理数量(宗) 26569，不予许可数量(宗) 102", True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "首页 | 政务公开 | 联系我们\n2023年，全县共办理行政复议案件26件。\n",  # a menu line
        "2023年|法治政府建设年度报告\n一、主要工作\n",  # a bar in a title
        "项目 | 说明\n依法行政 | 全面推进\n",  # bars but no figures: not a data table
    ],
)
def test_txt_lines_holding_a_bar_are_not_a_table(text: str) -> None:
    assert _read_rows(text) == [(line, False) for line in text.splitlines()]


# A table copied from a web page as text, a cell a line (written for these tests).
_CELL_A_LINE = [
    "（二）行政复议情况",
    "项目（件）",
    "2022年",
    "2023年",
    "行政复议案件",
    "26",
    "34",
    "行政诉讼案件",
    "12",
    "9",
]


def test_txt_table_written_a_cell_a_line_is_read_by_row_with_its_years_and_unit() -> None:
    text = "\n\n".join([*_CELL_A_LINE, "全年案件总量保持平稳。"]) + "\n"
    assert _read_rows(text) == [
        ("（二）行政复议情况", False),
        ("行政复议案件（件）：2022年 26，2023年 34", True),
        ("行政诉讼案件（件）：2022年 12，2023年 9", True),
        ("全年案件总量保持平稳。", False),
    ]


def test_txt_table_a_cell_a_line_keeps_a_cell_marked_blank_empty() -> None:
    lines = ["指标", "2022年", "2023年", "行政裁决案件", "—", "7", "行政调解案件", "15", "/"]
    assert _read_rows("\n".join(lines)) == [
        ("行政裁决案件：2023年 7", True),
        ("行政调解案件：2022年 15", True),
    ]


def test_txt_tables_side_by_side_a_cell_a_line_share_one_header() -> None:
    # Two tables side by side: the header is said twice, a long row name wraps onto two lines.
    lines = ["表1：各单位办理情况", "收案数", "结案数", "收案数", "结案数"]
    lines += [
        "县公安局",
        "41",
        "39",
        "县市场监督",
        "管理局",
        "17",
        "15",
        "县司法局",
        "8",
        "8",
        "合计",
        "66",
        "62",
    ]
    assert _read_rows("\n".join(lines)) == [
        ("表1：各单位办理情况", False),
        ("县公安局：收案数 41，结案数 39", True),
        ("县市场监督管理局：收案数 17，结案数 15", True),
        ("县司法局：收案数 8，结案数 8", True),
        ("合计：收案数 66，结案数 62", True),
    ]


def test_txt_row_of_numbers_a_cell_a_line_takes_its_headers() -> None:
    lines = [
        "说明如下。表一 执法情况统计表",
        "警告",
        "罚款",
        "合计(宗)",
        "18",
        "27",
        "45",
        "注：数据截至年底。",
    ]
    assert _read_rows("\n".join(lines)) == [
        ("说明如下。表一 执法情况统计表", False),
        ("警告 18，罚款 27，合计(宗) 45", True),
        ("注：数据截至年底。", False),
    ]


def test_txt_table_a_cell_a_line_between_bars_is_read_by_row() -> None:
    # As a 政府信息公开 report's table often comes out of a page: a cell a line, bars between.
    cells = ["信息内容", "本年制发件数", "现行有效件数", "规章", "0", "3", "行政规范性文件", "2", "17"]
    lines = ["（一）主动公开", *[f"| {cell}\n|" for cell in cells], "|||", "全年无依申请公开。"]
    assert _read_rows("\n".join(lines)) == [
        ("（一）主动公开", False),
        ("规章：本年制发件数 0，现行有效件数 3", True),
        ("行政规范性文件：本年制发件数 2，现行有效件数 17", True),
        ("全年无依申请公开。", False),
    ]


@pytest.mark.parametrize(
    "lines",
    [
        # short prose lines and a list: no numbers
        ["一、主要工作", "加强组织领导", "完善制度建设", "强化监督检查"],
        # one row only under the header
        ["项目", "2022年", "2023年", "行政复议案件", "26", "34", "全年工作平稳。"],
        # a list numbered a line apart
        ["目录", "附件", "第一部分", "1", "第二部分", "2", "第三部分", "3"],
        # two-column pairs without a header of short cells before them
        ["联系电话：0371-12345678", "服务窗口", "12", "办理时限", "5", "受理部门", "3"],
        # rows of different widths
        ["项目", "2022年", "2023年", "复议案件", "26", "34", "诉讼案件", "12"],
        # dashes alone are no figures
        ["一", "二", "三", "—", "—", "—"],
        # more names than numbers (cells left empty, names wrapped): no telling which is which
        ["警告", "罚款", "没收违法", "所得", "行政", "拘留", "31", "54", "59"],
        # a heading and its paragraph under a line of figures
        ["2023年工作情况", "全县共办理行政复议案件26件，较上年增长8%。", "26", "34"],
    ],
)
def test_short_lines_and_numbers_that_are_no_table_stay_as_they_are(lines: list[str]) -> None:
    assert _read_rows("\n".join(lines)) == [(line, False) for line in lines]
