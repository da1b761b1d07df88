"""Start-up: the serve command's one-line refusals, and the application's wiring."""

from __future__ import annotations

import inspect

import pytest
from click.testing import CliRunner

from bot import admin, handlers
from bot.app import build_application
from bot.cli import cli
from retrieval.library import Library
from tests.conftest import bot_settings, make_settings
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
