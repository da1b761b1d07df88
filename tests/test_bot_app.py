"""Start-up: the serve command's one-line refusals, and the application's wiring."""

from __future__ import annotations

import inspect

import httpx
import pytest
from click.testing import CliRunner

from bot import admin, handlers
from bot.app import build_application, webhook_options
from bot.cli import cli
from retrieval.library import Library
from tests.conftest import USER_ID, bot_settings, make_settings
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
        for module in (handlers, admin)
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction)
        if not name.startswith("_") and fn.__module__ == module.__name__
    }
    public -= {handlers.answer_question, handlers.on_error}  # a helper, and the error handler
    assert public <= registered, public - registered
    assert app.error_handlers and handlers.on_error in app.error_handlers


async def test_webhook_mode_receives_updates_and_answers(
    library: Library, telegram: FakeTelegram, unused_tcp_port: int
) -> None:
    settings = bot_settings(
        library,
        telegram,
        webhook_listen="127.0.0.1",
        webhook_port=unused_tcp_port,
        webhook_secret="s3cret-token",
    )
    public = "https://bot.example.org/telegram"  # what Telegram calls; a proxy forwards to us
    url = f"http://127.0.0.1:{unused_tcp_port}/{settings.webhook_path}"
    app = build_application(settings, library)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(**webhook_options(settings, public))
        try:
            (call,) = await telegram.wait_for_calls("setWebhook")
            assert call.params["url"] == public and call.params["secret_token"] == "s3cret-token"
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": USER_ID, "type": "private", "first_name": "U"},
                    "from": {"id": USER_ID, "is_bot": False, "first_name": "U"},
                    "text": "瓦屋镇化解了多少矛盾纠纷",
                },
            }
            telegram.user(USER_ID, "U")
            async with httpx.AsyncClient() as client:
                wrong = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
                assert wrong.status_code == 403
                ok = await client.post(
                    url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
                )
                assert ok.status_code == 200
            (reply,) = await telegram.wait_for_messages(USER_ID)
            assert "排查化解矛盾纠纷92起" in reply.text
        finally:
            await app.updater.stop()
            await app.stop()
