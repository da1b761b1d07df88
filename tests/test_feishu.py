"""The Feishu channel (bot/feishu) against the fake open platform (tests/fake_feishu.py):
the long connection through lark-oapi's ws.Client and HTTP events through our route, the
API through lark-oapi's Client; the Encrypt Key's AES and the signature against values
computed here independently."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.core import texts as core_texts
from bot.core.messages import Action, Kind, Reply, TextPart
from bot.feishu import cards, crypto
from bot.feishu import texts as feishu_texts
from bot.feishu.app import _NoQueries
from bot.feishu.bot import message_text
from retrieval import texts
from retrieval.config import Settings
from retrieval.library import Library
from tests.channel_feishu import Harness, HttpHarness
from tests.conftest import RUCHENG, docx_bytes
from tests.fake_feishu import decode_frame, encode_frame, encrypt_for_test

QUESTION = "政务公开"  # answered from several reports: more than a page


@pytest.fixture(params=[Harness, HttpHarness], ids=["long-connection", "http"])
async def feishu(request: pytest.FixtureRequest, shared_library: Library) -> AsyncIterator[Harness]:
    async with request.param(shared_library) as h:
        yield h


@pytest.fixture
async def ws(shared_library: Library) -> AsyncIterator[Harness]:
    async with Harness(shared_library) as h:
        yield h


@pytest.fixture
async def web(shared_library: Library) -> AsyncIterator[Harness]:
    async with HttpHarness(shared_library) as h:
        yield h


# --- the Encrypt Key and the signature ---------------------------------------------------------


def test_decrypts_the_documented_example() -> None:
    # The example in Feishu's documentation of encrypted events.
    assert crypto.decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key") == "hello world"


@pytest.mark.parametrize("plaintext", ["", "{}", '{"challenge": "秀山县 🙂"}', "x" * 1000])
def test_decrypts_what_another_aes_implementation_encrypted(plaintext: str) -> None:
    assert crypto.decrypt(encrypt_for_test(plaintext, "k3y"), "k3y") == plaintext


def test_encrypts_as_another_aes_implementation_decrypts() -> None:
    from Crypto.Cipher import AES

    raw = base64.b64decode(crypto.encrypt("你好", "k3y"))
    plain = AES.new(hashlib.sha256(b"k3y").digest(), AES.MODE_CBC, raw[:16]).decrypt(raw[16:])
    assert plain == "你好".encode() + bytes([10]) * 10


@pytest.mark.parametrize(
    "encrypted",
    ["not base64!", base64.b64encode(b"short").decode(), encrypt_for_test("hello", "another key")],
    ids=["not-base64", "too-short", "wrong-key"],
)
def test_refuses_what_does_not_decrypt(encrypted: str) -> None:
    with pytest.raises(crypto.Refused):
        crypto.decrypt(encrypted, "k3y")


def test_signature_is_sha256_of_timestamp_nonce_key_and_body() -> None:
    body = b'{"encrypt":"abc"}'
    expected = hashlib.sha256(b"1700000000" + b"n0nce" + b"k3y" + body).hexdigest()
    assert crypto.signature("1700000000", "n0nce", "k3y", body) == expected
    headers = {crypto.TIMESTAMP: "1700000000", crypto.NONCE: "n0nce", crypto.SIGNATURE: expected}
    crypto.check_signature(headers, body, "k3y", max_skew=300, now=1700000100)


@pytest.mark.parametrize(
    ("change", "now"),
    [
        ({crypto.SIGNATURE: "0" * 64}, 1700000000),
        ({crypto.SIGNATURE: ""}, 1700000000),
        ({crypto.NONCE: "other"}, 1700000000),
        ({}, 1700000301),  # signed well, but too old: a replay
        ({}, 1699999699),
    ],
    ids=["forged", "unsigned", "nonce-changed", "stale", "from-the-future"],
)
def test_signature_check_refuses(change: dict[str, str], now: float) -> None:
    body = b'{"encrypt":"abc"}'
    headers = {
        crypto.TIMESTAMP: "1700000000",
        crypto.NONCE: "n0nce",
        crypto.SIGNATURE: hashlib.sha256(b"1700000000n0ncek3y" + body).hexdigest(),
    }
    with pytest.raises(crypto.Refused):
        crypto.check_signature({**headers, **change}, body, "k3y", max_skew=300, now=now)


# --- the long connection's frames (the fake's hand-written protobuf against the SDK's) --------


def test_fake_frames_are_the_sdks_frames() -> None:
    from lark_oapi.ws.pb.pbbp2_pb2 import Frame

    ours = encode_frame(decode_frame(encode_frame(_frame())))
    theirs = Frame()
    theirs.ParseFromString(ours)
    assert (theirs.service, theirs.method, theirs.payload) == (7, 1, "秀山".encode())
    assert {h.key: h.value for h in theirs.headers} == {"type": "event", "sum": "1"}
    assert decode_frame(theirs.SerializeToString()).headers == {"type": "event", "sum": "1"}


def _frame():  # type: ignore[no-untyped-def]
    from tests.fake_feishu import Frame

    return Frame(method=1, service=7, headers={"type": "event", "sum": "1"}, payload="秀山".encode())


# --- cards ---------------------------------------------------------------------------------


def test_a_long_block_is_split_over_cards_with_the_buttons_on_the_last() -> None:
    row = (Action("👍", "fb:1:1", Kind.FEEDBACK),)
    out = cards.outgoing(Reply([TextPart("第一段。\n" + "法治" * 12_000, actions=(row,))]))
    assert len(out) > 1
    assert all(len(o.text.encode()) <= cards.TEXT_BYTES + 20 for o in out)
    assert [o.rows for o in out] == [()] * (len(out) - 1) + [(row,)]
    assert out[1].text.startswith(feishu_texts.CONTINUED)
    assert all(len(cards.content(cards.card(o.text, o.rows)).encode()) < cards.CARD_BYTES for o in out)


def test_feedback_buttons_are_replaced_where_they_were() -> None:
    full = Action("全文 1", "full:1", Kind.FULL)
    up, down = Action("👍", "fb:1:1", Kind.FEEDBACK), Action("👎", "fb:1:-1", Kind.FEEDBACK)
    export = Action("导出", "exp:1", Kind.EXPORT)
    done = Action("已反馈 👍", "fb:1:0", Kind.FEEDBACK)
    assert cards.with_feedback(((full,), (up, down, export)), (done,)) == ((full,), (done, export))


@pytest.mark.parametrize(
    ("kind", "content", "expected"),
    [
        ("text", {"text": "@_user_1 秀山县政务公开"}, "秀山县政务公开"),
        ("text", {"text": "  "}, ""),
        (
            "post",
            {
                "title": "问题",
                "content": [[{"tag": "at", "user_id": "@_user_1"}, {"tag": "text", "text": "秀山县"}]],
            },
            "问题\n秀山县",
        ),
        ("image", {"image_key": "img_1"}, ""),
    ],
)
def test_message_text(kind: str, content: dict[str, object], expected: str) -> None:
    assert message_text(kind, json.dumps(content, ensure_ascii=False)) == expected
    assert message_text("text", "not json") == ""


# --- conversations, in both modes --------------------------------------------------------------


async def test_a_private_question_is_answered_with_a_card_and_buttons(feishu: Harness) -> None:
    [answer] = await feishu.say(QUESTION)
    assert "**政务公开**" in answer and "——" in answer
    sent = feishu.fake.messages()[-1]
    assert sent.msg_type == "interactive" and sent.reply_to.startswith("om_user")
    labels = [label for label, _ in sent.buttons]
    assert {"全文 1", "👍", "👎", "导出", core_texts.MORE} <= set(labels)
    assert all(set(value) == {cards.VALUE_KEY} for _, value in sent.buttons)


async def test_group_messages_are_answered_only_when_they_mention_the_bot(feishu: Harness) -> None:
    assert await feishu.say(QUESTION, group=True, mentioned=False) == []
    [answer] = await feishu.say(QUESTION, group=True)
    assert "政务公开" in answer
    assert feishu.fake.messages()[-1].chat_id == "oc_group"


async def test_presses(feishu: Harness) -> None:
    first = await feishu.say(QUESTION)
    # 更多: the next page in the same card, answered within the callback
    toast, page = await feishu.press("更多")
    assert toast == core_texts.PAGE.format(page=2) and page != first[0] and page.startswith("4.")
    assert len(feishu.fake.messages()) == 1
    # 👍: a toast, and the feedback buttons become 已反馈 👍, the others staying
    assert await feishu.press("👍") == [core_texts.FEEDBACK_THANKS]
    labels = [label for label, _ in feishu.fake.messages()[-1].buttons]
    assert "👍" not in labels and any(label.startswith("已反馈") for label in labels) and "全文 4" in labels
    assert await feishu.press("已反馈") == [core_texts.FEEDBACK_ALREADY]
    # 全文: the whole passage as a new card; 导出: a Word file
    [passage] = await feishu.press("全文 4")
    assert "政务公开" in passage and " › " in passage
    assert await feishu.press("导出") == [core_texts.EXPORTING, "问答_政务公开.docx"]
    [upload] = feishu.fake.uploads.values()
    assert upload.data.startswith(b"PK") and upload.file_type == "doc"


async def test_a_slow_press_is_answered_at_once_and_its_card_updated_after(feishu: Harness) -> None:
    await feishu.say(QUESTION)
    feishu.bot.press_wait = 0.0
    toast, page = await feishu.press("更多")
    assert toast == feishu_texts.WORKING and page.startswith("4.")
    assert feishu.fake.messages()[-1].updates == 1  # by PATCH, the callback having answered


@pytest.mark.parametrize(
    "value",
    [{"action": "fb:999999:1"}, {"action": "nonsense"}, {"action": ""}, {"other": 1}, {"action": "x" * 300}],
)
async def test_forged_or_stale_buttons_get_a_short_answer(ws: Harness, value: dict[str, object]) -> None:
    await ws.say(QUESTION)
    sent = ws.fake.messages()[-1]
    answer = ws.fake.push(ws.fake.press_event(sent, value))
    assert answer is not None and answer["toast"]["type"] == "warning"
    assert ws.bot.drain(5) and len(ws.fake.messages()) == 1


async def test_a_repeated_delivery_is_answered_once(feishu: Harness) -> None:
    payload = feishu.fake.message_event(QUESTION)
    assert len(feishu.exchange(payload)) == 1
    assert feishu.exchange(payload) == []
    again = json.loads(json.dumps(payload))
    again["header"]["event_id"] = "another-event-id"  # redelivered as a new event: same message
    assert feishu.exchange(again) == []


@pytest.mark.parametrize(
    "text",
    ["", "🙂🙂🙂", "<b>秀山县</b> & 政务公开", "政务公开" * 400],
    ids=["empty", "emoji", "html", "huge"],
)
async def test_bad_input_gets_a_short_clear_answer(ws: Harness, text: str) -> None:
    [answer] = await ws.say(text)
    assert answer.strip() and len(answer.encode()) < 2000


async def test_other_messages_get_told_that_only_text_is_read(ws: Harness) -> None:
    payload = ws.fake.message_event("", message_type="image", content={"image_key": "img_v2_1"})
    [answer] = ws.exchange(payload)
    assert answer == core_texts.ONLY_TEXT.format(what="图片", example=texts.EXAMPLES[0])


async def test_commands(ws: Harness) -> None:
    [help_] = await ws.say("/help")
    assert "/reports" in help_
    [listed] = await ws.say("/reports 秀山")
    assert "秀山" in listed
    assert (await ws.say("/ask"))[0].startswith("请在 /ask 后面写上问题")
    [forgot] = await ws.say("/forget")
    assert "删除" in forgot or "已" in forgot


# --- the platform failing ----------------------------------------------------------------------


async def test_the_long_connection_comes_back_after_a_drop(ws: Harness) -> None:
    ws.fake.fail("/callback/ws/endpoint", 503, times=2)  # and endpoint discovery fails twice
    ws.fake.drop()
    ws.fake.wait_connected(connects=2, timeout=10)
    [answer] = await ws.say(QUESTION)
    assert "政务公开" in answer
    assert ws.fake.calls.count(("POST", "/callback/ws/endpoint", 503)) == 2


async def test_a_new_client_is_started_when_the_sdk_gives_up(shared_library: Library) -> None:
    async with Harness(shared_library, give_up_after=0.3) as h:
        h.fake.fail("/callback/ws/endpoint", 503, times=3)
        h.fake.drop()
        await asyncio.to_thread(h.fake.wait_connected, 2, 15)
        assert h.connection is not None and h.connection.runs >= 2
        [answer] = await h.say(QUESTION)
        assert "政务公开" in answer


def test_the_long_connections_ticket_stays_out_of_the_logs() -> None:
    record = logging.LogRecord(
        "Lark",
        logging.INFO,
        "",
        0,
        "connected to %s",
        ("wss://x.feishu.cn/ws/v2?access_key=k&ticket=t",),
        None,
    )
    _NoQueries().filter(record)
    assert record.getMessage() == "connected to wss://x.feishu.cn/ws/v2?…"


async def test_a_large_event_in_several_frames(ws: Harness) -> None:
    mark = ws.fake.mark()
    ws.fake.push(ws.fake.message_event(QUESTION), parts=3)
    assert ws.bot.drain(5)
    assert len(ws.fake.sent_since(mark)) == 1


async def test_sends_survive_5xx_and_an_expired_token_and_arrive_once(ws: Harness) -> None:
    ws.fake.fail("/reply", 502, times=2)
    ws.fake.revoke_tokens()
    [answer] = await ws.say(QUESTION)
    assert "政务公开" in answer
    assert ("POST", "/open-apis/auth/v3/tenant_access_token/internal", 200) in ws.fake.calls[1:]


async def test_sends_keep_within_the_per_chat_rate(ws: Harness) -> None:
    ws.fake.refusals.clear()
    started = time.monotonic()
    for _ in range(4):  # 8 messages to one chat: 5 a second at most
        await ws.say("/help")
        await ws.say("/help")
    assert len(ws.fake.messages()) == 8
    assert not [r for r in ws.fake.refusals if r[1] == 230020]
    assert time.monotonic() - started >= 0.5


# --- HTTP events: refused unless from Feishu ----------------------------------------------------


async def test_url_verification_is_answered_with_its_challenge(web: Harness) -> None:
    payload = {"challenge": "ch4llenge", "token": web.fake.verification_token, "type": "url_verification"}
    response = web.fake.post_event(web.url, payload)
    assert response.status_code == 200 and response.json() == {"challenge": "ch4llenge"}
    payload["token"] = "forged"
    assert web.fake.post_event(web.url, payload).status_code == 401


@pytest.mark.parametrize(
    "how", ["bad-signature", "stale", "plaintext", "wrong-token", "not-json"], ids=lambda s: s
)
async def test_http_events_are_refused_unless_from_feishu(web: Harness, how: str) -> None:
    import httpx

    payload = web.fake.message_event(QUESTION)
    if how == "bad-signature":
        response = web.fake.post_event(web.url, payload, signature="0" * 64)
    elif how == "stale":
        response = web.fake.post_event(web.url, payload, timestamp=time.time() - 3600)
    elif how == "plaintext":
        response = web.fake.post_event(web.url, payload, encrypt=False)
    elif how == "wrong-token":
        payload["header"]["token"] = "forged"
        response = web.fake.post_event(web.url, payload)
    else:
        response = httpx.post(web.url, content=b"\xff not json", timeout=5)
    assert response.status_code in (400, 401)
    assert web.bot.drain(5) and web.fake.messages() == []


# --- privacy, settings, the command -------------------------------------------------------------


async def test_questions_and_secrets_stay_out_of_the_logs(
    ws: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    question = "秀山县政务公开数据"
    await ws.say(question)
    await ws.press("全文")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert question not in logged and ws.fake.app_secret not in logged


def test_settings() -> None:
    s = Settings(
        feishu_admin_ids="ou_1, ou_2", feishu_domain="https://open.larksuite.com/", feishu_app_secret=" "
    )
    assert s.feishu_admin_ids == {"ou_1", "ou_2"} and s.feishu_domain == "https://open.larksuite.com"
    assert s.feishu_app_secret is None
    assert Settings(feishu_domain="http://127.0.0.1:9000").feishu_domain == "http://127.0.0.1:9000"
    with pytest.raises(ValueError):
        Settings(feishu_domain="http://open.feishu.cn")


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["feishu"], "REPORTBOT_FEISHU_APP_ID"),
        (
            {"REPORTBOT_FEISHU_APP_ID": "cli_1", "REPORTBOT_FEISHU_APP_SECRET": "s"},
            ["feishu", "--http"],
            "ENCRYPT_KEY",
        ),
    ],
)
def test_the_command_says_what_is_missing(
    env: dict[str, str], args: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("REPORTBOT_FEISHU")]:
        monkeypatch.delenv(name)
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code != 0 and message in result.output


# --- card presses in either kind of frame ---------------------------------------------------------


@pytest.mark.parametrize("card_frames", [True, False], ids=["card-frame", "event-frame"])
async def test_a_press_is_answered_in_time_whichever_frame_brings_it(ws: Harness, card_frames: bool) -> None:
    ws.fake.card_frames = card_frames
    await ws.say(QUESTION)
    toast, page = await ws.press("更多")
    assert toast == core_texts.PAGE.format(page=2) and page.startswith("4.")
    assert ws.fake.messages()[-1].updates == 1  # the callback's card replaced the pressed one
    assert not [r for r in ws.fake.refusals if r[1] == 200340]


async def test_the_older_card_callback_in_a_card_frame_is_a_press(ws: Harness) -> None:
    await ws.say(QUESTION)
    sent, value = ws.button("更多")
    legacy = {  # the card callback before schema 2.0: the fields at the top
        "open_id": "ou_u1",
        "user_id": "u1",
        "open_message_id": sent.message_id,
        "open_chat_id": sent.chat_id,
        "tenant_key": "fake_tenant",
        "token": "c-legacy-token",
        "action": {"value": value, "tag": "button"},
    }
    answer = ws.fake.push({"header": {"event_type": "card.action.trigger"}, **legacy})
    assert answer is not None and answer["toast"]["content"] == core_texts.PAGE.format(page=2)
    assert ws.bot.drain(5)


async def test_a_press_in_several_card_frames(ws: Harness) -> None:
    await ws.say(QUESTION)
    sent, value = ws.button("👍")
    answer = ws.fake.push(ws.fake.press_event(sent, value), parts=2)
    assert answer is not None and answer["toast"]["content"] == core_texts.FEEDBACK_THANKS


def test_a_card_frame_that_is_not_json_gets_an_empty_answer() -> None:
    from bot.feishu.longconn import LongConnection

    class Bot:
        def on_event(self, payload: dict[str, object]) -> None:
            raise AssertionError("not a press")

    connection = LongConnection(Bot(), "cli_x", "secret", "http://127.0.0.1:1")  # type: ignore[arg-type]
    assert connection.on_card(b"\xff not json") == {}
    assert connection.on_card(b"[1, 2]") == {}


# --- files from admins ---------------------------------------------------------------------------


@pytest.mark.parametrize("harness", [Harness, HttpHarness], ids=["long-connection", "http"])
async def test_an_admins_file_is_downloaded_previewed_and_added(
    library: Library, harness: type[Harness]
) -> None:
    before = len(library.reports())
    async with harness(library, admins=frozenset({"u1"})) as h:
        name = "汝城县人民政府2023年法治政府建设年度报告.docx"
        [preview] = await h.send_file(name, docx_bytes(RUCHENG.split("\n")))
        assert "汝城县" in preview and any(
            label == core_texts.UPLOAD_CONFIRM for label, _ in h.button("✅")[0].buttons
        )
        assert len(library.reports()) == before  # nothing kept before the admin confirms
        pressed = await h.press(core_texts.UPLOAD_CONFIRM)
        assert any(t.startswith("已添加") for t in pressed), pressed
    assert len(library.reports()) == before + 1


async def test_anyone_elses_file_is_not_downloaded(ws: Harness) -> None:
    [answer] = await ws.send_file("report.docx", docx_bytes(RUCHENG.split("\n")))
    assert answer == core_texts.ONLY_TEXT.format(what=core_texts.FILE, example=texts.EXAMPLES[0])
    assert not [c for c in ws.fake.calls if "/resources/" in c[1]]


async def test_a_file_over_the_limit_is_refused_and_nothing_kept(library: Library) -> None:
    before = len(library.reports())
    async with Harness(library, admins=frozenset({"u1"}), max_upload_mb=0.5) as h:
        [answer] = await h.send_file("big.txt", "法治政府建设".encode() * 100_000)
        assert answer == core_texts.UPLOAD_TOO_BIG.format(size=1.716, limit=0.5)
    assert len(library.reports()) == before


async def test_a_file_the_platform_will_not_hand_over_gets_a_line(shared_library: Library) -> None:
    async with Harness(shared_library, admins=frozenset({"u1"})) as h:
        event = h.fake.file_event("report.docx", b"x")
        event["event"]["message"]["content"] = json.dumps(
            {"file_key": "file_v3_forged", "file_name": "r.docx"}
        )
        [answer] = h.exchange(event)
        assert answer == core_texts.UPLOAD_NOT_FETCHED
        assert 234003 in [code for _, code in h.fake.refusals]
