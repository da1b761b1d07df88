"""The platform rules every channel shares: ids, repeated deliveries, byte limits, rates, backoff."""

from __future__ import annotations

import random

import pytest

from bot.core.platform import Backoff, Deduper, RateLimit, split_bytes, user_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_user_key_is_stable_and_distinct_per_channel() -> None:
    assert user_key("wecom", "zhangsan") == user_key("wecom", "zhangsan")
    assert user_key("wecom", "zhangsan") != user_key("dingtalk", "zhangsan")
    assert 0 <= user_key("feishu", "ou_7d8a6e6df7621556ce0d21922b676706ccs") < 2**63


def test_a_repeated_delivery_is_seen_once_until_it_expires() -> None:
    clock = Clock()
    seen = Deduper(ttl=60, clock=clock)
    assert seen.first_time("msg-1") and not seen.first_time("msg-1")
    assert seen.first_time("msg-2")
    clock.now += 61
    assert seen.first_time("msg-1")  # long forgotten: a new delivery
    assert seen.first_time("") and seen.first_time("")  # nothing to recognise it by


def test_deduper_keeps_at_most_size_ids() -> None:
    seen = Deduper(ttl=3600, size=3, clock=Clock())
    for i in range(5):
        assert seen.first_time(f"m{i}")
    assert seen.first_time("m0")  # pushed out by newer ones
    assert not seen.first_time("m4")


@pytest.mark.parametrize("limit", [20, 64, 2048])
def test_split_bytes_keeps_every_character_within_the_limit(limit: int) -> None:
    text = "\n".join(f"第{i}段：全年办理行政复议案件{i}件。😀" for i in range(200))
    pieces = split_bytes(text, limit)
    assert all(len(p.encode()) <= limit for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_split_bytes_cuts_at_a_line_break_when_one_is_near() -> None:
    text = "一" * 10 + "\n" + "二" * 10  # 3 bytes a character
    assert split_bytes(text, 40) == ["一" * 10, "二" * 10]
    assert split_bytes("短", 40) == ["短"] and split_bytes("", 40) == [""]


def test_backoff_doubles_to_its_cap_and_resets() -> None:
    b = Backoff(first=1, cap=8, rng=random.Random(0))
    delays = [b.next_delay() for _ in range(6)]
    assert all(0.5 * base <= d <= base for d, base in zip(delays, [1, 2, 4, 8, 8, 8], strict=True))
    b.reset()
    assert b.next_delay() <= 1


def test_rate_limit_per_chat_and_per_bot() -> None:
    clock = Clock()
    rate = RateLimit(per_chat=2, per_bot=3, window=60, clock=clock)
    assert rate.wait("a") == 0 and rate.wait("a") == 0
    assert rate.wait("a") == pytest.approx(60)  # the chat's two are used
    assert rate.wait("b") == 0
    assert rate.wait("c") == pytest.approx(60)  # the bot's three are used
    clock.now += 60
    assert rate.wait("a") == 0 and rate.wait("c") == 0
