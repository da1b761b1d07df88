"""retrieval.library: ingest (added, unchanged, replaced, refused), delete, restart, reindex —
each on real SQLite and a real index in a tmp dir."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from retrieval import bulk as bulk_module
from retrieval import index as index_module
from retrieval import library as library_module
from retrieval import search as search_module
from retrieval import texts
from retrieval.config import Settings
from retrieval.errors import UnknownReport, Unreadable, UnreadableFile
from retrieval.library import Library, OnDuplicate, Outcome
from retrieval.models import FeedbackReason, Refusal, Report, StoredFigure
from retrieval.parse import FRONT_MATTER
from retrieval.search import Index
from tests.conftest import (
    BUNDLED_REPORTS,
    RUCHENG,
    TESTS_DATA,
    Route,
    Site,
    add_county_reports,
    copy_data,
    docx_bytes,
    make_settings,
    read_jsonl,
    web_page,
)

QUESTIONS = [x["q"] for f in ("questions.jsonl", "dev_questions.jsonl") for x in read_jsonl(TESTS_DATA / f)]


def snapshot(lib: Library, questions: list[str] = QUESTIONS) -> list[tuple]:
    """Everything an answer shows, for comparing two libraries question by question."""
    out = []
    for q in questions:
        a = lib.ask(q, k=5)
        out.append(
            (
                q,
                a.refusal,
                [(h.passage.id, h.report.id, h.passage.text, h.score, h.snippet.text) for h in a.hits],
            )
        )
    return out


@pytest.fixture
def copied(tmp_path: Path, shared_library: Library) -> Iterator[Library]:
    """A library of its own on a copy of the shared library's data: safe to change."""
    lib = Library(copy_data(shared_library, tmp_path / "data"))
    yield lib
    lib.store.close()


@pytest.fixture(scope="module")
def unchanging(tmp_path_factory: pytest.TempPathFactory, shared_library: Library) -> Iterator[Library]:
    """One library for the tests of ingests that must change nothing (each checks so)."""
    lib = Library(copy_data(shared_library, tmp_path_factory.mktemp("unchanging") / "data"))
    yield lib
    lib.store.close()


@pytest.fixture(scope="module")
def baseline(shared_library: Library) -> list[tuple]:
    return snapshot(shared_library)


def issuer_id(lib: Library, fragment: str) -> int:
    (rid,) = [r.id for r in lib.reports() if fragment in r.issuer]
    return rid


# --- first run, restart, reindex -----------------------------------------------------------


def test_first_run_ingests_the_bundled_reports(shared_library: Library) -> None:
    reports = shared_library.reports()
    assert sorted(r.source for r in reports) == sorted(p.name for p in BUNDLED_REPORTS.glob("*.txt"))
    assert sum(r.passage_count for r in reports) == shared_library.store.passage_count()
    assert len(shared_library.searcher.index) == shared_library.store.passage_count()


def test_restart_loads_the_saved_index_and_answers_identically(
    tmp_path: Path, shared_library: Library, baseline: list[tuple], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = copy_data(shared_library, tmp_path / "data")

    def no_build(*args: object, **kwargs: object) -> object:
        raise AssertionError("the saved index should have been loaded, not rebuilt")

    # every way an index or an engine gets built
    owners = [Index, index_module.Bm25sEngine, getattr(index_module, "Bm25sBuilder", None)]
    for owner in owners:
        for name in ("build", "from_stored"):
            if owner is not None and name in owner.__dict__:
                is_class = isinstance(owner.__dict__[name], classmethod)
                monkeypatch.setattr(owner, name, classmethod(no_build) if is_class else no_build)
    lib = Library(settings)
    try:
        assert isinstance(lib.searcher.index.passage_ids, np.memmap)  # loaded, memory-mapped
        assert lib.reports() == shared_library.reports()
        assert snapshot(lib) == baseline
    finally:
        lib.store.close()


def test_restart_on_the_same_dir_without_copying(settings: Settings) -> None:
    first = Library(settings)
    before = snapshot(first, QUESTIONS[:10])
    first.store.close()
    second = Library(settings)
    try:
        assert snapshot(second, QUESTIONS[:10]) == before
        assert len(second.reports()) == 5  # the bundled reports are not ingested twice
    finally:
        second.store.close()


@pytest.mark.parametrize("damage", ["bm25s", "passage_ids.npy"])
def test_damaged_saved_index_is_rebuilt(
    tmp_path: Path, shared_library: Library, baseline: list[tuple], damage: str
) -> None:
    settings = copy_data(shared_library, tmp_path / "data")
    target = settings.index_dir / damage
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    lib = Library(settings)
    try:
        assert snapshot(lib) == baseline
    finally:
        lib.store.close()


def test_changed_bm25_settings_do_not_reuse_the_saved_index(tmp_path: Path, shared_library: Library) -> None:
    settings = copy_data(shared_library, tmp_path / "data").model_copy(update={"bm25_k1": 2.0})
    lib = Library(settings)
    try:
        question = "秀山县政务公开数据"
        ours, theirs = lib.ask(question), shared_library.ask(question)
        assert ours.answered
        # BM25 scores depend on k1: an index built with k1=1.2 would give the same scores
        assert ours.hits[0].score != theirs.hits[0].score
    finally:
        lib.store.close()


def test_reindex_with_and_without_retokenize_keeps_answers(copied: Library, baseline: list[tuple]) -> None:
    calls: list[tuple[int, int]] = []
    n = copied.reindex(progress=lambda done, total: calls.append((done, total)))
    assert n == copied.store.passage_count()
    assert calls and calls[-1] == (n, n)
    assert snapshot(copied) == baseline
    assert copied.reindex(retokenize=True) == n
    assert snapshot(copied) == baseline


@pytest.mark.parametrize("on_workers", [False, True], ids=["one-core", "workers"])
def test_reindex_reads_figures_again_only_for_another_extractor(
    copied: Library, monkeypatch: pytest.MonkeyPatch, on_workers: bool
) -> None:
    if on_workers:  # as a big collection's are read again: on worker processes, in batches
        monkeypatch.setattr(library_module, "RETOKENIZE_POOL_MIN", 0)
        monkeypatch.setattr(library_module, "RETOKENIZE_BATCH", 7)
    db = copied.store.db
    count = lambda: int(db.execute("SELECT count(*) FROM figures").fetchone()[0])  # noqa: E731
    rows = lambda: db.execute(  # noqa: E731
        'SELECT passage_id, report_id, measure, value, unit, written, start, "end", year, part, kind'
        " FROM figures ORDER BY passage_id, start"
    ).fetchall()
    stored, extracted = count(), rows()
    assert stored > 0
    with db.conn:
        db.execute("DELETE FROM figures WHERE rowid IN (SELECT rowid FROM figures LIMIT 3)")
    copied.reindex()
    assert count() == stored - 3  # stored at ingest, not read again
    with db.conn:  # as a database from before the extractor's last change
        db.execute("UPDATE meta SET value = '0' WHERE key = 'figures_format'")
    copied.reindex()
    assert count() == stored and copied.store.figures_current()
    assert rows() == extracted  # the same figures as the ingest stored


@pytest.mark.parametrize("on_workers", [False, True], ids=["one-core", "workers"])
def test_tokens_from_another_tokenizer_are_rewritten_on_start(
    tmp_path: Path,
    shared_library: Library,
    baseline: list[tuple],
    monkeypatch: pytest.MonkeyPatch,
    on_workers: bool,
) -> None:
    # A big collection re-tokenises on worker processes (small batches here, so that several
    # are in flight at once); the tokens must come out as one process makes them.
    if on_workers:
        monkeypatch.setattr(library_module, "RETOKENIZE_POOL_MIN", 0)
        monkeypatch.setattr(library_module, "RETOKENIZE_BATCH", 7)
    settings = copy_data(shared_library, tmp_path / "data")
    expected = sorted((r[0], r[4]) for r in shared_library.store.iter_index_rows())
    conn = sqlite3.connect(settings.db_path)
    with conn:  # as an older tokenizer would have left them: no sub-words, a stale signature
        conn.execute("UPDATE passages SET tokens = 'stale'")
        conn.execute("UPDATE meta SET value = 'older' WHERE key = 'tokenizer'")
    conn.close()
    lib = Library(settings)
    try:
        assert lib.store.tokenizer_signature() == lib.tokenizer.signature()
        assert sorted((r[0], r[4]) for r in lib.store.iter_index_rows()) == expected
        assert snapshot(lib) == baseline
    finally:
        lib.store.close()


def test_empty_bundled_folder_gives_no_reports(empty_settings: Settings) -> None:
    lib = Library(empty_settings)
    try:
        assert lib.reports() == []
        answer = lib.ask("秀山县政务公开数据")
        assert answer.refusal == Refusal.NO_REPORTS
        assert not answer.answered
        # and the first report added is answered at once
        done, errors = lib.ingest([BUNDLED_REPORTS / "秀山县政府办_2024.txt"])
        assert errors == [] and [d.outcome for d in done] == [Outcome.ADDED]
        assert lib.ask("秀山县政务公开数据").answered
    finally:
        lib.store.close()


# --- ingest ------------------------------------------------------------------------------------


def test_reingesting_the_same_files_changes_nothing(unchanging: Library, baseline: list[tuple]) -> None:
    reports = unchanging.reports()
    done, errors = unchanging.ingest([BUNDLED_REPORTS])
    assert errors == []
    assert sorted(d.report.id for d in done) == sorted(r.id for r in reports)
    assert {d.outcome for d in done} == {Outcome.UNCHANGED}
    # the same content under another name is the same report too
    done, _ = unchanging.ingest([BUNDLED_REPORTS / "蓝山县政府办_2022.txt"])
    assert [d.outcome for d in done] == [Outcome.UNCHANGED]
    assert unchanging.reports() == reports
    assert snapshot(unchanging) == baseline


def _junk(tmp_path: Path) -> dict[str, Path]:
    rng = random.Random(1234)
    files = {
        "random bytes": tmp_path / "junk.txt",
        "unknown suffix": tmp_path / "report.xyz",
        "empty": tmp_path / "empty.txt",
        "no body": tmp_path / "title_only.txt",
        "missing": tmp_path / "missing.txt",
        # junk under the name of a stored report must not replace it
        "junk with a stored name": tmp_path / "秀山县政府办_2024.txt",
    }
    files["random bytes"].write_bytes(rng.randbytes(4000))
    files["unknown suffix"].write_text("2024年法治政府建设工作报告\n一、做法\n内容。", "utf-8")
    files["empty"].write_bytes(b"")
    files["no body"].write_text("2024年法治政府建设工作报告\n", "utf-8")
    files["junk with a stored name"].write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    return files


@pytest.mark.parametrize(
    "kind", ["random bytes", "unknown suffix", "empty", "no body", "missing", "junk with a stored name"]
)
def test_unreadable_file_is_refused_with_its_name_and_nothing_is_lost(
    unchanging: Library, baseline: list[tuple], tmp_path: Path, kind: str
) -> None:
    reports = unchanging.reports()
    path = _junk(tmp_path)[kind]
    done, errors = unchanging.ingest([path])
    assert done == []
    assert len(errors) == 1
    assert isinstance(errors[0], UnreadableFile)
    assert path.name in str(errors[0])
    assert unchanging.reports() == reports
    assert snapshot(unchanging) == baseline


def test_unreadable_files_do_not_stop_the_readable_ones(tmp_path: Path, copied: Library) -> None:
    junk = _junk(tmp_path)
    good = tmp_path / "汝城县政府办_2023.txt"
    good.write_text(RUCHENG, "utf-8")
    done, errors = copied.ingest([junk["random bytes"], good, junk["unknown suffix"]])
    assert [d.outcome for d in done] == [Outcome.ADDED]
    assert sorted(Path(e.name).name for e in errors) == ["junk.txt", "report.xyz"]
    assert copied.ask("汝城县行政复议案件").answered


def test_parse_previews_without_storing(shared_library: Library) -> None:
    before = shared_library.reports()
    parsed = shared_library.parse("汝城县政府办_2023.txt", RUCHENG.encode("utf-8"))
    assert parsed.issuer == "汝城县人民政府办公室"
    assert parsed.year == 2023
    assert parsed.places == ("湖南省", "郴州市", "汝城县")
    assert len(parsed.passages) == 5  # intro, （一）, （二）, the problems and the plans paragraphs
    assert shared_library.reports() == before
    with pytest.raises(UnreadableFile, match=r"x\.txt"):
        shared_library.parse("x.txt", "只有标题的报告\n".encode())


@pytest.fixture(params=["rebuild", "delta"])
def upkeep(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the index follows changes: a full rebuild (small corpora), or, as above
    FULL_REBUILD_MAX passages, a delta index beside the saved one and deleted rows masked;
    in that mode narrowed questions also score only their own rows."""
    if request.param == "delta":
        monkeypatch.setattr(library_module, "FULL_REBUILD_MAX", 0)
        monkeypatch.setattr(search_module, "NARROW_RATIO", 1)
    return str(request.param)


def test_new_report_is_answered_at_once_and_deleting_it_removes_it_at_once(
    tmp_path: Path, copied: Library, upkeep: str
) -> None:
    question = "汝城县行政复议案件多少件"
    assert copied.ask(question).refusal == Refusal.UNKNOWN_PLACE
    path = tmp_path / "汝城县政府办_2023.txt"
    path.write_text(RUCHENG, "utf-8")
    (done,), errors = copied.ingest([path])
    assert errors == [] and done.outcome == Outcome.ADDED and done.replaced is None
    answer = copied.ask(question)
    assert answer.answered
    assert answer.hits[0].report.id == done.report.id
    assert "全年办理行政复议案件37件" in answer.hits[0].passage.text
    assert answer.hits[0].report.places == ("湖南省", "郴州市", "汝城县")
    assert (copied.searcher.delta is not None) == (upkeep == "delta")

    assert copied.delete(done.report.id).id == done.report.id
    after = copied.ask(question)
    assert not after.answered
    assert after.refusal == Refusal.UNKNOWN_PLACE
    assert "汝城县" not in after.known_places
    assert all(h.report.id != done.report.id for h in copied.ask("行政复议案件", k=10).hits)
    with pytest.raises(UnknownReport):
        copied.delete(done.report.id)


def test_deleting_a_bundled_report_removes_its_excerpts_at_once(copied: Library, upkeep: str) -> None:
    rid = issuer_id(copied, "秀山")
    passage_ids = [h.passage.id for h in copied.ask("秀山县政务公开数据", k=5).hits]
    assert passage_ids
    copied.delete(rid)
    assert rid not in {r.id for r in copied.reports()}
    assert all(copied.passage(pid) is None for pid in passage_ids)
    for question in ["秀山县政务公开数据", "秀山政务公开", "政府网站公开政府信息18778条", "政务公开"]:
        answer = copied.ask(question, k=10)
        assert all(h.report.id != rid for h in answer.hits), question
    assert copied.ask("秀山土家族苗族自治县政务公开").refusal == Refusal.UNKNOWN_PLACE
    assert (copied.searcher.size < len(copied.searcher.index)) == (upkeep == "delta")  # rows masked


def test_changed_file_with_the_same_name_replaces_the_old_report(tmp_path: Path, copied: Library) -> None:
    name = "秀山县政府办_2024.txt"
    old_id = issuer_id(copied, "秀山")
    old_passages = [h.passage.id for h in copied.ask("秀山县政务公开数据", k=5).hits]
    text = (BUNDLED_REPORTS / name).read_text("utf-8")
    assert "政府网站公开政府信息18778条" in text
    changed = tmp_path / name
    changed.write_text(text.replace("政府网站公开政府信息18778条", "政府网站公开政府信息20555条"), "utf-8")

    (done,), errors = copied.ingest([changed])
    assert errors == []
    assert done.outcome == Outcome.REPLACED
    assert done.replaced is not None and done.replaced.id == old_id
    assert done.report.id != old_id
    assert len(copied.reports()) == 5
    assert {r.id for r in copied.reports() if "秀山" in r.issuer} == {done.report.id}

    answer = copied.ask("秀山县政务公开数据", k=5)
    assert answer.hits[0].report.id == done.report.id
    assert "政府网站公开政府信息20555条" in answer.hits[0].passage.text
    for question in ["秀山县政务公开数据", "政府信息18778条", "政务公开"]:
        hits = copied.ask(question, k=10).hits
        assert not any("18778" in h.passage.text for h in hits), question
        assert not any(h.report.id == old_id for h in hits), question
    assert all(copied.passage(pid) is None for pid in old_passages)
    with pytest.raises(UnknownReport):
        copied.store.report(old_id)


def test_changes_survive_a_restart(tmp_path: Path, shared_library: Library, upkeep: str) -> None:
    settings = copy_data(shared_library, tmp_path / "data")
    lib = Library(settings)
    path = tmp_path / "汝城县政府办_2023.txt"
    path.write_text(RUCHENG, "utf-8")
    lib.ingest([path])
    lib.delete(issuer_id(lib, "秀山"))
    questions = [*QUESTIONS, "汝城县行政复议案件多少件", "汝城县政务公开"]
    before = snapshot(lib, questions)
    reports = lib.reports()
    lib.store.close()
    again = Library(settings)
    try:
        assert again.reports() == reports
        # with a delta, the saved main index was loaded and the delta rebuilt beside it
        assert (again.searcher.delta is not None) == (upkeep == "delta")
        assert snapshot(again, questions) == before
        assert again.ask("汝城县行政复议案件多少件").answered
        assert all("秀山" not in h.report.issuer for h in again.ask("政务公开", k=10).hits)
        # A reindex folds any delta in. Its statistics now leave out the deleted rows, so
        # scores may move a little; each question still finds the same report first.
        again.reindex()
        assert again.searcher.delta is None
        assert [(q, r, hits[:1] and hits[0][1]) for q, r, hits in snapshot(again, questions)] == [
            (q, r, hits[:1] and hits[0][1]) for q, r, hits in before
        ]
    finally:
        again.store.close()


# --- links, the same report twice, outlines ------------------------------------------------

RUCHENG_LINES = RUCHENG.split("\n")


def test_a_link_is_ingested_as_a_report_with_its_url(copied: Library, site: Site) -> None:
    url = site.add("/rucheng/art_2023_1.html", Route(web_page(RUCHENG_LINES)))
    (done,), errors = copied.ingest([url])
    assert errors == [] and done.outcome == Outcome.ADDED and done.source == url
    r = done.report
    assert r.url == url and r.source == "art_2023_1.html"
    assert r.issuer == "汝城县人民政府办公室" and r.year == 2023
    answer = copied.ask("汝城县行政复议案件多少件")
    assert answer.hits[0].report.url == url
    # The same page again changes nothing; a changed page at the same link replaces it.
    assert [d.outcome for d in copied.ingest([url])[0]] == [Outcome.UNCHANGED]
    changed = [line.replace("37件", "39件") for line in RUCHENG_LINES]
    site.add("/rucheng/art_2023_1.html", Route(web_page(changed)))
    (again,), _ = copied.ingest([url])
    assert again.outcome == Outcome.REPLACED and again.replaced == r
    assert "39件" in copied.ask("汝城县行政复议案件多少件").hits[0].passage.text


def test_a_page_of_the_same_name_from_another_link_does_not_replace(copied: Library, site: Site) -> None:
    first = site.add("/a/index.html", Route(web_page(RUCHENG_LINES)))
    other_lines = [line.replace("汝城县", "桂东县") for line in RUCHENG_LINES]
    second = site.add("/b/index.html", Route(web_page(other_lines)))
    done, errors = copied.ingest([first, second])
    assert errors == [] and [d.outcome for d in done] == [Outcome.ADDED, Outcome.ADDED]
    assert {r.url for r in copied.reports()} >= {first, second}


def test_a_link_that_fails_is_refused_by_its_url_and_the_rest_are_stored(
    tmp_path: Path, copied: Library, site: Site
) -> None:
    path = tmp_path / "汝城县政府办_2023.txt"
    path.write_text(RUCHENG, "utf-8")
    missing = site.url("/gone.html")
    empty = site.add("/empty.html", Route(b"<html><body><p>\xe6\xa0\x87\xe9\xa2\x98</p></body></html>"))
    done, errors = copied.ingest([missing, path, empty])
    assert [d.outcome for d in done] == [Outcome.ADDED]
    assert sorted(e.name for e in errors) == sorted([missing, empty])
    assert all("\n" not in str(e) for e in errors)
    assert any("404" in str(e) for e in errors)


def _same_report_files(tmp_path: Path) -> tuple[Path, Path]:
    txt = tmp_path / "汝城县_2023.txt"
    txt.write_text(RUCHENG, "utf-8")
    doc = tmp_path / "汝城县政府办 法治报告.docx"
    doc.write_bytes(docx_bytes(RUCHENG_LINES))
    return txt, doc


def test_the_same_report_from_another_file_is_recognised_and_skipped(tmp_path: Path, copied: Library) -> None:
    txt, doc = _same_report_files(tmp_path)
    (first,), _ = copied.ingest([txt])
    before = copied.reports()
    (second,), errors = copied.ingest([doc])
    assert errors == [] and second.outcome == Outcome.DUPLICATE and not second.changed
    assert second.report == first.report and second.source == doc.name
    assert copied.reports() == before
    parsed = copied.parse(doc.name, doc.read_bytes())
    assert copied.duplicate_of(parsed) == first.report and copied.stored_copy(parsed) is None


def test_a_duplicate_replaces_the_stored_report_when_asked(tmp_path: Path, copied: Library) -> None:
    txt, doc = _same_report_files(tmp_path)
    (first,), _ = copied.ingest([txt])
    (second,), _ = copied.ingest([doc], on_duplicate=OnDuplicate.REPLACE)
    assert second.outcome == Outcome.REPLACED and second.replaced == first.report
    assert [r.source for r in copied.reports() if "汝城" in r.issuer] == [doc.name]
    assert copied.ask("汝城县行政复议案件多少件").hits[0].report.id == second.report.id


def test_a_duplicate_is_kept_beside_the_stored_report_when_asked(tmp_path: Path, copied: Library) -> None:
    txt, doc = _same_report_files(tmp_path)
    (first,), _ = copied.ingest([txt])
    (second,), _ = copied.ingest([doc], on_duplicate=OnDuplicate.KEEP)
    assert second.outcome == Outcome.ADDED and second.report.id != first.report.id
    assert sorted(r.source for r in copied.reports() if "汝城" in r.issuer) == sorted([txt.name, doc.name])


def test_a_page_saved_twice_is_the_same_report(copied: Library, site: Site) -> None:
    # Saved at two times: other scripts, comments and head, the same article.
    one = web_page(RUCHENG_LINES, "<script>var visits=1021;</script><!-- saved 2024-01-15 -->")
    two = web_page(RUCHENG_LINES, "<style>p{margin:0}</style><!-- saved 2024-03-02 --><script>x=2</script>")
    assert one != two
    first = site.add("/saved/one.html", Route(one))
    second = site.add("/saved/two.html", Route(two))
    done, _ = copied.ingest([first, second])
    assert [d.outcome for d in done] == [Outcome.ADDED, Outcome.DUPLICATE]
    assert done[1].report.id == done[0].report.id


def test_byte_identical_files_stay_a_no_op_under_every_duplicate_choice(
    unchanging: Library, baseline: list[tuple]
) -> None:
    for choice in OnDuplicate:
        done, _ = unchanging.ingest([BUNDLED_REPORTS], on_duplicate=choice)
        assert {d.outcome for d in done} == {Outcome.UNCHANGED}
    assert snapshot(unchanging) == baseline


def test_bulk_ingest_settles_duplicates_as_one_by_one(
    tmp_path: Path, empty_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _same_report_files(folder)
    (folder / "蓝山.txt").write_bytes((BUNDLED_REPORTS / "蓝山县政府办_2022.txt").read_bytes())
    (folder / "空.txt").write_bytes(b"")
    (folder / "旧版.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    one_by_one = Library(empty_settings)
    done, errors = one_by_one.ingest([folder])
    expected = [d.outcome for d in done]
    one_by_one.store.close()
    assert sorted(expected) == sorted([Outcome.ADDED, Outcome.ADDED, Outcome.DUPLICATE])
    refused = sorted((Path(e.name).name, e.kind, e.reason) for e in errors)
    assert [(n, k) for n, k, _ in refused] == [
        ("旧版.docx", Unreadable.OLD_WORD),
        ("空.txt", Unreadable.EMPTY),
    ]
    monkeypatch.setattr(bulk_module, "POOL_MIN_BYTES", 0)  # workers even for three small files
    bulk = Library(make_settings(tmp_path / "bulk", bundled_reports=empty_settings.bundled_reports))
    try:
        done, errors = bulk.ingest([folder])
        assert [d.outcome for d in done] == expected
        # A refusal's code crosses from the worker process with its reason.
        assert sorted((Path(e.name).name, e.kind, e.reason) for e in errors) == refused
        assert len(bulk.reports()) == 2
    finally:
        bulk.store.close()


def test_reports_stored_before_text_hashes_get_them_on_opening(
    tmp_path: Path, shared_library: Library
) -> None:
    settings = copy_data(shared_library, tmp_path / "data")
    db = sqlite3.connect(settings.db_path)
    db.execute("UPDATE reports SET text_sha256 = NULL")
    db.commit()
    db.close()
    lib = Library(settings)
    try:
        name = "蓝山县政府办_2022.txt"
        as_docx = docx_bytes((BUNDLED_REPORTS / name).read_text("utf-8").splitlines())
        parsed = lib.parse("蓝山.docx", as_docx)
        twin = lib.duplicate_of(parsed)
        assert twin is not None and twin.source == name
    finally:
        lib.store.close()


def test_outline_counts_passages_per_section_with_first_words(copied: Library, tmp_path: Path) -> None:
    path = tmp_path / "汝城县政府办_2023.txt"
    path.write_text(RUCHENG, "utf-8")
    (done,), _ = copied.ingest([path])
    entries = copied.sections(done.report.id)
    assert [(e.path[-1] if e.path else "", e.passages) for e in entries] == [
        ("", 1),
        ("一、主要举措和成效", 0),
        ("（一）强化行政复议", 1),
        ("（二）推进政务公开", 1),
        ("二、存在的问题", 1),
        ("三、下一步打算", 1),
    ]
    assert sum(e.passages for e in entries) == done.report.passage_count
    assert entries[0].first_words.startswith("2023年，汝城县人民政府办公室") and entries[
        0
    ].first_words.endswith("…")
    assert entries[1].first_words == ""
    assert entries[2].path == ("一、主要举措和成效", "（一）强化行政复议")
    assert entries[4].first_words == "基层法治力量薄弱，专业人员不足。"
    parsed = copied.parse(path.name, path.read_bytes())
    assert copied.sections_of(parsed) == entries
    with pytest.raises(UnknownReport):
        copied.sections(10_000)


def test_ingest_tells_progress_of_every_file(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"r{i}.txt").write_text(RUCHENG.replace("汝城县", f"汝城县{i}号"), "utf-8")
    (folder / "empty.txt").write_bytes(b"")
    calls: list[tuple[int, int, int]] = []
    done, errors = library.ingest([folder], progress=lambda *a: calls.append(a))
    assert [c[0] for c in calls] == [1, 2, 3, 4]
    assert {c[1] for c in calls} == {4}
    assert calls[-1][2] == sum(d.report.passage_count for d in done) > 0
    assert len(errors) == 1


# --- one door, hostile questions, another process ----------------------------------------


def test_over_long_question_is_refused_before_tokenising(
    shared_library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("tokenised an over-long question")

    monkeypatch.setattr(shared_library.searcher.understander, "understand", never)
    monkeypatch.setattr(shared_library.tokenizer, "tokens", never)
    answer = shared_library.ask("秀山县政务公开数据" * 600)
    assert answer.refusal == Refusal.TOO_LONG and not answer.hits


def test_lone_surrogate_is_cleaned_not_an_error(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县\ud800政务公开\udfff数据")
    assert answer.answered
    assert "\ud800" not in answer.query.text
    qid = shared_library.log_query("秀山县\ud800政务公开", answer, user_id=5, chat_id=5)
    logged = shared_library.logged_query(qid)
    assert logged is not None and logged.text == "秀山县政务公开"


def test_a_change_by_another_process_is_answered_within_a_second(tmp_path: Path, copied: Library) -> None:
    """The bot's library and the CLI's (another process, here another Library on the same
    data dir): what the CLI ingests or deletes is answered from without a restart."""
    question = "汝城县行政复议案件多少件"
    assert copied.ask(question).refusal == Refusal.UNKNOWN_PLACE
    cli = Library(copied.settings)
    path = tmp_path / "汝城县政府办_2023.txt"
    path.write_text(RUCHENG, "utf-8")
    (done,), _ = cli.ingest([path])
    assert copied.refresh(now=time.monotonic() + 2)  # the next check after the change
    assert copied.ask(question).hits[0].report.id == done.report.id
    assert not copied.refresh(now=time.monotonic() + 4)  # nothing new: one small query
    cli.delete(done.report.id)
    copied.refresh(now=time.monotonic() + 6)
    assert copied.ask(question).refusal == Refusal.UNKNOWN_PLACE
    cli.close()


@pytest.mark.parametrize("path", ["bot", "retrieval/cli.py"])
def test_the_bot_and_cli_use_only_the_library_door(path: str) -> None:
    root = Path(__file__).resolve().parent.parent / path
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    reaching = [
        f"{f.name}:{n}"
        for f in files
        for n, line in enumerate(f.read_text("utf-8").splitlines(), 1)
        if re.search(r"library\.(store|understander|searcher|tokenizer)\b", line)
    ]
    assert reaching == []


def test_another_process_reindexing_is_picked_up_from_its_saved_index(
    copied: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `reportbot reindex --retokenize` beside the bot: the bot loads what it saved
    instead of building the index again itself."""
    before = snapshot(copied, QUESTIONS[:10])
    cli = Library(copied.settings)
    cli.reindex(retokenize=True)
    cli.close()

    def no_build(*args: object) -> None:
        raise AssertionError("built the index again")

    monkeypatch.setattr(copied, "_build", no_build)
    assert copied.refresh(now=time.monotonic() + 2)
    assert snapshot(copied, QUESTIONS[:10]) == before


def test_the_original_file_is_kept_replaced_and_deleted_with_its_report(
    library: Library, tmp_path: Path
) -> None:
    src = tmp_path / "汝城县政府办_2023.txt"
    src.write_text(RUCHENG, "utf-8")
    (first,), _ = library.ingest([src])
    kept = library.original(first.report.id)
    assert kept is not None and kept.read_bytes() == src.read_bytes() and kept.suffix == ".txt"
    src.write_text(RUCHENG + "\n（三）加强行政应诉。全年出庭应诉12次。", "utf-8")
    (second,), _ = library.ingest([src])
    assert second.outcome == Outcome.REPLACED
    assert library.original(first.report.id) is None
    assert library.original(second.report.id).read_bytes() == src.read_bytes()  # type: ignore[union-attr]
    library.delete(second.report.id)
    assert library.original(second.report.id) is None


def test_an_uploaded_file_is_kept_from_its_bytes(library: Library) -> None:
    parsed = library.parse("upload.txt", RUCHENG.encode("gb18030"))
    done = library.add(parsed)
    assert library.original(done.report.id).read_bytes() == RUCHENG.encode("gb18030")  # type: ignore[union-attr]


def test_parse_tells_of_each_pdf_page_read(library: Library) -> None:
    from tests.conftest import draw_pdf

    lines = RUCHENG.split("\n")
    data = draw_pdf([lines[:5], lines[5:8], lines[8:]])
    seen: list[tuple[int, int]] = []
    parsed = library.parse("汝城县.pdf", data, lambda page, pages: seen.append((page, pages)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert parsed.passages


def test_the_conversation_log_keeps_what_an_answer_quoted_and_obeys_the_retention(copied: Library) -> None:
    answered = copied.ask("秀山县一窗综办进驻率")
    refused = copied.ask("今天天气怎么样")
    kept = copied.log_query("秀山县一窗综办进驻率", answered, user_id=5, chat_id=5)
    copied.log_query("今天天气怎么样", refused, user_id=5, chat_id=5)
    old = copied.log_query("很久以前的问题", refused, user_id=5, chat_id=5)
    days = copied.settings.query_retention_days
    aged = (datetime.now(UTC) - timedelta(days=days + 1)).isoformat(timespec="seconds")
    copied.store.db.execute("UPDATE queries SET at = ? WHERE id = ?", [aged, old])
    assert copied.add_feedback(kept, 6, -1) and copied.add_reason(kept, 6, FeedbackReason.IRRELEVANT)

    # No job has deleted the old question yet, and it is not listed all the same.
    assert copied.logged_query(old) is not None
    # (the shared library's own log, copied, may hold earlier questions of other tests)
    entries = [e for e in copied.conversation_log() if e.query_id >= kept]
    assert [e.question for e in entries] == ["今天天气怎么样", "秀山县一窗综办进驻率"]
    top = answered.hits[0]
    assert entries[1].snippet == top.snippet.text  # what the user was shown
    assert entries[1].report == top.report and entries[1].section == top.passage.section
    assert entries[1].reasons == (FeedbackReason.IRRELEVANT,)
    assert entries[0].refusal == Refusal.NO_MATCH and entries[0].report is None
    later = datetime.now(UTC) + timedelta(days=days + 1)
    assert copied.conversation_log(now=later) == []


# --- finding reports for long lists -------------------------------------------------------------


@pytest.fixture(scope="module")
def long_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """The bundled reports and 25 county reports (2022–2024), for paging and filtering."""
    root = tmp_path_factory.mktemp("long-list")
    lib = Library(make_settings(root / "data"))
    add_county_reports(lib, root / "counties", 25)
    yield lib
    lib.close()


def test_find_reports_pages_through_all_newest_year_first(long_list: Library) -> None:
    everything = long_list.reports()
    seen = []
    for offset in range(0, len(everything) + 10, 10):
        page, total = long_list.find_reports("", offset, 10)
        assert total == len(everything) == 30
        assert len(page) == max(0, min(10, total - offset))
        seen += page
    assert sorted(r.id for r in seen) == sorted(r.id for r in everything)  # each once
    keys = [(-(r.year or 0), -r.id) for r in seen]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("秀山", lambda r: "秀山土家族苗族自治县" in r.places),
        ("秀山县", lambda r: "秀山土家族苗族自治县" in r.places),  # an alias, not a substring
        ("湖南", lambda r: "湖南省" in r.places),
        ("郴州 2023", lambda r: "郴州市" in r.places and r.year == 2023),
        ("桂东县，2022年", lambda r: "桂东县" in r.places and r.year == 2022),
        ("政协", lambda r: "政协" in r.issuer),
        ("法治政府建设工作报告", lambda r: "法治政府建设工作报告" in r.title),
        ("火星县", lambda r: False),
    ],
)
def test_find_reports_filters_by_place_issuer_title_and_year(
    long_list: Library, words: str, expected: Callable[[Report], bool]
) -> None:
    want = [r.id for r in long_list.reports() if expected(r)]
    page, total = long_list.find_reports(words, 0, 100)
    assert sorted(r.id for r in page) == sorted(want) and total == len(want)
    if words != "火星县":
        assert want, "the case must match something"
    first, _ = long_list.find_reports(words, 0, 2)
    assert first == page[:2]


def test_find_reports_uses_the_first_words_of_a_long_filter(long_list: Library) -> None:
    words = ["桂东县", *[f"词{i}" for i in range(5000)]]
    assert long_list.find_reports(words) == ([], 0)  # no SQLite variable limit reached
    assert long_list.find_reports(["桂东县"] * 5000)[1] == 3  # the same word once


BOILERPLATE_BODY = """一、主要工作
（一）学法用法
全镇组织干部职工集中学法，开展“法律进村居”宣传活动，发放宣传资料。
二、存在的问题
基层法治力量仍然薄弱，村级法律顾问作用发挥不够。
"""


def test_the_same_body_under_another_year_is_another_report(tmp_path: Path, copied: Library) -> None:
    """Township boilerplate copied from year to year: both years are kept and answerable by year."""
    for year in (2022, 2023):
        title = f"大坪镇人民政府{year}年法治政府建设工作报告\n"
        (tmp_path / f"大坪镇_{year}.txt").write_text(title + BOILERPLATE_BODY, "utf-8")
    done, errors = copied.ingest(sorted(tmp_path.glob("大坪镇_*.txt")))
    assert errors == [] and [d.outcome for d in done] == [Outcome.ADDED, Outcome.ADDED]
    assert sorted(d.report.year for d in done) == [2022, 2023]
    for year in (2022, 2023):
        answer = copied.ask(f"大坪镇{year}年法律顾问")
        assert answer.answered and answer.hits[0].report.year == year
    # the same report again from a file of another name is still a duplicate
    again = tmp_path / "again" / "大坪镇2023年报告.txt"
    again.parent.mkdir()
    again.write_text("大坪镇人民政府2023年法治政府建设工作报告\n\n" + BOILERPLATE_BODY, "utf-8")
    (third,), _ = copied.ingest([again])
    assert third.outcome == Outcome.DUPLICATE and third.report.year == 2023


def test_a_link_inside_the_network_is_refused_unless_the_settings_allow_it(
    tmp_path: Path, site: Site
) -> None:
    url = site.add("/intranet/report.html", Route(web_page(RUCHENG.split("\n"))))
    strict = Library(make_settings(tmp_path / "strict", fetch_allow=()))
    done, errors = strict.ingest([url])
    assert done == [] and [e.kind for e in errors] == [Unreadable.INTERNAL]
    assert "内部网络地址" in texts.unreadable(errors[0].kind, errors[0].detail)
    strict.store.close()
    allowed = Library(make_settings(tmp_path / "allowed", fetch_allow=("127.0.0.1",)))
    (added,), errors = allowed.ingest([url])
    assert errors == [] and added.outcome == Outcome.ADDED and added.report.url == url
    allowed.store.close()


# --- questions about a report itself, answered from its front (issue 20) ----------------------


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("清河县的报告什么时候发布的", "落款日期：2024-02-20"),
        ("清河县报告的文号是多少", "清政发〔2024〕3号"),
        ("清河县的报告是在什么会议上作的", "第十六次会议上"),
        ("清河县报告报送给谁", "县人大常委会："),
        ("桂林市的报告发布时间", "发布时间"),
        ("彭水苗族土家族自治县法治报告的发布机构", "[ 发布机构 ] 彭水县司法局"),
        ("若尔盖县法治政府报告是向谁报告的", "县人大常委会"),
    ],
)
def test_questions_about_the_report_itself_are_answered_from_its_front(
    longtail_library: Library, question: str, said: str
) -> None:
    answer = longtail_library.ask(question)
    first = answer.hits[0]
    assert first.passage.section == (FRONT_MATTER,) and said in first.passage.text
    assert first.report.place in question


def test_a_count_asked_in_the_front_s_words_leads_with_the_figure(tmp_path: Path, library: Library) -> None:
    # 报送 may ask to whom a report was sent; 报送备案的…有多少件 asks a count.
    report = tmp_path / "瑞安市司法局_2023.txt"
    report.write_text(
        "瑞安市司法局关于2023年度行政规范性文件备案审查情况的报告\n发布日期：2024-01-22\n一、报送备案情况\n"
        "2023年，各乡镇人民政府和市政府部门向市司法局报送备案规范性文件42件，较2022年的35件有所增加。\n"
        "二、审查情况\n全年审结报备的规范性文件42件，纠正1件。\n瑞安市司法局\n2024年1月20日\n",
        "utf-8",
    )
    library.ingest([report])
    answer = library.ask("瑞安市报送备案的规范性文件有多少件")
    assert "42件" in answer.lead and "35件" not in answer.lead
    assert "报送备案规范性文件42件" in answer.hits[0].passage.text


def test_an_ordinary_question_of_the_place_is_not_answered_from_its_front(longtail_library: Library) -> None:
    hit = longtail_library.ask("清河县公共法律服务工作室").hits[0]
    assert hit.passage.section != (FRONT_MATTER,) and "326个" in hit.passage.text


@pytest.mark.parametrize(
    ("question", "refused"),
    [
        (
            "广西2023年法治政府建设报告",
            True,
        ),  # the region's own report is of 2022; 桂林市's of 2023 is not it
        ("广西壮族自治区2022年法治政府建设年度报告", False),
        ("桂林市2023年法治政府建设报告", False),
    ],
)
def test_a_bare_request_for_a_places_report_of_a_year_is_its_own(
    longtail_library: Library, question: str, refused: bool
) -> None:
    answer = longtail_library.ask(question)
    if refused:
        assert answer.refusal == Refusal.MISSING_YEAR
        assert texts.refusal(answer) == "暂未收录广西壮族自治区2023年的报告；有：2022年"
    else:
        assert answer.answered and answer.hits[0].report.year == int(question[question.index("20") :][:4])


@pytest.mark.parametrize(
    "question", ["安乐乡报告分为几个部分", "安乐乡2023年的报告分几大部分", "安乐乡报告有多少个部分"]
)
def test_how_many_parts_a_report_has_is_answered_from_its_outline(
    tmp_path: Path, library: Library, question: str
) -> None:
    report = tmp_path / "安乐乡_2023.txt"
    report.write_text(
        "安乐乡人民政府关于2023年度法治政府建设情况的报告\n"
        "一、主要工作\n（一）学法用法\n全年组织学法4次。\n（二）依法决策\n重大决策全部经过合法性审查。\n"
        "二、存在的问题\n法治队伍力量不足。\n三、下一步打算\n加强执法人员培训。\n安乐乡人民政府\n2024年1月5日\n",
        "utf-8",
    )
    library.ingest([report])
    answer = library.ask(question)
    # Three top-level parts, named in order; （一）（二） are not parts of their own.
    assert answer.lead == "安乐乡 2023年的报告分为 3 个部分：一、主要工作；二、存在的问题；三、下一步打算"
    assert answer.hits and answer.hits[0].report.place == "安乐乡" and answer.refusal is None


def test_a_question_about_parts_of_the_work_is_not_about_the_outline(library: Library) -> None:
    # 哪几个方面 asks what was done, not how the report is laid out.
    answer = library.ask("秀山县政务公开做了哪几个方面的工作")
    assert answer.hits and "个部分" not in answer.lead


def test_a_figure_of_a_text_table_leads_with_its_unit_and_row(
    empty_settings: Settings, tmp_path: Path
) -> None:
    # A web page's table copied a cell a line (written for this test): its cells carry no unit.
    cells = ["项目（件）", "2022年", "2023年", "行政复议案件", "26", "34", "行政诉讼案件", "12", "9"]
    report = "\n\n".join(
        [
            "汝城县2023年法治政府建设年度报告",
            "2023年，汝城县坚持依法行政，现将有关情况报告如下。",
            "一、行政复议和应诉情况",
            *cells,
            "全年案件总量保持平稳。",
            "汝城县人民政府",
            "2024年1月10日",
        ]
    )
    (tmp_path / "汝城县_2023.txt").write_text(report, encoding="utf-8")
    lib = Library(empty_settings)
    try:
        lib.ingest([tmp_path / "汝城县_2023.txt"])
        answer = lib.ask("汝城县行政复议案件多少件")
        assert answer.lead.startswith("汝城县 2023年 行政复议案件 34件：")
        assert [(f.value, f.unit, f.year) for f in answer.figures] == [(34, "件", 2023)]
        assert answer.hits[0].passage.text == "行政复议案件（件）：2022年 26，2023年 34"
    finally:
        lib.store.close()


def test_a_figure_lead_reads_growing_runs_of_reports_and_stops_at_a_cap() -> None:
    """An issuer's 10,000 reports, none stating the figure: read 8, 64, 512, then 4,096 at a
    time, and no further (the collection's order says nothing past that)."""
    runs: list[list[int]] = []

    def figures(ids: list[int], measure: str) -> list[StoredFigure]:
        runs.append(ids)
        return []

    seen = [rid for rid, _ in library_module._in_runs(list(range(10_000)), "行政复议", figures)]
    assert [len(r) for r in runs] == [8, 64, 512, 4096]
    assert seen == list(range(8 + 64 + 512 + 4096))
    runs.clear()
    first = next(iter(library_module._in_runs(list(range(10_000)), "行政复议", figures)))
    assert first == (0, []) and [len(r) for r in runs] == [8]
