"""Precision and recall of the figure index (retrieval/figures.py) against figures marked by
hand, and of the leads the Library answers figure questions with.

    python benchmarks/figures.py GOLD.jsonl DIR [DIR ...] [--nonfigures N.jsonl] [--questions Q.jsonl] [-v]
    python benchmarks/figures.py --realfigs [/tmp/realfigs] [-v]

Gold: one JSON line per figure, {"file", "sentence", "written", "measure", "value", "unit"}
and, in the real set, "year" (the year the figure is of: the report's year, or the other year
of a year-on-year pair or table column), "who" and "part_of" (the total's measure when the
figure is a 其中/sub-list part). Each file the gold names is read and parsed as ingest does
(from the first DIR holding it). An extracted figure matches a gold figure of the same file
when it lies in the gold figure's sentence in a passage and has the same value and unit (万件
is 10000 件, 亿元 100000000 元; traditional characters and ％ read as simplified and %). Each gold
figure is matched once. The measure agrees when either measure holds the other's last two
characters (会前学法 ~ 组织会前学法). A figure's year is the year the extractor gives it
(`Figure.year`, when it has one), else its report's year: the year a lead would use.

Printed: precision and recall of (value, unit) alone and of (measure, value, year), the
headline; the gold figures whose sentence no passage holds (lost by the parser, not the
extractor); and, with --nonfigures ({"file", "sentence", "written"}: periods, dates, ordinals
and the like in such sentences), how many of those the extractor took for figures. They are
extra figures like any other: they count against precision.

--questions ({"q", "kind": "figure"|"ranking", "expect": {"place", "year", "measure",
"value", "written"}}) asks each question of a Library holding only these reports (a fresh
database in a temporary directory) and checks its lead: right when it names the place, the
year and the value expected (a ranking: its first row). The lead's structured figure is used
when the Answer carries one (a ranking's Table.leader; `Answer.figure` when a lead carries its
figure), else the lead's text. A wrong lead counts against precision; no lead is only a miss.

The real set (--realfigs) is not in this repository: its pages are third-party text. It is
rebuilt from benchmarks/figgold-sources.jsonl (url, query, file, level, issuer, year per
report) with the search tool's `pages` corpus:

  1. for each source line, search `pages` with its query; keep the excerpt(s) whose address is
     its url exactly as returned (several excerpts of one address joined, in the order
     returned), as /tmp/realfigs/raw/<id>.txt, and a manifest line {"raw", "url", "query",
     "file", "level", "issuer", "year"} in /tmp/realfigs/manifest.jsonl;
  2. the hand marks (/tmp/realfigs/gold.jsonl, nonfigures.jsonl, questions*.jsonl) quote the
     pages, so they live beside them, never here; `--realfigs` first checks that every gold
     sentence is in its page, so a page that came back different is reported, not scored;
  3. `--realfigs` writes /tmp/realfigs/reports/<file> from raw/ and the manifest and runs all
     of the above on them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from opencc import OpenCC

from retrieval.figures import figures_in
from retrieval.models import Figure, ParsedReport
from retrieval.parse import parse_document
from retrieval.read import read_document
from retrieval.tokenize import drop_pinyin

_SIMPLIFY = OpenCC("t2s")
_SCALE = {"万": 1e4, "亿": 1e8}


def _unit(unit: str) -> str:
    return _SIMPLIFY.convert(unit).replace("％", "%").replace("个百分点", "百分点")


def normalised(value: float, unit: str) -> tuple[float, str]:
    """(value, unit) with 万/亿 folded into the value: 3.7万件 and 37000件 are one figure."""
    unit = _unit(unit)
    if len(unit) > 1 and unit[0] in _SCALE:
        return round(float(value) * _SCALE[unit[0]], 4), unit[1:]
    return round(float(value), 4), unit


def measures_agree(a: str, b: str) -> bool:
    """Either measure holds the other's last two characters (会前学法 ~ 组织会前学法)."""
    a, b = _SIMPLIFY.convert(a), _SIMPLIFY.convert(b)
    return bool(a and b) and (a[-2:] in b or b[-2:] in a)


def _compact(text: str) -> tuple[str, list[int]]:
    """The text without whitespace, and where each of its characters was."""
    kept = [(i, c) for i, c in enumerate(text) if not c.isspace()]
    return "".join(c for _, c in kept), [i for i, _ in kept]


_CELLS = re.compile(r"[|｜\t]")


def _row_span(passage: str, row: str) -> list[tuple[int, int]]:
    """Where the cells of a bar-separated table `row` are, in order, in `passage`: the reader
    renders a row with its header cells (`罚款 94929，…`), so its bars are not in the passage."""
    flat, where = _compact(passage)
    cells = [cell for cell in (_compact(c)[0] for c in _CELLS.split(row)) if cell]
    at, first = 0, -1
    for cell in cells:
        found = flat.find(cell, at)
        if found < 0:
            return []
        first = found if first < 0 else first
        at = found + len(cell)
    return [(where[first], where[at - 1] + 1)] if cells else []


def _spans(passage: str, sentence: str) -> list[tuple[int, int]]:
    """Where `sentence` is in `passage` (whitespace aside), in the passage's offsets; a table
    row's sentence is where its cells are (see _row_span)."""
    if _CELLS.search(sentence) and len(_CELLS.split(sentence)) > 2:
        return _row_span(passage, sentence)
    flat, where = _compact(passage)
    want, _ = _compact(sentence)
    out, at = [], flat.find(want) if want else -1
    while at >= 0:
        out.append((where[at], where[at + len(want) - 1] + 1))
        at = flat.find(want, at + 1)
    return out


@dataclass
class Score:
    gold: int = 0
    extracted: int = 0
    value_right: int = 0  # value and unit right, in the right sentence
    right: int = 0  # measure, value and year right
    unparsed: int = 0  # gold figures whose sentence no passage holds
    # Per kind of gold figure (another year than its report's, a part of a total): [marked, right]
    kinds: dict[str, list[int]] = field(default_factory=dict)

    def count(self, kind: str, right: bool) -> None:
        marked, hits = self.kinds.get(kind, [0, 0])
        self.kinds[kind] = [marked + 1, hits + right]

    nonfigures: int = 0
    nonfigure_hits: int = 0

    def line(self, name: str, hits: int) -> str:
        p, r = hits / max(self.extracted, 1), hits / max(self.gold, 1)
        counts = f"{hits} right of {self.extracted} extracted, {self.gold} marked"
        return f"{name}: precision {p:.3f}  recall {r:.3f}  ({counts})"


def _parsed(name: str, dirs: list[Path]) -> ParsedReport | None:
    path = next((d / name for d in dirs if (d / name).is_file()), None)
    if path is None:
        return None
    data = path.read_bytes()
    return parse_document(read_document(name, data), name, data)


def score(
    gold: list[dict],
    dirs: list[Path],
    nonfigures: list[dict],
    verbose: bool = False,
    extract: Callable[[str], list[Figure]] = figures_in,
) -> Score:
    """Match every figure `extract` finds in the gold's files against the gold (see the module)."""
    s = Score(gold=len(gold), nonfigures=len(nonfigures))
    by_file: dict[str, list[dict]] = {}
    for g in gold:
        by_file.setdefault(g["file"], []).append(g)
    non_by_file: dict[str, list[dict]] = {}
    for n in nonfigures:
        non_by_file.setdefault(n["file"], []).append(n)
    notes: list[str] = []
    for name in sorted(set(by_file) | set(non_by_file)):
        parsed = _parsed(name, dirs)
        if parsed is None:
            print(f"missing: {name}", file=sys.stderr)
            continue
        marks = by_file.get(name, [])
        # The report's year is the year most of its figures are of; the others are of another.
        report_year = Counter(g.get("year") for g in marks).most_common(1)[0][0] if marks else None
        right_ids: set[int] = set()
        open_marks = list(marks)
        placed = set()
        for passage in parsed.passages:
            # The parser drops pinyin readings (加強(qiáng)) from passages; the marked sentences hold them.
            spans = {id(g): _spans(passage.text, drop_pinyin(g["sentence"])) for g in marks}
            placed |= {i for i, sp in spans.items() if sp}
            non_spans = [
                (n, _spans(passage.text, drop_pinyin(n["sentence"]))) for n in non_by_file.get(name, [])
            ]
            for f in extract(passage.text):
                s.extracted += 1
                year = getattr(f, "year", None) or parsed.year
                key = normalised(f.value, f.unit)
                candidates = [
                    g
                    for g in open_marks
                    if normalised(g["value"], g["unit"]) == key
                    and any(a <= f.start < b for a, b in spans[id(g)])
                ]
                if not candidates:
                    hit_non = next(
                        (
                            n
                            for n, sp in non_spans
                            if any(a <= f.start < b for a, b in sp)
                            and _SIMPLIFY.convert(f.written) in _SIMPLIFY.convert(n["written"])
                        ),
                        None,
                    )
                    if hit_non is not None:
                        s.nonfigure_hits += 1
                        notes.append(f"non-figure  {name}: {f.written} ({hit_non['written']}) as {f.measure}")
                    else:
                        notes.append(f"extra       {name}: {f.measure} = {f.written}")
                    continue
                best = max(
                    candidates,
                    key=lambda g: (g.get("year", year) == year, measures_agree(g["measure"], f.measure)),
                )
                open_marks.remove(best)
                s.value_right += 1
                year_ok = best.get("year", year) == year
                measure_ok = measures_agree(best["measure"], f.measure)
                if year_ok and measure_ok:
                    s.right += 1
                    right_ids.add(id(best))
                else:
                    why = [] if year_ok else [f"year {year} for {best.get('year')}"]
                    why += [] if measure_ok else [f"measure {f.measure!r} for {best['measure']!r}"]
                    notes.append(f"half        {name}: {f.written}: {', '.join(why)}")
        for g in marks:
            if g.get("year") not in (None, report_year):
                s.count("of another year than the report's", id(g) in right_ids)
            if g.get("part_of"):
                s.count("parts of a total (其中, sub-lists)", id(g) in right_ids)
        for g in open_marks:
            lost = id(g) not in placed
            s.unparsed += lost
            notes.append(f"{'unparsed' if lost else 'missed  '}    {name}: {g['measure']} = {g['written']}")
    if verbose:
        print("\n".join(notes))
    return s


@dataclass
class LeadScore:
    asked: int = 0
    right: int = 0
    wrong: int = 0
    none: int = 0


def _lead_figure(answer: object) -> tuple[str, int | None, str, float | None] | None:
    """(place, year, written, value) of the figure an answer leads with, when it carries it."""
    table = getattr(answer, "table", None)
    if table is not None and table.rows:
        row = table.rows[0]
        year = getattr(row.figure, "year", None) or row.report.year  # the figure's own year, once it has one
        return row.place, year, row.figure.written, row.figure.value
    figure = getattr(answer, "figure", None)  # a lead's own figure, once answers carry it
    if figure is not None:
        place = getattr(figure, "place", "") or ""
        return place, getattr(figure, "year", None), figure.written, figure.value
    return None


def lead_right(answer: object, expect: dict) -> bool:
    """Whether the answer's lead names the place, year and value expected."""
    lead = getattr(answer, "lead", "") or ""
    first = lead.split(" · ")[0]
    carried = _lead_figure(answer)
    if carried is not None:
        place, year, written, value = carried
        value_ok = value is not None and normalised(value, "") == normalised(expect["value"], "")
        place_ok = expect["place"] in place or expect["place"] in first
        return place_ok and year == expect["year"] and value_ok
    written = _SIMPLIFY.convert(expect["written"])
    return (
        expect["place"] in first
        and f"{expect['year']}年" in first
        and re.search(rf"(?<![\d.]){re.escape(written)}", _SIMPLIFY.convert(first)) is not None
    )


def leads(questions: list[dict], reports: Path, verbose: bool) -> LeadScore:
    """Ask each question of a Library holding only `reports`; score the leads."""
    from retrieval.config import Settings
    from retrieval.library import Library

    out = LeadScore()
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "none"
        empty.mkdir()
        library = Library(Settings(data_dir=Path(tmp) / "data", bundled_reports=empty))
        try:
            library.ingest([reports])
            for q in questions:
                answer = library.ask(q["q"])
                out.asked += 1
                e = q["expect"]
                if not answer.lead:
                    out.none += 1
                    verdict = "none "
                elif lead_right(answer, e):
                    out.right += 1
                    verdict = "right"
                else:
                    out.wrong += 1
                    verdict = "WRONG"
                if verbose or verdict != "right":
                    want = f"{e['place']} {e['year']}年 {e['measure']} {e['written']}"
                    print(f"{verdict} {q['q']}\n      lead: {answer.lead or '-'}\n      want: {want}")
        finally:
            library.close()
    return out


def _jsonl(path: Path | None) -> list[dict]:
    if path is None or not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def rebuild_reports(src: Path) -> tuple[Path, int]:
    """Write src/reports/<file> from src/raw and src/manifest.jsonl; returns the folder and the
    number of gold sentences not in their page (a page that came back different)."""
    manifest = _jsonl(src / "manifest.jsonl")
    out = src / "reports"
    out.mkdir(exist_ok=True)
    texts: dict[str, str] = {}
    for e in manifest:
        text = (src / "raw" / e["raw"]).read_text("utf-8")
        (out / e["file"]).write_text(text, "utf-8")
        texts[e["file"]] = "".join(text.split())
    bad = 0
    for g in _jsonl(src / "gold.jsonl") + _jsonl(src / "nonfigures.jsonl"):
        if "".join(g["sentence"].split()) not in texts.get(g["file"], ""):
            print(f"not in its page: {g['file']}: {g['sentence'][:30]}", file=sys.stderr)
            bad += 1
    levels = Counter(e.get("level", "?") for e in manifest)
    print(f"{len(manifest)} reports: " + ", ".join(f"{k} {v}" for k, v in levels.most_common()))
    return out, bad


def report(
    gold: list[dict],
    dirs: list[Path],
    nonfigures: list[dict],
    questions: list[dict] | dict[str, list[dict]],
    verbose: bool,
) -> None:
    """Print the figures' and the leads' scores."""
    s = score(gold, dirs, nonfigures, verbose)
    files = len({g["file"] for g in gold})
    parts = sum(1 for g in gold if g.get("part_of"))
    print(f"gold: {s.gold} figures in {files} reports ({parts} parts of a total)")
    print(s.line("value and unit", s.value_right))
    print(s.line("measure, value and year", s.right))
    for kind, (marked, hits) in s.kinds.items():
        print(f"  {kind}: {hits} of {marked} right ({hits / max(marked, 1):.0%})")
    print(f"gold figures whose sentence no passage holds (lost in parsing): {s.unparsed}")
    if nonfigures:
        print(f"non-figures taken as figures: {s.nonfigure_hits} of {s.nonfigures} marked")
    batches = questions if isinstance(questions, dict) else {"": questions}
    total = LeadScore()
    for name, batch in batches.items():
        if not batch:
            continue
        ls = leads(batch, dirs[0], verbose)
        print(
            f"leads{f' ({name})' if name else ''}: {ls.right} of {ls.asked} right, {ls.wrong} wrong, "
            f"{ls.none} without a lead; precision {ls.right / max(ls.right + ls.wrong, 1):.3f}"
        )
        for attr in ("asked", "right", "wrong", "none"):
            setattr(total, attr, getattr(total, attr) + getattr(ls, attr))
    if len([b for b in batches.values() if b]) > 1:
        print(
            f"leads, all: {total.right} of {total.asked} right, {total.wrong} wrong, "
            f"{total.none} without a lead"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", nargs="?", type=Path)
    ap.add_argument("dirs", nargs="*", type=Path)
    ap.add_argument("--nonfigures", type=Path)
    ap.add_argument("--questions", type=Path)
    ap.add_argument("--realfigs", nargs="?", const=Path("/tmp/realfigs"), type=Path)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.realfigs is not None:
        src = args.realfigs
        reports, bad = rebuild_reports(src)
        if bad:
            sys.exit(f"{bad} marked sentences are not in their pages: rebuild raw/ first")
        gold = _jsonl(src / "gold.jsonl")
        # questions.jsonl, questions2.jsonl …: batches written at different times, each scored
        # on its own so that a batch written after the tuning shows what the tuning did not see.
        batches = {p.name: _jsonl(p) for p in sorted(src.glob("questions*.jsonl"))}
        report(gold, [reports], _jsonl(src / "nonfigures.jsonl"), batches, args.verbose)
        return
    if args.gold is None or not args.dirs:
        ap.error("GOLD and DIR are needed (or --realfigs)")
    report(_jsonl(args.gold), args.dirs, _jsonl(args.nonfigures), _jsonl(args.questions), args.verbose)


if __name__ == "__main__":
    main()
