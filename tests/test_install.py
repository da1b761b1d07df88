"""Packaging: a wheel carries the bundled data/ (the fresh-venv install is in .ci/run)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from retrieval.paths import PACKAGE_DATA

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_the_bundled_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("reportbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = PACKAGE_DATA.rglob("*.txt")
    expected = {f"reportbot_data/{p.relative_to(PACKAGE_DATA).as_posix()}" for p in bundled}
    expected |= {"reportbot_data/places.csv", "reportbot_data/towns.csv"}
    assert expected <= names
    assert len([n for n in names if n.startswith("reportbot_data/reports/")]) >= 5
    assert not [n for n in names if n.endswith(".db") or "/index/" in n]  # never a local database
