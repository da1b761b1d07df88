"""Benchmark: the Xapian engine at several times a bench corpus (10M passages from 1M), on one
machine and on shards served by xapian-tcpsrv over loopback.

    python benchmarks/bench.py --passages 1000000 --workdir /tmp/b1m   # ingest 1M once
    python benchmarks/shards.py --workdir /tmp/b1m --copies 10 --shards 2

Tokenising ten million passages with jieba would take hours on two cores, so the corpus is
bench.py's ingested one, `--copies` times over: copy c of a passage keeps its tokens and is
in its own report (report id + c·stride), so every place has `copies` times the reports and
every term `copies` times the documents. The database of the copies (workdir/ours-Nx) is
made in SQL from the 1M one (reports, passages and figures; ~20 GB for 10×), so the library
opens and answers from a store as big as the index.

Steps, each in its own process: every shard is built by one process (the shards' processes run
side by side, as on one machine each; from the 1M database's tokens, copy by copy, the rows
the copied database holds), the database is copied, then a process answers from the shards
opened locally (one machine), then one from `xapian-tcpsrv` on 127.0.0.1 (one server per
shard, as an operator runs one per machine), then a fresh process opens the shards again (on
the rows the first open saved). Results: a table on stdout and benchmarks/results/shards-*.json.
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
from typing import TYPE_CHECKING, Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench  # noqa: E402  (benchmarks/ helpers: timing, percentiles, the HTML renderer)

if TYPE_CHECKING:
    from retrieval.library import Library


def _stride(db: Path) -> int:
    conn = sqlite3.connect(db)
    top = int(conn.execute("SELECT max(id) FROM reports").fetchone()[0])
    conn.close()
    return top + 1


def rows(db: Path, copies: int) -> Iterator[tuple[int, str]]:
    """(report id, stored tokens, space-separated) of every row, copy by copy, each copy in
    passage id order (the order the index's rows are in)."""
    stride = _stride(db)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for c in range(copies):
        for rid, tokens in conn.execute("SELECT report_id, tokens FROM passages ORDER BY id"):
            yield rid + c * stride, tokens
    conn.close()


def copied_db(workdir: Path, copies: int) -> Path:
    """Where make_db writes the database of `copies` copies."""
    return workdir / f"ours-{copies}x" / "reportbot.db"


def make_db(workdir: Path, copies: int) -> dict[str, Any]:
    """A reportbot database holding `copies` copies of the 1M one, row for row as `rows`
    deals them: copy c of report r is report r + c·stride, of passage p passage p + c·pstride,
    with its figures. Rows are copied in SQL (jieba would take hours); reports get their own
    sha256 (a unique column) and source; the database gets its own id, so no index saved for
    the 1M one is taken for it."""
    import uuid

    src = workdir / "ours" / "reportbot.db"
    out = copied_db(workdir, copies)
    out.parent.mkdir(parents=True, exist_ok=True)
    for f in out.parent.glob("reportbot.db*"):
        f.unlink()
    t = time.perf_counter()
    conn = sqlite3.connect(out, isolation_level=None)
    with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as source:
        source.backup(conn)  # copy 0, with what the source's write-ahead log holds
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-500000")  # 500 MB: the indexes' pages stay in memory
    conn.execute("ATTACH ? AS src", [f"file:{src}?mode=ro"])
    stride = _stride(src)
    pstride = int(conn.execute("SELECT max(id) FROM src.passages").fetchone()[0]) + 1

    def columns(table: str) -> list[str]:
        return [r[1] for r in conn.execute(f"PRAGMA src.table_info({table})")]

    shifted = {
        "reports": {"id": "id + :rs", "sha256": "sha256 || '-' || :c", "source": "source || '#' || :c"},
        "passages": {"id": "id + :ps", "report_id": "report_id + :rs"},
        "figures": {"passage_id": "passage_id + :ps", "report_id": "report_id + :rs"},
    }
    conn.execute("BEGIN")
    for c in range(1, copies):
        for table, change in shifted.items():
            cols = columns(table)
            select = ", ".join(change.get(col, col) for col in cols)
            names = ", ".join(f'"{col}"' for col in cols)
            order = " ORDER BY id" if "id" in cols else " ORDER BY rowid"
            conn.execute(
                f"INSERT INTO main.{table} ({names}) SELECT {select} FROM src.{table}{order}",
                {"rs": c * stride, "ps": c * pstride, "c": c},
            )
    top_r = int(conn.execute("SELECT max(id) FROM reports").fetchone()[0])
    top_p = int(conn.execute("SELECT max(id) FROM passages").fetchone()[0])
    for key, value in (
        ("db_id", uuid.uuid4().hex),
        ("last_report_id", str(top_r)),
        ("last_passage_id", str(top_p)),
        ("generation", str(top_r)),
    ):
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", [value, key])
    conn.execute("COMMIT")
    passages = int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])
    reports = int(conn.execute("SELECT count(*) FROM reports").fetchone()[0])
    conn.close()
    return {
        "seconds": time.perf_counter() - t,
        "passages": passages,
        "reports": reports,
        "db_mb": out.stat().st_size / 1e6,
    }


def index_dir(workdir: Path, copies: int, shards: int) -> Path:
    return workdir / f"xapian-{copies}x-{shards}"


def phase_build(workdir: Path, copies: int, shards: int, shard: int) -> dict[str, Any]:
    """Write shard `shard` of `shards`; its time and peak RSS."""
    from retrieval.xapian_index import XapianBuilder

    t = time.perf_counter()
    builder = XapianBuilder(index_dir(workdir, copies, shards), shards=shards, only=shard)
    for row, (rid, tokens) in enumerate(rows(workdir / "ours" / "reportbot.db", copies)):
        # Another shard's row only counts: splitting its tokens would be wasted.
        builder.add(tokens.split() if row % shards == shard else (), rid)
    engine = builder.build()
    return {
        "seconds": time.perf_counter() - t,
        "rows": len(builder),
        "documents": len(engine),
        "peak_rss_mb": bench.peak_rss_mb(),
    }


def phase_assemble(
    workdir: Path, copies: int, shards: int, shard: int, source: Path, have: int
) -> dict[str, Any]:
    """Shard `shard` of `copies` copies from shard `shard` of an index of `have` copies
    (built by phase_build): the source's documents, their report and row terms moved on by
    `have` copies at a time, then joined in order by xapian-compact. Each document keeps the
    terms a build would give it, at a third of the CPU (building was starved of CPU on a
    shared machine; phase_build measures a build from the tokens)."""
    import xapian

    db = workdir / "ours" / "reportbot.db"
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    report_of = np.fromiter(
        (r for (r,) in conn.execute("SELECT report_id FROM passages ORDER BY id")), np.int64
    )
    conn.close()
    n1, stride = len(report_of), _stride(db)
    if copies % have or (have * n1) % shards:
        raise SystemExit(f"{copies} copies cannot be made of {have} with each row on its shard")
    t = time.perf_counter()
    src = source / str(shard)
    pieces_dir = workdir / f"pieces-{copies}x-{shards}-{shard}"
    shutil.rmtree(pieces_dir, ignore_errors=True)
    pieces = [src]
    for m in range(1, copies // have):
        piece = pieces_dir / str(m)
        shutil.copytree(src, piece)
        out = xapian.WritableDatabase(str(piece), xapian.DB_OPEN)
        moved_rows, moved_reports = m * have * n1, m * have * stride
        for docid in range(1, out.get_lastdocid() + 1):
            row = (docid - 1) * shards + shard
            c, j = divmod(row, n1)
            rid = int(report_of[j]) + c * stride
            doc = out.get_document(docid)
            doc.remove_term(f"R{rid}")
            doc.remove_term(f"Q{row}")
            doc.add_boolean_term(f"R{rid + moved_reports}")
            doc.add_boolean_term(f"Q{row + moved_rows}")
            out.replace_document(docid, doc)  # only the changed terms are written
        out.commit()
        out.close()
        pieces.append(piece)
    renamed = time.perf_counter() - t
    dest = index_dir(workdir, copies, shards) / str(shard)
    shutil.rmtree(dest, ignore_errors=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["xapian-compact", *map(str, pieces), str(dest)], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(pieces_dir)
    return {
        "seconds": time.perf_counter() - t,
        "rename_seconds": renamed,
        "documents": xapian.Database(str(dest)).get_doccount(),
        "peak_rss_mb": bench.peak_rss_mb(),
        "assembled_from": str(source),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(paths: list[Path]) -> tuple[list[subprocess.Popen[bytes]], list[tuple[str, int]]]:
    """One xapian-tcpsrv on 127.0.0.1 per shard, as an operator runs one per machine."""
    servers, addresses = [], []
    for p in paths:
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
    return servers, addresses


def _stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for p in servers:
        p.terminate()
    for p in servers:
        p.wait(timeout=30)


def _library_on_served_shards(
    workdir: Path, copies: int, shards: int
) -> tuple[Library, list[subprocess.Popen[bytes]], list[Path]]:
    """The library on the database of `copies` copies, its shards served by xapian-tcpsrv on
    loopback (the servers, to stop, and the shards' paths). The library reads each row's
    report, part and figures from the database, or the rows a first open saved, and checks
    them against the shards."""
    from retrieval.config import Settings
    from retrieval.library import Library
    from retrieval.xapian_index import XapianEngine, shard_paths

    paths = shard_paths(index_dir(workdir, copies, shards))
    servers, addresses = _serve(paths)
    try:
        XapianEngine.wait_for(addresses, within_s=60)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=copied_db(workdir, copies).parent,
            engine="xapian",
            xapian_shards=tuple(addresses),
        )
        return Library(settings), servers, paths
    except BaseException:
        _stop(servers)
        raise


def phase_answer(
    workdir: Path,
    copies: int,
    shards: int,
    modes: list[str],
    answers: int,
    repeats: int,
    know_reports: bool = True,
) -> dict[str, Any]:
    """Open the library on the database of `copies` copies with the shards served by
    xapian-tcpsrv on loopback, and time retrieval, whole answers and the bot ("remote"); then
    with the same shards opened in this process ("local": one machine holding them all). The
    library opens once (at 10M it reads every row, minutes), so only the first mode measures
    a fresh process's first answer."""
    import asyncio

    import botload

    from retrieval.search import CANDIDATES, SYNONYM_WEIGHT
    from retrieval.xapian_index import XapianEngine

    questions = json.loads((workdir / "questions.json").read_text("utf-8"))
    render, _ = bench.html_renderer()
    t0 = time.perf_counter()
    lib, servers, paths = _library_on_served_shards(workdir, copies, shards)
    opened = time.perf_counter() - t0
    res: dict[str, Any] = {}
    try:
        for mode in sorted(modes, key=lambda m: m != "remote"):
            if mode == "local":
                lib.searcher.index.engine = XapianEngine.open(paths)
                _stop(servers)
                servers = []
            if know_reports:
                # What search.py would do for a Xapian index: hand it each row's report.
                lib.searcher.index.engine.know_reports(lib.searcher.index.report_ids)
            out: dict[str, Any] = {"mode": mode, "know_reports": know_reports}
            if not res:
                render(lib.ask(questions[0]))
                out["open_seconds"] = opened
                out["first_answer_seconds"] = time.perf_counter() - t0
            queries = [lib.understander.understand(q) for q in questions]
            searchable = [q for q in queries if q.terms and lib.searcher._refuse(q) is None]
            everywhere = [dataclasses.replace(q, report_ids=None) for q in searchable]
            out["rows"] = len(lib.searcher.index)
            out["reports"] = len(lib.searcher.reports)
            out["retrieval"] = bench.percentiles(bench.timed(lib.searcher.candidates, searchable, repeats))
            out["retrieval_all_rows"] = bench.percentiles(
                bench.timed(lib.searcher.candidates, everywhere, repeats)
            )
            if mode == "local":
                # What one machine of `shards` does for a question over all rows: its own
                # shard alone (the others search theirs at the same time).
                one = XapianEngine.open(paths[:1])
                bm25 = [lib.searcher._bm25_terms(q) for q in everywhere]
                out["retrieval_one_shard"] = bench.percentiles(
                    bench.timed(
                        lambda ts, e=one: e.top(ts[0], CANDIDATES, ts[1], SYNONYM_WEIGHT), bm25, repeats
                    )
                )
            times = bench.timed(lambda q: render(lib.ask(q)), questions, repeats)
            out["answer"] = bench.percentiles(times)
            slowest = sorted(zip(times, questions * repeats, strict=True), reverse=True)[:5]
            out["slowest_answers"] = [[round(t * 1000, 1), q] for t, q in slowest]
            out["answered"] = sum(lib.ask(q).answered for q in questions)
            out["questions"] = len(questions)
            out["bot"] = asyncio.run(botload.answers_per_second(lib, questions, answers))
            out["peak_rss_mb"] = bench.peak_rss_mb()  # the process's, over this mode and those before
            out["servers_peak_rss_mb"] = [_peak_rss_of(p.pid) for p in servers]
            res[mode] = out
        return res
    finally:
        _stop(servers)


def phase_reopen(workdir: Path, copies: int, shards: int) -> dict[str, Any]:
    """A fresh process's start on the shards after the answer phase's: the library
    memory-maps the rows that one saved rather than reading the database, and checks them
    against the shards. Time to its first answer, from starting the servers."""
    questions = json.loads((workdir / "questions.json").read_text("utf-8"))
    render, _ = bench.html_renderer()
    t0 = time.perf_counter()
    lib, servers, _paths = _library_on_served_shards(workdir, copies, shards)
    opened = time.perf_counter() - t0
    try:
        render(lib.ask(questions[0]))
        return {
            "open_seconds": opened,
            "first_answer_seconds": time.perf_counter() - t0,
            "saved_rows_used": isinstance(lib.searcher.index.report_ids, np.memmap),
            "peak_rss_mb": bench.peak_rss_mb(),
        }
    finally:
        _stop(servers)


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
    ap.add_argument(
        "--assemble-from",
        type=int,
        metavar="K",
        help="make the shards from those of K copies (built before) by moving their report and row terms on",
    )
    ap.add_argument(
        "--filter-reports",
        action="store_true",
        help="narrow questions by a filter of report terms, as the library does until it hands "
        "the engine each row's report (XapianEngine.know_reports)",
    )
    ap.add_argument("--modes", default="local,remote", help="local, remote or both")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    w = args.workdir
    if args.phase == "build":
        print(json.dumps(phase_build(w, args.copies, args.shards, args.shard)))
        return
    if args.phase == "assemble":
        have = args.assemble_from
        source = index_dir(w, have, args.shards)
        print(json.dumps(phase_assemble(w, args.copies, args.shards, args.shard, source, have)))
        return
    if args.phase == "reopen":
        print(json.dumps(phase_reopen(w, args.copies, args.shards)))
        return
    if args.phase == "answer":
        modes = args.modes.split(",")
        know = not args.filter_reports
        print(json.dumps(phase_answer(w, args.copies, args.shards, modes, args.answers, args.repeats, know)))
        return

    res: dict[str, Any] = {"copies": args.copies, "shards": args.shards}
    started = time.perf_counter()
    step = lambda s: print(f"[{time.perf_counter() - started:7.1f}s] {s}", flush=True)  # noqa: E731
    common = ("--copies", str(args.copies), "--shards", str(args.shards))
    if not args.skip_build:
        phase = ("--phase", "build")
        if args.assemble_from:
            phase = ("--phase", "assemble", "--assemble-from", str(args.assemble_from))
        step(f"{phase[1]} {args.shards} shards of {args.copies}× the corpus, side by side")
        t = time.perf_counter()
        procs = [_run(w, *phase, "--shard", str(s), *common) for s in range(args.shards)]
        res["build"] = [_result(p) for p in procs]
        res["build_seconds"] = time.perf_counter() - t
    db = copied_db(w, args.copies)
    if not db.exists():
        step(f"copying the database {args.copies}× in SQL")
        res["db"] = make_db(w, args.copies)
    res["db_mb"] = db.stat().st_size / 1e6
    path = index_dir(w, args.copies, args.shards)
    res["index_mb"] = [
        sum(f.stat().st_size for f in (path / str(s)).rglob("*") if f.is_file()) / 1e6
        for s in range(args.shards)
    ]
    extra = ("--answers", str(args.answers), "--repeats", str(args.repeats))
    if args.filter_reports:
        extra = (*extra, "--filter-reports")
    if args.build_only:
        print(json.dumps(res))
        return
    step(f"answering from the shards ({args.modes})")
    res.update(_result(_run(w, "--phase", "answer", "--modes", args.modes, *common, *extra)))
    if "remote" in args.modes.split(","):
        step("opening again in a fresh process (the rows saved by the first)")
        res["reopen"] = _result(_run(w, "--phase", "reopen", *common))
    step("done")
    print(table(res))
    out = bench.RESULTS / f"shards-{args.copies}x{args.shards}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"results: {out}")
    if shutil.which("du"):
        subprocess.run(["du", "-sh", str(path)], check=False)


def table(res: dict[str, Any]) -> str:
    modes = [m for m in ("local", "remote") if m in res]
    rows_ = res[modes[0]]["rows"]
    reports = res[modes[0]]["reports"]
    lines = [
        f"{rows_:,} rows of {reports:,} reports on {res['shards']} shards ({res['copies']}× the corpus)",
        "",
    ]
    heads = {"local": "one machine (shards opened locally)", "remote": "shards on xapian-tcpsrv (loopback)"}
    lines.append("| | " + " | ".join(heads[m] for m in modes) + " |")
    lines.append("| --- |" + " --- |" * len(modes))

    def both(f: Any) -> str:
        return " | ".join(f(res[m]) for m in modes)

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
    if "retrieval_one_shard" in res.get("local", {}):
        r = res["local"]["retrieval_one_shard"]
        lines.append(
            f"| one shard alone, over its rows (a machine's part), p50 / p99 | "
            f"{r['p50_ms']:.2f} / {r['p99_ms']:.1f} ms |" + (" |" if len(modes) > 1 else "")
        )
    lines.append(
        "| whole answer, p50 / p99 | "
        + both(lambda r: f"{r['answer']['p50_ms']:.1f} / {r['answer']['p99_ms']:.1f} ms")
        + " |"
    )
    lines.append(
        "| answers/s through the bot | " + both(lambda r: f"{r['bot']['answers_per_second']:.0f}") + " |"
    )
    lines.append(
        "| open → first answer (a fresh process, the first mode) | "
        + both(lambda r: f"{r['first_answer_seconds']:.1f} s" if "first_answer_seconds" in r else "–")
        + " |"
    )
    if "reopen" in res:
        r = res["reopen"]
        lines.append(
            "| open again → first answer (a fresh process, rows saved by the first) | "
            + " | ".join(
                f"{r['first_answer_seconds']:.1f} s" + ("" if r["saved_rows_used"] else " (rows read again)")
                if m == "remote"
                else "–"
                for m in modes
            )
            + " |"
        )
    lines.append("| peak RSS, answering process | " + both(lambda r: f"{r['peak_rss_mb']:,.0f} MB") + " |")
    if "build" in res:
        lines.append("")
        b = res["build"]
        lines.append(
            f"build: {res['build_seconds']:.0f} s wall, shards side by side; peak RSS per shard's process "
            + ", ".join(f"{x['peak_rss_mb']:,.0f} MB" for x in b)
        )
    lines.append("index on disk per shard: " + ", ".join(f"{m:,.0f} MB" for m in res["index_mb"]))
    lines.append(
        f"database: {res['db_mb']:,.0f} MB"
        + (f", copied in {res['db']['seconds']:.0f} s" if "db" in res else "")
    )
    for m in modes:
        lines.append(
            f"slowest whole answers ({m}): "
            + ", ".join(f"{q} {t:.0f} ms" for t, q in res[m]["slowest_answers"])
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
