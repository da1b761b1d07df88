"""An answer as a Word document, for pasting into a staff report (材料): the question, each
excerpt verbatim with its matched terms in bold, and its full citation (issuer, title, year,
section path, source link). Made with python-docx."""

from __future__ import annotations

import io
from datetime import date

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from retrieval import texts
from retrieval.models import Answer, Hit, Table

_FONT = "宋体"  # what 材料 are written in; Word substitutes where it is missing


def full_citation(hit: Hit) -> str:
    """Issuer《title》（year）› section path — everything needed to find the passage again."""
    return " › ".join([texts.report_name(hit.report), *hit.passage.section])


def answer_docx(answer: Answer, today: date | None = None) -> bytes:
    """The .docx file's bytes for `answer` (a refused answer gives its reason instead)."""
    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(12)
    # East Asian text takes its font from w:eastAsia, which font.name does not set.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), _FONT)

    document.add_heading(answer.query.text, level=1)
    meta = document.add_paragraph(texts.EXPORT_DATE.format(date=(today or date.today()).isoformat()))
    meta.runs[0].font.color.rgb = RGBColor(0x66, 0x66, 0x66)
    if answer.lead:
        document.add_paragraph().add_run(answer.lead).bold = True  # the answer in a line, first
    if answer.table is not None and answer.table.rows:
        _add_table(document, answer.table)
    if answer.reply is not None:  # about the collection, or small talk: its text
        for line in texts.reply(answer).split("\n"):
            document.add_paragraph(line)
    elif not answer.answered and not answer.missing:
        document.add_paragraph(texts.refusal(answer))
    elif answer.groups:
        for group in answer.groups:
            document.add_heading(group.key, level=2)
            for hit in group.hits:
                _add_hit(document, hit)
    else:
        for hit in answer.hits:
            _add_hit(document, hit)
    for missing in answer.missing:
        document.add_paragraph(texts.missing(answer, missing))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_table(document: docx.document.Document, table: Table) -> None:
    """A ranking's table, as the spreadsheet gives it: rank, place, year, value, unit, issuer."""
    head = ["排名", "地区", "年份", table.measure, "单位", "发布单位"]
    grid = document.add_table(rows=1, cols=len(head))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, head, strict=True):
        cell.text = text
    for i, row in enumerate(table.rows, 1):
        values = [
            str(i),
            row.place,
            str(row.report.year or ""),
            f"{row.figure.value:g}",
            row.figure.unit,
            row.report.issuer,
        ]
        for cell, text in zip(grid.add_row().cells, values, strict=True):
            cell.text = text
    document.add_paragraph()


def _add_hit(document: docx.document.Document, hit: Hit) -> None:
    quote = document.add_paragraph()
    quote.paragraph_format.left_indent = Pt(18)
    quote.add_run("“")
    for span in hit.snippet.spans:
        quote.add_run(span.text).bold = span.match
    quote.add_run("”")
    cite = document.add_paragraph()
    cite.paragraph_format.left_indent = Pt(18)
    cite.alignment = WD_ALIGN_PARAGRAPH.LEFT
    run = cite.add_run("—— " + full_citation(hit))
    run.font.size = Pt(10.5)
    link = hit.report.url
    if link:
        cite.add_run("\n" + texts.EXPORT_SOURCE.format(url=link)).font.size = Pt(10.5)
