"""The DingTalk channel (bot/dingtalk/) end to end against a fake DingTalk (tests/fake_dingtalk.py):
Stream mode through the vendor SDK, the outgoing-robot HTTP mode, replies by sessionWebhook."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import io
import json
import logging
import threading
import time
import zipfile
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Action, FilePart, Kind, Message, Reply, TextPart
from bot.core.platform import RateLimit
from bot.dingtalk import cards
from bot.dingtalk import texts as dingtalk_texts
from bot.dingtalk.channel import DingTalk, SendError, Target
from bot.dingtalk.openapi import ApiError, OpenApi, Space
from bot.dingtalk.outbound import DINGTALK_ORIGINS, Hosts, InternalAddress
from bot.dingtalk.presses import Signer, content_of
from bot.dingtalk.webhook import sign, verify
from retrieval import texts as common
from retrieval.config import Settings
from retrieval.library import Library
from tests.channel_dingtalk import Harness, fake_hosts, shown
from tests.conftest import RUCHENG
from tests.fake_dingtalk import CARD_TEMPLATE, CARD_TOPIC, MAX_TEXT_BYTES, FakeDingTalk, Internal

QUESTION = "秀山县政务公开数据"
CITED = "秀山土家族苗族自治县人民政府办公室"
MODES = pytest.mark.parametrize("http", [False, True], ids=["stream", "http"])


# --- conversations, in both modes ---------------------------------------------------------------


WAYS = pytest.mark.parametrize(
    ("http", "use_cards"),
    [(False, True), (False, False), (True, False)],
    ids=["card", "stream-dtmd", "http-dtmd"],
)


async def test_an_answer_comes_as_a_card_with_callback_buttons(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        [answer] = await h.say(QUESTION)
        assert CITED in answer and "**政务公开**" in answer
        [sent] = h.fake.sent
        card = sent.payload["card"]
        labels = [t for t, _ in card.buttons]
        assert "全文 1" in labels and core_texts.THUMBS_UP in labels
        assert core_texts.EXPORT in labels  # the OpenAPI can send the file
        assert card.title == "报告问答" and card.user == "u1"
        assert not h.fake.refused and not h.fake.api_refused


async def test_a_sender_without_a_staff_id_gets_dtmd_buttons_not_a_lost_card(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        message = h.fake.robot_message(QUESTION)
        del message["senderStaffId"]  # e.g. someone from outside the organisation
        await h.deliver(message)
        [sent] = h.fake.sent
        assert sent.payload["msgtype"] == "actionCard" and not h.fake.api_refused


@pytest.mark.parametrize("http", [False, True], ids=["stream", "http"])
async def test_without_cards_buttons_are_dtmd_links(shared_library: Library, http: bool) -> None:
    async with Harness(shared_library, http=http, cards=False) as h:
        [answer] = await h.say(QUESTION)
        assert CITED in answer and "**政务公开**" in answer
        card = h.fake.sent[-1].payload
        assert card["msgtype"] == "actionCard"
        labels = [b["title"] for b in card["actionCard"]["btns"]]
        assert "全文 1" in labels and core_texts.THUMBS_UP in labels
        assert all(
            b["actionURL"].startswith("dtmd://dingtalkclient/sendMessage?content=")
            for b in card["actionCard"]["btns"]
        )
        assert not h.fake.refused


async def test_without_an_appkey_export_is_not_offered(shared_library: Library) -> None:
    async with Harness(shared_library, http=True, files=False) as h:
        await h.say(QUESTION)
        labels = [b["title"] for b in h.fake.sent[-1].payload["actionCard"]["btns"]]
        assert "全文 1" in labels and core_texts.EXPORT not in labels


@MODES
async def test_group_answers_only_when_mentioned(shared_library: Library, http: bool) -> None:
    async with Harness(shared_library, http=http) as h:
        assert await h.say(QUESTION, group=True, mentioned=False) == []
        [answer] = await h.say(QUESTION, group=True, mentioned=True)
        assert CITED in answer


@WAYS
async def test_buttons_come_back_as_presses(shared_library: Library, http: bool, use_cards: bool) -> None:
    async with Harness(shared_library, http=http, cards=use_cards) as h:
        await h.say(QUESTION)
        [passage] = await h.press("全文")
        assert "18778" in passage and "› （二）持续深化政务公开" in passage
        [why] = await h.press(core_texts.THUMBS_DOWN)
        assert why == core_texts.FEEDBACK_WHY
        [thanks] = await h.press("不完整")
        assert thanks == core_texts.FEEDBACK_THANKS
        [again] = await h.press(core_texts.THUMBS_UP)  # the old card's 👍: feedback is given already
        assert again == core_texts.FEEDBACK_ALREADY
        assert not h.fake.refused and not h.fake.api_refused


async def test_card_presses_work_in_groups_without_a_mention(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION, group=True, user="u7")
        [sent] = h.fake.sent
        assert sent.conversation == "cidGroupFake001=="
        [passage] = await h.press("全文", user="u8")  # anyone in the group may press
        assert "18778" in passage
        assert h.fake.sent[-1].conversation == "cidGroupFake001=="  # the answer goes to the group
        assert not h.fake.api_refused


async def test_a_year_button_in_a_group_asks_about_that_year(years_library: Library) -> None:
    async with Harness(years_library) as h:
        [answer] = await h.say("汝城县行政复议案件", group=True)
        assert "37件" in answer
        card = h.fake.sent[-1].payload["card"]
        [year] = [t for t, a in card.buttons if t == "2022年"]
        [reply] = await h.press(year, user="u9")
        assert "29件" in reply and "37件" not in reply
        assert h.fake.sent[-1].conversation == "cidGroupFake001==" and not h.fake.api_refused


async def test_dtmd_presses_are_taken_in_groups_without_a_mention(shared_library: Library) -> None:
    async with Harness(shared_library, cards=False) as h:
        await h.say(QUESTION, group=True, user="u7")
        [passage] = await h.press("全文")
        assert "18778" in passage


@pytest.mark.parametrize(
    "track",
    ["made-up", "AAAA.g.Y2lkR3JvdXBGYWtlMDAxPT0.dTc.AAAAAAAAAAA", ""],
    ids=["not-ours", "wrong-mac", "empty"],
)
async def test_a_press_on_a_card_not_ours_is_ignored(shared_library: Library, track: str) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION)
        card = dataclasses.replace(h.fake.sent[-1].payload["card"], out_track_id=track)
        start = len(h.fake.sent)
        ack = await h.fake.wait_ack(await h.fake.press_card(card, "全文"))
        await h.channel.idle()
        assert ack["code"] == 200 and h.fake.sent_since(start) == []


@pytest.mark.parametrize(
    "content",
    ["{}", json.dumps({"cardPrivateData": {"params": {}}}), json.dumps({"cardPrivateData": []})],
    ids=["empty", "no-action", "not-an-object"],
)
async def test_a_card_callback_without_an_action_gets_a_short_line(
    shared_library: Library, content: str
) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION)
        card = h.fake.sent[-1].payload["card"]
        start = len(h.fake.sent)
        data = {"userId": "u1", "outTrackId": card.out_track_id, "content": content, "extension": "{}"}
        await h.fake.wait_ack(await h.fake.callback(data))
        await h.channel.idle()
        assert [shown(s.payload) for s in h.fake.sent_since(start)] == [core_texts.BUTTON_STALE]


async def test_a_private_card_pressed_by_someone_else_does_nothing(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION, user="alice")
        assert await h.press("全文", user="mallory") == []  # nothing, to nobody
        assert "18778" in (await h.press("全文", user="alice"))[0]


async def test_a_callback_delivered_twice_is_answered_once(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION)
        card = h.fake.sent[-1].payload["card"]
        start = len(h.fake.sent)
        await h.press("全文")
        answered = len(h.fake.sent) - start
        frame = f"card-{next(h.fake._ids) - 1}"  # the frame just sent, again
        data = {"userId": "u1", "outTrackId": card.out_track_id, "extension": "{}", "content": "{}"}
        await h.fake._send_frame(
            {
                "specVersion": "1.0",
                "type": "CALLBACK",
                "headers": h.fake._headers(CARD_TOPIC, frame),
                "data": json.dumps(data),
            }
        )
        await h.fake.wait_ack(frame)
        await h.channel.idle()
        assert answered == 1 and len(h.fake.sent) - start == 1


async def test_a_stale_access_token_is_fetched_anew(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION)
        h.fake.expire_tokens()
        [passage] = await h.press("全文")
        assert "18778" in passage
        assert ("/v1.0/robot/oToMessages/batchSend", "InvalidAuthentication") in h.fake.api_refused


async def test_openapi_server_errors_are_retried(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        h.fake.api_failures = 2
        [answer] = await h.say(QUESTION)
        assert CITED in answer and h.fake.sent[-1].payload["msgtype"] == "card"
        h.fake.api_failures = 5  # DingTalk down: the reply is given up, the robot carries on
        assert await h.press("全文") == []
        h.fake.api_failures = 0
        [passage] = await h.press("全文")
        assert "18778" in passage


async def test_the_fake_refuses_cards_that_do_not_fit_the_template(shared_library: Library) -> None:
    async with FakeDingTalk() as fake:
        fake.robot_message("x", group=True)  # the robot is in the group
        api = OpenApi(fake.client_id, fake.client_secret, lambda: http, fake.base_url, fake.base_url)
        async with httpx.AsyncClient() as http:
            space = Space("cidGroupFake001==", False, "u1")
            good = {
                "title": "t",
                "markdown": "m",
                "buttons": json.dumps([{"text": "全文", "action": "full:1"}]),
            }
            await api.send_card(space, CARD_TEMPLATE, "t1", good)
            bad: list[tuple[str, dict[str, Any], Space]] = [
                ("other-template", good, space),
                ("t2", {**good, "buttons": [{"text": "x"}]}, space),  # not a string
                ("t3", {**good, "buttons": json.dumps([{"text": "x"}])}, space),  # no action
                ("t4", {**good, "colour": "red"}, space),  # a variable the template lacks
                ("t5", good, Space("cidSomewhereElse==", False, "u1")),  # not the robot's group
                ("t1", good, space),  # the same outTrackId twice
            ]
            for track, params, where in bad:
                template = "nope.schema" if track == "other-template" else CARD_TEMPLATE
                with pytest.raises(ApiError):
                    await api.send_card(where, template, track, params)
        assert len(fake.cards) == 1 and len(fake.api_refused) == len(bad)


@pytest.mark.parametrize(
    "forged",
    ["👍 ⟦fb:1:1|AAAAAAAAAAA⟧", "全文 ⟦full:1|zzzzzzzzzzz⟧ 多余的字"],
    ids=["wrong-mac", "made-up"],
)
async def test_forged_presses_are_refused(shared_library: Library, forged: str) -> None:
    async with Harness(shared_library) as h:
        assert await h.say(forged) == [core_texts.BUTTON_STALE]


async def test_a_press_copied_to_another_chat_is_refused(shared_library: Library) -> None:
    async with Harness(shared_library, cards=False) as h:
        await h.say(QUESTION, user="alice")
        content = h.button("全文")
        assert await h.say(content, user="bob") == [core_texts.BUTTON_STALE]
        assert "18778" in (await h.say(content, user="alice"))[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "问题"),
        ("   ", "问题"),
        ("😀😀😀", ""),
        ("<script>alert(1)</script>", ""),
        ("政" * 5000, ""),
        ("/help", "您好"),
        ("帮助", "您好"),
        ("/reports 秀山", "秀山"),
        ("/forget", "删除"),
        ("/ask " + QUESTION, CITED),
    ],
    ids=["empty", "blank", "emoji", "html", "huge", "help", "help-zh", "reports", "forget", "ask"],
)
async def test_any_text_gets_a_short_clear_answer(shared_library: Library, text: str, expected: str) -> None:
    async with Harness(shared_library) as h:
        replies = await h.say(text)
        assert replies and all(r for r in replies)
        assert expected in replies[0]
        assert not h.fake.refused


async def test_a_picture_gets_one_line_and_group_pictures_are_ignored(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        assert await h.deliver(h.fake.robot_message("", msgtype="picture")) == 200
        [line] = h.fake.sent
        assert "图片" in cards.text_of(line.payload) and common.EXAMPLES[0] in cards.text_of(line.payload)
        before = len(h.fake.sent)
        await h.deliver(h.fake.robot_message("", msgtype="picture", group=True, mentioned=False))
        assert len(h.fake.sent) == before


# --- files out: 来源 and 导出 through the media API ------------------------------------------------


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


@WAYS
async def test_source_sends_the_original_file(shared_library: Library, http: bool, use_cards: bool) -> None:
    async with Harness(shared_library, http=http, cards=use_cards) as h:
        await h.say(QUESTION)
        start = len(h.fake.sent)
        replies = await h.press("📄")
        [(name, data)] = h.files_sent(start)
        original = shared_library.original(3)
        assert original is not None and original.suffix == ".txt"
        # DingTalk takes no .txt as a file: it comes zipped, the original inside unchanged.
        assert name.endswith(".zip") and list(_unzip(data).values()) == [original.read_bytes()]
        assert any("目录" in r or "来源" in r for r in replies)  # the outline still comes
        assert not h.fake.api_refused and not h.fake.refused


async def test_export_sends_a_word_file(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION, group=True)
        start = len(h.fake.sent)
        await h.press(core_texts.EXPORT)
        [(name, data)] = h.files_sent(start)
        assert name.endswith(".docx") and "秀山县政务公开数据" in name
        document = _unzip(data)["word/document.xml"].decode()
        assert "18778" in document
        assert all(s.conversation == "cidGroupFake001==" for s in h.fake.sent_since(start))


async def test_a_ranking_sends_its_chart_and_exports_a_spreadsheet_too(ranked_library: Library) -> None:
    async with Harness(ranked_library) as h:
        await h.say("哪个县行政复议案件最多")
        [(chart_name, chart)] = h.files_sent()
        assert chart_name.endswith(".png") and chart.startswith(b"\x89PNG")
        assert [s.payload["msgtype"] for s in h.fake.sent].count("sampleImageMsg") == 1
        start = len(h.fake.sent)
        await h.press(core_texts.EXPORT)
        files = dict(h.files_sent(start))
        [sheet] = [d for n, d in files.items() if n.endswith(".xlsx")]
        assert any(n.endswith(".docx") for n in files)
        places = [row[1] for row in load_workbook(io.BytesIO(sheet)).active.iter_rows(values_only=True)]
        assert places[1] == "蓝山县"  # under the header, the county with most cases
        assert not h.fake.api_refused


async def test_a_file_over_dingtalks_limit_gets_a_line_instead(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        space = Space("cidPrivate-u1==", True, "u1")
        big = FilePart("大文件.pdf", b"%PDF" + b"0" * (20 * 1024 * 1024))
        await h.channel.deliver(Reply([big, TextPart("之后的内容")]), Target(space))
        texts_ = [shown(s.payload) for s in h.fake.sent]
        assert texts_ == [dingtalk_texts.FILE_TOO_BIG.format(name="大文件.pdf"), "之后的内容"]
        assert h.fake.media == {}


@pytest.mark.parametrize(
    ("query", "name", "size", "code"),
    [
        ("", "a.pdf", 10, "40035"),  # no type
        ("&type=sticker", "a.pdf", 10, "40004"),  # an unknown type
        ("&type=file", "a.pdf", 20 * 1024 * 1024 + 1, "40006"),  # over 20 MB
        ("&type=file", "a.exe", 10, "40005"),  # not a file type DingTalk takes
        ("&type=image", "a.pdf", 10, "40005"),  # not a picture
    ],
    ids=["no-type", "unknown-type", "too-big", "bad-suffix", "not-an-image"],
)
async def test_the_fake_refuses_uploads_dingtalk_refuses(query: str, name: str, size: int, code: str) -> None:
    async with FakeDingTalk() as fake:
        api = OpenApi(fake.client_id, fake.client_secret, lambda: http, fake.base_url, fake.base_url)
        async with httpx.AsyncClient(timeout=30) as http:
            token = await api.token()
            response = await http.post(
                f"{fake.base_url}/media/upload?access_token={token}{query}",
                files={"media": (name, b"x" * size, "application/octet-stream")},
            )
            assert response.json()["errcode"] == int(code)
            good = await api.upload("a.pdf", b"%PDF-1.4", "file")
        assert fake.api_refused == [("/media/upload", code)] and list(fake.media) == [good]


# --- files in: an admin's report -----------------------------------------------------------------------


def _file_message(
    h: Harness, data: bytes | None, name: str, user: str = "u1", group: bool = False
) -> dict[str, Any]:
    code = h.fake.add_file(data) if data is not None else "dl-made-up"
    return h.fake.robot_message(code, user=user, group=group, msgtype="file", file_name=name)


@pytest.mark.parametrize("http", [False, True], ids=["stream", "http"])
async def test_an_admins_file_is_previewed_and_added(library: Library, http: bool) -> None:
    async with Harness(library, http=http, admins=frozenset({"u1"})) as h:
        await h.deliver(_file_message(h, RUCHENG.encode(), "汝城县2023年法治政府建设报告.txt"))
        preview = "\n".join(shown(s.payload) for s in h.fake.sent)
        assert "汝城县" in preview and "确认" in preview
        [added] = await h.press("✅")
        assert "已添加" in added
        [answer] = await h.say("汝城县行政复议案件")
        assert "37件" in answer


async def test_a_non_admins_file_gets_the_cores_refusal_and_is_not_fetched(shared_library: Library) -> None:
    async with Harness(shared_library, admins=frozenset({"u1"})) as h:
        await h.deliver(_file_message(h, RUCHENG.encode(), "汝城县.txt", user="u2"))
        [line] = [shown(s.payload) for s in h.fake.sent]
        assert line.startswith("我只能回答文字问题") and "文件" in line
        assert h.fake.downloads == 0


async def test_an_admins_file_in_a_group_is_not_taken(shared_library: Library) -> None:
    async with Harness(shared_library, admins=frozenset({"u1"})) as h:
        await h.deliver(_file_message(h, RUCHENG.encode(), "汝城县.txt", group=True))
        assert h.fake.downloads == 0 and "确认" not in "".join(shown(s.payload) for s in h.fake.sent)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"%PDF-1.4 not really a pdf" * 10, "报告.pdf", "无法读取这个文件"),
        (b"PK\x03\x04 broken zip", "报告.docx", "无法读取这个文件"),
        (b"\x00\xff" * 100, "../../etc/passwd", "无法读取这个文件"),
        (b"x" * (11 * 1024 * 1024), "大报告.pdf", "文件太大"),
        (None, "报告.pdf", core_texts.UPLOAD_NOT_FETCHED),
    ],
    ids=["fake-pdf", "broken-docx", "traversal-name", "too-big", "unknown-code"],
)
async def test_hostile_uploads_get_one_short_line(
    shared_library: Library, data: bytes | None, name: str, expected: str
) -> None:
    async with Harness(shared_library, admins=frozenset({"u1"})) as h:
        count = len(shared_library.reports())
        await h.deliver(_file_message(h, data, name))
        [line] = [shown(s.payload) for s in h.fake.sent]
        assert expected in line and len(line) < 200 and "Traceback" not in line
        assert len(shared_library.reports()) == count


# --- the stream: acks, redelivery, reconnection -----------------------------------------------------


async def test_a_redelivered_message_is_answered_once(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        message = h.fake.robot_message(QUESTION, msg_id="msgSame")
        await h.deliver(message)
        await h.deliver(message)  # DingTalk thought the first unacknowledged
        assert len(h.fake.sent) == 1


class GatedCore(Core):
    """A core that holds every answer until the test opens the gate (a slow index)."""

    gate = threading.Event()

    def handle(self, message: Message) -> Reply | None:
        assert self.gate.wait(5)
        return super().handle(message)


async def test_ack_goes_back_before_the_answer(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        h.channel.core = GatedCore(shared_library)
        frame = await h.fake.deliver(h.fake.robot_message(QUESTION))
        ack = await h.fake.wait_ack(frame, timeout=2)
        assert ack["code"] == 200 and not h.fake.sent
        GatedCore.gate.set()
        await asyncio.wait_for(h.channel.idle(), 5)
        assert len(h.fake.sent) == 1


async def test_ping_is_answered_with_its_data(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        ack = await h.fake.ping()
        assert ack["code"] == 200 and json.loads(ack["data"])["opaque"].startswith("ping-")


@pytest.mark.parametrize("how", ["drop", "disconnect"])
async def test_reconnects_after_the_stream_drops(shared_library: Library, how: str) -> None:
    async with Harness(shared_library) as h:
        await (h.fake.drop() if how == "drop" else h.fake.disconnect())
        await h.fake.wait_connected(count=2)
        [answer] = await h.say(QUESTION)
        assert CITED in answer


async def test_reconnects_through_gateway_failures(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        h.fake.gateway_failures = 2
        await h.fake.drop()
        await h.fake.wait_connected(count=2)
        assert h.fake.gateway_calls == 4  # the first open, two 503s, the reopen


async def test_a_wrong_secret_never_connects(shared_library: Library) -> None:
    from bot.core.platform import Backoff
    from bot.dingtalk.stream import stream_client

    async with FakeDingTalk() as fake:
        channel = DingTalk(Core(shared_library), "wrong")
        client = stream_client(fake.client_id, "wrong", fake.base_url, channel, backoff=Backoff(0.01, 0.02))
        task = asyncio.create_task(client.start())
        async with asyncio.timeout(5):
            while fake.gateway_calls < 3:
                await asyncio.sleep(0.01)
        task.cancel()
        assert fake.connections == 0 and client.connections == 0


async def test_malformed_frames_do_not_stop_the_robot(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        assert h.fake._socket is not None
        await h.fake._socket.send("not json")
        await h.fake._socket.send("[1, 2]")
        frame = await h.fake.deliver({"msgtype": "text"})  # no text, no webhook
        await h.fake.wait_ack(frame)
        [answer] = await h.say(QUESTION)
        assert CITED in answer


async def test_an_expired_session_webhook_is_not_used(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.deliver(h.fake.robot_message(QUESTION, expires_in=-1))
        assert not h.fake.sent and not h.fake.refused


async def test_neither_secret_nor_question_is_logged(
    shared_library: Library, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with Harness(shared_library) as h:
        await h.say("临城县行政复议案件数量")
        await h.fake.drop()
        await h.fake.wait_connected(count=2)
    assert h.fake.client_secret not in caplog.text
    assert "临城县行政复议" not in caplog.text


# --- sending: splitting, rates, retries ----------------------------------------------------------


def test_long_replies_are_split_under_the_limit_with_buttons_on_the_last() -> None:
    signer = Signer("s")
    reply = Reply([TextPart("政务公开数据。\n" * 3000, ((Action("更多", "more:1:3", Kind.MORE),),))])
    payloads = cards.payloads(reply, "cid1", signer)
    assert len(payloads) >= 3
    assert all(len(cards.text_of(p).encode()) <= MAX_TEXT_BYTES for p in payloads)
    assert [p["msgtype"] for p in payloads] == ["markdown"] * (len(payloads) - 1) + ["actionCard"]


async def _session(fake: FakeDingTalk, group: bool = True) -> str:
    return str(fake.robot_message("x", group=group)["sessionWebhook"])


async def test_split_replies_are_all_accepted_and_oversize_is_refused(shared_library: Library) -> None:
    async with FakeDingTalk() as fake:
        channel = DingTalk(Core(shared_library), fake.client_secret, retry_delay=0.01, hosts=fake_hosts(fake))
        webhook = await _session(fake)
        reply = Reply([TextPart("政务公开数据。" * 4000)])
        for payload in cards.payloads(reply, "c", channel.signer):
            await channel.send(webhook, "c", payload)
        assert len(fake.sent) == 5 and not fake.refused
        with pytest.raises(SendError, match="460101"):
            await channel.send(webhook, "c2", cards.markdown("政" * 7000))
        await channel.close()


async def test_sends_keep_under_the_chat_rate(shared_library: Library) -> None:
    async with FakeDingTalk() as fake:
        rate = RateLimit(per_chat=2, per_bot=100, window=0.2)
        channel = DingTalk(Core(shared_library), fake.client_secret, rate=rate, hosts=fake_hosts(fake))
        webhook = await _session(fake)
        start = time.monotonic()
        for i in range(5):
            await channel.send(webhook, "c", cards.markdown(f"第{i}条"))
        assert time.monotonic() - start >= 0.4  # two windows waited
        assert len(fake.sent) == 5
        await channel.close()


async def test_the_fake_refuses_a_twenty_first_message_a_minute(shared_library: Library) -> None:
    async with FakeDingTalk() as fake:
        rate = RateLimit(per_chat=100, per_bot=100)
        channel = DingTalk(
            Core(shared_library), fake.client_secret, rate=rate, retry_delay=0.01, hosts=fake_hosts(fake)
        )
        webhook = await _session(fake)
        for i in range(20):
            await channel.send(webhook, "c", cards.markdown(f"第{i}条"))
        with pytest.raises(SendError, match="130101"):
            await channel.send(webhook, "c", cards.markdown("第21条"))
        await channel.close()


async def test_server_errors_are_retried_and_unknown_sessions_refused(shared_library: Library) -> None:
    async with FakeDingTalk() as fake:
        channel = DingTalk(Core(shared_library), fake.client_secret, retry_delay=0.01, hosts=fake_hosts(fake))
        fake.webhook_failures = 2
        await channel.send(await _session(fake), "c", cards.markdown("你好"))
        assert len(fake.sent) == 1
        with pytest.raises(SendError, match="300001"):
            await channel.send(
                f"{fake.base_url}/robot/sendBySession?session=made-up", "c", cards.markdown("你好")
            )
        fake.webhook_failures = 5
        with pytest.raises(httpx.HTTPStatusError):
            await channel.send(await _session(fake), "c", cards.markdown("你好"))
        await channel.close()


# --- the HTTP mode's signature ---------------------------------------------------------------------


def test_sign_matches_dingtalks_rule() -> None:
    secret, timestamp = "this is secret", "1700000000000"
    expected = base64.b64encode(
        hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert expected == "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0="
    assert sign(timestamp, secret) == expected
    now = 1_700_000_000_000
    assert verify(timestamp, expected, secret, now)
    assert verify(timestamp, expected, secret, now + 300_000)  # five minutes off is still fine
    assert not verify(timestamp, expected, secret, now + 300_001)
    assert not verify(timestamp, expected, secret, now + 3_600_000)  # DingTalk's hour is too long
    assert verify(timestamp, expected, secret, now + 3_600_000, max_skew_seconds=3600)
    assert not verify(timestamp, expected, "other secret", now)
    assert not verify(None, expected, secret, now)
    assert not verify("17e12", expected, secret, now)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "AAAA"),  # forged sign
        (str(int((time.time() - 3700) * 1000)), None),  # stale: signed over an hour ago
        (str(int((time.time() - 310) * 1000)), None),  # within DingTalk's hour, past our 5 minutes
        (str(int((time.time() + 3700) * 1000)), None),  # from the future
        ("", ""),
    ],
    ids=["forged", "stale", "minutes-old", "future", "missing"],
)
async def test_http_mode_refuses_bad_signatures(
    shared_library: Library, timestamp: str | None, signature: str | None
) -> None:
    async with Harness(shared_library, http=True) as h:
        message = h.fake.robot_message(QUESTION)
        response = await h.fake.post(h.url, message, timestamp=timestamp, sign=signature)
        await h.channel.idle()
        assert response.status_code == 403 and not h.fake.sent


async def test_http_mode_refuses_what_is_not_a_message(shared_library: Library) -> None:
    async with Harness(shared_library, http=True) as h:
        response = await h.fake.post(h.url, ["not", "a", "message"])  # type: ignore[arg-type]
        assert response.status_code == 400
        response = await h.fake.post(h.url, {"msgtype": "text", "text": {"content": "x" * 300_000}})
        assert response.status_code == 413
        assert not h.fake.sent


# --- replays and foreign sessionWebhooks --------------------------------------------------------


async def test_a_replayed_timestamp_and_sign_are_refused_with_any_body(shared_library: Library) -> None:
    async with Harness(shared_library, http=True) as h:
        timestamp = str(int(time.time() * 1000))
        signature = sign(timestamp, h.fake.client_secret)
        first = await h.fake.post(h.url, h.fake.robot_message(QUESTION), timestamp, signature)
        await h.channel.idle()
        assert first.status_code == 200 and len(h.fake.sent) == 1
        # The same headers under a new body (a new message, a new webhook): a replay.
        again = await h.fake.post(h.url, h.fake.robot_message("临城县行政复议"), timestamp, signature)
        await h.channel.idle()
        assert again.status_code == 403 and len(h.fake.sent) == 1
        [answer] = await h.say(QUESTION)  # a freshly signed delivery is still answered
        assert CITED in answer


async def test_replays_are_remembered_only_for_the_window(shared_library: Library) -> None:
    now = [1_700_000_000.0]
    async with Harness(shared_library, http=True, app_options={"clock": lambda: now[0]}) as h:
        timestamp = str(int(now[0] * 1000))
        signature = sign(timestamp, h.fake.client_secret)
        assert (await h.fake.post(h.url, h.fake.robot_message("x"), timestamp, signature)).status_code == 200
        now[0] += 299
        assert (await h.fake.post(h.url, h.fake.robot_message("y"), timestamp, signature)).status_code == 403
        now[0] += 2  # the pair is out of the window now: refused as stale, whatever is remembered
        assert (await h.fake.post(h.url, h.fake.robot_message("z"), timestamp, signature)).status_code == 403
        await h.channel.idle()


def _forged(message: dict[str, object], webhook: str) -> dict[str, object]:
    return {**message, "sessionWebhook": webhook}


@MODES
async def test_a_sessionwebhook_on_this_machine_gets_nothing(shared_library: Library, http: bool) -> None:
    with Internal() as internal:
        async with Harness(shared_library, http=http) as h:
            forged = _forged(
                h.fake.robot_message(QUESTION), internal.origin + "/robot/sendBySession?session=x"
            )
            assert await h.deliver(forged) == 200  # acknowledged, so that DingTalk stops trying
            assert internal.hits == [] and not h.fake.sent
            [answer] = await h.say(QUESTION)  # a real message still gets its answer
            assert CITED in answer
    assert internal.hits == []


class Tripwire(httpx.AsyncBaseTransport):
    """Stands in for the network where a test must send nothing off this machine: records
    every request instead of sending it."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return httpx.Response(200, json={"errcode": 0})


@pytest.mark.parametrize(
    "webhook",
    [
        "http://10.0.0.7/robot/sendBySession?session=x",
        "http://169.254.169.254/latest/meta-data/",
        "https://oapi.dingtalk.com.evil.example/robot/sendBySession",
        "https://oapi.dingtalk.com@10.0.0.7/robot/sendBySession",
        "http://oapi.dingtalk.com/robot/sendBySession",
        "https://oapi.dingtalk.com:8443/robot/sendBySession",
        "file:///etc/passwd",
        "",
    ],
    ids=["private", "metadata", "lookalike", "userinfo", "plain-http", "other-port", "file", "empty"],
)
async def test_a_forged_sessionwebhook_off_dingtalk_gets_nothing(
    shared_library: Library, webhook: str
) -> None:
    async with Harness(shared_library, http=True, hosts=Hosts()) as h:  # DingTalk's own hosts only
        tripwire = Tripwire()
        h.channel._http = httpx.AsyncClient(transport=tripwire)
        assert await h.deliver(_forged(h.fake.robot_message(QUESTION), webhook)) == 200
        assert tripwire.requests == []


def test_dingtalks_own_hosts_are_the_default() -> None:
    assert Settings(_env_file=None).dingtalk_reply_origins == DINGTALK_ORIGINS  # type: ignore[call-arg]
    assert Hosts().permits("https://oapi.dingtalk.com/robot/sendBySession?session=abc")
    assert Hosts().permits("https://OAPI.dingtalk.com:443/robot/sendBySession?session=abc")
    with pytest.raises(ValueError, match="origins"):
        Settings(_env_file=None, dingtalk_reply_origins="http://10.0.0.7")  # type: ignore[call-arg,arg-type]


async def test_a_relay_on_a_private_address_needs_it_allowed(shared_library: Library) -> None:
    with Internal() as relay:
        webhook = relay.origin + "/robot/sendBySession?session=x"
        named = DingTalk(Core(shared_library), "s", retry_delay=0.01, hosts=Hosts((relay.origin,)))
        with pytest.raises(InternalAddress):  # the origin is named, its loopback address is not allowed
            await named.send(webhook, "c", cards.markdown("你好"))
        await named.close()
        assert relay.hits == []
        allowed = DingTalk(Core(shared_library), "s", hosts=Hosts((relay.origin,), ("127.0.0.0/8",)))
        await allowed.send(webhook, "c", cards.markdown("你好"))
        await allowed.close()
        assert relay.hits == ["/robot/sendBySession?session=x"]


# --- settings and the command ----------------------------------------------------------------------


def test_settings_read_staff_ids_and_keep_the_secret(tmp_path: object) -> None:
    s = Settings(
        _env_file=None,  # type: ignore[call-arg]
        dingtalk_admin_ids="manager4220, 0123 abc",  # type: ignore[arg-type]
        dingtalk_client_secret="top-secret-value",  # type: ignore[arg-type]
    )
    assert s.dingtalk_admin_ids == frozenset({"manager4220", "0123", "abc"})
    assert "top-secret-value" not in repr(s)


def test_command_refuses_to_start_without_credentials(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import cli

    monkeypatch.delenv("REPORTBOT_DINGTALK_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "dingtalk"], env={"REPORTBOT_DINGTALK_CLIENT_SECRET": ""}
    )
    assert result.exit_code != 0 and "REPORTBOT_DINGTALK_CLIENT_SECRET" in result.output


def test_press_links_carry_their_message() -> None:
    signer = Signer("secret")
    link = signer.link("全文 1", "full:7", "cid")
    content = content_of(link)
    assert content is not None and content.startswith("全文 1 ")
    press = signer.parse(content, "cid")
    assert press is not None and press.action_id == "full:7"
    assert signer.parse(content, "other") is not None and signer.parse(content, "other").action_id is None  # type: ignore[union-attr]
    assert signer.parse("全文 1", "cid") is None
