"""Tests for retrieval.pdf: PDFs drawn here with reportlab, laid out as printed 公文 are."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from retrieval import pdf
from retrieval.errors import UnreadableFile
from retrieval.read import read_document, read_lines
from tests.conftest import Drawn, draw_pdf

SIZE = 16.0
LEFT = 72.0
CHARS = 28  # characters a line, as GB/T 9704 sets 公文
RIGHT = LEFT + CHARS * SIZE


def paragraph(text: str, indent: int = 2) -> list[Drawn]:
    """`text` wrapped as a typesetter wraps it: the first line indented by `indent`
    characters, every line filled to the right margin, the last one wherever it ends."""
    lines: list[Drawn] = []
    current, x = "", LEFT + indent * SIZE
    for char in text:
        if stringWidth(current + char, "STSong-Light", SIZE) > RIGHT - x + 0.01:
            lines.append(Drawn(current, x, SIZE))
            current, x = "", LEFT
        current += char
    lines.append(Drawn(current, x, SIZE))
    return lines


def right_aligned(text: str, chars_from_right: int = 2) -> Drawn:
    return Drawn(text, RIGHT - chars_from_right * SIZE - stringWidth(text, "STSong-Light", SIZE), SIZE)


def centred(text: str, size: float) -> Drawn:
    return Drawn(text, (595 - stringWidth(text, "STSong-Light", size)) / 2, size)


RED_HEAD = "临江市人民政府文件"
DOC_NO = "临政字〔2024〕6号"
TITLE = ["临江市人民政府关于2023年度", "法治政府建设情况的报告"]
OPENING = (
    "2023年，临江市人民政府坚持以习近平法治思想为指导，认真落实上级关于法治政府建设的部署要求，"
    "法治政府建设取得新的成效。现将有关情况报告如下。"
)
# Exactly fills its line after the two-character indent, and has no full stop.
FULL_HEADING = "一、党政主要负责人履行推进法治建设第一责任人职责情况"
# Wraps onto a second line.
LONG_HEADING = "二、持续深化法治化营商环境建设和行政执法体制改革推进镇街综合执法工作"
# Runs over the page break, and a line of it ends with "；" at the margin.
ACROSS = (
    "（一）深化放管服改革。编制公布市级行政许可事项清单，共保留行政许可事项412项，推进政务服务一网通办项目清单；"
    "市级政务服务事项网上可办率达到98.5%；企业开办时间压缩至0.5个工作日，群众和企业办事更加便利。"
)
ITEMS = ["1.完善制度；", "2.拓展渠道；", "3.加强解读。"]
CLOSING = "市政府将继续推进法治政府建设，为经济社会高质量发展提供法治保障。"
SIGNATURE = "临江市人民政府"
DATE = "2024年1月30日"

GONGWEN_LINES = [
    RED_HEAD,
    DOC_NO,
    *TITLE,
    "省政府：",
    OPENING,
    FULL_HEADING,
    "市政府主要负责同志带头履行推进法治建设第一责任人职责，全年主持召开常务会议研究法治政府建设议题9次。",
    LONG_HEADING,
    ACROSS,
    *ITEMS,
    CLOSING,
    SIGNATURE,
    DATE,
]


def gongwen_pages() -> list[list[Drawn | str]]:
    across = paragraph(ACROSS)
    first = [
        centred(RED_HEAD, 30),
        centred(DOC_NO, SIZE),
        centred(TITLE[0], 22),
        centred(TITLE[1], 22),
        Drawn("省政府：", LEFT, SIZE),
        *paragraph(OPENING),
        *paragraph(FULL_HEADING),
        *paragraph(GONGWEN_LINES[7]),
        *paragraph(LONG_HEADING),
        *across[:2],
    ]
    second = [
        *across[2:],
        *(paragraph(item) for item in ITEMS),
        *paragraph(CLOSING),
        right_aligned(SIGNATURE, 4),
        right_aligned(DATE),
    ]
    flat_second: list[Drawn | str] = []
    for entry in second:
        flat_second.extend(entry if isinstance(entry, list) else [entry])
    return [list(first), flat_second]


def test_the_layout_premises_hold() -> None:
    # The heading fills its line exactly; the long one wraps; a line of ACROSS ends in "；".
    assert len(paragraph(FULL_HEADING)) == 1
    assert stringWidth(FULL_HEADING, "STSong-Light", SIZE) == pytest.approx((CHARS - 2) * SIZE)
    assert len(paragraph(LONG_HEADING)) == 2
    assert any(line.text.endswith("；") for line in paragraph(ACROSS)[:-1])


@pytest.mark.parametrize(
    ("footer", "footer_x"),
    [
        ("— {n} —", lambda n: RIGHT - 80 if n % 2 else LEFT + 16),  # odd pages right, even left
        ("第 {n} 页 共 {total} 页", None),
        ("-{n}-", None),
        (None, None),
    ],
)
def test_gongwen_pdf_gives_its_paragraphs_and_short_lines(footer, footer_x) -> None:
    data = draw_pdf(
        gongwen_pages(), footer=footer, header="临江市人民政府2023年度法治政府建设情况报告", footer_x=footer_x
    )
    assert read_lines("gongwen.pdf", data) == GONGWEN_LINES


def test_running_footer_and_header_text_repeated_on_pages_are_removed() -> None:
    pages = gongwen_pages()
    pages[0].append(Drawn("临江市人民政府办公室印发", LEFT, 10.5))
    pages[1].append(Drawn("临江市人民政府办公室印发", LEFT, 10.5))
    data = draw_pdf(pages, footer="第 {n} 页", header="临江市人民政府2023年度法治政府建设情况报告")
    assert read_lines("gongwen.pdf", data) == GONGWEN_LINES


def test_a_line_seen_on_one_page_only_stays() -> None:
    pages = gongwen_pages()
    pages[1].append(Drawn("（此件公开发布）", LEFT + 2 * SIZE, SIZE))
    assert read_lines("gongwen.pdf", draw_pdf(pages))[-1] == "（此件公开发布）"


def test_progress_is_reported_per_page() -> None:
    seen: list[tuple[int, int]] = []
    read_document("gongwen.pdf", draw_pdf(gongwen_pages()), progress=lambda p, n: seen.append((p, n)))
    assert seen == [(1, 2), (2, 2)]


# --- documents without first-line indents: the text decides ---------------------------------

REPORT_LINES = [
    "2024年法治政府建设年度报告",
    "一、2024年工作开展情况",
    "（一）坚持党的领导。2024年，我办深入学习贯彻习近平法治思想，全面推进依法行政。",
]
LONG_PARAGRAPH = (
    "（二）持续深化政务公开。一是完善制度，健全政府信息主动公开目录，规范依申请公开办理流程，"
    "二是拓展渠道，用好政府网站和政务新媒体，全年公开各类政府信息一千二百三十四条，"
    "三是加强解读，围绕群众关切开展政策解读，做到应公开尽公开。"
)


def _wrap(text: str, width: int = 30) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


FLUSH_PAGES: list[list[Drawn | str]] = [
    [REPORT_LINES[0], REPORT_LINES[1], *_wrap(REPORT_LINES[2]), *_wrap(LONG_PARAGRAPH)[:2]],
    [*_wrap(LONG_PARAGRAPH)[2:], "二、存在的不足", "下一步，我们将继续努力。"],
]
FLUSH_LINES = [*REPORT_LINES, LONG_PARAGRAPH, "二、存在的不足", "下一步，我们将继续努力。"]


def test_pypdf_extracts_stsong_light_text_verbatim() -> None:
    # The premise of these tests: pypdf maps the CID font's UniGB-UCS2-H codes back to
    # Unicode, so no embedded TrueType font is needed.
    page = PdfReader(io.BytesIO(draw_pdf([["（二）持续深化政务公开。一是…"]]))).pages[0]
    assert "（二）持续深化政务公开。一是…" in page.extract_text()


@pytest.mark.parametrize(
    "footer", [None, "- {n} -", "{n}", "第{n}页", "第 {n} 页 共 2 页", "— {n} —", "{n}/2"]
)
def test_flush_left_pdf_lines_are_rejoined_into_paragraphs(footer: str | None) -> None:
    assert read_lines("report.pdf", draw_pdf(FLUSH_PAGES, footer)) == FLUSH_LINES


def test_flush_left_heading_that_fills_its_line_stays_a_line() -> None:
    heading = "二、党政主要负责人履行推进法治建设第一责任人职责情况"
    body = "县政府主要负责同志把法治政府建设摆在全局工作的重要位置，全年主持召开常务会议六次。"
    lines = read_lines("report.pdf", draw_pdf([[*_wrap(LONG_PARAGRAPH, 26), heading, *_wrap(body, 26)]]))
    assert lines == [LONG_PARAGRAPH, heading, body]


def _encrypted(pdf: bytes, password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(password, "owner-secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_pdf_encrypted_with_an_empty_password_is_read() -> None:
    data = _encrypted(draw_pdf(FLUSH_PAGES), "")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    assert read_lines("report.pdf", data) == FLUSH_LINES


def encrypted_pdf() -> bytes:
    return _encrypted(draw_pdf(FLUSH_PAGES), "secret")


@pytest.mark.parametrize(
    ("limit", "value", "reason"),
    [
        ("MAX_PAGES", 1, "PDF has more than 1 pages"),
        ("TIME_LIMIT_S", -1.0, "PDF took more than -1 s to read"),
    ],
)
def test_page_and_time_caps_refuse_with_a_reason(monkeypatch, limit: str, value: float, reason: str) -> None:
    monkeypatch.setattr(pdf, limit, value)
    with pytest.raises(UnreadableFile) as caught:
        read_lines("long.pdf", draw_pdf(FLUSH_PAGES))
    assert caught.value.reason == reason


def test_text_drawn_a_character_at_a_time_reads_as_one_line() -> None:
    # Some generators place every glyph on its own; the runs merge without spaces.
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(595, 842))
    x = LEFT
    for char in "（一）坚持党的领导，全年开展学法12次。":
        canvas.setFont("STSong-Light", SIZE)
        canvas.drawString(x, 700, char)
        x += stringWidth(char, "STSong-Light", SIZE)
    canvas.showPage()
    canvas.save()
    assert read_lines("glyphs.pdf", buffer.getvalue()) == ["（一）坚持党的领导，全年开展学法12次。"]


def test_a_flush_left_document_with_some_indented_lines_is_not_read_as_indented() -> None:
    # Two short indented items do not make it an indented document: a full line ending in
    # "。" followed by a flush-left line is still two paragraphs.
    first = "一是完善制度，健全政府信息主动公开目录，规范依申请公开办理流程，做到应公开尽快公开。"
    second = "二是拓展渠道，用好政府网站和政务新媒体，全年公开各类政府信息一千二百三十四条。"
    items = ["（1）主动公开；", "（2）依申请公开。"]
    lines: list[Drawn | str] = [*_wrap(first, 21), *_wrap(second, 21)]
    lines += [Drawn(item, LEFT + 2 * SIZE, SIZE) for item in items]
    lines += [*_wrap(first, 21)]
    assert len(first) == 42 and len(_wrap(first, 21)[-1]) == 21  # its last line is full
    assert read_lines("report.pdf", draw_pdf([lines])) == [first, second, *items, first]
