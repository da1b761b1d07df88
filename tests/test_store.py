"""retrieval.store: reports and passages in real SQLite, atomic replace, the query log, feedback."""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from retrieval.errors import UnknownReport
from retrieval.models import FeedbackReason, ParsedPassage, ParsedReport, Refusal
from retrieval.store import LoggedQuery, Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "db" / "reportbot.db")
    yield s
    s.close()


def parsed(sha: str = "h1", source: str = "a.txt", n: int = 2, title: str = "报告") -> ParsedReport:
    return ParsedReport(
        title=title,
        issuer="蓝山县人民政府办公室",
        year=2022,
        places=("湖南省", "永州市", "蓝山县"),
        source=source,
        sha256=sha,
        passages=tuple(ParsedPassage(("一、做法", f"（{i}）项"), f"{title}第{i}段。") for i in range(n)),
        outline=(("一、做法",), ("一、做法", "（0）项")),
    )


def tokens_for(p: ParsedReport) -> list[list[str]]:
    return [[f"t{i}", "共同"] for i in range(len(p.passages))]


def add(store: Store, p: ParsedReport, replace: int | None = None):
    return store.add_report(p, tokens_for(p), replace=replace)


def test_creates_its_folder_and_tables(tmp_path: Path) -> None:
    s = Store(tmp_path / "new" / "deeper" / "x.db")
    assert (tmp_path / "new" / "deeper" / "x.db").exists()
    assert {"reports", "passages", "queries", "feedback"} <= set(s.db.table_names())
    s.close()


def test_add_report_stores_metadata_passages_and_tokens(store: Store) -> None:
    p = parsed(n=3)
    r = add(store, p)
    assert (r.title, r.issuer, r.year, r.places, r.source, r.sha256, r.passage_count) == (
        p.title,
        p.issuer,
        p.year,
        p.places,
        p.source,
        p.sha256,
        3,
    )
    assert r.place == "蓝山县"
    assert store.reports() == [r]
    assert store.report(r.id) == r
    assert store.outline(r.id) == list(p.outline)
    rows = list(store.iter_index_rows())
    assert [(row[1], row[3], row[4]) for row in rows] == [
        (r.id, pp.text, f"t{i} 共同") for i, pp in enumerate(p.passages)
    ]
    by_id = store.passages([row[0] for row in rows])
    assert [(x.ordinal, x.section, x.text) for x in by_id.values()] == [
        (i, pp.section, pp.text) for i, pp in enumerate(p.passages)
    ]
    assert store.passage(rows[0][0]) == by_id[rows[0][0]]
    assert store.passage_count() == 3


def test_add_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "reportbot.db"
    s = Store(path)
    r = add(s, parsed())
    s.close()
    s2 = Store(path)
    assert s2.reports() == [r]
    assert s2.passage_count() == 2
    s2.close()


def test_find_by_hash_and_source(store: Store) -> None:
    r = add(store, parsed(sha="aaa", source="a.txt"))
    assert store.find_by_hash("aaa") == r
    assert store.find_by_hash("nope") is None
    assert store.find_by_source("a.txt") == r
    assert store.find_by_source("b.txt") is None


def test_replace_swaps_the_report_and_its_passages(store: Store) -> None:
    old = add(store, parsed(sha="old", title="旧版"))
    other = add(store, parsed(sha="other", source="b.txt", title="别的"))
    new = add(store, parsed(sha="new", n=3, title="新版"), replace=old.id)
    assert {r.sha256 for r in store.reports()} == {"new", "other"}
    texts = [row[3] for row in store.iter_index_rows()]
    assert not any(t.startswith("旧版") for t in texts)
    assert sum(t.startswith("新版") for t in texts) == 3
    assert sum(t.startswith("别的") for t in texts) == 2
    assert store.find_by_source("a.txt") == new
    with pytest.raises(UnknownReport):
        store.report(old.id)
    assert store.report(other.id) == other


def test_failed_replace_rolls_back_and_keeps_the_old_report(store: Store) -> None:
    old = add(store, parsed(sha="old"))
    broken = parsed(sha="new", n=3)
    with pytest.raises(ValueError):
        store.add_report(broken, [["only-one"]], replace=old.id)  # tokens for 1 of 3 passages
    assert store.reports() == [old]
    assert store.passage_count() == 2
    assert store.find_by_hash("new") is None


def test_duplicate_content_is_refused_by_the_database_and_changes_nothing(store: Store) -> None:
    r = add(store, parsed(sha="same"))
    with pytest.raises(sqlite3.IntegrityError):
        add(store, parsed(sha="same", source="b.txt"))
    assert store.reports() == [r]
    assert store.passage_count() == 2


def test_delete_report(store: Store) -> None:
    a = add(store, parsed(sha="a", source="a.txt"))
    b = add(store, parsed(sha="b", source="b.txt"))
    assert store.delete_report(a.id) == a
    assert store.reports() == [b]
    assert {row[1] for row in store.iter_index_rows()} == {b.id}
    assert store.passage_count() == 2
    with pytest.raises(UnknownReport):
        store.delete_report(a.id)
    with pytest.raises(UnknownReport):
        store.report(a.id)
    with pytest.raises(UnknownReport):
        store.outline(a.id)


def test_passages_leaves_out_missing_ids_and_handles_many(store: Store) -> None:
    add(store, parsed(n=600))
    ids = [row[0] for row in store.iter_index_rows()]
    assert len(ids) == 600
    got = store.passages([*ids, 10_000, 10_001])
    assert sorted(got) == sorted(ids)
    assert store.passage(10_000) is None
    assert store.passages([]) == {}


def test_iter_index_rows_pages_through_everything(store: Store) -> None:
    add(store, parsed(n=25))
    rows = list(store.iter_index_rows(batch=7))
    assert len(rows) == 25
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_set_tokens(store: Store) -> None:
    add(store, parsed(n=2))
    ids = [row[0] for row in store.iter_index_rows()]
    store.set_tokens([(ids[0], ["新", "词"])])
    assert [row[4] for row in store.iter_index_rows()] == ["新 词", "t1 共同"]


def test_query_log_and_stats(store: Store) -> None:
    add(store, parsed(n=4))
    q1 = store.log_query("秀山县政务公开", True, None, top_passage_id=1, user_id=7, chat_id=8)
    q2 = store.log_query("今天天气怎么样", False, "no_match", user_id=7)
    q3 = store.log_query("", False, "empty")
    assert q1 < q2 < q3
    row = store.db["queries"].get(q2)
    assert (row["query"], row["answered"], row["refusal"], row["user_id"]) == (
        "今天天气怎么样",
        0,
        "no_match",
        7,
    )
    stats = store.stats()
    assert stats == {
        "reports": 1,
        "passages": 4,
        "questions": 3,
        "unanswered": 2,
        "thumbs_up": 0,
        "thumbs_down": 0,
    }
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="seconds")
    assert store.stats(since=tomorrow)["questions"] == 0
    assert store.stats(since="2000-01-01T00:00:00")["questions"] == 3


def test_feedback_once_per_user_and_only_on_a_real_answer(store: Store) -> None:
    q = store.log_query("秀山县政务公开", True)
    other = store.log_query("瓦屋镇矛盾纠纷", True)
    refused = store.log_query("今天天气怎么样", False, "no_match")
    assert store.add_feedback(q, user_id=1, value=1)
    assert not store.add_feedback(q, user_id=1, value=-1)  # a second press changes nothing
    assert (store.stats()["thumbs_up"], store.stats()["thumbs_down"]) == (1, 0)
    assert store.add_feedback(q, user_id=2, value=-1)
    assert store.add_feedback(other, user_id=1, value=1)
    assert not store.add_feedback(refused, user_id=1, value=1)
    assert not any(store.add_feedback(n, user_id=1, value=1) for n in range(1000, 1050))
    assert (store.stats()["thumbs_up"], store.stats()["thumbs_down"]) == (2, 1)
    assert store.db["feedback"].count == 3


def test_look_ups_by_text_hash_url_and_file_name(store: Store) -> None:

    a = add(store, dataclasses.replace(parsed("h1", "a.html"), text_sha256="t1"))
    b = add(
        store, dataclasses.replace(parsed("h2", "a.html"), text_sha256="t1", url="https://x.gov.cn/a.html")
    )
    issuer, year = "蓝山县人民政府办公室", 2022
    assert store.find_by_text_hash("t1", issuer, year) == a  # the first stored
    assert store.find_by_text_hash("", issuer, year) is None
    assert store.find_by_text_hash("t2", issuer, year) is None
    # the same body under another issuer or year is another report
    assert store.find_by_text_hash("t1", issuer + "办公室", year) is None
    assert store.find_by_text_hash("t1", issuer, 2023) is None
    assert store.find_by_url("https://x.gov.cn/a.html") == b and store.find_by_url("https://y/a.html") is None
    assert store.find_by_source("a.html") == b  # the newest, fetched or not
    assert store.find_by_source("a.html", url="") == a
    assert store.reports_without_text_hash() == []
    store.set_text_hash(a.id, "")
    assert store.reports_without_text_hash() == [a.id]


def test_add_report_can_replace_several_reports_at_once(store: Store) -> None:
    a, b = add(store, parsed("h1", "a.txt")), add(store, parsed("h2", "b.txt"))
    c = store.add_report(parsed("h3", "c.txt"), tokens_for(parsed("h3")), replace=[a.id, b.id, a.id])
    assert [r.id for r in store.reports()] == [c.id]
    assert store.report_passages(a.id) == [] and store.report_passages(b.id) == []


def test_forget_user_deletes_only_their_questions_and_feedback(store: Store) -> None:
    mine = store.log_query("秀山县政务公开", True, user_id=7, chat_id=7)
    theirs = store.log_query("瓦屋镇矛盾纠纷", True, user_id=8, chat_id=8)
    store.add_feedback(mine, user_id=8, value=1)
    store.add_feedback(theirs, user_id=7, value=1)
    store.add_feedback(theirs, user_id=8, value=-1)
    assert store.forget_user(7) == (1, 2)
    assert store.logged_query(mine) is None
    assert store.logged_query(theirs) == LoggedQuery(theirs, "瓦屋镇矛盾纠纷", 8, 8, True)
    assert [r["user_id"] for r in store.db["feedback"].rows] == [8]


def test_purge_queries_keeps_the_retention_window(store: Store) -> None:
    old = store.log_query("旧问题", True, user_id=1)
    new = store.log_query("新问题", True, user_id=1)
    store.add_feedback(old, 2, 1)
    store.db.execute("UPDATE queries SET at = ? WHERE id = ?", ["2020-01-01T00:00:00+00:00", old])
    store.db.execute("UPDATE feedback SET at = ? WHERE query_id = ?", ["2020-01-01T00:00:00+00:00", old])
    assert store.purge_queries(90) == 1
    assert store.logged_query(old) is None and store.logged_query(new) is not None
    assert store.db["feedback"].count == 0
    assert store.purge_queries(90) == 0


def test_another_thread_never_sees_uncommitted_work(store: Store) -> None:
    report = store.add_report(parsed(), tokens_for(parsed()))
    inside, release = threading.Event(), threading.Event()

    def delete_then_roll_back() -> None:
        with contextlib.suppress(RuntimeError), store._transaction():
            store._delete(report.id)
            inside.set()
            release.wait(5)
            raise RuntimeError("changed my mind")

    writer = threading.Thread(target=delete_then_roll_back)
    writer.start()
    assert inside.wait(5)
    started = time.monotonic()
    seen = [r.id for r in store.reports()]  # read while the delete is uncommitted
    passages = store.report_passages(report.id)
    version = store.version()
    assert time.monotonic() - started < 1  # readers never wait for the writer
    release.set()
    writer.join(5)
    assert seen == [report.id] and len(passages) == 2
    assert version == store.version()  # the rolled-back generation bump was never visible
    assert [r.id for r in store.reports()] == [report.id]


def test_a_second_writer_waits_instead_of_failing(tmp_path: Path) -> None:
    """Two stores on one file, as the bot and the CLI: a write while the other holds the
    write lock waits for it (busy timeout) rather than raising "database is locked"."""
    path = tmp_path / "db" / "reportbot.db"
    a, b = Store(path), Store(path, busy_timeout=5)
    inside = threading.Event()

    def hold_the_lock() -> None:
        with a._transaction():
            a._bump()
            inside.set()
            time.sleep(0.5)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    assert inside.wait(5)
    started = time.monotonic()
    qid = b.log_query("秀山县政务公开", True)
    waited = time.monotonic() - started
    holder.join(5)
    assert qid and 0.2 < waited < 4
    assert b.version().generation == 1
    a.close()
    b.close()


def test_memory_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="file"):
        Store(":memory:")


def test_originals_keep_find_and_drop_files(tmp_path: Path) -> None:
    from retrieval.store import Originals

    kept = Originals(tmp_path / "originals")
    assert kept.path(7) is None
    kept.keep(7, "某县报告.DOCX", b"PK-bytes")
    path = kept.path(7)
    assert path is not None and path.name == "7.docx" and path.read_bytes() == b"PK-bytes"
    kept.keep(7, "某县报告.docx", b"newer")  # replaced whole
    assert kept.path(7).read_bytes() == b"newer"  # type: ignore[union-attr]
    assert kept.path(70) is None  # 7's file is not 70's
    kept.drop(7)
    assert kept.path(7) is None
    kept.drop(7)  # nothing to drop is no error


def test_originals_left_half_written_are_removed_on_start(tmp_path: Path) -> None:
    from retrieval.store import Originals

    folder = tmp_path / "originals"
    folder.mkdir()
    (folder / ".3.pdf.tmp").write_bytes(b"half")
    (folder / "4.pdf").write_bytes(b"whole")
    kept = Originals(folder)
    assert not (folder / ".3.pdf.tmp").exists()
    assert kept.path(4) is not None and kept.path(3) is None


# --- feedback reasons and the conversation log ----------------------------------------------


def test_a_reason_goes_with_a_thumbs_down_once(store: Store) -> None:
    q = store.log_query("秀山县政务公开", True)
    refused = store.log_query("今天天气怎么样", False, "no_match")
    assert store.add_feedback(q, user_id=1, value=-1)
    assert store.feedback_of(q, 1) == -1 and store.feedback_of(q, 9) is None
    assert store.add_reason(q, 1, FeedbackReason.INCOMPLETE)
    assert not store.add_reason(q, 1, FeedbackReason.OTHER)  # a reason once
    assert store.add_feedback(q, user_id=2, value=1)
    assert not store.add_reason(q, 2, FeedbackReason.OTHER)  # a 👍 takes no reason
    assert store.add_reason(q, 3, FeedbackReason.OUTDATED)  # a 👎 with its reason in one press
    assert not store.add_reason(refused, 1, FeedbackReason.OTHER)
    assert not store.add_reason(10_000, 1, FeedbackReason.OTHER)
    rows = {(r["user_id"], r["value"], r["reason"]) for r in store.db["feedback"].rows}
    assert rows == {(1, -1, "incomplete"), (2, 1, None), (3, -1, "outdated")}


def test_an_older_database_gets_the_reason_and_snippet_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE queries (id INTEGER PRIMARY KEY, at TEXT, user_id INTEGER, chat_id INTEGER,"
        " query TEXT, answered INTEGER, refusal TEXT, top_passage_id INTEGER);"
        "CREATE TABLE feedback (id INTEGER PRIMARY KEY, at TEXT, user_id INTEGER, query_id INTEGER,"
        " value INTEGER);"
        "CREATE UNIQUE INDEX idx_fb ON feedback (query_id, user_id);"
        f"INSERT INTO queries VALUES (1, '{datetime.now(UTC).isoformat()}', 7, 7, '旧的问题', 1, NULL, NULL);"
        "INSERT INTO feedback VALUES (1, '2026-01-01', 7, 1, -1);"
    )
    old.commit()
    old.close()
    store = Store(path)
    try:
        assert "reason" in store.db["feedback"].columns_dict
        assert "top_snippet" in store.db["queries"].columns_dict
        (entry,) = store.conversation_log("2000-01-01")
        assert (entry.question, entry.thumbs_down, entry.reasons, entry.snippet) == ("旧的问题", 1, (), "")
        assert store.add_reason(1, 7, FeedbackReason.IRRELEVANT)
        assert store.conversation_log("2000-01-01")[0].reasons == (FeedbackReason.IRRELEVANT,)
    finally:
        store.close()


def test_the_conversation_log_lists_refused_and_disliked_questions_with_what_they_got(store: Store) -> None:
    report = add(store, parsed(n=3))
    first, second = (row[0] for row in list(store.iter_index_rows())[:2])
    liked = store.log_query("喜欢的", True, None, first, 987654321, -1001234, top_snippet="报告第0段")
    disliked = store.log_query("不满意的", True, None, second, 987654321, -1001234, top_snippet="报告第1段")
    refused = store.log_query("今天天气怎么样", False, "no_match", user_id=987654321, chat_id=-1001234)
    unknown = store.log_query("北京市的报告", False, "unknown_place")
    store.add_feedback(liked, 5, 1)
    store.add_feedback(disliked, 5, -1, FeedbackReason.INCOMPLETE)
    store.add_feedback(disliked, 6, -1)
    store.add_reason(disliked, 7, FeedbackReason.OUTDATED)

    entries = store.conversation_log("2000-01-01")
    assert [e.query_id for e in entries] == [unknown, refused, disliked]  # newest first, no 👍
    assert [e.refusal for e in entries] == [Refusal.UNKNOWN_PLACE, Refusal.NO_MATCH, None]
    got = entries[2]
    assert got.answered and got.report == report and got.section == ("一、做法", "（1）项")
    assert got.snippet == "报告第1段"
    assert got.thumbs_down == 3 and got.reasons == (FeedbackReason.INCOMPLETE, FeedbackReason.OUTDATED)
    # Nothing says who asked or where.
    assert not {"user_id", "chat_id", "user", "chat"} & {f.name for f in dataclasses.fields(got)}
    assert "987654321" not in repr(entries) and "1001234" not in repr(entries)

    assert [e.query_id for e in store.conversation_log("2000-01-01", refused=False)] == [disliked]
    assert [e.query_id for e in store.conversation_log("2000-01-01", disliked=False)] == [unknown, refused]
    assert [e.query_id for e in store.conversation_log("2000-01-01", limit=1)] == [unknown]
    assert store.conversation_log("2000-01-01", refused=False, disliked=False) == []
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="seconds")
    assert store.conversation_log(tomorrow) == []


def test_the_conversation_log_outlives_a_deleted_report_and_forgets_with_the_user(store: Store) -> None:
    report = add(store, parsed(n=2, title="很长的标题" * 20))
    pid = next(store.iter_index_rows())[0]
    q = store.log_query("没有引文的旧问题", True, None, pid, user_id=7)  # logged before snippets were
    store.add_feedback(q, 8, -1)
    (entry,) = store.conversation_log("2000-01-01")
    assert entry.snippet == store_first_words(store, pid)  # the passage's first words instead
    store.delete_report(report.id)
    (entry,) = store.conversation_log("2000-01-01")
    assert entry.report is None and entry.snippet == "" and entry.thumbs_down == 1
    store.forget_user(7)
    assert store.conversation_log("2000-01-01") == []


def store_first_words(store: Store, passage_id: int) -> str:
    passage = store.passage(passage_id)
    assert passage is not None
    text = passage.text
    return text if len(text) <= 60 else text[:59] + "…"


def figures_report(sha: str, text: str, year: int = 2023) -> ParsedReport:
    return dataclasses.replace(
        parsed(sha=sha, source=f"{sha}.txt", n=1), year=year, passages=(ParsedPassage(("一、做法",), text),)
    )


def answering(store: Store, measure: str) -> list[tuple[int, str, float]]:
    stated = store.figures_answering(measure)
    return [(f.report_id, f.figure.measure, f.figure.value) for f in stated.figures(range(len(stated)))]


def test_a_ranking_reads_the_values_of_the_measures_of_its_kind_only(store: Store) -> None:
    r = add(
        store, figures_report("f1", "全年办理行政复议案件52件，其中纠错12件。出庭应诉率为95%，同比增长5%。")
    )
    assert answering(store, "行政复议案件") == [(r.id, "行政复议案件", 52)]
    assert answering(store, "出庭应诉率") == [(r.id, "出庭应诉率", 95)]  # not the change
    assert answering(store, "败诉率") == []
    stated = store.figures_answering("出庭应诉率")
    assert stated.rate.tolist() == [True] and stated.with_unit.tolist() == [True]


def test_a_ranking_reads_a_report_added_or_deleted_at_once(store: Store) -> None:
    first = add(store, figures_report("f1", "全年办理行政复议案件52件。"))
    assert answering(store, "行政复议案件") == [(first.id, "行政复议案件", 52)]
    second = add(store, figures_report("f2", "全县行政复议案件17件。"))
    assert answering(store, "行政复议案件") == [
        (first.id, "行政复议案件", 52),
        (second.id, "行政复议案件", 17),
    ]
    store.delete_report(first.id)
    assert answering(store, "行政复议案件") == [(second.id, "行政复议案件", 17)]


def values_plan(store: Store) -> str:
    return " ".join(
        str(row)
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT value FROM figures WHERE measure_id = 1 AND kind IN ('', 'all')"
        )
    )


def test_figures_read_again_are_answered_from_the_index_again(store: Store) -> None:
    r = add(store, figures_report("f1", "全年办理行政复议案件52件。出庭应诉率为95%。"))
    assert store.rebuild_figures() == 2
    assert answering(store, "行政复议案件") == [(r.id, "行政复议案件", 52)]
    assert "COVERING INDEX figures_values_by_measure" in values_plan(store)


def test_a_database_from_before_measure_numbers_gets_them_from_its_stored_figures(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store(path)
    r = add(store, figures_report("f1", "全年办理行政复议案件52件。出庭应诉率为95%。"))
    store.close()
    old = sqlite3.connect(path)
    old.executescript(
        "DROP INDEX figures_values_by_measure; ALTER TABLE figures DROP COLUMN measure_id;"
        " DROP TABLE measures;"
    )
    old.close()
    store = Store(path)
    try:
        assert answering(store, "行政复议案件") == [(r.id, "行政复议案件", 52)]
        assert answering(store, "出庭应诉率") == [(r.id, "出庭应诉率", 95)]
        assert "COVERING INDEX figures_values_by_measure" in values_plan(store)
    finally:
        store.close()
