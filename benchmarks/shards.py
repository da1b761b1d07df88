"""Benchmark: the Xapian engine at several times a bench corpus (10M passages from 1M), on one
machine and on shards served by xapian-tcpsrv over loopback.

    python benchmarks/bench.py --passages 1000000 --workdir /tmp/b1m   # ingest 1M once
    python benchmarks/shards.py --workdir /tmp/b1m --copies 10 --shards 2

Tokenising ten million passages with jieba would take hours on two cores, so the corpus is
bench.py's ingested one, `--copies` times over: copy c of a passage keeps its tokens and is
in its own report (report id + c·stride), so every place has `copies` times the reports and
every term `copies` times the documents. The SQLite store keeps the one copy: a row of copy c
reads its passage from there (text, section and figures are the same), so SQLite's part of an
answer is the 1M store's; the index's part is the whole one's.

Steps, each in its own process: every shard is built by one process (the shards' processes run
side by side, as on one machine each), then a process answers from the shards opened locally
(one machine), then from `xapian-tcpsrv` on 127.0.0.1 (one server per shard, as an operator
runs one per machine). Results: a table on stdout and benchmarks/results/shards-*.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (benchmarks/ helpers: timing, percentiles, the HTML renderer)


def _stride(db: Path) -> int:
    conn = sqlite3.connect(db)
    top = int(conn.execute("SELECT max(id) FROM reports").fetchone()[0])
    conn.close()
    return top + 1


def rows(db: Path, copies: int) -> Iterator[tuple[int, list[str]]]:
    """(report id, tokens) of every row, copy by copy, each copy in passage id order (the
    order the index's rows are in)."""
    stride = _stride(db)
    conn = sqlite3.connect(db)
    for c in range(copies):
        for rid, tokens in conn.execute("SELECT report_id, tokens FROM passages ORDER BY id"):
            yield rid + c * stride, tokens.split()
    conn.close()


def index_dir(workdir: Path, copies: int, shards: int) -> Path:
    return workdir / f"xapian-{copies}x-{shards}"


def phase_build(workdir: Path, copies: int, shards: int, shard: int) -> dict[str, Any]:
    """Write shard `shard` of `shards`; its time and peak RSS."""
    from retrieval.xapian_index import XapianBuilder

    t = time.perf_counter()
    builder = XapianBuilder(index_dir(workdir, copies, shards), shards=shards, only=shard)
    for rid, tokens in rows(workdir / "ours" / "reportbot.db", copies):
        builder.add(tokens, rid)
    engine = builder.build()
    return {
        "seconds": time.perf_counter() - t,
        "rows": len(builder),
        "documents": len(engine),
        "peak_rss_mb": bench.peak_rss_mb(),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def phase_answer(
    workdir: Path, copies: int, shards: int, mode: str, answers: int, repeats: int
) -> dict[str, Any]:
    """Open the shards (locally, or through xapian-tcpsrv on loopback), put them behind the
    library's searcher and time retrieval, whole answers and the bot."""
    import asyncio

    import botload

    from retrieval.search import Index, Searcher
    from retrieval.xapian_index import XapianEngine, shard_paths

    path = index_dir(workdir, copies, shards)
    servers: list[subprocess.Popen[bytes]] = []
    t0 = time.perf_counter()
    try:
        if mode == "remote":
            addresses = []
            for p in shard_paths(path):
                port = free_port()
                servers.append(
                    subprocess.Popen(
                        ["xapian-tcpsrv", "--interface", "127.0.0.1", "--port", str(port), str(p)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,  # it signals its process group when stopped
                    )
                )
                addresses.append(("127.0.0.1", port))
            XapianEngine.wait_for(addresses, within_s=30)
            engine = XapianEngine.remote(addresses)
        else:
            engine = XapianEngine.open(shard_paths(path))
        opened = time.perf_counter() - t0

        from retrieval.library import Library

        lib = Library(bench._settings(workdir / "ours"))
        one = lib.searcher.index
        n1 = len(one)
        stride = _stride(lib.settings.db_path)
        offsets = np.repeat(np.arange(copies, dtype=np.int32) * stride, n1)
        index = Index(
            engine,
            np.tile(np.asarray(one.passage_ids), copies),
            np.tile(np.asarray(one.report_ids), copies) + offsets,
            np.tile(np.asarray(one.kinds), copies),
            np.tile(np.asarray(one.figures), copies),
        )
        assert len(engine) == len(index), (len(engine), len(index))
        reports = [
            dataclasses.replace(r, id=r.id + c * stride) for c in range(copies) for r in lib.store.reports()
        ]
        lib._refresh_places(reports)
        lib.searcher = Searcher(index, lib.store, lib.tokenizer, lib.understander, {r.id: r for r in reports})
        questions = json.loads((workdir / "questions.json").read_text("utf-8"))
        render, _ = bench.html_renderer()
        render(lib.ask(questions[0]))
        first = time.perf_counter() - t0
        queries = [lib.understander.understand(q) for q in questions]
        searchable = [q for q in queries if q.terms and lib.searcher._refuse(q) is None]
        everywhere = [dataclasses.replace(q, report_ids=None) for q in searchable]
        out: dict[str, Any] = {
            "mode": mode,
            "rows": len(index),
            "open_seconds": opened,
            "first_answer_seconds": first,
            "retrieval": bench.percentiles(bench.timed(lib.searcher.candidates, searchable, repeats)),
            "retrieval_all_rows": bench.percentiles(
                bench.timed(lib.searcher.candidates, everywhere, repeats)
            ),
            "answer": bench.percentiles(bench.timed(lambda q: render(lib.ask(q)), questions, repeats)),
            "answered": sum(lib.ask(q).answered for q in questions),
            "questions": len(questions),
        }
        out["bot"] = asyncio.run(botload.answers_per_second(lib, questions, answers))
        out["peak_rss_mb"] = bench.peak_rss_mb()
        out["servers_peak_rss_mb"] = [_peak_rss_of(p.pid) for p in servers]
        return out
    finally:
        for p in servers:
            p.terminate()
        for p in servers:
            p.wait(timeout=30)


def _peak_rss_of(pid: int) -> float:
    """A running process's (and its forked children's) high-water RSS, from /proc."""
    total = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("Pid", "0")) == pid or int(fields.get("PPid", "0").strip() or 0) == pid:
            total += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    return total


def _run(workdir: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--workdir", str(workdir), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"a phase failed ({proc.returncode})")
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True, help="a bench.py --workdir, ingested")
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--shards", type=int, default=2)
    ap.add_argument("--answers", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--skip-build", action="store_true", help="answer from shards built before")
    ap.add_argument("--build-only", action="store_true", help="build the shards, answer nothing")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="local", help=argparse.SUPPRESS)
    args = ap.parse_args()
    w = args.workdir
    if args.phase == "build":
        print(json.dumps(phase_build(w, args.copies, args.shards, args.shard)))
        return
    if args.phase == "answer":
        print(json.dumps(phase_answer(w, args.copies, args.shards, args.mode, args.answers, args.repeats)))
        return

    res: dict[str, Any] = {"copies": args.copies, "shards": args.shards}
    started = time.perf_counter()
    step = lambda s: print(f"[{time.perf_counter() - started:7.1f}s] {s}", flush=True)  # noqa: E731
    common = ("--copies", str(args.copies), "--shards", str(args.shards))
    if not args.skip_build:
        step(f"building {args.shards} shards of {args.copies}× the corpus, side by side")
        t = time.perf_counter()
        procs = [_run(w, "--phase", "build", "--shard", str(s), *common) for s in range(args.shards)]
        res["build"] = [_result(p) for p in procs]
        res["build_seconds"] = time.perf_counter() - t
    path = index_dir(w, args.copies, args.shards)
    res["index_mb"] = [
        sum(f.stat().st_size for f in (path / str(s)).rglob("*") if f.is_file()) / 1e6
        for s in range(args.shards)
    ]
    extra = ("--answers", str(args.answers), "--repeats", str(args.repeats))
    if args.build_only:
        print(json.dumps(res))
        return
    for mode in ("local", "remote"):
        step(f"answering from the shards ({mode})")
        res[mode] = _result(_run(w, "--phase", "answer", "--mode", mode, *common, *extra))
    step("done")
    print(table(res))
    out = bench.RESULTS / f"shards-{args.copies}x{args.shards}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"results: {out}")
    if shutil.which("du"):
        subprocess.run(["du", "-sh", str(path)], check=False)


def table(res: dict[str, Any]) -> str:
    rows_ = res["local"]["rows"]
    lines = [f"{rows_:,} rows on {res['shards']} shards ({res['copies']}× the corpus)", ""]
    lines.append("| | one machine (shards opened locally) | shards on xapian-tcpsrv (loopback) |")
    lines.append("| --- | --- | --- |")

    def both(f: Any) -> str:
        return " | ".join(f(res[m]) for m in ("local", "remote"))

    lines.append(
        "| retrieval, p50 / p99 | "
        + both(lambda r: f"{r['retrieval']['p50_ms']:.2f} / {r['retrieval']['p99_ms']:.1f} ms")
        + " |"
    )
    lines.append(
        "| retrieval over all rows, p50 / p99 | "
        + both(
            lambda r: f"{r['retrieval_all_rows']['p50_ms']:.2f} / {r['retrieval_all_rows']['p99_ms']:.1f} ms"
        )
        + " |"
    )
    lines.append(
        "| whole answer, p50 / p99 | "
        + both(lambda r: f"{r['answer']['p50_ms']:.1f} / {r['answer']['p99_ms']:.1f} ms")
        + " |"
    )
    lines.append(
        "| answers/s through the bot | " + both(lambda r: f"{r['bot']['answers_per_second']:.0f}") + " |"
    )
    lines.append("| open → first answer | " + both(lambda r: f"{r['first_answer_seconds']:.1f} s") + " |")
    lines.append("| peak RSS, answering process | " + both(lambda r: f"{r['peak_rss_mb']:,.0f} MB") + " |")
    if "build" in res:
        lines.append("")
        b = res["build"]
        lines.append(
            f"build: {res['build_seconds']:.0f} s wall, shards side by side; peak RSS per shard's process "
            + ", ".join(f"{x['peak_rss_mb']:,.0f} MB" for x in b)
        )
    lines.append("index on disk per shard: " + ", ".join(f"{m:,.0f} MB" for m in res["index_mb"]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
