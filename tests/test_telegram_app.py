"""Start-up: the serve command's one-line refusals, and the application's wiring."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.telegram import handlers
from bot.telegram.app import build_application, serve_webhook
from bot.telegram.webhook import SECRET_HEADER
from retrieval.config import Settings
from retrieval.library import Library
from tests.conftest import USER_ID, bot_settings, copy_data, make_settings
from tests.fake_telegram import FakeTelegram


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "REPORTBOT_TELEGRAM_TOKEN is not set"),
        ({"REPORTBOT_TELEGRAM_TOKEN": "not-a-token"}, "REPORTBOT_TELEGRAM_TOKEN"),
        ({"REPORTBOT_ADMIN_IDS": "12, alice"}, "REPORTBOT_ADMIN_IDS"),
        ({"REPORTBOT_BM25_K1": "-1"}, "REPORTBOT_BM25_K1"),
    ],
)
def test_serve_refuses_bad_settings_in_one_line(
    tmp_path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "serve"])
    assert result.exit_code != 0
    assert expected in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_build_application_needs_a_token(tmp_path, shared_library: Library) -> None:
    with pytest.raises(ValueError, match="TOKEN"):
        build_application(make_settings(tmp_path), shared_library)


def test_every_handler_is_registered(shared_library: Library, telegram: FakeTelegram) -> None:
    app = build_application(bot_settings(shared_library, telegram), shared_library)
    registered = {h.callback for group in app.handlers.values() for h in group}
    public = {
        fn
        for module in (handlers,)
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction)
        if not name.startswith("_") and fn.__module__ == module.__name__
    }
    public -= {handlers.to_message, handlers.on_error}  # the translation, and the error handler
    assert public <= registered, public - registered
    assert app.error_handlers and handlers.on_error in app.error_handlers


def private_update(update_id: int, text: str, user_id: int = USER_ID) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": user_id, "type": "private", "first_name": "U"},
            "from": {"id": user_id, "is_bot": False, "first_name": "U"},
            "text": text,
        },
    }


@asynccontextmanager
async def webhook_bot(settings: Settings, library: Library) -> AsyncIterator[str]:
    """The bot in webhook mode on 127.0.0.1; yields the URL the reverse proxy would post to."""
    stop = asyncio.Event()
    app = build_application(settings, library)
    task = asyncio.create_task(serve_webhook(app, settings, "https://bot.example.org/telegram", stop))
    url = f"http://127.0.0.1:{settings.webhook_port}/{settings.webhook_path}"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(200):  # until it listens
                with contextlib.suppress(httpx.TransportError):
                    await client.post(url)
                    break
                await asyncio.sleep(0.02)
        yield url
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("configured", ["s3cret-token", None])
async def test_webhook_mode_needs_the_secret_and_answers_with_it(
    library: Library, telegram: FakeTelegram, unused_tcp_port: int, configured: str | None
) -> None:
    settings = bot_settings(
        library, telegram, webhook_listen="127.0.0.1", webhook_port=unused_tcp_port, webhook_secret=configured
    )
    telegram.user(USER_ID, "U")
    async with webhook_bot(settings, library) as url, httpx.AsyncClient() as client:
        (call,) = await telegram.wait_for_calls("setWebhook")
        secret = call.params["secret_token"]
        assert call.params["url"] == "https://bot.example.org/telegram"
        assert secret == configured if configured else len(secret) >= 32  # made for the run
        update = private_update(1, "瓦屋镇化解了多少矛盾纠纷")
        for headers in ({}, {SECRET_HEADER: "x"}, {SECRET_HEADER: secret[:-1]}):
            refused = await client.post(url, json=update, headers=headers)
            assert refused.status_code == 403
        ok = await client.post(url, json=update, headers={SECRET_HEADER: secret})
        assert ok.status_code == 200
        (reply,) = await telegram.wait_for_messages(USER_ID)
        assert "排查化解矛盾纠纷92起" in reply.text
        await asyncio.sleep(0.3)
        assert len(telegram.calls_to("sendMessage")) == 1  # the refused posts did nothing


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"update_id": "x"}', "application/json", 400),
        (b'{"update_id": 5, "message": {"chat": 3}}', "application/json", 400),
        (b'{"update_id": 5}', "text/plain", 415),
        (b'{"update_id": 5, "pad": "' + b"x" * 2_000_000 + b'"}', "application/json", 413),
    ],
)
async def test_webhook_refuses_malformed_bodies_with_4xx(
    library: Library,
    telegram: FakeTelegram,
    unused_tcp_port: int,
    body: bytes,
    content_type: str,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = bot_settings(
        library, telegram, webhook_listen="127.0.0.1", webhook_port=unused_tcp_port, webhook_secret="s3cret"
    )
    async with webhook_bot(settings, library) as url, httpx.AsyncClient() as client:
        headers = {SECRET_HEADER: "s3cret", "Content-Type": content_type}
        try:
            answer = await client.post(url, content=body, headers=headers)
            assert answer.status_code == status
        except httpx.TransportError:
            assert status == 413  # tornado hangs up on an over-long body without reading it
        assert telegram.calls_to("sendMessage") == []
    assert '"chat": 3' not in caplog.text  # a refused update's content is not logged


def serve(data: Path, **env: str) -> subprocess.Popen[str]:
    """`reportbot serve` in a process of its own (start-up failures end the process)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("REPORTBOT_")}
    full.update({"REPORTBOT_DATA_DIR": str(data), "REPORTBOT_RATE_LIMITER": "false", **env})
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "serve"],
        env=full,
        cwd=data.anchor,  # no .env there
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_telegram_start_up_failures_are_one_line_each_without_the_token(
    tmp_path: Path, shared_library: Library, telegram: FakeTelegram
) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    rejected_token = "7100000999:AAWrongTokenWrongTokenWrongToken_012"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nobody listens on
    base = {"REPORTBOT_TELEGRAM_TOKEN": telegram.token, "REPORTBOT_API_BASE_URL": telegram.base_url}
    cases = {
        "rejected": (serve(data, **{**base, "REPORTBOT_TELEGRAM_TOKEN": rejected_token}), "rejected"),
        "unreachable": (
            serve(
                data, **{**base, "REPORTBOT_API_BASE_URL": f"http://127.0.0.1:{closed.getsockname()[1]}/bot"}
            ),
            "cannot reach the Bot API",
        ),
    }
    for name, (process, expected) in cases.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1, (name, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (name, err)
        for token in (rejected_token, telegram.token):
            assert token.partition(":")[2] not in out + err
    closed.close()


@pytest.mark.parametrize("problem", ["damaged", "unwritable"])
def test_data_dir_failures_are_one_line(tmp_path: Path, problem: str, telegram: FakeTelegram) -> None:
    if problem == "damaged":
        data = tmp_path / "data"
        data.mkdir()
        (data / "reportbot.db").write_bytes(b"not a database " * 100)
        expected = "damaged"
    else:
        (tmp_path / "a-file").write_text("x")
        data, expected = tmp_path / "a-file" / "data", "REPORTBOT_DATA_DIR"
    env = {"REPORTBOT_TELEGRAM_TOKEN": telegram.token, "REPORTBOT_API_BASE_URL": telegram.base_url}
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "serve"], env=env)
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and expected in result.output
    assert "Traceback" not in result.output
