"""The core's replies as Markdown blocks (WeCom, DingTalk, Feishu render from these)."""

from __future__ import annotations

from bot.core.conversation import Core
from bot.core.messages import Message, TextPart
from bot.markdown import escape, render
from retrieval.library import Library


def test_an_answer_quotes_with_matched_words_bold_and_cites(shared_library: Library) -> None:
    reply = Core(shared_library).handle(Message(1, 1, "安化县政协提案立案率"))
    assert reply is not None
    [block] = render(reply)
    assert "立案率为82%" in block.text.replace("**", "")
    assert "**立案率**" in block.text
    assert "政协安化县委员会办公室" in block.text  # the citation
    labels = [a.label for row in block.actions for a in row]
    assert any(label.startswith("全文") for label in labels)


def test_a_refusal_is_its_sentence() -> None:
    from bot.core.messages import Reply

    [block] = render(Reply([TextPart("暂未收录拉萨市的报告。")]))
    assert block.text == "暂未收录拉萨市的报告。" and block.actions == ()


def test_markup_in_report_text_is_escaped() -> None:
    assert escape("a*b_c[d](e)") == "a\\*b\\_c\\[d\\](e)"
