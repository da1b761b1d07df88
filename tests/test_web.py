"""`reportbot web`: the JSON API over real HTTP on 127.0.0.1 (the page itself, in a real
browser, is tested in test_web_chat.py)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest

from bot.core.shapes import answer_json
from bot.web.app import create_app, examples
from retrieval.library import Library
from tests.web_server import serve

_ids = count()


@pytest.fixture(scope="module")
def server(shared_library: Library) -> Iterator[str]:
    """The web app served by uvicorn on a free port of 127.0.0.1, in a thread."""
    with serve(create_app(shared_library)) as url:
        yield url


def chat(server: str, user: str = "", **body: Any) -> dict[str, Any]:
    """One chat request as the page sends it (a fresh user unless `user` is given)."""
    ids = {"user": user or f"user-{next(_ids):04d}", "chat": "chat-0001"}
    r = httpx.post(f"{server}/api/chat", json={**ids, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_ask_returns_exactly_what_ask_json_prints(server: str, shared_library: Library) -> None:
    r = httpx.post(f"{server}/api/ask", json={"q": "秀山县政务公开数据", "k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body == json.loads(json.dumps(answer_json(shared_library.ask("秀山县政务公开数据", k=2))))
    assert body["answered"] and len(body["hits"]) == 2
    assert "秀山" in body["hits"][0]["report"]["issuer"]


def test_offset_gives_the_next_page(server: str) -> None:
    first = httpx.post(f"{server}/api/ask", json={"q": "依法行政", "k": 2}).json()
    second = httpx.post(f"{server}/api/ask", json={"q": "依法行政", "k": 2, "offset": 2}).json()
    assert [h["rank"] for h in second["hits"]] == [3, 4]
    assert not {h["text"] for h in first["hits"]} & {h["text"] for h in second["hits"]}


def test_previous_question_makes_a_follow_up(server: str) -> None:
    body = httpx.post(
        f"{server}/api/ask", json={"q": "那蓝山县呢？", "previous": "秀山县政务公开数据"}
    ).json()
    assert body["answered"]
    assert body["hits"][0]["report"]["places"][-1] == "蓝山县"


def test_refusal_carries_its_reason_and_message(server: str) -> None:
    body = httpx.post(f"{server}/api/ask", json={"q": "今天天气怎么样"}).json()
    assert body["answered"] is False and body["hits"] == []
    assert body["refusal"] and body["message"]


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"{not json", {"content-type": "application/json"}),
        (b"[1, 2]", {"content-type": "application/json"}),
        (b'{"q": 5}', {"content-type": "application/json"}),
        (b'{"q": "x", "k": 0}', {"content-type": "application/json"}),
        (b'{"q": "x", "k": true}', {"content-type": "application/json"}),
        (b'{"q": "x", "offset": -1}', {"content-type": "application/json"}),
        (b"q=x", {"content-type": "application/x-www-form-urlencoded"}),
        (b'{"q": "' + b"x" * 20000 + b'"}', {"content-type": "application/json"}),
    ],
)
def test_bad_requests_get_400_with_a_reason(server: str, content: bytes, headers: dict[str, str]) -> None:
    r = httpx.post(f"{server}/api/ask", content=content, headers=headers)
    assert r.status_code == 400
    assert r.json()["error"]


def test_a_lone_surrogate_is_cleaned_not_an_error(server: str) -> None:
    r = httpx.post(
        f"{server}/api/ask",
        content='{"q": "秀山县政务公开\\ud800数据"}'.encode(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200 and r.json()["answered"]


def test_reports_lists_every_report_newest_first(server: str, shared_library: Library) -> None:
    body = httpx.get(f"{server}/api/reports").json()
    assert body["count"] == len(shared_library.reports()) == len(body["reports"])
    years = [r["year"] or 0 for r in body["reports"]]
    assert years == sorted(years, reverse=True)


def test_only_the_listed_methods(server: str) -> None:
    assert httpx.get(f"{server}/api/ask").status_code == 405
    assert httpx.get(f"{server}/nothing").status_code == 404


def test_chat_answers_a_question_with_its_actions(server: str) -> None:
    reply = chat(server, text="秀山县政务公开数据")
    (answer,) = reply["parts"]
    assert answer["type"] == "answer" and answer["answered"] and not answer["understood"]
    first = answer["excerpts"][0]
    assert "秀山" in first["citation"] and first["full"]["kind"] == "full"
    assert first["source"]["id"].startswith("src:")
    kinds = {a["kind"] for row in answer["actions"] for a in row}
    assert {"feedback", "export"} <= kinds
    # 复制 copies the question, the excerpts verbatim and their citations, as plain text.
    assert answer["copy"].startswith("问：秀山县政务公开数据\n[1] “")
    assert first["citation"] in answer["copy"]


def test_a_follow_up_is_understood_in_the_same_chat(server: str) -> None:
    chat(server, user="follower-1", text="秀山县政务公开数据")
    (answer,) = chat(server, user="follower-1", text="那蓝山县呢？")["parts"]
    assert answer["understood"] and answer["question"] == "蓝山县政务公开数据"
    assert answer["excerpts"][0]["report"]["places"][-1] == "蓝山县"


def press_of(answer: dict[str, Any], kind: str) -> str:
    return next(a["id"] for row in answer["actions"] for a in row if a["kind"] == kind)


def test_export_and_source_give_files_to_download(server: str) -> None:
    (answer,) = chat(server, user="files-0001", text="秀山县政务公开数据")["parts"]
    export = chat(server, user="files-0001", press=press_of(answer, "export"))
    (file,) = [p for p in export["parts"] if p["type"] == "file"]
    r = httpx.get(server + file["url"])
    assert r.status_code == 200 and file["name"].endswith(".docx")
    assert (
        "attachment" in r.headers["content-disposition"]
        and "filename*=UTF-8''" in r.headers["content-disposition"]
    )
    assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()  # a Word file
    source = chat(server, user="files-0001", press=answer["excerpts"][0]["source"]["id"])
    original = next(p for p in source["parts"] if p["type"] == "file")
    assert "秀山" in httpx.get(server + original["url"]).content.decode("utf-8")
    assert any(p["type"] == "report" and p["outline"] for p in source["parts"])


def test_full_gives_the_whole_passage(server: str) -> None:
    (answer,) = chat(server, text="秀山县政务公开数据")["parts"]
    (passage,) = chat(server, press=answer["excerpts"][0]["full"]["id"])["parts"]
    assert passage["type"] == "passage" and len(passage["text"]) > len(answer["excerpts"][0]["snippet"]) - 2


def test_feedback_is_taken_once(server: str) -> None:
    (answer,) = chat(server, user="feedback-01", text="秀山县政务公开数据")["parts"]
    thumbs_up = press_of(answer, "feedback")
    first = chat(server, user="feedback-01", press=thumbs_up)
    assert [a["label"] for a in first["feedback"]] == ["已反馈 有帮助"] and first["notice"]
    again = chat(server, user="feedback-01", press=thumbs_up)
    assert again["alert"] and again["feedback"] is None and "已经" in again["notice"]


def test_a_forged_press_gets_a_short_notice(server: str) -> None:
    reply = chat(server, press="exp:999999")
    assert reply["parts"] == [] and reply["alert"] and reply["notice"]
    assert chat(server, press="<script>")["notice"]


def test_a_file_no_longer_kept_is_404_with_a_reason(server: str) -> None:
    r = httpx.get(f"{server}/api/files/not-a-token")
    assert r.status_code == 404 and r.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "x"},  # no ids
        {"user": "short", "chat": "chat-0001", "text": "x"},
        {"user": "user-0001", "chat": "<b>bad</b>", "text": "x"},
        {"user": "user-0001", "chat": "chat-0001"},  # neither text nor press
        {"user": "user-0001", "chat": "chat-0001", "text": "x", "press": "full:1"},
        {"user": "user-0001", "chat": "chat-0001", "text": 5},
        {"user": "user-0001", "chat": "chat-0001", "press": "x" * 500},
        {"user": "user-0001", "chat": "chat-0001", "text": "x" * 20000},
    ],
)
def test_bad_chat_requests_get_400_with_a_reason(server: str, body: dict[str, Any]) -> None:
    r = httpx.post(f"{server}/api/chat", json=body)
    assert r.status_code == 400 and 0 < len(r.json()["error"]) < 100


def test_bad_json_and_oversize_bodies_are_refused_before_the_core(server: str) -> None:
    headers = {"content-type": "application/json"}
    r = httpx.post(f"{server}/api/chat", content=b"{", headers=headers)
    assert r.status_code == 400 and r.json()["error"] == "the body is not valid JSON"
    r = httpx.post(f"{server}/api/chat", content=b"[" * 100_000, headers=headers)
    assert r.status_code == 400 and r.json()["error"] == "request body too large"


def test_start_shows_the_collection_and_questions_it_answers(server: str, shared_library: Library) -> None:
    start = httpx.get(f"{server}/api/start").json()
    assert start["count"] == len(shared_library.reports())
    assert "蓝山县" in start["places"]
    groups = {g["province"]: g["places"] for g in start["provinces"]}
    assert groups["湖南省"] == ["安化县", "蓝山县"] and groups["重庆市"] == ["秀山土家族苗族自治县"]
    assert sorted(p for ps in groups.values() for p in ps) == sorted(start["places"])
    assert start["examples"] and all(chat(server, text=q)["parts"][0]["answered"] for q in start["examples"])


def test_examples_follow_the_collection() -> None:
    assert examples([]) == []


def test_the_page_is_served_with_a_strict_policy(server: str) -> None:
    r = httpx.get(server + "/")
    assert r.status_code == 200 and "<script>" in r.text
    assert "script-src 'sha256-" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_on_loopback_only_this_machine_s_names_are_served(shared_library: Library) -> None:
    with serve(create_app(shared_library, ["127.0.0.1", "localhost"])) as url:
        assert httpx.get(url + "/").status_code == 200
        assert httpx.get(url + "/", headers={"host": "evil.example"}).status_code == 400


def test_places_are_grouped_by_province_with_the_province_itself_and_the_unknown_apart(
    dev_library: Library,
) -> None:
    from bot.web.app import provinces

    groups = provinces(dev_library.reports())
    names = [g["province"] for g in groups]
    assert names[-1] == "其他" and {"柘原县"} <= set(groups[-1]["places"])  # no known province
    by = {g["province"]: g["places"] for g in groups}
    assert by["甘肃省"] == ["本级"]  # 甘肃省司法厅's report: the province's own
    assert sorted(by["湖北省"]) == sorted(["唐家墩街道", "柳林乡"])
    assert len(names) == len(set(names))
    counts = [len(g["places"]) for g in groups[:-1]]
    assert counts == sorted(counts, reverse=True)  # the provinces with most places first


def test_the_favicon_is_served(server: str) -> None:
    r = httpx.get(server + "/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.content.startswith(b"<svg") and b"</svg>" in r.content


def test_buttons_have_words_not_only_emoji(server: str) -> None:
    (answer,) = chat(server, user="labels-001", text="秀山县政务公开数据")["parts"]
    labels = [a["label"] for row in answer["actions"] for a in row]
    labels += [e["source"]["label"] for e in answer["excerpts"]]
    assert "有帮助" in labels and "没帮助" in labels and "来源" in labels
    emoji = [x for x in labels if any(ord(c) >= 0x1F000 for c in x)]
    assert emoji == []


@pytest.fixture(scope="module")
def ranked_server(ranked_library: Library) -> Iterator[str]:
    with serve(create_app(ranked_library)) as url:
        yield url


def test_a_ranking_carries_its_table_and_no_picture(ranked_server: str, ranked_library: Library) -> None:
    reply = chat(ranked_server, user="ranking-01", text="哪个县行政复议案件最多")
    assert [p["type"] for p in reply["parts"]] == ["answer"]  # the page draws the table itself
    table = reply["parts"][0]["table"]
    assert table["measure"] == "行政复议案件"
    rows = [(r["rank"], r["place"], r["year"], r["written"], r["share"]) for r in table["rows"]]
    want = ranked_library.ask("哪个县行政复议案件最多").table
    assert want is not None
    assert [r[1:4] for r in rows] == [(w.place, w.report.year, w.figure.written) for w in want.rows]
    top = max(w.figure.value for w in want.rows)
    assert [r[4] for r in rows] == [round(w.figure.value / top, 4) for w in want.rows]
    assert rows[0][4] == 1.0 and [r[0] for r in rows] == list(range(1, len(rows) + 1))
