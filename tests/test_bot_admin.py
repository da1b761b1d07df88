"""Admin handlers end to end: upload → preview → confirm, /reindex, /delete, /stats, and the
refusals everyone else gets."""

from __future__ import annotations

import asyncio
import io
import os

import docx
import pytest

from bot.context import App
from retrieval import texts
from retrieval.library import Library
from tests.conftest import ADMIN_ID, USER_ID, bot_settings, running_bot
from tests.fake_telegram import BotMessage, FakeTelegram

NEW_REPORT = [
    "张庄镇人民政府",
    "关于2024年法治政府建设情况的报告",
    "2024年，张庄镇人民政府深入学习贯彻习近平法治思想，扎实推进法治政府建设。",
    "一、主要举措和成效",
    "（一）推进矛盾纠纷多元化解。全年调处矛盾纠纷147起，调解成功率达到98.6%，无一起民转刑案件。",
    "（二）加强行政执法监督。开展行政执法案卷评查2次，评查案卷36卷。",
    "二、存在的不足",
    "一是执法人员专业素养有待提升。二是普法宣传形式较为单一。",
]


def docx_bytes(lines: list[str]) -> bytes:
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


async def upload(telegram: FakeTelegram, user_id: int, name: str, content: bytes, **kw: object) -> None:
    telegram.send_document(
        user_id,
        user_id,
        file_id=f"file-{name}-{len(content)}",
        file_name=name,
        mime_type="application/octet-stream",
        content=content,
        **kw,  # type: ignore[arg-type]
    )


async def settled(telegram: FakeTelegram, chat_id: int, predicate: object, timeout: float = 10) -> BotMessage:
    """The bot's first message in `chat_id` whose text satisfies `predicate`, once it does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        for m in telegram.messages_in(chat_id):
            if m.text and predicate(m.text):  # type: ignore[operator]
                return m
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no message matched in {[m.text for m in telegram.messages_in(chat_id)]}")
        await asyncio.sleep(0.05)


async def test_admin_uploads_a_docx_and_it_is_answerable_at_once(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    await upload(telegram, ADMIN_ID, "张庄镇2024.docx", docx_bytes(NEW_REPORT))
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert "关于2024年法治政府建设情况的报告" in preview.text
    assert "张庄镇人民政府" in preview.text and "2024" in preview.text and "段落数：4" in preview.text
    assert len(library.reports()) == 5  # nothing stored before confirmation
    confirm = next(d for d in preview.callback_data if d.endswith(":y"))
    telegram.send_callback_query(ADMIN_ID, preview, confirm)
    await settled(telegram, ADMIN_ID, lambda t: "已添加" in t)
    assert len(library.reports()) == 6
    telegram.send_private_text(USER_ID, "张庄镇调处矛盾纠纷多少起")
    answer = await settled(telegram, USER_ID, lambda t: "问：" in t)
    assert "全年调处矛盾纠纷147起" in answer.text


async def test_cancelled_upload_changes_nothing(bot: App, telegram: FakeTelegram, library: Library) -> None:
    await upload(telegram, ADMIN_ID, "张庄镇.txt", "\n".join(NEW_REPORT).encode("gb18030"))
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    cancel = next(d for d in preview.callback_data if d.endswith(":n"))
    telegram.send_callback_query(ADMIN_ID, preview, cancel)
    await settled(telegram, ADMIN_ID, lambda t: texts.UPLOAD_CANCELLED in t)
    assert len(library.reports()) == 5


async def test_upload_of_a_changed_file_says_it_replaces(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    original = next(r for r in library.reports() if "蓝山" in r.issuer)
    path = library.settings.bundled_reports / original.source
    changed = path.read_bytes().replace("58件".encode(), "60件".encode())
    await upload(telegram, ADMIN_ID, original.source, changed)
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert f"#{original.id}" in preview.text and "替换" in preview.text
    telegram.send_callback_query(
        ADMIN_ID, preview, next(d for d in preview.callback_data if d.endswith(":y"))
    )
    await settled(telegram, ADMIN_ID, lambda t: "替换" in t and "新编号" in t)
    assert len(library.reports()) == 5
    assert "下发督办通知60件" in library.ask("蓝山县督办通知下发了多少件").hits[0].passage.text


async def test_upload_of_a_stored_file_is_a_no_op(bot: App, telegram: FakeTelegram, library: Library) -> None:
    report = library.reports()[0]
    content = (library.settings.bundled_reports / report.source).read_bytes()
    await upload(telegram, ADMIN_ID, "copy.txt", content)
    await settled(telegram, ADMIN_ID, lambda t: "已经收录" in t)
    assert len(library.reports()) == 5


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("junk.txt", os.urandom(3000), "binary"),
        ("empty.txt", b"", "empty"),
        ("report.doc", b"\xd0\xcf\x11\xe0 old word file", "unsupported"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "docx"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
    ],
)
async def test_malformed_uploads_get_a_one_line_reason_and_lose_nothing(
    bot: App, telegram: FakeTelegram, library: Library, name: str, content: bytes, reason: str
) -> None:
    await upload(telegram, ADMIN_ID, name, content)
    msg = await settled(telegram, ADMIN_ID, lambda t: t.startswith("无法读取"))
    assert reason in msg.text and "\n" not in msg.text
    assert len(library.reports()) == 5
    assert library.ask("秀山县政务公开数据").answered


async def test_oversized_upload_is_refused_before_download(library: Library, telegram: FakeTelegram) -> None:
    async with running_bot(bot_settings(library, telegram, max_upload_mb=1), library):
        await upload(telegram, ADMIN_ID, "big.txt", "法治".encode() * 10, file_size=5 * 1024 * 1024)
        msg = await settled(telegram, ADMIN_ID, lambda t: "太大" in t)
        assert "5.0 MB" in msg.text
        assert not telegram.calls_to("getFile")


async def test_non_admin_upload_is_refused_and_changes_nothing(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    await upload(telegram, USER_ID, "张庄镇.docx", docx_bytes(NEW_REPORT))
    await settled(telegram, USER_ID, lambda t: t == texts.NOT_ADMIN)
    assert not telegram.calls_to("getFile")
    assert len(library.reports()) == 5


@pytest.mark.parametrize("command", ["/reindex", "/delete 1", "/stats"])
async def test_non_admin_commands_are_refused(
    bot: App, telegram: FakeTelegram, library: Library, command: str
) -> None:
    telegram.send_private_text(USER_ID, command)
    await settled(telegram, USER_ID, lambda t: t == texts.NOT_ADMIN)
    assert len(library.reports()) == 5


async def test_reindex_keeps_answering_and_reports_progress(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    before = library.searcher
    telegram.send_private_text(ADMIN_ID, "/reindex")
    questions = ["秀山县政务公开数据", "瓦屋镇发放法律读本", "安化县政协提案立案率", "蓝山县重大行政决策数量"]
    for q in questions:
        telegram.send_private_text(USER_ID, q)
    done = await settled(telegram, ADMIN_ID, lambda t: "索引已重建" in t)
    assert f"{library.store.passage_count()} 段" in done.text
    answers = await telegram.wait_for_messages(USER_ID, len(questions))
    assert all("📄" in a.text for a in answers)
    assert library.searcher is not before


async def test_delete_asks_for_confirmation_then_removes_the_report(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    target = next(r for r in library.reports() if "瓦屋镇" in r.places)
    telegram.send_private_text(ADMIN_ID, f"/delete {target.id}")
    ask = await settled(telegram, ADMIN_ID, lambda t: "确定删除" in t)
    assert len(library.reports()) == 5
    telegram.send_callback_query(ADMIN_ID, ask, f"del:{target.id}:y")
    await settled(telegram, ADMIN_ID, lambda t: t.startswith("已删除"))
    assert target.id not in {r.id for r in library.reports()}
    assert not library.ask("瓦屋镇化解了多少矛盾纠纷").answered


async def test_delete_without_id_lists_reports_to_pick(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(ADMIN_ID, "/delete")
    pick = await settled(telegram, ADMIN_ID, lambda t: t == texts.DELETE_PICK)
    assert len([d for d in pick.callback_data if d.endswith(":ask")]) == 5


async def test_stats_counts_questions_and_feedback(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "秀山县政务公开数据")
    telegram.send_private_text(USER_ID, "今天天气怎么样")
    await telegram.wait_for_messages(USER_ID, 2)
    telegram.send_private_text(ADMIN_ID, "/stats")
    stats = await settled(telegram, ADMIN_ID, lambda t: "统计" in t)
    assert "报告：5" in stats.text
    assert "今日提问：2" in stats.text and "今日未找到答案：1" in stats.text
