"""One suite over every chat platform channel (WeCom, DingTalk, Feishu): each run through its
real client stack against its fake platform on 127.0.0.1 (tests/channel_<name>.py), so that
what a conversation means is the same wherever staff chat."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest

from bot.core import texts as core_texts
from retrieval.library import Library
from tests.channel_dingtalk import Harness as DingTalk
from tests.channel_feishu import Harness as Feishu
from tests.channel_wecom import CallbackHarness as WeComCallback
from tests.channel_wecom import Harness as WeCom
from tests.conftest import RUCHENG, Route, Site, docx_bytes, web_page

CHANNELS: dict[str, Callable[[Library], Any]] = {
    "wecom": WeCom,
    "wecom-callback": WeComCallback,
    "dingtalk": DingTalk,
    "feishu": Feishu,
}


@pytest.fixture(params=sorted(CHANNELS))
def channel(request: pytest.FixtureRequest) -> Callable[[Library], Any]:
    return CHANNELS[request.param]


async def test_a_question_is_answered_with_its_excerpt_and_citation(
    channel: Callable[[Library], Any], shared_library: Library
) -> None:
    async with channel(shared_library) as h:
        replies = await h.say("秀山县政务公开数据")
        text = "\n".join(replies)
        assert "18778条" in text and "秀山土家族苗族自治县人民政府办公室" in text
        assert not text.startswith("问：")  # the first line is the answer, not the question echoed


async def test_a_group_message_not_addressed_to_the_bot_gets_nothing(
    channel: Callable[[Library], Any], shared_library: Library
) -> None:
    async with channel(shared_library) as h:
        assert await h.say("秀山县政务公开数据", group=True, mentioned=False) == []
        assert await h.say("秀山县政务公开数据", group=True, mentioned=True) != []


async def test_a_follow_up_asks_the_same_about_another_place(
    channel: Callable[[Library], Any], shared_library: Library
) -> None:
    async with channel(shared_library) as h:
        await h.say("秀山县政务公开数据")
        text = "\n".join(await h.say("那蓝山县呢？"))
        assert "蓝山县" in text and "问：蓝山县" in text  # what was understood, as it differs


async def test_full_text_comes_back_through_the_core(
    channel: Callable[[Library], Any], shared_library: Library
) -> None:
    async with channel(shared_library) as h:
        await h.say("安化县政协提案立案率")
        full = "\n".join(await h.press("全文"))
        assert "立案率为82%" in full


@pytest.mark.parametrize("question", ["", "   ", "😀😀😀", "<script>alert(1)</script>", "今天天气怎么样"])
async def test_bad_input_gets_a_short_clear_answer(
    channel: Callable[[Library], Any], shared_library: Library, question: str
) -> None:
    async with channel(shared_library) as h:
        replies = await h.say(question)
        assert replies, "no answer at all"
        text = "\n".join(replies)
        assert "Traceback" not in text and len(text) < 2000
        assert "<script>" not in text or "\\<script\\>" in text or "&lt;script" in text


async def test_an_admins_link_gets_a_preview_and_anyone_elses_does_not(
    channel: Callable[[Library], Any], shared_library: Library, site: Site
) -> None:
    url = site.add("/channels/rucheng.html", Route(web_page(RUCHENG.split("\n"))))
    async with channel(shared_library, admins=frozenset({"u1"})) as h:  # type: ignore[call-arg]
        preview = "\n".join(await h.say(url))
        assert "汝城县" in preview and "确认" in preview  # the core's preview, with its buttons
        stranger = "\n".join(await h.say(url, user="u2"))
        assert "确认" not in stranger


# Channels that take files (their harness has send_file): an admin's file, through the core.
FILE_CHANNELS = sorted(name for name, harness in CHANNELS.items() if hasattr(harness, "send_file"))
RUCHENG_FILE = "汝城县人民政府2023年法治政府建设年度报告.docx"


def zip_bomb() -> bytes:
    """A .docx-named zip whose one member inflates 1000-fold (16 MB of zeros in ~16 KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", bytes(16 * 1024 * 1024))
    return buffer.getvalue()


@pytest.fixture(params=FILE_CHANNELS)
def file_channel(request: pytest.FixtureRequest) -> Callable[..., Any]:
    return CHANNELS[request.param]


async def test_an_admins_file_is_previewed_then_added_and_anyone_elses_is_not(
    file_channel: Callable[..., Any], library: Library
) -> None:
    before = len(library.reports())
    async with file_channel(library, admins=frozenset({"u1"})) as h:
        stranger = "\n".join(await h.send_file(RUCHENG_FILE, docx_bytes(RUCHENG.split("\n")), user="u2"))
        assert core_texts.FILE in stranger and "确认" not in stranger
        preview = "\n".join(await h.send_file(RUCHENG_FILE, docx_bytes(RUCHENG.split("\n"))))
        assert "汝城县" in preview and core_texts.PREVIEW_QUESTION in preview
        assert len(library.reports()) == before  # nothing kept before the admin confirms
        added = "\n".join(await h.press(core_texts.UPLOAD_CONFIRM))
        assert "已添加" in added, added
    assert len(library.reports()) == before + 1
    assert any(r.place == "汝城县" for r in library.reports())


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("big.txt", lambda: "法治政府建设".encode() * 40_000, "文件太大"),
        ("bomb.docx", zip_bomb, "无法读取"),
        ("setup.exe", lambda: b"MZ\x90\x00" + bytes(4000), "无法读取"),
        ("empty.txt", lambda: b"\n\n", "无法读取"),
    ],
    ids=["too-large", "zip-bomb", "wrong-type", "empty"],
)
async def test_a_hostile_file_gets_one_short_line_and_nothing_is_lost(
    file_channel: Callable[..., Any], library: Library, name: str, make: Callable[[], bytes], says: str
) -> None:
    before = [r.id for r in library.reports()]
    async with file_channel(library, admins=frozenset({"u1"}), max_upload_mb=0.5) as h:
        replies = await h.send_file(name, make())
        text = "\n".join(replies)
        assert says in text and "Traceback" not in text and len(text) < 300, text
        assert core_texts.UPLOAD_CONFIRM not in text
        assert "18778条" in "\n".join(await h.say("秀山县政务公开数据"))  # the bot goes on answering
    assert [r.id for r in library.reports()] == before
