"""The DingTalk channel (bot/dingtalk/) end to end against a fake DingTalk (tests/fake_dingtalk.py):
Stream mode through the vendor SDK, the outgoing-robot HTTP mode, replies by sessionWebhook."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import threading
import time

import httpx
import pytest
from click.testing import CliRunner

from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Action, Kind, Message, Reply, TextPart
from bot.core.platform import RateLimit
from bot.dingtalk import cards
from bot.dingtalk.channel import DingTalk, SendError
from bot.dingtalk.outbound import DINGTALK_ORIGINS, Hosts, InternalAddress
from bot.dingtalk.presses import Signer, content_of
from bot.dingtalk.webhook import sign, verify
from retrieval import texts as common
from retrieval.config import Settings
from retrieval.library import Library
from tests.channel_dingtalk import Harness, fake_hosts
from tests.fake_dingtalk import MAX_TEXT_BYTES, FakeDingTalk, Internal

QUESTION = "秀山县政务公开数据"
CITED = "秀山土家族苗族自治县人民政府办公室"
MODES = pytest.mark.parametrize("http", [False, True], ids=["stream", "http"])


# --- conversations, in both modes ---------------------------------------------------------------


@MODES
async def test_private_question_is_answered_with_buttons(shared_library: Library, http: bool) -> None:
    async with Harness(shared_library, http=http) as h:
        [answer] = await h.say(QUESTION)
        assert CITED in answer and "**政务公开**" in answer
        card = h.fake.sent[-1].payload
        assert card["msgtype"] == "actionCard"
        labels = [b["title"] for b in card["actionCard"]["btns"]]
        assert "全文 1" in labels and core_texts.THUMBS_UP in labels
        assert core_texts.EXPORT not in labels  # a sessionWebhook cannot send the file
        assert all(
            b["actionURL"].startswith("dtmd://dingtalkclient/sendMessage?content=")
            for b in card["actionCard"]["btns"]
        )
        assert not h.fake.refused


@MODES
async def test_group_answers_only_when_mentioned(shared_library: Library, http: bool) -> None:
    async with Harness(shared_library, http=http) as h:
        assert await h.say(QUESTION, group=True, mentioned=False) == []
        [answer] = await h.say(QUESTION, group=True, mentioned=True)
        assert CITED in answer


@MODES
async def test_buttons_come_back_as_presses(shared_library: Library, http: bool) -> None:
    async with Harness(shared_library, http=http) as h:
        await h.say(QUESTION)
        [passage] = await h.press("全文")
        assert "18778" in passage and "› （二）持续深化政务公开" in passage
        [why] = await h.press(core_texts.THUMBS_DOWN)
        assert why == core_texts.FEEDBACK_WHY
        [thanks] = await h.press("不完整")
        assert thanks == core_texts.FEEDBACK_THANKS
        [again] = await h.press(core_texts.THUMBS_UP)  # the old card's 👍: feedback is given already
        assert again == core_texts.FEEDBACK_ALREADY


async def test_presses_work_in_groups_without_a_mention(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
        await h.say(QUESTION, group=True, user="u7")
        [passage] = await h.press("全文")
        assert "18778" in passage


@pytest.mark.parametrize(
    "forged",
    ["👍 ⟦fb:1:1|AAAAAAAAAAA⟧", "全文 ⟦full:1|zzzzzzzzzzz⟧ 多余的字"],
    ids=["wrong-mac", "made-up"],
)
async def test_forged_presses_are_refused(shared_library: Library, forged: str) -> None:
    async with Harness(shared_library) as h:
        assert await h.say(forged) == [core_texts.BUTTON_STALE]


async def test_a_press_copied_to_another_chat_is_refused(shared_library: Library) -> None:
    async with Harness(shared_library) as h:
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
