"""Answers as Word documents (retrieval.export), read back with python-docx."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import docx

from retrieval import texts
from retrieval.export import answer_docx, full_citation
from retrieval.library import Library
from retrieval.models import Group


def _read(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


def test_question_excerpts_verbatim_and_full_citations(shared_library: Library) -> None:
    answer = shared_library.ask("安化县政协提案立案率是多少", k=2)
    doc = _read(answer_docx(answer, today=date(2026, 12, 1)))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == answer.query.text
    assert doc.paragraphs[0].style.name == "Heading 1"
    assert "2026-12-01" in paragraphs[1]
    for hit in answer.hits:
        assert f"“{hit.snippet.text}”" in paragraphs
    cites = [p for p in paragraphs if p.startswith("—— ")]
    assert cites == ["—— " + full_citation(h) for h in answer.hits]
    first = answer.hits[0]
    assert first.report.issuer in cites[0] and texts.short_title(first.report) in cites[0]
    assert all(part in cites[0] for part in first.passage.section)


def test_matched_terms_are_bold(shared_library: Library) -> None:
    answer = shared_library.ask("安化县政协提案立案率是多少", k=1)
    doc = _read(answer_docx(answer))
    quote = next(p for p in doc.paragraphs if p.text.startswith("“"))
    bold = {r.text for r in quote.runs if r.bold}
    assert bold == {s.text for s in answer.hits[0].snippet.spans if s.match}
    assert bold


def test_source_link_is_written_when_the_report_has_one(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开数据", k=1)
    hit = answer.hits[0]
    linked = dataclasses.replace(
        hit, report=dataclasses.replace(hit.report, url="https://example.gov.cn/a.html")
    )
    doc = _read(answer_docx(dataclasses.replace(answer, hits=(linked,))))
    assert any("https://example.gov.cn/a.html" in p.text for p in doc.paragraphs)


def test_a_refused_answer_gives_its_reason(shared_library: Library) -> None:
    answer = shared_library.ask("今天天气怎么样")
    doc = _read(answer_docx(answer))
    assert texts.refusal(answer) in [p.text for p in doc.paragraphs]


def test_groups_get_a_heading_each_and_missing_sides_a_line(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开数据", k=1)
    grouped = dataclasses.replace(
        answer, groups=(Group("秀山县", answer.hits[0].report, answer.hits),), missing=("潢川县",)
    )
    doc = _read(answer_docx(grouped))
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["秀山县"]
    assert texts.missing(grouped, "潢川县") in [p.text for p in doc.paragraphs]


def test_a_real_comparison_says_what_a_side_lacks(shared_library: Library) -> None:
    doc = _read(answer_docx(shared_library.ask("潢川县和安化县哪个立案率高")))
    paragraphs = [p.text for p in doc.paragraphs]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 2"] == ["安化县"]
    assert "潢川县的报告中没有提到立案率。" in paragraphs


def test_a_reply_about_the_collection_is_written_out(shared_library: Library) -> None:
    answer = shared_library.ask("收录了哪些报告")
    paragraphs = [p.text for p in _read(answer_docx(answer)).paragraphs]
    assert all(line in paragraphs for line in texts.reply(answer).split("\n"))
