"""Measuring answer quality on a question set: Hit@1, Hit@3, MRR@5 and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.models import Answer, Passage, Report


@dataclass(frozen=True, slots=True)
class Question:
    q: str
    expect: tuple[str, ...]  # any one of these in a hit's text makes it right; () = must refuse


@dataclass
class EvalResult:
    answerable: int = 0
    hit1: int = 0
    hit3: int = 0
    rr5: float = 0.0
    off_corpus: int = 0
    refused: int = 0
    wrongly_refused: int = 0
    misses: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n = max(self.answerable, 1)
        lines = [
            f"questions: {self.answerable} answerable, {self.off_corpus} off-corpus",
            f"Hit@1: {self.hit1 / n:.3f}",
            f"Hit@3: {self.hit3 / n:.3f}",
            f"MRR@5: {self.rr5 / n:.3f}",
            f"answerable refused: {self.wrongly_refused}/{self.answerable}",
            f"off-corpus refused: {self.refused}/{self.off_corpus}"
            + (f" ({self.refused / self.off_corpus:.0%})" if self.off_corpus else ""),
        ]
        return "\n".join(lines)


def read_questions(path: Path) -> list[Question]:
    """Questions from a JSONL file; raises ValueError naming the first bad line."""
    out = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            out.append(Question(str(obj["q"]), tuple(str(x) for x in obj.get("expect", []))))
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"{path}:{n}: not a {{'q', 'expect'}} object ({e})") from None
    return out


def first_right(answer: Answer, expect: tuple[str, ...]) -> int | None:
    """1-based rank of the first hit whose passage holds an expected string."""
    for h in answer.hits:
        if any(e in h.passage.text for e in expect):
            return h.rank
    return None


def evaluate(ask: Callable[..., Answer], questions: list[Question]) -> EvalResult:
    res = EvalResult()
    for q in questions:
        answer = ask(q.q, k=5)
        if not q.expect:
            res.off_corpus += 1
            res.refused += not answer.answered
            if answer.answered:
                res.misses.append(f"{q.q} → answered, should refuse")
            continue
        res.answerable += 1
        rank = first_right(answer, q.expect)
        if not answer.answered:
            res.wrongly_refused += 1
        if rank is None:
            res.misses.append(f"{q.q} → {answer.refusal or 'not in top 5'}")
            continue
        res.hit1 += rank == 1
        res.hit3 += rank <= 3
        res.rr5 += 1 / rank
        if rank > 1:
            res.misses.append(f"{q.q} → rank {rank}")
    return res


@dataclass
class MetaResult:
    """How many metadata fields of a meta.json (issuer, year, title, places, and each listed
    sentence's section path) the stored reports got right."""

    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"metadata fields right: {self.right}/{self.total}"


def _squash(text: str) -> str:
    return "".join(text.split())


def read_meta(path: Path) -> dict[str, dict]:
    """A meta.json of the shape check_metadata reads ({file name: {"issuer", "year", "title",
    "places", "sentences": [{"text", "section"}]}}, each field optional); raises ValueError
    saying in one line where it is not."""
    try:
        meta = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{path}: not a JSON file ({e})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: not an object of file names (a {type(meta).__name__})")
    for name, want in meta.items():
        sentences = want.get("sentences", []) if isinstance(want, dict) else None
        fine = isinstance(sentences, list) and all(
            isinstance(s, dict) and isinstance(s.get("text"), str) and isinstance(s.get("section"), list)
            for s in sentences
        )
        if not fine:
            raise ValueError(
                f"{path}: {name!r} is not an object of issuer, year, title, places and "
                "sentences ([{'text', 'section'}])"
            )
    return meta


def check_metadata(
    meta: dict[str, dict], reports: list[Report], passages: Callable[[int], list[Passage]]
) -> MetaResult:
    """Compare stored reports (matched to meta.json's entries by file name) with what the
    meta file says: issuer, year, title (white space ignored) and places, each where it is
    given, and for each listed
    sentence, that a passage holding it sits under exactly the listed section path."""
    by_source = {r.source: r for r in reports}
    res = MetaResult()
    for name, want in meta.items():
        report = by_source.get(name)
        # Only the fields the meta file gives count: a real page often has no title to check.
        fields = [(key, want[key]) for key in ("issuer", "year", "title", "places") if key in want]
        for key, expected in fields:
            res.total += 1
            got = None if report is None else getattr(report, key)
            if key == "title" and got is not None:
                got, expected = _squash(got), _squash(str(expected))
            if key == "places" and got is not None:
                got = list(got)
            if got == expected:
                res.right += 1
            else:
                res.misses.append(f"{name}: {key} {got!r} != {expected!r}")
        stored = passages(report.id) if report is not None else []
        for sentence in want.get("sentences", []):
            res.total += 1
            text, section = sentence["text"], list(sentence["section"])
            holding = [list(p.section) for p in stored if text in p.text]
            if section in holding:
                res.right += 1
            else:
                res.misses.append(f"{name}: {text!r} under {holding or 'no passage'} != {section}")
    return res
