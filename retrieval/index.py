"""BM25 engines behind one small interface: bm25s (default) and rank-bm25 (the reference).

Both take pre-tokenised documents and score a tokenised query against every document. The
bm25s index is saved as numpy arrays and loaded memory-mapped, so a restart neither
re-tokenises nor rebuilds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Literal, Protocol

import bm25s
import numpy as np
import rank_bm25

Variant = Literal["lucene", "robertson", "atire", "bm25l", "bm25+"]
EngineName = Literal["bm25s", "rank-bm25"]


class IndexMissing(Exception):
    """No saved index at the given place (or one from an incompatible version)."""


class Engine(Protocol):
    """Scores tokenised queries against a fixed, pre-tokenised corpus."""

    def __len__(self) -> int: ...

    def scores(self, query: list[str]) -> np.ndarray:
        """One float32 score per document, 0 where no query token occurs."""
        ...

    def doc_freq(self, token: str) -> int:
        """How many documents hold `token` (0 when it is not in the vocabulary)."""
        ...


class Bm25sEngine:
    """bm25s: scores precomputed at build time into a sparse matrix; a query is a sum of a
    few columns."""

    def __init__(self, model: bm25s.BM25) -> None:
        self.model = model
        self._indptr = model.scores["indptr"]
        self._n = int(model.scores["num_docs"])

    @classmethod
    def build(
        cls,
        corpus: list[list[str]],
        variant: Variant = "lucene",
        k1: float = 1.2,
        b: float = 0.75,
        show_progress: bool = False,
    ) -> Bm25sEngine:
        model = bm25s.BM25(method=variant, k1=k1, b=b)
        if not corpus:
            corpus = [[]]  # bm25s cannot index nothing; an empty document scores 0 for all
        vocab: dict[str, int] = {}
        ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
        model.index((ids, vocab), show_progress=show_progress)
        return cls(model)

    def __len__(self) -> int:
        return self._n

    def scores(self, query: list[str]) -> np.ndarray:
        ids = self.model.get_tokens_ids(query)
        if not ids:
            return np.zeros(self._n, dtype=np.float32)
        return self.model.get_scores_from_ids(ids)

    def doc_freq(self, token: str) -> int:
        tid = self.model.vocab_dict.get(token)
        if tid is None:
            return 0
        # The score matrix is stored by column (one column per token): its length is the df.
        return int(self._indptr[tid + 1] - self._indptr[tid])

    def save(self, path: Path) -> None:
        self.model.save(str(path))

    @classmethod
    def load(cls, path: Path, mmap: bool = True) -> Bm25sEngine:
        try:
            model = bm25s.BM25.load(str(path), mmap=mmap)
        except (FileNotFoundError, OSError, ValueError, KeyError, json.JSONDecodeError) as e:
            raise IndexMissing(str(e)) from e
        return cls(model)


_RANK_BM25 = {"robertson": rank_bm25.BM25Okapi, "bm25l": rank_bm25.BM25L, "bm25+": rank_bm25.BM25Plus}


class RankBm25Engine:
    """rank-bm25: plain Python, loops over every document per query term. The reference
    implementation in tests and benchmarks; far too slow beyond ~10k passages."""

    def __init__(
        self, corpus: list[list[str]], variant: Variant = "robertson", k1: float = 1.2, b: float = 0.75
    ) -> None:
        if variant not in _RANK_BM25:
            raise ValueError(f"rank-bm25 has no {variant!r} variant (use one of {sorted(_RANK_BM25)})")
        # rank-bm25 divides by the corpus size and average length: give it one empty document.
        self.model = _RANK_BM25[variant](corpus or [[]], k1=k1, b=b)
        self.variant = variant
        self.k1 = k1
        self._df: dict[str, int] = {}
        for doc in self.model.doc_freqs:
            for t in doc:
                self._df[t] = self._df.get(t, 0) + 1

    def __len__(self) -> int:
        return int(self.model.corpus_size)

    def scores(self, query: list[str]) -> np.ndarray:
        s = self.model.get_scores(query).astype(np.float32)
        if self.variant == "robertson":
            # bm25s leaves the constant (k1 + 1) out of Robertson's formula; match it.
            s /= self.k1 + 1
        return s

    def doc_freq(self, token: str) -> int:
        return self._df.get(token, 0)


def lucene_idf(df: int, n: int) -> float:
    """Lucene's BM25 idf: never negative, so a term in most documents still counts a little."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
