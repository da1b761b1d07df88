"""The bot's handlers for everyone, end to end: python-telegram-bot's real networking stack
against the fake Bot API server, over a real library."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.memory import ListWords
from bot.telegram.context import App
from retrieval import texts as library_texts
from retrieval.library import Library
from retrieval.models import FeedbackReason
from tests.conftest import (
    ADMIN_ID,
    BUNDLED_REPORTS,
    GROUP_ID,
    RUCHENG,
    RUCHENG_2022,
    USER_ID,
    add_county_reports,
    bot_settings,
    plain,
    running_bot,
)
from tests.fake_telegram import BotMessage, FakeTelegram


async def reply_to(telegram: FakeTelegram, chat_id: int, count: int = 1) -> BotMessage:
    """The newest of the bot's first `count` messages in a chat, once they exist."""
    messages = await telegram.wait_for_messages(chat_id, count)
    return messages[count - 1]


async def test_private_question_gets_quoted_excerpts_with_citations(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "秀山县政务公开数据")
    msg = await reply_to(telegram, USER_ID)
    assert "政府网站公开政府信息18778条" in msg.text
    assert "<blockquote>" in msg.html and "<b>" in msg.html
    # One citation line for the report, its title without the issuer it repeats, no year twice.
    assert msg.text.count("秀山土家族苗族自治县人民政府办公室《关于2024年法治政府建设情况的报告》") == 1
    assert "（2024年）" not in msg.text
    assert "（二）持续深化政务公开" in msg.text
    data = msg.callback_data
    assert any(d.startswith("full:") for d in data)
    assert any(d.startswith("src:") for d in data)
    assert any(d.startswith("fb:") and plain(d).endswith(":1") for d in data)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("今天天气怎么样", "没有找到"),
        ("北京市2024年法治政府建设报告", "暂未收录北京市"),
        ("   ", "请输入"),
        ("😀😀😀", "请输入"),
        ("问" * 3000, "太长"),
    ],
)
async def test_questions_without_an_answer_get_one_clear_sentence(
    bot: App, telegram: FakeTelegram, question: str, expected: str
) -> None:
    telegram.send_private_text(USER_ID, question)
    msg = await reply_to(telegram, USER_ID)
    assert expected in msg.text
    assert "Traceback" not in msg.text
    assert not msg.callback_data


async def test_markup_in_a_question_is_not_searched_and_is_escaped(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "<b>瓦屋镇</b> & <i>法律读本</i> <script>")
    msg = await reply_to(telegram, USER_ID)
    # The strict fake server refuses unescaped markup, so getting here means whatever the reply
    # quotes was escaped; the markup itself was not searched: the answer is 瓦屋镇's 法律读本.
    assert "<script>" not in msg.html and "script" not in msg.text
    assert "各类法律读本1500余份" in msg.text


async def test_group_ask_command_replies_to_the_asker(bot: App, telegram: FakeTelegram) -> None:
    update = telegram.send_group_text(GROUP_ID, USER_ID, "/ask 安化县政协提案立案率")
    msg = await reply_to(telegram, GROUP_ID)
    assert "立案率为82%" in msg.text
    assert msg.reply_to_message_id == update["message"]["message_id"]


async def test_group_ask_with_bot_username(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(
        GROUP_ID, USER_ID, f"/ask@{telegram.bot_user['username']} 瓦屋镇化解了多少矛盾纠纷"
    )
    msg = await reply_to(telegram, GROUP_ID)
    assert "排查化解矛盾纠纷92起" in msg.text


async def test_group_ask_without_question_explains_usage(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(GROUP_ID, USER_ID, "/ask")
    msg = await reply_to(telegram, GROUP_ID)
    assert "/ask" in msg.text and library_texts.EXAMPLES[0] in msg.text


async def test_group_mention_is_answered(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(
        GROUP_ID, USER_ID, f"@{telegram.bot_user['username']} 蓝山县督办通知下发了多少件"
    )
    msg = await reply_to(telegram, GROUP_ID)
    assert "下发督办通知58件" in msg.text


async def test_group_reply_to_the_bot_is_answered(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(GROUP_ID, USER_ID, "/ask 秀山县政务公开数据")
    first = await reply_to(telegram, GROUP_ID)
    telegram.send_group_text(GROUP_ID, USER_ID, "秀山县新增市场主体多少户", reply_to_message=first)
    second = await reply_to(telegram, GROUP_ID, 2)
    assert "新增市场主体5746户" in second.text


async def test_group_chatter_is_ignored(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(GROUP_ID, USER_ID, "秀山县政务公开数据")
    telegram.send_group_text(GROUP_ID, USER_ID + 1, "大家好，今天开会吗？")
    # The bot handles updates in order of arrival; once the /ask is answered the chatter
    # before it has been seen, and must have produced nothing.
    telegram.send_group_text(GROUP_ID, USER_ID, "/ask 瓦屋镇发放法律读本")
    await reply_to(telegram, GROUP_ID)
    await asyncio.sleep(0.3)
    messages = telegram.messages_in(GROUP_ID)
    assert len(messages) == 1
    assert "法律读本" in messages[0].text


async def test_inline_query_lists_passages_as_articles(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_inline_query(USER_ID, "秀山县政务公开数据")
    (call,) = await telegram.wait_for_calls("answerInlineQuery", ok=True)
    results = call.params["results"]
    assert results, "expected articles"
    first = results[0]
    assert first["type"] == "article"
    assert first["title"].startswith("秀山土家族苗族自治县人民政府办公室")
    assert "18778" in first["description"]
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML" and "<blockquote>" in content["message_text"]
    assert "秀山土家族苗族自治县人民政府办公室《关于2024年法治政府建设情况的报告》" in content["message_text"]


@pytest.mark.parametrize("query", ["", "今天天气怎么样"])
async def test_inline_query_without_results_offers_help(bot: App, telegram: FakeTelegram, query: str) -> None:
    telegram.send_inline_query(USER_ID, query)
    (call,) = await telegram.wait_for_calls("answerInlineQuery", ok=True)
    assert call.params["results"] == []
    assert call.params["button"]["start_parameter"] == "help"


async def test_more_results_edits_the_same_message(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "法治宣传")
    first = await reply_to(telegram, USER_ID)
    more = next(d for d in first.callback_data if d.startswith("more:"))
    telegram.send_callback_query(USER_ID, first, more)
    await telegram.wait_for_calls("editMessageText", ok=True)
    edited = telegram.message(USER_ID, first.message_id)
    assert edited is not None and edited.text != first.text
    assert "4." in edited.text and "1." not in edited.text.split("4.")[0]
    assert any(d.startswith("more:") and plain(d).endswith(":0") for d in edited.callback_data)  # 上一页
    assert len(telegram.messages_in(USER_ID)) == 1
    assert not telegram.unanswered_callback_queries()


async def test_full_text_button_sends_the_whole_passage(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.send_private_text(USER_ID, "安化县政协提案立案率")
    first = await reply_to(telegram, USER_ID)
    full = next(d for d in first.callback_data if d.startswith("full:"))
    passage = library.passage(int(plain(full).split(":")[1]))
    assert passage is not None
    telegram.send_callback_query(USER_ID, first, full)
    second = await reply_to(telegram, USER_ID, 2)
    assert passage.text in second.text
    assert " › ".join(passage.section) in second.text


async def test_source_button_sends_the_report_outline(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "瓦屋镇法治政府建设领导小组")
    first = await reply_to(telegram, USER_ID)
    src = next(d for d in first.callback_data if d.startswith("src:"))
    telegram.send_callback_query(USER_ID, first, src)
    original = await reply_to(telegram, USER_ID, 2)
    assert original.document is not None and original.document["file_name"].endswith(".txt")
    assert "鲁山县瓦屋镇人民政府" in (original.caption or "")
    sent = telegram.calls_to("sendDocument", ok=True)[-1].files
    assert (BUNDLED_REPORTS / "鲁山县瓦屋镇_2023.txt").read_bytes() in [f.content for f in sent.values()]
    outline = await reply_to(telegram, USER_ID, 3)
    assert "鲁山县瓦屋镇人民政府" in outline.text
    assert "二、2023年度推进法治政府建设存在的不足和原因" in outline.text


def rows_of(msg: BotMessage) -> list[list[tuple[str, str]]]:
    """A message's keyboard as rows of (label, plain callback data)."""
    rows = (msg.reply_markup or {}).get("inline_keyboard") or []
    return [[(b["text"], plain(b.get("callback_data", ""))) for b in row] for row in rows]


def button(msg: BotMessage, label: str) -> str:
    """The signed callback data of the button labelled `label`, as a press sends it."""
    rows = (msg.reply_markup or {}).get("inline_keyboard") or []
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


def without_feedback(rows: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    return [b for row in rows for b in row if not b[1].startswith(("fb:", "fbr:"))]


async def feedback_edit(telegram: FakeTelegram, count: int = 1) -> None:
    await telegram.wait_for_calls("editMessageReplyMarkup", count, ok=True)


async def test_thumbs_up_marks_the_button_and_keeps_the_rest_of_the_keyboard(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.send_private_text(USER_ID, "法治宣传")
    answer = await reply_to(telegram, USER_ID)
    before = rows_of(answer)
    telegram.send_callback_query(USER_ID, answer, button(answer, texts.THUMBS_UP))
    (ack,) = await telegram.wait_for_calls("answerCallbackQuery", ok=True)
    assert ack.params.get("text") == texts.FEEDBACK_THANKS
    await feedback_edit(telegram)
    marked = telegram.message(USER_ID, answer.message_id)
    assert marked is not None and marked.text == answer.text
    after = rows_of(marked)
    qid = int(button(answer, texts.THUMBS_UP).split(":")[1])
    assert ("已反馈 👍", f"fb:{qid}:0") in [b for row in after for b in row]
    assert texts.THUMBS_UP not in [t for row in after for t, _ in row]
    assert without_feedback(after) == without_feedback(before)  # every other button, in order
    assert len(after) == len(before)  # the mark takes the two buttons' place in their row
    assert library.feedback_of(qid, USER_ID) == 1
    # The other buttons were signed again for the edit: they still work.
    full = next(
        b["callback_data"]
        for row in marked.reply_markup["inline_keyboard"]
        for b in row  # type: ignore[index]
        if plain(b["callback_data"]).startswith("full:")
    )
    telegram.send_callback_query(USER_ID, marked, full)
    assert (await reply_to(telegram, USER_ID, 2)).text
    assert not any(
        c.params.get("text") == texts.BUTTON_STALE for c in telegram.calls_to("answerCallbackQuery")
    )


async def test_the_mark_stays_on_the_next_page(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "法治宣传")
    answer = await reply_to(telegram, USER_ID)
    telegram.send_callback_query(USER_ID, answer, button(answer, texts.THUMBS_UP))
    await feedback_edit(telegram)
    marked = telegram.message(USER_ID, answer.message_id)
    assert marked is not None
    telegram.send_callback_query(USER_ID, marked, button(marked, texts.MORE))
    await telegram.wait_for_calls("editMessageText", ok=True)
    page = telegram.message(USER_ID, answer.message_id)
    assert page is not None and page.text != answer.text
    labels = [t for row in rows_of(page) for t, _ in row]
    assert "已反馈 👍" in labels and texts.THUMBS_UP not in labels and texts.PREVIOUS in labels


async def test_a_second_press_gets_an_alert_and_changes_nothing(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.send_private_text(USER_ID, "秀山县一窗综办进驻率")
    answer = await reply_to(telegram, USER_ID)
    up, down = button(answer, texts.THUMBS_UP), button(answer, texts.THUMBS_DOWN)
    telegram.send_callback_query(USER_ID, answer, up)
    await feedback_edit(telegram)
    # A client still showing the old keyboard presses 👎 after the 👍.
    telegram.send_callback_query(USER_ID, answer, down, require_button=False)
    calls = await telegram.wait_for_calls("answerCallbackQuery", 2, ok=True)
    assert calls[1].params.get("text") == texts.FEEDBACK_ALREADY and calls[1].params.get("show_alert")
    marked = telegram.message(USER_ID, answer.message_id)
    assert marked is not None
    telegram.send_callback_query(USER_ID, marked, button(marked, "已反馈 👍"))
    calls = await telegram.wait_for_calls("answerCallbackQuery", 3, ok=True)
    assert calls[2].params.get("text") == texts.FEEDBACK_ALREADY and calls[2].params.get("show_alert")
    await asyncio.sleep(0.2)
    assert len(telegram.calls_to("editMessageReplyMarkup")) == 1
    assert library.stats()["thumbs_up"] == 1 and library.stats()["thumbs_down"] == 0


@pytest.mark.parametrize(
    ("label", "reason"), list(zip(texts.FEEDBACK_REASONS.values(), FeedbackReason, strict=True))
)
async def test_thumbs_down_asks_why_and_stores_the_reason(
    bot: App, telegram: FakeTelegram, library: Library, label: str, reason: FeedbackReason
) -> None:
    telegram.send_private_text(USER_ID, "秀山县一窗综办进驻率")
    answer = await reply_to(telegram, USER_ID)
    qid = int(plain(button(answer, texts.THUMBS_DOWN)).split(":")[1])
    telegram.send_callback_query(USER_ID, answer, button(answer, texts.THUMBS_DOWN))
    (ack,) = await telegram.wait_for_calls("answerCallbackQuery", ok=True)
    assert ack.params.get("text") == texts.FEEDBACK_WHY
    await feedback_edit(telegram)
    asking = telegram.message(USER_ID, answer.message_id)
    assert asking is not None
    labels = [t for row in rows_of(asking) for t, d in row if d.startswith("fbr:")]
    assert labels == ["不相关", "不完整", "过时", "其他"]
    assert without_feedback(rows_of(asking)) == without_feedback(rows_of(answer))
    assert library.feedback_of(qid, USER_ID) == -1  # counted at once, whether a reason follows or not
    telegram.send_callback_query(USER_ID, asking, button(asking, label))
    await feedback_edit(telegram, 2)
    done = telegram.message(USER_ID, answer.message_id)
    assert done is not None
    assert [t for row in rows_of(done) for t, d in row if d.startswith("fb")] == [f"已反馈 👎（{label}）"]
    assert without_feedback(rows_of(done)) == without_feedback(rows_of(answer))
    (entry,) = library.conversation_log(disliked=True, refused=False)
    assert entry.query_id == qid and entry.reasons == (reason,) and entry.thumbs_down == 1
    # Another reason from a stale keyboard changes nothing.
    telegram.send_callback_query(
        USER_ID, asking, button(asking, "其他" if label != "其他" else "过时"), require_button=False
    )
    calls = await telegram.wait_for_calls("answerCallbackQuery", 3, ok=True)
    assert calls[2].params.get("text") == texts.FEEDBACK_ALREADY and calls[2].params.get("show_alert")
    assert library.conversation_log()[0].reasons == (reason,)


async def test_in_a_group_another_member_can_give_a_reason_of_their_own(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.send_group_text(GROUP_ID, USER_ID, "/ask 秀山县一窗综办进驻率")
    answer = await reply_to(telegram, GROUP_ID)
    telegram.send_callback_query(USER_ID, answer, button(answer, texts.THUMBS_DOWN))
    await feedback_edit(telegram)
    asking = telegram.message(GROUP_ID, answer.message_id)
    assert asking is not None
    telegram.send_callback_query(USER_ID + 1, asking, button(asking, "过时"))
    await feedback_edit(telegram, 2)
    (entry,) = library.conversation_log()
    assert entry.thumbs_down == 2 and entry.reasons == (FeedbackReason.OUTDATED,)
    # A third member pressing 已反馈 is told feedback was given; nothing is stored for them.
    done = telegram.message(GROUP_ID, answer.message_id)
    assert done is not None
    telegram.send_callback_query(USER_ID + 2, done, button(done, "已反馈 👎（过时）"))
    calls = await telegram.wait_for_calls("answerCallbackQuery", 3, ok=True)
    assert calls[2].params.get("text") == texts.FEEDBACK_GIVEN and calls[2].params.get("show_alert")
    assert library.feedback_of(entry.query_id, USER_ID + 2) is None


async def test_feedback_on_a_forgotten_question_says_it_is_gone(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.send_private_text(USER_ID, "秀山县一窗综办进驻率")
    answer = await reply_to(telegram, USER_ID)
    library.forget_user(USER_ID)
    telegram.send_callback_query(USER_ID, answer, button(answer, texts.THUMBS_UP))
    (ack,) = await telegram.wait_for_calls("answerCallbackQuery", ok=True)
    assert ack.params.get("text") == texts.QUESTION_GONE
    await asyncio.sleep(0.2)
    assert not telegram.calls_to("editMessageReplyMarkup")


async def test_follow_up_asks_the_same_about_another_place(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "秀山县行政规范性文件报备")
    await reply_to(telegram, USER_ID)
    telegram.send_private_text(USER_ID, "那蓝山县呢？")
    second = await reply_to(telegram, USER_ID, 2)
    assert "蓝山县人民政府办公室" in second.text
    assert "秀山" not in second.text.split("\n", 1)[1]


async def test_start_tells_what_the_bot_knows(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "/start")
    msg = await reply_to(telegram, USER_ID)
    assert "5" in msg.text and "瓦屋镇" in msg.text and "2022" in msg.text
    assert library_texts.EXAMPLES[0] in msg.text
    assert "/reindex" not in msg.text  # admin help only for admins


async def test_reports_command_lists_reports_with_outline_buttons(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "/reports")
    msg = await reply_to(telegram, USER_ID)
    assert msg.text.startswith("已收录 5 份报告，第 1/1 页")
    assert len([d for d in msg.callback_data if d.startswith("src:")]) == 5
    assert not [d for d in msg.callback_data if plain(d).startswith("rep:")]  # one page: no ‹ ›


async def edited(telegram: FakeTelegram, msg: BotMessage, predicate: Callable[[str], bool]) -> BotMessage:
    """The bot's message `msg` once an edit has made its text satisfy `predicate`."""
    for _ in range(500):
        now = telegram.message(msg.chat_id, msg.message_id)
        if now is not None and now.text and predicate(now.text):
            return now
        await asyncio.sleep(0.01)
    raise AssertionError(f"message {msg.message_id} still reads {now.text if now else None!r}")


def press(telegram: FakeTelegram, msg: BotMessage, label: str) -> None:
    """Press the button of `msg` whose text is `label`."""
    rows = (msg.reply_markup or {}).get("inline_keyboard") or []
    (data,) = [b["callback_data"] for row in rows for b in row if b["text"] == label]
    telegram.send_callback_query(USER_ID, msg, data)


def listed_ids(msg: BotMessage) -> list[int]:
    return [int(plain(d).split(":")[1]) for d in msg.callback_data if plain(d).startswith("src:")]


async def test_reports_pages_through_every_report_in_the_same_message(
    library: Library, telegram: FakeTelegram, tmp_path: Path
) -> None:
    add_county_reports(library, tmp_path / "counties", 25)
    everything = library.reports()
    async with running_bot(bot_settings(library, telegram), library):
        telegram.send_private_text(USER_ID, "/reports")
        first = await reply_to(telegram, USER_ID)
        assert first.text.startswith("已收录 30 份报告，第 1/3 页")
        seen = listed_ids(first)
        press(telegram, first, texts.LIST_NEXT)
        second = await edited(telegram, first, lambda t: "第 2/3 页" in t)
        seen += listed_ids(second)
        press(telegram, second, texts.LIST_NEXT)
        third = await edited(telegram, first, lambda t: "第 3/3 页" in t)
        seen += listed_ids(third)
        assert texts.LIST_NEXT not in str(third.reply_markup) and texts.LIST_PREVIOUS in str(
            third.reply_markup
        )
        press(telegram, third, texts.LIST_PREVIOUS)
        back = await edited(telegram, first, lambda t: "第 2/3 页" in t)
        assert listed_ids(back) == listed_ids(second)
        await telegram.wait_for_calls("answerCallbackQuery", 3)
    assert sorted(seen) == sorted(r.id for r in everything)  # every report once, newest year first
    years = [next(r.year for r in everything if r.id == i) or 0 for i in seen]
    assert years == sorted(years, reverse=True)
    assert len(telegram.messages_in(USER_ID)) == 1  # pages are edits, not new messages
    assert not telegram.unanswered_callback_queries()


@pytest.mark.parametrize(
    ("words", "expected"),
    [("桂东", 3), ("桂东县 2023", 1), ("湖南", 2 + 25), ("火星县", 0)],
)
async def test_reports_with_words_filters_by_place_issuer_title_or_year(
    library: Library, telegram: FakeTelegram, tmp_path: Path, words: str, expected: int
) -> None:
    add_county_reports(library, tmp_path / "counties", 25)
    async with running_bot(bot_settings(library, telegram), library):
        telegram.send_private_text(USER_ID, f"/reports {words}")
        msg = await reply_to(telegram, USER_ID)
    if expected:
        assert msg.text.startswith(f"与“{words}”相符的报告 {expected} 份，第 1/{-(-expected // 10)} 页")
        assert len(listed_ids(msg)) == min(expected, 10)
    else:
        assert msg.text == texts.REPORTS_NONE_FOUND.format(words=words)


async def test_filter_words_too_long_for_a_button_still_page(
    library: Library, telegram: FakeTelegram, tmp_path: Path
) -> None:
    add_county_reports(library, tmp_path / "counties", 25)
    words = "湖南省 人民政府 法治政府建设工作报告"  # 50 bytes: more than a button's data holds
    _, total = library.find_reports(words)
    assert 20 < total <= 30
    async with running_bot(bot_settings(library, telegram), library) as app:
        telegram.send_private_text(USER_ID, f"/reports {words}")
        first = await reply_to(telegram, USER_ID)
        assert first.text.startswith(f"与“{words}”相符的报告 {total} 份，第 1/3 页")
        assert any(":k:" in plain(d) for d in first.callback_data)
        press(telegram, first, texts.LIST_NEXT)
        second = await edited(telegram, first, lambda t: "第 2/3 页" in t)
        assert not set(listed_ids(second)) & set(listed_ids(first))
        app.bot_data.core.list_words = ListWords()  # as after a restart
        press(telegram, second, texts.LIST_NEXT)
        (alert,) = await telegram.wait_for_calls(
            "answerCallbackQuery", predicate=lambda c: c.params.get("text") == texts.LIST_EXPIRED
        )
    assert alert.params.get("show_alert") is True
    assert telegram.message(USER_ID, first.message_id).text == second.text  # unchanged


async def test_command_menus_are_set_per_scope(bot: App, telegram: FakeTelegram) -> None:
    private = telegram.commands({"type": "all_private_chats"})
    groups = telegram.commands({"type": "all_group_chats"})
    admin = telegram.commands({"type": "chat", "chat_id": ADMIN_ID})
    assert {c["command"] for c in private} == {"ask", "reports", "forget", "help"}
    assert "ask" in {c["command"] for c in groups}
    assert {"reindex", "delete", "stats"} <= {c["command"] for c in admin}


async def test_a_user_asking_too_fast_is_slowed_down(library: Library, telegram: FakeTelegram) -> None:
    async with running_bot(bot_settings(library, telegram, user_rate_per_minute=2), library):
        for q in ("秀山县政务公开数据", "瓦屋镇发放法律读本", "蓝山县重大行政决策数量"):
            telegram.send_private_text(USER_ID, q)
        messages = await telegram.wait_for_messages(USER_ID, 3)
        assert sum(texts.RATE_LIMITED in m.text for m in messages) == 1


async def test_an_error_gets_a_short_sentence_not_a_traceback(bot: App, telegram: FakeTelegram) -> None:
    telegram.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    telegram.send_private_text(USER_ID, "秀山县政务公开数据")
    calls = await telegram.wait_for_calls("sendMessage", count=2)
    assert calls[0].error_code == 400
    assert calls[1].ok and calls[1].params["text"] == texts.ERROR


async def test_a_429_is_waited_out_and_retried(library: Library, telegram: FakeTelegram) -> None:
    async with running_bot(bot_settings(library, telegram, rate_limiter=True), library):
        telegram.fail_next("sendMessage", error_code=429, retry_after=1)
        telegram.send_private_text(USER_ID, "秀山县政务公开数据")
        calls = await telegram.wait_for_calls("sendMessage", count=2, timeout=10)
        assert calls[0].error_code == 429 and calls[1].ok
        assert calls[1].timestamp - calls[0].timestamp >= 1.0
        assert "18778" in (await reply_to(telegram, USER_ID)).text


# --- privacy ---------------------------------------------------------------------------------


async def test_forget_deletes_my_questions_and_feedback_only(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    other = USER_ID + 1
    telegram.send_private_text(other, "瓦屋镇发放法律读本")
    await reply_to(telegram, other)
    telegram.send_private_text(USER_ID, "秀山县一窗综办进驻率")
    first = await reply_to(telegram, USER_ID)
    telegram.send_callback_query(USER_ID, first, next(d for d in first.callback_data if d.startswith("fb:")))
    await telegram.wait_for_calls("answerCallbackQuery", ok=True)
    telegram.send_private_text(USER_ID, "/forget")
    done = await reply_to(telegram, USER_ID, 2)
    assert done.text == texts.FORGET_DONE.format(questions=1, feedback=1)
    rows = list(library.store.db["queries"].rows)
    assert [r["user_id"] for r in rows] == [other]
    assert library.store.db["feedback"].count == 0


async def test_old_questions_are_deleted_by_the_retention_job(
    library: Library, telegram: FakeTelegram
) -> None:
    old = library.store.log_query("旧问题", True, user_id=USER_ID, chat_id=USER_ID)
    recent = library.store.log_query("新问题", True, user_id=USER_ID, chat_id=USER_ID)
    library.store.db.execute("UPDATE queries SET at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [old])
    async with running_bot(bot_settings(library, telegram, query_retention_days=30), library):
        for _ in range(100):
            if library.logged_query(old) is None:
                break
            await asyncio.sleep(0.05)
    assert library.logged_query(old) is None
    assert library.logged_query(recent) is not None


async def test_errors_are_logged_without_question_text_or_names(
    bot: App, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    telegram.user(USER_ID, "Zhang Wei")
    telegram.fail_next("sendMessage", error_code=400, description="Bad Request: chat not found")
    telegram.send_private_text(USER_ID, "秀山县政务公开数据")
    await telegram.wait_for_calls("sendMessage", count=2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the error was logged"
    text = "\n".join(caplog.text.splitlines())
    assert "秀山县政务公开数据" not in text and "Zhang" not in text
    assert "update " in errors[0].getMessage()  # which update, by id and kind


async def test_a_report_the_cli_adds_is_answered_by_the_running_bot(
    tmp_path: Path, bot: App, telegram: FakeTelegram, library: Library
) -> None:
    """The CLI is another process with its own Library on the same data dir."""
    question = "汝城县行政复议案件多少件"
    telegram.send_private_text(USER_ID, question)
    before = await reply_to(telegram, USER_ID)
    assert "37件" not in before.text
    cli = Library(library.settings)
    path = tmp_path / "汝城县政府办_2023.txt"
    path.write_text(RUCHENG, "utf-8")
    cli.ingest([path])
    cli.close()
    await asyncio.sleep(1.1)  # the bot looks at the database's version at most once a second
    telegram.send_private_text(USER_ID, question)
    after = await reply_to(telegram, USER_ID, 2)
    assert "全年办理行政复议案件37件" in after.text


# --- issue 10: sources, export, groups, every message ----------------------------------------

STICKER = {
    "file_id": "s1",
    "file_unique_id": "u2",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}
PHOTO = [{"file_id": "p1", "file_unique_id": "u3", "width": 1, "height": 1}]


async def test_export_button_sends_the_answer_as_a_word_file(bot: App, telegram: FakeTelegram) -> None:
    import io

    import docx

    telegram.send_private_text(USER_ID, "安化县政协提案立案率是多少")
    first = await reply_to(telegram, USER_ID)
    export = next(d for d in first.callback_data if plain(d).startswith("exp:"))
    telegram.send_callback_query(USER_ID, first, export)
    sent = await reply_to(telegram, USER_ID, 2)
    assert sent.document is not None and sent.document["file_name"].endswith(".docx")
    (upload,) = telegram.calls_to("sendDocument", ok=True)[-1].files.values()
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(upload.content)).paragraphs)
    assert "立案率为82%" in text
    assert "政协安化县委员会办公室《2024年法治政府建设年度工作报告》 › 三、" in text


async def test_answers_in_a_forum_topic_stay_in_it_and_reply_to_the_question(
    bot: App, telegram: FakeTelegram
) -> None:
    telegram.group(GROUP_ID, is_forum=True)
    asked = telegram.send_group_text(GROUP_ID, USER_ID, "/ask 瓦屋镇法治政府建设领导小组", thread_id=7)
    question_id = asked["message"]["message_id"]
    answer = await reply_to(telegram, GROUP_ID)
    assert answer.message_thread_id == 7 and answer.reply_to_message_id == question_id
    full = next(d for d in answer.callback_data if plain(d).startswith("full:"))
    telegram.send_callback_query(USER_ID, answer, full)
    passage = await reply_to(telegram, GROUP_ID, 2)
    assert passage.message_thread_id == 7 and passage.reply_to_message_id == question_id
    src = next(d for d in answer.callback_data if plain(d).startswith("src:"))
    telegram.send_callback_query(USER_ID, answer, src)
    original = await reply_to(telegram, GROUP_ID, 3)
    assert original.document is not None
    assert original.message_thread_id == 7 and original.reply_to_message_id == question_id


async def test_follow_ups_in_a_group_are_per_member(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(GROUP_ID, USER_ID, "/ask 秀山县政务公开数据")
    first = await reply_to(telegram, GROUP_ID)
    # Another member's 那蓝山县呢 continues nothing of theirs: it is not 秀山's question.
    telegram.send_group_text(GROUP_ID, USER_ID + 1, "那蓝山县呢？", reply_to_message=first)
    other = await reply_to(telegram, GROUP_ID, 2)
    telegram.send_group_text(GROUP_ID, USER_ID, "那蓝山县呢？", reply_to_message=first)
    own = await reply_to(telegram, GROUP_ID, 3)
    assert "政务公开" in own.text and "蓝山县" in own.text
    assert other.text != own.text


async def test_help_in_a_group_says_how_to_ask_there(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_group_text(GROUP_ID, USER_ID, "/help")
    msg = await reply_to(telegram, GROUP_ID)
    assert "/ask" in msg.text and f"@{telegram.bot_user['username']}" in msg.text and "回复" in msg.text


@pytest.mark.parametrize(
    ("kind", "payload", "what"),
    [
        ("voice", {"file_id": "v1", "file_unique_id": "u1", "duration": 3}, "语音"),
        (
            "sticker",
            STICKER,
            "贴纸",
        ),
        ("photo", PHOTO, "图片"),
        ("location", {"latitude": 29.1, "longitude": 108.9}, "位置"),
    ],
)
async def test_every_private_message_gets_a_line_on_what_the_bot_understands(
    bot: App, telegram: FakeTelegram, kind: str, payload: object, what: str
) -> None:
    telegram.send_media(USER_ID, USER_ID, kind, payload)  # type: ignore[arg-type]
    msg = await reply_to(telegram, USER_ID)
    assert msg.text == texts.ONLY_TEXT.format(what=what, example=library_texts.EXAMPLES[0])


async def test_a_photo_with_a_caption_is_answered_by_its_caption(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_media(USER_ID, USER_ID, "photo", PHOTO, caption="安化县政协提案立案率是多少")
    msg = await reply_to(telegram, USER_ID)
    assert "立案率为82%" in msg.text


async def test_a_sticker_in_a_group_is_ignored_unless_it_replies_to_the_bot(
    bot: App, telegram: FakeTelegram
) -> None:
    telegram.send_media(GROUP_ID, USER_ID, "sticker", STICKER)
    telegram.send_group_text(GROUP_ID, USER_ID, "/ask 秀山县政务公开数据")
    answer = await reply_to(telegram, GROUP_ID)
    await asyncio.sleep(0.3)
    assert len(telegram.messages_in(GROUP_ID)) == 1
    telegram.send_media(GROUP_ID, USER_ID, "sticker", STICKER, reply_to_message=answer)
    line = await reply_to(telegram, GROUP_ID, 2)
    assert line.text == texts.ONLY_TEXT.format(what="贴纸", example=library_texts.EXAMPLES[0])


async def test_a_comparison_is_answered_in_one_message(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "潢川县和安化县哪个立案率高")
    msg = await reply_to(telegram, USER_ID)
    assert "立案率为82%" in msg.text and "潢川县的报告中没有提到立案率" in msg.text
    assert "<b>82%</b>" in msg.html
    assert not any(d.startswith("more:") for d in msg.callback_data)
    await asyncio.sleep(0.2)
    assert len(telegram.messages_in(USER_ID)) == 1


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("你好", "您好"),
        ("谢谢！", "不客气"),
        ("收录了哪些报告", "5 份报告"),
        ("有没有北京的报告", "暂未收录北京市"),
    ],
)
async def test_small_talk_and_collection_questions_are_answered(
    bot: App, telegram: FakeTelegram, message: str, expected: str
) -> None:
    telegram.send_private_text(USER_ID, message)
    msg = await reply_to(telegram, USER_ID)
    assert expected in msg.text
    assert "没有找到" not in msg.text


async def test_a_greeting_is_no_question_to_follow_up(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "秀山县行政规范性文件报备")
    await reply_to(telegram, USER_ID)
    telegram.send_private_text(USER_ID, "谢谢")
    await reply_to(telegram, USER_ID, 2)
    telegram.send_private_text(USER_ID, "那蓝山县呢？")
    third = await reply_to(telegram, USER_ID, 3)
    assert "蓝山县人民政府办公室" in third.text  # still the question before the thanks


async def test_a_year_button_asks_the_question_for_that_year(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    for name, text in (("汝城县政府办_2022.txt", RUCHENG_2022), ("汝城县政府办_2023.txt", RUCHENG)):
        library.add(library.parse(name, text.encode("utf-8")))
    telegram.send_private_text(USER_ID, "汝城县行政复议案件多少件")
    first = await reply_to(telegram, USER_ID)
    assert "37件" in first.text  # the newest report first …
    assert "汝城县还有2022年的报告" in first.text  # … saying which other years there are
    button = next(d for d in first.callback_data if d.startswith("yr:"))
    assert button.split("|")[0].endswith(":2022")
    telegram.send_callback_query(USER_ID, first, button)
    second = await reply_to(telegram, USER_ID, 2)
    assert "29件" in second.text and "37件" not in second.text
    assert "2022年汝城县行政复议案件多少件" in second.text
    assert telegram.message(USER_ID, first.message_id).text == first.text  # left as it was
    new_qid = int(next(d for d in second.callback_data if d.startswith("fb:")).split("|")[0].split(":")[1])
    logged = library.logged_query(new_qid)
    assert logged is not None and logged.text == "2022年汝城县行政复议案件多少件"
    assert not telegram.unanswered_callback_queries()


async def test_reports_with_a_pasted_page_of_words_gets_one_short_reply(
    bot: App, telegram: FakeTelegram
) -> None:
    words = " ".join(f"词{i}<b>" for i in range(1500))  # 1,500 words, markup among them
    telegram.send_private_text(USER_ID, f"/reports {words}"[:4096])
    msg = await reply_to(telegram, USER_ID)
    assert msg.text.startswith("没有找到与“词0<b> 词1<b>") and len(msg.text) < 200


async def test_a_year_button_in_a_forum_topic_answers_in_it(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    for name, text in (("汝城县政府办_2022.txt", RUCHENG_2022), ("汝城县政府办_2023.txt", RUCHENG)):
        library.add(library.parse(name, text.encode("utf-8")))
    telegram.group(GROUP_ID, is_forum=True)
    asked = telegram.send_group_text(GROUP_ID, USER_ID, "/ask 汝城县行政复议案件多少件", thread_id=9)
    first = await reply_to(telegram, GROUP_ID)
    button = next(d for d in first.callback_data if d.startswith("yr:"))
    telegram.send_callback_query(USER_ID, first, button)
    second = await reply_to(telegram, GROUP_ID, 2)
    assert "29件" in second.text
    assert second.message_thread_id == 9
    assert second.reply_to_message_id == asked["message"]["message_id"]


async def test_a_rankings_chart_comes_as_a_photo_after_its_answer(
    ranked_library: Library, telegram: FakeTelegram, tmp_path: Path
) -> None:
    from PIL import Image

    from tests.conftest import copy_data

    library = Library(copy_data(ranked_library, tmp_path / "ranked"))
    try:
        async with running_bot(bot_settings(library, telegram), library):
            telegram.send_private_text(USER_ID, "哪个县行政复议案件最多")
            answer, chart = await telegram.wait_for_messages(USER_ID, 2)
    finally:
        library.close()
    assert answer.text.startswith("行政复议案件最多：蓝山县")
    assert chart.photo is not None and chart.document is None  # shown in the chat, not a file
    (call,) = telegram.calls_to("sendPhoto", ok=True)
    (upload,) = call.files.values()
    with Image.open(io.BytesIO(upload.content)) as image:
        assert image.format == "PNG" and image.width >= 600
    assert not telegram.calls_to("sendDocument")
