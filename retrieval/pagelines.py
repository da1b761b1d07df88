"""A printed page's lines as the PDF reader and OCR both give them: where each stands, and
runs of text on one baseline joined into one line."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PageLine:
    """One printed line of a page and where it stands: `x0`..`x1` from the page's left edge,
    `y` its baseline measured up from the bottom (PDF space), `size` its font size (its
    height, for OCR), all in points."""

    text: str
    x0: float
    x1: float
    y: float
    size: float


def merge_runs(runs: list[PageLine]) -> PageLine:
    """One line from runs on the same baseline: left to right, a space where a wide gap is
    (between table cells or words), joined tight otherwise (Chinese has no spaces)."""
    runs = sorted(runs, key=lambda r: r.x0)
    text = runs[0].text
    for left, right in itertools.pairwise(runs):
        gap = right.x0 - left.x1
        latin = text[-1:].isascii() and text[-1:].isalnum() and right.text[:1].isascii()
        text += " " if gap > 1.5 * right.size or (latin and gap > 0.2 * right.size) else ""
        text += right.text
    size = Counter(round(r.size, 1) for r in runs for _ in r.text).most_common(1)[0][0]
    return PageLine(text, runs[0].x0, max(r.x1 for r in runs), runs[0].y, size)
