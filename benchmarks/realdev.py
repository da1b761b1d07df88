"""Rebuild the real development set: reports copied from government websites, questions typed
the way staff type them.

The pages are third-party text (stored government pages from the search tool's `pages` corpus),
so neither they nor the questions quoting them live in this repository. They are kept under
/tmp/realdev: `raw/*.txt` holds each page's text exactly as the tool returned it (site
clutter and all), and `manifest-*.jsonl` one line per report:

    {"raw": "A01.txt", "url": "…", "file": "静海区_2023.txt", "level": "district",
     "province": "天津市", "meta": {"issuer": "…", "year": 2023, "places": ["天津市", "静海区"]},
     "questions": [{"q": "静海区长去哪调研了", "expect": ["…"]}]}

and lines with `"raw": null` holding only questions that must be refused. This script writes
what `reportbot eval` reads:

    python benchmarks/realdev.py [--src /tmp/realdev] [--out /tmp/realdev]
    reportbot ingest /tmp/realdev/reports
    reportbot eval /tmp/realdev/questions.jsonl --meta /tmp/realdev/meta.json -v

reports/ holds each page under the name an admin would save it as; every expected string is
checked to occur in its report, so a typo in the manifest cannot pass as a miss.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import Counter
from pathlib import Path


def build(src: Path, out: Path) -> int:
    """Write out/reports, out/questions.jsonl and out/meta.json from src; returns the number of
    problems found (expected strings missing from their report, duplicate file names)."""
    entries = [
        json.loads(line)
        for manifest in sorted(src.glob("manifest-*.jsonl"))
        for line in manifest.read_text("utf-8").splitlines()
        if line.strip()
    ]
    reports = out / "reports"
    if reports.exists():
        shutil.rmtree(reports)
    reports.mkdir(parents=True)
    problems = 0
    questions: list[dict] = []
    meta: dict[str, dict] = {}
    levels: Counter[str] = Counter()
    provinces: Counter[str] = Counter()
    for e in entries:
        if e.get("raw"):
            text = (src / "raw" / e["raw"]).read_text("utf-8")
            target = reports / e["file"]
            if target.exists():
                print(f"duplicate file name: {e['file']}", file=sys.stderr)
                problems += 1
            target.write_text(text, "utf-8")
            meta[e["file"]] = {k: e["meta"][k] for k in ("issuer", "year", "places") if k in e["meta"]}
            levels[e.get("level", "?")] += 1
            provinces[e.get("province", "?")] += 1
            flat = "".join(text.split())
            for q in e["questions"]:
                for want in q["expect"]:
                    if "".join(want.split()) not in flat:
                        print(f"{e['file']}: expected {want!r} not in the report", file=sys.stderr)
                        problems += 1
        questions += [{"q": q["q"], "expect": q["expect"]} for q in e["questions"]]
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    answerable = sum(1 for q in questions if q["expect"])
    refusable = len(questions) - answerable
    print(f"{len(meta)} reports, {answerable} answerable and {refusable} refusable questions")
    print("levels: " + ", ".join(f"{k} {v}" for k, v in levels.most_common()))
    print(f"{len(provinces)} provinces: " + ", ".join(f"{k} {v}" for k, v in provinces.most_common()))
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=Path("/tmp/realdev"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/realdev"))
    args = ap.parse_args()
    sys.exit(1 if build(args.src, args.out) else 0)


if __name__ == "__main__":
    main()
