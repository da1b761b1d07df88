"""Answering a question: BM25 over the index, narrowed by place and year, re-ranked by what
the question asks for, refused when nothing in the reports answers it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.index import Bm25sEngine, Engine, EngineName, RankBm25Engine, Variant, lucene_idf
from retrieval.models import Answer, Hit, Passage, Query, Refusal, Report, SectionKind
from retrieval.snippets import _fold, make_snippet, sentence_scores, sentences
from retrieval.store import Store
from retrieval.tokenize import Tokenizer
from retrieval.understand import (
    MAX_QUESTION_CHARS,
    Understander,
    has_figures,
    is_intent_term,
    section_kind,
)

INDEX_FORMAT = 1
CANDIDATES = 100  # passages re-ranked after BM25
MIN_COVERAGE = 0.5  # share of the question's weight the best passage must hold
HIT_MIN_COVERAGE = 0.34  # and each further hit
HIT_MIN_RELATIVE = 0.3  # further hits score at least this share of the best
PROXIMITY_BASE = 0.5  # a passage with no two terms in one sentence keeps this share of its score
SECTION_BOOST = 1.6  # a passage in the part of the report the question asks about
FIGURE_BOOST = 1.25  # a passage stating figures, when the question asks for one


def index_text(section: tuple[str, ...], text: str) -> str:
    """What is indexed for a passage: its headings and its text (an opening heading once)."""
    heads = section[:-1] if section and text.startswith(section[-1]) else section
    return " ".join((*heads, text))


@dataclass
class Index:
    """A BM25 engine and, row for row, what each indexed passage is."""

    engine: Engine
    passage_ids: np.ndarray  # int64
    report_ids: np.ndarray  # int32
    kinds: np.ndarray  # uint8 SectionKind
    figures: np.ndarray  # bool

    @classmethod
    def build(
        cls,
        rows: Iterable[tuple[int, int, tuple[str, ...], str, list[str]]],
        engine: EngineName = "bm25s",
        variant: Variant = "lucene",
        k1: float = 1.2,
        b: float = 0.75,
        show_progress: bool = False,
    ) -> Index:
        """Index (passage id, report id, section, text, tokens) rows."""
        pids: list[int] = []
        rids: list[int] = []
        kinds: list[int] = []
        figs: list[bool] = []
        corpus: list[list[str]] = []
        for pid, rid, section, text, tokens in rows:
            pids.append(pid)
            rids.append(rid)
            kinds.append(section_kind(section))
            figs.append(has_figures(text))
            corpus.append(tokens)
        eng: Engine
        if engine == "rank-bm25":
            eng = RankBm25Engine(corpus, variant=variant, k1=k1, b=b)
        else:
            eng = Bm25sEngine.build(corpus, variant=variant, k1=k1, b=b, show_progress=show_progress)
        return cls(
            eng,
            np.asarray(pids, dtype=np.int64),
            np.asarray(rids, dtype=np.int32),
            np.asarray(kinds, dtype=np.uint8),
            np.asarray(figs, dtype=bool),
        )

    def __len__(self) -> int:
        return len(self.passage_ids)

    def save(self, path: Path, fingerprint: str) -> None:
        """Write the index to `path` (a directory), replacing what was there."""
        if not isinstance(self.engine, Bm25sEngine):
            raise TypeError("only the bm25s engine can be saved")
        path.mkdir(parents=True, exist_ok=True)
        self.engine.save(path / "bm25s")
        for name in ("passage_ids", "report_ids", "kinds", "figures"):
            np.save(path / f"{name}.npy", getattr(self, name))
        meta = {"format": INDEX_FORMAT, "fingerprint": fingerprint, "rows": len(self)}
        (path / "meta.json").write_text(json.dumps(meta))

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> Index | None:
        """The saved index at `path` if it is of this format and built from the same data."""
        try:
            meta = json.loads((path / "meta.json").read_text())
        except (OSError, ValueError):
            return None
        if meta.get("format") != INDEX_FORMAT or meta.get("fingerprint") != fingerprint:
            return None
        arrays = {
            n: np.load(path / f"{n}.npy", mmap_mode="r")
            for n in ("passage_ids", "report_ids", "kinds", "figures")
        }
        return cls(Bm25sEngine.load(path / "bm25s"), **arrays)


class Searcher:
    """Answers questions from one index. Immutable once built: a reindex builds a new Searcher
    and swaps it in, so questions in flight finish on the old one."""

    def __init__(
        self,
        index: Index,
        store: Store,
        tokenizer: Tokenizer,
        understander: Understander,
        reports: dict[int, Report],
    ) -> None:
        self.index = index
        self.store = store
        self.tokenizer = tokenizer
        self.understander = understander
        self.reports = reports
        order = np.argsort(index.report_ids, kind="stable")
        bounds = np.searchsorted(index.report_ids[order], list(reports), side="left")
        ends = np.searchsorted(index.report_ids[order], list(reports), side="right")
        self._rows_of_report = {rid: order[a:b] for rid, a, b in zip(reports, bounds, ends, strict=True)}

    def ask(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        """Hits `offset`…`offset + k` for `question`, or a refusal saying why there are none."""
        q = self.understander.understand(question[: MAX_QUESTION_CHARS * 4])
        refusal = self._refuse(q)
        if refusal:
            known = tuple(self.understander.places.known_places())
            return Answer(q, refusal=refusal, known_places=known)
        weights = self._term_weights(q)
        ranked = self._rank(q, weights) if q.terms else self._overview(q)
        if not ranked:
            return Answer(q, refusal=Refusal.NO_MATCH)
        surfaces = {s: w for t, w in weights.items() for s in self.tokenizer.surfaces(t)}
        hits = tuple(
            Hit(
                rank=offset + i + 1,
                score=round(score, 4),
                passage=p,
                report=self.reports[p.report_id],
                snippet=make_snippet(p.text, surfaces, q.wants_figures),
            )
            for i, (score, p) in enumerate(ranked[offset : offset + k])
        )
        return Answer(q, hits=hits)

    def _refuse(self, q: Query) -> Refusal | None:
        if not self.reports or len(self.index) == 0:
            return Refusal.NO_REPORTS
        if not q.text:
            return Refusal.EMPTY
        if len(q.text) > MAX_QUESTION_CHARS:
            return Refusal.TOO_LONG
        if q.unknown_places and not q.places:
            return Refusal.UNKNOWN_PLACE
        if not q.terms and not q.places:
            return Refusal.EMPTY
        return None

    def _term_weights(self, q: Query) -> dict[str, float]:
        """Each term's idf; a term in no passage weighs most."""
        n = len(self.index)
        return {t: lucene_idf(self.index.engine.doc_freq(t), n) for t in q.terms}

    def _rows(self, q: Query) -> np.ndarray | None:
        if q.report_ids is None:
            return None
        parts = [self._rows_of_report[r] for r in q.report_ids if r in self._rows_of_report]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def candidates(self, q: Query) -> tuple[np.ndarray, np.ndarray]:
        """The BM25 step alone: index rows of the (at most CANDIDATES) best-scoring passages
        within the question's reports, and their scores (float64), in no particular order."""
        scores = self.index.engine.scores(list(q.terms))
        rows = self._rows(q)
        if rows is None:
            rows, sub = np.arange(len(scores)), scores
        else:
            sub = scores[rows]
        n = min(CANDIDATES, int(np.count_nonzero(sub)))
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        top = np.argpartition(-sub, n - 1)[:n]
        return rows[top], sub[top].astype(np.float64)

    def _rank(self, q: Query, term_weights: dict[str, float]) -> list[tuple[float, Passage]]:
        """BM25 candidates re-ranked by where the question's terms sit in them; empty when
        the best candidate holds too little of the question."""
        cand_rows, bm25 = self.candidates(q)
        if not len(cand_rows):
            return []
        if q.kind != SectionKind.OTHER:
            bm25[self.index.kinds[cand_rows] == q.kind] *= SECTION_BOOST
        if q.wants_figures:
            bm25[self.index.figures[cand_rows]] *= FIGURE_BOOST
        passages = self.store.passages([int(self.index.passage_ids[r]) for r in cand_rows])
        weights = _dedup(term_weights)
        total = sum(weights.values()) or 1.0
        # The most a sentence can hold: every term, and a figure when one is asked for.
        best_sentence = total + (max(weights.values(), default=0.0) if q.wants_figures else 0.0)
        ranked: list[tuple[float, float, Passage]] = []
        for row, score in zip(cand_rows, bm25, strict=True):
            p = passages.get(int(self.index.passage_ids[row]))
            if p is None:
                continue  # deleted since the index was built
            in_kind = q.kind != SectionKind.OTHER and self.index.kinds[row] == q.kind
            cover, near = self._coverage(p, weights, q, in_kind)
            # Terms together in one sentence answer better than terms scattered over a passage.
            ranked.append((score * (PROXIMITY_BASE + near / best_sentence), cover / total, p))
        ranked.sort(key=lambda x: -x[0])
        if not ranked or ranked[0][1] < MIN_COVERAGE:
            return []
        best = ranked[0][0]
        return [
            (s, p)
            for i, (s, c, p) in enumerate(ranked)
            if i == 0 or (c >= HIT_MIN_COVERAGE and s >= HIT_MIN_RELATIVE * best)
        ]

    def _coverage(
        self, p: Passage, weights: dict[str, float], q: Query, in_kind: bool
    ) -> tuple[float, float]:
        """Weight of the question's terms the passage holds verbatim (headings included), and
        the most of it any one sentence holds. Words that only name the part of a report
        asked about (计划, 不足) are held by every passage in that part."""
        text = _fold(index_text(p.section, p.text))
        held = {t for t in weights if any(s in text for s in self.tokenizer.surfaces(t))}
        if in_kind:
            held |= {t for t in weights if is_intent_term(t, q.kind)}
        cover = sum(weights[t] for t in held)
        near_weights = {s: weights[t] for t in held for s in self.tokenizer.surfaces(t)}
        body = sentence_scores(p.text, sentences(p.text), near_weights, q.wants_figures)
        return cover, max(body, default=0.0)

    def _overview(self, q: Query) -> list[tuple[float, Passage]]:
        """A question that names only a place: the opening passage of each of its reports."""
        out: list[tuple[float, Passage]] = []
        for rid in q.report_ids or ():
            rows = self._rows_of_report.get(rid)
            if rows is None or not len(rows):
                continue
            p = self.store.passage(int(self.index.passage_ids[rows.min()]))
            if p:
                out.append((0.0, p))
        return out


def _dedup(weights: dict[str, float]) -> dict[str, float]:
    """Drop a compound when the words inside it are terms too (重大行政决策 beside 决策):
    counting both would let one concept outweigh the rest of the question."""
    return {t: w for t, w in weights.items() if not any(o != t and len(o) >= 2 and o in t for o in weights)}
