"""Rebuild the real development set: reports copied from government websites, questions typed
the way staff type them.

The pages are third-party text (stored government pages from the search tool's `pages` corpus),
so neither they nor the questions quoting them live in this repository. They are kept under
/tmp/realdev: `raw/*.txt` holds each page's text exactly as the tool returned it (site
clutter and all; several excerpts of one address joined by a blank line), and
`manifest-*.jsonl` one line per report:

    {"raw": "A01.txt", "url": "…", "query": "…", "file": "静海区_2023.txt", "level": "district",
     "province": "天津市", "meta": {"issuer": "…", "year": 2023, "places": ["天津市", "静海区"]},
     "questions": [{"q": "静海区长去哪调研了", "expect": ["…"], "class": "other"}]}

and lines with `"raw": null` holding only questions that must be refused (`"expect": []`:
requests the bot does not serve, off-topic questions, places and years with no report). A
question's `class` (figure, place-in-name, typo, abbreviation, missing-year, unserved, front,
traditional, long, off-topic, no-report, other) says what it tests; `reportbot eval` ignores it.
This script writes what `reportbot eval` reads:

    python benchmarks/realdev.py [--src /tmp/realdev] [--out /tmp/realdev]
    reportbot ingest /tmp/realdev/reports
    reportbot eval /tmp/realdev/questions.jsonl --meta /tmp/realdev/meta.json -v

reports/ holds each page under the name an admin would save it as; every expected string is
checked to occur in its report, so a typo in the manifest cannot pass as a miss.

What the repository keeps instead of the pages is `benchmarks/realdev-sources.jsonl`: for each
report its address, the `pages` query that found it, file name, level, province, meta, the
page's length and SHA-256, and its questions with each expected string cut to a locator (its
first 20 characters and its full length), no page text beyond that. When /tmp is lost:

1. for each line, call the search tool (corpus `pages`) with its `query` and save the
   excerpt(s) of the result whose address is its `url` as /tmp/realdev/raw/<id>.txt, exactly
   as returned (several excerpts of one address joined by a blank line);
2. `python benchmarks/realdev.py --check` says, per report, whether the re-fetched page is the
   one measured (same SHA-256), or differs yet still holds every locator, or lacks some;
3. `python benchmarks/realdev.py --from-sources` writes /tmp/realdev/manifest-*.jsonl back,
   each expected string read out of the page at its locator, then run the commands above.

`--write-sources` makes the sources file from the manifests (after adding reports or questions).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

SOURCES = Path(__file__).with_name("realdev-sources.jsonl")
LOCATOR = 20  # characters of an expected string the sources file keeps


def read_manifests(src: Path) -> list[dict]:
    """Every line of src/manifest-*.jsonl, in file-name order."""
    return [
        json.loads(line)
        for manifest in sorted(src.glob("manifest-*.jsonl"))
        for line in manifest.read_text("utf-8").splitlines()
        if line.strip()
    ]


def build(src: Path, out: Path) -> int:
    """Write out/reports, out/questions.jsonl and out/meta.json from src; returns the number of
    problems found (expected strings missing from their report, duplicate file names)."""
    entries = read_manifests(src)
    reports = out / "reports"
    if reports.exists():
        shutil.rmtree(reports)
    reports.mkdir(parents=True)
    problems = 0
    questions: list[dict] = []
    meta: dict[str, dict] = {}
    levels: Counter[str] = Counter()
    provinces: Counter[str] = Counter()
    classes: Counter[str] = Counter()
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
        classes.update(q.get("class", "?") for q in e["questions"])
    with (out / "questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    answerable = sum(1 for q in questions if q["expect"])
    refusable = len(questions) - answerable
    print(f"{len(meta)} reports, {answerable} answerable and {refusable} refusable questions")
    print("levels: " + ", ".join(f"{k} {v}" for k, v in levels.most_common()))
    print(f"{len(provinces)} provinces: " + ", ".join(f"{k} {v}" for k, v in provinces.most_common()))
    print("classes: " + ", ".join(f"{k} {v}" for k, v in classes.most_common()))
    return problems


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_sources(src: Path, target: Path) -> int:
    """Write the sources file from src's manifests and pages; returns the number of expected
    strings not found verbatim in their page (a locator must be cut from the page itself)."""
    problems = 0
    with target.open("w", encoding="utf-8") as f:
        for e in read_manifests(src):
            line = {
                k: e[k]
                for k in ("raw", "url", "query", "file", "level", "province", "meta", "note")
                if k in e
            }
            text = (src / "raw" / e["raw"]).read_text("utf-8") if e.get("raw") else ""
            if text:
                line |= {"chars": len(text), "sha256": _digest(text)}
            line["questions"] = []
            for q in e["questions"]:
                locators = []
                for want in q["expect"]:
                    if want not in text:
                        print(f"{e['raw']}: {want!r} is not verbatim in the page", file=sys.stderr)
                        problems += 1
                    locators.append({"at": want[:LOCATOR], "len": len(want)})
                line["questions"].append({"q": q["q"], "expect": locators, "class": q.get("class", "?")})
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return problems


def read_sources(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def check(src: Path, sources: Path) -> int:
    """Compare src/raw with the sources file; returns the number of reports that are missing or
    lack a locator (a page that differs but holds every locator is reported, not counted)."""
    bad = 0
    same = 0
    for s in read_sources(sources):
        if not s.get("raw"):
            continue
        page = src / "raw" / s["raw"]
        if not page.exists():
            print(f"{s['raw']}: missing (query {s['query']!r}, {s['url']})")
            bad += 1
            continue
        text = page.read_text("utf-8")
        lost = [x["at"] for q in s["questions"] for x in q["expect"] if x["at"] not in text]
        if _digest(text) == s.get("sha256"):
            same += 1
        elif lost:
            print(f"{s['raw']}: differs and lacks {len(lost)} locator(s), e.g. {lost[0]!r}")
            bad += 1
        else:
            print(f"{s['raw']}: differs ({len(text)} chars, was {s.get('chars')}) but holds every locator")
    print(f"{same} pages identical to those measured, {bad} missing or lacking locators")
    return bad


def from_sources(src: Path, sources: Path) -> int:
    """Write src/manifest-*.jsonl from the sources file and src/raw, each expected string read
    out of its page at its locator; returns the number of locators not found."""
    problems = 0
    groups: dict[str, list[dict]] = {}
    for s in read_sources(sources):
        text = (src / "raw" / s["raw"]).read_text("utf-8") if s.get("raw") else ""
        entry = {
            k: s[k] for k in ("raw", "url", "query", "file", "level", "province", "meta", "note") if k in s
        }
        entry["questions"] = []
        for q in s["questions"]:
            expect = []
            for x in q["expect"]:
                at = text.find(x["at"])
                if at < 0:
                    print(f"{s['raw']}: locator {x['at']!r} not in the page", file=sys.stderr)
                    problems += 1
                    continue
                expect.append(text[at : at + x["len"]])
            if q["expect"] and not expect:
                continue  # an answerable question whose answer is gone would turn into a refusal
            entry["questions"].append({"q": q["q"], "expect": expect, "class": q["class"]})
        groups.setdefault(_group(s.get("level")), []).append(entry)
    for name, entries in groups.items():
        with (src / f"manifest-{name}.jsonl").open("w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
    return problems


def _group(level: str | None) -> str:
    if level is None:
        return "refuse"
    if level in ("township", "street"):
        return "grassroots"
    if level in ("department", "provincial-department", "zone"):
        return "bodies"
    return "local"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", type=Path, default=Path("/tmp/realdev"))
    ap.add_argument("--out", type=Path, default=Path("/tmp/realdev"))
    ap.add_argument("--sources", type=Path, default=SOURCES)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare src/raw with the sources file")
    mode.add_argument("--from-sources", action="store_true", help="write manifests from the sources file")
    mode.add_argument(
        "--write-sources", action="store_true", help="write the sources file from the manifests"
    )
    args = ap.parse_args()
    if args.check:
        problems = check(args.src, args.sources)
    elif args.from_sources:
        problems = from_sources(args.src, args.sources)
    elif args.write_sources:
        problems = write_sources(args.src, args.sources)
    else:
        problems = build(args.src, args.out)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
