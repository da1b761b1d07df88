"""The reports library: one object that ingests files, keeps the index in step with the
database, and answers questions. The CLI and the bot each hold one.

Keeping the index in step: up to FULL_REBUILD_MAX passages every change rebuilds the whole
index (exact, and under a second or two). Beyond, a change builds only a delta index of the
passages added since the last full build, searched beside it, and masks the rows of deleted
reports; `reindex` (or a delta outgrowing DELTA_MAX) folds everything into a new full build.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from retrieval import checks, ranking, texts
from retrieval.bulk import BATCH_FILES, Workers, parse_report, read_file, sweep_temp_dirs, worth_workers
from retrieval.collection import Collection, is_bare_request, without_greeting
from retrieval.compare import Comparer
from retrieval.config import Settings
from retrieval.errors import ReportbotError, UnreadableFile
from retrieval.models import (
    Answer,
    FeedbackReason,
    Figure,
    Hit,
    LogEntry,
    OutlineEntry,
    ParsedPassage,
    ParsedReport,
    Passage,
    Query,
    Refusal,
    ReplyKind,
    Report,
    StoredFigure,
)
from retrieval.parse import FRONT_MATTER, text_hash
from retrieval.places import Gazetteer, default_gazetteer
from retrieval.read import SUPPORTED_SUFFIXES
from retrieval.search import Index, Searcher, index_text
from retrieval.snippets import make_snippet
from retrieval.store import LoggedQuery, Originals, Store
from retrieval.tokenize import Tokenizer
from retrieval.understand import MAX_QUESTION_CHARS, Understander, load_word_lists, normalise, out_of_scope

if TYPE_CHECKING:
    from retrieval.fetch import Limits

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[int, int], None]
IngestProgress = Callable[[int, int, int], None]  # (files done, files in all, passages stored)
FULL_REBUILD_MAX = 50_000  # up to this many passages, every change rebuilds the whole index
DELTA_MAX = 50_000  # a delta index would outgrow this: rebuild the whole index instead
# A rebuild or re-tokenising reports progress every this many rows: several times a second even
# while tokenising (~2,000 rows/s), so a progress display can update at least once a second.
PROGRESS_ROWS = 500
RETOKENIZE_BATCH = 1000  # passages tokenised per job (and per progress report) when re-tokenising
RETOKENIZE_POOL_MIN = 20_000  # fewer passages re-tokenise sooner on one core than workers start
RETOKENIZE_IN_FLIGHT = 3  # batches per core queued for the workers while their results are stored
FIRST_WORDS = 24  # characters of a section's first passage shown in an outline
REFRESH_SECONDS = 1.0  # how often asking checks whether another process changed the database
_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_FILTER_WORDS = 20  # a filter of more words than this is a paste, not a search
_WORD_SEPARATORS = re.compile(r"[\s,，、;；]+")
_YEAR_WORD = re.compile(r"((?:19|20)\d\d)(?:年度?)?")
# What a question about the report asks (its words) → the labels of the front's facts saying it.
_FRONT_LABELS = (
    (r"时间|日期|时候|何时|哪天|几月", ("发布时间", "发布日期", "成文", "发文日期", "落款日期")),
    (r"文号|字号", ("文号", "字号", "〔")),
    (r"索引号", ("索引号",)),
    (r"发布机构|发文机关|来源|谁发", ("发布机构", "发文机关", "来源")),
    (r"报送|主送|报给|写给|送给|递交|向谁|给谁", ("：", "常委会", "委员会", "政府")),
    (r"会议|会上|副标题", ("会议", "——")),
)
# A question about how a report is laid out (see Library._parts_first): its outline answers it.
_ABOUT_THE_PARTS = re.compile(
    r"(?:几|多少)(?:个|大)?(?:部分|板块|章节)|分(?:为|成)?几(?:个|大)?(?:部分|块|方面)"
)
# A question about a report itself, which its front answers (see Library._front_matter_first).
_ABOUT_THE_REPORT = re.compile(
    r"(?:什么时候|何时|哪天|哪一天|几月|日期|时间)[^，。？?]{0,6}(?:发布|印发|公布|报送|上报|发的|出的|写的|签发|落款)"
    r"|(?:发布|印发|公布|落款|成文|发文)(?:的)?(?:时间|日期)|文号|发文字号|字号|索引号|发布机构|发文机关"
    r"|报送|主送|报给|写给|送给|递交给|向谁|给谁|副标题"
    r"|(?:什么|哪个|哪次|哪一次)(?:会议|会上)|会议上(?:的|作|做)"
)


def clean_text(text: str) -> str:
    """`text` without lone surrogates (a client's broken UTF-16), which SQLite and the Bot
    API cannot encode."""
    return _SURROGATE.sub("", text)


class Outcome(StrEnum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"  # the same file is stored: nothing done
    DUPLICATE = "duplicate"  # another file of the same report is stored: nothing done


class OnDuplicate(StrEnum):
    """What to do with a report whose content, but not its file, is already stored (a .docx
    and a .txt of one report, a page saved twice with different site chrome)."""

    SKIP = "skip"  # store nothing; say which report it matches
    REPLACE = "replace"  # the new one replaces the stored one
    KEEP = "keep"  # store it beside the stored one


@dataclass(frozen=True, slots=True)
class Ingested:
    """What ingesting one file did. `report` is the report stored, or for UNCHANGED and
    DUPLICATE the stored report it matched; `source` names what was ingested."""

    report: Report
    outcome: Outcome
    replaced: Report | None = None
    source: str = ""

    @property
    def changed(self) -> bool:
        """Whether anything was stored (the index needs updating)."""
        return self.outcome in (Outcome.ADDED, Outcome.REPLACED)


class NoPassages(ReportbotError):
    """A file parsed but held no body paragraphs."""


class Library:
    """Database + tokenizer + index. Thread-safe: writes are serialised, and a reindex swaps
    in a new Searcher only when it is complete, so answering never waits for it."""

    def __init__(self, settings: Settings, gazetteer: Gazetteer | None = None) -> None:
        self.settings = settings
        self.gazetteer = gazetteer or default_gazetteer()
        first_run = not settings.db_path.exists()
        sweep_temp_dirs()  # what a bulk ingest killed under an older version left behind
        self.store = Store(settings.db_path)
        self.originals = Originals(settings.data_dir / "originals")
        self.tokenizer = Tokenizer(cache_dir=settings.data_dir / "cache")
        self.understander = Understander(self.tokenizer, self.gazetteer)
        self.collection = Collection(self.understander, self.gazetteer)
        self.comparer = Comparer(self.understander, self.gazetteer)
        self._write_lock = threading.Lock()
        self._backfill_text_hashes()
        if not self.store.figures_current():
            self._rebuild_figures()  # a database from before figures, or another extractor
        if first_run:
            self.store.set_tokenizer_signature(self.tokenizer.signature())
            if settings.bundled_reports.is_dir():
                self.ingest([settings.bundled_reports], rebuild=False)
        self.searcher = self._load_or_build()
        self._checked = time.monotonic()
        # What some questions need is read meanwhile, on a thread of its own: in the question
        # first needing it, it took ~0.6 s (at 1M passages, the slowest answers after a start).
        threading.Thread(target=_warm_up, args=(self.gazetteer,), name="warm-up", daemon=True).start()

    # --- questions ---------------------------------------------------------------------

    def ask(self, question: str, k: int = 3, offset: int = 0) -> Answer:
        """Answer a question from the current index: about the collection or small talk
        (Answer.reply), a comparison (Answer.groups), or as Searcher.ask does. A question longer
        than MAX_QUESTION_CHARS is refused before any tokenising; lone surrogates (from a
        broken client) are dropped rather than failing the question."""
        question = clean_text(question)
        if len(question) > MAX_QUESTION_CHARS:
            text = normalise(question[: MAX_QUESTION_CHARS * 4])
            if len(text) > MAX_QUESTION_CHARS:
                return Answer(Query(text=text, terms=()), refusal=Refusal.TOO_LONG)
        self.refresh()
        searcher = self.searcher
        question = without_greeting(question)
        if out_of_scope(question):
            return Answer(Query(text=normalise(question), terms=()), refusal=Refusal.OUT_OF_SCOPE)
        replied = self.collection.answer(question, list(searcher.reports.values()))
        if replied is not None:
            return _missing_year(replied)
        answer = searcher.ask(question, k=k, offset=offset)
        own = self._own_year_missing(answer, question, searcher.reports)
        if own is not None:
            return own
        ranked = self._ranked(answer, searcher.reports)
        if ranked is not None:
            return ranked
        compared = self.comparer.answer(question, searcher.ask, searcher.reports, k, offset, answer.query)
        if compared is not None:
            compared = self._figures_by_side(compared, searcher.reports)
            if compared.groups or compared.lead or offset:
                return compared
            answer = compared  # one place's reports, not sides: its figure may lead all the same
        figured = None
        if offset == 0 and answer.query.wants_figures:
            # 报送备案的规范性文件有多少件 asks a count, not to whom the report was sent (报送).
            figured = self._figure_first(answer, searcher.reports)
            if figured.lead:
                return figured
        fronted = self._front_matter_first(answer, question, searcher.reports) if offset == 0 else None
        if fronted is not None:
            return fronted
        parted = self._parts_first(answer, question, searcher.reports) if offset == 0 else None
        if parted is not None:
            return parted
        # The figure leads the first page only: later pages go on from the ordinary ranking.
        # Looked for once: an issuer's thousands of reports took ~0.1 s to look through.
        if figured is not None:
            return figured
        return self._figure_first(answer, searcher.reports) if offset == 0 else answer

    def _own_year_missing(self, answer: Answer, question: str, reports: dict[int, Report]) -> Answer | None:
        """A bare request for one place's report of a year (内蒙古自治区2024年法治政府建设年度报告)
        when the place's own reports are all of other years: a missing year with those years,
        not a report of a place inside it (a banner's of that year). None otherwise."""
        q = answer.query
        if len(q.places) != 1 or len(q.years) != 1:
            return None
        place = q.places[0]
        if not is_bare_request(question, self.gazetteer.aliases(place) | {place}):
            return None
        own = [r for r in reports.values() if r.place == place]
        if not own or any(r.year in q.years for r in own):
            return None
        years = tuple(sorted({r.year for r in own if r.year}))
        missing = dataclasses.replace(q, absent_years=q.years, place_years=years)
        return Answer(missing, refusal=Refusal.MISSING_YEAR, other_years=years)

    def _figure_first(self, answer: Answer, reports: dict[int, Report]) -> Answer:
        """A figure asked of one place's reports: when a report states it for sure (see
        ranking.sure_figure), the passage stating it goes first and the answer leads with it
        (临城县 2023年 行政复议申请 34件：“全年收到行政复议申请34件”); a question of how it changed
        leads with each year's (临城县 出庭应诉率：2022年 100% · 2023年 100%). Unsure: no lead."""
        q = answer.query
        if not (answer.hits and q.report_ids and q.terms) or answer.groups:
            return answer
        names = self._names_asked(q, reports)
        measure = ranking.measure_asked(q.text, names) or "".join(dict.fromkeys(q.terms))
        if not (q.wants_figures or measure.endswith(ranking.RATE_WORDS)):
            return answer
        order = list(dict.fromkeys([*q.first, *(h.report.id for h in answer.hits), *q.report_ids]))
        # 内蒙古自治区…几次 is the region's own figure: never a city's within it (鄂尔多斯市 6次).
        order = [i for i in order if i in reports and _of_places_named(reports[i], q.places)]
        if ranking.COMPARE.search(q.text) and 1 < len(order) <= MAX_YEARS_COMPARED:
            by_year = self._by_year(answer, measure, order, self.store.figures_of(order, measure), reports)
            if by_year is not None:
                return by_year
        for report_id, stored in _in_runs(order, measure, self.store.figures_of):
            report = reports.get(report_id)
            if report is None:
                continue
            found, unsure = ranking.sure_figure(measure, q.units, stored, report)
            if unsure:
                return answer  # two figures of the measure disagree: the passages say it
            if found is None:
                continue
            passage = self.store.passage(found.passage_id)
            if passage is None:
                return answer
            return _led_by(answer, found, passage, report)
        # No figure's own measure is the one asked: the best passages' headings may say it.
        # The words asked, but those naming who (分局 of 增城区公安分局).
        who = [reports[i].issuer for i in order] + list(names)
        words = tuple(t for t in dict.fromkeys(q.terms) if len(t) >= 2 and not any(t in n for n in who))
        for hit in answer.hits[:3]:
            if hit.report.id not in order:
                continue
            found = ranking.context_figure(
                measure, words, q.units, hit.passage, hit.report, self.store.figures_of([hit.report.id])
            )
            if found is not None:
                return _led_by(answer, found, hit.passage, hit.report)
        return answer

    def _by_year(
        self,
        answer: Answer,
        measure: str,
        order: list[int],
        stored: list[StoredFigure],
        reports: dict[int, Report],
    ) -> Answer | None:
        """How one place's figure changed: each year's report's own figure, when two years or
        more state one for sure; None otherwise."""
        stating: dict[int, tuple[StoredFigure, Report]] = {}
        for report_id in order:
            report = reports.get(report_id)
            if report is None or report.year is None or report.year in stating:
                continue
            found, _ = ranking.sure_figure(measure, answer.query.units, stored, report)
            if found is not None:
                stating[report.year] = (found, report)
        if len(stating) < 2:
            return None
        years = sorted(stating)
        figures = tuple(ranking.lead_figure(*stating[y]) for y in years)
        texts_by_id = self.store.passages([stating[y][0].passage_id for y in years])
        shown = [
            (texts_by_id[stating[y][0].passage_id], stating[y][1], stating[y][0].figure)
            for y in years
            if stating[y][0].passage_id in texts_by_id
        ]
        lead = texts.figures_by_year_lead(figures)
        return dataclasses.replace(
            answer, hits=_stating_first(answer.hits, shown[::-1]), lead=lead, figures=figures
        )

    def _front_matter_first(self, answer: Answer, question: str, reports: dict[int, Report]) -> Answer | None:
        """A question about a report itself (when it was published, its 文号, to whom it was
        sent, at which meeting it was delivered), of the reports of a place: the passage of
        what its front says (parse.FRONT_MATTER) goes first, with its citation. None for other
        questions, and when the report's front says nothing."""
        q = answer.query
        if not (q.report_ids and q.places) or not _ABOUT_THE_REPORT.search(normalise(question)):
            return None
        for report in _own_reports_first(answer, reports):
            front = next(
                (p for p in self.store.report_passages(report.id) if p.section == (FRONT_MATTER,)), None
            )
            if front is None:
                continue
            asked = normalise(question)
            weights = {
                label: 1.0 for words, labels in _FRONT_LABELS if re.search(words, asked) for label in labels
            }
            hit = Hit(
                1,
                answer.hits[0].score if answer.hits else 1.0,
                front,
                report,
                make_snippet(front.text, weights),
            )
            rest = [h for h in answer.hits if h.passage.id != front.id][: max(len(answer.hits) - 1, 0)]
            hits = (hit, *(dataclasses.replace(h, rank=i + 2) for i, h in enumerate(rest)))
            return dataclasses.replace(answer, hits=hits, refusal=None, partial=False)
        return None

    def _parts_first(self, answer: Answer, question: str, reports: dict[int, Report]) -> Answer | None:
        """A question about how a place's report is laid out (分为几个部分): a lead counting its
        top-level sections and naming them, with the report's first passage cited under it.
        None for other questions, and when no report of the place has two sections or more."""
        q = answer.query
        if not (q.report_ids and q.places) or not _ABOUT_THE_PARTS.search(normalise(question)):
            return None
        for report in _own_reports_first(answer, reports):
            outline = self.store.outline(report.id)
            parts = list(dict.fromkeys(path[0] for path in outline if path and path[0] != FRONT_MATTER))
            body = [p for p in self.store.report_passages(report.id) if p.section[:1] != (FRONT_MATTER,)]
            if len(parts) < 2 or not body:
                continue
            hit = Hit(
                1,
                answer.hits[0].score if answer.hits else 1.0,
                body[0],
                report,
                make_snippet(body[0].text, {}),
            )
            lead = texts.parts_lead(report.place or report.issuer, report.year, parts)
            return dataclasses.replace(answer, hits=(hit,), lead=lead, refusal=None, partial=False)
        return None

    def _names_asked(self, q: Query, reports: dict[int, Report]) -> tuple[str, ...]:
        """The places and issuers the question names, as it writes them (金平县 for
        金平苗族瑶族傣族自治县, 司法部, a name written one character off): who is asked about,
        not what."""
        issuers = {reports[i].issuer for i in q.report_ids or () if i in reports}
        places = {alias for place in q.places for alias in self.gazetteer.aliases(place)}
        return (
            *q.places,
            *(name for name in places | issuers if len(name) >= 2 and name in q.text),
            *(written for written, _ in q.corrected),
        )

    def _figures_by_side(self, answer: Answer, reports: dict[int, Report]) -> Answer:
        """A comparison of something counted leads with each side's figure (2022年 26件 · 2023年
        34件), when two sides or more state one for sure, and quotes each side at its figure."""
        q = answer.query
        if not (answer.groups and q.terms):
            return answer
        measure = ranking.measure_asked(q.text, self._names_asked(q, reports)) or "".join(
            dict.fromkeys(q.terms)
        )
        sides: list[str] = []
        figures = []
        groups = []
        for g in answer.groups:
            found = None
            if g.report is not None:
                stored = self.store.figures_of([g.report.id], measure)
                found, _ = ranking.sure_figure(measure, q.units, stored, g.report)
            passage = self.store.passage(found.passage_id) if found is not None else None
            if found is None or passage is None or g.report is None:
                groups.append(g)
                continue
            sides.append(f"{g.key} {ranking.shown(found.figure)}")
            figures.append(ranking.lead_figure(found, g.report))
            if not g.hits or g.hits[0].passage.id != passage.id:
                first = Hit(
                    0,
                    g.hits[0].score if g.hits else 0.0,
                    passage,
                    g.report,
                    ranking.snippet(passage.text, found.figure),
                )
                g = dataclasses.replace(
                    g, hits=(first, *(h for h in g.hits if h.passage.id != passage.id))[: len(g.hits) or 1]
                )
            groups.append(g)
        if len(sides) < 2:
            return answer  # one side's figure is no comparison: the sides' excerpts say the rest
        firsts = [g.hits[0] for g in groups if g.hits]
        shown = {h.passage.id for h in firsts}
        flat = [*firsts, *(h for h in answer.hits if h.passage.id not in shown)][
            : max(len(answer.hits), len(firsts))
        ]
        renumber = {id(h): dataclasses.replace(h, rank=i + 1) for i, h in enumerate(flat)}
        groups = [dataclasses.replace(g, hits=tuple(renumber.get(id(h), h) for h in g.hits)) for g in groups]
        return dataclasses.replace(
            answer,
            hits=tuple(renumber[id(h)] for h in flat),
            groups=tuple(groups),
            lead=" · ".join(sides),
            figures=tuple(figures),
        )

    def _ranked(self, answer: Answer, reports: dict[int, Report]) -> Answer | None:
        """A question across reports about a figure, as a ranked table (retrieval.ranking);
        when fewer than two places state it, their passages with a lead saying so; None when it
        is no such question or no report in scope states the figure."""
        q = answer.query
        asked = ranking.asked(q.text)  # the question as understood: normalised once, already
        if asked is None:
            return None
        if q.units and not asked.units:
            asked = dataclasses.replace(asked, units=q.units)  # 各县法律顾问多少名: people, not 10家
        scope = (
            [reports[i] for i in q.report_ids if i in reports]
            if q.report_ids is not None
            else list(reports.values())
        )
        if q.places and len({r.place for r in scope}) < 2:
            return None  # one place's reports: an ordinary question about them
        year = q.years[0] if len(q.years) == 1 else None
        t = ranking.table(asked, scope, self.store.figures_answering, self.store.passages, year)
        if t is None and asked.levels:
            # No place of the level asked states it: the places that do, said to be others.
            anywhere = dataclasses.replace(asked, levels=(), level="")
            other = ranking.table(anywhere, scope, self.store.figures_answering, self.store.passages, year)
            if other is not None and other.rows:
                lead = texts.table_lead_other_levels(other, asked.levels)
                return Answer(q, hits=ranking.hits(other), table=other, lead=lead)
        if t is None:
            return None
        if len(t.rows) >= 2:
            leaders = tuple(
                ranking.lead_figure(StoredFigure(row.figure, row.passage.id, row.report.id), row.report)
                for row in t.rows[: texts.TABLE_LEADERS]
            )
            return Answer(q, hits=ranking.hits(t), table=t, lead=texts.table_lead(t), figures=leaders)
        # One place or none states it (or meets the threshold): no ranking, the passages.
        shown = [(row.passage, row.report, row.figure) for row in t.rows]
        figures = tuple(
            ranking.lead_figure(StoredFigure(row.figure, row.passage.id, row.report.id), row.report)
            for row in t.rows
        )
        lead = texts.too_few_lead(t, asked.level)
        hits = _stating_first(answer.hits, shown) if answer.hits or shown else answer.hits
        if not hits:
            return None
        return dataclasses.replace(
            answer, hits=hits, lead=lead, figures=figures, groups=(), missing=(), refusal=None, partial=False
        )

    @staticmethod
    def question_for_year(question: str, year: int) -> str:
        """`question` asked about one year (the bot's button per other year of a place): the
        year it names replaced, else the year put first."""
        named = _YEAR_WORD.search(question)
        if named:
            return question[: named.start()] + f"{year}年" + question[named.end() :]
        return f"{year}年{question}"

    def question_for_place(self, question: str, choice: int) -> str | None:
        """`question` with the name written one character off two places or more replaced by
        the `choice`th of them (the bot's buttons under 是指…还是…？); None when it names no
        such place now."""
        q = self.understander.understand(clean_text(question))
        if not q.choices or not 0 <= choice < len(q.choices[0][1]):
            return None
        written, places = q.choices[0]
        return question.replace(written, places[choice], 1)

    def follow_up(self, previous: str, message: str) -> str | None:
        """`message` as a follow-up of the question `previous` (`那蓝山县呢？` → that question
        about 蓝山县), or None when it is a question of its own."""
        return self.understander.follow_up(clean_text(previous), clean_text(message))

    def reports(self) -> list[Report]:
        return self.store.reports()

    def find_reports(
        self, words: str | Sequence[str] = "", offset: int = 0, limit: int = 10
    ) -> tuple[list[Report], int]:
        """A page of the stored reports, newest year first, and how many match in all. With
        `words` (a string split at spaces and commas, or a list), only reports that match
        every word: in its title, issuer or places, under any name people use for a place
        (秀山县 finds 秀山土家族苗族自治县), or a year (2023, 2023年) as its year. Words after
        the first MAX_FILTER_WORDS are ignored."""
        if isinstance(words, str):
            words = _WORD_SEPARATORS.split(words)
        needles: list[list[str]] = []
        years: list[int | None] = []
        aliases = self.understander.places.alias_to_place
        for word in [w for w in dict.fromkeys(normalise(clean_text(w)) for w in words) if w][
            :MAX_FILTER_WORDS
        ]:
            place = aliases.get(word)
            alternatives = [word, place] if place and place != word else [word]
            year = _YEAR_WORD.fullmatch(word)
            needles.append(alternatives)
            years.append(int(year.group(1)) if year else None)
        return self.store.find_reports(needles, years, offset, limit)

    def report(self, report_id: int) -> Report:
        """A stored report. Raises UnknownReport."""
        return self.store.report(report_id)

    def sections(self, report_id: int) -> tuple[OutlineEntry, ...]:
        """A stored report's outline as an admin checks a parse: each section with its
        passage count and first words (see outline_entries). Raises UnknownReport."""
        headings = self.store.outline(report_id)
        return outline_entries(headings, self.store.report_passages(report_id))

    def sections_of(self, parsed: ParsedReport) -> tuple[OutlineEntry, ...]:
        """The sections of a report parsed but not stored (for a preview), as `sections` gives."""
        return outline_entries(parsed.outline, parsed.passages)

    def find_by_hash(self, sha256: str) -> Report | None:
        """The stored report with exactly this file content, if any."""
        return self.store.find_by_hash(sha256)

    def find_by_source(self, source: str) -> Report | None:
        """The newest stored report from a file of this name, if any."""
        return self.store.find_by_source(source)

    def passage(self, passage_id: int) -> Passage | None:
        return self.store.passage(passage_id)

    def outline(self, report_id: int) -> list[tuple[str, ...]]:
        """A report's section paths in order. Raises UnknownReport."""
        return self.store.outline(report_id)

    def figures(self, report_id: int) -> list[StoredFigure]:
        """The figures a report's passages state, in order (see retrieval.figures)."""
        return self.store.figures_of([report_id])

    def passage_count(self) -> int:
        return self.store.passage_count()

    def report_passages(self, report_id: int) -> list[Passage]:
        """A report's passages in document order."""
        return self.store.report_passages(report_id)

    # --- the query log -------------------------------------------------------------------

    def log_query(
        self, question: str, answer: Answer, user_id: int | None = None, chat_id: int | None = None
    ) -> int:
        """Log a question and what it got; returns its id (for paging and feedback)."""
        top = answer.hits[0].passage.id if answer.hits else None
        snippet = answer.hits[0].snippet.text if answer.hits else None
        refusal = answer.refusal.value if answer.refusal else None
        return self.store.log_query(
            clean_text(question), answer.answered, refusal, top, user_id, chat_id, top_snippet=snippet
        )

    def logged_query(self, query_id: int) -> LoggedQuery | None:
        return self.store.logged_query(query_id)

    def add_feedback(self, query_id: int, user_id: int, value: int) -> bool:
        """👍/👎 on an answered question, once per user; False if not stored (see Store)."""
        return self.store.add_feedback(query_id, user_id, value)

    def add_reason(self, query_id: int, user_id: int, reason: FeedbackReason) -> bool:
        """Why this user's 👎 was given, once; False if nothing changed (see Store.add_reason)."""
        return self.store.add_reason(query_id, user_id, reason)

    def feedback_of(self, query_id: int, user_id: int) -> int | None:
        """This user's 👍 (+1) or 👎 (-1) on a question, or None."""
        return self.store.feedback_of(query_id, user_id)

    def conversation_log(
        self, limit: int = 10, refused: bool = True, disliked: bool = True, now: datetime | None = None
    ) -> list[LogEntry]:
        """For admins: the newest refused questions (`refused`) and answered questions given
        a 👎 (`disliked`), newest first, with what each got and the 👎s' reasons; no one's
        name or id. Only what the retention setting still keeps, whether or not the bot's
        deleting job has run (the CLI may read a log no bot has cleaned for a while)."""
        since = (now or datetime.now(UTC)) - timedelta(days=self.settings.query_retention_days)
        return self.store.conversation_log(since.isoformat(timespec="seconds"), limit, refused, disliked)

    def forget_user(self, user_id: int) -> tuple[int, int]:
        """Delete a user's logged questions and feedback: (questions, feedback) deleted."""
        return self.store.forget_user(user_id)

    def purge_queries(self, older_than_days: float) -> int:
        """Delete logged questions older than this; returns how many."""
        return self.store.purge_queries(older_than_days)

    def stats(self) -> dict[str, int]:
        """Counts for the admin (see Store.stats)."""
        return self.store.stats()

    def close(self) -> None:
        self.store.close()

    # --- another process's changes -----------------------------------------------------

    def refresh(self, now: float | None = None) -> bool:
        """Pick up changes another process (the CLI beside the bot) made to the database:
        checked at most once every REFRESH_SECONDS (one small query), and the index brought
        in step when the data's version moved. True if it did."""
        now = time.monotonic() if now is None else now
        if now - self._checked < REFRESH_SECONDS:
            return False
        self._checked = now
        if self.store.version() == self._seen:
            return False
        # Never wait behind this process's own ingest or reindex: it updates the index itself.
        if not self._write_lock.acquire(blocking=False):
            return False
        try:
            if self.store.version() == self._seen:
                return False
            log.info("the database changed in another process: bringing the index in step")
            self._update(saved_first=True)
            return True
        finally:
            self._write_lock.release()

    # --- adding and removing reports ---------------------------------------------------

    def parse(self, name: str, data: bytes, pages: Progress | None = None) -> ParsedReport:
        """Read and parse a file without storing it (for a preview); `pages(page, pages)` is
        told of each PDF page read. Raises UnreadableFile."""
        return parse_report(name, data, self.gazetteer, pages)

    def fetch(self, url: str, limits: Limits | None = None) -> ParsedReport:
        """Fetch a link (see retrieval.fetch) and parse what it answers with, without storing
        it; the report's `url` is where it finally came from. Raises FetchError, or
        UnreadableFile (named by the link) when the download is no readable report."""
        from retrieval.fetch import Limits, fetch  # httpx: imported when first needed

        limits = limits or Limits()
        if not limits.allow and self.settings.fetch_allow:
            limits = dataclasses.replace(limits, allow=self.settings.fetch_allow)
        got = fetch(url, limits)
        try:
            parsed = self.parse(got.name, got.data)
        except UnreadableFile as e:
            raise UnreadableFile(url, e.reason, e.kind, e.detail) from None
        return dataclasses.replace(parsed, url=got.url)

    def stored_copy(self, parsed: ParsedReport) -> Report | None:
        """The stored report from a byte-identical file (adding it again changes nothing)."""
        return self.store.find_by_hash(parsed.sha256)

    def duplicate_of(self, parsed: ParsedReport) -> Report | None:
        """A stored report with the same issuer, year and body from another file, if any (see
        OnDuplicate)."""
        return self.store.find_by_text_hash(parsed.text_sha256, parsed.issuer, parsed.year)

    def replaces(self, parsed: ParsedReport) -> Report | None:
        """The stored report adding this one would replace as its newer version: the one
        fetched from the same link, or for a file the one from a file of the same name."""
        if parsed.url:
            return self.store.find_by_url(parsed.url)
        return self.store.find_by_source(parsed.source, url="")

    def add(
        self, parsed: ParsedReport, rebuild: bool = True, on_duplicate: OnDuplicate = OnDuplicate.SKIP
    ) -> Ingested:
        """Store a parsed report: unchanged if the same file is stored; for the same content
        from another file, what `on_duplicate` says; replacing the report from the same link
        or a file of the same name if its content changed. Searchable on return (unless
        `rebuild` is False)."""
        with self._write_lock:
            done = self._add(parsed, on_duplicate=on_duplicate)
            if rebuild and done.changed:
                self._update()
        return done

    def ingest(
        self,
        paths: Iterable[Path | str],
        rebuild: bool = True,
        on_duplicate: OnDuplicate = OnDuplicate.SKIP,
        limits: Limits | None = None,
        progress: IngestProgress | None = None,
        pages: Progress | None = None,
    ) -> tuple[list[Ingested], list[UnreadableFile]]:
        """Ingest files, folders (recursively, supported types only) and links (http/https
        strings, fetched within `limits`). What cannot be read or fetched is skipped and
        returned as errors; the rest are stored, with the same tokens as adding them one by
        one would give. Many files are read, parsed and tokenised on every core.

        `progress(files done, files in all, passages stored)` is called as each file or link
        is done, and `pages(page, pages)` as each page of a PDF read in this process is."""
        from retrieval.fetch import is_link

        items = list(paths)
        links = [str(p) for p in items if isinstance(p, str) and is_link(p)]
        files = _expand(Path(p) for p in items if not (isinstance(p, str) and is_link(p)))
        done: list[Ingested] = []
        errors: list[UnreadableFile] = []
        total, passages, counted = len(files) + len(links), 0, 0

        def tick() -> None:
            nonlocal passages, counted
            if progress is None:
                return
            passages += sum(d.report.passage_count for d in done[counted:] if d.changed)
            counted = len(done)
            progress(len(done) + len(errors), total, passages)

        # Links are fetched before taking the write lock: a slow server must not hold up
        # other changes.
        fetched: list[ParsedReport] = []
        for url in links:
            try:
                fetched.append(self.fetch(url, limits))
            except UnreadableFile as e:
                errors.append(e)
                tick()
        with self._write_lock:
            if worth_workers(files):
                self._ingest_on_workers(files, done, errors, on_duplicate, tick)
            else:
                for path in files:
                    try:
                        parsed = self.parse(str(path), read_file(path), pages)
                        done.append(self._add(parsed, None, on_duplicate))
                    except UnreadableFile as e:
                        errors.append(e)
                    tick()
            for parsed in fetched:
                try:
                    done.append(self._add(parsed, None, on_duplicate))
                except UnreadableFile as e:  # too big or repetitive (retrieval.checks)
                    errors.append(e)
                tick()
            if rebuild and any(d.changed for d in done):
                self._update()
        return done, errors

    def delete(self, report_id: int) -> Report:
        """Remove a report; it stops being answered at once. Raises UnknownReport."""
        with self._write_lock:
            report = self.store.delete_report(report_id)
            self.originals.drop(report_id)
            self._update()
        return report

    def original(self, report_id: int) -> Path | None:
        """The file a stored report was read from (kept beside the database), or None for a
        report stored before originals were kept."""
        return self.originals.path(report_id)

    def reindex(self, retokenize: bool = False, progress: Progress | None = None) -> int:
        """Rebuild the index from the database (re-running the tokenizer if asked) and swap it
        in. Returns the number of passages indexed."""
        with self._write_lock:
            if retokenize:
                self._retokenize(progress)
            if not self.store.figures_current():
                self._rebuild_figures()  # stored at ingest: re-read only for a new extractor
            self._rebuild(progress)
        return len(self.searcher.index)

    def _add(
        self,
        parsed: ParsedReport,
        tokens: list[str] | None = None,
        on_duplicate: OnDuplicate = OnDuplicate.SKIP,
    ) -> Ingested:
        """Store a report (see add) without updating the index; tokenises it unless its
        tokens (each passage's joined by spaces) come with it. Raises UnreadableFile for a
        report too big or repetitive to be one (see retrieval.checks)."""
        checks.check_report(parsed)
        name = parsed.url or parsed.source
        same = self.stored_copy(parsed)
        if same:
            return Ingested(same, Outcome.UNCHANGED, source=name)
        twin = self.duplicate_of(parsed)
        if twin and on_duplicate == OnDuplicate.SKIP:
            return Ingested(twin, Outcome.DUPLICATE, source=name)
        old = self.replaces(parsed)
        if twin and on_duplicate == OnDuplicate.REPLACE:
            old, also = twin, old
        else:
            also = None
        if tokens is None:
            tokens = [" ".join(self.tokenizer.tokens(index_text(p.section, p.text))) for p in parsed.passages]
        replace = [r.id for r in (old, also) if r is not None]
        report = self.store.add_report(parsed, tokens, replace=replace)
        for rid in replace:
            self.originals.drop(rid)
        try:
            self.originals.keep(report.id, parsed.source, parsed.content)
        except OSError as e:  # the report is stored and answerable; only its file is not kept
            log.warning("could not keep the original of report #%s: %s", report.id, e.strerror or e)
        return Ingested(report, Outcome.REPLACED if old else Outcome.ADDED, old, source=name)

    def _skips_duplicate(
        self, parsed: ParsedReport, on_duplicate: OnDuplicate, seen: set[tuple[str, str, int | None]]
    ) -> bool:
        """Whether _add will store nothing for this report as a duplicate of one stored
        before it (`seen`: the identities of reports about to be stored)."""
        if on_duplicate != OnDuplicate.SKIP or not parsed.text_sha256:
            return False
        return _identity(parsed) in seen or self.duplicate_of(parsed) is not None

    def _backfill_text_hashes(self) -> None:
        """Reports stored before text hashes were get theirs, so a copy of one from another
        file is recognised too (one query when there are none)."""
        for rid in self.store.reports_without_text_hash():
            passages = self.store.report_passages(rid)
            self.store.set_text_hash(rid, text_hash([ParsedPassage(p.section, p.text) for p in passages]))

    def _ingest_on_workers(
        self,
        files: list[Path],
        done: list[Ingested],
        errors: list[UnreadableFile],
        on_duplicate: OnDuplicate = OnDuplicate.SKIP,
        tick: Callable[[], None] = lambda: None,
    ) -> None:
        """ingest() for many files: workers parse a batch of files, then tokenise it while
        this process stores the results as they come (and the workers go on to parse the
        next batch). Duplicates are settled here, in file order, exactly as _add would one by
        one."""
        batches = [files[i : i + BATCH_FILES] for i in range(0, len(files), BATCH_FILES)]
        with Workers(self.tokenizer, self.gazetteer) as workers:
            parsing = workers.parse(batches[0])
            for i in range(len(batches)):
                jobs: list[tuple[ParsedReport, bool]] = []  # False: a duplicate, not tokenised
                hashes: set[str] = set()
                twins: set[tuple[str, str, int | None]] = set()
                for item in parsing:
                    if isinstance(item, UnreadableFile):
                        errors.append(item)
                        tick()
                    elif (
                        item.sha256 in hashes
                        or self.store.find_by_hash(item.sha256)
                        or self._skips_duplicate(item, on_duplicate, twins)
                    ):
                        jobs.append((item, False))
                    else:
                        hashes.add(item.sha256)
                        twins.add(_identity(item))
                        jobs.append((item, True))
                tokens = workers.tokenize(
                    [[index_text(p.section, p.text) for p in item.passages] for item, new in jobs if new]
                )
                if i + 1 < len(batches):
                    parsing = workers.parse(batches[i + 1])
                for item, new in jobs:
                    done.append(self._add(item, next(tokens) if new else None, on_duplicate))
                    tick()

    # --- index upkeep ------------------------------------------------------------------

    def _index_key(self) -> str:
        """What a saved index must have been built for to be used at all: this database, the
        current rewrite of its tokens, and the index settings. Which generation of the data
        it holds is checked apart (Index.generation): cheap, however big the corpus."""
        s, v = self.settings, self.store.version()
        return f"{v.db_id}|{v.tokens_epoch}|{s.engine}|{s.bm25_variant}|{s.bm25_k1}|{s.bm25_b}"

    def _load_or_build(self) -> Searcher:
        reports = self.store.reports()
        self._refresh_places(reports)
        signature = self.tokenizer.signature()
        if self.store.tokenizer_signature() != signature:
            # Tokens written by another version of the tokenizer or its dictionary would not
            # match what questions are tokenised to (rewriting them invalidates the saved index).
            log.warning("tokenizer changed since the tokens were stored: re-tokenising")
            self._retokenize(None)
            self.store.set_tokenizer_signature(signature)
        self._seen = self.store.version()
        s = self.settings
        if s.engine == "bm25s" or self._shards:
            index = Index.load(
                s.index_dir,
                self._index_key(),
                shards=self._shards,
                generation=self._seen.generation,
                k1=s.bm25_k1,
                b=s.bm25_b,
            )
            if index is not None:
                searcher = self._searcher(index, reports)
                if searcher is not None:
                    return searcher
        return self._build(reports)

    @property
    def _shards(self) -> tuple[tuple[str, int], ...]:
        """The xapian-tcpsrv servers scoring questions, if any (engine xapian)."""
        return tuple(self.settings.xapian_shards) if self.settings.engine == "xapian" else ()

    def _searcher(self, main: Index, reports: list[Report]) -> Searcher | None:
        """A Searcher over `main` made current: as it is if built from the current data, else
        with a delta of the passages added since and the rows of deleted reports masked.
        None when a full build is due instead (a small corpus, or a delta grown too big)."""
        if main.fingerprint != self._index_key():
            return None
        by_id = _by_id(reports)
        generation = self.store.version().generation
        if main.generation == generation:
            return Searcher(main, self.store, self.tokenizer, self.understander, by_id)
        if main.generation > generation:
            return None  # built from data newer than this (a database restored from a backup)
        after = main.max_passage_id
        added = self.store.passage_count(after=after)
        if len(main) + added < FULL_REBUILD_MAX or added > DELTA_MAX:
            return None
        s = self.settings
        delta = None
        if added:
            rows = self.store.iter_index_rows(after=after)
            delta = Index.from_stored(rows, s.engine, s.bm25_variant, s.bm25_k1, s.bm25_b, base=main)
        # Ids are never reused, so a main row is stale exactly when its report is gone.
        dead = np.flatnonzero(~np.isin(main.report_ids, np.asarray(list(by_id), dtype=np.int64)))
        return Searcher(main, self.store, self.tokenizer, self.understander, by_id, delta=delta, dead=dead)

    def _update(self, saved_first: bool = False) -> None:
        """Bring the index in step with the database after a change (see the module doc).
        `saved_first`: the change came from another process, which saved its index: load
        that if it is of the current data (a reindex there need not be redone here)."""
        self._seen = self.store.version()
        reports = self.store.reports()
        self._refresh_places(reports)
        current = getattr(self, "searcher", None)
        searcher = None
        if saved_first and self.settings.engine == "bm25s":
            saved = Index.load(self.settings.index_dir, self._index_key())
            if saved is not None and saved.generation == self._seen.generation:
                searcher = self._searcher(saved, reports)
                if searcher is not None:
                    self.searcher = searcher
                    return
        if current is not None and self.settings.engine == "bm25s":
            searcher = self._searcher(current.index, reports)
        self.searcher = searcher if searcher is not None else self._build(reports)

    def _rebuild(self, progress: Progress | None = None) -> None:
        self._seen = self.store.version()
        reports = self.store.reports()
        self._refresh_places(reports)
        self.searcher = self._build(reports, progress)

    def _build(self, reports: list[Report], progress: Progress | None = None) -> Searcher:
        """A full build of the index from the database, saved for the next start."""
        total = self.store.passage_count()
        s = self.settings
        key, generation = self._index_key(), self.store.version().generation

        def rows() -> Iterable[tuple[int, int, str, str, str]]:
            # The shards hold the tokens: their text is the half of each row not read then.
            read = (
                ((pid, rid, sec, text, "") for pid, rid, sec, text in self.store.iter_passage_texts())
                if self._shards
                else self.store.iter_index_rows()
            )
            for i, row in enumerate(read):
                if progress and i % PROGRESS_ROWS == 0:
                    progress(i, total)
                yield row

        index = Index.from_stored(
            rows(),
            s.engine,
            s.bm25_variant,
            s.bm25_k1,
            s.bm25_b,
            fingerprint=key,
            generation=generation,
            shards=self._shards,
        )
        if progress:
            progress(total, total)
        if s.engine == "bm25s" or self._shards:
            try:
                index.save(s.index_dir, key)
            except OSError as e:
                log.warning("could not save the index to %s: %s", s.index_dir, e)
        return Searcher(index, self.store, self.tokenizer, self.understander, _by_id(reports))

    def _retokenize(self, progress: Progress | None) -> None:
        """Tokenise every stored passage again and store its tokens: on worker processes, one
        batch each at a time, while this process reads the next batches and writes those done
        (one core re-tokenises ~2,000 passages/s on a quiet machine: minutes at a million)."""
        total = self.store.passage_count()
        rows = self.store.iter_passage_texts()
        texts = ((pid, index_text(tuple(json.loads(section)), text)) for pid, _, section, text in rows)
        batches = _batched(texts, RETOKENIZE_BATCH)
        done = 0
        cores = os.cpu_count() or 1
        if total < RETOKENIZE_POOL_MIN or cores < 2:
            for batch in batches:
                self.store.set_tokens((pid, self.tokenizer.tokens(text)) for pid, text in batch)
                done = self._retokenized(done + len(batch), total, progress)
            return
        with Workers(self.tokenizer, self.gazetteer) as workers:
            pending: deque[tuple[list[int], Iterator[list[str]]]] = deque()
            for batch in batches:
                # Bounded: the texts of a few batches per worker in flight, not the corpus.
                pending.append(([pid for pid, _ in batch], workers.tokenize([[t for _, t in batch]])))
                if len(pending) > RETOKENIZE_IN_FLIGHT * cores:
                    done = self._store_tokens(pending.popleft(), done, total, progress)
            while pending:
                done = self._store_tokens(pending.popleft(), done, total, progress)

    def _rebuild_figures(self) -> None:
        """Extract every stored passage's figures again (another extractor): on worker
        processes for a big collection, one batch each at a time, while this process stores
        those done (one core read ~4,000 passages/s: 240 s at a million)."""
        if self.store.passage_count() < RETOKENIZE_POOL_MIN or (os.cpu_count() or 1) < 2:
            self.store.rebuild_figures()
            return
        cores = os.cpu_count() or 1
        with Workers(self.tokenizer, self.gazetteer) as workers:

            def found() -> Iterator[tuple[int, int, list[Figure]]]:
                rows = ((pid, rid, text) for pid, rid, _, text in self.store.iter_passage_texts())
                pending: deque[tuple[list[tuple[int, int, str]], Iterator[list[list[Figure]]]]] = deque()
                for batch in _batched(rows, RETOKENIZE_BATCH):
                    pending.append((batch, workers.figures([[text for _, _, text in batch]])))
                    if len(pending) > RETOKENIZE_IN_FLIGHT * cores:
                        yield from _with_figures(*pending.popleft())
                while pending:
                    yield from _with_figures(*pending.popleft())

            self.store.rebuild_figures(found())

    def _store_tokens(
        self, job: tuple[list[int], Iterator[list[str]]], done: int, total: int, progress: Progress | None
    ) -> int:
        ids, tokens = job
        self.store.set_tokens(zip(ids, next(tokens), strict=True))
        return self._retokenized(done + len(ids), total, progress)

    @staticmethod
    def _retokenized(done: int, total: int, progress: Progress | None) -> int:
        if progress:
            progress(done, total)
        return done

    def _refresh_places(self, reports: list[Report]) -> None:
        self.understander.set_reports(reports)


def _led_by(answer: Answer, found: StoredFigure, passage: Passage, report: Report) -> Answer:
    """`answer` led by the figure `found` of `passage`, that passage first."""
    figure = ranking.lead_figure(found, report)
    lead = texts.figure_lead(figure, ranking.clause(passage.text, found.figure))
    hits = _stating_first(answer.hits, [(passage, report, found.figure)])
    return dataclasses.replace(answer, hits=hits, lead=lead, figures=(figure,))


def _of_places_named(report: Report, places: tuple[str, ...]) -> bool:
    """Whether `report` is of a place the question names (its own place, not one within
    it); any report is when the question names none."""
    return not places or not report.places or report.places[-1] in places


def _warm_up(gazetteer: Gazetteer) -> None:
    """Build the word lists and name tables questions look things up in."""
    load_word_lists()
    gazetteer.short_names()


def _missing_year(answer: Answer) -> Answer:
    """A question about a place's report of a year it has none of (南昌县2020年法治政府建设情况)
    refused as a missing year, with the years it has (each a button), like any question of
    that place and year; other replies as they are."""
    r = answer.reply
    if (
        r is None
        or r.kind != ReplyKind.PLACE
        or r.year is None
        or r.reports
        or r.unknown_places
        or not r.places
    ):
        return answer
    q = dataclasses.replace(
        answer.query, places=r.places, absent_years=(r.year,), place_years=tuple(sorted(r.years))
    )
    return Answer(q, refusal=Refusal.MISSING_YEAR, other_years=q.place_years)


def _own_reports_first(answer: Answer, reports: dict[int, Report]) -> Iterator[Report]:
    """The reports a question about a place's report may mean, best first: those its query
    put first, then those of its hits, then the rest newest first; the place's own reports
    before those of places inside it (重庆市's, not 秀山县's)."""
    q = answer.query
    order = [*q.first, *(h.report.id for h in answer.hits), *sorted(q.report_ids or (), reverse=True)]
    own = [i for i in order if i in reports and reports[i].place in q.places]
    for rid in dict.fromkeys([*own, *order]):
        if rid in reports:
            yield reports[rid]


def outline_entries(
    headings: Sequence[tuple[str, ...]], passages: Sequence[Passage | ParsedPassage]
) -> tuple[OutlineEntry, ...]:
    """Each section of a report in document order (the opening before any heading first, if
    it has passages; then every heading, also one with only subsections under it) with the
    number of passages directly under it and the first words of the first of them."""
    counts: dict[tuple[str, ...], int] = {}
    first: dict[tuple[str, ...], str] = {}
    for p in passages:
        counts[p.section] = counts.get(p.section, 0) + 1
        if p.section not in first:
            # A paragraph opening with its own heading (（一）深化改革。编制…) shows what follows it.
            rest = p.text.removeprefix(p.section[-1]).lstrip("。：:，, ") if p.section else p.text
            first[p.section] = rest or p.text
    order = list(dict.fromkeys([*([()] if () in counts else []), *headings, *counts]))
    return tuple(OutlineEntry(path, counts.get(path, 0), _first_words(first.get(path, ""))) for path in order)


def _first_words(text: str) -> str:
    return text if len(text) <= FIRST_WORDS else text[:FIRST_WORDS] + "…"


def _identity(parsed: ParsedReport) -> tuple[str, str, int | None]:
    """What makes two reports the same one: their body, issuer and year."""
    return parsed.text_sha256, parsed.issuer, parsed.year


def _with_figures(
    batch: list[tuple[int, int, str]], figures: Iterator[list[list[Figure]]]
) -> Iterator[tuple[int, int, list[Figure]]]:
    """Each (passage id, report id, text) of `batch` with its figures (a worker's result)."""
    for (pid, rid, _), of in zip(batch, next(figures), strict=True):
        yield pid, rid, of


def _batched(items: Iterable[T], n: int) -> Iterator[list[T]]:
    """`items` in lists of `n` (the last shorter)."""
    it = iter(items)
    while batch := list(itertools.islice(it, n)):
        yield batch


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


def _stating_first(hits: tuple[Hit, ...], stating: list[tuple[Passage, Report, Figure]]) -> tuple[Hit, ...]:
    """`hits` with the passages stating these figures first (in this order, each quoted at its
    figure), the page no longer than it was (or as long as the figures stated)."""
    out = list(hits)
    first_rank = hits[0].rank if hits else 1
    score = hits[0].score if hits else 0.0
    for passage, report, figure in reversed(stating):
        at = next((i for i, h in enumerate(out) if h.passage.id == passage.id), None)
        hit = (
            out.pop(at)
            if at is not None
            else Hit(0, score, passage, report, ranking.snippet(passage.text, figure))
        )
        out.insert(0, hit)
    out = out[: max(len(hits), len(stating))]
    return tuple(dataclasses.replace(h, rank=first_rank + i) for i, h in enumerate(out))


MAX_YEARS_COMPARED = 30  # reports of one place read for a figure year by year
# Reports read for a figure lead, at most (runs of 8, 64, 512 and 4,096): past the answer's own
# reports the order is the collection's, and at ten million passages an issuer such as 政府办
# has 24,000 reports, whose figures took 0.7 s to read when none stated the one asked.
MAX_LEAD_REPORTS = 8 + 64 + 512 + 4096


def _in_runs(
    report_ids: list[int], measure: str, figures: Callable[[list[int], str], list[StoredFigure]]
) -> Iterator[tuple[int, list[StoredFigure]]]:
    """Each of the first MAX_LEAD_REPORTS reports with the figures of `measure` read for it,
    in order, read in growing runs (8, 64, …): an issuer such as 政府办 names thousands of
    reports, and the first few answer."""
    report_ids = report_ids[:MAX_LEAD_REPORTS]
    start, size = 0, 8
    while start < len(report_ids):
        part = report_ids[start : start + size]
        # Each report gets its own figures only: handing every report the whole run's made
        # a run of 512 reports cost 512 passes over all of their figures.
        own: dict[int, list[StoredFigure]] = {}
        for f in figures(part, measure):
            own.setdefault(f.report_id, []).append(f)
        for report_id in part:
            yield report_id, own.get(report_id, [])
        start, size = start + size, size * 8
