"""Bulk ingest on every core: worker processes read and parse report files and tokenise their
passages, while the library's own process checks for duplicates and stores.

Tokens come out exactly as `Library.add` makes them one report at a time: the tokenizer
depends only on bundled data (see retrieval.tokenize), so each worker builds its own from the
same files and needs nothing else from the library's process.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import TracebackType

from retrieval import checks
from retrieval.errors import Unreadable, UnreadableFile
from retrieval.figures import figures_in
from retrieval.models import Figure, ParsedReport
from retrieval.parse import parse_document
from retrieval.places import Gazetteer
from retrieval.read import read_document
from retrieval.tokenize import Tokenizer

# Ingests before workers shared nothing kept a change log in a folder named so (+ the owning
# process's pid + "-"); the library's start removes those a killed ingest left behind.
TEMP_PREFIX = "reportbot-ingest-"
PARENT_CHECK_SECONDS = 0.5  # how often a worker checks that the process that started it lives
POOL_MIN_BYTES = 2_000_000  # less text than this (~3,000 passages) is quicker in one process
BATCH_FILES = 200  # files parsed, then tokenised, then stored, per round


def parse_report(
    name: str, data: bytes, gazetteer: Gazetteer, pages: Callable[[int, int], None] | None = None
) -> ParsedReport:
    """Read and parse a file's bytes into a report; `pages(page, pages)` is told of each PDF
    page read (OCR takes seconds a page). Raises UnreadableFile."""
    parsed = parse_document(read_document(name, data, pages), Path(name).name, data, gazetteer)
    if not parsed.passages:
        raise UnreadableFile(name, "no body paragraphs found", Unreadable.NO_PASSAGES)
    checks.check_report(parsed, name)
    return parsed


def read_file(path: Path) -> bytes:
    """A file's bytes; only a regular file within the size limit is read (see
    retrieval.checks). Raises UnreadableFile."""
    return checks.read_file(path)


def worth_workers(paths: Sequence[Path]) -> bool:
    """Whether ingesting these files is big enough to pay for starting worker processes."""
    if (os.cpu_count() or 1) < 2 or len(paths) < 2:
        return False
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size
        except OSError:
            continue
        if total >= POOL_MIN_BYTES:
            return True
    return False


def sweep_temp_dirs(parent: Path | None = None) -> list[Path]:
    """Remove the temporary folders of bulk ingests whose process is gone (killed, so its
    own clean-up never ran); returns those removed."""
    removed = []
    for d in Path(parent or tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*-*"):
        pid = d.name.removeprefix(TEMP_PREFIX).partition("-")[0]
        if pid.isdigit() and not _alive(int(pid)) and d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Workers:
    """A pool of worker processes for one bulk ingest; use as a context manager."""

    def __init__(self, tokenizer: Tokenizer, gazetteer: Gazetteer, processes: int | None = None) -> None:
        # spawn, not fork: the library's process may be running threads (the bot's).
        self._pool = ProcessPoolExecutor(
            processes or os.cpu_count() or 1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(tokenizer.user_dict, tokenizer.stopwords_path, tokenizer.places_path, gazetteer),
        )

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.shutdown(cancel_futures=error is not None)

    def parse(self, paths: Sequence[Path]) -> Iterator[ParsedReport | UnreadableFile]:
        """Each file read and parsed, in order. The work starts at once; iterate to collect."""
        results = self._pool.map(_parse, [str(p) for p in paths], chunksize=4)
        return (r if isinstance(r, ParsedReport) else UnreadableFile(*r) for r in results)

    def figures(self, jobs: Sequence[list[str]]) -> Iterator[list[list[Figure]]]:
        """For each job (passages' texts), each text's figures (figures.figures_in). In order;
        the work starts at once."""
        return self._pool.map(_figures, jobs)

    def tokenize(self, jobs: Sequence[list[str]]) -> Iterator[list[str]]:
        """For each job (a report's texts), the texts' tokens joined by spaces. In order; the
        work starts at once."""
        return self._pool.map(_tokenize, jobs)


# --- in the worker processes -------------------------------------------------------------------


class _Worker:
    def __init__(self, user_dict: Path, stopwords: Path, places: Path, gazetteer: Gazetteer) -> None:
        self.tokenizer = Tokenizer(user_dict, stopwords, places)
        self.gazetteer = gazetteer


_worker: _Worker | None = None


def _start_worker(user_dict: Path, stopwords: Path, places: Path, gazetteer: Gazetteer) -> None:
    global _worker
    # A worker outlives a parent killed with -9 (nothing tells it): it watches for that.
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    _worker = _Worker(user_dict, stopwords, places, gazetteer)


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        if os.getppid() != parent:  # reparented: the parent is gone
            os._exit(1)


def _parse(path: str) -> ParsedReport | tuple[str, str, Unreadable, str]:
    # UnreadableFile does not survive pickling (its arguments are not its message): send fields.
    assert _worker is not None
    try:
        return parse_report(path, read_file(Path(path)), _worker.gazetteer)
    except UnreadableFile as e:
        return e.name, e.reason, e.kind, e.detail


def _figures(texts: list[str]) -> list[list[Figure]]:
    return [figures_in(t) for t in texts]


def _tokenize(texts: list[str]) -> list[str]:
    assert _worker is not None
    return [" ".join(_worker.tokenizer.tokens(t)) for t in texts]
