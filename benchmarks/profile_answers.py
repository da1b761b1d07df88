"""Whole answers (bench.py's path: lib.ask → the bot's Telegram HTML) over a bench work dir,
timed, the slowest listed, and those profiled with cProfile.

    .venv/bin/python benchmarks/profile_answers.py --workdir /tmp/perf1m [--profile 8]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from pathlib import Path

import bench

from retrieval.library import Library


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--workdir", type=Path, required=True, help="a bench.py --workdir (ours/, questions.json)"
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, help="profile this many of the slowest questions")
    args = ap.parse_args()
    t = time.perf_counter()
    lib = Library(bench._settings(args.workdir / "ours"))
    questions = json.loads((args.workdir / "questions.json").read_text("utf-8"))
    render, _ = bench.html_renderer()
    render(lib.ask(questions[0]))
    print(f"open → first answer {time.perf_counter() - t:.2f} s", flush=True)
    slowest: dict[str, float] = {}
    seconds = []
    for _ in range(args.repeats):
        for q in questions:
            s = time.perf_counter()
            render(lib.ask(q))
            seconds.append(x := time.perf_counter() - s)
            slowest[q] = max(x, slowest.get(q, 0.0))
    print("whole answer", bench.percentiles(seconds))
    worst = sorted(slowest, key=lambda q: -slowest[q])[:12]
    for q in worst:
        print(f"{slowest[q] * 1000:8.1f} ms  {q}")
    if args.profile:
        pr = cProfile.Profile()
        for q in worst[: args.profile]:
            pr.enable()
            render(lib.ask(q))
            pr.disable()
        pstats.Stats(pr).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
