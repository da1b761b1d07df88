"""retrieval.tokenize: domain terms whole, sub-words, stopwords, NFKC, punctuation, traditional and
simplified folding, a tokenizer fixed by its bundled data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from retrieval.places import PACKAGE_DATA
from retrieval.tokenize import Tokenizer, drop_pinyin, fold, read_word_list


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    """A fresh tokenizer (not the shared library's)."""
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


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("秀山縣政務公開", "秀山县政务公开"),
        ("行政復議案件審結", "行政复议案件审结"),
        ("規範性文件備案審查", "规范性文件备案审查"),
        ("法治宣傳教育", "法治宣传教育"),
        ("ＡＢＣ１２３４５熱線", "abc12345热线"),
    ],
)
def test_traditional_and_full_width_give_the_simplified_tokens(
    tok: Tokenizer, traditional: str, simplified: str
) -> None:
    assert tok.tokens(traditional) == tok.tokens(simplified)
    assert tok.words(traditional) == tok.words(simplified)


@pytest.mark.parametrize("text", ["秀山縣政務公開", "ＡＢＣ１２３", "乾隆年間", "臺灣省", "plain ascii"])
def test_fold_keeps_length_so_offsets_hold(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == fold(folded)  # one form: folding twice changes nothing


def test_fold_is_opencc_character_conversion() -> None:
    """Characters OpenCC's table leaves alone stay (著 is a simplified character too)."""
    assert fold("著作於後發") == "著作于后发"


def test_gazetteer_place_names_are_kept_whole(tok: Tokenizer) -> None:
    assert "秀山土家族苗族自治县" in tok.words("秀山土家族苗族自治县人民政府")
    assert "平顶山市" in tok.words("平顶山市鲁山县")


def test_the_tokenizer_cannot_be_taught_at_run_time(tok: Tokenizer) -> None:
    """Tokens depend only on the bundled data: there is nothing to add words or aliases with,
    and two tokenizers (as in two processes) give the same tokens."""
    assert not any(hasattr(tok, name) for name in ("add_words", "add_aliases", "replay", "changes"))
    text = "鲁山县瓦屋镇人民政府关于2023年法治政府建设情况的报告，唐家墩街道办事处"
    assert Tokenizer().tokens(text) == tok.tokens(text)
    assert Tokenizer().signature() == tok.signature()


def test_the_signature_covers_the_bundled_data(tmp_path: Path, tok: Tokenizer) -> None:
    places = tmp_path / "places.csv"
    shutil.copy(PACKAGE_DATA / "places.csv", places)
    shutil.copy(PACKAGE_DATA / "nations.txt", tmp_path / "nations.txt")
    shutil.copy(PACKAGE_DATA / "counties.csv", tmp_path / "counties.csv")
    assert Tokenizer(places=places).signature() == tok.signature()
    with (tmp_path / "counties.csv").open("a", encoding="utf-8") as f:
        f.write("999998,测试新区\n")
    changed = Tokenizer(places=places).signature()
    assert changed != tok.signature()
    with places.open("a", encoding="utf-8") as f:
        f.write("999999,测试新县\n")
    assert Tokenizer(places=places).signature() not in (changed, tok.signature())


@pytest.mark.parametrize(
    ("text", "without"),
    [
        ("加強(qiáng)黨的領(lǐng)導(dǎo)", "加強黨的領導"),
        ("推進（tuī jìn）依法行政", "推進依法行政"),
        # letters without a tone mark, or not after a character, are no reading
        ("开发了APP(app)和小程序", "开发了APP(app)和小程序"),
        ("(一)加强领导", "(一)加强领导"),
    ],
)
def test_pinyin_readings_are_dropped(text: str, without: str) -> None:
    assert drop_pinyin(text) == without


def test_a_traditional_page_with_pinyin_tokenizes_as_the_simplified_question(tok: Tokenizer) -> None:
    page = tok.tokens("加強(qiáng)黨的領(lǐng)導(dǎo)，規範(fàn)行政執(zhí)法")
    question = tok.tokens("加强党的领导，规范行政执法")
    assert page == question
    assert not any(c in "".join(page) for c in "qiángǎ")
