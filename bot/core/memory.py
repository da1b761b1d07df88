"""What the conversation remembers between messages, bounded and short-lived: each user's last
question per chat (follow-ups), each user's recent questions per chat (the rate limit), and
report-list filter words too long for an action id."""

from __future__ import annotations

import base64
import hashlib
import time
from collections import OrderedDict, deque
from enum import Enum

MEMORY_SECONDS = 15 * 60  # how long a chat's last question is remembered for follow-ups
MEMORY_CHATS = 10_000
LIST_WORDS_KEPT = 1_000  # filter words too long for a page action's id, remembered for its presses


class Verdict(Enum):
    ALLOW = "allow"
    NOTIFY = "notify"  # over the limit: say so, once per window
    DROP = "drop"  # over the limit and already told: stay silent


class UserLimiter:
    """At most `per_minute` questions per user and chat in any 60 s window (spam in groups).
    Over the limit, the first message of the window gets one notice and the rest are dropped
    silently: a reply to every extra message would itself flood the chat."""

    def __init__(self, per_minute: int, max_keys: int = 100_000) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self._times: OrderedDict[tuple[int, int], deque[float]] = OrderedDict()
        self._told: dict[tuple[int, int], float] = {}

    def check(self, chat_id: int, user_id: int, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        key = (chat_id, user_id)
        times = self._times.get(key)
        if times is None:
            times = self._times[key] = deque()
            while len(self._times) > self.max_keys:  # bounded memory under a flood of senders
                old, _ = self._times.popitem(last=False)
                self._told.pop(old, None)
        self._times.move_to_end(key)
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            return Verdict.ALLOW
        told = self._told.get(key)
        if told is not None and now - told < 60:
            return Verdict.DROP
        self._told[key] = now
        return Verdict.NOTIFY


class ChatMemory:
    """Each user's last question in each chat, for `那蓝山县呢？` follow-ups: per user per chat,
    so that in a group one member's follow-up never continues another's question. Bounded
    and short-lived."""

    def __init__(self) -> None:
        self._last: OrderedDict[tuple[int, int], tuple[float, str]] = OrderedDict()

    def remember(self, chat_id: int, user_id: int, question: str) -> None:
        key = (chat_id, user_id)
        self._last[key] = (time.monotonic(), question)
        self._last.move_to_end(key)
        while len(self._last) > MEMORY_CHATS:
            self._last.popitem(last=False)

    def forget(self, chat_id: int, user_id: int) -> None:
        self._last.pop((chat_id, user_id), None)

    def last(self, chat_id: int, user_id: int) -> str | None:
        entry = self._last.get((chat_id, user_id))
        if entry is None or time.monotonic() - entry[0] > MEMORY_SECONDS:
            return None
        return entry[1]


class ListWords:
    """Report-list filter words too long to ride in a page action's id, by a short key."""

    def __init__(self) -> None:
        self._words: OrderedDict[str, str] = OrderedDict()

    def remember(self, words: str) -> str:
        """Keep `words`; returns the short key the actions carry instead (same words, same key)."""
        key = base64.urlsafe_b64encode(hashlib.blake2s(words.encode(), digest_size=6).digest()).decode()
        self._words[key] = words
        self._words.move_to_end(key)
        while len(self._words) > LIST_WORDS_KEPT:
            self._words.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        return self._words.get(key)
