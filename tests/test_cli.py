"""The `reportbot` command line (bot.cli), through click's CliRunner, on data dirs in tmp."""

from __future__ import annotations

import dataclasses
import json
import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from retrieval.evaluate import evaluate, read_questions
from retrieval.library import Library
from retrieval.models import FeedbackReason
from tests.conftest import BUNDLED_REPORTS, RUCHENG, TESTS_DATA, Route, Site, copy_data, docx_bytes, web_page


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No REPORTBOT_* variables from the machine, and no .env in the working directory."""
    for key in list(os.environ):
        if key.startswith("REPORTBOT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, shared_library: Library) -> Path:
    """A copy of the shared library's data, for commands that only read (and reindex)."""
    return copy_data(shared_library, tmp_path_factory.mktemp("cli") / "data").data_dir


def run(data_dir: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    # Links are fetched from the tests' web server on 127.0.0.1, an internal document server here.
    env = {"REPORTBOT_FETCH_ALLOW": "127.0.0.1", **(env or {})}
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args], input=input, env=env)


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# --- ask ---------------------------------------------------------------------------------------


def test_ask_prints_quotes_and_citations(data_dir: Path) -> None:
    result = run(data_dir, "ask", "秀山县政务公开数据")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("[1] “") and lines[0].endswith("”")
    assert "政府网站公开政府信息18778条" in lines[0]
    assert lines[1] == (
        "    —— 秀山土家族苗族自治县人民政府办公室《"
        "关于2024年法治政府建设情况的报告》"
        " › 一、2024年工作开展情况 › （二）持续深化政务公开"
    )
    assert "\x1b[" not in result.stdout  # no colour when not on a terminal
    numbered = [line for line in lines if line.startswith("[")]
    assert [line.split("]")[0] for line in numbered] == [f"[{i}" for i in range(1, len(numbered) + 1)]


def test_ask_prints_the_refusal(data_dir: Path) -> None:
    result = run(data_dir, "ask", "北京市法治政府建设")
    assert result.exit_code == 0
    assert "暂未收录北京市的报告" in result.stdout
    assert "秀山土家族苗族自治县" in result.stdout


def _check_hit_shape(hit: dict) -> None:
    assert {"rank", "score", "report", "section", "text", "snippet"} <= set(hit)
    assert {"id", "title", "issuer", "year", "places"} <= set(hit["report"])
    assert isinstance(hit["rank"], int)
    assert isinstance(hit["score"], float | int)
    r = hit["report"]
    assert isinstance(r["id"], int) and isinstance(r["title"], str) and isinstance(r["issuer"], str)
    assert r["year"] is None or isinstance(r["year"], int)
    assert isinstance(r["places"], list) and all(isinstance(p, str) for p in r["places"])
    assert isinstance(hit["section"], list) and all(isinstance(s, str) for s in hit["section"])
    assert isinstance(hit["text"], str) and isinstance(hit["snippet"], str)
    assert hit["snippet"].strip("…") in hit["text"]


def test_ask_json_shape(data_dir: Path, shared_library: Library) -> None:
    result = run(data_dir, "ask", "--json", "-k", "2", "秀山县政务公开数据")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert {"query", "answered", "hits"} <= set(out)
    assert out["query"] == "秀山县政务公开数据"
    assert out["answered"] is True
    assert [h["rank"] for h in out["hits"]] == [1, 2]
    for hit in out["hits"]:
        _check_hit_shape(hit)
    top = out["hits"][0]
    stored = {r.id: r for r in shared_library.reports()}[top["report"]["id"]]
    assert top["report"] == {
        "id": stored.id,
        "title": stored.title,
        "issuer": stored.issuer,
        "year": stored.year,
        "places": list(stored.places),
    } | {k: v for k, v in top["report"].items() if k not in {"id", "title", "issuer", "year", "places"}}
    assert top["report"]["places"] == ["重庆市", "秀山土家族苗族自治县"]
    assert top["section"] == ["一、2024年工作开展情况", "（二）持续深化政务公开"]
    assert "政府网站公开政府信息18778条" in top["text"]


def test_ask_json_refusal(data_dir: Path) -> None:
    result = run(data_dir, "ask", "--json", "今天天气怎么样")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["answered"] is False
    assert out["hits"] == []
    assert out["query"] == "今天天气怎么样"


def test_ask_reads_questions_from_stdin_one_json_object_per_line(data_dir: Path) -> None:
    questions = "秀山县政务公开数据\n\n今天天气怎么样\n   \n北京市法治政府建设\n安化县政协提案立案率\n"
    result = run(data_dir, "ask", "--json", input=questions)
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["query"] for o in objects] == [
        "秀山县政务公开数据",
        "今天天气怎么样",
        "北京市法治政府建设",
        "安化县政协提案立案率",
    ]
    assert [o["answered"] for o in objects] == [True, False, False, True]
    for o in objects:
        for hit in o["hits"]:
            _check_hit_shape(hit)
    assert any("立案率" in h["text"] for h in objects[3]["hits"])


def test_ask_from_stdin_prints_each_question_above_its_answer(data_dir: Path) -> None:
    result = run(data_dir, "ask", input="秀山县政务公开数据\n\n今天天气怎么样\n")
    assert result.exit_code == 0, result.output
    blocks = result.stdout.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["Q: 秀山县政务公开数据", "Q: 今天天气怎么样"]
    assert blocks[0].splitlines()[1].startswith("[1] “") and "18778" in blocks[0]
    assert "没有找到" in blocks[1]
    # A question given as an argument is the one on the command line: not repeated.
    assert not run(data_dir, "ask", "秀山县政务公开数据").stdout.startswith("Q: ")


@pytest.fixture(scope="module")
def ranked_dir(tmp_path_factory: pytest.TempPathFactory, ranked_library: Library) -> Path:
    return copy_data(ranked_library, tmp_path_factory.mktemp("ranked-cli") / "data").data_dir


@pytest.mark.parametrize("k", [1, 2])
def test_a_ranking_prints_at_most_k_excerpts_and_its_whole_table(ranked_dir: Path, k: int) -> None:
    full = json.loads(run(ranked_dir, "ask", "--json", "-k", "10", "哪个县行政复议案件最多").stdout)
    assert len(full["hits"]) >= 3  # the ranking quotes every place it ranks
    result = run(ranked_dir, "ask", "-k", str(k), "哪个县行政复议案件最多")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("行政复议案件最多：蓝山县")
    assert [line[:3] for line in lines if line.startswith("[")] == [f"[{i}]" for i in range(1, k + 1)]
    left = len(full["hits"]) - k
    assert lines[-1] == f"({left} more excerpts: -k {len(full['hits'])} to print them)"
    shown = json.loads(run(ranked_dir, "ask", "--json", "-k", str(k), "哪个县行政复议案件最多").stdout)
    assert len(shown["hits"]) == k
    assert shown["table"]["rows"] == full["table"]["rows"]


def test_ask_json_has_empty_groups_for_an_ordinary_question(data_dir: Path) -> None:
    out = json.loads(run(data_dir, "ask", "--json", "秀山县政务公开数据").stdout)
    assert out["groups"] == [] and out["missing"] == [] and out["other_years"] == []
    assert "reply" not in out


def test_ask_json_comparison_has_a_group_or_missing_entry_per_place(data_dir: Path) -> None:
    result = run(data_dir, "ask", "--json", "潢川县和安化县哪个立案率高")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answered"] is True
    assert [g["key"] for g in out["groups"]] == ["安化县"]
    assert out["missing"] == ["潢川县"]
    group = out["groups"][0]
    assert group["report"]["places"][-1] == "安化县"
    assert "立案率为82%" in group["hits"][0]["text"]
    # The flat list holds every group's hits, ranked, first.
    grouped = [h for g in out["groups"] for h in g["hits"]]
    assert out["hits"][: len(grouped)] == grouped
    for hit in [*out["hits"], *group["hits"]]:
        _check_hit_shape(hit)


def test_ask_text_comparison_names_each_side(data_dir: Path) -> None:
    result = run(data_dir, "ask", "潢川县和安化县哪个立案率高")
    lines = result.stdout.splitlines()
    assert lines[0] == "【安化县】"
    assert lines[1].startswith("[1] “") and "立案率为82%" in lines[1]
    assert lines[2].startswith("    —— 政协安化县委员会办公室")
    assert lines[-1] == "潢川县的报告中没有提到立案率。"


@pytest.mark.parametrize(
    ("question", "kind", "words"),
    [
        ("你好", "greeting", ["您好"]),
        ("收录了哪些报告", "reports", ["5 份报告", "潢川县人民政府办公室"]),
        ("有哪些地方", "places", ["瓦屋镇", "秀山土家族苗族自治县"]),
        ("蓝山县有报告吗", "place", ["蓝山县有 1 份报告"]),
        ("2024年的报告有几份", "year", ["2024年的报告有 3 份"]),
    ],
)
def test_ask_json_reply_about_the_collection(
    data_dir: Path, question: str, kind: str, words: list[str]
) -> None:
    out = json.loads(run(data_dir, "ask", "--json", question).stdout)
    assert out["answered"] is True and out["hits"] == []
    assert out["reply"]["kind"] == kind
    assert all(w in out["reply"]["text"] for w in words)
    text = run(data_dir, "ask", question).stdout.strip()
    assert text == out["reply"]["text"]


# --- ingest, reindex, reports --------------------------------------------------------------------


def test_ingest_added_and_unchanged(tmp_path: Path, shared_library: Library) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    new = tmp_path / "in" / "汝城县政府办_2023.txt"
    new.parent.mkdir()
    new.write_text(RUCHENG, "utf-8")
    result = run(data, "ingest", str(new), str(BUNDLED_REPORTS / "蓝山县政府办_2022.txt"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[2] == "ingested 2 files: 1 added, 1 unchanged (5 passages added)"
    assert lines[0].startswith("added: #")
    assert "汝城县人民政府办公室《汝城县人民政府办公室2023年法治政府建设工作报告》" in lines[0]
    assert "(5 passages)" in lines[0]  # intro, （一）, （二）, the problems and the plans paragraphs
    assert lines[1].startswith("unchanged: #")
    assert "蓝山县人民政府办公室" in lines[1]
    # stored: a second run sees the new file as unchanged, and it is answered
    again = run(data, "ingest", str(new))
    assert again.exit_code == 0 and again.stdout.startswith("unchanged: #")
    asked = run(data, "ask", "--json", "汝城县行政复议案件")
    assert any("37件" in h["text"] for h in json.loads(asked.stdout)["hits"])


def test_ingest_refuses_an_unreadable_file_by_name(tmp_path: Path, shared_library: Library) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    junk = tmp_path / "junk_report.txt"
    junk.write_bytes(random.Random(7).randbytes(3000))
    result = run(data, "ingest", str(junk))
    assert result.exit_code != 0
    no_traceback(result)
    assert "refused:" in result.stderr
    assert "junk_report.txt" in result.stderr
    listed = run(data, "reports")
    assert len(listed.stdout.splitlines()) == 5


def test_ingest_a_link_stores_its_url_and_citations_show_it(
    tmp_path: Path, shared_library: Library, site: Site
) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    url = site.add("/cli/rucheng.html", Route(web_page(RUCHENG.split("\n"))))
    result = run(data, "ingest", url)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added: #") and result.stdout.strip().endswith(url)
    text = run(data, "ask", "汝城县行政复议案件多少件").stdout.splitlines()
    assert (
        text[0] == "汝城县 2023年 行政复议案件 37件：“全年办理行政复议案件37件”"
    )  # the answer first, then the excerpt
    assert text[2].startswith("    —— 汝城县人民政府办公室《") and text[2].endswith(f" {url}")
    (hit, *_) = json.loads(run(data, "ask", "--json", "汝城县行政复议案件多少件").stdout)["hits"]
    assert hit["report"]["url"] == url
    # A report from a file has no link: its citation line stays as it was.
    bundled = json.loads(run(data, "ask", "--json", "秀山县政务公开数据").stdout)["hits"][0]
    assert bundled["report"]["url"] == ""
    listed = run(data, "reports").stdout.splitlines()
    assert listed[-1].endswith(f"\trucheng.html\t{url}") and not listed[0].endswith(url)


def test_ingest_refuses_both_duplicate_flags(data_dir: Path) -> None:
    result = run(data_dir, "ingest", "--replace-duplicates", "--keep-duplicates", "x.txt")
    assert result.exit_code == 2 and "cannot be given together" in result.stderr


def test_ingest_a_link_that_fails_is_one_line(tmp_path: Path, shared_library: Library, site: Site) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    url = site.add("/cli/picture.png", Route(b"\x89PNG", "image/png"))
    result = run(data, "ingest", url, site.url("/cli/none.html"))
    assert result.exit_code == 1
    no_traceback(result)
    errors = result.stderr.splitlines()
    assert errors == [
        f"refused: {url}: image/png is not a web page, PDF, .docx or plain text",
        f"refused: {site.url('/cli/none.html')}: the server answered 404 Not Found",
    ]


@pytest.mark.parametrize(
    ("flag", "first", "reports"),
    [
        ((), "duplicate: 汝城.docx: same content as #", 1),
        (("--replace-duplicates",), "replaced: #", 1),
        (("--keep-duplicates",), "added: #", 2),
    ],
)
def test_ingest_the_same_report_from_another_file(
    tmp_path: Path, shared_library: Library, flag: tuple[str, ...], first: str, reports: int
) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    txt = tmp_path / "汝城.txt"
    txt.write_text(RUCHENG, "utf-8")
    doc = tmp_path / "汝城.docx"
    doc.write_bytes(docx_bytes(RUCHENG.split("\n")))
    stored = run(data, "ingest", str(txt)).stdout
    rid = stored.split("#", 1)[1].split()[0]
    result = run(data, "ingest", *flag, str(doc))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(first)
    if not flag:
        assert f"same content as #{rid} 汝城县人民政府办公室《" in result.stdout
        assert "--replace-duplicates" in result.stdout
    if flag == ("--replace-duplicates",):
        assert f"replacing #{rid}" in result.stdout
    listed = [line for line in run(data, "reports").stdout.splitlines() if "汝城" in line]
    assert len(listed) == reports
    # The same file again is unchanged whatever the flags say.
    assert run(data, "ingest", *flag, str(txt if reports == 2 or not flag else doc)).stdout.startswith(
        "unchanged: #"
    )


def test_show_prints_metadata_and_outline(tmp_path: Path, shared_library: Library) -> None:
    settings = copy_data(shared_library, tmp_path / "data")
    lib = Library(settings)
    parsed = lib.parse("汝城县政府办_2023.txt", RUCHENG.encode())
    guessed = dataclasses.replace(
        parsed,
        year_inferred=True,
        places_inferred=True,
        plan_year=2024,
        url="https://example.gov.cn/a.html",
        signed_on="2024-01-12",
    )
    report = lib.add(guessed).report
    lib.store.close()
    result = run(settings.data_dir, "show", str(report.id))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"#{report.id}"
    fields = dict(line.split(":", 1) for line in lines[1:12])
    assert {k: v.strip() for k, v in fields.items()} == {
        "issuer": "汝城县人民政府办公室",
        "title": "汝城县人民政府办公室2023年法治政府建设工作报告",
        "year": "2023 (inferred)",
        "plan year": "2024",
        "places": "湖南省 › 郴州市 › 汝城县 (inferred)",
        "url": "https://example.gov.cn/a.html",
        "published": "-",
        "origin": "-",
        "source file": "汝城县政府办_2023.txt",
        "signed on": "2024-01-12",
        "passages": "5",
    }
    outline = lines[lines.index("outline:") + 1 : lines.index("figures: 3") - 1]
    assert lines[lines.index("figures: 3") + 1 :] == [
        "  行政复议案件 = 37 件 (2023)  …（一）强化行政复议。全年办理行政复议案件37件",
        "  纠错率 = 12 % (2023)  …强化行政复议。全年办理行政复议案件37件，纠错率12%",
        "  主动公开政府信息 = 5210 条 (2023)  …（二）推进政务公开。主动公开政府信息5210条",
    ]
    assert outline[0].startswith("  （正文开头）  [1]  2023年，汝城县人民政府办公室")
    assert outline[1] == "  一、主要举措和成效  [0]"
    assert outline[2].startswith("    （一）强化行政复议  [1]  全年办理行政复议案件37件")
    assert outline[-1] == "  三、下一步打算  [1]  继续深化行政复议体制改革，提升依法行政水平。"


def test_show_of_a_bundled_report_and_of_an_unknown_id(data_dir: Path, shared_library: Library) -> None:
    r = shared_library.reports()[0]
    result = run(data_dir, "show", str(r.id))
    assert result.exit_code == 0, result.output
    assert f"year:        {r.year}\n" in result.stdout and "url:         -" in result.stdout
    assert f"passages:    {r.passage_count}" in result.stdout
    counts = [int(line.split("[")[1].split("]")[0]) for line in result.stdout.splitlines() if "  [" in line]
    assert sum(counts) == r.passage_count
    missing = run(data_dir, "show", "9999")
    assert missing.exit_code == 1 and missing.stderr.strip() == "Error: no report with id 9999"


def test_reindex_prints_the_count(data_dir: Path, shared_library: Library) -> None:
    result = run(data_dir, "reindex")
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip().splitlines()[-1] == f"indexed {shared_library.store.passage_count()} passages"
    )


def test_reports_lists_the_five_bundled_reports(data_dir: Path, shared_library: Library) -> None:
    result = run(data_dir, "reports")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    for line, r in zip(lines, shared_library.reports(), strict=True):
        assert line.startswith(f"#{r.id}\t{r.year}\t")
        assert r.issuer in line and r.title in line and line.endswith(r.source)
        assert " › ".join(r.places) in line


# --- eval --------------------------------------------------------------------------------------


def test_eval_prints_the_scores(data_dir: Path, shared_library: Library) -> None:
    path = TESTS_DATA / "questions.jsonl"
    result = run(data_dir, "eval", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for label in ("Hit@1: ", "Hit@3: ", "MRR@5: ", "off-corpus refused: "):
        assert label in out
    assert out.strip() == evaluate(shared_library.ask, read_questions(path)).summary()


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ('{"q": "秀山县政务公开数据", "expect": ["18778"]}\n{bad json\n', 2),
        ('{"question": "no q key"}\n', 1),
        ('["a", "list"]\n', 1),
        ('{"q": "x", "expect": 5}\n', 1),
    ],
)
def test_eval_malformed_file_is_a_one_line_error(
    data_dir: Path, tmp_path: Path, content: str, line: int
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, "utf-8")
    result = run(data_dir, "eval", str(bad))
    assert result.exit_code != 0
    no_traceback(result)
    assert result.stdout == ""
    message = result.stderr.strip().splitlines()
    assert len(message) == 1
    assert f"bad.jsonl:{line}" in message[0]


@pytest.mark.parametrize(
    "content",
    [
        '[{"file": "a.txt", "issuer": "某县人民政府"}]',  # a list of entries
        '{"a.txt": "某县人民政府"}',  # a name → issuer map
        '{"a.txt": {"sentences": ["全年组织会前学法11次"]}}',  # sentences without sections
        '{"q": "秀山县政务公开数据", "expect": ["18778"]}\n{"q": "x", "expect": []}\n',  # a question set
        "",
    ],
)
def test_eval_meta_of_another_shape_is_a_one_line_error(data_dir: Path, tmp_path: Path, content: str) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(content, "utf-8")
    result = run(data_dir, "eval", str(TESTS_DATA / "questions.jsonl"), "--meta", str(meta))
    assert result.exit_code == 1
    no_traceback(result)
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and message[0].startswith(f"Error: {meta}: "), message


def test_eval_meta_checks_the_dev_corpus(dev_library: Library, tmp_path: Path) -> None:
    data = copy_data(dev_library, tmp_path / "dev").data_dir
    dev = TESTS_DATA / "corpus-dev"
    result = run(data, "eval", str(dev / "questions.jsonl"), "--meta", str(dev / "meta.json"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("metadata fields right: ")
    right, total = map(int, result.stdout.split()[3].split("/"))
    assert total > 50 and right > total * 0.9


# --- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"REPORTBOT_ENGINE": "elasticsearch"}, "REPORTBOT_ENGINE"),
        ({"REPORTBOT_BM25_VARIANT": "bm99"}, "REPORTBOT_BM25_VARIANT"),
        ({"REPORTBOT_BM25_K1": "-1"}, "REPORTBOT_BM25_K1"),
    ],
)
def test_bad_setting_is_a_one_line_error(data_dir: Path, env: dict[str, str], name: str) -> None:
    result = run(data_dir, "reports", env=env)
    assert result.exit_code != 0
    no_traceback(result)
    message = result.stderr.strip().splitlines()
    assert len(message) == 1
    assert name in message[0]


def test_rank_bm25_engine_setting_works_or_is_a_one_line_error(data_dir: Path) -> None:
    """REPORTBOT_ENGINE=rank-bm25 is an allowed value; with the default variant it must either
    work or be refused in one line, never end in a traceback."""
    result = run(data_dir, "ask", "秀山县政务公开数据", env={"REPORTBOT_ENGINE": "rank-bm25"})
    no_traceback(result)
    if result.exit_code == 0:
        assert "18778" in result.stdout
    else:
        assert len(result.stderr.strip().splitlines()) == 1


def test_ask_docx_writes_the_answer_to_a_word_file(data_dir: Path, tmp_path: Path) -> None:
    import docx

    out = tmp_path / "answer.docx"
    result = run(data_dir, "ask", "安化县政协提案立案率是多少", "--docx", str(out))
    no_traceback(result)
    assert result.exit_code == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    assert "立案率为82%" in text and "政协安化县委员会办公室" in text


def test_ask_docx_into_a_missing_folder_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    result = run(data_dir, "ask", "秀山县政务公开数据", "--docx", str(tmp_path / "no" / "such" / "a.docx"))
    no_traceback(result)
    assert result.exit_code != 0 and "cannot write" in result.output


def test_ingest_of_many_files_prints_one_summary_and_each_refusal(
    tmp_path: Path, shared_library: Library
) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(12):
        (folder / f"r{i:02}.txt").write_text(RUCHENG.replace("汝城县", f"汝城县{i}号"), "utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    result = run(data, "ingest", str(folder))
    no_traceback(result)
    assert result.exit_code == 1  # one file was refused
    assert result.stdout.splitlines() == ["ingested 13 files: 12 added, 1 refused (60 passages added)"]
    assert [line for line in result.stderr.splitlines() if line.startswith("refused:")] == [
        line for line in result.stderr.splitlines() if "broken.pdf" in line
    ]
    assert any("broken.pdf" in line for line in result.stderr.splitlines())
    verbose = run(data, "ingest", "-v", str(folder))
    assert sum(line.startswith("unchanged: #") for line in verbose.stdout.splitlines()) == 12


def test_delete_removes_the_report_and_its_original(tmp_path: Path, shared_library: Library) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    src = tmp_path / "汝城县政府办_2023.txt"
    src.write_text(RUCHENG, "utf-8")
    added = run(data, "ingest", str(src))
    report_id = int(added.stdout.split("#", 1)[1].split()[0])
    assert list((data / "originals").glob(f"{report_id}.*"))
    result = run(data, "delete", str(report_id))
    assert result.exit_code == 0 and result.stdout.startswith(f"deleted: #{report_id} ")
    assert not list((data / "originals").glob(f"{report_id}.*"))
    assert "汝城" not in run(data, "reports").stdout
    again = run(data, "delete", str(report_id))
    no_traceback(again)
    assert again.exit_code == 1 and f"no report with id {report_id}" in again.output


def _on_a_terminal(args: list[str], answer: str) -> str:
    """What `reportbot ARGS` prints on a real terminal (a pty) when `answer` is typed at its
    prompt; its exit status must be 0."""
    import pty
    import select
    import subprocess
    import sys

    main, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPORTBOT_")}
    code = "import sys; from bot.cli import main; sys.argv[0] = 'reportbot'; main()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdin=secondary, stdout=secondary, stderr=secondary, env=env
    )
    os.close(secondary)
    out = b""
    answered = False
    try:
        for _ in range(600):  # at most 60 s
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the process is gone and its terminal closed
                    break
                if not chunk:
                    break
                out += chunk
            if not answered and b"[y/N]" in out:
                os.write(main, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
    finally:
        process.kill()
        process.wait()
        os.close(main)
    assert process.returncode == 0, out
    return out.decode("utf-8", "replace")


def test_delete_on_a_terminal_asks_first(tmp_path: Path, shared_library: Library) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    first = shared_library.reports()[0]
    kept = _on_a_terminal(["--data-dir", str(data), "delete", str(first.id)], "n")
    assert f"Delete #{first.id} {first.issuer}《{first.title}》" in kept and "[y/N]" in kept
    assert "nothing deleted" in kept
    assert f"#{first.id}\t" in run(data, "reports").stdout
    gone = _on_a_terminal(["--data-dir", str(data), "delete", str(first.id)], "y")
    assert f"deleted: #{first.id} " in gone
    assert f"#{first.id}\t" not in run(data, "reports").stdout


def test_delete_yes_deletes_without_asking(tmp_path: Path, shared_library: Library) -> None:
    data = copy_data(shared_library, tmp_path / "data").data_dir
    first = shared_library.reports()[0]
    out = _on_a_terminal(["--data-dir", str(data), "delete", "--yes", str(first.id)], "n")
    assert "[y/N]" not in out and f"deleted: #{first.id} " in out
    assert f"#{first.id}\t" not in run(data, "reports").stdout


# --- log -----------------------------------------------------------------------------------------


@pytest.fixture
def logged(tmp_path: Path, shared_library: Library) -> Path:
    """A data dir of its own whose log holds a refused question, an answered one given 👎
    with a reason, one given 👍, and one older than the retention."""
    settings = copy_data(shared_library, tmp_path / "logged")
    lib = Library(settings)
    lib.store.db.execute("DELETE FROM queries")  # the shared library's own questions, if any
    liked = lib.log_query(
        "瓦屋镇发放法律读本", lib.ask("瓦屋镇发放法律读本"), user_id=987654321, chat_id=-100777
    )
    lib.add_feedback(liked, 1, 1)
    disliked = lib.log_query("秀山县一窗综办进驻率", lib.ask("秀山县一窗综办进驻率"), user_id=987654321)
    lib.add_feedback(disliked, 1, -1)
    lib.add_reason(disliked, 1, FeedbackReason.OUTDATED)
    lib.log_query("今天天气怎么样", lib.ask("今天天气怎么样"), user_id=987654321, chat_id=-100777)
    old = lib.log_query("去年的问题", lib.ask("去年的问题"), user_id=987654321)
    lib.store.db.execute("UPDATE queries SET at = '2020-01-01T00:00:00+00:00' WHERE id = ?", [old])
    lib.close()
    return settings.data_dir


def test_log_lists_refused_and_disliked_questions_with_what_they_got(logged: Path) -> None:
    result = run(logged, "log")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("  refused: no_match  今天天气怎么样")
    assert lines[1].endswith("  👎×1 (outdated)  秀山县一窗综办进驻率")
    assert lines[2].startswith("    → #") and "秀山土家族苗族自治县人民政府办公室《" in lines[2]
    assert lines[3].startswith("      “") and "进驻率" in lines[3]
    assert len(lines) == 4  # no 👍, nothing beyond the retention
    assert "瓦屋镇" not in result.stdout and "去年的问题" not in result.stdout
    assert "987654321" not in result.stdout and "100777" not in result.stdout


@pytest.mark.parametrize(
    ("args", "questions"),
    [
        (["--refused"], ["今天天气怎么样"]),
        (["--disliked"], ["秀山县一窗综办进驻率"]),
        (["--refused", "--disliked"], ["今天天气怎么样", "秀山县一窗综办进驻率"]),
        (["--limit", "1"], ["今天天气怎么样"]),
    ],
)
def test_log_filters_and_limits(logged: Path, args: list[str], questions: list[str]) -> None:
    result = run(logged, "log", *args)
    assert result.exit_code == 0, result.output
    listed = [line.rsplit("  ", 1)[1] for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert listed == questions


def test_log_of_an_empty_log_says_so(tmp_path: Path, shared_library: Library) -> None:
    settings = copy_data(shared_library, tmp_path / "empty")
    lib = Library(settings)
    lib.store.db.execute("DELETE FROM queries")
    lib.close()
    result = run(settings.data_dir, "log", "--limit", "5")
    assert result.exit_code == 0 and result.stdout.strip() == "no refused or 👎 questions in the last 90 days"
    assert run(settings.data_dir, "log", "--limit", "0").exit_code == 2


# --- the README's account of the command line ------------------------------------------------


def test_the_readme_lists_every_command_once() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| `reportbot ")]
    listed = [line.split("`reportbot ", 1)[1].split()[0].rstrip("`") for line in table]
    assert sorted(listed) == sorted(cli.commands), listed


def test_data_dir_help_names_the_real_default(data_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert ".reportbot/ in a source checkout" in text and "~/.local/share/reportbot" in text
    assert "bundled data/" not in text
