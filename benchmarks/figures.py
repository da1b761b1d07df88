"""Precision and recall of the figure index (retrieval/figures.py) against figures marked by
hand: one JSON line per figure, {"file", "sentence", "written", "measure", "value", "unit"}.

    python benchmarks/figures.py GOLD.jsonl DIR [DIR ...]

Each file the gold names is read and parsed as ingest does (from the first DIR holding it). An
extracted figure is right when the gold marks a figure of the same file with the same value and
unit in a sentence of the same passage; each gold figure is matched once. Of the right ones,
the measure agrees when either measure holds the other's last two characters (会前学法 ~
组织会前学法).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from opencc import OpenCC

from retrieval.figures import figures_in
from retrieval.parse import parse_document
from retrieval.read import read_document

_SIMPLIFY = OpenCC("t2s")


def _unit(unit: str) -> str:
    return _SIMPLIFY.convert(unit).replace("％", "%")


def main(gold_path: Path, dirs: list[Path]) -> None:
    gold = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines() if line.strip()]
    by_file: dict[str, list[dict]] = {}
    for g in gold:
        by_file.setdefault(g["file"], []).append(g)
    extracted = right = measured = 0
    found: Counter[str] = Counter()
    misses: list[str] = []
    for name, marks in by_file.items():
        path = next((d / name for d in dirs if (d / name).is_file()), None)
        if path is None:
            print(f"missing: {name}", file=sys.stderr)
            continue
        data = path.read_bytes()
        parsed = parse_document(read_document(name, data), name, data)
        open_marks = list(marks)
        for passage in parsed.passages:
            for f in figures_in(passage.text):
                extracted += 1
                hit = next(
                    (
                        g
                        for g in open_marks
                        if float(g["value"]) == f.value
                        and _unit(g["unit"]) == _unit(f.unit)
                        and "".join(g["sentence"].split()) in "".join(passage.text.split())
                    ),
                    None,
                )
                if hit is None:
                    misses.append(f"extra  {name}: {f.measure}={f.written}")
                    continue
                open_marks.remove(hit)
                right += 1
                found[name] += 1
                a, b = _SIMPLIFY.convert(hit["measure"]), _SIMPLIFY.convert(f.measure)
                if a[-2:] in b or b[-2:] in a:
                    measured += 1
        misses += [f"missed {name}: {g['measure']}={g['written']}" for g in open_marks]
    total = len(gold)
    print("\n".join(misses))
    print(f"gold figures: {total}, extracted: {extracted}, right: {right}")
    print(f"precision: {right / max(extracted, 1):.3f}  recall: {right / max(total, 1):.3f}")
    print(f"measure agrees on {measured}/{right} right figures ({measured / max(right, 1):.0%})")


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(d) for d in sys.argv[2:]])
