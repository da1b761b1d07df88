"""retrieval.checks: what is not a report is refused cheaply, with a one-line reason naming it."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from retrieval import checks
from retrieval.errors import UnreadableFile
from retrieval.library import Library
from tests.conftest import copy_data, docx_bytes

HEADER = ["张庄镇人民政府", "关于2024年法治政府建设情况的报告", "一、主要举措和成效"]


@pytest.fixture
def lib(tmp_path: Path, shared_library: Library) -> Library:
    return Library(copy_data(shared_library, tmp_path / "data"))


@pytest.mark.parametrize(
    ("paragraphs", "reason"),
    [
        (HEADER + ["全年调处矛盾纠纷147起，调解成功率达到98.6%。"] * 2000, "repeated 2000 times"),
        (HEADER + [f"第{i}项工作，全年办理案件{i}件，满意度提升。" for i in range(6000)], "6000 passages"),
    ],
)
def test_a_padded_report_is_refused_and_nothing_is_stored(
    tmp_path: Path, lib: Library, paragraphs: list[str], reason: str
) -> None:
    path = tmp_path / "张庄镇_2024.docx"
    path.write_bytes(docx_bytes(paragraphs))
    assert path.stat().st_size < 300_000  # small on disk
    with pytest.raises(UnreadableFile, match=reason):
        lib.parse(path.name, path.read_bytes())
    done, errors = lib.ingest([path])
    assert done == [] and len(errors) == 1 and reason in errors[0].reason
    assert "张庄镇_2024.docx" in str(errors[0])
    assert len(lib.reports()) == 5


def test_a_report_repeating_a_short_line_a_few_times_is_kept(tmp_path: Path, lib: Library) -> None:
    body = [f"（{i}）全年办理行政复议案件{i}件，纠错率12%。" for i in range(30)] + ["无。"] * 5
    path = tmp_path / "张庄镇_2024.docx"
    path.write_bytes(docx_bytes(HEADER + body))
    (done,), errors = lib.ingest([path])
    assert errors == [] and done.report.passage_count >= 30


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.txt"
    os.mkfifo(path)
    return path


def _sparse(tmp_path: Path) -> Path:
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as f:
        f.truncate(3 * 1024**3)  # 3 GB that take no disk
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: Path("/dev/zero"), "not a regular file"),
        (_fifo, "not a regular file"),
        (_sparse, "larger than 20 MB"),
    ],
)
def test_non_regular_and_huge_files_are_refused_unread(tmp_path: Path, make: object, reason: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(UnreadableFile, match=reason) as refused:
        checks.read_file(path)
    assert time.monotonic() - started < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300 * 1024  # KB: nothing read
    assert str(path) in str(refused.value)


def test_ingest_of_dev_zero_is_one_line(tmp_path: Path, shared_library: Library) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    result = CliRunner().invoke(cli, ["--data-dir", str(data), "ingest", "/dev/zero"])
    assert result.exit_code == 1
    assert result.output.strip() == "refused: /dev/zero: not a regular file (a device, FIFO or socket)"
