"""The small immutable values passed between the library and its clients."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Line:
    """One logical line of a file as read: a paragraph, a heading or a table row.

    `level` is the heading level the file itself gives the line (Word's Title style → 0,
    Heading 1–3 or an outline level → 1–3, an HTML <h1>–<h3> → 1–3); None when the file says
    nothing and the parser judges by the text alone."""

    text: str
    level: int | None = None
    table: bool = False  # a table row (cells with their header cells): always a passage


@dataclass(frozen=True, slots=True)
class Document:
    """What `retrieval.read` makes of a file: its logical lines in order, and what the file
    says about itself outside the report's own text (a web page's 发布时间 and 来源)."""

    lines: tuple[Line, ...]
    published: str = ""  # ISO date (YYYY-MM-DD) a web page gives as 发布时间, else ""
    origin: str = ""  # a web page's 来源 (the publishing office), else ""

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]


@dataclass(frozen=True, slots=True)
class ParsedPassage:
    """One body paragraph of a report as parsed, before it is stored."""

    section: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """A report as parsed from one file: metadata and body paragraphs, not yet stored."""

    title: str
    issuer: str
    year: int | None
    places: tuple[str, ...]
    source: str
    sha256: str
    passages: tuple[ParsedPassage, ...]
    outline: tuple[tuple[str, ...], ...] = ()
    url: str = ""  # where the report was fetched from (a link ingested), else ""
    published: str = ""  # ISO date the source gives as 发布时间, else ""
    origin: str = ""  # the source's 来源, else ""
    year_inferred: bool = False  # `year` guessed from the signature date or 发布时间
    plan_year: int | None = None  # the year its plans section is for (normally year + 1)
    signed_on: str = ""  # ISO date of the signature at the end, else ""
    text_sha256: str = ""  # hash of the passages' text: the same report from another file
    # Not written in the report but inferred (retrieval.analyse): the issuer from its file name,
    # its title's place or how its body refers to itself; the places from its addressee.
    issuer_inferred: bool = False
    places_inferred: bool = False
    # The file's bytes, kept beside the database when the report is stored (the bot's 来源
    # sends it). Left out of comparisons and repr: it is the input, not the parse.
    content: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Report:
    """A stored report. `places` run from the widest division to the narrowest."""

    id: int
    title: str
    issuer: str
    year: int | None
    places: tuple[str, ...]
    source: str
    sha256: str
    passage_count: int = 0
    url: str = ""
    published: str = ""
    origin: str = ""
    year_inferred: bool = False
    plan_year: int | None = None
    signed_on: str = ""
    text_sha256: str = ""
    issuer_inferred: bool = False
    places_inferred: bool = False

    @property
    def place(self) -> str:
        """The narrowest place the report is about, or '' when none is known."""
        return self.places[-1] if self.places else ""


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    """One section of a report's outline, as an admin checks a parse: its heading path (()
    for the opening before any heading), the passages directly under it, and the first words
    of the first of them ("" when it has only subsections)."""

    path: tuple[str, ...]
    passages: int
    first_words: str = ""


@dataclass(frozen=True, slots=True)
class Passage:
    """A stored body paragraph with the headings it sits under."""

    id: int
    report_id: int
    ordinal: int
    section: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Span:
    """A run of snippet text; `match` marks a query term."""

    text: str
    match: bool = False


@dataclass(frozen=True, slots=True)
class Snippet:
    """The best one to three sentences of a passage, verbatim, with '…' where text was cut."""

    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)

    def highlights(self) -> list[tuple[int, int]]:
        """Character ranges [start, end) of the matched terms within `text`."""
        out: list[tuple[int, int]] = []
        pos = 0
        for s in self.spans:
            if s.match:
                out.append((pos, pos + len(s.text)))
            pos += len(s.text)
        return out


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked passage in an answer."""

    rank: int
    score: float
    passage: Passage
    report: Report
    snippet: Snippet


class SectionKind(IntEnum):
    """The standard parts every annual rule-of-law report has."""

    OTHER = 0
    PROBLEMS = 1  # 存在的问题和不足
    PLANS = 2  # 下一年度的打算
    DUTY = 3  # 主要负责人履行第一责任人职责


class Refusal(StrEnum):
    """Why a question got no excerpts."""

    EMPTY = "empty"  # nothing searchable in the question
    TOO_LONG = "too_long"
    UNKNOWN_PLACE = "unknown_place"  # names a place no indexed report covers
    NO_MATCH = "no_match"  # nothing in the reports answers it
    NO_REPORTS = "no_reports"  # the corpus is empty
    MISSING_YEAR = "missing_year"  # the place asked about has reports, but none of the year asked
    WHICH_PLACE = "which_place"  # a name one character off two places or more: the user picks
    OUT_OF_SCOPE = "out_of_scope"  # a request the bot does not serve (drafting, translating, opinions)


@dataclass(frozen=True, slots=True)
class Query:
    """What the question understander made of a question."""

    text: str
    terms: tuple[str, ...]  # search terms, question words and place names removed
    places: tuple[str, ...] = ()  # canonical places of indexed reports named in the question
    unknown_places: tuple[str, ...] = ()  # places named that no indexed report covers
    years: tuple[int, ...] = ()
    wants_figures: bool = False
    units: str = ""  # measure words of the figure asked for (多少条 → 条), with their like (名 → 人名)
    kind: SectionKind = SectionKind.OTHER  # the part of a report the question is about
    report_ids: tuple[int, ...] | None = None  # None: every report
    # Words of the question that stand for others (打官司 → 行政诉讼, 应诉 …): searched for too,
    # at a lower weight. Each such word is one of `terms`.
    alternatives: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Reports of `report_ids` whose answers go first: the newest year of a place when the
    # question names none, the report whose plans are for the year asked.
    first: tuple[int, ...] = ()
    # Names written one character off a place of the collection, and the place taken
    # (海源县 → 海原县): the answer says what it looked for.
    corrected: tuple[tuple[str, str], ...] = ()
    # A name one character off several places (as written, the places): the user picks.
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Years named that the places asked about have no report of, and the years they have.
    absent_years: tuple[int, ...] = ()
    place_years: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    """One side of a comparison: the best hits for one named place or year (or one report,
    for questions across reports such as 各县… / 哪些地方…)."""

    key: str  # the place or year as the question named it (秀山县, 2023年), or the report's place
    report: Report | None
    hits: tuple[Hit, ...] = ()


class ReplyKind(StrEnum):
    """What a reply that quotes no report is about."""

    GREETING = "greeting"  # 你好, 在吗
    THANKS = "thanks"  # 谢谢
    REPORTS = "reports"  # 收录了哪些报告
    PLACES = "places"  # 有哪些地方
    PLACE = "place"  # 临城县有报告吗 (and for which years)
    YEAR = "year"  # 2023年的报告有几份


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer from the collection itself (which reports it holds) or to small talk, for
    clients to render (retrieval.texts.reply)."""

    kind: ReplyKind
    reports: tuple[Report, ...] = ()  # the reports that answer it, newest first
    places: tuple[str, ...] = ()  # PLACE: the places asked about; PLACES: every place, newest first
    unknown_places: tuple[str, ...] = ()  # PLACE: places asked about that no report covers
    year: int | None = None  # YEAR, or PLACE narrowed to a year
    years: tuple[int, ...] = ()  # the years with a report (of the places asked about), newest first
    total: int = 0  # reports in the collection
    example: str = ""  # a question the collection answers (GREETING, THANKS)


# --- figures (retrieval/figures.py) and rankings of places by them (retrieval/ranking.py) ------


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure a passage states: what it measures, its value and unit, the figure as
    written and where it is in the passage's text; the year it is of when the text names one
    (None: its report's year), whether it is a part of a total stated before (其中…), and its
    kind: "" a value, "all" a value of the whole place (全县…), "change" (同比增长5%), "goal"
    (力争达到100%)."""

    measure: str
    value: float
    unit: str
    written: str
    start: int
    end: int
    year: int | None = None
    part: bool = False
    kind: str = ""

    def of_year(self, report_year: int | None) -> int | None:
        """The year this figure is of, in a report of `report_year`."""
        return self.year if self.year is not None else report_year

    @property
    def is_value(self) -> bool:
        """A value of its measure (not a change, a goal or a part): what leads and rankings use."""
        return self.kind in ("", "all") and not self.part

    @property
    def is_rate(self) -> bool:
        return self.unit == "%" or self.measure.endswith("率")


@dataclass(frozen=True, slots=True)
class StoredFigure:
    """A figure as stored: with the passage and report it is in."""

    figure: Figure
    passage_id: int
    report_id: int


def stored_figure(row: Sequence[Any]) -> StoredFigure:
    """The StoredFigure of a row of passage id, report id, measure, value, unit, written,
    start, end, year, part, kind (the figures table's columns)."""
    return StoredFigure(
        Figure(row[2], row[3], row[4], row[5], row[6], row[7], row[8], bool(row[9]), row[10]), row[0], row[1]
    )


@dataclass(frozen=True, slots=True)
class FigureColumns:
    """Stored values of a few measures as columns, one entry a figure, by report then passage
    order (Store.figures_answering): what a ranking over every report works on without a
    Python object per figure. `measures[measure[i]]` is figure i's measure; `year` 0 means
    its report's year; `unit` numbers units (`units[unit[i]]` is figure i's unit); `whole`: of
    kind "all"; `rate`: in %; `with_unit`: written with its unit. `read(rowids)` gives the
    figures of those rows whole."""

    measures: tuple[str, ...]
    measure: np.ndarray
    report: np.ndarray
    year: np.ndarray
    value: np.ndarray
    unit: np.ndarray
    part: np.ndarray
    whole: np.ndarray
    rate: np.ndarray
    units: tuple[str, ...]  # each unit's number's unit
    with_unit: np.ndarray
    rowid: np.ndarray
    read: Callable[[Sequence[int]], list[StoredFigure]]

    def __len__(self) -> int:
        return len(self.report)

    def figures(self, at: Sequence[int]) -> list[StoredFigure]:
        """The figures at these entries, whole, in that order."""
        return self.read([int(self.rowid[i]) for i in at])


@dataclass(frozen=True, slots=True)
class Row:
    """One place's figure: the report and passage stating it, and the figure."""

    place: str
    report: Report
    passage: Passage
    figure: Figure


@dataclass(frozen=True, slots=True)
class LeadFigure:
    """The figure a lead line states, with who states it and where: what `ask --json` carries
    beside the lead (measure, value, unit, year, passage id)."""

    place: str  # the place or body the figure belongs to (临城县, 永丰县公安局)
    measure: str  # as the report words it (行政复议申请)
    value: float
    unit: str
    year: int | None
    written: str
    passage_id: int
    report_id: int


@dataclass(frozen=True, slots=True)
class Table:
    """A ranked table answering a question across reports about a figure."""

    measure: str  # as the question asks it (败诉率)
    rows: tuple[Row, ...]
    descending: bool
    without: int  # places in scope whose reports state no such figure
    over: float | None = None  # the threshold asked (超过90%), if any
    under: float | None = None
    inclusive: bool = False  # the threshold itself meets it (达到100%, 不低于90%)

    @property
    def leader(self) -> Row | None:
        return self.rows[0] if self.rows else None


@dataclass(frozen=True, slots=True)
class Answer:
    """The result of asking a question: hits, or a refusal with its reason."""

    query: Query
    hits: tuple[Hit, ...] = ()
    refusal: Refusal | None = None
    known_places: tuple[str, ...] = field(default=())  # offered when refusing an unknown place
    # Other years with a report of the place asked about, when the question named no year
    # and was answered from the newest (the bot offers a button per year).
    other_years: tuple[int, ...] = ()
    # A comparison (several places or years named, or a question across reports): a group
    # per side, and the sides whose reports say nothing about it (`hits` stays the flat list).
    groups: tuple[Group, ...] = ()
    missing: tuple[str, ...] = ()
    # A missing side's own refusal (key, that side asked alone), when it was refused for a
    # reason of its own (a year it has no report of, an unknown place) rather than searched
    # and found silent: the side's line says that reason, never 没有提到.
    side_refusals: tuple[tuple[str, Answer], ...] = ()
    # A question about the collection, a greeting or thanks: answered without excerpts.
    reply: Reply | None = None
    # The hits hold only part of what was asked (the closest passages of the reports asked about).
    partial: bool = False
    # The answer in a line, when one line can give it (a figure asked for, a ranking): what
    # every surface shows first.
    lead: str = ""
    # A question across reports about a figure: the places ranked by it (retrieval.ranking.Table).
    table: Table | None = None
    # A question across reports: further reports saying it too, beyond the groups quoted.
    also: tuple[Report, ...] = ()
    # The figures the lead states (one for a report's figure, one a side for a comparison).
    figures: tuple[LeadFigure, ...] = ()

    @property
    def figure(self) -> LeadFigure | None:
        """The figure the lead states first, if it states one."""
        return self.figures[0] if self.figures else None

    @property
    def answered(self) -> bool:
        return self.refusal is None and (bool(self.hits) or self.reply is not None)


class FeedbackReason(StrEnum):
    """Why a user pressed 👎 (asked right after the press)."""

    IRRELEVANT = "irrelevant"
    INCOMPLETE = "incomplete"
    OUTDATED = "outdated"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A logged question an admin should look at: refused, or answered and given 👎, with
    what it got. Nothing in it says who asked or where."""

    query_id: int
    at: str  # when it was asked, ISO 8601 in UTC
    question: str
    answered: bool
    refusal: Refusal | None  # why it was refused (None when answered)
    report: Report | None  # the top answer's report (None: refused, or deleted since)
    section: tuple[str, ...]  # the top answer's section path
    snippet: str  # what the top answer quoted (its passage's first words for older entries)
    thumbs_down: int = 0
    reasons: tuple[FeedbackReason, ...] = ()  # the reasons given with the 👎s, in order
