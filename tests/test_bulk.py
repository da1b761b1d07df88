"""retrieval.bulk: worker processes die with their parent, even one killed with -9, and what
it left in the temporary folder is removed on the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from retrieval import bulk
from tests.conftest import BUNDLED_REPORTS

INGEST = """
import sys
from pathlib import Path
from retrieval.config import Settings
from retrieval.library import Library
lib = Library(Settings(_env_file=None, data_dir=Path(sys.argv[1]), bundled_reports=Path(sys.argv[2])))
lib.ingest([Path(sys.argv[3])])
"""


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def cpu_seconds(pid: int) -> float:
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_worker(pid: int) -> bool:
    """A pool worker, not multiprocessing's resource tracker."""
    try:
        return b"spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_die_with_a_parent_killed_with_9(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    lines = [
        line for p in sorted(BUNDLED_REPORTS.glob("*.txt")) for line in p.read_text("utf-8").splitlines()
    ]
    for i in range(8):  # 6 MB: worker processes, each with seconds of work in one task
        body = [f"{n}、{line}" for n in range(20) for line in lines if line.strip()]
        (reports / f"县{i}_2024.txt").write_text("\n".join([f"第{i}县人民政府", *body]), "utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    empty = tmp_path / "none"
    empty.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    parent = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(tmp_path / "data"), str(empty), str(reports)], env=env
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        # Until the workers are busy parsing (past their start-up): a worker between tasks
        # would notice its parent's end anyway; one in the middle of a long task would not.
        while time.monotonic() < deadline:
            time.sleep(0.1)
            workers = [c for c in children(parent.pid) if alive(c) and is_worker(c)]
            if len(workers) >= 2 and min(cpu_seconds(w) for w in workers) > 1.5:
                break
        assert workers, "no worker processes started"
        assert parent.poll() is None, "the ingest finished before it could be killed"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(5)
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and any(alive(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)], "orphaned workers"
    finally:
        if parent.poll() is None:
            parent.kill()
    # Workers no longer share a change log, so a killed ingest leaves no folder behind.
    assert not list(temp.glob(f"{bulk.TEMP_PREFIX}{parent.pid}-*"))


def test_sweep_keeps_the_folders_of_running_ingests(tmp_path: Path) -> None:
    mine = tempfile.mkdtemp(prefix=f"{bulk.TEMP_PREFIX}{os.getpid()}-", dir=tmp_path)
    assert bulk.sweep_temp_dirs(tmp_path) == []
    assert Path(mine).is_dir()


def test_sweep_removes_the_folders_of_ingests_that_are_gone(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = tempfile.mkdtemp(prefix=f"{bulk.TEMP_PREFIX}{done.stdout.strip()}-", dir=tmp_path)
    assert bulk.sweep_temp_dirs(tmp_path) == [Path(dead)]
    assert not Path(dead).exists()
