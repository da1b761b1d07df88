"""Rendering to Telegram HTML: escaping, length limits, callback data, checked with the fake
server's own Telegram-like HTML parser."""

from __future__ import annotations

import pytest

from bot import render
from retrieval.library import Library
from retrieval.models import Passage, Report, Snippet, Span
from tests.fake_telegram import parse_html, utf16_len

REPORT = Report(
    id=7,
    title="关于2024年<法治>政府建设情况的报告",
    issuer="某县&人民政府",
    year=2024,
    places=("某省", "某县"),
    source="x.txt",
    sha256="0" * 64,
    passage_count=1,
)


def visible(html: str) -> str:
    """The text Telegram would show; raises if Telegram would refuse the markup."""
    return parse_html(html).text


@pytest.mark.parametrize(
    "text",
    ["a < b", "x & y", "<script>alert(1)</script>", "&amp; stays literal", "引号“”和<br>"],
)
def test_escape_round_trips_through_telegram_html(text: str) -> None:
    assert visible(render.escape(text)) == text


def test_snippet_marks_matches_in_bold() -> None:
    snippet = Snippet((Span("政府网站公开"), Span("政府信息", match=True), Span("<18778>条")))
    html = render.snippet_html(snippet)
    assert "<b>政府信息</b>" in html
    assert visible(html) == "政府网站公开政府信息<18778>条"


@pytest.mark.parametrize("length", [10, 4000, 9000, 20000])
def test_long_passages_split_into_valid_messages_at_sentence_ends(length: int) -> None:
    sentence = "这是一句关于法治政府建设的话<也有符号&>。"
    text = (sentence * (length // len(sentence) + 1))[:length]
    messages = render.passage_messages(Passage(1, 7, 0, ("一、总体情况",), text), REPORT)
    shown = [visible(m) for m in messages]
    assert all(utf16_len(s) <= render.MAX_MESSAGE for s in shown)
    assert "".join(s.split("\n📄")[0] for s in shown) == text
    if len(messages) > 1:
        assert all(s.split("\n📄")[0].endswith("。") for s in shown[:-1])
    assert "某县&人民政府《关于2024年<法治>政府建设情况的报告》 › 一、总体情况" in shown[-1]


def test_emoji_count_double_towards_the_limit() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    messages = render.passage_messages(Passage(1, 7, 0, (), text), REPORT)
    assert len(messages) == 2
    assert all(utf16_len(visible(m)) <= render.MAX_MESSAGE for m in messages)


def test_answer_message_is_valid_html_with_short_callback_data(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开数据")
    html, keyboard = render.answer_message(answer, query_id=10**12, offset=3, has_more=True)
    assert utf16_len(visible(html)) <= render.MAX_MESSAGE
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert all(isinstance(d, str) and len(d.encode()) <= 64 for d in data)
    assert f"more:{10**12}:0" in data and f"more:{10**12}:{3 + len(answer.hits)}" in data


def test_a_refusal_has_no_buttons(shared_library: Library) -> None:
    html, keyboard = render.answer_message(shared_library.ask("今天天气怎么样"), query_id=1)
    assert keyboard is None
    assert "没有找到" in visible(html)


def test_report_outline_is_packed_into_valid_messages() -> None:
    outline = [("一、总体情况", f"（{i}）" + "很长的小节标题" * 10 + f"<{i}>") for i in range(200)]
    messages = render.report_messages(REPORT, outline)
    assert len(messages) > 1
    assert all(utf16_len(visible(m)) <= render.MAX_MESSAGE for m in messages)
    assert "标题<199>" in visible(messages[-1])


def test_reports_list_fits_even_with_many_reports() -> None:
    reports = [
        Report(
            i, "2024年法治政府建设工作报告" * 3, f"第{i}县人民政府办公室", 2024, ("某县",), "x", str(i), 10
        )
        for i in range(1, 400)
    ]
    html, keyboard = render.reports_list(reports)
    assert utf16_len(visible(html)) <= render.MAX_MESSAGE
    assert keyboard is not None and sum(len(r) for r in keyboard.inline_keyboard) <= 100


def test_inline_results_are_valid(shared_library: Library) -> None:
    results = render.inline_results(shared_library.ask("瓦屋镇发放法律读本", k=10))
    assert results
    assert len({r.id for r in results}) == len(results)
    for r in results:
        content = r.input_message_content
        assert utf16_len(visible(content.message_text)) <= render.MAX_MESSAGE  # type: ignore[union-attr]
        assert len(r.title) <= 100 and len(r.description or "") <= 200
