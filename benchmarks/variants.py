"""Which BM25 variant ranks best on the bundled reports? BM25 alone and the full pipeline.

    python benchmarks/variants.py [QUESTIONS.jsonl ...]

"BM25 alone" ranks the place/year-narrowed passages by the engine's score only, so the
variants' IDF differences show (on five reports, Robertson's IDF gives a term found in more
than half the passages no weight at all; Lucene's never drops below zero). "pipeline" is what
`reportbot eval` measures: BM25 candidates re-ranked and refused as in production.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from retrieval.config import Settings
from retrieval.evaluate import evaluate, read_questions
from retrieval.library import Library

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("lucene", "robertson", "atire", "bm25l", "bm25+")


def bm25_alone(library: Library, questions: list) -> tuple[float, float]:
    """Hit@1 and Hit@3 of the raw engine ranking over answerable questions."""
    s = library.searcher
    hit1 = hit3 = n = 0
    for q in questions:
        if not q.expect:
            continue
        n += 1
        query = s.understander.understand(q.q)
        rows, scores = s.candidates(query)
        order = rows[np.argsort(-scores, kind="stable")][:3]
        texts = [library.passage(int(s.passage_ids[r])).text for r in order]  # type: ignore[union-attr]
        ranks = [i for i, t in enumerate(texts) if any(e in t for e in q.expect)]
        hit1 += bool(ranks and ranks[0] == 0)
        hit3 += bool(ranks)
    return hit1 / n, hit3 / n


def main() -> None:
    files = [Path(p) for p in sys.argv[1:]] or [
        ROOT / "tests/data/questions.jsonl",
        ROOT / "tests/data/dev_questions.jsonl",
    ]
    questions = [q for f in files for q in read_questions(f)]
    print(f"{len(questions)} questions from {', '.join(f.name for f in files)}")
    heads = ("BM25 Hit@1", "BM25 Hit@3", "pipe Hit@1", "pipe Hit@3")
    print(f"{'variant':<10} " + " ".join(f"{h:>10}" for h in heads) + f" {'MRR@5':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for v in VARIANTS:
            settings = Settings(_env_file=None, data_dir=Path(tmp) / v, bm25_variant=v)  # type: ignore[call-arg]
            lib = Library(settings)
            b1, b3 = bm25_alone(lib, questions)
            r = evaluate(lib.ask, questions)
            n = r.answerable
            print(
                f"{v:<10} {b1:>10.3f} {b3:>10.3f} {r.hit1 / n:>10.3f} {r.hit3 / n:>10.3f} {r.rr5 / n:>6.3f}"
            )
            lib.store.close()


if __name__ == "__main__":
    main()
