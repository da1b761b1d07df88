"""Shared fixtures: settings pointing at a temporary data directory, and libraries built from
the bundled reports (real SQLite, real index, in tmp dirs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.config import Settings
from retrieval.library import Library
from retrieval.places import PACKAGE_DATA

TESTS_DATA = Path(__file__).parent / "data"
BUNDLED_REPORTS = PACKAGE_DATA / "reports"


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: a private data dir, no .env, nothing from the environment's token."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def library(settings: Settings) -> Iterator[Library]:
    """A fresh library seeded from the bundled reports; safe to change."""
    lib = Library(settings)
    yield lib
    lib.store.close()


@pytest.fixture(scope="session")
def shared_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """One library for the whole session, for tests that only ask questions."""
    lib = Library(make_settings(tmp_path_factory.mktemp("shared") / "data"))
    yield lib
    lib.store.close()


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    """Settings whose bundled-reports folder is empty, so the library starts with nothing."""
    empty = tmp_path / "no-reports"
    empty.mkdir()
    return make_settings(tmp_path / "data", bundled_reports=empty)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
