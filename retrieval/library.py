"""The reports library: one object that ingests files, keeps the index in step with the
database, and answers questions. The CLI and the bot each hold one."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from retrieval.config import Settings
from retrieval.errors import ReportbotError, UnreadableFile
from retrieval.models import Answer, ParsedReport, Passage, Report
from retrieval.parse import parse_lines
from retrieval.places import Gazetteer, default_gazetteer
from retrieval.read import SUPPORTED_SUFFIXES, read_lines
from retrieval.search import Index, Searcher, index_text
from retrieval.store import Store
from retrieval.tokenize import Tokenizer
from retrieval.understand import Understander

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


class Outcome(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Ingested:
    """What ingesting one file did."""

    report: Report
    outcome: Outcome
    replaced: Report | None = None


class NoPassages(ReportbotError):
    """A file parsed but held no body paragraphs."""


class Library:
    """Database + tokenizer + index. Thread-safe: writes are serialised, and a reindex swaps
    in a new Searcher only when it is complete, so answering never waits for it."""

    def __init__(self, settings: Settings, gazetteer: Gazetteer | None = None) -> None:
        self.settings = settings
        self.gazetteer = gazetteer or default_gazetteer()
        first_run = not settings.db_path.exists()
        self.store = Store(settings.db_path)
        self.tokenizer = Tokenizer()
        self.tokenizer.add_words(self.gazetteer.all_names())
        self.understander = Understander(self.tokenizer, self.gazetteer)
        self._write_lock = threading.Lock()
        if first_run and settings.bundled_reports.is_dir():
            self.ingest([settings.bundled_reports], rebuild=False)
        self.searcher = self._load_or_build()

    # --- questions ---------------------------------------------------------------------

    def ask(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        """Answer a question from the current index (see Searcher.ask)."""
        return self.searcher.ask(question, k=k, offset=offset)

    def reports(self) -> list[Report]:
        return self.store.reports()

    def passage(self, passage_id: int) -> Passage | None:
        return self.store.passage(passage_id)

    # --- adding and removing reports ---------------------------------------------------

    def parse(self, name: str, data: bytes) -> ParsedReport:
        """Read and parse a file without storing it (for a preview). Raises UnreadableFile."""
        lines = read_lines(name, data)
        parsed = parse_lines(lines, Path(name).name, data, self.gazetteer)
        if not parsed.passages:
            raise UnreadableFile(name, "no body paragraphs found")
        return parsed

    def add(self, parsed: ParsedReport, rebuild: bool = True) -> Ingested:
        """Store a parsed report: unchanged if the same content is stored, replacing the
        report from a file of the same name if its content changed. Searchable on return."""
        with self._write_lock:
            same = self.store.find_by_hash(parsed.sha256)
            if same:
                return Ingested(same, Outcome.UNCHANGED)
            old = self.store.find_by_source(parsed.source)
            self.tokenizer.add_aliases(self._town_aliases(parsed.places))
            tokens = [self.tokenizer.tokens(index_text(p.section, p.text)) for p in parsed.passages]
            report = self.store.add_report(parsed, tokens, replace=old.id if old else None)
            if rebuild:
                self._rebuild()
        return Ingested(report, Outcome.REPLACED if old else Outcome.ADDED, old)

    def ingest(
        self, paths: Iterable[Path], rebuild: bool = True
    ) -> tuple[list[Ingested], list[UnreadableFile]]:
        """Ingest files and folders (folders recursively, supported types only). Files that
        cannot be read are skipped and returned as errors; the rest are stored."""
        done: list[Ingested] = []
        errors: list[UnreadableFile] = []
        for path in _expand(paths):
            try:
                done.append(self.add(self.parse(str(path), _read_file(path)), rebuild=False))
            except UnreadableFile as e:
                errors.append(e)
        if rebuild and any(d.outcome != Outcome.UNCHANGED for d in done):
            with self._write_lock:
                self._rebuild()
        return done, errors

    def delete(self, report_id: int) -> Report:
        """Remove a report; it stops being answered at once. Raises UnknownReport."""
        with self._write_lock:
            report = self.store.delete_report(report_id)
            self._rebuild()
        return report

    def reindex(self, retokenize: bool = False, progress: Progress | None = None) -> int:
        """Rebuild the index from the database (re-running the tokenizer if asked) and swap it
        in. Returns the number of passages indexed."""
        with self._write_lock:
            if retokenize:
                self._retokenize(progress)
            self._rebuild(progress)
        return len(self.searcher.index)

    # --- index upkeep ------------------------------------------------------------------

    def _fingerprint(self) -> str:
        """Changes whenever the indexed data or the index settings change."""
        s = self.settings
        row = self.store.db.execute(
            "SELECT count(*), coalesce(max(id), 0), coalesce(sum(length(tokens)), 0) FROM passages"
        ).fetchone()
        key = f"{row}|{s.engine}|{s.bm25_variant}|{s.bm25_k1}|{s.bm25_b}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def _load_or_build(self) -> Searcher:
        reports = self.store.reports()
        self._refresh_places(reports)
        if self.settings.engine == "bm25s":
            index = Index.load(self.settings.index_dir, self._fingerprint())
            if index is not None:
                return Searcher(index, self.store, self.tokenizer, self.understander, _by_id(reports))
        return self._build(reports)

    def _rebuild(self, progress: Progress | None = None) -> None:
        reports = self.store.reports()
        self._refresh_places(reports)
        self.searcher = self._build(reports, progress)

    def _build(self, reports: list[Report], progress: Progress | None = None) -> Searcher:
        total = self.store.passage_count()
        s = self.settings

        def rows() -> Iterable[tuple[int, int, tuple[str, ...], str, list[str]]]:
            import json

            for i, (pid, rid, section, text, tokens) in enumerate(self.store.iter_index_rows()):
                if progress and i % 5000 == 0:
                    progress(i, total)
                yield pid, rid, tuple(json.loads(section)), text, tokens.split()

        index = Index.build(rows(), engine=s.engine, variant=s.bm25_variant, k1=s.bm25_k1, b=s.bm25_b)
        if progress:
            progress(total, total)
        if s.engine == "bm25s":
            try:
                index.save(s.index_dir, self._fingerprint())
            except OSError as e:
                log.warning("could not save the index to %s: %s", s.index_dir, e)
        return Searcher(index, self.store, self.tokenizer, self.understander, _by_id(reports))

    def _retokenize(self, progress: Progress | None) -> None:
        total = self.store.passage_count()
        batch: list[tuple[int, list[str]]] = []
        import json

        for i, (pid, _rid, section, text, _tokens) in enumerate(self.store.iter_index_rows()):
            batch.append((pid, self.tokenizer.tokens(index_text(tuple(json.loads(section)), text))))
            if len(batch) >= 5000:
                self.store.set_tokens(batch)
                batch = []
            if progress and i % 5000 == 0:
                progress(i, total)
        self.store.set_tokens(batch)

    def _refresh_places(self, reports: list[Report]) -> None:
        for r in reports:
            self.tokenizer.add_aliases(self._town_aliases(r.places))
        self.understander.set_reports(reports)

    def _town_aliases(self, places: tuple[str, ...]) -> dict[str, str]:
        """Aliases that fold to one token: each place's short and full names."""
        return {a: p for p in places for a in self.gazetteer.aliases(p)}


def _by_id(reports: list[Report]) -> dict[int, Report]:
    return {r.id: r for r in reports}


def _expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES)
            )
        else:
            out.append(p)
    return out


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(str(path), "no such file") from None
    except OSError as e:
        raise UnreadableFile(str(path), e.strerror or "cannot be read") from None
