"""Re-tokenising a stored collection (what opening a database after a tokenizer change does,
and `reportbot reindex --retokenize`): passages/s on one core against on every core, over the
same sample of a bench work dir's passages, copied into a scratch database (the source is only
read).

    .venv/bin/python benchmarks/retokenize.py --db /tmp/perf1m/ours/reportbot.db --passages 100000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from retrieval import library as library_module
from retrieval.config import Settings
from retrieval.library import Library
from retrieval.store import EXTRACTOR_VERSION, Store
from retrieval.tokenize import Tokenizer


def sample(source: Path, data_dir: Path, passages: int) -> int:
    """Copy the reports holding the first `passages` passages of `source` into a new
    database in `data_dir`, marked as tokenised and figure-read by this version (so that
    opening it re-does neither); returns how many passages were copied."""
    Store(data_dir / "reportbot.db").close()
    conn = sqlite3.connect(data_dir / "reportbot.db")
    conn.execute("ATTACH DATABASE ? AS src", [f"file:{source}?mode=ro"])
    last = conn.execute(
        "SELECT report_id FROM src.passages ORDER BY id LIMIT 1 OFFSET ?", [passages - 1]
    ).fetchone()
    last_report = last[0] if last else 2**62
    cols = "id, title, issuer, year, places, source, sha256, outline, passage_count, added_at"
    with conn:
        conn.execute(
            f"INSERT INTO reports ({cols}) SELECT {cols} FROM src.reports WHERE id <= ?", [last_report]
        )
        conn.execute(
            "INSERT INTO passages (id, report_id, ordinal, section, text, tokens)"
            " SELECT id, report_id, ordinal, section, text, tokens FROM src.passages WHERE report_id <= ?",
            [last_report],
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'figures_format'", [EXTRACTOR_VERSION])
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('tokenizer', ?)", [Tokenizer().signature()]
        )
    n = int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])
    conn.close()
    return n


def timed(lib: Library, one_core: bool) -> tuple[float, float]:
    """Seconds to re-tokenise every passage of `lib`, on one core or on workers, and the CPU
    seconds this process and its workers spent on it."""
    saved = library_module.RETOKENIZE_POOL_MIN
    library_module.RETOKENIZE_POOL_MIN = 2**62 if one_core else 0
    try:
        before, t = os.times(), time.perf_counter()
        lib._retokenize(None)
        wall, after = time.perf_counter() - t, os.times()
    finally:
        library_module.RETOKENIZE_POOL_MIN = saved
    cpu = sum(
        getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system")
    )
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a reportbot.db to take passages from (read only)")
    ap.add_argument("--passages", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        n = sample(args.db.resolve(), data, args.passages)
        lib = Library(Settings(_env_file=None, data_dir=data))  # type: ignore[call-arg]
        print(f"{n:,} passages, {os.cpu_count()} cores", flush=True)
        # CPU seconds / wall seconds: 2.0 on two cores both busy; less, the machine's other load.
        one, cpu = timed(lib, one_core=True)
        print(f"one core:  {one:7.1f} s  {n / one:8.0f} passages/s  (cpu/wall {cpu / one:.2f})", flush=True)
        every, cpu = timed(lib, one_core=False)
        print(
            f"workers:   {every:7.1f} s  {n / every:8.0f} passages/s  (cpu/wall {cpu / every:.2f})"
            f"  {one / every:.2f}× one core"
        )
        lib.store.close()


if __name__ == "__main__":
    main()
