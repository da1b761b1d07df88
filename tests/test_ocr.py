"""Tests for retrieval.ocr: a page of Chinese drawn into an image, wrapped in a PDF with no
text layer, read back by OCR (the `ocr` extra, part of the test extras)."""

from __future__ import annotations

import pytest

from retrieval import ocr
from retrieval.errors import UnreadableFile
from retrieval.read import read_document
from tests.conftest import scan_pdf

# (indent in characters, text): a heading, a paragraph wrapped over two lines (its first line
# indented and full), a short item ending in "；", and a one-line paragraph.
SCAN = [
    (2, "一、主要工作开展情况"),
    (2, "全年办理行政复议案件三十七件，纠错率"),
    (0, "百分之十二，复议质效持续提升。"),
    (2, "二、存在的问题"),
    (2, "基层法治力量薄弱，专业人员不足。"),
]
SCAN_LINES = [
    "一、主要工作开展情况",
    "全年办理行政复议案件三十七件，纠错率百分之十二，复议质效持续提升。",
    "二、存在的问题",
    "基层法治力量薄弱，专业人员不足。",
]


@pytest.fixture(scope="module")
def scan() -> bytes:
    return scan_pdf(SCAN)


def test_a_scanned_page_is_read_by_ocr_and_its_lines_joined(scan: bytes) -> None:
    seen: list[tuple[int, int]] = []
    document = read_document("scan.pdf", scan, progress=lambda page, pages: seen.append((page, pages)))
    assert document.texts == SCAN_LINES
    assert seen == [(1, 1)]


def test_without_the_extra_a_scan_is_refused_naming_it(monkeypatch, scan: bytes) -> None:
    def missing() -> None:
        raise ocr.OcrUnavailable(ocr.NEEDS_OCR)

    monkeypatch.setattr(ocr, "_engine", missing)
    with pytest.raises(UnreadableFile) as caught:
        read_document("scan.pdf", scan)
    assert str(caught.value) == "scan.pdf: " + ocr.NEEDS_OCR
    assert "pip install 'reportbot[ocr]'" in str(caught.value)
    assert "\n" not in str(caught.value)
