"""Leads on our own reports: each figure or ranking question of benchmarks/leads.jsonl (the
right value decided by hand from the report's text) asked through Library.ask on a fresh data
dir holding the bundled reports and tests/data/corpus-dev. Prints RIGHT / WRONG / PASSAGE per
question and the totals; a WRONG lead (a value, year or place the report does not give for
what was asked) is the failure that counts. Run: .venv/bin/python benchmarks/leads.py

BEFORE (main d9552ec, 14 questions): RIGHT=6 WRONG=4 PASSAGE=4. Wrong: the year comparison
(2年 for 26件), 临城县 2022 出庭应诉率 (the table's 2021 column 92.0% for 100%), the
超过90% ranking (临城县 92% row), 哪个县…最多 (永丰县公安局 14件 as a county row).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

from retrieval.config import Settings
from retrieval.library import Library

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).with_name("leads.jsonl")
DEV = ROOT / "tests" / "data" / "corpus-dev" / "reports"
NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(件|%|次|人|名|条|万元|个)?")


def values(text: str) -> list[float]:
    """The numbers a lead states, years (4 digits followed by 年) left out."""
    text = re.sub(r"\d{4}年", " ", text)
    return [float(m.group(1)) for m in NUMBER.finditer(text)]


def judge(case: dict, lead: str, table: object) -> str:
    """RIGHT, WRONG or PASSAGE for one answer."""
    if case.get("ranking"):
        rows = getattr(table, "rows", ()) if table is not None else ()
        if not rows:
            return (
                "PASSAGE" if not lead else ("WRONG" if set(values(lead)) & set(map(float, [])) else "PASSAGE")
            )
        for place, value in case.get("rows_not", []):
            for row in rows:
                if place in row.place and (value is None or abs(row.figure.value - value) < 1e-6):
                    return f"WRONG (row {row.place} {row.figure.value:g}{row.figure.unit})"
        if "first_place" in case:
            first = rows[0]
            if case["first_place"] not in first.place or abs(first.figure.value - case["first_value"]) > 1e-6:
                return f"WRONG (first {first.place} {first.figure.value:g}{first.figure.unit})"
        return "RIGHT"
    if not lead:
        return "PASSAGE"
    got = values(lead)
    if "sides" in case:
        want = [float(v) for v in case["sides"].values()]
        return (
            "RIGHT"
            if all(w in got for w in want) and not set(got) & set(map(float, case["wrong"]))
            else "WRONG"
        )
    clean = float(case["value"]) in got and not set(got) & set(map(float, case["wrong"]))
    if clean and (str(case["year"]) in lead or "年" not in lead):
        return "RIGHT"
    return "WRONG"


def main() -> int:
    cases = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library(Settings(_env_file=None, data_dir=Path(tmp) / "data"))  # type: ignore[call-arg]
        lib.ingest([DEV])
        totals: dict[str, int] = {}
        for case in cases:
            answer = lib.ask(case["q"])
            verdict = judge(case, answer.lead, answer.table)
            totals[verdict.split()[0]] = totals.get(verdict.split()[0], 0) + 1
            print(f"{verdict:<10} {case['q']}  →  {answer.lead!r}")
        lib.store.close()
    print(" ".join(f"{k}={v}" for k, v in sorted(totals.items())), f"of {len(cases)}")
    return 1 if totals.get("WRONG") else 0


if __name__ == "__main__":
    sys.exit(main())
