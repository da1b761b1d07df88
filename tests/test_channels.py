"""One suite over every chat platform channel (WeCom, DingTalk, Feishu): each run through its
real client stack against its fake platform on 127.0.0.1 (tests/channel_<name>.py), so that
what a conversation means is the same wherever staff chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from retrieval.library import Library
from tests.channel_dingtalk import Harness as DingTalk
from tests.channel_feishu import Harness as Feishu
from tests.channel_wecom import Harness as WeCom
from tests.conftest import RUCHENG, Route, Site, web_page

CHANNELS: dict[str, Callable[[Library], Any]] = {"wecom": WeCom, "dingtalk": DingTalk, "feishu": Feishu}


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
