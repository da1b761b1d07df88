"""Cheap refusals of hostile or broken input, before it costs memory or fills the index.

A file is checked before it is read (a regular file, within the size limit: `/dev/zero`, a
FIFO or a sparse 3 GB file are refused from `stat` alone), and a parsed report before it is
stored (a few thousand passages at most, and no paragraph repeated dozens of times: a small
.docx can hold half a million copies of one sentence, which would then crowd every answer).
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from pathlib import Path

from retrieval.errors import Unreadable, UnreadableFile
from retrieval.models import ParsedReport
from retrieval.read import MAX_FILE_BYTES

# The bundled and development reports have 20 to 300 passages; a yearly report with more
# than this is not one report.
MAX_PASSAGES = 5000
# Real reports repeat a short line now and then (a signature, 无); dozens of copies of one
# paragraph are padding or an attack.
MAX_REPEATS = 20


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, refused unread when it is something else or too big (and
    never more than `limit` + 1 bytes read, should it grow meanwhile). Raises UnreadableFile."""
    try:
        # stat before open: opening a FIFO would wait for a writer, forever.
        _check_stat(path, os.stat(path), limit)
        with open(path, "rb", buffering=0) as f:
            _check_stat(path, os.fstat(f.fileno()), limit)  # the file opened is the file checked
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise UnreadableFile(str(path), "no such file", Unreadable.MISSING) from None
    except OSError as e:
        raise UnreadableFile(str(path), e.strerror or "cannot be read", Unreadable.CANNOT_OPEN) from None
    if len(data) > limit:
        raise _too_large(path, limit)
    return data


def _check_stat(path: Path, st: os.stat_result, limit: int) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableFile(str(path), "is a folder with no report files", Unreadable.FOLDER)
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableFile(
            str(path), "not a regular file (a device, FIFO or socket)", Unreadable.NOT_REGULAR
        )
    if st.st_size > limit:
        raise _too_large(path, limit)


def check_report(parsed: ParsedReport, name: str | None = None) -> None:
    """Raise UnreadableFile if a parsed report is too big or mostly repeats itself."""
    shown = name or parsed.source
    n = len(parsed.passages)
    if n > MAX_PASSAGES:
        raise UnreadableFile(
            shown,
            f"{n} passages: more than {MAX_PASSAGES}, not one report",
            Unreadable.TOO_MANY_PASSAGES,
            str(n),
        )
    if n > MAX_REPEATS:
        text, count = Counter(p.text for p in parsed.passages).most_common(1)[0]
        if count > MAX_REPEATS:
            raise UnreadableFile(
                shown,
                f"one paragraph repeated {count} times ({text[:20]}…)",
                Unreadable.REPETITIVE,
                str(count),
            )


def _too_large(path: Path, limit: int) -> UnreadableFile:
    mb = str(limit // (1024 * 1024))
    return UnreadableFile(str(path), f"file is larger than {mb} MB", Unreadable.TOO_LARGE, mb)
