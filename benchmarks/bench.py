"""Benchmark: our retriever next to plain bm25s and rank-bm25, on one synthetic corpus.

    python benchmarks/bench.py --passages 100000     # 10k, 100k and 1M all fit in 24 GB
    python benchmarks/bench.py --quick               # a smoke run in seconds

The corpus is generated from the bundled reports' sentences (fixed seed): many reports, each
issued by a real county's (data/places.csv) government, office, bureau or township, for a
year in 2019–2025, its passages recombining real sentences with places, years and figures
changed. It is written as .txt report files and ingested through `Library.ingest`, as an
admin's bulk ingest would be. The baselines index exactly the tokens our ingest stored.

Each measured step runs in its own process (this file, `--phase …`), so peak RSS is per step
and the fresh-process times are real. Results: a table on stdout and
benchmarks/results/bench-<passages>-<time>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TESTS_DATA = ROOT / "tests" / "data"
RANK_BM25_MAX = 100_000  # rank-bm25 scores in pure Python: beyond this a query takes seconds
TOP_K = 100  # candidates taken from BM25 (retrieval.search.CANDIDATES)
SEED = 20240601
ORGS = (
    "人民政府",
    "人民政府办公室",
    "司法局",
    "公安局",
    "市场监督管理局",
    "自然资源局",
    "生态环境局",
    "财政局",
)
TOWN_CHARS = "东西南北中新石龙白金清长安平永兴华丰泉河桥湖山林松阳和宝福德高陈马李黄杨"
NEW_TOWN = "鹊桥镇"  # the report added during the run names this town, and no other report does


# --- the synthetic corpus ----------------------------------------------------------------------


_MARKER = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．是]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、])\s*"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_YEAR = re.compile(r"(20\d\d)(\s*年)")
_CN = "一二三四五六七八九十"


def _material() -> tuple[dict[int, list[str]], dict[int, list[str]], list[str], set[str]]:
    """Sentence pools and sub-headings by report part, opening sentences, and the bundled
    reports' place names (left out of the synthetic issuers). Places, issuers and years in
    the text become {P}, {O}, {Y} (report year), {N} (next) and {L} (last)."""
    from retrieval.parse import parse_lines
    from retrieval.places import default_gazetteer
    from retrieval.read import read_lines
    from retrieval.snippets import sentences
    from retrieval.understand import section_kind

    gaz = default_gazetteer()
    pools: dict[int, list[str]] = {0: [], 1: [], 2: [], 3: []}
    heads: dict[int, list[str]] = {0: [], 1: [], 2: [], 3: []}
    openers: list[str] = []
    bundled_places: set[str] = set()
    for f in sorted((ROOT / "data" / "reports").glob("*.txt")):
        data = f.read_bytes()
        r = parse_lines(read_lines(f.name, data), f.name, data, gaz)
        bundled_places.update(r.places)
        names = sorted({a for p in r.places for a in gaz.aliases(p)} | {r.issuer}, key=len, reverse=True)

        def neutral(s: str, r: Any = r, names: list[str] = names) -> str:
            for n in names:
                s = s.replace(n, "{O}" if n == r.issuer else "{P}")
            y = r.year or 2024
            return _YEAR.sub(lambda m: {y: "{Y}", y + 1: "{N}", y - 1: "{L}"}.get(int(m[1]), m[1]) + m[2], s)

        for p in r.passages:
            kind = int(section_kind(p.section))
            parts = [neutral(_MARKER.sub("", p.text[a:b].strip())) for a, b in sentences(p.text)]
            parts = [s for s in parts if len(s) >= 8 and s[-1] in "。；！？"]
            (openers if not p.section else pools[kind]).extend(parts)
            if len(p.section) >= 2:
                heads[kind].append(neutral(_MARKER.sub("", p.section[1]).rstrip("。：:")))
    for kind in heads:
        heads[kind] = heads[kind] or heads[0]
    return pools, heads, openers, bundled_places


def _fill(s: str, rng: random.Random, place: str, org: str, year: int) -> str:
    s = s.replace("{P}", place).replace("{O}", org)
    s = s.replace("{Y}", str(year)).replace("{N}", str(year + 1)).replace("{L}", str(year - 1))

    def figure(m: re.Match[str]) -> str:
        text = m.group(0)
        if len(text) == 4 and text.startswith(("19", "20")):
            return text  # a year
        if "." in text:
            return f"{rng.uniform(0, 100):.{len(text.split('.')[1])}f}"
        digits = len(text)
        return str(rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1))

    return _NUMBER.sub(figure, s)


class Generator:
    """Synthetic reports, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        from retrieval.places import default_gazetteer

        self.rng = random.Random(seed)
        self.pools, self.heads, self.openers, bundled = _material()
        gaz = default_gazetteer()
        skip = {a for p in bundled for a in gaz.aliases(p)}
        self.counties = sorted(
            n
            for n, places in gaz.by_name.items()
            if len(n) >= 3 and any(p.level == 3 for p in places) and n[-1] in "县市" and n not in skip
        )
        self.towns = [a + b + "镇" for a in TOWN_CHARS for b in TOWN_CHARS if a != b]

    def report(self, index: int, town: str | None = None) -> tuple[str, str, int]:
        """(file name, text, passages) of one report."""
        rng = self.rng
        county = rng.choice(self.counties)
        year = rng.randint(2019, 2025)
        if town or rng.random() < 0.3:
            town = town or rng.choice(self.towns)
            org, place = f"{county}{town}人民政府", town
        else:
            org, place = county + rng.choice(ORGS), county
        lines = [f"{org}关于{year}年法治政府建设工作情况的报告", ""]
        opening = "".join(rng.sample(self.openers, 2))
        lines.append(_fill(opening, rng, place, org, year))
        passages = 1
        tops = (
            (0, f"{year}年推进法治政府建设的主要举措和成效", (3, 6), (2, 6)),
            (1, f"{year}年推进法治政府建设存在的不足和原因", (1, 3), (1, 4)),
            (3, "党政主要负责人履行推进法治建设第一责任人职责情况", (1, 2), (1, 4)),
            (2, f"{year + 1}年推进法治政府建设的主要安排", (2, 4), (1, 4)),
        )
        for t, (kind, title, subs, paras) in enumerate(tops):
            lines.append(f"{_CN[t]}、{title}")
            for s in range(rng.randint(*subs)):
                head = _fill(rng.choice(self.heads[kind]), rng, place, org, year)
                lines.append(f"（{_CN[s]}）{head}")
                for _ in range(rng.randint(*paras)):
                    pool = self.pools[kind] or self.pools[0]
                    text = "".join(rng.choice(pool) for _ in range(rng.randint(2, 5)))
                    lines.append(_fill(text, rng, place, org, year))
                    passages += 1
        lines += ["", org, f"{year + 1}年1月{rng.randint(1, 28)}日"]
        return f"{index:06d}_{org}_{year}.txt", "\n".join(lines) + "\n", passages

    def questions(self, n: int) -> list[str]:
        """Questions like people ask: a topic alone, or a place, a year and a topic."""
        from retrieval.tokenize import Tokenizer

        tok = Tokenizer()
        stop = tok.stopwords
        out: list[str] = []
        sentences = [s for kind in (0, 1, 2) for s in self.pools[kind]]
        while len(out) < n:
            words = [
                w
                for w in tok.words(_fill(self.rng.choice(sentences), self.rng, "", "", 2024))
                if len(w) >= 2 and w not in stop and not any(c.isdigit() or c in "{}" for c in w)
            ]
            if len(words) < 3:
                continue
            start = self.rng.randrange(len(words) - 2)
            topic = "".join(words[start : start + self.rng.randint(2, 3)])
            if self.rng.random() < 0.5:
                county = self.rng.choice(self.counties)
                topic = f"{county}{self.rng.randint(2019, 2025)}年{topic}"
            out.append(topic + self.rng.choice(("", "情况", "有哪些", "多少")))
        return out


def generate(workdir: Path, passages: int, seed: int, n_questions: int) -> dict[str, Any]:
    """Write the corpus (report files in folders of 500) and the questions; returns counts."""
    t0 = time.perf_counter()
    gen = Generator(seed)
    corpus = workdir / "corpus"
    bundled = 54  # the bundled reports' passages, ingested when a library is first opened
    total, reports = bundled, 0
    while total < passages:
        name, text, n = gen.report(reports)
        folder = corpus / f"{reports // 500:04d}"
        if reports % 500 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")
        total += n
        reports += 1
    name, text, n = gen.report(reports, town=NEW_TOWN)
    # A sentence only this report has, so that its answer is unmistakable.
    text = text.replace("\n一、", f"\n全镇调处山林权属纠纷{8765}件，化解率为{99}%。\n一、", 1)
    (workdir / "added").mkdir(exist_ok=True)
    (workdir / "added" / name).write_text(text, "utf-8")
    test_qs = [
        json.loads(line)["q"]
        for f in ("questions.jsonl", "dev_questions.jsonl")
        for line in (TESTS_DATA / f).read_text("utf-8").splitlines()
        if line.strip()
    ]
    questions = test_qs + gen.questions(n_questions)
    (workdir / "questions.json").write_text(json.dumps(questions, ensure_ascii=False))
    return {
        "reports": reports + 5,
        "passages_planned": total,
        "questions": len(questions),
        "seconds": time.perf_counter() - t0,
    }


# --- measuring ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
        "n": len(ms),
    }


def timed(fn: Callable[[], Any], questions: list[Any], repeats: int) -> list[float]:
    """Per-call seconds of fn(q) over `questions`, `repeats` times, after one warm-up pass."""
    for q in questions[: min(len(questions), 20)]:
        fn(q)  # type: ignore[call-arg]
    out = []
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            fn(q)  # type: ignore[call-arg]
            out.append(time.perf_counter() - t)
    return out


def html_renderer() -> tuple[Callable[[Any], str], str]:
    """The bot's Answer → Telegram HTML, as the bot sends it: the core's answer part (every
    button built, as for a logged question) rendered by bot.telegram.render."""
    from bot.core.conversation import answer_part
    from bot.telegram.render import answer_html

    return (lambda answer: answer_html(answer_part(answer, query_id=1))), "bot.telegram.render.answer_html"


def phase_bot(workdir: Path, answers: int, warm_up: int) -> dict[str, Any]:
    """Answers per second through the bot: the Application long-polling the fake Bot API server
    (its own process), `answers` private questions from as many users, AIORateLimiter off,
    after a first burst of `warm_up` right after the library opened (timed apart: "cold")."""
    import asyncio

    import botload  # benchmarks/ is this script's directory, so on sys.path

    from retrieval.library import Library

    lib = Library(_settings(workdir / "ours"))
    questions = json.loads((workdir / "questions.json").read_text("utf-8"))
    out = asyncio.run(botload.answers_per_second(lib, questions, answers, warm_up))
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _settings(data_dir: Path) -> Any:
    from retrieval.config import Settings

    return Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]


def phase_ours(workdir: Path, repeats: int) -> dict[str, Any]:
    """Ingest the corpus, build the index, then time retrieval and whole answers."""
    from retrieval.library import Library

    out: dict[str, Any] = {}
    lib = Library(_settings(workdir / "ours"))  # seeds itself with the bundled reports
    cpu0 = os.times()
    t = time.perf_counter()
    done, errors = lib.ingest([workdir / "corpus"], rebuild=False)
    wall = time.perf_counter() - t
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    cpu += (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    passages = lib.store.passage_count()
    ingested = sum(d.report.passage_count for d in done)
    out["ingest"] = {
        "seconds": wall,
        "passages": ingested,
        "reports": len(done),
        "errors": len(errors),
        "passages_per_s": ingested / wall,
        "cpu_utilisation": cpu / wall,  # 2.0 = both cores busy throughout
    }
    out["rss_after_ingest_mb"] = peak_rss_mb()
    # The figure index, kept at ingest (retrieval/figures.py): its rows and size on disk.
    db = lib.store.db
    out["figures"] = {
        "rows": int(db.execute("SELECT count(*) FROM figures").fetchone()[0]),
        "db_mb": lib.settings.db_path.stat().st_size / 1e6,
    }
    try:
        pages = db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%figures%'").fetchone()[0]
        out["figures"]["table_mb"] = (pages or 0) / 1e6
    except Exception:  # dbstat is a compile-time option of SQLite
        out["figures"]["table_mb"] = None
    t = time.perf_counter()
    indexed = lib.reindex()
    out["build"] = {"seconds": time.perf_counter() - t, "passages": indexed}
    out["passages"] = passages

    # One-core tokenising rate on a sample, for reference (what a plain loop would do).
    from retrieval.search import index_text

    rows = [r for _, r in zip(range(3000), lib.store.iter_index_rows(after=100), strict=False)]
    sample = [index_text(tuple(json.loads(r[2])), r[3]) for r in rows]
    t = time.perf_counter()
    for text in sample:
        lib.tokenizer.tokens(text)
    out["tokenise_one_core_passages_per_s"] = len(sample) / (time.perf_counter() - t)
    from retrieval.figures import figures_in

    t = time.perf_counter()
    for row in rows:
        figures_in(row[3])
    out["figures"]["extract_one_core_passages_per_s"] = len(rows) / (time.perf_counter() - t)

    questions = json.loads((workdir / "questions.json").read_text("utf-8"))
    searcher = lib.searcher
    queries = [lib.understander.understand(q) for q in questions]
    # The questions BM25 is asked at all (not refused first, some term in the corpus); the
    # baselines get the same terms.
    searchable = [
        q
        for q in queries
        if q.terms and searcher._refuse(q) is None and any(searcher._doc_freq(t) for t in q.terms)
    ]
    (workdir / "terms.json").write_text(json.dumps([list(q.terms) for q in searchable], ensure_ascii=False))
    # As asked (a question naming a place ranks only its reports' passages), and the same
    # work as the baselines do: score every passage and take the best.
    out["retrieval"] = percentiles(timed(searcher.candidates, searchable, repeats))
    everywhere = [dataclasses.replace(q, report_ids=None) for q in searchable]
    out["retrieval_all_rows"] = percentiles(timed(searcher.candidates, everywhere, repeats))
    render, how = html_renderer()
    out["html"] = how
    out["answer"] = percentiles(timed(lambda q: render(lib.ask(q)), questions, repeats))
    out["answered"] = sum(lib.ask(q).answered for q in questions)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def phase_add(workdir: Path) -> dict[str, Any]:
    """Open the library, add one report, and time until a question about it finds it."""
    from retrieval.library import Library

    lib = Library(_settings(workdir / "ours"))
    [path] = sorted((workdir / "added").glob("*.txt"))
    parsed = lib.parse(path.name, path.read_bytes())
    t = time.perf_counter()
    ingested = lib.add(parsed)
    answer = lib.ask(f"{NEW_TOWN}调处山林权属纠纷多少件")
    seconds = time.perf_counter() - t
    found = bool(answer.hits) and answer.hits[0].report.id == ingested.report.id
    return {"seconds": seconds, "found": found, "peak_rss_mb": peak_rss_mb()}


def phase_fresh(workdir: Path, started: float, which: str) -> dict[str, Any]:
    """A new process's first answer (`started`: time.time() when the parent spawned it)."""
    question = "行政复议案件办理情况"
    if which == "ours":
        from retrieval.library import Library

        lib = Library(_settings(workdir / "ours"))
        answered = lib.ask(question).answered
    else:
        import bm25s

        from retrieval.tokenize import Tokenizer

        model = bm25s.BM25.load(str(workdir / "bm25s"), mmap=True)
        tok = Tokenizer()
        scores = model.get_scores([t for t in tok.tokens(question) if t in model.vocab_dict])
        answered = bool(np.argpartition(-scores, 3)[:3].size)
    return {"seconds": time.time() - started, "answered": answered, "peak_rss_mb": peak_rss_mb()}


def _stored_tokens(workdir: Path) -> list[list[str]]:
    """Every passage's tokens as our ingest stored them, strings shared between documents."""
    import sqlite3

    conn = sqlite3.connect(workdir / "ours" / "reportbot.db")
    shared: dict[str, str] = {}
    get = shared.setdefault
    docs = [
        [get(t, t) for t in row[0].split()] for row in conn.execute("SELECT tokens FROM passages ORDER BY id")
    ]
    conn.close()
    return docs


def _top(scores: np.ndarray) -> np.ndarray:
    n = min(TOP_K, int(np.count_nonzero(scores)))
    return np.argpartition(-scores, n - 1)[:n] if n else np.zeros(0, dtype=np.int64)


def phase_bm25s(workdir: Path, repeats: int) -> dict[str, Any]:
    """Plain bm25s (lucene, k1 1.2, b 0.75) on our stored tokens: build, save, query."""
    import bm25s

    docs = _stored_tokens(workdir)
    t = time.perf_counter()
    model = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    model.index(docs, show_progress=False)
    build = time.perf_counter() - t
    del docs
    model.save(str(workdir / "bm25s"), show_progress=False)
    terms = json.loads((workdir / "terms.json").read_text("utf-8"))
    queries = [[t for t in ts if t in model.vocab_dict] for ts in terms]
    lat = timed(lambda q: _top(model.get_scores(q)), queries, repeats)
    return {"build": {"seconds": build}, "retrieval": percentiles(lat), "peak_rss_mb": peak_rss_mb()}


def phase_rank_bm25(workdir: Path, repeats: int) -> dict[str, Any]:
    """rank-bm25 (BM25Okapi, k1 1.2, b 0.75) on our stored tokens: build, query."""
    import rank_bm25

    docs = _stored_tokens(workdir)
    t = time.perf_counter()
    model = rank_bm25.BM25Okapi(docs, k1=1.2, b=0.75)
    build = time.perf_counter() - t
    terms = json.loads((workdir / "terms.json").read_text("utf-8"))
    queries = [ts for ts in terms if ts][:30]  # seconds per query at 100k
    lat = timed(lambda q: _top(model.get_scores(q)), queries, 1)
    return {"build": {"seconds": build}, "retrieval": percentiles(lat), "peak_rss_mb": peak_rss_mb()}


# --- the run -----------------------------------------------------------------------------------


def run_phase(workdir: Path, phase: str, *extra: str) -> dict[str, Any]:
    """Run one phase in a new process and return what it printed (its last line, JSON)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--workdir", str(workdir), "--phase", phase, *extra]
    spawned = time.time()
    proc = subprocess.run([*cmd, "--started", repr(spawned)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"phase {phase} failed ({proc.returncode})")
    lines = proc.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(f"  [{phase}] {line}")
    return json.loads(lines[-1])


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "–"


def table(res: dict[str, Any]) -> str:
    ours, b25, rb = res["ours"], res.get("bm25s", {}), res.get("rank_bm25")

    def g(d: dict[str, Any] | None, *path: str) -> float | None:
        for p in path:
            if not isinstance(d, dict) or p not in d:
                return None
            d = d[p]
        return d  # type: ignore[return-value]

    # (label, ours, bm25s, rank-bm25, format)
    rows: list[tuple[str, float | None, float | None, float | None, str]] = [
        ("ingest, passages/s", g(ours, "ingest", "passages_per_s"), None, None, "{:,.0f}"),
        (
            "index build, s",
            g(ours, "build", "seconds"),
            g(b25, "build", "seconds"),
            g(rb, "build", "seconds"),
            "{:.1f}",
        ),
        (
            "fresh process → first answer, s",
            g(res, "fresh", "seconds"),
            g(res, "fresh_bm25s", "seconds"),
            None,
            "{:.2f}",
        ),
        ("  after one report added, s", g(res, "fresh_after_add", "seconds"), None, None, "{:.2f}"),
        *(
            (
                f"retrieval, all passages, {p} ms",
                g(ours, "retrieval_all_rows", f"{p}_ms"),
                g(b25, "retrieval", f"{p}_ms"),
                g(rb, "retrieval", f"{p}_ms"),
                "{:.2f}",
            )
            for p in ("p50", "p99")
        ),
        *(
            (f"retrieval as asked, {p} ms", g(ours, "retrieval", f"{p}_ms"), None, None, "{:.2f}")
            for p in ("p50", "p99")
        ),
        *(
            (f"whole answer, {p} ms", g(ours, "answer", f"{p}_ms"), None, None, "{:.2f}")
            for p in ("p50", "p99")
        ),
        (
            "report added → answerable, s*",
            g(res, "add", "seconds"),
            g(b25, "build", "seconds"),
            g(rb, "build", "seconds"),
            "{:.2f}",
        ),
        (
            "peak RSS ingest+build+queries, MB",
            g(ours, "peak_rss_mb"),
            g(b25, "peak_rss_mb"),
            g(rb, "peak_rss_mb"),
            "{:,.0f}",
        ),
        (
            "peak RSS fresh process, MB",
            g(res, "fresh", "peak_rss_mb"),
            g(res, "fresh_bm25s", "peak_rss_mb"),
            None,
            "{:,.0f}",
        ),
        ("answers/s through the bot", g(res, "bot", "answers_per_second"), None, None, "{:.1f}"),
        ("  first burst after opening", g(res, "bot", "cold_answers_per_second"), None, None, "{:.1f}"),
        ("figure index rows", g(ours, "figures", "rows"), None, None, "{:,.0f}"),
        ("figure index on disk, MB", g(ours, "figures", "table_mb"), None, None, "{:,.1f}"),
        ("database on disk, MB", g(ours, "figures", "db_mb"), None, None, "{:,.0f}"),
        (
            "figures read, one core, passages/s",
            g(ours, "figures", "extract_one_core_passages_per_s"),
            None,
            None,
            "{:,.0f}",
        ),
    ]
    head = f"{'':38}{'ours':>10}{'bm25s':>10}{'rank-bm25':>11}{'ours/bm25s':>12}{'ours/rank':>11}"
    lines = [head, "-" * len(head)]
    for name, a, b, c, fmt in rows:
        cells = [fmt.format(x) if x is not None else "–" for x in (a, b, c)]
        lines.append(
            f"{name:38}{cells[0]:>10}{cells[1]:>10}{cells[2]:>11}{_ratio(a, b):>12}{_ratio(a, c):>11}"
        )
    lines.append("* the baselines cannot add to an index: theirs is a full rebuild.")
    lines.append("'as asked': a question naming a place ranks only that place's reports' passages.")
    return "\n".join(lines)


# Issue 21's targets at a million passages on this 2-core machine: (label, value, limit, at most?).
def targets(res: dict[str, Any]) -> str:
    """Each target beside its figure, ✓ when met (ratios from this same run)."""
    ours, b25 = res["ours"], res.get("bm25s") or {}
    ratio = None
    if b25.get("retrieval"):
        ratio = ours["retrieval_all_rows"]["p50_ms"] / b25["retrieval"]["p50_ms"]
    checks: list[tuple[str, float | None, float, bool, str]] = [
        ("whole answer p99, ms", ours["answer"]["p99_ms"], 20, True, "{:.1f}"),
        ("retrieval p50, × bm25s", ratio, 0.5, True, "{:.2f}×"),
        ("answers/s through the bot", (res.get("bot") or {}).get("answers_per_second"), 100, False, "{:.0f}"),
        ("fresh process → first answer, s", res["fresh"]["seconds"], 2, True, "{:.2f}"),
        ("peak RSS ingest+build+queries, GB", ours["peak_rss_mb"] / 1024, 2.5, True, "{:.2f}"),
        ("reindex, s", ours["build"]["seconds"], 60, True, "{:.1f}"),
    ]
    lines = [f"targets (issue 21, at 1M passages; this run has {ours['passages']:,}):"]
    for label, value, limit, at_most, fmt in checks:
        if value is None:
            lines.append(f"  {label:36} –")
            continue
        met = value <= limit if at_most else value >= limit
        sign = "≤" if at_most else "≥"
        lines.append(f"  {label:36} {fmt.format(value):>9}  {sign} {limit:g}  {'✓' if met else '✗'}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--passages", type=int, default=100_000, help="corpus size (default 100000)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 2,000 passages, few queries")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--questions", type=int, default=100, help="generated questions beside the test sets")
    ap.add_argument("--repeats", type=int, default=3, help="times each question is timed")
    ap.add_argument("--workdir", type=Path, help="keep the corpus and indexes here (default: a temp dir)")
    ap.add_argument("--out", type=Path, help="results JSON (default benchmarks/results/bench-N-time.json)")
    ap.add_argument("--answers", type=int, default=1000, help="questions sent to the bot in one burst")
    ap.add_argument("--warm-up", type=int, default=200, help="a first burst to the bot, timed apart")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--started", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--which", default="ours", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.phase:
        w = args.workdir
        phases: dict[str, Callable[[], dict[str, Any]]] = {
            "ours": lambda: phase_ours(w, args.repeats),
            "add": lambda: phase_add(w),
            "fresh": lambda: phase_fresh(w, args.started, args.which),
            "bm25s": lambda: phase_bm25s(w, args.repeats),
            "rank-bm25": lambda: phase_rank_bm25(w, args.repeats),
            "bot": lambda: phase_bot(w, args.answers, args.warm_up),
        }
        print(json.dumps(phases[args.phase](), ensure_ascii=False))
        return

    if args.quick:
        args.passages, args.questions, args.repeats, args.answers, args.warm_up = 2000, 20, 1, 200, 50
    os.environ.setdefault("TQDM_DISABLE", "1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reportbot-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("corpus", "ours", "bm25s", "added"):
        shutil.rmtree(workdir / sub, ignore_errors=True)
    started = time.perf_counter()
    res: dict[str, Any] = {
        "passages_requested": args.passages,
        "seed": args.seed,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
    }
    step = lambda s: print(f"[{time.perf_counter() - started:7.1f}s] {s}", flush=True)  # noqa: E731
    step(f"generating ~{args.passages:,} passages in {workdir}")
    res["corpus"] = generate(workdir, args.passages, args.seed, args.questions)
    step(f"corpus: {res['corpus']['reports']:,} reports; ours: ingest, build, queries")
    res["ours"] = run_phase(workdir, "ours", "--repeats", str(args.repeats))
    step("fresh process → first answer")
    res["fresh"] = run_phase(workdir, "fresh")
    step("adding one report")
    res["add"] = run_phase(workdir, "add")
    res["fresh_after_add"] = run_phase(workdir, "fresh")
    step("plain bm25s")
    res["bm25s"] = run_phase(workdir, "bm25s", "--repeats", str(args.repeats))
    res["fresh_bm25s"] = run_phase(workdir, "fresh", "--which", "bm25s")
    if args.passages <= RANK_BM25_MAX:
        step("rank-bm25")
        res["rank_bm25"] = run_phase(workdir, "rank-bm25", "--repeats", str(args.repeats))
    else:
        res["rank_bm25"] = None
        print(f"note: rank-bm25 skipped above {RANK_BM25_MAX:,} passages (pure Python; seconds per query)")
    step("answers through the bot (rate limiter off)")
    res["bot"] = run_phase(workdir, "bot", "--answers", str(args.answers), "--warm-up", str(args.warm_up))
    res["peak_rss_whole_run_mb"] = max(
        peak_rss_mb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    res["seconds"] = time.perf_counter() - started
    step("done")
    print()
    print(
        f"{res['ours']['passages']:,} passages, {res['corpus']['reports']:,} reports; "
        f"{os.cpu_count()} cores; HTML: {res['ours']['html']}"
    )
    print(table(res))
    print(targets(res))
    print(
        f"peak RSS of the whole run (largest process): {res['peak_rss_whole_run_mb']:,.0f} MB; "
        f"ingest used {res['ours']['ingest']['cpu_utilisation']:.2f} cores; "
        f"one-core tokenising: {res['ours']['tokenise_one_core_passages_per_s']:,.0f} passages/s"
    )
    out = args.out or RESULTS / f"bench-{args.passages}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=2))
    print(f"results: {out}")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
