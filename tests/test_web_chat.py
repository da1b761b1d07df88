"""The chat page (bot/web/chat.html) as people use it, in a real headless Chromium (the
system's, driven by Playwright) at a phone's width and a desk's: the newest reply in view
above the bar, one question at a time, 全文 in place, 复制, 导出 / 来源 downloads, 👍 once,
and text shown as text. Without Chromium these tests fail (REPORTBOT_SKIP_BROWSER=1 skips)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from bot.web.app import create_app
from retrieval.config import Settings
from retrieval.library import Library
from tests.conftest import RUCHENG
from tests.web_server import Gate, require_chromium, serve

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}
TIMEOUT = 10_000


@pytest.fixture(scope="module")
def gate(shared_library: Library) -> Gate:
    return Gate(create_app(shared_library))


@pytest.fixture(scope="module")
def server(gate: Gate) -> Iterator[str]:
    with serve(gate) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            yield b
        finally:
            b.close()


def open_page(browser: Any, server: str, viewport: dict[str, int]) -> Any:
    """A new visitor's page (its own browser context: a new user), with the welcome shown;
    dialogs are recorded on `page.dialogs` (and dismissed)."""
    context = browser.new_context(
        viewport=viewport,
        accept_downloads=True,
        permissions=["clipboard-read", "clipboard-write"],
        has_touch=viewport is PHONE,
    )
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/")
    page.wait_for_selector(".welcome .example", timeout=TIMEOUT)
    return page


@pytest.fixture(params=[PHONE, DESK], ids=["phone", "desk"])
def page(request: pytest.FixtureRequest, browser: Any, server: str) -> Iterator[Any]:
    p = open_page(browser, server, request.param)
    yield p
    p.context.close()


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    p = open_page(browser, server, PHONE)
    yield p
    p.context.close()


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, wait for its answer; the answer's element."""
    before = page.locator("#log > .msg.a:not(.working)").count()
    page.fill("#q", question)
    page.press("#q", "Enter")
    page.locator("#log > .msg.a:not(.working)").nth(before).wait_for(timeout=TIMEOUT)
    page.wait_for_selector(".working", state="detached", timeout=TIMEOUT)
    return page.locator("#log > .msg.a").last


def in_view(page: Any, selector: str) -> dict[str, Any]:
    """Where the last element matching `selector` is against the conversation and the bar."""
    return page.evaluate(
        """sel => {
        const all = document.querySelectorAll(sel), node = all[all.length - 1];
        const r = node.getBoundingClientRect(), log = document.getElementById('log').getBoundingClientRect();
        const bar = document.getElementById('ask').getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, height: r.height, logTop: log.top, barTop: bar.top,
                barBottom: bar.bottom, viewport: window.innerHeight};
        }""",
        selector,
    )


def test_the_newest_reply_stays_in_view_above_the_bar(page: Any) -> None:
    for question in [
        "秀山县政务公开数据",
        "安化县政协提案立案率是多少",
        "有哪些报告",
        "瓦屋镇化解了多少矛盾纠纷",
    ]:
        ask(page, question)
        box = in_view(page, "#log > .msg.a")
        assert box["barBottom"] == box["viewport"]  # the bar sits at the bottom
        assert box["top"] >= box["logTop"] - 1  # the reply's start is shown …
        if box["height"] < box["barTop"] - box["logTop"]:
            assert box["bottom"] <= box["barTop"] + 1  # … and, when it fits, all of it, above the bar
    assert page.locator(".msg.q").count() == 4


def test_examples_and_places_on_the_empty_page_and_a_tap_asks(page: Any) -> None:
    welcome = page.locator(".welcome")
    assert "蓝山县" in welcome.inner_text() and "份报告" in welcome.inner_text()
    example = welcome.locator(".example").first
    question = example.inner_text()
    example.click()
    page.wait_for_selector(".answer .hit", timeout=TIMEOUT)
    assert page.locator(".msg.q").last.inner_text() == question


def test_line_breaks_and_lists_are_kept(page: Any) -> None:
    answer = ask(page, "有哪些报告")
    lines = answer.locator(".note").inner_text().split("\n")
    assert len(lines) >= 6 and all(line.startswith("· ") for line in lines[1:])


def test_working_indicator_and_no_second_send(phone: Any, gate: Gate) -> None:
    before = gate.chats
    gate.close()
    try:
        phone.fill("#q", "秀山县政务公开数据")
        phone.press("#q", "Enter")
        phone.wait_for_selector(".working", timeout=TIMEOUT)
        assert phone.locator(".working").is_visible()
        assert phone.locator("#send").is_disabled()
        phone.fill("#q", "安化县政协提案立案率是多少")
        phone.press("#q", "Enter")  # ignored while the first is pending
        phone.locator("#send").click(force=True)
        phone.locator(".welcome .example").first.click()
        phone.wait_for_timeout(200)
        assert gate.chats == before + 1
    finally:
        gate.open()
    phone.wait_for_selector(".working", state="detached", timeout=TIMEOUT)
    assert phone.locator(".msg.q").count() == 1 and phone.locator(".answer").count() == 1
    assert phone.locator("#send").is_enabled()
    assert phone.input_value("#q") == "安化县政协提案立案率是多少"  # what was typed meanwhile is kept


def test_full_opens_in_place_under_its_excerpt_and_closes(page: Any) -> None:
    answer = ask(page, "秀山县政务公开数据")
    hit = answer.locator(".hit").first
    hit.get_by_role("button", name="全文 1").click()
    passage = hit.locator(".passage .body")
    passage.wait_for(timeout=TIMEOUT)
    assert len(passage.inner_text()) > len(hit.locator("blockquote").inner_text()) - 10
    assert in_view(page, ".hit .passage")["top"] < in_view(page, ".hit .passage")["barTop"]
    hit.get_by_role("button", name="收起").click()
    assert hit.locator(".passage").count() == 0


def test_copy_puts_the_answer_and_its_citations_on_the_clipboard(page: Any) -> None:
    answer = ask(page, "秀山县政务公开数据")
    answer.get_by_role("button", name="复制").click()
    answer.get_by_role("button", name="已复制").wait_for(timeout=TIMEOUT)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("问：秀山县政务公开数据\n[1] “")
    assert answer.locator(".cite").first.inner_text().removeprefix("—— ") in copied
    assert "\n[2] “" in copied


def test_export_and_source_download_their_files(page: Any) -> None:
    answer = ask(page, "秀山县政务公开数据")
    with page.expect_download(timeout=TIMEOUT) as exported:
        answer.get_by_role("button", name="导出").click()
    assert exported.value.suggested_filename.endswith(".docx")
    with open(exported.value.path(), "rb") as f:
        assert "word/document.xml" in zipfile.ZipFile(io.BytesIO(f.read())).namelist()
    with page.expect_download(timeout=TIMEOUT) as original:
        answer.locator(".hit").first.get_by_role("button", name="来源").click()
    assert original.value.suggested_filename.startswith("秀山")
    with open(original.value.path(), "rb") as f:
        assert "政务公开" in f.read().decode("utf-8")
    assert "《" in answer.locator(".hit .card").first.inner_text()  # the report's card, in place


def test_thumbs_up_once_then_marked(page: Any) -> None:
    answer = ask(page, "秀山县政务公开数据")
    answer.get_by_role("button", name="有帮助", exact=True).click()
    marked = answer.get_by_role("button", name="已反馈 有帮助")
    marked.wait_for(timeout=TIMEOUT)
    assert answer.get_by_role("button", name="有帮助", exact=True).count() == 0
    assert answer.get_by_role("button", name="没帮助", exact=True).count() == 0
    marked.click()
    page.wait_for_selector("#toast.shown.alert", timeout=TIMEOUT)
    assert "已经" in page.locator("#toast").inner_text()


def test_the_follow_up_shows_the_question_understood(page: Any) -> None:
    first = ask(page, "秀山县政务公开数据")
    assert first.locator(".understood").count() == 0
    second = ask(page, "那蓝山县呢？")
    assert second.locator(".understood").inner_text() == "问：蓝山县政务公开数据"
    assert "蓝山" in second.locator(".cite").first.inner_text()


@pytest.mark.parametrize("question", ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>秀山县"])
def test_html_is_shown_as_typed_never_run(phone: Any, question: str) -> None:
    ask(phone, question)
    assert phone.locator(".msg.q").last.inner_text() == question
    assert phone.locator("#log img, #log script").count() == 0
    phone.wait_for_timeout(100)
    assert phone.dialogs == []


def test_a_phone_has_no_sideways_scroll_and_big_enough_targets(phone: Any) -> None:
    answer = ask(phone, "秀山县政务公开数据")
    answer.locator(".hit").first.get_by_role("button", name="全文 1").click()
    phone.wait_for_selector(".passage", timeout=TIMEOUT)
    ask(phone, "有哪些报告")
    sizes = phone.evaluate(
        """() => ({
        page: document.documentElement.scrollWidth, log: document.getElementById('log').scrollWidth,
        width: window.innerWidth,
        small: Array.from(document.querySelectorAll('button, input, a.file'))
            .map(e => [e.textContent, e.getBoundingClientRect()])
            .filter(([t, r]) => r.width > 0 && (r.width < 40 || r.height < 40)).map(([t]) => t),
        })"""
    )
    assert sizes["page"] <= sizes["width"] == 390 and sizes["log"] <= 390
    assert sizes["small"] == []


def test_more_replaces_the_answer_with_its_next_page(phone: Any) -> None:
    answer = ask(phone, "依法行政")
    first = answer.locator(".hit").first.get_attribute("data-rank")
    answer.get_by_role("button", name="更多结果").click()
    phone.locator('.answer .hit[data-rank="4"]').wait_for(timeout=TIMEOUT)
    assert first == "1" and phone.locator(".answer").count() == 1
    assert phone.locator(".answer").get_by_role("button", name="上一页").count() == 1


def test_thumbs_down_asks_why_and_keeps_the_reason(phone: Any) -> None:
    answer = ask(phone, "秀山县政务公开数据")
    answer.get_by_role("button", name="没帮助", exact=True).click()
    answer.get_by_role("button", name="不完整").click()
    answer.get_by_role("button", name="已反馈 没帮助（不完整）").wait_for(timeout=TIMEOUT)
    assert answer.locator('button[data-kind="feedback"]').count() == 1


def test_report_text_with_markup_is_shown_as_text(browser: Any, empty_settings: Settings) -> None:
    markup = '<img src=x onerror="alert(1)"><b>加粗</b>'
    report = RUCHENG.replace("回应群众关切。", f"回应群众关切。网站曾误登{markup}字样，已更正。")
    library = Library(empty_settings)
    try:
        library.add(library.parse("汝城县_2023.txt", report.encode()))
        with serve(create_app(library)) as url:
            page = open_page(browser, url, PHONE)
            answer = ask(page, "汝城县政务公开")
            hit = answer.locator(".hit").first
            hit.get_by_role("button", name="全文 1").click()
            hit.locator(".passage").wait_for(timeout=TIMEOUT)
            assert markup in hit.locator(".passage .body").inner_text()
            assert page.locator("#log img, #log b").count() == 0 and page.dialogs == []
            page.context.close()
    finally:
        library.close()


@pytest.fixture(scope="module")
def ranked_server(ranked_library: Library) -> Iterator[str]:
    with serve(Gate(create_app(ranked_library))) as url:
        yield url


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_a_ranking_scrolls_to_its_lead_and_shows_its_table_with_bars(
    browser: Any, ranked_server: str, ranked_library: Library, viewport: dict[str, int]
) -> None:
    page = open_page(browser, ranked_server, viewport)
    try:
        for question in ["哪些地方出庭应诉率超过90%", "汝城县行政复议案件多少件"]:  # a conversation above it
            ask(page, question)
        ask(page, "哪个县行政复议案件最多")
        answer = page.locator("#log .answer").last
        lead = answer.locator(".lead")
        assert lead.inner_text().startswith("行政复议案件最多：蓝山县（2023年）41件")
        # The lead is on the screen, below the header and above the bar: read first.
        shown = in_view(page, "#log .answer .lead")
        assert shown["logTop"] - 1 <= shown["top"] and shown["bottom"] <= shown["barTop"] + 1, shown
        # The ranked table, inline under the lead: a row per place, a bar in proportion.
        want = ranked_library.ask("哪个县行政复议案件最多").table
        assert want is not None
        rows = page.evaluate(
            """() => Array.from([...document.querySelectorAll('#log .answer')].pop()
                .querySelectorAll('table.ranking tbody tr'))
            .map(tr => ({where: tr.querySelector('.where').textContent,
                         value: tr.querySelector('.val').textContent,
                         bar: tr.querySelector('.fill').getBoundingClientRect().width,
                         track: tr.querySelector('.track').getBoundingClientRect().width}))"""
        )
        assert [(r["where"], r["value"]) for r in rows] == [
            (f"{w.place} {w.report.year}", w.figure.written) for w in want.rows
        ]
        top = max(w.figure.value for w in want.rows)
        for r, w in zip(rows, want.rows, strict=True):
            assert abs(r["bar"] - max(2, r["track"] * w.figure.value / top)) <= 1.5, rows
        assert page.locator("#log img").count() == 0  # no picture of it: the browser draws it
        assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
        # The table precedes the excerpts, right under the lead.
        order = page.evaluate(
            """() => Array.from([...document.querySelectorAll('#log .answer')].pop().children)
            .map(e => e.className || e.tagName.toLowerCase())"""
        )
        assert order[:2] == ["lead", "ranking"], order
    finally:
        page.context.close()


def test_the_empty_page_groups_its_places_by_province(browser: Any, server: str) -> None:
    page = open_page(browser, server, PHONE)
    try:
        lines = page.locator(".welcome .province").all_inner_texts()
        assert sorted(lines) == sorted(
            ["湖南省：安化县、蓝山县", "河南省：潢川县、瓦屋镇", "重庆市：秀山土家族苗族自治县"]
        )
    finally:
        page.context.close()


def test_no_request_of_the_page_fails_and_its_icon_is_served(browser: Any, server: str) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto(server + "/")
        page.wait_for_selector(".welcome .example", timeout=TIMEOUT)
        # What a browser asks for by itself (headless Chromium does not fetch icons).
        icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
        assert icon == server + "/favicon.ico"
        for url in (icon, server + "/favicon.ico"):
            r = page.request.get(url)
            assert r.status == 200 and r.headers["content-type"].startswith("image/")
        assert failed == []
    finally:
        context.close()


def test_buttons_read_as_words_without_an_emoji_font(phone: Any) -> None:
    answer = ask(phone, "秀山县政务公开数据")
    labels = answer.locator("button").all_inner_texts()
    assert {"有帮助", "没帮助", "导出", "复制"} <= set(labels), labels
    assert any(x.startswith("来源") for x in labels), labels
    assert [x for x in labels if any(ord(c) >= 0x1F000 for c in x)] == []
