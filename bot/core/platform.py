"""What every chat platform's rules ask of a channel, once: a platform's string ids as the
core's numbers, a delivery repeated by the platform answered once, long text split by the
platform's byte limit, sends kept under a rate per chat and per bot, and reconnection with
backoff. Channels (WeCom, DingTalk, Feishu) use these; none of them knows a platform.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


def user_key(channel: str, platform_id: str) -> int:
    """A platform's user or chat id (`zhangsan`, `ou_7d8a…`, `cid…`) as the core's number:
    stable across restarts, distinct across channels, 63 bits (fits SQLite's INTEGER)."""
    digest = hashlib.sha256(f"{channel}:{platform_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class Deduper:
    """Remembers the ids of deliveries seen in the last `ttl` seconds (at most `size` of them):
    a platform that redelivers a message it thinks unanswered gets one answer, not two."""

    def __init__(self, ttl: float = 600.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.ttl, self.size, self.clock = ttl, size, clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str) -> bool:
        """True the first time `delivery_id` is seen (within the ttl), False for a repeat. An
        empty id is never a repeat (nothing to recognise it by)."""
        if not delivery_id:
            return True
        now = self.clock()
        with self._lock:
            while self._seen and (
                len(self._seen) > self.size or next(iter(self._seen.values())) < now - self.ttl
            ):
                self._seen.popitem(last=False)
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = now
            return True


def split_bytes(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` bytes of UTF-8 each, cut at a line break where one
    falls in the piece's second half, else at a character (never inside one)."""
    if limit < 4:
        raise ValueError("limit must hold at least one character")
    out: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        cut, size = 0, 0
        for i, ch in enumerate(rest):
            size += len(ch.encode())
            if size > limit:
                break
            cut = i + 1
        piece = rest[:cut]
        newline = piece.rfind("\n")
        if newline >= cut // 2:
            cut = newline + 1
        out.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:]
    if rest or not out:
        out.append(rest)
    return out


class Backoff:
    """Delays before reconnecting: doubling from `first` to at most `cap` seconds, with jitter
    so that many bots do not reconnect at once; `reset` after a connection that held."""

    def __init__(self, first: float = 1.0, cap: float = 60.0, rng: random.Random | None = None) -> None:
        self.first, self.cap = first, cap
        self._next = first
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self.cap, self._next * 2)
        return delay * (0.5 + self._rng.random() / 2)

    def reset(self) -> None:
        self._next = self.first


class RateLimit:
    """At most `per_chat` sends to one chat and `per_bot` sends in all within `window` seconds.
    `wait(chat)` returns how long to wait before the next send to `chat` may go (0: now), and
    counts the send when it is 0."""

    def __init__(
        self, per_chat: int, per_bot: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_chat, self.per_bot, self.window, self.clock = per_chat, per_bot, window, clock
        self._chats: dict[str, deque[float]] = {}
        self._bot: deque[float] = deque()
        self._lock = threading.Lock()

    def wait(self, chat: str) -> float:
        now = self.clock()
        with self._lock:
            sent = self._chats.setdefault(chat, deque())
            for times in (sent, self._bot):
                while times and times[0] <= now - self.window:
                    times.popleft()
            waits = [0.0]
            if len(sent) >= self.per_chat:
                waits.append(sent[0] + self.window - now)
            if len(self._bot) >= self.per_bot:
                waits.append(self._bot[0] + self.window - now)
            delay = max(waits)
            if delay <= 0:
                sent.append(now)
                self._bot.append(now)
                return 0.0
            if not sent:
                del self._chats[chat]
            return delay
