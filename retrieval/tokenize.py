"""Tokenising Chinese text for BM25: jieba with a domain dictionary, stopwords and place folding."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

import jieba

from retrieval.places import PACKAGE_DATA

# A token worth indexing holds a CJK character, a letter or a digit.
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_DICT_FREQ = 2000  # high enough that jieba keeps a dictionary term whole
# Bump when `Tokenizer.tokens` changes what it emits: stored tokens are then rewritten.
TOKENS_VERSION = 2


class Tokenize(Protocol):
    """What the index and the searcher need from a tokenizer: text → tokens, and the surface
    forms to highlight for a token."""

    def tokens(self, text: str) -> list[str]: ...

    def surfaces(self, token: str) -> tuple[str, ...]: ...


def read_word_list(path: Path) -> list[str]:
    """Whitespace-separated words of a list file; lines starting with '#' are comments."""
    words: list[str] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("#"):
            words.extend(line.split())
    return words


@functools.cache
def _dictionary(user_dict: Path) -> tuple[dict[str, int], int]:
    """jieba's dictionary with the user dictionary added, loaded once per process (~0.5 s)."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    base = jieba.Tokenizer()
    base.initialize()
    base.load_userdict(str(user_dict))
    return base.FREQ, base.total


class Tokenizer:
    """jieba, initialised once per instance, tuned for report text.

    - Domain terms (data/userdict.txt) and place names are kept whole, and, like jieba's
      search mode, a long word also yields the dictionary words inside it (法治政府建设 →
      法治, 政府, 建设, 法治政府, 法治政府建设), so a question need not use the report's
      exact compound.
    - Every alias of a place folds to one token (秀山, 秀山县 → 秀山土家族苗族自治县).
    - Stopwords, punctuation and whitespace are dropped; Latin letters are lower-cased and
      full-width forms normalised (NFKC).
    """

    def __init__(
        self,
        user_dict: Path = PACKAGE_DATA / "userdict.txt",
        stopwords: Path = PACKAGE_DATA / "stopwords.txt",
    ) -> None:
        self.user_dict = user_dict
        self.stopwords_path = stopwords
        self._jieba = jieba.Tokenizer()
        freq, total = _dictionary(user_dict)
        # add_word changes the dictionary: each tokenizer gets its own copy of the shared one.
        self._jieba.FREQ, self._jieba.total = dict(freq), total
        self._jieba.initialized = True
        self.stopwords = frozenset(read_word_list(stopwords))
        self._fold: dict[str, str] = {}
        self._surfaces: dict[str, set[str]] = {}
        # Every change since construction, in order: (word, None) taught to jieba, (alias,
        # canonical) folded. Replaying it on a new Tokenizer yields one that tokenises
        # identically (a bulk ingest's worker processes do so).
        self._changes: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    def signature(self) -> str:
        """Identifies what this tokenizer emits: its code version, dictionary and stopwords.
        Stored tokens written under another signature are stale."""
        h = hashlib.sha256(str(TOKENS_VERSION).encode())
        for path in (self.user_dict, self.stopwords_path):
            h.update(path.read_bytes())
        return h.hexdigest()[:16]

    def add_words(self, words: Iterable[str]) -> None:
        """Teach jieba words to keep whole (domain terms, place names)."""
        with self._lock:
            for w in words:
                if self._jieba.FREQ.get(w, 0) < _DICT_FREQ:
                    self._jieba.add_word(w, freq=_DICT_FREQ)
                    self._changes.append((w, None))

    def add_aliases(self, aliases: Mapping[str, str]) -> None:
        """Fold each alias to its canonical token; every alias is also kept whole by jieba."""
        self.add_words([*aliases, *aliases.values()])
        with self._lock:
            for alias, canonical in aliases.items():
                if self._fold.get(alias) != canonical:
                    self._changes.append((alias, canonical))
                self._fold[alias] = canonical
                self._surfaces.setdefault(canonical, {canonical}).add(alias)

    def change_count(self) -> int:
        """How many changes have been made (a point in `changes` to replay up to)."""
        return len(self._changes)

    def changes(self, start: int = 0) -> list[tuple[str, str | None]]:
        """The changes made to this tokenizer since construction, from the `start`th on."""
        with self._lock:
            return self._changes[start:]

    def replay(self, changes: Iterable[tuple[str, str | None]]) -> None:
        """Make the changes another tokenizer listed (see `changes`), in their order."""
        for word, canonical in changes:
            if canonical is None:
                self.add_words([word])
            else:
                self.add_aliases({word: canonical})

    def words(self, text: str) -> list[str]:
        """jieba's plain segmentation of `text` (no sub-words, nothing dropped)."""
        return self._jieba.lcut(unicodedata.normalize("NFKC", text), HMM=False)

    def tokens(self, text: str) -> list[str]:
        """Index tokens of `text`, in order; long words followed by the words inside them."""
        out: list[str] = []
        freq = self._jieba.FREQ
        for word in self.words(text):
            w = word.lower()
            if w in self._fold:
                out.append(self._fold[w])
                continue
            if len(w) > 2:
                # Sub-words first, as jieba's cut_for_search does, but only whole dictionary words.
                for n in range(2, len(w)):
                    for i in range(len(w) - n + 1):
                        sub = w[i : i + n]
                        if sub != w and freq.get(sub) and sub not in self.stopwords:
                            out.append(self._fold.get(sub, sub))
            if w not in self.stopwords and _WORDLIKE.search(w):
                out.append(w)
        return out

    def surfaces(self, token: str) -> tuple[str, ...]:
        """The strings a token may appear as in text, longest first (for highlighting)."""
        forms = self._surfaces.get(token, {token})
        return tuple(sorted(forms, key=len, reverse=True))
