"""The WeCom channel: its callback crypto against WeCom's published sample and this file's own
AES code, its rendering within WeCom's limits, the long connection against FakeWeCom (private
chats, group @-mentions, buttons, redeliveries, drops, rates), and the HTTP callback mode
against FakeCallbackPlatform."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.cli import cli
from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Action, Kind, Reply, TextPart
from bot.core.platform import RateLimit
from bot.wecom import callback, media, texts
from bot.wecom.app import WeComBot
from bot.wecom.callback import create_app
from bot.wecom.crypto import CryptoError, MsgCrypt, signature
from bot.wecom.longconn import AuthError, RefusedError, Replaced
from bot.wecom.render import BUTTONS_PER_CARD, MARKDOWN_BYTES, outgoing
from retrieval.library import Library
from tests.channel_wecom import Harness, wecom_settings
from tests.fake_wecom import (
    FREQ_LIMIT,
    FakeCallbackPlatform,
    FakeWeCom,
    serve_app,
    sha1_signature,
    wecom_encrypt,
)
from tests.fake_wecom import _check_card as check_card

# WeCom's published WXBizMsgCrypt sample (its C#, Java, PHP and Python samples use these).
SAMPLE_TOKEN = "QDG6eK"
SAMPLE_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SAMPLE_CORP = "wx5823bf96d3bd56c7"
SAMPLE_ECHOSTR = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
SAMPLE_POST = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJ"
    "Ts3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hg"
    "f5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJ"
    "WrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoyy"
    "H2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
TOKEN = "tok3n"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def plain_decrypt(aes_key: str, ciphertext: str) -> tuple[bytes, bytes]:
    """(message, receive id) from ciphertext, by this test's own straightforward AES code."""
    key = base64.b64decode(aes_key + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(ciphertext)) + dec.finalize()
    plain = plain[: -plain[-1]]
    (n,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + n], plain[20 + n :]


# --- crypto ------------------------------------------------------------------------------------


def test_crypto_opens_wecoms_published_samples() -> None:
    crypt = MsgCrypt(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP)
    echo = crypt.open("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", SAMPLE_ECHOSTR)
    assert echo == "1616140317555161061"
    message = crypt.open("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", SAMPLE_POST)
    assert "<Content><![CDATA[hello]]></Content>" in message


def test_crypto_round_trips_with_independent_aes() -> None:
    crypt = MsgCrypt(TOKEN, AES_KEY, "")
    message = '{"msgtype":"text","text":{"content":"秀山县政务公开 😀 <b>"}}'
    assert crypt.decrypt(wecom_encrypt(AES_KEY, message.encode(), "")) == message
    sealed = crypt.seal(message, "1700000000", "n0nce")
    assert sealed["msgsignature"] == sha1_signature(TOKEN, "1700000000", "n0nce", sealed["encrypt"])
    assert plain_decrypt(AES_KEY, sealed["encrypt"]) == (message.encode(), b"")


@pytest.mark.parametrize(
    "case",
    ["wrong receive id", "bad signature", "not base64", "cut short", "bad padding"],
)
def test_crypto_refuses(case: str) -> None:
    crypt = MsgCrypt(SAMPLE_TOKEN, SAMPLE_KEY, SAMPLE_CORP)
    sig, ts, nonce, data = (
        "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
        "1409659589",
        "263014780",
        SAMPLE_ECHOSTR,
    )
    if case == "wrong receive id":
        crypt = MsgCrypt(SAMPLE_TOKEN, SAMPLE_KEY, "wxOTHER")
    elif case == "bad signature":
        sig = "0" * 40
    elif case == "not base64":
        data = "!!!!"
        sig = signature(SAMPLE_TOKEN, ts, nonce, data)
    elif case == "cut short":
        data = base64.b64encode(base64.b64decode(data)[:16]).decode()
        sig = signature(SAMPLE_TOKEN, ts, nonce, data)
    else:
        raw = bytearray(base64.b64decode(data))
        raw[-1] ^= 0xFF
        data = base64.b64encode(bytes(raw)).decode()
        sig = signature(SAMPLE_TOKEN, ts, nonce, data)
    with pytest.raises(CryptoError):
        crypt.open(sig, ts, nonce, data)


# --- rendering ---------------------------------------------------------------------------------


def test_long_replies_split_by_bytes_and_buttons_by_six() -> None:
    buttons = tuple(Action(f"全文 {i}", f"full:{i}", Kind.FULL) for i in range(8))
    reply = Reply([TextPart("法治政府建设。" * 3000, actions=(buttons[:4], buttons[4:]))])
    outs = outgoing(reply)
    texts_ = [o.markdown for o in outs if o.markdown]
    cards = [o.buttons for o in outs if o.buttons]
    assert len(texts_) >= 3 and all(len(t.encode()) <= MARKDOWN_BYTES for t in texts_)
    assert "".join(texts_) == "法治政府建设。" * 3000
    assert [len(c) for c in cards] == [BUTTONS_PER_CARD, 2]
    assert outs[-2].buttons and outs[-1].buttons  # the cards come after the text


# --- the long connection -----------------------------------------------------------------------


async def test_private_question_is_answered_with_buttons(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        replies = await h.say("秀山县政务公开数据")
        assert "秀山" in replies[0] and "**政务公开**" in replies[0]
        assert "[全文 1]" in replies[1] and "[👍]" in replies[1]
        stream = h.fake.sent[0]
        assert stream.history[0][1] == texts.THINKING  # acknowledged first…
        assert stream.history[0][0] < 1.0 and stream.finished  # …at once, then completed
        full = await h.press("全文")
        assert "政府网站公开政府信息18778条" in full[0]
        assert h.fake.refused == []


async def test_feedback_turns_the_card_in_place(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say("秀山县政务公开数据")
        card = await h.press("👍")
        assert card == [
            f"{texts.CARD_TITLE}\n{core_texts.FEEDBACK_THANKS}\n"
            "[全文 1] [全文 2] [📄 来源] [已反馈 👍] [导出]"
        ]
        again = await h.press("已反馈")
        assert again == [core_texts.FEEDBACK_ALREADY]
        await h.say("安化县政协提案立案率是多少")
        why = await h.press("👎")
        assert "[不相关]" in why[0]
        marked = await h.press("不完整")
        assert "已反馈 👎（不完整）" in marked[0]
        assert h.fake.refused == []


async def test_group_answers_only_mentions(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        assert await h.say("秀山县政务公开数据", group=True, mentioned=False) == []
        replies = await h.say("秀山县政务公开数据", group=True)
        assert "秀山" in replies[0]
        assert h.fake.sent[-1].chat == "wrgroup1"


async def test_group_message_not_naming_the_bot_is_ignored(shared_library: Library) -> None:
    async with Harness(shared_library, wecom_bot_name="另一个机器人") as h:
        assert await h.say("秀山县政务公开数据", group=True) == []
        assert await h.say("秀山县政务公开数据") != []  # private chats need no name


async def test_redelivered_message_is_answered_once(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        assert h.bot is not None
        before = h.bot.connection.received
        frame = await h.fake.say("u1", "秀山县政务公开数据")
        assert frame is not None
        await h.fake.redeliver(frame)
        await h.settle(before + 1)
        assert [s.kind for s in h.fake.sent] == ["stream", "card"]


@pytest.mark.parametrize("text", ["", "   ", "问" * 5000, "😀😀😀", "<script>alert(1)</script>秀山县"])
async def test_bad_input_gets_a_short_clear_answer(shared_library: Library, text: str) -> None:
    async with Harness(shared_library) as h:
        replies = await h.say(text)
        assert len(replies) >= 1 and 0 < len(replies[0]) < 2000
        assert "<script>" not in replies[0]
        assert h.fake.refused == []
        assert "秀山" in (await h.say("秀山县政务公开数据"))[0]  # nothing lost


@pytest.mark.parametrize("key", ["full:999999999", "fb:1:7", "nonsense", "x" * 1000])
async def test_forged_button_keys_get_an_alert(shared_library: Library, key: str) -> None:
    async with Harness(shared_library) as h:
        await h.say("秀山县政务公开数据")
        assert h.bot is not None
        before = h.bot.connection.received
        await h.fake.press("u1", key, "rb_unknown")
        await h.settle(before)
        last = h.fake.sent[-1]
        assert last.kind == "markdown"
        assert last.content in (core_texts.BUTTON_STALE, core_texts.PASSAGE_GONE, core_texts.QUESTION_GONE)


async def test_non_text_messages_and_welcome(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        assert h.bot is not None
        before = h.bot.connection.received
        await h.fake.send_other("u1", "image")
        await h.fake.enter("u2")
        await h.settle(before + 1)
        kinds = {s.kind: s.content for s in h.fake.sent}
        assert "图片" in kinds["stream"]
        assert "法治政府建设年度报告" in kinds["welcome"]


async def test_commands(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        assert "直接发送问题" in (await h.say("/help"))[0]
        listed = await h.say("/reports 秀山")
        # buttons name a report by its place (or office) and year, never by an internal id
        assert "秀山" in listed[0] and "2024]" in listed[1] and "[#" not in listed[1]
        assert "删除" in (await h.say("/forget"))[0]


@pytest.mark.parametrize("how", ["drop", "close"])
async def test_reconnects_after_the_connection_goes(shared_library: Library, how: str) -> None:
    async with Harness(shared_library) as h:
        assert h.bot is not None
        await (h.fake.drop() if how == "drop" else h.fake.close_all())
        async with asyncio.timeout(5):
            while h.fake.subscriptions < 2 or not h.bot.connection.ready.is_set():
                await asyncio.sleep(0.01)
        assert "秀山" in (await h.say("秀山县政务公开数据"))[0]


async def test_dead_connection_is_noticed_by_heartbeat(shared_library: Library) -> None:
    async with Harness(shared_library, wecom_heartbeat_seconds=0.05) as h:
        h.fake.answer_pings = False
        async with asyncio.timeout(5):
            while h.fake.subscriptions < 2:
                await asyncio.sleep(0.01)
        assert h.fake.pings >= 2


async def test_refused_secret_stops_the_bot(shared_library: Library) -> None:
    async with FakeWeCom() as fake:
        settings = wecom_settings(shared_library, fake.url, wecom_secret="wrong")
        bot = WeComBot(Core(shared_library), settings)
        with pytest.raises(AuthError):
            await asyncio.wait_for(bot.run(), 5)
        assert fake.subscriptions == 0


async def test_kicked_bot_stops(shared_library: Library) -> None:
    async with FakeWeCom() as fake:
        bot = WeComBot(Core(shared_library), wecom_settings(shared_library, fake.url))
        run = asyncio.create_task(bot.run())
        await asyncio.wait_for(bot.connection.ready.wait(), 5)
        await fake.kick()
        with pytest.raises(Replaced):
            await asyncio.wait_for(run, 5)


@pytest.mark.parametrize("bot_limit", [3, 100])
async def test_sends_keep_to_the_chat_rate(shared_library: Library, bot_limit: int) -> None:
    fake = FakeWeCom(chat_per_minute=3, rate_window=0.4)
    async with Harness(shared_library, fake) as h:
        assert h.bot is not None
        h.bot.rate = RateLimit(bot_limit, 1000, window=0.4)
        for _ in range(5):
            await h.say("秀山县政务公开数据")
        refused = [r for r in fake.refused if r[1] == FREQ_LIMIT]
        cards = [s for s in fake.sent if s.kind == "card"]
        if bot_limit == 3:
            assert refused == [] and len(cards) == 5
        else:  # without the bot's own limit the platform refuses: the test can tell
            assert refused and len(cards) < 5


# --- HTTP callbacks ----------------------------------------------------------------------------


class Callbacks:
    """The bot's callback server on 127.0.0.1 and the fake platform calling it."""

    def __init__(self, library: Library) -> None:
        self.library = library

    async def __aenter__(self) -> Callbacks:
        self.platform = await FakeCallbackPlatform(TOKEN, AES_KEY).__aenter__()
        settings = wecom_settings(
            self.library,
            "ws://unused",
            wecom_token=TOKEN,
            wecom_encoding_aes_key=AES_KEY,
            wecom_api_base_url=self.platform.base_url,
        )
        self.app = create_app(Core(self.library), settings)
        self.server, self.task, base = await serve_app(self.app)
        self.url = f"{base}/wecom"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.should_exit = True
        await self.task
        await self.app.state.bot.close()
        await self.platform.__aexit__()

    async def post(self, body: dict[str, Any], **kw: Any) -> httpx.Response:
        response = await self.platform.post(self.url, body, **kw)
        await self.app.state.bot.idle()
        return response


async def test_callback_url_verification(shared_library: Library) -> None:
    async with Callbacks(shared_library) as cb:
        params, echostr = cb.platform.signed("8253094317655046211")
        client = cb.platform.client
        ok = await client.get(cb.url, params={**params, "echostr": echostr})
        assert ok.status_code == 200 and ok.text == "8253094317655046211"
        forged = await client.get(cb.url, params={**params, "nonce": "other", "echostr": echostr})
        assert forged.status_code == 403
        stale_params, stale_echo = cb.platform.signed("1", timestamp=int(time.time()) - 3600)
        stale = await client.get(cb.url, params={**stale_params, "echostr": stale_echo})
        assert stale.status_code == 403


@pytest.mark.parametrize("xml", [False, True])
async def test_callback_message_is_answered_in_its_reply_with_buttons(
    shared_library: Library, xml: bool
) -> None:
    async with Callbacks(shared_library) as cb:
        response = await cb.platform.post(cb.url, cb.platform.message("u1", "秀山县政务公开数据"), xml=xml)
        assert response.status_code == 200
        [reply] = cb.platform.replies  # encrypted and signed, read back by the fake
        assert reply["msgtype"] == "stream_with_template_card" and reply["stream"]["finish"] is True
        stream, buttons = cb.platform.shown
        assert "**政务公开**" in stream.content and "18778条" in stream.content
        assert "[全文 1]" in buttons.text and "[👍]" in buttons.text and "[导出]" in buttons.text
        assert cb.platform.refused == []


async def test_callback_more_buttons_than_a_card_holds_follow_to_the_response_url(
    shared_library: Library,
) -> None:
    async with Callbacks(shared_library) as cb:
        await cb.post(cb.platform.message("u1", "政务公开"))
        [_, first, second] = cb.platform.shown
        assert len(first.buttons) == BUTTONS_PER_CARD and "[更多结果 ›]" in second.text
        assert [a["msgtype"] for a in cb.platform.answers] == ["template_card"]
        assert cb.platform.refused == []


async def test_callback_presses_turn_their_card_and_bring_text(shared_library: Library) -> None:
    async with Callbacks(shared_library) as cb:
        await cb.post(cb.platform.message("u1", "秀山县政务公开数据"))
        key, task_id = cb.platform.card_with("👍")
        await cb.post(cb.platform.press("u1", key, task_id))
        card = cb.platform.cards[task_id]
        assert "[已反馈 👍]" in card.text and core_texts.FEEDBACK_THANKS in card.text
        key, task_id = cb.platform.card_with("全文 1")
        before = len(cb.platform.shown)
        await cb.post(cb.platform.press("u1", key, task_id))
        [full] = cb.platform.shown[before:]
        assert full.kind == "markdown" and "政府网站公开政府信息18778条" in full.content
        assert cb.platform.refused == []


async def test_callback_paging_turns_the_pressed_card_to_the_next_page(shared_library: Library) -> None:
    async with Callbacks(shared_library) as cb:
        await cb.post(cb.platform.message("u1", "政务公开"))
        key, task_id = cb.platform.card_with("更多")
        await cb.post(cb.platform.press("u1", key, task_id))
        turned, page = cb.platform.shown[-2:]
        assert (
            turned.card["task_id"] == task_id and "[全文 4]" in turned.text and "[更多结果 ›]" in turned.text
        )
        assert page.kind == "markdown" and page.content.startswith("4.")
        assert cb.platform.refused == []


async def test_callback_answer_not_ready_in_time_goes_to_the_response_url(
    shared_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(callback, "ANSWER_WAIT", 0.0)
    async with Callbacks(shared_library) as cb:
        response = await cb.post(cb.platform.message("u1", "秀山县政务公开数据"))
        assert response.status_code == 200 and response.content == b""
        [answer] = cb.platform.answers
        assert "**政务公开**" in answer["markdown"]["content"]


@pytest.mark.parametrize(
    "change",
    [
        {"button_list": []},
        {"button_list": [{"text": f"b{i}", "key": f"k{i}"} for i in range(7)]},
        {"main_title": {}},
        {"task_id": "has space"},
        {"card_type": "text_notice"},
        {"button_list": [{"text": "b", "key": "k" * 1025}]},
    ],
    ids=["no-buttons", "seven-buttons", "no-title", "bad-task-id", "wrong-type", "long-key"],
)
def test_the_fake_refuses_malformed_template_cards(change: dict[str, Any]) -> None:
    card = {
        "card_type": "button_interaction",
        "main_title": {"title": "可选操作"},
        "button_list": [{"text": "全文 1", "key": "full:1"}],
        "task_id": "rb_0123",
    }
    assert check_card(card)[0] == 0
    assert check_card({**card, **change})[0] != 0


@pytest.mark.parametrize("case", ["forged", "stale", "receive id", "not json"])
async def test_callback_refuses(shared_library: Library, case: str) -> None:
    async with Callbacks(shared_library) as cb:
        body = cb.platform.message("u1", "秀山县政务公开数据")
        if case == "forged":
            params, encrypted = cb.platform.signed(json.dumps(body))
            params["msg_signature"] = "f" * 40
            response = await cb.platform.client.post(
                cb.url, params=params, content=json.dumps({"encrypt": encrypted})
            )
        elif case == "stale":
            response = await cb.post(body, timestamp=int(time.time()) - 3600)
        elif case == "receive id":
            response = await cb.post(body, receive_id="wwcorp-other")
        else:
            params, encrypted = cb.platform.signed("not json")
            response = await cb.platform.client.post(
                cb.url, params=params, content=json.dumps({"encrypt": encrypted})
            )
        assert response.status_code in (400, 403)
        await cb.app.state.bot.idle()
        assert cb.platform.answers == []


async def test_callback_replays_and_redeliveries(shared_library: Library) -> None:
    async with Callbacks(shared_library) as cb:
        body = cb.platform.message("u1", "秀山县政务公开数据")
        params, encrypted = cb.platform.signed(json.dumps(body))
        content = json.dumps({"encrypt": encrypted})
        first = await cb.platform.client.post(cb.url, params=params, content=content)
        replay = await cb.platform.client.post(cb.url, params=params, content=content)
        assert first.status_code == 200 and replay.status_code == 403
        again = await cb.post(body)  # WeCom's redelivery: same msgid, new nonce
        assert again.status_code == 200 and again.content == b""
        await cb.app.state.bot.idle()
        assert first.content and len(cb.platform.shown) == 0  # the raw client here reads no reply
        assert len(cb.platform.replies) == 0 and cb.platform.answers == []


async def test_callback_answer_survives_a_failing_response_url(shared_library: Library) -> None:
    async with Callbacks(shared_library) as cb:
        cb.platform.fail_next = 1
        cb.app.state.bot.retry_delay = 0.01
        await cb.post(cb.platform.message("u1", "政务公开"))  # a second card, to the response_url
        assert len(cb.platform.answers) == 1


# --- the command -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "missing"),
    [
        ([], {}, "REPORTBOT_WECOM_BOT_ID"),
        (["--callback"], {"REPORTBOT_WECOM_BOT_ID": "b"}, "REPORTBOT_WECOM_TOKEN"),
    ],
)
def test_command_says_what_is_missing(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], missing: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    for k in list(os.environ):
        if k.startswith("REPORTBOT_WECOM"):
            monkeypatch.delenv(k)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "d"), "wecom", *args], env=env)
    assert result.exit_code != 0 and missing in result.output


# --- files over the long connection ------------------------------------------------------------


async def test_export_and_source_send_files_uploaded_in_chunks(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say("秀山县政务公开数据")
        await h.press("导出")
        [word] = [s for s in h.fake.sent if s.kind == "file"]
        assert word.content == "问答_秀山县政务公开数据.docx" and word.data.startswith(b"PK")
        await h.press("📄 来源")
        originals = [s for s in h.fake.sent if s.kind == "file"][1:]
        assert originals and originals[0].data  # the report's original, as stored
        assert h.fake.refused == []


async def test_a_file_of_several_chunks_arrives_whole_and_a_bad_upload_is_refused(
    shared_library: Library,
) -> None:
    async with Harness(shared_library) as h:
        assert h.bot is not None
        data = os.urandom(media.CHUNK_BYTES * 2 + 10)  # three chunks
        media_id = await media.upload(h.bot.connection.request, "big.bin", data)
        assert h.fake.media[media_id] == ("big.bin", data)
        with pytest.raises(media.MediaError):  # WeCom takes no media of 5 bytes or fewer
            await media.upload(h.bot.connection.request, "tiny.txt", b"abc")
        init = {"type": "file", "filename": "x.txt", "total_size": 10, "total_chunks": 1, "md5": "0" * 32}
        ack = await h.bot.connection.request(media.UPLOAD_INIT, init)
        upload_id = ack["body"]["upload_id"]
        chunk = {
            "upload_id": upload_id,
            "chunk_index": 0,
            "base64_data": base64.b64encode(b"0123456789").decode(),
        }
        await h.bot.connection.request(media.UPLOAD_CHUNK, chunk)
        with pytest.raises(RefusedError):  # the md5 does not match what arrived
            await h.bot.connection.request(media.UPLOAD_FINISH, {"upload_id": upload_id})


async def test_an_admins_file_that_does_not_decrypt_gets_a_line(shared_library: Library) -> None:
    async with Harness(shared_library, admins=frozenset({"u1"})) as h:
        body = h.fake._base("u1", False, "u1", "file")
        body["file"] = {"url": h.fake.files.serve("r.docx", b"0123456789abcdef" * 3), "aeskey": "a" * 43}
        replies = await h._texts(h.fake._push("aibot_msg_callback", body, "u1", "message"))
        assert replies == [core_texts.UPLOAD_NOT_FETCHED]
        assert h.fake.sent[0].history[0][1] == core_texts.UPLOAD_WORKING  # said at once


async def test_anyone_elses_file_is_not_downloaded(shared_library: Library) -> None:
    async with Harness(shared_library, admins=frozenset({"admin"})) as h:
        [answer] = await h.send_file("report.txt", "汝城县法治政府建设".encode())
        assert answer == texts.only_text("file") and h.fake.files.downloads == 0
