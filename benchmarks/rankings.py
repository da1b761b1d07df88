"""Rankings over the whole collection (各县行政复议申请数量排名, 哪些地方出庭应诉率超过90%)
through Library.ask on a bench.py data dir: p50/p99 of the whole answer, the first asking of
each question (its measures' figures read from the database) apart from the asking again
(read once per change of the data), wall and CPU time (the CPU time is the one to compare on
a shared machine).

    .venv/bin/python benchmarks/rankings.py --data-dir /tmp/perf1m/ours [--repeats 5]

The questions are the README's and issue 18's, which bench.py's synthetic reports state no
figure for (a measure matched against the stored measures, then nothing read), and rankings
by measures its reports do state in most of them (a table of ~1,000 places from ~100,000
figures: the work a real collection of every county's reports would give).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from retrieval.config import Settings
from retrieval.library import Library

QUESTIONS = (
    "各县行政复议申请数量排名",
    "哪个县行政复议案件最多",
    "哪些地方出庭应诉率超过90%",
    "哪个县行政诉讼败诉率最高",
    # Measures bench.py's reports state (its sentence pools): big tables.
    "哪个县群众满意率最高",
    "各县办复率排名",
    "哪些地方立案率超过90%",
    "哪个县排查化解矛盾纠纷最多",
    "各县政协提案数量排名",
    "哪个镇满意率最高",
    "哪些地方结果满意率达到100%",
    "2022年各县办复率排名",
)


def percentiles(ms: list[float]) -> str:
    a = np.asarray(ms)
    return f"p50 {np.percentile(a, 50):7.1f} ms  p99 {np.percentile(a, 99):7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data-dir", type=Path, required=True, help="a data dir (reportbot.db), e.g. bench.py's ours/"
    )
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    t = time.perf_counter()
    lib = Library(Settings(_env_file=None, data_dir=args.data_dir))  # type: ignore[call-arg]
    print(f"open: {time.perf_counter() - t:.1f} s, {lib.store.passage_count():,} passages", flush=True)
    lib.ask("行政复议案件办理情况")  # the first answer's one-off work (jieba's dictionary) apart
    first_wall, first_cpu, again_wall, again_cpu = [], [], [], []
    for q in QUESTIONS:
        walls, cpus = [], []
        for _ in range(1 + args.repeats):
            w, c = time.perf_counter(), time.process_time()
            answer = lib.ask(q)
            walls.append((time.perf_counter() - w) * 1000)
            cpus.append((time.process_time() - c) * 1000)
        rows = len(answer.table.rows) if answer.table else 0
        first_wall.append(walls[0])
        first_cpu.append(cpus[0])
        again_wall += walls[1:]
        again_cpu += cpus[1:]
        print(
            f"{rows:6} rows  first {walls[0]:7.1f} ms (cpu {cpus[0]:6.1f})"
            f"  again {np.median(walls[1:]):7.1f} ms (cpu {np.median(cpus[1:]):6.1f})  {q}",
            flush=True,
        )
    print(f"rankings, first asking:  wall {percentiles(first_wall)}   cpu {percentiles(first_cpu)}")
    print(f"rankings, asked again:   wall {percentiles(again_wall)}   cpu {percentiles(again_cpu)}")
    lib.store.close()


if __name__ == "__main__":
    main()
