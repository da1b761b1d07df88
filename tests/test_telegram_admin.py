"""Admin handlers end to end: upload → preview → confirm, /reindex, /delete, /stats, and the
refusals everyone else gets."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core import texts
from bot.core.admin import STATS_LOG_ENTRIES, log_line
from bot.core.messages import StatsPart
from bot.telegram import render
from bot.telegram.context import App
from bot.telegram.render import visible_length
from retrieval import texts as library_texts
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.library import Library
from tests.conftest import (
    ADMIN_ID,
    GROUP_ID,
    USER_ID,
    Route,
    Site,
    add_county_reports,
    bot_settings,
    docx_bytes,
    endless,
    plain,
    running_bot,
    web_page,
)
from tests.fake_telegram import BotMessage, FakeTelegram
from tests.test_pdf import encrypted_pdf

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
    confirm = next(d for d in preview.callback_data if plain(d).endswith(":y"))
    telegram.send_callback_query(ADMIN_ID, preview, confirm)
    await settled(telegram, ADMIN_ID, lambda t: "已添加" in t)
    assert len(library.reports()) == 6
    telegram.send_private_text(USER_ID, "张庄镇调处矛盾纠纷多少起")
    answer = await settled(telegram, USER_ID, lambda t: "📄" in t and "确认" not in t)
    assert "全年调处矛盾纠纷147起" in answer.text


async def test_cancelled_upload_changes_nothing(bot: App, telegram: FakeTelegram, library: Library) -> None:
    await upload(telegram, ADMIN_ID, "张庄镇.txt", "\n".join(NEW_REPORT).encode("gb18030"))
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    cancel = next(d for d in preview.callback_data if plain(d).endswith(":n"))
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
        ADMIN_ID, preview, next(d for d in preview.callback_data if plain(d).endswith(":y"))
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


def _zip_bomb() -> bytes:
    """A .docx-named zip whose one member inflates 1000-fold (16 MB of zeros in ~16 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(16 * 1024 * 1024))
    return buffer.getvalue()


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Words a Chinese refusal may still carry besides file suffixes (.xlsx): units, product names.
ALLOWED_LATIN = {"PDF", "Word", "WPS", "MB", "OCR", "reportbot", "ocr"}


def english_words(text: str) -> set[str]:
    return set(re.findall(r"(?<![.\w])[A-Za-z]{2,}", text)) - ALLOWED_LATIN


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("junk.txt", lambda: os.urandom(3000), Unreadable.BINARY),
        ("empty.txt", lambda: b"", Unreadable.EMPTY),
        ("blank.docx", lambda: docx_bytes(["　"]), Unreadable.EMPTY),
        ("report.doc", lambda: OLE_HEADER + b" old word file", Unreadable.OLD_WORD),
        ("renamed.docx", lambda: OLE_HEADER + bytes(2000), Unreadable.OLD_WORD),
        ("sheet.xlsx", lambda: b"PK\x03\x04", Unreadable.UNSUPPORTED),
        ("broken.docx", lambda: b"PK\x03\x04 not really a zip", Unreadable.BAD_DOCX),
        ("bomb.docx", _zip_bomb, Unreadable.ZIP_BOMB),
        ("broken.pdf", lambda: b"%PDF-1.4 garbage", Unreadable.BAD_PDF),
        ("locked.pdf", encrypted_pdf, Unreadable.ENCRYPTED_PDF),
        (
            "repeated.txt",
            lambda: "\n".join(["政务公开工作全面推进，取得明显成效。"] * 40).encode(),
            Unreadable.REPETITIVE,
        ),
    ],
)
async def test_unreadable_uploads_get_a_chinese_reason_and_lose_nothing(
    bot: App, telegram: FakeTelegram, library: Library, name: str, make: Callable[[], bytes], kind: Unreadable
) -> None:
    content = make()
    with pytest.raises(UnreadableFile) as refused:
        library.parse(name, content)
    assert refused.value.kind == kind
    await upload(telegram, ADMIN_ID, name, content)
    msg = await settled(telegram, ADMIN_ID, lambda t: t.startswith("无法读取"))
    assert msg.text == texts.UPLOAD_REFUSED.format(
        reason=library_texts.unreadable(kind, refused.value.detail)
    )
    assert not english_words(msg.text), msg.text
    assert refused.value.reason not in msg.text  # the English reason is the CLI's
    assert len(library.reports()) == 5
    assert library.ask("秀山县政务公开数据").answered


async def test_a_link_to_a_file_that_cannot_be_read_gets_a_chinese_reason(
    library: Library, telegram: FakeTelegram, site: Site
) -> None:
    url = site.add("/bot/refused/locked.pdf", Route(encrypted_pdf(), "application/pdf"))
    async with running_bot(bot_settings(library, telegram), library):
        telegram.send_private_text(ADMIN_ID, url)
        msg = await settled(telegram, ADMIN_ID, lambda t: t.startswith("无法读取"))
    assert msg.text == texts.UPLOAD_REFUSED.format(
        reason=library_texts.UNREADABLE_REASONS[Unreadable.ENCRYPTED_PDF]
    )
    assert not english_words(msg.text)


async def test_oversized_upload_is_refused_before_download(library: Library, telegram: FakeTelegram) -> None:
    async with running_bot(bot_settings(library, telegram, max_upload_mb=1), library):
        await upload(telegram, ADMIN_ID, "big.txt", "法治".encode() * 10, file_size=5 * 1024 * 1024)
        msg = await settled(telegram, ADMIN_ID, lambda t: "太大" in t)
        assert "5.0 MB" in msg.text and not english_words(msg.text)
        assert not telegram.calls_to("getFile")


async def test_non_admin_upload_is_refused_and_changes_nothing(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    await upload(telegram, USER_ID, "张庄镇.docx", docx_bytes(NEW_REPORT))
    # One line on what the bot understands; the file is never even downloaded.
    await settled(
        telegram,
        USER_ID,
        lambda t: t == texts.ONLY_TEXT.format(what="文件", example=library_texts.EXAMPLES[0]),
    )
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
    telegram.send_callback_query(
        ADMIN_ID, ask, next(d for d in ask.callback_data if plain(d) == f"del:{target.id}:y")
    )
    await settled(telegram, ADMIN_ID, lambda t: t.startswith("已删除"))
    assert target.id not in {r.id for r in library.reports()}
    assert not library.ask("瓦屋镇化解了多少矛盾纠纷").answered


async def test_delete_without_id_lists_reports_to_pick(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.send_private_text(ADMIN_ID, "/delete")
    pick = await settled(telegram, ADMIN_ID, lambda t: t.startswith("选择要删除的报告"))
    assert pick.text == texts.DELETE_PICK_PAGE.format(n=5, page=1, pages=1)
    labels = {
        plain(b["callback_data"]): b["text"]
        for row in (pick.reply_markup or {})["inline_keyboard"]
        for b in row
    }
    assert len(labels) == 5
    for r in library.reports():  # issuer, year and title on each button
        label = labels[f"del:{r.id}:ask"]
        assert label.startswith(f"#{r.id} {r.issuer[:11]}") and str(r.year) in label
        assert library_texts.short_title(r).removeprefix("关于")[:8] in label


async def test_delete_pages_through_many_reports_and_deletes_one_from_a_later_page(
    library: Library, telegram: FakeTelegram, tmp_path: Path
) -> None:
    add_county_reports(library, tmp_path / "counties", 25)
    async with running_bot(bot_settings(library, telegram), library):
        telegram.send_private_text(ADMIN_ID, "/delete")
        pick = await settled(telegram, ADMIN_ID, lambda t: "第 1/3 页" in t)
        assert pick.text == texts.DELETE_PICK_PAGE.format(n=30, page=1, pages=3)
        telegram.send_callback_query(
            ADMIN_ID, pick, next(d for d in pick.callback_data if plain(d) == "delp:10")
        )
        page2 = await settled(telegram, ADMIN_ID, lambda t: "第 2/3 页" in t)
        assert page2.message_id == pick.message_id  # the same message, edited
        picks = [d for d in page2.callback_data if plain(d).endswith(":ask")]
        assert len(picks) == 10 and not set(picks) & set(pick.callback_data)
        target = int(plain(picks[0]).split(":")[1])
        telegram.send_callback_query(ADMIN_ID, page2, picks[0])
        ask = await settled(telegram, ADMIN_ID, lambda t: "确定删除" in t)
        telegram.send_callback_query(
            ADMIN_ID, ask, next(d for d in ask.callback_data if plain(d) == f"del:{target}:y")
        )
        await settled(telegram, ADMIN_ID, lambda t: t.startswith("已删除"))
    assert target not in {r.id for r in library.reports()} and len(library.reports()) == 29


async def test_delete_with_words_lists_only_matching_reports(
    library: Library, telegram: FakeTelegram, tmp_path: Path
) -> None:
    add_county_reports(library, tmp_path / "counties", 25)
    async with running_bot(bot_settings(library, telegram), library):
        telegram.send_private_text(ADMIN_ID, "/delete 桂东县")
        pick = await settled(telegram, ADMIN_ID, lambda t: t.startswith("选择要删除的报告"))
    assert pick.text == texts.DELETE_PICK_FOUND.format(words="桂东县", n=3, page=1, pages=1)
    ids = {int(plain(d).split(":")[1]) for d in pick.callback_data}
    assert ids == {r.id for r in library.reports() if "桂东县" in r.places}


async def test_stats_counts_questions_and_feedback(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(USER_ID, "秀山县政务公开数据")
    telegram.send_private_text(USER_ID, "今天天气怎么样")
    await telegram.wait_for_messages(USER_ID, 2)
    telegram.send_private_text(ADMIN_ID, "/stats")
    stats = await settled(telegram, ADMIN_ID, lambda t: "统计" in t)
    assert "报告：5" in stats.text
    assert "今日提问：2" in stats.text and "今日未找到答案：1" in stats.text


async def test_stats_lists_the_latest_refused_and_disliked_questions(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    telegram.user(USER_ID, "Zhang Wei", username="zhangwei")
    telegram.send_private_text(USER_ID, "秀山县一窗综办进驻率")
    answer = (await telegram.wait_for_messages(USER_ID, 1))[0]
    telegram.send_private_text(USER_ID, "<b>北京市</b>的报告 & 数据")  # markup: escaped in the list
    await telegram.wait_for_messages(USER_ID, 2)
    down = next(d for d in answer.callback_data if plain(d).startswith("fb:") and plain(d).endswith(":-1"))
    telegram.send_callback_query(USER_ID, answer, down)
    await telegram.wait_for_calls("editMessageReplyMarkup", ok=True)
    asking = telegram.message(USER_ID, answer.message_id)
    assert asking is not None
    reason = next(d for d in asking.callback_data if plain(d).endswith(":incomplete"))
    telegram.send_callback_query(USER_ID, asking, reason)
    await telegram.wait_for_calls("editMessageReplyMarkup", 2, ok=True)

    telegram.send_private_text(ADMIN_ID, "/stats")
    stats = await settled(telegram, ADMIN_ID, lambda t: "统计" in t)
    assert texts.LOG_HEADER in stats.text
    lines = stats.text.split(texts.LOG_HEADER, 1)[1].strip().splitlines()
    assert len(lines) == 2
    assert "「<b>北京市</b>的报告 & 数据」未答：未收录该地区" in lines[0]  # shown as typed, not as markup
    top = library.ask("秀山县一窗综办进驻率").hits[0]
    assert "「秀山县一窗综办进驻率」👎×1（不完整）" in lines[1]
    assert f"#{top.report.id} {top.report.place}：“{top.snippet.text[:20]}" in lines[1]
    for private in ("Zhang", "zhangwei", str(USER_ID)):
        assert private not in stats.text


async def test_stats_lists_ten_and_fits_one_message(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    for i in range(30):
        library.store.log_query(f"问题{i}" + "很长的问题" * 800, False, "no_match", user_id=USER_ID)
    telegram.send_private_text(ADMIN_ID, "/stats")
    stats = await settled(telegram, ADMIN_ID, lambda t: "统计" in t)
    lines = stats.text.split(texts.LOG_HEADER, 1)[1].strip().splitlines()
    assert len(lines) == STATS_LOG_ENTRIES
    assert "问题29" in lines[0] and "问题20" in lines[-1]  # the newest first
    assert visible_length(stats.html or "") <= 4096
    many = [dataclasses.replace(library.conversation_log(1)[0], question="长" * 4000) for _ in range(50)]
    counts = texts.STATS.format(**library.stats())
    html = render.stats_html(StatsPart(counts, texts.LOG_HEADER, tuple(map(log_line, many))))
    assert visible_length(html) <= 4096 and html.count("\n· ") >= 10


async def test_stats_in_a_group_keeps_the_questions_for_a_private_chat(
    bot: App, telegram: FakeTelegram
) -> None:
    telegram.send_private_text(USER_ID, "今天天气怎么样")
    await telegram.wait_for_messages(USER_ID, 1)
    telegram.send_group_text(GROUP_ID, ADMIN_ID, "/stats")
    stats = await settled(telegram, GROUP_ID, lambda t: "统计" in t)
    assert texts.LOG_PRIVATE_ONLY in stats.text and "今日未找到答案：1" in stats.text
    assert "今天天气" not in stats.text


async def test_stats_without_entries_says_so(bot: App, telegram: FakeTelegram) -> None:
    telegram.send_private_text(ADMIN_ID, "/stats")
    stats = await settled(telegram, ADMIN_ID, lambda t: "统计" in t)
    assert texts.LOG_EMPTY.format(days=90) in stats.text


# --- links, duplicates, the preview -----------------------------------------------------------


@pytest.mark.parametrize("message", ["{url}", "  {url}\n", "请收录这份报告：{url}", "see ({url})."])
async def test_admin_sends_a_link_and_it_is_added_with_its_url(
    bot: App, telegram: FakeTelegram, library: Library, site: Site, message: str
) -> None:
    path = f"/bot/{len(message)}/t20240115_881.html"
    url = site.add(path, Route(web_page(NEW_REPORT)))
    telegram.send_private_text(ADMIN_ID, message.format(url=url))
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert f"链接：{url}" in preview.text and "张庄镇人民政府" in preview.text
    assert "目录" in preview.text and "（一）推进矛盾纠纷多元化解 · 1段" in preview.text
    assert len(library.reports()) == 5
    telegram.send_callback_query(
        ADMIN_ID, preview, next(d for d in preview.callback_data if plain(d).endswith(":y"))
    )
    await settled(telegram, ADMIN_ID, lambda t: "已添加" in t)
    (added,) = [r for r in library.reports() if r.url == url]
    assert added.source == "t20240115_881.html"

    telegram.send_private_text(USER_ID, "张庄镇调处矛盾纠纷多少起")
    answer = await settled(telegram, USER_ID, lambda t: "📄" in t and "确认" not in t)
    telegram.send_callback_query(
        USER_ID, answer, next(d for d in answer.callback_data if plain(d) == f"src:{added.id}")
    )
    source = await settled(telegram, USER_ID, lambda t: texts.REPORT_LINK in t)
    assert {"type": "text_link", "url": url} in [
        {k: e[k] for k in ("type", "url") if k in e} for e in source.entities
    ]


async def test_a_changed_page_at_a_stored_link_says_it_replaces(
    bot: App, telegram: FakeTelegram, library: Library, site: Site
) -> None:
    url = site.add("/bot/changing.html", Route(web_page(NEW_REPORT)))
    (first,), _ = library.ingest([url])
    site.add("/bot/changing.html", Route(web_page([line.replace("147起", "150起") for line in NEW_REPORT])))
    telegram.send_private_text(ADMIN_ID, url)
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert f"将替换从同一链接收录的 #{first.report.id}" in preview.text


async def test_a_text_link_is_fetched_by_its_target(bot: App, telegram: FakeTelegram, site: Site) -> None:
    url = site.add("/bot/behind-a-word.html", Route(web_page(NEW_REPORT)))
    telegram.send_private_text(
        ADMIN_ID, "张庄镇报告", entities=[{"type": "text_link", "offset": 0, "length": 5, "url": url}]
    )
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert f"链接：{url}" in preview.text


async def test_a_link_from_someone_else_is_a_question_and_is_not_fetched(
    bot: App, telegram: FakeTelegram, site: Site
) -> None:
    url = site.add("/bot/not-fetched.html", Route(web_page(NEW_REPORT)))
    telegram.send_private_text(USER_ID, url)
    reply = await settled(telegram, USER_ID, lambda t: bool(t))  # answered as a question
    assert texts.LINK_WORKING not in reply.text and "确认" not in reply.text
    assert site.hits.get("/bot/not-fetched.html", 0) == 0


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (None, "网站返回了错误（404）"),
        (Route(b"\x89PNG", "image/png"), "链接的内容不是网页、PDF、Word（.docx）或纯文本（image/png）"),
        (Route(endless(), length=False), "文件太大，上限为 1 MB"),
    ],
)
async def test_a_link_that_cannot_be_fetched_gets_a_chinese_line(
    library: Library, telegram: FakeTelegram, site: Site, route: Route | None, reason: str
) -> None:
    path = f"/bot/refused/{len(reason)}"
    url = site.add(path, route) if route else site.url(path)
    async with running_bot(bot_settings(library, telegram, max_upload_mb=1), library):
        telegram.send_private_text(ADMIN_ID, url)
        msg = await settled(telegram, ADMIN_ID, lambda t: t.startswith("无法收录"))
    assert msg.text == texts.LINK_REFUSED.format(reason=reason)
    assert not english_words(msg.text.replace("image/png", ""))
    assert len(library.reports()) == 5


@pytest.mark.parametrize(
    ("choice", "reply", "zhangzhuang_reports"),
    [("r", "新编号", 1), ("k", "内容相同，两份都保留", 2), ("n", texts.UPLOAD_CANCELLED, 1)],
)
async def test_the_same_report_from_another_file_asks_replace_or_keep_both(
    bot: App,
    telegram: FakeTelegram,
    library: Library,
    tmp_path: Path,
    choice: str,
    reply: str,
    zhangzhuang_reports: int,
) -> None:
    stored = tmp_path / "张庄镇.txt"
    stored.write_text("\n".join(NEW_REPORT), "utf-8")
    (first,), _ = library.ingest([stored])
    await upload(telegram, ADMIN_ID, "张庄镇2024.docx", docx_bytes(NEW_REPORT))
    preview = await settled(telegram, ADMIN_ID, lambda t: "内容相同" in t)
    assert f"与已收录的 #{first.report.id}《{first.report.title}》内容相同" in preview.text
    assert "确认添加吗" not in preview.text
    assert sorted(plain(d).rsplit(":", 1)[1] for d in preview.callback_data) == ["k", "n", "r"]
    telegram.send_callback_query(
        ADMIN_ID, preview, next(d for d in preview.callback_data if plain(d).endswith(choice))
    )
    await settled(telegram, ADMIN_ID, lambda t: reply in t)
    mine = [r for r in library.reports() if r.issuer == "张庄镇人民政府"]
    assert len(mine) == zhangzhuang_reports
    if choice == "r":
        assert [r.source for r in mine] == ["张庄镇2024.docx"]


async def test_preview_warns_when_year_and_places_are_missing(bot: App, telegram: FakeTelegram) -> None:
    vague = [
        "工作报告",
        "今年以来，我局认真贯彻落实上级部署，扎实推进法治建设。",
        "一、主要做法",
        "加强学习，提升能力。",
    ]
    await upload(telegram, ADMIN_ID, "vague.txt", "\n".join(vague).encode())
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert texts.PREVIEW_NO_YEAR in preview.text and texts.PREVIEW_NO_PLACES in preview.text
    assert "年份：未知" in preview.text


async def test_a_long_outline_is_cut_to_fit_one_message(
    bot: App, telegram: FakeTelegram, library: Library
) -> None:
    lines = NEW_REPORT[:3]
    for i in range(1, 61):
        lines.append(f"{'一二三四五六七八九十'[i % 10]}、第{i}项工作要点的一个相当长的标题用来占满预览的篇幅")
        for j in range(1, 6):
            lines.append(f"（{'一二三四五'[j - 1]}）第{i}项第{j}个方面的要求与做法")
            lines.append(f"第{i}项第{j}个方面全年完成任务{i * j}件，群众满意度持续提升。")
    await upload(telegram, ADMIN_ID, "long.txt", "\n".join(lines).encode())
    preview = await settled(telegram, ADMIN_ID, lambda t: "确认添加吗" in t)
    assert visible_length(preview.html or "") <= 4096
    assert "节未列出" in preview.text and preview.text.endswith("确认添加吗？")
