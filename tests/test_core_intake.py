"""bot/core/intake.py: what every channel does with a file sent in a chat before the core
reads it: fetched only for an admin in a private chat, counted as it arrives, named safely."""

from __future__ import annotations

import httpx
import pytest

from bot.core import intake


@pytest.mark.parametrize(
    ("admin", "private", "expected"), [(True, True, True), (True, False, False), (False, True, False)]
)
def test_only_an_admins_file_in_a_private_chat_is_fetched(admin: bool, private: bool, expected: bool) -> None:
    assert intake.wanted(admin, private) is expected


def test_a_download_stops_as_soon_as_it_passes_the_limit() -> None:
    taken: list[int] = []

    def chunks() -> object:
        for i in range(1000):
            taken.append(i)
            yield b"x" * 100

    with pytest.raises(intake.TooBig) as too_big:
        intake.read_capped(chunks(), 250)  # type: ignore[arg-type]
    assert too_big.value.size == 300 and len(taken) == 3
    assert intake.read_capped([b"ab", b"cd"], 4) == b"abcd"


def _serve(body: bytes, headers: dict[str, str], status: int = 200) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(status, content=body, headers=headers))
    )


def test_a_claimed_size_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(intake.TooBig) as too_big:
        intake.download_sync(_serve(b"x" * 10, {"content-length": "999999"}), "http://127.0.0.1/f", 100)
    assert too_big.value.size == 999999


def test_an_error_answer_is_a_failed_download() -> None:
    with pytest.raises(intake.DownloadFailed):
        intake.download_sync(_serve(b"{}", {}, status=403), "http://127.0.0.1/f", 100)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("报告.docx", "报告.docx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\报告.pdf", "报告.pdf"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("", "upload"),
        ("...", "upload"),
        ("长" * 300 + ".docx", "长" * (intake.NAME_CHARS - 5) + ".docx"),
    ],
)
def test_a_file_name_is_made_safe(given: str, expected: str) -> None:
    assert intake.safe_name(given) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("attachment; filename*=UTF-8''%E6%B1%9D%E5%9F%8E.docx", "汝城.docx"),
        ('attachment; filename="report.pdf"', "report.pdf"),
        ("attachment", ""),
    ],
)
def test_the_name_a_download_gives(header: str, expected: str) -> None:
    assert intake.name_from_headers(httpx.Headers({"content-disposition": header})) == expected


@pytest.mark.parametrize(
    ("head", "suffix"),
    [(b"%PDF-1.7", ".pdf"), (b"PK\x03\x04", ".docx"), (b"  <html>", ".html"), ("法治".encode(), ".txt")],
)
def test_a_file_without_a_name_gets_a_suffix_by_its_bytes(head: bytes, suffix: str) -> None:
    assert intake.suffix_for(head + bytes(10)) == suffix
