"""Settings from the environment and .env."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from retrieval.config import Settings


def test_env_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "REPORTBOT_TELEGRAM_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n"
        "REPORTBOT_ADMIN_IDS=11, 22 33\n"
        f"REPORTBOT_DATA_DIR={tmp_path / 'd'}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("REPORTBOT_MAX_UPLOAD_MB", "3")
    s = Settings(_env_file=env)  # type: ignore[call-arg]
    assert s.admin_ids == frozenset({11, 22, 33})
    assert s.telegram_token is not None and s.telegram_token.get_secret_value().startswith("123456789:")
    assert s.db_path == tmp_path / "d" / "reportbot.db"
    assert s.max_upload_mb == 3
    assert "AAHdq" not in repr(s)  # the token never shows in logs


def test_blank_values_mean_unset(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("REPORTBOT_TELEGRAM_TOKEN=\nREPORTBOT_ADMIN_IDS=\n", encoding="utf-8")
    s = Settings(_env_file=env)  # type: ignore[call-arg]
    assert s.telegram_token is None and s.admin_ids == frozenset()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("telegram_token", "12:short"),
        ("admin_ids", "1,x"),
        ("engine", "lucene"),
        ("bm25_variant", "tfidf"),
        ("bm25_b", "2"),
        ("results_per_page", "0"),
        ("xapian_shards", "10.0.0.5"),
        ("xapian_shards", "10.0.0.5:http"),
        ("xapian_shards", "10.0.0.5:70000"),
    ],
)
def test_malformed_values_are_refused(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as e:
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type]
    assert field in str(e.value)


def test_example_env_lists_every_setting() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text("utf-8")
    for name in Settings.model_fields:
        assert f"REPORTBOT_{name.upper()}" in example, name


def test_default_data_dir_is_the_checkouts_own_state_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval import paths

    # this test runs from a checkout: its state goes beside data/, never into it
    got = paths.default_data_dir()
    assert got == Path(__file__).resolve().parent.parent / ".reportbot"
    assert not got.is_relative_to(paths.PACKAGE_DATA)


def test_default_data_dir_leaves_a_read_only_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval import paths

    monkeypatch.setattr(paths.os, "access", lambda path, mode: False)  # as site-packages owned by root
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.default_data_dir() == tmp_path / "xdg" / "reportbot"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.default_data_dir() == tmp_path / ".local" / "share" / "reportbot"


def test_xapian_shards_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTBOT_ENGINE", "xapian")
    monkeypatch.setenv("REPORTBOT_XAPIAN_SHARDS", " 10.0.0.5:7001, shard-b.internal:7002,[::1]:7003")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.xapian_shards == (("10.0.0.5", 7001), ("shard-b.internal", 7002), ("::1", 7003))
    monkeypatch.setenv("REPORTBOT_XAPIAN_SHARDS", "")
    assert Settings(_env_file=None).xapian_shards == ()  # type: ignore[call-arg]


def test_xapian_shards_need_the_xapian_engine() -> None:
    with pytest.raises(ValidationError, match="REPORTBOT_ENGINE=xapian"):
        Settings(_env_file=None, xapian_shards="10.0.0.5:7001")  # type: ignore[call-arg]
