"""Tokenising Chinese text for BM25: jieba with the bundled dictionaries, stopwords and one
written form for traditional/simplified and full/half-width characters.

The tokenizer never changes while the program runs: what it emits depends only on the bundled
data (data/userdict.txt, data/stopwords.txt, the gazetteer's place names) and this code. So any
process, a bulk ingest's workers included, tokenises a text the same way, whatever is indexed.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import re
import sys
import tempfile
import threading
import unicodedata
from pathlib import Path
from typing import Protocol

import numpy as np
import opencc

from retrieval.places import PACKAGE_DATA, Gazetteer

# jieba imports pkg_resources only to find its own files, and falls back to its folder
# without it; importing pkg_resources costs ~0.2 s of every start. Hidden while jieba loads.
_hidden = "pkg_resources" not in sys.modules
if _hidden:
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]
try:
    import jieba
finally:
    if _hidden:
        del sys.modules["pkg_resources"]


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


# _FOLD as an array by code point (0: not looked up yet), for folding long texts in one
# step: str.translate looks each character up in Python (~75 ns a character), which at a
# passage a candidate made folding a large part of re-ranking.
_FOLDED = np.zeros(sys.maxunicode + 1, dtype=np.uint32)
_FOLD_IN_ONE_STEP = 96  # characters from which one step is quicker


def fold(text: str) -> str:
    """`text` in the one form terms are matched in: full-width forms normalised, traditional
    characters simplified, lower case, and the same length, so that offsets found in the folded
    text hold in the original (秀山縣政務公開 → 秀山县政务公开)."""
    if len(text) < _FOLD_IN_ONE_STEP:
        return text.translate(_FOLD)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    out = _FOLDED[codes]
    if not out.all():
        for code in np.unique(codes[out == 0]).tolist():
            _FOLDED[code] = ord(_FOLD[code])
        out = _FOLDED[codes]
    return out.tobytes().decode("utf-32-le", "surrogatepass")


def simplified(text: str) -> str:
    """`text` with its traditional characters simplified and nothing else changed (unlike
    `fold`, punctuation and letters stay as written): 臨高縣人民政府 → 临高县人民政府."""
    return "".join(fold(c) if _CJK.match(c) else c for c in text)


# Bump when _build_dictionary changes what it adds: cached dictionaries are then built again.
DICTIONARY_VERSION = 1


_LOADED: dict[tuple[Path, Path], tuple[dict[str, int], int]] = {}
_LOADING = threading.Lock()


def _dictionary(user_dict: Path, places: Path, cache_dir: Path | None = None) -> tuple[dict[str, int], int]:
    """jieba's dictionary with the user dictionary and the gazetteer's place names (three
    characters or more) added, loaded once per process. With `cache_dir`, read from the copy
    saved there for these files (built and saved when missing): ~3× quicker than jieba's own
    cache plus the additions, which a fresh process's first answer waits for."""
    with _LOADING:
        loaded = _LOADED.get((user_dict, places))
        if loaded is None:
            loaded = _LOADED[(user_dict, places)] = _load_dictionary(user_dict, places, cache_dir)
        return loaded


def _load_dictionary(user_dict: Path, places: Path, cache_dir: Path | None) -> tuple[dict[str, int], int]:
    path = None
    if cache_dir is not None:
        # jieba's own dictionary is part of its package: its version names it.
        key = hashlib.sha256(f"{DICTIONARY_VERSION}:{jieba.__version__}:{_DICT_FREQ}".encode())
        for f in (user_dict, places):
            key.update(f.read_bytes())
        path = cache_dir / f"jieba-{key.hexdigest()[:16]}.marshal"
        try:
            freq, total = marshal.loads(path.read_bytes())  # loads on bytes: load on a file reads piecemeal
            if isinstance(freq, dict) and isinstance(total, int):
                return freq, total
        except (OSError, ValueError, EOFError, TypeError):
            pass  # missing or unreadable: built again
    freq, total = _build_dictionary(user_dict, places)
    if path is not None:
        _save(path, marshal.dumps((freq, total)))
        for stale in path.parent.glob("jieba-*.marshal"):  # for dictionaries of before
            if stale != path:
                stale.unlink(missing_ok=True)
    return freq, total


def _build_dictionary(user_dict: Path, places: Path) -> tuple[dict[str, int], int]:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    base = jieba.Tokenizer()
    base.initialize()
    base.load_userdict(str(user_dict))
    for name in Gazetteer.load(places.parent).all_names():
        if base.FREQ.get(name, 0) < _DICT_FREQ:
            base.add_word(name, freq=_DICT_FREQ)
    return base.FREQ, base.total


def _save(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a cache: failing to write it is no error)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jieba-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as e:
        logging.getLogger(__name__).warning("could not save the tokenizer's dictionary: %s", e)


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
        cache_dir: Path | None = None,
    ) -> None:
        """`cache_dir`: where the dictionary is kept in its loaded form (see _dictionary)."""
        self.user_dict = user_dict
        self.stopwords_path = stopwords
        self.places_path = places
        self._jieba = jieba.Tokenizer()
        # Shared with every tokenizer of the process: nothing adds to it after loading.
        self._jieba.FREQ, self._jieba.total = _dictionary(user_dict, places, cache_dir)
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
