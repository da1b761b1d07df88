# ruff: noqa: E501 - page markup and XML read better on one line each
"""Tests for retrieval.word: .docx files built here with python-docx (styles, numbering,
tables, headers and footers, text boxes written into their XML)."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

from retrieval.errors import UnreadableFile
from retrieval.models import Line
from retrieval.read import read_document, read_lines
from retrieval.word import TOO_BIG_INSIDE, chinese_counting, format_number
from tests.conftest import make_docx


def lines(build) -> list[Line]:
    return list(read_document("report.docx", make_docx(build)).lines)


def test_title_and_heading_styles_give_levels_even_without_numbers() -> None:
    def build(document: DocxDocument) -> None:
        document.add_paragraph("甘肃省司法厅2024年度法治政府建设情况报告", style="Title")
        document.add_paragraph("2024年，全省司法行政工作取得积极成效。")
        document.add_paragraph("主要工作成效", style="Heading 1")
        document.add_paragraph("深化行政复议体制改革", style="Heading 2")
        document.add_paragraph("新收行政复议案件7390件。")
        document.add_paragraph("复议案件分析", style="Heading 3")
        document.add_paragraph("细目", style="Heading 4")

    assert lines(build) == [
        Line("甘肃省司法厅2024年度法治政府建设情况报告", level=0),
        Line("2024年，全省司法行政工作取得积极成效。"),
        Line("主要工作成效", level=1),
        Line("深化行政复议体制改革", level=2),
        Line("新收行政复议案件7390件。"),
        Line("复议案件分析", level=3),
        Line("细目"),  # deeper than the three levels parse knows: judged by its text
    ]


def _outline(element, level: int) -> None:
    p_pr = element.get_or_add_pPr()
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level))
    p_pr.append(outline)


def test_styles_based_on_headings_and_outline_levels_give_levels() -> None:
    def build(document: DocxDocument) -> None:
        custom = document.styles.add_style("报告一级标题", WD_STYLE_TYPE.PARAGRAPH)
        custom.base_style = document.styles["Heading 1"]
        outlined = document.styles.add_style("报告二级标题", WD_STYLE_TYPE.PARAGRAPH)
        _outline(outlined.element, 1)
        document.add_paragraph("主要工作成效", style="报告一级标题")
        document.add_paragraph("统筹推进法治政府建设", style="报告二级标题")
        _outline(document.add_paragraph("存在的问题和不足")._p, 0)
        body = document.add_paragraph("正文段落，大纲级别为正文。", style="Heading 2")
        _outline(body._p, 9)  # the paragraph's own outline level beats its style's

    assert lines(build) == [
        Line("主要工作成效", level=1),
        Line("统筹推进法治政府建设", level=2),
        Line("存在的问题和不足", level=1),
        Line("正文段落，大纲级别为正文。"),
    ]


NUMBERING = """<w:numbering {ns}>
  <w:abstractNum w:abstractNumId="7">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
    <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="8">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="3"><w:abstractNumId w:val="7"/></w:num>
  <w:num w:numId="4"><w:abstractNumId w:val="8"/></w:num>
  <w:num w:numId="5"><w:abstractNumId w:val="7"/>
    <w:lvlOverride w:ilvl="0"><w:startOverride w:val="9"/></w:lvlOverride></w:num>
</w:numbering>""".format(ns=nsdecls("w"))


def _numbered(paragraph, num_id: int, ilvl: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )


def _with_numbering(document: DocxDocument) -> None:
    part = document.part.numbering_part  # python-docx's default template has an empty one
    part._element = parse_xml(NUMBERING)


def test_automatic_numbering_is_rendered_into_the_text() -> None:
    def build(document: DocxDocument) -> None:
        _with_numbering(document)
        for text, num_id, ilvl in [
            ("主要工作开展情况", 3, 0),
            ("压实法治建设责任", 3, 1),
            ("制定工作要点", 3, 2),
            ("签订责任书", 3, 2),
            ("深化综合执法改革", 3, 1),
            ("承接划转事项", 3, 2),  # the count below restarts after a higher level
            ("存在的问题", 3, 0),
            ("一项要点", 4, 0),  # a bullet adds nothing
            ("另起一个列表", 5, 0),  # startOverride
        ]:
            _numbered(document.add_paragraph(text), num_id, ilvl)

    assert [line.text for line in lines(build)] == [
        "一、主要工作开展情况",
        "（一）压实法治建设责任",
        "1.制定工作要点",
        "2.签订责任书",
        "（二）深化综合执法改革",
        "1.承接划转事项",
        "二、存在的问题",
        "一项要点",
        "九、另起一个列表",
    ]


def test_numbering_given_by_a_heading_style_is_rendered_with_its_level() -> None:
    def build(document: DocxDocument) -> None:
        _with_numbering(document)
        style = document.styles["Heading 1"]
        style.element.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr>')
        )
        document.add_paragraph("主要工作成效", style="Heading 1")
        document.add_paragraph("正文。")
        document.add_paragraph("存在的问题", style="Heading 1")

    assert lines(build) == [Line("一、主要工作成效", 1), Line("正文。"), Line("二、存在的问题", 1)]


@pytest.mark.parametrize(
    ("n", "fmt", "text"),
    [
        (1, "chineseCounting", "一"),
        (10, "chineseCounting", "十"),
        (12, "chineseCounting", "十二"),
        (20, "chineseCountingThousand", "二十"),
        (35, "chineseCounting", "三十五"),
        (101, "chineseCounting", "一百〇一"),
        (3, "decimal", "3"),
        (3, "decimalEnclosedCircle", "③"),
        (2, "ideographTraditional", "乙"),
        (4, "upperRoman", "IV"),
        (28, "lowerLetter", "bb"),
        (7, "decimalFullWidth", "７"),
    ],
)
def test_number_formats(n: int, fmt: str, text: str) -> None:
    assert format_number(n, fmt) == text
    if fmt.startswith("chinese"):
        assert chinese_counting(n) == text


def test_table_rows_are_lines_that_carry_their_header_cells() -> None:
    def build(document: DocxDocument) -> None:
        document.add_paragraph("表1　主要数据")
        rows = [
            ("指标", "2021年", "2022年"),
            ("行政许可办件量（件）", "19876", "21544"),
            ("行政复议案件（件）", "31", ""),
        ]
        table = document.add_table(rows=len(rows), cols=3)
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                table.cell(r, c).text = text
        document.add_paragraph("（四）依法化解行政争议。")

    assert lines(build) == [
        Line("表1　主要数据"),
        Line("行政许可办件量（件）：2021年 19876，2022年 21544", table=True),
        Line("行政复议案件（件）：2021年 31", table=True),
        Line("（四）依法化解行政争议。"),
    ]


def test_merged_cells_and_paragraphs_come_in_body_order() -> None:
    def build(document: DocxDocument) -> None:
        document.add_paragraph("一、2024年工作开展情况")
        table = document.add_table(rows=3, cols=3)
        for r, cells in enumerate([("项目", "数量", ""), ("行政复议", "12件", ""), ("行政诉讼", "3件", "")]):
            for c, text in enumerate(cells):
                if text:
                    table.cell(r, c).text = text
        table.cell(0, 2).text = "备注"
        table.cell(1, 2).merge(table.cell(2, 2)).text = "均已办结"
        paragraph = document.add_paragraph("（一）坚持党的领导。")
        paragraph.add_run("").add_break()  # a line break inside a paragraph starts a new line
        paragraph.add_run("（二）持续深化政务公开。")

    assert [line.text for line in lines(build)] == [
        "一、2024年工作开展情况",
        "行政复议：数量 12件，备注 均已办结",
        "行政诉讼：数量 3件，备注 均已办结",
        "（一）坚持党的领导。",
        "（二）持续深化政务公开。",
    ]


def test_page_headers_footers_text_boxes_and_hidden_text_are_not_body_text() -> None:
    def build(document: DocxDocument) -> None:
        section = document.sections[0]
        section.header.paragraphs[0].text = "XX县人民政府办公室（页眉）"
        section.footer.paragraphs[0].text = "— 1 —"
        paragraph = document.add_paragraph("一是完善制度。")
        hidden = paragraph.add_run("隐藏文字")
        hidden.font.hidden = True
        box = parse_xml(
            f"<w:r {nsdecls('w', 'wp', 'a')} xmlns:wps='http://schemas.microsoft.com/office/word/2010/wordprocessingShape'>"
            "<w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>"
            "<w:p><w:r><w:t>文本框里的页码</w:t></w:r></w:p>"
            "</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"
        )
        paragraph._p.append(box)
        document.add_paragraph("二是拓展渠道。")

    assert read_lines("report.docx", make_docx(build)) == ["一是完善制度。", "二是拓展渠道。"]


def test_docx_reads_tracked_insertions_but_not_deletions() -> None:
    def build(document: DocxDocument) -> None:
        paragraph = document.add_paragraph("一是完善")
        inserted = paragraph.add_run("制度")._r
        deleted = paragraph.add_run("删除")._r
        for tag, run in (("ins", inserted), ("del", deleted)):
            wrapper = OxmlElement(f"w:{tag}")
            wrapper.set(qn("w:id"), "1")
            wrapper.set(qn("w:author"), "审核人")
            run.addprevious(wrapper)
            wrapper.append(run)
        for text in deleted.iter(qn("w:t")):
            text.tag = qn("w:delText")

    assert read_lines("tracked.docx", make_docx(build)) == ["一是完善制度"]


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    good = make_docx(lambda document: document.add_paragraph("一是完善制度。"))
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(good)) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        bomb.writestr("word/media/padding.bin", b"\0" * (8 * 1024 * 1024))  # 8 MB into ~8 KB
    started = time.perf_counter()
    with pytest.raises(UnreadableFile) as caught:
        read_lines("bomb.docx", buffer.getvalue())
    assert caught.value.reason == TOO_BIG_INSIDE
    assert time.perf_counter() - started < 2
