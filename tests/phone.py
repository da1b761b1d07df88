"""Bot messages as a phone shows them: Telegram HTML rendered in a chat bubble 390 px wide, in
the system's headless Chromium (driven by Playwright), measured in pixels.

The page imitates Telegram's mobile layout closely enough to judge length: the bubble's width,
its 16 px text at Telegram's line height, quotes with a bar, an expandable quote folded to three
lines, and the inline keyboard's rows of buttons under the bubble. Pictures are written only
where the caller asks (never into the repository).
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PHONE_WIDTH = 390
PHONE_HEIGHT = 844
# What is left for messages between Telegram's top bar (~90 px) and its input bar (~80 px).
CHAT_AREA = PHONE_HEIGHT - 170
CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if shutil.which(p)), None)

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 0; width: {width}px; background: #dfe7ee; font: 16px/21px -apple-system, "Noto Sans CJK SC",
  "WenQuanYi Zen Hei", sans-serif; }}
.msg {{ margin: 4px 8px 4px 8px; }}
.bubble {{ background: #fff; border-radius: 12px; padding: 6px 10px 8px; max-width: {bubble}px;
  overflow-wrap: anywhere; white-space: pre-wrap; }}
blockquote {{ margin: 2px 0; padding: 2px 6px 2px 9px; border-left: 3px solid #3a9ad9; background: #e9f3fb;
  border-radius: 4px; white-space: pre-wrap; }}
blockquote[expandable] {{ max-height: 63px; overflow: hidden; position: relative; }}
a {{ color: #168acd; text-decoration: none; }}
.kb {{ display: flex; flex-direction: column; gap: 4px; margin-top: 4px; max-width: {bubble}px; }}
.row {{ display: flex; gap: 4px; }}
.row span {{ flex: 1 1 0; min-width: 0; background: #8fa9bdcc; color: #fff; border-radius: 8px; height: 36px;
  line-height: 36px; padding: 0 6px; text-align: center; font-size: 14px; overflow: hidden;
  white-space: nowrap; text-overflow: ellipsis; }}
</style></head><body>{messages}</body></html>"""


@dataclass(frozen=True, slots=True)
class Shown:
    """How tall each message is on the phone, keyboard included (px)."""

    heights: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.heights) + 8 * len(self.heights)


def _keyboard(markup: Any) -> str:
    if markup is None:
        return ""
    rows = "".join(
        '<div class="row">' + "".join(f"<span>{html.escape(b.text)}</span>" for b in row) + "</div>"
        for row in markup.inline_keyboard
    )
    return f'<div class="kb">{rows}</div>'


def _message(text_html: str, markup: Any = None) -> str:
    # Telegram HTML is a subset of HTML: it renders as is; line breaks are \n (pre-wrap).
    return f'<div class="msg"><div class="bubble">{text_html}</div>{_keyboard(markup)}</div>'


@contextmanager
def phone() -> Iterator[Any]:
    """A Chromium page the size of a phone; requires CHROMIUM."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            yield browser.new_page(viewport={"width": PHONE_WIDTH, "height": PHONE_HEIGHT})
        finally:
            browser.close()


def cut_buttons(page: Any) -> list[str]:
    """The labels of the buttons shown that the phone cuts (an ellipsis at the end)."""
    return page.eval_on_selector_all(
        ".row span", "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)"
    )


def show(page: Any, messages: Sequence[tuple[str, Any]], picture: Path | None = None) -> Shown:
    """Render (html, keyboard or None) messages on `page`; their heights, and a picture if asked."""
    body = "".join(_message(text, markup) for text, markup in messages)
    page.set_content(_PAGE.format(width=PHONE_WIDTH, bubble=PHONE_WIDTH - 16 - 40, messages=body))
    heights = page.eval_on_selector_all(
        ".msg", "els => els.map(e => Math.ceil(e.getBoundingClientRect().height))"
    )
    if picture is not None:
        page.screenshot(path=str(picture), full_page=True)
    return Shown(tuple(heights))
