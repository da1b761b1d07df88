"""The conversation core's commands and the admin flow (bot.core.admin), channel-free: a file
or link → preview → confirm, /reindex, /delete, /stats, /help, on real SQLite."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.admin import link_in, preview_part
from bot.core.conversation import Core
from bot.core.messages import ListPart, Message, PreviewPart, Reply, StatsPart, TextPart
from retrieval.library import Library
from tests.conftest import copy_data, docx_bytes

ADMIN, USER, GROUP = 1, 987654, -100
NEW_REPORT = [
    "张庄镇人民政府",
    "关于2024年法治政府建设情况的报告",
    "2024年，张庄镇人民政府深入学习贯彻习近平法治思想，扎实推进法治政府建设。",
    "一、主要举措和成效",
    "（一）推进矛盾纠纷多元化解。全年调处矛盾纠纷147起，调解成功率达到98.6%，无一起民转刑案件。",
    "二、存在的不足",
    "一是执法人员专业素养有待提升。二是普法宣传形式较为单一。",
]


@pytest.fixture
def library(shared_library: Library, tmp_path: Path) -> Iterator[Library]:
    lib = Library(copy_data(shared_library, tmp_path / "data"))
    yield lib
    lib.store.close()


@pytest.fixture
def core(library: Library) -> Core:
    return Core(library)


def say(core: Core, text: str = "", user: int = ADMIN, **kw: object) -> Reply:
    reply = core.handle(Message(user, user, text, admin=user == ADMIN, **kw))  # type: ignore[arg-type]
    assert reply is not None
    return reply


def press(core: Core, action_id: str, user: int = ADMIN) -> Reply:
    reply = core.handle(Message(user, user, press=action_id, admin=user == ADMIN))
    assert reply is not None
    return reply


def only(reply: Reply) -> TextPart:
    (part,) = reply.parts
    assert isinstance(part, TextPart)
    return part


def test_a_file_is_previewed_then_added_and_answerable(core: Core, library: Library) -> None:
    heard: list[str] = []
    reply = say(core, file=docx_bytes(NEW_REPORT), file_name="张庄镇.docx")
    (preview,) = reply.parts
    assert isinstance(preview, PreviewPart)
    assert "张庄镇人民政府" in preview.head and "段落数：3" in preview.head
    assert preview.tail == (texts.PREVIEW_QUESTION,) and any("主要举措" in line for line in preview.outline)
    assert len(library.reports()) == 5  # nothing stored before confirmation
    confirm = next(a for a in preview.actions[0] if a.id.endswith(":y"))
    assert press(core, confirm.id, user=USER).notice == texts.NOT_ADMIN
    done = press(core, confirm.id)
    assert done.edit and "已添加" in only(done).text and len(library.reports()) == 6
    assert press(core, confirm.id).notice == texts.UPLOAD_EXPIRED  # once
    assert "147起" in library.ask("张庄镇调处矛盾纠纷多少起").hits[0].passage.text
    core.handle(Message(ADMIN, ADMIN, "/reindex", admin=True), heard.append)
    assert heard[0] == texts.REINDEX_START


def test_a_cancelled_or_foreign_preview_changes_nothing(core: Core, library: Library) -> None:
    (preview,) = say(core, file=docx_bytes(NEW_REPORT), file_name="a.docx").parts
    assert isinstance(preview, PreviewPart)
    cancel = next(a for a in preview.actions[0] if a.id.endswith(":n"))
    other_admin = core.handle(Message(3, 3, press=cancel.id, admin=True))
    assert other_admin is not None and other_admin.notice == texts.UPLOAD_NOT_YOURS
    assert only(press(core, cancel.id)).text == texts.UPLOAD_CANCELLED
    assert len(library.reports()) == 5


def test_the_same_content_asks_replace_or_keep_both(core: Core, library: Library) -> None:
    say(core, file=docx_bytes(NEW_REPORT), file_name="a.docx")
    (preview,) = say(core, file=docx_bytes(NEW_REPORT), file_name="a.docx").parts
    assert isinstance(preview, PreviewPart)  # not yet added: a preview again
    added = press(core, next(a.id for a in preview.actions[0] if a.id.endswith(":y")))
    assert "已添加" in only(added).text
    assert (
        texts.UPLOAD_SAME.split("（")[0]
        in only(say(core, file=docx_bytes(NEW_REPORT), file_name="a.docx")).text
    )
    (twin,) = say(core, file="\n".join(NEW_REPORT).encode(), file_name="a.txt").parts
    assert isinstance(twin, PreviewPart) and "内容相同" in twin.tail[-1]
    assert {a.label for a in twin.actions[0]} == {
        texts.UPLOAD_REPLACE,
        texts.UPLOAD_KEEP_BOTH,
        texts.UPLOAD_CANCEL,
    }


@pytest.mark.parametrize(
    ("message", "says"),
    [
        (
            Message(USER, USER, file=b"x", file_name="a.docx"),
            texts.ONLY_TEXT.format(what="文件", example="秀山县政务公开数据"),
        ),
        (Message(ADMIN, ADMIN, file=b"", file_name="a.docx", admin=True), "无法读取这个文件"),
        (
            Message(USER, USER, other="语音"),
            texts.ONLY_TEXT.format(what="语音", example="秀山县政务公开数据"),
        ),
        (Message(USER, USER, "/stats"), texts.NOT_ADMIN),
        (Message(USER, USER, "/reindex"), texts.NOT_ADMIN),
        (Message(USER, USER, "/ask"), "请在 /ask 后面写上问题"),
        (Message(ADMIN, ADMIN, "/delete ²", admin=True), texts.DELETE_USAGE),
        (Message(ADMIN, ADMIN, "/delete 99999", admin=True), texts.REPORT_GONE),
        (Message(USER, USER, "/nosuch"), texts.HELP_COMMANDS),
    ],
)
def test_what_cannot_be_done_gets_one_clear_line(core: Core, message: Message, says: str) -> None:
    reply = core.handle(message)
    assert reply is not None and says in only(reply).text


def test_a_link_from_an_admin_is_fetched_and_from_anyone_else_asked(core: Core) -> None:
    assert link_in("请收录 https://example.org/a.pdf。") == "https://example.org/a.pdf"
    refused = say(core, "http://127.0.0.1:9/none.pdf")  # nothing listens on port 9
    assert only(refused).text.startswith("无法收录这个链接")
    assert say(core, "https://example.org/a.pdf", user=USER).parts[0].__class__.__name__ == "AnswerPart"


def test_delete_by_id_or_from_the_pick_list(core: Core, library: Library) -> None:
    report = library.reports()[0]
    (pick,) = say(core, "/delete").parts
    assert isinstance(pick, ListPart) and pick.deleting and pick.total == 5
    ask = press(core, f"del:{report.id}:ask")
    confirm = only(ask).actions[0][0]
    assert confirm.id == f"del:{report.id}:y" and press(core, confirm.id, user=USER).notice == texts.NOT_ADMIN
    assert "已删除" in only(press(core, confirm.id)).text and len(library.reports()) == 4


def test_stats_lists_questions_only_in_a_private_chat(core: Core) -> None:
    say(core, "今天天气怎么样", user=USER)
    (mine,) = say(core, "/stats").parts
    assert isinstance(mine, StatsPart) and mine.header == texts.LOG_HEADER
    assert "今天天气怎么样" in mine.lines[0] and str(USER) not in mine.lines[0]
    group = core.handle(Message(ADMIN, GROUP, "/stats", private=False, admin=True))
    assert group is not None and group.parts == [StatsPart(mine.counts, texts.LOG_PRIVATE_ONLY)]


def test_help_says_what_the_bot_knows_and_admins_get_more(library: Library) -> None:
    core = Core(library, help_notes=("用 {mention} 引用",))
    mine = only(say(core, "/help", user=USER, mention="@rb")).text
    assert "5" in mine and "瓦屋镇" in mine and "用 @rb 引用" in mine and "/reindex" not in mine
    assert "/reindex" in only(say(core, "/start")).text
    group = core.handle(Message(USER, GROUP, "/help", private=False, mention="@rb"))
    assert group is not None and "@rb 问题" in only(group).text


def test_a_preview_marks_an_inferred_year(library: Library) -> None:
    parsed = library.parse("张庄镇.txt", "\n".join(NEW_REPORT).encode())
    guessed = preview_part(
        dataclasses.replace(parsed, year_inferred=True), library.sections_of(parsed), None, None
    )
    assert "年份：2024（推断）" in guessed.head and texts.PREVIEW_GUESSED_YEAR in guessed.warnings
    assert texts.PREVIEW_NO_PLACES not in guessed.warnings
    plain = preview_part(parsed, library.sections_of(parsed), None, None)
    assert "推断" not in plain.head and not plain.warnings
