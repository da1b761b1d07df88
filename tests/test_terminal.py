"""The terminal chat: a Conversation's replies, and `reportbot chat` driven through a real
pseudo-terminal (line editing and history by readline)."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.core import texts
from bot.terminal import Conversation
from retrieval.library import Library
from tests.conftest import copy_data


@pytest.fixture
def chat(shared_library: Library) -> Conversation:
    return Conversation(shared_library)


def test_a_question_is_answered_with_quotes_and_citations(chat: Conversation) -> None:
    out = chat.say("秀山县政务公开数据")
    assert out.startswith("[1] “")
    assert "秀山土家族苗族自治县人民政府办公室" in out


def test_a_follow_up_asks_the_last_question_about_another_place(chat: Conversation) -> None:
    chat.say("秀山县政务公开数据")
    out = chat.say("那蓝山县呢？")
    first_citation = next(line for line in out.splitlines() if line.lstrip().startswith("——"))
    assert "蓝山县" in first_citation


def test_small_talk_is_answered_and_is_no_question_to_follow_up(chat: Conversation) -> None:
    chat.say("秀山县政务公开数据")
    out = chat.say("谢谢")
    assert out.startswith("不客气") and texts.CHAT_HINT not in out
    again = chat.say("那蓝山县呢？")
    assert "蓝山县" in next(line for line in again.splitlines() if line.lstrip().startswith("——"))


def test_more_pages_on_and_says_when_there_is_no_more(chat: Conversation) -> None:
    first = chat.say("依法行政")
    second = chat.say("更多")
    assert "[4]" in second and "[4]" not in first
    for _ in range(20):  # bounded: a handful of pages at most
        last = chat.say("更多")
        if last == texts.NO_MORE:
            break
    assert last == texts.NO_MORE


def test_full_and_source_show_the_passage_and_the_outline(
    chat: Conversation, shared_library: Library
) -> None:
    chat.say("安化县政协提案立案率是多少")
    full = chat.say("全文 1")
    assert "立案率为82%" in full
    source = chat.say("来源 1")
    assert "政协安化县委员会办公室" in source and texts.OUTLINE_HEADER in source


@pytest.mark.parametrize("line", ["全文 9", "来源 7"])
def test_a_missing_hit_number_is_said_plainly(chat: Conversation, line: str) -> None:
    chat.say("秀山县政务公开数据")
    assert chat.say(line) == texts.CHAT_NO_SUCH_HIT.format(n=int(line.split()[1]))


@pytest.mark.parametrize("line", ["", "   ", "帮助", "help"])
def test_empty_lines_and_help_get_the_help(chat: Conversation, line: str) -> None:
    assert chat.say(line) == texts.CHAT_HELP


def test_more_before_any_question(chat: Conversation) -> None:
    assert chat.say("更多") == texts.CHAT_NOTHING_BEFORE


def test_a_refused_question_keeps_the_last_one_for_follow_ups(chat: Conversation) -> None:
    chat.say("依法行政")
    assert "[1]" not in chat.say("今天天气怎么样")
    assert "[4]" in chat.say("更多")  # the next page of 依法行政, not of the refused question


def _read_until(fd: int, marker: bytes, seconds: float = 20) -> bytes:
    """Output of the pseudo-terminal up to `marker` (bounded by `seconds`)."""
    out = b""
    deadline = time.monotonic() + seconds
    while marker not in out and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


def test_reportbot_chat_in_a_pseudo_terminal(shared_library: Library, tmp_path: Path) -> None:
    settings = copy_data(shared_library, tmp_path / "data")
    history = tmp_path / "history"
    prompt = texts.CHAT_PROMPT.encode()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command line, on the pseudo-terminal
        os.environ["REPORTBOT_DATA_DIR"] = str(settings.data_dir)
        os.execv(
            sys.executable,
            [sys.executable, "-c", "from bot.cli import main; main()", "chat", "--history", str(history)],
        )
    try:
        assert prompt in _read_until(fd, prompt)
        os.write(fd, "秀山县政务公开数据\r".encode())
        out = _read_until(fd, prompt)
        assert "秀山土家族苗族自治县人民政府办公室".encode() in out
        os.write(fd, "那蓝山县呢？\r".encode())
        assert "蓝山县".encode() in _read_until(fd, prompt)
        os.write(fd, "退出\r".encode())
        _read_until(fd, b"\x00", seconds=5)  # to the end of output
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        assert "秀山县政务公开数据" in history.read_text("utf-8")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
