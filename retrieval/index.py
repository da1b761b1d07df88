"""BM25 engines behind one small interface: bm25s (default) and rank-bm25 (the reference).

Both take pre-tokenised documents and score a tokenised query against every document. The
bm25s index is saved as numpy arrays and loaded memory-mapped, so a restart neither
re-tokenises nor rebuilds.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import bm25s
import numpy as np
import rank_bm25
from bm25s.scoring import _select_idf_scorer, _select_tfc_scorer

Variant = Literal["lucene", "robertson", "atire", "bm25l", "bm25+"]
DELTA = 0.5  # BM25L's and BM25+'s δ: bm25s's default, given to rank-bm25 too
EngineName = Literal["bm25s", "rank-bm25", "xapian"]  # xapian: retrieval.xapian_index


class IndexMissing(Exception):
    """No saved index at the given place (or one from an incompatible version)."""


class Engine(Protocol):
    """Scores tokenised queries against a fixed, pre-tokenised corpus."""

    def __len__(self) -> int: ...

    def scores(self, query: list[str]) -> np.ndarray:
        """One float32 score per document: its BM25 score less that of a document holding
        none of the query's tokens. So 0 where no query token occurs, for every variant
        (BM25L and BM25+ give such documents a constant above 0), and the ranking is BM25's."""
        ...

    def scores_at(self, query: list[str], docs: np.ndarray) -> np.ndarray:
        """`scores(query)[docs]`, at a cost that grows with len(docs), not the corpus."""
        ...

    def doc_freq(self, token: str) -> int:
        """How many documents hold `token` (0 when it is not in the vocabulary)."""
        ...

    @property
    def k1(self) -> float:
        """BM25's k1: a term held once, at average length, scores idf / (k1 + 1)."""
        ...


class Bm25sEngine:
    """bm25s's index format: BM25 scores precomputed at build time into a sparse matrix
    stored by column (one per token); a query is a sum of a few columns.

    Built here with numpy rather than by `bm25s.BM25.index` (same scores to the bit, same
    files), which needs Python lists of every token of every document: ~10 GB at a million
    passages. Saved and loaded with bm25s, memory-mapped."""

    def __init__(self, model: bm25s.BM25) -> None:
        self.model = model
        s = model.scores
        self._data, self._indices, self._indptr = s["data"], s["indices"], s["indptr"]
        self._n = int(s["num_docs"])
        self._vocab: dict[str, int] = model.vocab_dict
        self._nonoccurrence: np.ndarray | None = model.nonoccurrence_array

    @classmethod
    def build(
        cls,
        corpus: list[list[str]],
        variant: Variant = "lucene",
        k1: float = 1.2,
        b: float = 0.75,
    ) -> Bm25sEngine:
        builder = Bm25sBuilder()
        for doc in corpus:
            builder.add(doc)
        return builder.build(variant=variant, k1=k1, b=b)

    def __len__(self) -> int:
        return self._n

    @property
    def k1(self) -> float:
        return float(self.model.k1)

    @property
    def avg_len(self) -> float:
        """Average document length the scores were computed with (0 when unknown)."""
        return float(getattr(self.model, "avg_len", 0.0))

    def scores(self, query: list[str]) -> np.ndarray:
        ids = [self._vocab[t] for t in query if t in self._vocab]
        out = np.zeros(self._n, dtype=np.float32)
        for t in ids:
            a, z = self._indptr[t], self._indptr[t + 1]
            # As bm25s does (numpy 2's add.at beats out[idx] += data by 2-3x on long columns).
            np.add.at(out, self._indices[a:z], self._data[a:z])
        # bm25s would add the non-occurrence scores of BM25L/BM25+ here: a constant per query
        # (see Engine.scores), left out.
        return out

    def scores_at(self, query: list[str], docs: np.ndarray) -> np.ndarray:
        # Each column lists its documents in ascending order (Bm25sBuilder): binary-search
        # the few documents wanted in it instead of adding the whole column.
        docs = docs.astype(self._indices.dtype, copy=False)
        out = np.zeros(len(docs), dtype=np.float32)
        for t in (self._vocab[t] for t in query if t in self._vocab):
            a, z = int(self._indptr[t]), int(self._indptr[t + 1])
            if a == z:
                continue
            pos = np.minimum(np.searchsorted(self._indices[a:z], docs), z - a - 1)
            held = self._indices[a + pos] == docs
            out[held] += self._data[a + pos[held]]
        return out

    def doc_freq(self, token: str) -> int:
        tid = self._vocab.get(token)
        if tid is None or tid + 1 >= len(self._indptr):
            return 0
        # The score matrix is stored by column (one column per token): its length is the df.
        return int(self._indptr[tid + 1] - self._indptr[tid])

    def save(self, path: Path) -> None:
        self.model.save(str(path), show_progress=False)
        (path / "avg_len.json").write_text(json.dumps(self.avg_len))

    @classmethod
    def load(cls, path: Path, mmap: bool = True) -> Bm25sEngine:
        try:
            model = bm25s.BM25.load(str(path), mmap=mmap, show_progress=False)
            model.avg_len = float(json.loads((path / "avg_len.json").read_text()))
        except (FileNotFoundError, OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
            raise IndexMissing(str(e)) from e
        return cls(model)


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """Statistics of a bigger index that a small one scores against (see Bm25sBuilder.build)."""

    n_docs: int
    avg_len: float
    doc_freq: Callable[[str], int]


class _Vocab(dict[str, int]):
    """token → id, a new id for a token not seen before."""

    def __missing__(self, token: str) -> int:
        self[token] = tid = len(self)
        return tid


class Bm25sBuilder:
    """Builds a Bm25sEngine from documents added one at a time, in bounded memory.

    Documents are kept as token ids and, every CHUNK_TOKENS tokens, folded into sorted
    (token, document, term frequency) runs, so no Python object is kept per token. The
    scores are bm25s's formulas for the variant, computed in the same float types, so the
    matrix equals what `bm25s.BM25.index` builds.
    """

    CHUNK_TOKENS = 8_000_000

    def __init__(self) -> None:
        self.vocab = _Vocab()
        self._get = self.vocab.__getitem__
        self._ids = array("i")
        self._lengths = array("q")
        self._chunk_start = 0  # first document of the chunk in _ids
        self._runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, tokens: list[str]) -> None:
        """Add the next document."""
        self._ids.extend(map(self._get, tokens))
        self._lengths.append(len(tokens))
        if len(self._ids) >= self.CHUNK_TOKENS:
            self._fold_chunk()

    def _fold_chunk(self) -> None:
        docs = len(self._lengths) - self._chunk_start
        if docs and len(self._ids):
            ids = np.frombuffer(self._ids, dtype=np.int32).astype(np.int64)
            lengths = np.frombuffer(self._lengths, dtype=np.int64)[self._chunk_start :]
            key = ids * docs + np.repeat(np.arange(docs, dtype=np.int64), lengths)
            del ids
            key.sort()
            first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            tf = np.diff(np.r_[first, len(key)]).astype(np.int32)
            key = key[first]
            tok = (key // docs).astype(np.int32)
            doc = (key % docs + self._chunk_start).astype(np.int32)
            self._runs.append((tok, doc, tf))  # sorted by token, then document
        self._ids = array("i")
        self._chunk_start = len(self._lengths)

    def build(
        self, variant: Variant = "lucene", k1: float = 1.2, b: float = 0.75, base: CorpusStats | None = None
    ) -> Bm25sEngine:
        """The engine for the documents added. With `base`, idf and length normalisation use
        the base corpus's statistics plus these documents' (a delta index scored so that its
        scores compare with the base index's)."""
        self._fold_chunk()
        model = bm25s.BM25(method=variant, k1=k1, b=b, delta=DELTA)
        n = len(self._lengths)
        lengths = np.frombuffer(self._lengths, dtype=np.int64) if n else np.zeros(1, dtype=np.int64)
        n = max(n, 1)  # bm25s cannot index nothing; an empty document scores 0 for all
        n_vocab = len(self.vocab)
        df = np.zeros(n_vocab, dtype=np.int64)
        for tok, _, _ in self._runs:
            df += np.bincount(tok, minlength=n_vocab)
        if base is None:
            n_stats, df_stats, avg = n, df, lengths.mean()
        else:
            n_stats, avg = n + base.n_docs, np.float64(base.avg_len)
            tokens = list(self.vocab)
            df_stats = df + np.fromiter(map(base.doc_freq, tokens), dtype=np.int64, count=n_vocab)
        # bm25s computes idf one token at a time in Python floats; so do we, for equal scores.
        idf_of = _select_idf_scorer(model.idf_method)
        idf64 = np.zeros(n_vocab, dtype=np.float64)
        for t in np.flatnonzero(df_stats):
            idf64[t] = idf_of(int(df_stats[t]), N=n_stats)
        idf = idf64.astype(model.dtype)
        tfc = _select_tfc_scorer(variant)
        nonoccurrence = None
        if variant in model.methods_requiring_nonoccurrence:
            zero_tf = tfc(tf_array=0, l_d=avg, l_avg=avg, k1=k1, b=b, delta=model.delta)
            nonoccurrence = (idf64 * zero_tf).astype(model.dtype)

        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        data = np.empty(int(indptr[-1]), dtype=model.dtype)
        indices = np.empty(int(indptr[-1]), dtype=np.int32)
        heads = indptr[:-1].copy()  # where each column's next entries go
        doc_len = lengths.astype(np.float64)
        while self._runs:
            tok, doc, tf = self._runs.pop(0)
            starts = np.flatnonzero(np.r_[True, tok[1:] != tok[:-1]])
            sizes = np.diff(np.r_[starts, len(tok)])
            pos = heads[tok] + (np.arange(len(tok)) - np.repeat(starts, sizes))
            heads[tok[starts]] += sizes
            scores = idf[tok] * tfc(
                tf_array=tf.astype(np.float32), l_d=doc_len[doc], l_avg=avg, k1=k1, b=b, delta=model.delta
            )
            if nonoccurrence is not None:
                scores -= nonoccurrence[tok]
            data[pos] = scores
            indices[pos] = doc
        model.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n}
        model.vocab_dict = dict(self.vocab)
        model.unique_token_ids_set = set(model.vocab_dict.values())
        model.nonoccurrence_array = nonoccurrence
        model.avg_len = float(avg)
        return Bm25sEngine(model)


# rank-bm25 0.2.2's BM25L multiplies each term's score by its frequency once more than Lv and
# Zhai's formula does, so it is no reference for BM25L and is not offered.
_RANK_BM25: dict[str, type[rank_bm25.BM25]] = {"robertson": rank_bm25.BM25Okapi, "bm25+": rank_bm25.BM25Plus}


class RankBm25Engine:
    """rank-bm25: plain Python, loops over every document per query term. The reference
    implementation in tests and benchmarks; far too slow beyond ~10k passages."""

    def __init__(
        self, corpus: list[list[str]], variant: Variant = "robertson", k1: float = 1.2, b: float = 0.75
    ) -> None:
        if variant not in _RANK_BM25:
            raise ValueError(f"rank-bm25 has no {variant!r} variant (use one of {sorted(_RANK_BM25)})")
        self.variant = variant
        self._k1 = k1
        # rank-bm25 divides by the corpus size, average length and vocabulary size: a corpus
        # without a token gets no model and scores 0 everywhere (one row, as bm25s's does).
        self._n = max(len(corpus), 1)
        self.model: rank_bm25.BM25 | None = None
        if any(corpus):
            extra = {"delta": DELTA} if variant == "bm25+" else {}
            self.model = _RANK_BM25[variant](corpus, k1=k1, b=b, **extra)
        self._df: dict[str, int] = {}
        for doc in corpus:
            for t in set(doc):
                self._df[t] = self._df.get(t, 0) + 1

    def __len__(self) -> int:
        return self._n

    @property
    def k1(self) -> float:
        return self._k1

    def scores(self, query: list[str]) -> np.ndarray:
        if self.model is None:
            return np.zeros(self._n, dtype=np.float32)
        s = self.model.get_scores(query).astype(np.float32)
        if self.variant == "bm25+":
            # Every document gets idf·δ per query token; leave that constant out (Engine.scores).
            s -= np.float32(sum(self.model.idf.get(t, 0.0) for t in query) * DELTA)
        if self.variant == "robertson":
            # bm25s leaves the constant (k1 + 1) out of Robertson's formula; match it.
            s /= self._k1 + 1
        return s

    def scores_at(self, query: list[str], docs: np.ndarray) -> np.ndarray:
        return self.scores(query)[docs]  # rank-bm25 scores every document, whatever is asked

    def doc_freq(self, token: str) -> int:
        return self._df.get(token, 0)


def lucene_idf(df: int, n: int) -> float:
    """Lucene's BM25 idf: never negative, so a term in most documents still counts a little."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))
