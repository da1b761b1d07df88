"""benchmarks/realdev.py: the sources file rebuilds the set it was written from, and says which
re-fetched pages differ."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("realdev", ROOT / "benchmarks" / "realdev.py")
assert _spec and _spec.loader
realdev = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(realdev)

# Invented pages: the shape of a saved government page, none of a real one's text.
PAGES = {
    "B01.txt": "首页 > 政务公开\n发布时间:2025-02-11\n柘原县2024年法治政府建设情况报告\n"
    "2024年,全县办理行政复议案件 37 件,纠错率5.4%。组织会前学法12次。",
    "B02.txt": "桃源乡人民政府关于2023年度法治政府建设工作的报告\n全年开展送法下乡活动9场。",
}
MANIFEST = [
    {
        "raw": "B01.txt",
        "url": "http://example.invalid/b01",
        "query": "柘原县 法治政府建设",
        "file": "柘原县2024.txt",
        "level": "county",
        "province": "某省",
        "meta": {"issuer": "柘原县人民政府", "year": 2024, "places": ["柘原县"]},
        "questions": [
            {
                "q": "柘原县行政复议多少件",
                "expect": ["全县办理行政复议案件 37 件,纠错率5.4%"],
                "class": "figure",
            },
            {"q": "柘原县报告哪天发布", "expect": ["发布时间:2025-02-11"], "class": "front"},
        ],
    },
    {
        "raw": "B02.txt",
        "url": "http://example.invalid/b02",
        "query": "乡 法治政府建设",
        "file": "桃源乡.txt",
        "level": "township",
        "province": "某省",
        "meta": {"issuer": "桃源乡人民政府", "year": 2023, "places": ["桃源乡"]},
        "questions": [{"q": "桃源乡送法下乡几场", "expect": ["全年开展送法下乡活动9场"], "class": "figure"}],
    },
    {"raw": None, "questions": [{"q": "帮我写一份工作计划", "expect": [], "class": "unserved"}]},
]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    for name, text in PAGES.items():
        (tmp_path / "raw" / name).write_text(text, "utf-8")
    with (tmp_path / "manifest-x.jsonl").open("w", encoding="utf-8") as f:
        for e in MANIFEST:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    return tmp_path


def test_sources_rebuild_the_same_questions(src: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    sources = src / "sources.jsonl"
    assert realdev.write_sources(src, sources) == 0
    kept = sources.read_text("utf-8")
    assert "纠错率5.4%" not in kept  # beyond the 20-character locator: no page text kept
    assert realdev.build(src, src) == 0
    again = tmp_path_factory.mktemp("again")
    (again / "raw").mkdir()
    for name, text in PAGES.items():
        (again / "raw" / name).write_text(text, "utf-8")
    assert realdev.from_sources(again, sources) == 0
    assert realdev.build(again, again) == 0

    def lines(d: Path) -> list[str]:
        return sorted((d / "questions.jsonl").read_text("utf-8").splitlines())

    assert lines(again) == lines(src)  # the manifests are grouped by level, so only the order may differ
    assert json.loads((again / "meta.json").read_text("utf-8")) == json.loads(
        (src / "meta.json").read_text("utf-8")
    )


def test_check_tells_identical_changed_and_missing_pages(
    src: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = src / "sources.jsonl"
    realdev.write_sources(src, sources)
    assert realdev.check(src, sources) == 0
    (src / "raw" / "B02.txt").write_text(PAGES["B02.txt"] + "\n浏览次数:3", "utf-8")
    assert realdev.check(src, sources) == 0  # chrome changed, every locator still there
    assert "B02.txt: differs" in capsys.readouterr().out
    (src / "raw" / "B01.txt").write_text(PAGES["B01.txt"].replace("37", "73"), "utf-8")
    (src / "raw" / "B02.txt").unlink()
    assert realdev.check(src, sources) == 2
    out = capsys.readouterr().out
    assert "B01.txt: differs and lacks 1 locator" in out
    assert "B02.txt: missing (query '乡 法治政府建设'" in out


def test_a_manifest_typo_is_a_problem_not_a_miss(src: Path) -> None:
    lines = (src / "manifest-x.jsonl").read_text("utf-8").replace("活动9场", "活动8场")
    (src / "manifest-x.jsonl").write_text(lines, "utf-8")
    assert realdev.build(src, src) == 1
    assert realdev.write_sources(src, src / "sources.jsonl") == 1


def test_the_committed_sources_keep_only_locators() -> None:
    lines = [
        json.loads(x) for x in (ROOT / "benchmarks" / "realdev-sources.jsonl").read_text("utf-8").splitlines()
    ]
    reports = [x for x in lines if x.get("raw")]
    assert len({x["file"] for x in reports}) == len(reports)
    for x in reports:
        assert x["url"].startswith("http") and x["query"] and len(x["sha256"]) == 64
        for q in x["questions"]:
            assert all(len(e["at"]) <= realdev.LOCATOR and e["len"] >= len(e["at"]) for e in q["expect"])
