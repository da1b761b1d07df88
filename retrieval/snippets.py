"""Sentence-level snippets: the one to three sentences of a passage that best answer a question,
quoted verbatim, with the question's terms marked."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from retrieval.models import Snippet, Span
from retrieval.tokenize import fold
from retrieval.understand import has_figures

MAX_SNIPPET_CHARS = 220
MIN_SNIPPET_CHARS = 40
NEIGHBOUR_SHARE = 0.4  # a neighbouring sentence joins if it holds this share of the best's weight
_SENTENCE = re.compile(r"[^。！？；!?;]*[。！？；!?;]?")


def sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) ranges of the sentences of `text`, each with its closing punctuation."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.end() > m.start()]


def term_matches(text: str, surfaces: Sequence[str]) -> list[tuple[int, int]]:
    """Non-overlapping [start, end) ranges where any surface form occurs, longest forms first."""
    folded = fold(text)
    taken = [False] * len(text)
    found: list[tuple[int, int]] = []
    for s in sorted(set(surfaces), key=len, reverse=True):
        if not s:
            continue
        start = folded.find(s)
        while start != -1:
            end = start + len(s)
            if not any(taken[start:end]):
                found.append((start, end))
                for i in range(start, end):
                    taken[i] = True
            start = folded.find(s, end)
    return sorted(found)


def sentence_scores(
    text: str,
    spans: list[tuple[int, int]],
    weights: Mapping[str, float],
    wants_figures: bool = False,
    units: str = "",
) -> list[float]:
    """For each sentence, the weight of the distinct terms it holds, plus a figure's worth
    (as much as the weightiest term) when the question asks for one and the sentence has it
    (half as much when it is not counted in the `units` asked for)."""
    folded = fold(text)
    top = max(weights.values(), default=1.0)
    out = []
    for a, b in spans:
        part = folded[a:b]
        s = sum(w for t, w in weights.items() if t and t in part)
        if wants_figures and s > 0 and has_figures(part):
            s += top if not units or has_figures(part, units) else top / 2
        out.append(s)
    return out


def make_snippet(
    text: str,
    weights: Mapping[str, float],
    wants_figures: bool = False,
    max_chars: int = MAX_SNIPPET_CHARS,
    units: str = "",
) -> Snippet:
    """The best sentences of `text` for terms whose surface forms weigh `weights`.

    The best sentence is the one holding the most weight of distinct terms (and a figure, if
    the question wants one); its neighbours join while they hold a good share of that and the snippet
    stays under `max_chars`. A sentence too long on its own is cut around its first match.
    '…' marks every cut.
    """
    spans = sentences(text) or [(0, len(text))]
    scores = sentence_scores(text, spans, weights, wants_figures, units)
    best = max(range(len(spans)), key=lambda i: (scores[i], -i))
    lo, hi = best, best
    # Grow towards whichever neighbour holds more of the question, while it fits.
    while hi - lo < 2:
        # A sentence that is only a heading (（四）不断强化政务服务。) says little alone: let the
        # next sentence join even if it holds no term.
        short = _width(spans, lo, hi) < MIN_SNIPPET_CHARS
        options = [
            j
            for j in (lo - 1, hi + 1)
            if 0 <= j < len(spans)
            and _width(spans, min(lo, j), max(hi, j)) <= max_chars
            and (scores[j] >= NEIGHBOUR_SHARE * scores[best] > 0 or (short and j == hi + 1))
        ]
        if not options:
            break
        j = max(options, key=lambda j: scores[j])
        lo, hi = min(lo, j), max(hi, j)
    start, end = spans[lo][0], spans[hi][1]
    if end - start > max_chars:
        first = term_matches(text[start:end], list(weights))
        anchor = start + (first[0][0] if first else 0)
        start = max(start, anchor - max_chars // 4)
        end = min(end, start + max_chars)
    return _spans(text, start, end, list(weights))


def _width(spans: list[tuple[int, int]], lo: int, hi: int) -> int:
    return spans[hi][1] - spans[lo][0]


def _spans(text: str, start: int, end: int, surfaces: list[str]) -> Snippet:
    part = text[start:end].strip()
    offset = start + (len(text[start:end]) - len(text[start:end].lstrip()))
    end = offset + len(part)
    out: list[Span] = []
    if offset > 0:
        out.append(Span("…"))
    pos = 0
    # Single characters would mark half the text; highlight words and numbers only.
    marks = term_matches(part, [s for s in surfaces if len(s) >= 2 or s.isdigit()])
    for a, b in marks:
        if a > pos:
            out.append(Span(part[pos:a]))
        out.append(Span(part[a:b], match=True))
        pos = b
    if pos < len(part):
        out.append(Span(part[pos:]))
    if end < len(text.rstrip()):
        out.append(Span("…"))
    return Snippet(tuple(out))
