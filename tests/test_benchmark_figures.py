"""The figure benchmark's scoring (benchmarks/figures.py): what counts as a right figure, a
non-figure taken for one, and a right lead. Its extractor is given, so these test the scoring,
not the extractor."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from retrieval.models import Answer, Query

SENTENCE = "2022年受理行政复议案件26件，2023年受理行政复议案件34件，同比增长30.8%。"
PERIOD = "行政复议案件均在60日内审结。"


def load() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "figures.py"
    spec = importlib.util.spec_from_file_location("benchmark_figures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = load()


@dataclass(frozen=True)
class Found:
    """A figure as an extractor gives it, with the year it says the figure is of (or None)."""

    measure: str
    value: float
    unit: str
    written: str
    start: int
    end: int
    year: int | None = None


def extractor(marks: list[tuple[str, str, float, str, int | None]]):  # type: ignore[no-untyped-def]
    """An extractor finding exactly `marks` (written, measure, value, unit, year) where written."""

    def extract(text: str) -> list[Found]:
        out, at = [], 0
        for written, measure, value, unit, year in marks:
            i = text.find(written, at)
            if i >= 0:
                out.append(Found(measure, value, unit, written, i, i + len(written), year))
                at = i + len(written)
        return out

    return extract


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    (tmp_path / "临城县_2023.txt").write_text(
        f"临城县2023年法治政府建设年度报告\n一、行政复议\n{SENTENCE}\n{PERIOD}\n", "utf-8"
    )
    return tmp_path


def mark(written: str, measure: str, value: float, unit: str, year: int) -> dict:
    """A gold figure of the test's report, marked in SENTENCE."""
    return {"file": "临城县_2023.txt", "sentence": SENTENCE, "written": written, "measure": measure,
            "value": value, "unit": unit, "year": year}  # fmt: skip


GOLD = [
    mark("26件", "受理行政复议案件", 26, "件", 2022),
    mark("34件", "受理行政复议案件", 34, "件", 2023),
    mark("30.8%", "同比增长", 30.8, "%", 2023),
]
NONFIGURES = [{"file": "临城县_2023.txt", "sentence": PERIOD, "written": "60日内"}]


def test_figures_read_with_their_years_score_in_full(reports: Path) -> None:
    extract = extractor(
        [
            ("26件", "行政复议案件", 26, "件", 2022),
            ("34件", "行政复议案件", 34, "件", 2023),
            ("30.8%", "同比增长", 30.8, "%", 2023),
        ]
    )
    s = bench.score(GOLD, [reports], NONFIGURES, extract=extract)
    assert (s.extracted, s.value_right, s.right, s.nonfigure_hits, s.unparsed) == (3, 3, 3, 0, 0)


def test_a_figure_without_its_year_takes_the_reports_and_a_period_counts_against_precision(
    reports: Path,
) -> None:
    extract = extractor(
        [
            ("26件", "行政复议案件", 26, "件", None),  # of 2022, read as the report's 2023
            ("34件", "行政复议案件", 34, "件", None),
            ("60日", "行政复议案件均在", 60, "日", None),
        ]
    )
    s = bench.score(GOLD, [reports], NONFIGURES, extract=extract)
    assert (s.extracted, s.value_right, s.right, s.nonfigure_hits) == (3, 2, 1, 1)


def test_a_figure_outside_the_marked_sentence_does_not_match(reports: Path) -> None:
    extract = extractor([("26件", "行政复议案件", 26, "件", 2022)])
    gold = [{**GOLD[0], "sentence": PERIOD}]  # same value, marked in another sentence
    s = bench.score(gold, [reports], [], extract=extract)
    assert (s.value_right, s.right) == (0, 0)


def test_a_different_measure_is_half_right(reports: Path) -> None:
    extract = extractor([("30.8%", "出庭应诉率", 30.8, "%", 2023)])
    s = bench.score(GOLD, [reports], [], extract=extract)
    assert (s.value_right, s.right) == (1, 0)


@pytest.mark.parametrize(
    ("value", "unit", "same"),
    [
        (3.7, "万件", (37000.0, "件")),
        (2.92, "亿元", (292000000.0, "元")),
        (144, "條", (144.0, "条")),
        (5, "％", (5.0, "%")),
    ],
)
def test_units_read_as_one(value: float, unit: str, same: tuple[float, str]) -> None:
    assert bench.normalised(value, unit) == same


EXPECT = {"place": "临城县", "year": 2023, "measure": "行政复议案件", "value": 34, "written": "34件"}


@pytest.mark.parametrize(
    ("lead", "right"),
    [
        ("临城县 2023年：收到行政复议申请34件", True),
        ("临城县 2023年：收到行政复议申请134件", False),  # another number ending in 34
        ("临城县 2022年：收到行政复议申请34件", False),
        ("青岚县 2023年：收到行政复议申请34件", False),
        ("行政复议案件最多：临城县（2023年）34件 · 青岚县（2023年）21件", True),
        ("行政复议案件最多：青岚县（2023年）40件 · 临城县（2023年）34件", False),  # not the first row
    ],
)
def test_a_lead_is_right_when_it_names_the_place_year_and_value(lead: str, right: bool) -> None:
    answer = Answer(Query(text="临城县行政复议案件多少件", terms=()), lead=lead)
    assert bench.lead_right(answer, EXPECT) is right
