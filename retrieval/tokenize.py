"""Tokenising Chinese text for BM25: jieba with the bundled dictionaries, stopwords and one
written form for traditional/simplified and full/half-width characters.

The tokenizer never changes while the program runs: what it emits depends only on the bundled
data (data/userdict.txt, data/stopwords.txt, the gazetteer's place names) and this code. So any
process, a bulk ingest's workers included, tokenises a text the same way, whatever is indexed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import unicodedata
from pathlib import Path
from typing import Protocol

import jieba
import opencc

from retrieval.places import PACKAGE_DATA, Gazetteer

# A token worth indexing holds a CJK character, a letter or a digit.
_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_DICT_FREQ = 2000  # high enough that jieba keeps a dictionary term whole
_LONGEST_SUB_WORD = 16
# Bump when `Tokenizer.tokens` changes what it emits: stored tokens are then rewritten.
# 3: traditional characters folded to simplified (OpenCC); no place words taught at run time.
# 4: pinyin annotations in brackets dropped (加強(qiáng)黨 → 加强党).
TOKENS_VERSION = 4
# A reading in pinyin after a character (加強(qiáng), 領(lǐng)導(dǎo)), as some pages in traditional
# characters print: letters and at least one tone mark, in brackets.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN = re.compile(
    rf"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（]\s*(?=[a-zü\s{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,6}}"
    rf"(?:\s+[a-zü{_TONED}]{{1,6}}){{0,3}}\s*[)）]"
)


def drop_pinyin(text: str) -> str:
    """`text` without pinyin readings in brackets after its characters (加強(qiáng)黨的領(lǐng)導(dǎo) →
    加強黨的領導): they are no words of the report, and split its words apart."""
    return _PINYIN.sub("", text) if "(" in text or "（" in text else text


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


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


_T2S = opencc.OpenCC("t2s")


class _FoldTable(dict[int, str]):
    """A str.translate table: each character NFKC-normalised, traditional → simplified (OpenCC's
    character table) and lower-cased, one character kept (so folding keeps offsets), filled as
    characters are first met.

    Character by character, not OpenCC's phrase conversion: a document's words must fold the
    same wherever they are cut, and offsets in the folded text must hold in the original."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        folded = unicodedata.normalize("NFKC", c).lower()[:1] or c
        if _CJK.match(folded):
            folded = _T2S.convert(folded)[:1] or folded
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """`text` in the one form terms are matched in: full-width forms normalised, traditional
    characters simplified, lower case, and the same length, so that offsets found in the folded
    text hold in the original (秀山縣政務公開 → 秀山县政务公开)."""
    return text.translate(_FOLD)


def simplified(text: str) -> str:
    """`text` with its traditional characters simplified and nothing else changed (unlike
    `fold`, punctuation and letters stay as written): 臨高縣人民政府 → 临高县人民政府."""
    return "".join(fold(c) if _CJK.match(c) else c for c in text)


@functools.cache
def _dictionary(user_dict: Path, places: Path) -> tuple[dict[str, int], int]:
    """jieba's dictionary with the user dictionary and the gazetteer's place names (three
    characters or more) added, loaded once per process (~0.5 s)."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    base = jieba.Tokenizer()
    base.initialize()
    base.load_userdict(str(user_dict))
    for name in Gazetteer.load(places.parent).all_names():
        if base.FREQ.get(name, 0) < _DICT_FREQ:
            base.add_word(name, freq=_DICT_FREQ)
    return base.FREQ, base.total


class Tokenizer:
    """jieba, initialised once per instance, tuned for report text.

    - Domain terms (data/userdict.txt) and the gazetteer's place names are kept whole, and,
      like jieba's search mode, a long word also yields the dictionary words inside it
      (法治政府建设 → 法治, 政府, 建设, 法治政府, 法治政府建设), so a question need not use
      the report's exact compound.
    - Text is folded first (see `fold`): traditional characters read as simplified, full-width
      forms as half-width, Latin letters lower-cased.
    - Stopwords, punctuation and whitespace are dropped.
    """

    def __init__(
        self,
        user_dict: Path = PACKAGE_DATA / "userdict.txt",
        stopwords: Path = PACKAGE_DATA / "stopwords.txt",
        places: Path = PACKAGE_DATA / "places.csv",
    ) -> None:
        self.user_dict = user_dict
        self.stopwords_path = stopwords
        self.places_path = places
        self._jieba = jieba.Tokenizer()
        # Shared with every tokenizer of the process: nothing adds to it after loading.
        self._jieba.FREQ, self._jieba.total = _dictionary(user_dict, places)
        self._jieba.initialized = True
        self.stopwords = frozenset(fold(w) for w in read_word_list(stopwords))

    def signature(self) -> str:
        """Identifies what this tokenizer emits: its code version and bundled data.
        Stored tokens written under another signature are stale."""
        h = hashlib.sha256(str(TOKENS_VERSION).encode())
        # counties.csv beside places.csv: its names are in the dictionary too.
        counties = self.places_path.parent / "counties.csv"
        for path in (self.user_dict, self.stopwords_path, self.places_path, counties):
            if path.exists():
                h.update(path.read_bytes())
        return h.hexdigest()[:16]

    def words(self, text: str) -> list[str]:
        """jieba's plain segmentation of the folded `text` (no sub-words, nothing dropped)."""
        return self._jieba.lcut(fold(unicodedata.normalize("NFKC", text)), HMM=False)

    def frequency(self, word: str) -> int:
        """How often the dictionary says `word` occurs: 0 for a word it does not have."""
        return self._jieba.FREQ.get(word, 0) or 0

    def tokens(self, text: str) -> list[str]:
        """Index tokens of `text`, in order; long words followed by the words inside them."""
        out: list[str] = []
        freq = self._jieba.FREQ
        for w in self.words(drop_pinyin(text)):
            if len(w) > 2:
                # Sub-words first, as jieba's cut_for_search does, but only whole dictionary words
                # (none is longer than _LONGEST_SUB_WORD: a long run of letters costs no more).
                for n in range(2, min(len(w), _LONGEST_SUB_WORD + 1)):
                    for i in range(len(w) - n + 1):
                        sub = w[i : i + n]
                        if sub != w and freq.get(sub) and sub not in self.stopwords:
                            out.append(sub)
            if w not in self.stopwords and _WORDLIKE.search(w):
                out.append(w)
        return out

    def surfaces(self, token: str) -> tuple[str, ...]:
        """The strings a token may appear as in folded text, longest first (for highlighting)."""
        return (token,)
