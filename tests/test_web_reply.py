"""Tests for bot/web/reply.py: the files replies carry, kept a short while and within bounds."""

from __future__ import annotations

from bot.core.messages import FilePart, Reply, TextPart
from bot.web.reply import FileStash, reply_json


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_kept_until_it_expires() -> None:
    clock = Clock()
    stash = FileStash(ttl=60, clock=clock)
    token = stash.put("问答_秀山.docx", b"PK")
    kept = stash.get(token)
    assert kept is not None and kept.data == b"PK" and "word" in kept.media_type
    clock.now = 61
    assert stash.get(token) is None


def test_the_oldest_files_go_first_beyond_the_count_or_the_bytes() -> None:
    stash = FileStash(size=2, max_bytes=10)
    first, second, third = (stash.put(f"{n}.txt", b"x" * 4) for n in range(3))
    assert stash.get(first) is None and stash.get(second) and stash.get(third)
    big = stash.put("big.txt", b"x" * 8)
    assert stash.get(second) is None and stash.get(third) is None and stash.get(big)


def test_tokens_are_unguessable_and_unknown_ones_find_nothing() -> None:
    stash = FileStash()
    tokens = {stash.put("a.txt", b"a") for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 24 for t in tokens)
    assert stash.get("../etc/passwd") is None


def test_a_silent_core_is_an_empty_reply_and_files_become_links() -> None:
    assert reply_json(None, FileStash())["parts"] == []
    out = reply_json(Reply([TextPart("好"), FilePart("a.txt", b"abc")], notice="n"), FileStash())
    assert out["parts"][0] == {"type": "text", "text": "好", "actions": []}
    assert out["parts"][1]["url"].startswith("/api/files/") and out["parts"][1]["size"] == 3
    assert out["notice"] == "n" and out["feedback"] is None
