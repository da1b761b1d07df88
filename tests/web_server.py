"""The web app served for real: uvicorn on a free port of 127.0.0.1 in a thread, optionally
behind a gate that holds chat requests (a slow network) until the test lets them through."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if shutil.which(p)), None)
# Browser tests fail without Chromium (CI installs it); a desk without it may opt out.
SKIP_BROWSER = os.environ.get("REPORTBOT_SKIP_BROWSER") == "1"


def require_chromium() -> str:
    """The Chromium to drive; a failure (or a skip, with REPORTBOT_SKIP_BROWSER=1) without it."""
    if SKIP_BROWSER:
        pytest.skip("REPORTBOT_SKIP_BROWSER=1")
    if CHROMIUM is None:
        pytest.fail(
            "no Chromium at /usr/bin/chromium: the README's test command installs it (`apt-get install "
            "chromium fonts-wqy-zenhei`), or set "
            "REPORTBOT_SKIP_BROWSER=1 to skip the browser tests on this machine"
        )
    return CHROMIUM


class Gate:
    """ASGI middleware counting `/api/chat` requests and holding them while closed."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.chats = 0
        self._open = threading.Event()
        self._open.set()

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/chat":
            self.chats += 1
            deadline = time.monotonic() + 10
            while not self._open.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        await self.app(scope, receive, send)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """`app` served on 127.0.0.1; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the web server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()
