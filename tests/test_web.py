"""`reportbot web`: the JSON API over real HTTP on 127.0.0.1, and the chat page in a real
headless Chromium (the system's, driven by Playwright; skipped with a reason when absent)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bot.core.shapes import answer_json
from bot.web.app import create_app
from retrieval.library import Library

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if shutil.which(p)), None)


@pytest.fixture(scope="module")
def server(shared_library: Library) -> Iterator[str]:
    """The web app served by uvicorn on a free port of 127.0.0.1, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(shared_library), log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "the web server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)
    sock.close()


def test_ask_returns_exactly_what_ask_json_prints(server: str, shared_library: Library) -> None:
    r = httpx.post(f"{server}/api/ask", json={"q": "秀山县政务公开数据", "k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body == json.loads(json.dumps(answer_json(shared_library.ask("秀山县政务公开数据", k=2))))
    assert body["answered"] and len(body["hits"]) == 2
    assert "秀山" in body["hits"][0]["report"]["issuer"]


def test_offset_gives_the_next_page(server: str) -> None:
    first = httpx.post(f"{server}/api/ask", json={"q": "依法行政", "k": 2}).json()
    second = httpx.post(f"{server}/api/ask", json={"q": "依法行政", "k": 2, "offset": 2}).json()
    assert [h["rank"] for h in second["hits"]] == [3, 4]
    assert not {h["text"] for h in first["hits"]} & {h["text"] for h in second["hits"]}


def test_previous_question_makes_a_follow_up(server: str) -> None:
    body = httpx.post(
        f"{server}/api/ask", json={"q": "那蓝山县呢？", "previous": "秀山县政务公开数据"}
    ).json()
    assert body["answered"]
    assert body["hits"][0]["report"]["places"][-1] == "蓝山县"


def test_refusal_carries_its_reason_and_message(server: str) -> None:
    body = httpx.post(f"{server}/api/ask", json={"q": "今天天气怎么样"}).json()
    assert body["answered"] is False and body["hits"] == []
    assert body["refusal"] and body["message"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b"[1, 2]", {"content-type": "application/json"}),
        (b'{"q": 5}', {"content-type": "application/json"}),
        (b'{"q": "x", "k": 0}', {"content-type": "application/json"}),
        (b'{"q": "x", "k": true}', {"content-type": "application/json"}),
        (b'{"q": "x", "offset": -1}', {"content-type": "application/json"}),
        (b"q=x", {"content-type": "application/x-www-form-urlencoded"}),
        (b'{"q": "' + b"x" * 20000 + b'"}', {"content-type": "application/json"}),
    ],
)
def test_bad_requests_get_400_with_a_reason(server: str, content: bytes, headers: dict[str, str]) -> None:
    r = httpx.post(f"{server}/api/ask", content=content, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"]


def test_a_lone_surrogate_is_cleaned_not_an_error(server: str) -> None:
    r = httpx.post(
        f"{server}/api/ask",
        content='{"q": "秀山县政务公开\\ud800数据"}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["answered"]


def test_reports_lists_every_report_newest_first(server: str, shared_library: Library) -> None:
    body = httpx.get(f"{server}/api/reports").json()
    assert body["count"] == len(shared_library.reports()) == len(body["reports"])
    years = [r["year"] or 0 for r in body["reports"]]
    assert years == sorted(years, reverse=True)


def test_only_the_listed_methods(server: str) -> None:
    assert httpx.get(f"{server}/api/ask").status_code == 405
    assert httpx.get(f"{server}/nothing").status_code == 404


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install chromium)")
def test_the_page_asks_and_shows_quotes_in_a_real_browser(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(server + "/")
            page.fill("#q", "秀山县政务公开数据")
            page.press("#q", "Enter")
            page.wait_for_selector(".a .hit", timeout=10_000)
            first = page.locator(".a .hit").first
            assert "秀山" in first.locator(".cite").inner_text()
            assert first.locator("mark").count() >= 1  # matched terms marked
            # 全文 opens the whole passage under the excerpt.
            first.get_by_role("button", name="全文").click()
            assert len(first.locator(".full").inner_text()) > len(first.locator("blockquote").inner_text())
            # A follow-up is understood from the page's memory of the last question.
            page.fill("#q", "那蓝山县呢？")
            page.press("#q", "Enter")
            page.wait_for_function("document.querySelectorAll('.a').length >= 2", timeout=10_000)
            assert "蓝山" in page.locator(".a").nth(1).locator(".cite").first.inner_text()
            # HTML typed as a question is shown as text, never run.
            page.fill("#q", "<img src=x onerror=alert(1)>")
            page.press("#q", "Enter")
            page.wait_for_function("document.querySelectorAll('.a').length >= 3", timeout=10_000)
            assert page.locator(".q img").count() == 0
        finally:
            browser.close()
