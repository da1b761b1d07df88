"""Reading a scanned page: its image through OCR, giving printed lines with their boxes, which
then go through the same paragraph joining as a text layer (`retrieval.pdf`).

OCR is rapidocr-onnxruntime, the optional extra `reportbot[ocr]`: PP-OCR's Chinese detection
and recognition models ship inside that package, so nothing is downloaded at run time. A scan
PDF holds one image per page; the largest image of a page is the page. Without the extra, a
scanned PDF is refused with a reason that names it.
"""

from __future__ import annotations

import functools
from typing import Any

from retrieval.pagelines import PageLine, merge_runs

NEEDS_OCR = "PDF has no text layer (a scan?); to read it by OCR: pip install 'reportbot[ocr]'"


class OcrUnavailable(Exception):
    """The OCR extra is not installed."""


def available() -> bool:
    """True if the OCR extra is installed."""
    try:
        _engine()
    except OcrUnavailable:
        return False
    return True


@functools.cache
def _engine() -> Any:
    """The OCR engine, built once per process (loading its models takes about a second)."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise OcrUnavailable(NEEDS_OCR) from exc
    return RapidOCR()


def page_image(page: Any) -> Any | None:
    """The largest image drawn on a pypdf page (a PIL image), or None when it has none."""
    best, best_area = None, 0
    try:
        images = list(page.images)
    except Exception:
        return None
    for image_file in images:
        try:
            image = image_file.image
        except Exception:
            continue
        if image is None:
            continue
        area = image.width * image.height
        if area > best_area:
            best, best_area = image, area
    return best


def image_lines(image: Any) -> list[PageLine]:
    """The text lines OCR finds in a PIL image, top to bottom, in page-like coordinates
    (pixels, y up from the bottom, size the box height). Raises OcrUnavailable."""
    import numpy

    engine = _engine()
    result, _ = engine(numpy.asarray(image.convert("RGB")))
    height = image.height
    boxes: list[PageLine] = []
    for box, text, _score in result or []:
        xs = [point[0] for point in box]
        ys = [point[1] for point in box]
        text = text.strip()
        if text:
            top, bottom = min(ys), max(ys)
            boxes.append(PageLine(text, float(min(xs)), float(max(xs)), float(height - bottom), bottom - top))
    return _boxes_to_lines(boxes)


def _boxes_to_lines(boxes: list[PageLine]) -> list[PageLine]:
    """Boxes on the same line (vertically overlapping by half a box) merged, top to bottom."""
    lines: list[list[PageLine]] = []
    for box in sorted(boxes, key=lambda b: -(b.y + b.size / 2)):
        centre = box.y + box.size / 2
        if lines:
            last = lines[-1][0]
            if abs((last.y + last.size / 2) - centre) <= 0.5 * max(last.size, box.size):
                lines[-1].append(box)
                continue
        lines.append([box])
    return [merge_runs(line) for line in lines]


def page_lines(page: Any) -> list[PageLine]:
    """The lines OCR reads on a pypdf page's image ([] for a page without one).
    Raises OcrUnavailable."""
    _engine()  # refuse before decoding images when the extra is missing
    image = page_image(page)
    return [] if image is None else image_lines(image)
