"""Answering a question: BM25 over the index, narrowed by place and year, re-ranked by what
the question asks for, refused when nothing in the reports answers it."""

from __future__ import annotations

import functools
import json
import re
import shutil
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.index import (
    Bm25sBuilder,
    Bm25sEngine,
    CorpusStats,
    Engine,
    EngineName,
    IndexMissing,
    RankBm25Engine,
    Variant,
    lucene_idf,
)
from retrieval.models import Answer, Hit, Passage, Query, Refusal, Report, SectionKind
from retrieval.snippets import make_snippet, sentences
from retrieval.store import Store
from retrieval.tokenize import Tokenizer, fold
from retrieval.understand import (
    MAX_QUESTION_CHARS,
    Understander,
    has_figures,
    is_common_noun,
    is_intent_term,
    section_kind,
)
from retrieval.xapian_index import XapianBuilder, XapianEngine

INDEX_FORMAT = 3  # 3: section kinds judged by the next heading when the top names two parts
CANDIDATES = 100  # passages re-ranked after BM25
MANY_REPORTS = 200  # a question narrowed to more reports finds their rows in one pass
# A question narrowed to fewer than 1/NARROW_RATIO of the rows scores just those rows (by
# binary search in each term's postings) rather than every row.
NARROW_RATIO = 16
MIN_COVERAGE = 0.5  # share of the question's weight the best passage must hold
HIT_MIN_COVERAGE = 0.34  # and each further hit
# A question narrowed to some reports (by place, issuer or year) whose best passage holds less
# than MIN_COVERAGE is answered with its closest passages (Answer.partial) when they hold this
# much; everyday words the reports do not use (评上了啥, 请律师) often leave no more.
PARTIAL_COVERAGE = 0.25
HIT_MIN_RELATIVE = 0.3  # further hits score at least this share of the best
PROXIMITY_BASE = 0.5  # a passage with no two terms in one sentence keeps this share of its score
SECTION_BOOST = 1.6  # a passage in the part of the report the question asks about
# Next year's plans say what is to be done, not what was: when a question does not ask for
# plans, their passages keep this share of their score (a figure there is a target, so a
# question asking for a figure keeps less).
PLANS_SHARE = 0.8
PLANS_FIGURE_SHARE = 0.6
# A passage shorter than this (a signature, a lone heading) says too little to be an answer:
# its score is scaled down in proportion, to no less than SHORT_PASSAGE_FLOOR of it.
SHORT_PASSAGE_CHARS = 30
SHORT_PASSAGE_FLOOR = 0.3
FIGURE_BOOST = 1.25  # a passage stating figures, when the question asks for one
# A synonym of a question's word (行政诉讼 for 打官司) counts this share of the word's weight,
# in BM25 and in how much of the question a passage holds.
SYNONYM_WEIGHT = 0.8


def index_text(section: tuple[str, ...], text: str) -> str:
    """What is indexed for a passage: its headings and its text (an opening heading once)."""
    heads = section[:-1] if section and text.startswith(section[-1]) else section
    return " ".join((*heads, text))


@dataclass
class Index:
    """A BM25 engine and, row for row, what each indexed passage is (rows by passage id)."""

    engine: Engine
    passage_ids: np.ndarray  # int64, ascending
    report_ids: np.ndarray  # int32
    kinds: np.ndarray  # uint8 SectionKind
    figures: np.ndarray  # bool
    fingerprint: str = ""  # the database and settings it was built for (see Library._index_key)
    generation: int = -1  # the database's generation it was built from; -1 when unknown

    @classmethod
    def build(
        cls,
        rows: Iterable[tuple[int, int, tuple[str, ...], str, list[str]]],
        engine: EngineName = "bm25s",
        variant: Variant = "lucene",
        k1: float = 1.2,
        b: float = 0.75,
    ) -> Index:
        """Index (passage id, report id, section, text, tokens) rows."""
        rows_ = ((pid, rid, section_kind(sec), text, toks) for pid, rid, sec, text, toks in rows)
        return cls._build(rows_, engine, variant, k1, b)

    @classmethod
    def from_stored(
        cls,
        rows: Iterable[tuple[int, int, str, str, str]],
        engine: EngineName = "bm25s",
        variant: Variant = "lucene",
        k1: float = 1.2,
        b: float = 0.75,
        base: Index | None = None,
        fingerprint: str = "",
        generation: int = -1,
        shards: Sequence[tuple[str, int]] = (),
    ) -> Index:
        """Index rows as the store keeps them (id, report id, section JSON, text, tokens joined
        by spaces; see Store.iter_index_rows). With `base`, a delta index: its scores use the
        base's corpus statistics too, so that they compare with the base's (bm25s only).
        With `shards` (engine xapian), the rows are scored by the xapian-tcpsrv servers at
        those (host, port) addresses, which must hold exactly these rows (ShardMismatch,
        from XapianEngine.check_rows)."""
        kinds: dict[str, int] = {}

        def kind(section: str) -> int:
            # Passages of one section share its JSON: parse each section once.
            k = kinds.get(section)
            if k is None:
                if len(kinds) > 100_000:
                    kinds.clear()
                k = kinds[section] = section_kind(tuple(json.loads(section)))
            return k

        rows_ = ((pid, rid, kind(sec), text, toks.split()) for pid, rid, sec, text, toks in rows)
        return cls._build(rows_, engine, variant, k1, b, base, fingerprint, generation, shards)

    @classmethod
    def _build(
        cls,
        rows: Iterable[tuple[int, int, int, str, list[str]]],
        engine: EngineName,
        variant: Variant,
        k1: float,
        b: float,
        base: Index | None = None,
        fingerprint: str = "",
        generation: int = -1,
        shards: Sequence[tuple[str, int]] = (),
    ) -> Index:
        # Typed arrays, not lists: a million rows must not cost a Python object each.
        pids, rids, kinds, figs = array("q"), array("i"), array("B"), array("B")
        builder = Bm25sBuilder()
        # Remote shards hold the tokens already: only the rows' own columns are read here.
        remote = engine == "xapian" and bool(shards)
        xapian = XapianBuilder() if engine == "xapian" and not remote else None
        corpus: list[list[str]] = []
        for pid, rid, kind, text, tokens in rows:
            pids.append(pid)
            rids.append(rid)
            kinds.append(kind)
            figs.append(has_figures(text))
            if remote:
                pass
            elif engine == "rank-bm25":
                corpus.append(tokens)
            elif xapian is not None:
                xapian.add(tokens, rid)
            else:
                builder.add(tokens)
        eng: Engine
        if remote:
            eng = XapianEngine.remote(shards, k1=k1, b=b)
        elif engine == "rank-bm25":
            eng = RankBm25Engine(corpus, variant=variant, k1=k1, b=b)
        elif xapian is not None:
            eng = xapian.build(k1=k1, b=b)  # Lucene's BM25 whatever the variant (see xapian_index)
        else:
            stats = None
            if base is not None and isinstance(base.engine, Bm25sEngine):
                stats = CorpusStats(len(base.engine), base.engine.avg_len, base.engine.doc_freq)
            eng = builder.build(variant=variant, k1=k1, b=b, base=stats)
        report_ids = np.array(rids, dtype=np.int32)
        if remote:
            assert isinstance(eng, XapianEngine)
            eng.check_rows(report_ids)
        if isinstance(eng, XapianEngine):
            # A question narrowed to an issuer's thousands of reports then takes the best of
            # all rows instead of filtering by every report's term (2M rows: 1.3 s → 70 ms).
            eng.know_reports(report_ids)
        return cls(
            eng,
            np.array(pids, dtype=np.int64),
            report_ids,
            np.array(kinds, dtype=np.uint8),
            np.array(figs, dtype=bool),
            fingerprint,
            generation,
        )

    def __len__(self) -> int:
        return len(self.passage_ids)

    @property
    def max_passage_id(self) -> int:
        """The highest passage id indexed (0 for none): newer passages belong in a delta."""
        return int(self.passage_ids[-1]) if len(self.passage_ids) else 0

    def save(self, path: Path, fingerprint: str) -> None:
        """Write the index to `path` (a directory), replacing what was there: a bm25s
        engine with its rows, or, for one scoring on remote shards, the rows alone (reading
        them from a database of ten million passages takes minutes; these files, seconds).

        Written beside it and swapped in by renaming: an index loaded from `path` is
        memory-mapped, and overwriting its files in place would change (or, if shorter,
        crash) the questions still answering from it. Its unlinked files live on until
        unmapped."""
        shards = isinstance(self.engine, XapianEngine) and bool(self.engine.addresses)
        if not shards and not isinstance(self.engine, Bm25sEngine):
            raise TypeError("only a bm25s engine, or the rows of remote shards, can be saved")
        new, old = path.with_name(path.name + ".new"), path.with_name(path.name + ".old")
        for d in (new, old):
            shutil.rmtree(d, ignore_errors=True)
        new.mkdir(parents=True)
        if isinstance(self.engine, Bm25sEngine):
            self.engine.save(new / "bm25s")
        for name in ("passage_ids", "report_ids", "kinds", "figures"):
            np.save(new / f"{name}.npy", getattr(self, name))
        meta = {
            "format": INDEX_FORMAT,
            "fingerprint": fingerprint,
            "generation": self.generation,
            "rows": len(self),
            "engine": "shards" if shards else "bm25s",
        }
        (new / "meta.json").write_text(json.dumps(meta))
        if path.exists():
            path.rename(old)
        new.rename(path)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(
        cls,
        path: Path,
        fingerprint: str,
        shards: Sequence[tuple[str, int]] = (),
        generation: int | None = None,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> Index | None:
        """The saved index at `path` if it is whole, of this format and saved under the same
        fingerprint (memory-mapped); None otherwise. Its `generation` says which data.

        With `shards`, the saved rows of an index scoring on those servers, only if saved
        from data of `generation` (ignored without): ShardMismatch if the shards do not
        hold those rows."""
        try:
            meta = json.loads((path / "meta.json").read_text())
            if meta.get("format") != INDEX_FORMAT or meta.get("fingerprint") != fingerprint:
                return None
            if meta.get("engine", "bm25s") != ("shards" if shards else "bm25s"):
                return None
            saved_generation = int(meta.get("generation", -1))
            if shards and saved_generation != generation:
                return None  # the shards cannot take a delta: a full build (and check) is due
            arrays = {
                n: np.load(path / f"{n}.npy", mmap_mode="r")
                for n in ("passage_ids", "report_ids", "kinds", "figures")
            }
            engine: Engine = (
                XapianEngine.remote(shards, k1=k1, b=b) if shards else Bm25sEngine.load(path / "bm25s")
            )
        except (OSError, ValueError, IndexMissing):
            return None
        if any(len(a) != meta.get("rows") for a in arrays.values()):
            return None
        if isinstance(engine, XapianEngine):
            engine.check_rows(arrays["report_ids"])
            engine.know_reports(arrays["report_ids"])
        return cls(engine, **arrays, fingerprint=fingerprint, generation=saved_generation)


class Searcher:
    """Answers questions from one index. Immutable once built: a reindex or a change builds a
    new Searcher and swaps it in, so questions in flight finish on the old one.

    The index may be a main index plus a small `delta` of the passages added since it was
    built, searched as one (rows of the delta follow the main's), with `dead` rows (of
    reports deleted since) scoring nothing."""

    def __init__(
        self,
        index: Index,
        store: Store,
        tokenizer: Tokenizer,
        understander: Understander,
        reports: dict[int, Report],
        delta: Index | None = None,
        dead: np.ndarray | None = None,
    ) -> None:
        self.index = index
        self.delta = delta
        self.store = store
        self.tokenizer = tokenizer
        self.understander = understander
        self.reports = reports
        parts = (index,) if delta is None else (index, delta)
        # One row space for both (a copy of the main's memory-mapped arrays only with a delta).
        self.passage_ids, self.report_ids, self.kinds, self.figures = (
            getattr(index, n) if delta is None else np.concatenate([getattr(p, n) for p in parts])
            for n in ("passage_ids", "report_ids", "kinds", "figures")
        )
        self._dead = np.zeros(0, dtype=np.int64) if dead is None else dead
        self._rows = sum(len(p) for p in parts)
        # Plain arrays, not memory maps: a slice of a memory map costs ~4 µs more, and a
        # start slices one for each of tens of thousands of reports.
        order = np.asarray(np.argsort(self.report_ids, kind="stable"))
        in_order = np.asarray(self.report_ids)[order]
        bounds = np.searchsorted(in_order, list(reports), side="left")
        ends = np.searchsorted(in_order, list(reports), side="right")
        self._rows_of_report = {rid: order[a:b] for rid, a, b in zip(reports, bounds, ends, strict=True)}
        self._max_report_id = max(int(self.report_ids.max()) if self._rows else 0, max(reports, default=0))

    @property
    def size(self) -> int:
        """Passages answered from (rows of deleted reports not counted)."""
        return self._rows - len(self._dead)

    def ask(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        """Hits `offset`…`offset + k` for `question`, or a refusal saying why there are none."""
        q = self.understander.understand(question[: MAX_QUESTION_CHARS * 4])
        refusal = self._refuse(q)
        if refusal:
            known = tuple(self.understander.places.known_places())
            years = q.place_years if refusal == Refusal.MISSING_YEAR else ()
            return Answer(q, refusal=refusal, known_places=known, other_years=years)
        weights = self._term_weights(q)
        ranked, partial = self._rank(q, weights) if q.terms else (self._overview(q), False)
        if not ranked:
            return Answer(q, refusal=Refusal.NO_MATCH)
        surfaces: dict[str, float] = {}
        for t, w in weights.items():
            forms = [*self._forms(q, t), *self._pieces(q, t).items()]
            for form, share in forms:
                surfaces[form] = max(surfaces.get(form, 0.0), w * share)
        hits = tuple(
            Hit(
                rank=offset + i + 1,
                score=round(score, 4),
                passage=p,
                report=self.reports[p.report_id],
                snippet=make_snippet(p.text, surfaces, q.wants_figures, units=q.units),
            )
            for i, (score, p) in enumerate(ranked[offset : offset + k])
        )
        return Answer(q, hits=hits, other_years=self._other_years(q, ranked[0][1]), partial=partial)

    def _other_years(self, q: Query, best: Passage) -> tuple[int, ...]:
        """The years, besides the one answered from, with a report of the place answered
        about among the question's reports, when the question was narrowed (by place or
        issuer) and named no year; newest first."""
        if q.years or q.report_ids is None:
            return ()
        answered = self.reports[best.report_id]
        years = {
            r.year
            for r in (self.reports.get(i) for i in q.report_ids)
            if r is not None and r.year and r.place == answered.place and r.year != answered.year
        }
        return tuple(sorted(years, reverse=True))

    def _forms(self, q: Query, term: str) -> list[tuple[str, float]]:
        """The strings a term is found as in folded text, each with the share of the term's
        weight it counts for: the term itself, and its synonyms at SYNONYM_WEIGHT."""
        forms = [(s, 1.0) for s in self.tokenizer.surfaces(term)]
        others = dict(q.alternatives).get(term, ())
        return forms + [(fold(o), SYNONYM_WEIGHT) for o in others]

    def _pieces(self, q: Query, term: str) -> dict[str, float]:
        """For a word of a synonym group, the words inside it (as _dedup keeps them) and the
        share of the word's weight each holds: a passage holding only some of them holds that
        much of the word, as it would had the word not been in a group (行政规范性文件 → 行政,
        规范性, 文件). Empty for other terms, and for a word with none inside it."""
        if term not in dict(q.alternatives):
            return {}
        inside = {t: self._idf(t) for t in self.tokenizer.tokens(term) if t != term}
        inside = _dedup(inside)
        total = sum(inside.values())
        return {t: w / total for t, w in inside.items()} if total else {}

    def _bm25_terms(self, q: Query) -> tuple[list[str], list[str]]:
        """Tokens to score the question's terms by, and its synonyms' tokens (scored at
        SYNONYM_WEIGHT)."""
        alternatives = dict(q.alternatives)
        main: list[str] = []
        extra: list[str] = []
        for t in q.terms:
            if t in alternatives:
                main.extend([t, *self.tokenizer.tokens(t)])
                for o in alternatives[t]:
                    extra.extend(self.tokenizer.tokens(o))
            else:
                main.append(t)
        main = list(dict.fromkeys(main))
        return main, [t for t in dict.fromkeys(extra) if t not in main]

    def _refuse(self, q: Query) -> Refusal | None:
        if not self.reports or self.size == 0:
            return Refusal.NO_REPORTS
        if not q.text:
            return Refusal.EMPTY
        if len(q.text) > MAX_QUESTION_CHARS:
            return Refusal.TOO_LONG
        if q.choices and not q.places:
            return Refusal.WHICH_PLACE
        if q.unknown_places and not q.places:
            return Refusal.UNKNOWN_PLACE
        if q.absent_years and not q.report_ids:
            return Refusal.MISSING_YEAR
        if not q.terms and not q.places:
            return Refusal.EMPTY
        return None

    def _term_weights(self, q: Query) -> dict[str, float]:
        """Each term's idf; a term in no passage weighs most. A word of a synonym group with
        words inside it weighs what they would together (so a synonym table changes what a
        question finds, not the balance of its words)."""
        out: dict[str, float] = {}
        for t in q.terms:
            pieces = self._pieces(q, t)
            out[t] = sum(self._idf(p) for p in pieces) if pieces else self._idf(t)
        return out

    def _idf(self, token: str) -> float:
        return lucene_idf(self._doc_freq(token), self._rows)

    def _doc_freq(self, token: str) -> int:
        df = self.index.engine.doc_freq(token)
        return df + self.delta.engine.doc_freq(token) if self.delta is not None else df

    def _rows_of(self, q: Query) -> np.ndarray | None:
        if q.report_ids is None:
            return None
        if len(q.report_ids) > MANY_REPORTS:
            # Thousands of reports (an issuer, a province): one pass over every row's report is
            # quicker than sorting their rows together, and yields them in order.
            wanted = np.zeros(self._max_report_id + 1, dtype=bool)
            wanted[[r for r in q.report_ids if r in self._rows_of_report]] = True
            return np.flatnonzero(wanted[self.report_ids])
        parts = [self._rows_of_report[r] for r in q.report_ids if r in self._rows_of_report]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def candidates(self, q: Query) -> tuple[np.ndarray, np.ndarray]:
        """The BM25 step alone: index rows of the (at most CANDIDATES) best-scoring passages
        within the question's reports, and their scores (float64), by row. Of passages tied
        at the cut, the earliest are taken."""
        terms, synonyms = self._bm25_terms(q)
        engine = self.index.engine
        if isinstance(engine, XapianEngine) and self.delta is None and not len(self._dead):
            # Xapian finds the best itself, skipping what cannot reach them, across shards.
            return engine.top(terms, CANDIDATES, synonyms, SYNONYM_WEIGHT, q.report_ids)
        rows = self._rows_of(q)
        if rows is not None and len(rows) * NARROW_RATIO < self._rows:
            sub = self._scores_at(terms, rows)
            if synonyms:
                sub = sub + SYNONYM_WEIGHT * self._scores_at(synonyms, rows)
        else:
            sub = self._scores(terms)
            if synonyms:
                sub = sub + SYNONYM_WEIGHT * self._scores(synonyms)
            sub = sub if rows is None else sub[rows]
        top = _holding_the_best(sub)
        if len(top) > CANDIDATES:
            # The score of the CANDIDATES-th best by partitioning scores alone: at a million
            # passages several times quicker than argpartition over every row.
            values = sub[top]
            cut = len(values) - CANDIDATES
            kth = np.partition(values, cut)[cut]
            above = values > kth
            ties = top[values == kth][: CANDIDATES - int(np.count_nonzero(above))]
            top = np.sort(np.concatenate((top[above], ties)))
        return (top if rows is None else rows[top]), sub[top].astype(np.float64)

    def _scores(self, terms: list[str]) -> np.ndarray:
        """Every row's score."""
        # An engine over nothing still holds one empty document: cut scores to the rows.
        scores = self.index.engine.scores(terms)[: len(self.index)]
        if self.delta is not None:
            scores = np.concatenate((scores, self.delta.engine.scores(terms)[: len(self.delta)]))
        if len(self._dead):
            scores[self._dead] = 0
        return scores

    def _scores_at(self, terms: list[str], rows: np.ndarray) -> np.ndarray:
        """`_scores(terms)[rows]` for a few rows (ascending), at their cost."""
        split = int(np.searchsorted(rows, len(self.index)))
        out = self.index.engine.scores_at(terms, rows[:split])
        if self.delta is not None and split < len(rows):
            delta = self.delta.engine.scores_at(terms, rows[split:] - len(self.index))
            out = np.concatenate((out, delta))
        if len(self._dead):
            out[np.isin(rows, self._dead)] = 0
        return out

    def _rank(self, q: Query, term_weights: dict[str, float]) -> tuple[list[tuple[float, Passage]], bool]:
        """BM25 candidates re-ranked by where the question's terms sit in them, and whether
        they hold only part of the question (see PARTIAL_COVERAGE); empty when the best
        candidate holds too little of it."""
        cand_rows, bm25 = self.candidates(q)
        if q.kind != SectionKind.OTHER:
            cand_rows, bm25 = self._with_part_asked(q, term_weights, cand_rows, bm25)
        if not len(cand_rows):
            return [], False
        if q.wants_figures:
            bm25[self.figures[cand_rows]] *= FIGURE_BOOST
        # As Python lists: indexing memory-mapped arrays one element at a time, and sums of
        # numpy scalars, cost more than the re-ranking they served.
        pids = self.passage_ids[cand_rows].tolist()
        kinds = self.kinds[cand_rows].tolist()
        passages = self.store.passages(pids)
        weights = _dedup(term_weights, keep={t for t, _ in q.alternatives})
        surfaces = {t: self._forms(q, t) for t in weights}
        pieces = {t: self._pieces(q, t) for t in weights}
        total = sum(weights.values()) or 1.0
        # The most a sentence can hold: every term, and a figure when one is asked for.
        best_sentence = total + (max(weights.values(), default=0.0) if q.wants_figures else 0.0)
        ranked: list[tuple[float, float, Passage]] = []
        kept_by: dict[int, float] = {}  # the score that decides whether a further hit is kept
        folded: dict[int, str] = {}  # each candidate's text folded once, for coverage and pasting
        asked, other, plans = int(q.kind), int(SectionKind.OTHER), int(SectionKind.PLANS)
        for pid, kind, score in zip(pids, kinds, bm25.tolist(), strict=True):
            p = passages.get(pid)
            if p is None:
                continue  # deleted since the index was built
            in_kind = asked != other and kind == asked
            body = folded[p.id] = fold(p.text)
            cover, near = self._coverage(p, body, weights, surfaces, pieces, q, in_kind)
            # Terms together in one sentence answer better than terms scattered over a passage.
            score *= PROXIMITY_BASE + near / best_sentence
            planned = asked == other and kind == plans
            share = (PLANS_FIGURE_SHARE if q.wants_figures else PLANS_SHARE) if planned else 1.0
            score *= share
            if q.units and has_figures(p.text, q.units):
                score *= FIGURE_BOOST  # a figure counted as asked: 多少条 → 4217条
            if len(p.text) < SHORT_PASSAGE_CHARS:
                score *= max(SHORT_PASSAGE_FLOOR, len(p.text) / SHORT_PASSAGE_CHARS)
            ranked.append((score, cover / total, p))
            # Plans rank lower, but are no weaker answers for it (kept as further hits).
            kept_by[p.id] = score / share
        best = max((s for s, _, _ in ranked), default=0.0)
        ranked.sort(key=lambda x: -x[0])
        pasted = _pasted(q.text)
        if pasted:
            # A phrase copied from a report finds the passage holding it word for word first:
            # such a passage scores above every other (and holds the whole question). It holds
            # every term, so it is among the best-scored few; only those are looked through.
            ranked[:PASTED_LOOKED_AT] = [
                (s + best, 1.0, p) if pasted in _NOT_WORD.sub("", folded[p.id]) else (s, c, p)
                for s, c, p in ranked[:PASTED_LOOKED_AT]
            ]
            ranked.sort(key=lambda x: -x[0])
        if q.first:
            ranked = _first(ranked, set(q.first))
        # The first hit must hold MIN_COVERAGE of the question: the best-scoring passage that
        # does goes first; when none does, the question is refused.
        lead = next((i for i, r in enumerate(ranked) if r[1] >= MIN_COVERAGE), None)
        partial = lead is None and q.report_ids is not None and self._may_answer_in_part(q)
        if partial:
            # Asked about a place or year with reports: the closest passages, said to be so,
            # rather than a refusal, when they hold a fair part of the question.
            lead = next((i for i, r in enumerate(ranked) if r[1] >= PARTIAL_COVERAGE), None)
        if lead is None:
            return [], False
        ranked.insert(0, ranked.pop(lead))
        further = PARTIAL_COVERAGE if partial else HIT_MIN_COVERAGE
        return [
            (s, p)
            for i, (s, c, p) in enumerate(ranked)
            if i == 0 or (c >= further and kept_by[p.id] >= HIT_MIN_RELATIVE * best)
        ], partial

    def _may_answer_in_part(self, q: Query) -> bool:
        """Whether a question no passage holds half of may get its closest passages: it names
        a place or an issuer (a year alone narrows to nearly every report: 2023年最火的电视剧),
        and no thing it asks about (a common noun: 门票, 电视剧) is one the collection never
        names, nor has a word the reports use in its stead (请律师 → 法律顾问). Everyday verbs
        the reports do not use (调解了, 催办) do not stop it: the reports say them otherwise."""
        if q.years and not q.places and len(q.report_ids or ()) >= len(self.reports) / 2:
            return False
        others = dict(q.alternatives)
        return not any(
            is_common_noun(t) and not others.get(t) and not self._doc_freq(t) and not self._inside_used(t)
            for t in q.terms
        )

    def _inside_used(self, term: str) -> bool:
        """Whether a term the collection never uses holds a word it does (开会研究: 研究)."""
        return any(self._doc_freq(t) for t in self.tokenizer.tokens(term) if t != term and len(t) > 1)

    def _with_part_asked(
        self, q: Query, term_weights: dict[str, float], rows: np.ndarray, bm25: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidates where the passages in the part of the report asked about (下一步打算 →
        the plans part) count as holding the words that ask for it, as _coverage counts them:
        they score as if holding each once, and get SECTION_BOOST. Within the question's
        reports they become candidates even when they hold no term (a plans part headed
        工作思路 answers 打算); unnarrowed, that part of every report would be too many."""
        bonus = sum(w for t, w in term_weights.items() if is_intent_term(t, q.kind)) / (
            self.index.engine.k1 + 1
        )
        narrowed = self._rows_of(q)
        if bonus and narrowed is not None:
            extra = narrowed[self.kinds[narrowed] == q.kind]
            # Ascending rows less the few candidates and dead ones: looked up, not sorted
            # together (an issuer's plans part is ~80,000 rows at ten million passages).
            taken = np.union1d(rows, self._dead)
            if len(taken):
                extra = extra[taken[np.searchsorted(taken, extra).clip(max=len(taken) - 1)] != extra]
            if len(extra) > CANDIDATES:
                extra = self._openings(extra)
            order = np.argsort(np.concatenate((rows, extra)), kind="stable")
            rows = np.concatenate((rows, extra))[order]
            bm25 = np.concatenate((bm25, np.zeros(len(extra))))[order]
        in_kind = self.kinds[rows] == q.kind
        bm25[in_kind] = (bm25[in_kind] + bonus) * SECTION_BOOST
        return rows, bm25

    def _openings(self, rows: np.ndarray) -> np.ndarray:
        """Of many rows (ascending) in the part asked about, CANDIDATES: each report's first
        in that part, then each one's second, and so on (re-ranking every passage of that part
        of a few thousand reports, as 政府办 names, took seconds)."""
        reports = self.report_ids[rows]
        starts = np.flatnonzero(np.r_[True, reports[1:] != reports[:-1]])
        # A report's passages have consecutive ids, so its rows form one run: its nth is at n.
        place = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
        return np.sort(rows[np.lexsort((rows, place))[:CANDIDATES]])

    def _coverage(
        self,
        p: Passage,
        body: str,
        weights: dict[str, float],
        surfaces: dict[str, list[tuple[str, float]]],
        pieces: dict[str, dict[str, float]],
        q: Query,
        in_kind: bool,
    ) -> tuple[float, float]:
        """Weight of the question's terms the passage holds verbatim (headings included), and
        the most of it any one sentence holds (snippets.sentence_scores' measure). A term held
        only as a synonym counts its share (SYNONYM_WEIGHT). Words that only name the part of
        a report asked about (计划, 不足) are held by every passage in that part."""
        # `body` is p.text folded (by the caller, who needs it too). With the headings, they
        # hold what index_text does.
        heads = _folded_headings(p.section)

        # Plain loops, not generators: this runs for a few terms in a few sentences of each of
        # a hundred candidates, and generator set-up was most of its cost.
        def share(forms: list[tuple[str, float]], parts: Iterable[tuple[str, float]], text: str) -> float:
            whole = 0.0
            for s, f in forms:
                if f > whole and s and s in text:
                    whole = f
            inside = 0.0
            for s, f in parts:
                if s in text:
                    inside += f
            return inside if inside > whole else whole

        in_body = {t: share(surfaces[t], pieces[t].items(), body) for t in weights}
        in_heads = {t: share(surfaces[t], pieces[t].items(), heads) for t in weights}
        held = {t: max(in_heads[t], in_body[t]) for t in weights}
        held = {t: f for t, f in held.items() if f}
        # The words asking for the part the passage is in, and its headings' words, are in
        # effect in every sentence of it.
        everywhere = {t: 1.0 for t in weights if in_kind and is_intent_term(t, q.kind)}
        for t in held:
            f = in_heads[t]
            if f:
                everywhere[t] = max(everywhere.get(t, 0.0), f)
        counted = {t: max(held.get(t, 0.0), everywhere.get(t, 0.0)) for t in {*held, *everywhere}}
        cover = sum(weights[t] * f for t, f in counted.items())
        # snippets.sentence_scores' measure, on the folded text.
        top = max((weights[t] for t in counted), default=1.0)
        near = 0.0
        # A sentence holds only what the text does: only those terms, and of each only the
        # forms the text holds, are looked for in each.
        looked = [
            (
                weights[t],
                everywhere.get(t, 0.0),
                [(s, f) for s, f in surfaces[t] if s and s in body],
                [(s, f) for s, f in pieces[t].items() if s in body],
            )
            for t in counted
            if in_body.get(t)
        ]
        fixed = sum(weights[t] * everywhere.get(t, 0.0) for t in counted if not in_body.get(t))
        for a, b in sentences(p.text):
            part = body[a:b]
            score = 0.0
            for w, e, forms, parts in looked:
                f = share(forms, parts, part)
                score += w * (f if f > e else e)
            score += fixed
            if q.wants_figures and score > 0 and has_figures(part):
                # A figure counted as asked (多少条 → 4217条) holds the question; another, half.
                score += top if not q.units or has_figures(part, q.units) else top / 2
            near = max(near, score)
        return cover, near

    def _overview(self, q: Query) -> list[tuple[float, Passage]]:
        """A question that names only a place: the opening passage of each of its reports."""
        out: list[tuple[float, Passage]] = []
        for rid in q.report_ids or ():
            rows = self._rows_of_report.get(rid)
            if rows is None or not len(rows):
                continue
            p = self.store.passage(int(self.passage_ids[rows.min()]))
            if p:
                out.append((0.0, p))
        return out


_NOT_WORD = re.compile(r"[\W_]+")
PASTED_LOOKED_AT = 30  # best-scored candidates looked through for a pasted phrase
PASTED_MIN_CHARS = 6  # a shorter question found verbatim is a word or two, not a copied phrase


@functools.lru_cache(maxsize=1 << 16)
def _folded_headings(section: tuple[str, ...]) -> str:
    """A passage's headings as one folded string. Cached: a report's passages share a few
    sections, and folding them again for every candidate was a tenth of re-ranking."""
    return fold(" ".join(section))


def _squashed(text: str) -> str:
    """Folded text with spaces and punctuation taken out: what a pasted phrase is matched in."""
    return _NOT_WORD.sub("", fold(text))


def _pasted(question: str) -> str:
    """The question as a phrase that may have been copied from a passage, or "" if too short."""
    squashed = _squashed(question)
    return squashed if len(squashed) >= PASTED_MIN_CHARS else ""


def _holding_the_best(scores: np.ndarray) -> np.ndarray:
    """Ascending positions of scores above 0 that include every one of the CANDIDATES best
    (and all tied with the last of them); often far fewer than all scores above 0."""
    if len(scores) < 64 * CANDIDATES:
        return np.flatnonzero(scores)
    # Half a million passages may hold a common term: listing them all (np.flatnonzero) took
    # longer than scoring them. A bar from a 1-in-64 sample, set so that about 5×CANDIDATES
    # scores pass it, is exact whenever at least CANDIDATES do (else all are listed).
    sample = scores[::64]
    k = len(sample) - max(1, 5 * CANDIDATES // 64)
    bar = np.partition(sample, k)[k]
    if bar > 0:
        top = np.flatnonzero(scores >= bar)
        if len(top) >= CANDIDATES:
            return top
    return np.flatnonzero(scores)


def _first(ranked: list[tuple[float, float, Passage]], first: set[int]) -> list[tuple[float, float, Passage]]:
    """The passages of the `first` reports ahead of the rest (each part in its order), when
    the best of them answers the question (holds MIN_COVERAGE of it); else `ranked` as it is."""
    ahead = [r for r in ranked if r[2].report_id in first]
    if not any(r[1] >= MIN_COVERAGE for r in ahead):
        return ranked
    return ahead + [r for r in ranked if r[2].report_id not in first]


def _dedup(weights: dict[str, float], keep: set[str] | frozenset[str] = frozenset()) -> dict[str, float]:
    """Drop a compound when the words inside it are terms too (重大行政决策 beside 决策):
    counting both would let one concept outweigh the rest of the question. Terms in `keep`
    (words of synonym groups, which weigh their inside words themselves) stay."""
    return {
        t: w
        for t, w in weights.items()
        if t in keep or not any(o != t and len(o) >= 2 and o in t for o in weights)
    }
