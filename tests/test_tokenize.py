"""retrieval.tokenize: domain terms whole, sub-words, stopwords, NFKC, punctuation, place folding."""

from __future__ import annotations

import re

import pytest

from retrieval.places import PACKAGE_DATA, default_gazetteer
from retrieval.tokenize import Tokenizer, read_word_list


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    """A fresh tokenizer (not the shared library's), so that folding can be added here."""
    return Tokenizer()


@pytest.mark.parametrize(
    "term",
    [
        "法治政府建设",
        "重大行政决策",
        "行政规范性文件",
        "习近平法治思想",
        "政务公开",
        "矛盾纠纷",
        "一件事一次办",
    ],
)
def test_domain_terms_are_kept_whole(tok: Tokenizer, term: str) -> None:
    assert tok.words(f"推进{term}工作") == ["推进", term, "工作"]
    assert term in tok.tokens(f"推进{term}工作")


def test_long_words_also_yield_the_words_inside_them_first(tok: Tokenizer) -> None:
    tokens = tok.tokens("重大行政决策")
    assert {"重大", "行政", "决策"} <= set(tokens)
    assert tokens[-1] == "重大行政决策"
    assert tok.words("重大行政决策") == ["重大行政决策"]


def test_sub_words_include_four_character_dictionary_words(tok: Tokenizer) -> None:
    """The class docstring: 法治政府建设 → 法治, 政府, 建设, 法治政府, 法治政府建设."""
    assert {"法治", "政府", "建设", "法治政府", "法治政府建设"} <= set(tok.tokens("法治政府建设"))


def test_stopwords_are_dropped(tok: Tokenizer) -> None:
    assert tok.tokens("的和与了") == []
    tokens = tok.tokens("我们的政务公开和政务服务")
    assert "我们" not in tokens and "的" not in tokens and "和" not in tokens
    assert {"政务公开", "政务服务"} <= set(tokens)
    stop = set(read_word_list(PACKAGE_DATA / "stopwords.txt"))
    assert not stop & set(tok.tokens("我们在这里对于该项工作进一步切实抓好了"))


def test_stopword_list_skips_comment_lines() -> None:
    words = read_word_list(PACKAGE_DATA / "stopwords.txt")
    assert "的" in words
    assert not any(w.startswith("#") for w in words)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣ", ["abc"]),
        ("２０２４", ["2024"]),
        ("Ｗｅｂ２０２４ ABC", ["web2024", "abc"]),
        ("PDF", ["pdf"]),
    ],
)
def test_nfkc_and_lower_case(tok: Tokenizer, text: str, expected: list[str]) -> None:
    assert tok.tokens(text) == expected


def test_full_width_and_half_width_give_the_same_tokens(tok: Tokenizer) -> None:
    assert tok.tokens("公开信息１８７７８条") == tok.tokens("公开信息18778条")


@pytest.mark.parametrize("text", ["，。！？；：“”（）《》、…", "   \t ", "!?.,;:()[]", "😀🎉"])
def test_punctuation_whitespace_and_symbols_give_no_tokens(tok: Tokenizer, text: str) -> None:
    assert tok.tokens(text) == []


def test_punctuation_between_words_is_dropped(tok: Tokenizer) -> None:
    tokens = tok.tokens("“政务公开”，（政务服务）！《民法典》")
    assert {"政务公开", "政务服务", "民法典"} <= set(tokens)
    assert all(re.search(r"[\w\u4e00-\u9fff]", t) for t in tokens)


def test_place_aliases_fold_to_one_token(tok: Tokenizer) -> None:
    forms = ["秀山县", "秀山", "秀山土家族苗族自治县"]
    before = [tok.tokens(f) for f in forms]
    assert before[0] != before[2]  # without folding the full name does not meet the short one
    gaz = default_gazetteer()
    canonical = "秀山土家族苗族自治县"
    tok.add_aliases({a: canonical for a in gaz.aliases(canonical)})
    assert [tok.tokens(f) for f in forms] == [[canonical]] * 3
    # and inside a sentence
    assert tok.tokens("秀山县政务公开")[0] == canonical
    assert tok.tokens("秀山政务公开") == tok.tokens("秀山土家族苗族自治县政务公开")
    # highlighting finds every alias, longest first
    assert tok.surfaces(canonical) == ("秀山土家族苗族自治县", "秀山县", "秀山")
    assert tok.surfaces("政务") == ("政务",)


def test_add_words_keeps_a_new_word_whole(tok: Tokenizer) -> None:
    assert "测试新词语" not in tok.words("这是测试新词语的例子")
    tok.add_words(["测试新词语"])
    assert "测试新词语" in tok.words("这是测试新词语的例子")
