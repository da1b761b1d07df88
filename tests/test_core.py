"""The conversation core (bot.core.conversation), channel-free: messages in, replies of parts out,
over a real library (SQLite and index in a tmp dir)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import actions, texts
from bot.core.conversation import Core
from bot.core.messages import (
    AnswerPart,
    FilePart,
    Kind,
    ListPart,
    Message,
    PassagePart,
    Reply,
    ReportPart,
    TextPart,
)
from bot.core.shapes import answer_json
from retrieval.library import Library
from tests.conftest import add_county_reports, copy_data, make_settings

USER, OTHER, CHAT, GROUP = 7, 8, 7, -100


@pytest.fixture
def library(shared_library: Library, tmp_path: Path) -> Iterator[Library]:
    """A copy of the shared library: questions and feedback are logged into it."""
    lib = Library(copy_data(shared_library, tmp_path / "data"))
    yield lib
    lib.store.close()


@pytest.fixture
def core(library: Library) -> Core:
    return Core(library)


def ask(core: Core, text: str, user: int = USER, chat: int = CHAT, **kw: bool) -> AnswerPart:
    reply = core.handle(Message(user, chat, text, **kw))
    assert reply is not None and isinstance(reply.parts[0], AnswerPart)
    return reply.parts[0]


def press(core: Core, action_id: str, user: int = USER, chat: int = CHAT) -> Reply:
    reply = core.handle(Message(user, chat, press=action_id))
    assert reply is not None
    return reply


def test_an_answer_has_excerpts_citations_and_its_actions(core: Core, library: Library) -> None:
    part = ask(core, "依法行政")
    # the first excerpt is the answer: no lead line, and no echo of what was typed
    assert part.lead == "" and part.asked == "" and part.query_id is not None
    assert [e.hit.rank for e in part.excerpts] == list(range(1, len(part.excerpts) + 1))
    assert all(e.full and e.source for e in part.excerpts)
    kinds = [a.kind for row in part.actions for a in row]
    assert {Kind.FULL, Kind.SOURCE, Kind.FEEDBACK, Kind.EXPORT, Kind.MORE} <= set(kinds)
    logged = library.logged_query(part.query_id)
    assert logged is not None and logged.text == "依法行政"


def test_a_refusal_is_a_sentence_without_actions(core: Core) -> None:
    part = ask(core, "今天天气怎么样")
    assert not part.excerpts and not part.actions
    assert part.notes and "没有找到" in part.notes[0]


def test_follow_ups_are_per_user_and_chat(core: Core) -> None:
    ask(core, "秀山县政务公开数据")
    mine = ask(core, "那蓝山县呢？")
    assert mine.excerpts[0].hit.report.places[-1] == "蓝山县"
    assert mine.asked == "蓝山县政务公开数据"  # understood as, since it is not what was typed
    theirs = ask(core, "那蓝山县呢？", user=OTHER)
    assert "政务公开" not in theirs.asked


def test_a_group_message_not_addressed_to_the_bot_gets_no_reply(core: Core) -> None:
    assert core.handle(Message(USER, GROUP, "秀山县政务公开数据", private=False, addressed=False)) is None
    assert core.handle(Message(USER, GROUP, "秀山县政务公开数据", private=False)) is not None


def test_a_user_over_the_limit_is_told_once_then_ignored(library: Library) -> None:
    core = Core(library, rate_per_minute=2)
    ask(core, "依法行政")
    ask(core, "法治宣传")
    told = core.handle(Message(USER, CHAT, "行政复议"))
    assert told is not None and told.parts == [TextPart(texts.RATE_LIMITED)]
    assert core.handle(Message(USER, CHAT, "行政复议")) is None
    assert core.handle(Message(OTHER, CHAT, "行政复议")) is not None  # per user


def test_more_pages_in_place_and_back(core: Core) -> None:
    first = ask(core, "依法行政")
    more = first.action(Kind.MORE)
    assert more is not None and first.action(Kind.PREVIOUS) is None
    reply = press(core, more.id)
    page = reply.parts[0]
    assert reply.edit and reply.notice == texts.PAGE.format(page=2)
    assert isinstance(page, AnswerPart) and [e.hit.rank for e in page.excerpts] == [4, 5, 6]
    back = page.action(Kind.PREVIOUS)
    assert back is not None
    again = press(core, back.id).parts[0]
    assert isinstance(again, AnswerPart) and again.excerpts[0].hit.rank == 1


def test_full_and_source(tmp_path: Path, shared_library: Library) -> None:
    core = Core(Library(make_settings(tmp_path / "data")))  # seeded anew: the originals are kept
    part = ask(core, "瓦屋镇法治政府建设领导小组")
    full = part.action(Kind.FULL, 1)
    assert full is not None
    (passage,) = press(core, full.id).parts
    assert isinstance(passage, PassagePart) and passage.passage.id == part.excerpts[0].hit.passage.id
    source = part.action(Kind.SOURCE, 1)
    assert source is not None
    original, card = press(core, source.id).parts
    assert isinstance(original, FilePart) and original.name.endswith(".txt") and original.data
    assert isinstance(card, ReportPart) and card.outline


@pytest.mark.parametrize("action_id", ["full:999999", "src:999999", "more:999999:3", "exp:999999"])
def test_presses_on_what_is_gone_get_an_alert(core: Core, action_id: str) -> None:
    reply = press(core, action_id)
    assert reply.alert and not reply.parts and reply.notice


@pytest.mark.parametrize("action_id", ["", "nope:1", "full:x", "fb:1:5", "fbr:1:bad", "more:1"])
def test_an_unknown_action_is_stale(core: Core, action_id: str) -> None:
    assert press(core, action_id) == Reply(notice=texts.BUTTON_STALE, alert=True)


def test_feedback_counts_once_and_a_thumbs_down_asks_why(core: Core, library: Library) -> None:
    part = ask(core, "法治宣传")
    qid = part.query_id
    assert qid is not None
    up = press(core, f"fb:{qid}:1")
    assert up.notice == texts.FEEDBACK_THANKS and up.feedback is not None
    assert [a.label for a in up.feedback] == [texts.FEEDBACK_MARKED.format(value=texts.THUMBS_UP)]
    again = press(core, f"fb:{qid}:-1")
    assert again.alert and again.notice == texts.FEEDBACK_ALREADY and again.feedback is None
    assert library.feedback_of(qid, USER) == 1
    down = press(core, f"fb:{qid}:-1", user=OTHER)
    assert down.notice == texts.FEEDBACK_WHY and down.feedback is not None and len(down.feedback) == 4
    reason = press(core, down.feedback[1].id, user=OTHER)
    assert reason.feedback is not None and "不完整" in reason.feedback[0].label


def test_export_is_a_word_file(core: Core) -> None:
    part = ask(core, "安化县政协提案立案率是多少")
    export = part.action(Kind.EXPORT)
    assert export is not None
    reply = press(core, export.id)
    (file,) = reply.parts
    assert isinstance(file, FilePart) and file.name.endswith(".docx") and file.data.startswith(b"PK")


def test_forget_deletes_my_questions_and_my_last_question(core: Core) -> None:
    ask(core, "秀山县政务公开数据")
    reply = core.forget(CHAT, USER)
    assert reply.parts == [TextPart(texts.FORGET_DONE.format(questions=1, feedback=0))]
    assert "政务公开" not in ask(core, "那蓝山县呢？").asked


def test_report_lists_page_and_carry_long_words_by_key(core: Core, library: Library, tmp_path: Path) -> None:
    add_county_reports(library, tmp_path / "counties", 12)
    first = core.report_list("")
    assert isinstance(first, ListPart) and first.total == 17 and len(first.reports) == 10
    nxt = first.actions[-1][-1]
    assert nxt.kind == Kind.PAGE
    second = press(core, nxt.id)
    assert second.edit and isinstance(second.parts[0], ListPart) and second.parts[0].offset == 10
    long = core.report_list("法治政府建设工作报告 " * 5)
    assert all(":k:" in a.id for a in long.actions[-1]) if long.total > 10 else True
    assert press(core, "rep:10:k:unknownkey").notice == texts.LIST_EXPIRED


def test_feedback_actions_say_what_was_given() -> None:
    assert [b.label for b in actions.marked_feedback(9, "👍")] == ["已反馈 👍"]
    assert [b.label for b in actions.marked_feedback(9, "👎", "不完整")] == ["已反馈 👎（不完整）"]
    assert [b.label for b in actions.reasons(9)] == ["不相关", "不完整", "过时", "其他"]
    for b in [*actions.marked_feedback(9, "👎", "不完整"), *actions.reasons(123456789012)]:
        assert len(f"{b.id}|{'x' * 11}".encode()) <= 64  # signed, within Telegram's limit


# --- choices under a refusal (issue 20) ---------------------------------------------------------


@pytest.fixture
def longtail_core(longtail_library: Library, tmp_path: Path) -> Iterator[Core]:
    """A core over a copy of the long-tail library (its questions are logged)."""
    lib = Library(copy_data(longtail_library, tmp_path / "data"))
    yield Core(lib)
    lib.store.close()


def test_a_missing_year_offers_the_years_the_place_has(longtail_core: Core) -> None:
    part = ask(longtail_core, "中村乡2024年搞了些什么")
    assert part.notes == ("暂未收录中村乡2024年的报告；有：2022年、2023年、2025年",)
    years = [a for row in part.actions for a in row]
    assert [a.label for a in years] == ["2022年", "2023年", "2025年"]
    assert all(a.kind is Kind.YEAR for a in years)
    # pressing one asks the question of that year instead of the missing one
    reply = press(longtail_core, years[2].id)
    answer = reply.parts[0]
    assert isinstance(answer, AnswerPart) and answer.excerpts
    assert answer.excerpts[0].hit.report.year == 2025
    assert answer.asked == "中村乡2025年搞了些什么"


def test_a_name_off_two_places_offers_both(longtail_core: Core) -> None:
    part = ask(longtail_core, "兴善县政务公开")
    picks = [a for row in part.actions for a in row]
    assert [a.label for a in picks] == ["兴仁县", "兴山县"] and all(a.kind is Kind.PLACE for a in picks)
    answer = press(longtail_core, picks[1].id).parts[0]
    assert isinstance(answer, AnswerPart) and answer.excerpts[0].hit.report.place == "兴山县"
    assert answer.asked == "兴山县政务公开"


def test_a_typo_says_what_was_looked_for(longtail_core: Core) -> None:
    part = ask(longtail_core, "海源县行政复议多少件")
    assert part.lead.startswith("按“海原县”查找：") and part.excerpts[0].hit.report.place == "海原县"


def test_a_request_outside_the_job_says_what_the_bot_does(longtail_core: Core) -> None:
    part = ask(longtail_core, "帮我写一份2026年法治政府建设工作计划")
    assert not part.excerpts and not part.actions
    assert part.notes[0].startswith("我只查找已收录的法治政府建设年度报告")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("帮我写一份2026年法治政府建设工作计划", "out_of_scope"),
        ("中村乡2024年搞了些什么", "missing_year"),
        ("兴善县政务公开", "which_place"),
    ],
)
def test_each_refusal_has_its_kind_in_the_json(longtail_library: Library, question: str, kind: str) -> None:
    out = answer_json(longtail_library.ask(question))
    assert out["answered"] is False and out["refusal"] == kind and out["message"]


def test_a_corrected_place_is_in_the_json(longtail_library: Library) -> None:
    out = answer_json(longtail_library.ask("海源县行政复议多少件"))
    assert out["corrected"] == [{"written": "海源县", "place": "海原县"}]
