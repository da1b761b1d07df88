"""Questions across reports about a figure, answered as a ranked table (retrieval/ranking.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.config import Settings
from retrieval.figures import figures_in
from retrieval.library import Library
from retrieval.models import ParsedPassage, ParsedReport, Report, StoredFigure
from retrieval.ranking import asked, clause, measure_asked, sure_figure, sure_figures
from retrieval.store import Store


def rows(lib: Library, question: str) -> list[tuple[str, int | None, float]]:
    answer = lib.ask(question)
    assert answer.table is not None, question
    return [(r.place, r.report.year, r.figure.value) for r in answer.table.rows]


def test_which_county_has_most_cases_ranks_counties_by_their_newest_report(ranked_library: Library) -> None:
    # 汝城县 by its 2023 report (37, not 2022's 52); 宜章县's 公安局 is no county government
    # (issue 18: a county's row is its government's figure); 北湖区 is a district and 郴州市 a
    # city: not counties.
    assert rows(ranked_library, "哪个县行政复议案件最多") == [
        ("蓝山县", 2023, 41),
        ("汝城县", 2023, 37),
        ("桃源县", 2023, 12),
    ]
    answer = ranked_library.ask("哪个县行政复议案件最多")
    assert answer.lead.startswith("行政复议案件最多：蓝山县（2023年）41件")
    assert [h.report.place for h in answer.hits] == ["蓝山县", "汝城县", "桃源县"]
    assert "41件" in "".join(s.text for s in answer.hits[0].snippet.spans if s.match)


def test_only_the_same_measure_counts(ranked_library: Library) -> None:
    # 败诉率, not 出庭应诉率; the district counts when the question says 县区.
    assert rows(ranked_library, "哪个县区行政诉讼败诉率最高") == [
        ("北湖区", 2023, 9.9),
        ("汝城县", 2023, 6.5),
        ("桃源县", 2023, 2.1),
    ]
    assert rows(ranked_library, "哪个县行政诉讼败诉率最低")[0] == ("桃源县", 2023, 2.1)


def test_a_year_asked_ranks_that_years_reports(ranked_library: Library) -> None:
    # One county's 2022 report states it: no ranking of one, its passage with a lead saying so.
    answer = ranked_library.ask("2022年各县行政复议案件数量")
    assert answer.table is None
    assert answer.lead.startswith("只有 1 个县的报告给出行政复议案件，无法排名：汝城县（2022年）52件")
    assert answer.figure is not None and (answer.figure.place, answer.figure.year, answer.figure.value) == (
        "汝城县",
        2022,
        52,
    )
    assert answer.hits[0].report.year == 2022 and "52件" in answer.hits[0].passage.text


def test_a_threshold_keeps_the_places_over_it_and_counts_the_rest(ranked_library: Library) -> None:
    answer = ranked_library.ask("哪些地方出庭应诉率超过90%")
    assert answer.table is not None
    assert [(r.place, r.figure.value) for r in answer.table.rows] == [
        ("汝城县", 100),
        ("郴州市", 97),
        ("蓝山县", 95),
    ]
    assert answer.lead.startswith("出庭应诉率超过90%的有 3 个：汝城县（2023年）100%")


def test_places_whose_reports_state_no_such_figure_are_counted(ranked_library: Library) -> None:
    answer = ranked_library.ask("哪个县行政诉讼败诉率最高")
    assert answer.table is not None and answer.table.without == 2  # 蓝山县, 宜章县


def test_no_place_of_the_level_asked_stating_it_says_so(ranked_library: Library) -> None:
    answer = ranked_library.ask("哪个市行政诉讼败诉率最高")
    assert answer.lead.startswith("没有市的报告给出行政诉讼败诉率；给出的有：北湖区（2023年）9.9%")


def test_a_question_across_reports_asking_no_figure_is_no_table(ranked_library: Library) -> None:
    assert ranked_library.ask("哪些地方推进府院联动").table is None


def test_a_single_places_figure_question_leads_with_the_figure(ranked_library: Library) -> None:
    answer = ranked_library.ask("汝城县行政复议案件多少件")
    assert answer.lead == "汝城县 2023年 行政复议案件 37件：“全年办理行政复议案件37件”"
    assert "37件" in answer.hits[0].passage.text and answer.hits[0].rank == 1


def test_a_comparison_of_years_leads_with_each_years_figure(ranked_library: Library) -> None:
    answer = ranked_library.ask("汝城县2022年和2023年行政复议案件对比")
    assert answer.lead == "2022年 52件 · 2023年 37件"
    assert ["52件" in answer.hits[0].passage.text, "37件" in answer.hits[1].passage.text] == [True, True]


def test_the_core_sends_a_ranking_with_its_chart_and_exports_its_table(ranked_library: Library) -> None:
    from bot.core.conversation import Core
    from bot.core.messages import AnswerPart, FilePart, Kind, Message

    core = Core(ranked_library)
    reply = core.handle(Message(7, 7, "哪个县行政复议案件最多"))
    assert reply is not None
    part, chart = reply.parts
    assert isinstance(part, AnswerPart) and part.lead.startswith("行政复议案件最多：蓝山县")
    assert isinstance(chart, FilePart) and chart.name.endswith(".png") and chart.data.startswith(b"\x89PNG")
    export = part.action(Kind.EXPORT)
    assert export is not None
    exported = core.handle(Message(7, 7, press=export.id))
    assert exported is not None
    assert [p.name.rsplit(".", 1)[1] for p in exported.parts if isinstance(p, FilePart)] == ["docx", "xlsx"]


@pytest.mark.parametrize("surface", ["telegram", "markdown", "terminal"])
def test_every_surface_starts_with_the_answer_not_the_question(ranked_library: Library, surface: str) -> None:
    from bot.core.conversation import Core
    from bot.core.messages import AnswerPart, Message
    from bot.markdown import render
    from bot.telegram.render import answer_html
    from bot.terminal import Conversation

    question = "汝城县行政复议案件多少件"
    if surface == "terminal":
        first = Conversation(ranked_library).say(question).splitlines()[0]
    else:
        reply = Core(ranked_library).handle(Message(8, 8, question))
        assert reply is not None and isinstance(reply.parts[0], AnswerPart)
        text = answer_html(reply.parts[0]) if surface == "telegram" else render(reply)[0].text
        first = text.splitlines()[0].replace("<b>", "").replace("</b>", "").replace("**", "")
    assert first == "汝城县 2023年 行政复议案件 37件：“全年办理行政复议案件37件”"
    assert "问：" not in first


def test_a_ranking_on_a_phone_leads_with_its_answer_and_fits_the_screen(ranked_library: Library) -> None:
    """The bot's ranking as a 390 px phone shows it: the answer first, the chart sent with it,
    and the message within one screen."""
    from bot.core.conversation import Core
    from bot.core.messages import Message
    from bot.telegram import render
    from tests import phone
    from tests.web_server import require_chromium

    require_chromium()
    reply = Core(ranked_library).handle(Message(9, 9, "哪个县行政复议案件最多"))
    assert reply is not None
    outs = render.messages(reply)
    text = outs[0]
    assert isinstance(text, render.Text)
    assert (
        text.html.split("\n")[0] == "<b>行政复议案件最多：蓝山县（2023年）41件 · 汝城县（2023年）37件 · "
        "桃源县（2023年）12件</b>"
    )
    assert any(isinstance(o, render.Photo) and o.name.endswith(".png") for o in outs[1:])
    with phone.phone() as page:
        shown = phone.show(page, [(text.html, text.keyboard)])
    assert shown.total <= phone.CHAT_AREA, shown.heights


@pytest.mark.parametrize("question", ["汝城县开展了各类活动多少场", "瓦屋镇化解了哪些矛盾纠纷多少起"])
def test_words_that_ask_across_nothing_are_no_ranking(ranked_library: Library, question: str) -> None:
    assert ranked_library.ask(question).table is None  # 各类, 哪些矛盾纠纷: no place words


# --- the README's figure examples, end to end through `reportbot ask` (issue 18) -----------


def ask_cli(lib: Library, question: str) -> dict:
    """`reportbot ask --json QUESTION` on the library's data dir, as a user runs it."""
    import json

    from click.testing import CliRunner

    from bot.cli import cli

    result = CliRunner().invoke(cli, ["--data-dir", str(lib.settings.data_dir), "ask", "--json", question])
    assert result.exit_code == 0, result.output
    out: dict = json.loads(result.output)
    return out


@pytest.mark.parametrize(
    ("question", "lead", "figures"),
    [
        # A comparison of years leads with each year's count, not a period (2年) nor 2021's 31.
        ("临城县2022年和2023年行政复议案件对比", "2022年 26件 · 2023年 34件", [(2022, 26), (2023, 34)]),
        (
            "临城县行政复议案件多少件",
            "临城县 2023年 行政复议申请 34件：“全年收到行政复议申请34件”",
            [(2023, 34)],
        ),
        (
            "瓦屋镇化解了多少矛盾纠纷",
            "瓦屋镇 2023年 排查化解矛盾纠纷 92起：“今年共排查化解矛盾纠纷92起”",
            [(2023, 92)],
        ),
        # A change asked of one place: each year's own figure (2022's is its 100%, not 2021's 92%).
        (
            "临城县出庭应诉率对比",
            "临城县 行政机关负责人出庭应诉率：2022年 100% · 2023年 100%",
            [(2022, 100), (2023, 100)],
        ),
    ],
)
def test_readme_figure_examples_lead_right(
    dev_library: Library, question: str, lead: str, figures: list
) -> None:
    out = ask_cli(dev_library, question)
    assert out["lead"] == lead
    assert [(f["year"], f["value"]) for f in out["figures"]] == figures
    # Each figure's passage is quoted, the first of them first.
    quoted = [h["snippet"] for h in out["hits"][: len(figures)]]
    assert all(any(f"{int(v)}" in q for q in quoted) for _, v in figures)


def test_readme_rankings_through_ask(dev_library: Library) -> None:
    over = ask_cli(dev_library, "哪些地方出庭应诉率超过90%")
    rows = {(r["place"], r["year"]): r["value"] for r in over["table"]["rows"]}
    assert rows[("临城县", 2023)] == 100  # the 2023 report's 保持100%, not 2022's 2021 column
    assert all(v > 90 for v in rows.values())
    reached = ask_cli(dev_library, "哪些地方出庭应诉率达到100%")
    assert all(r["value"] >= 100 for r in reached["table"]["rows"])
    # A county's row is its government's: not 永丰县公安局, not 柳林乡; one county states it.
    most = ask_cli(dev_library, "哪个县聘请法律顾问最多")
    assert most["lead"].startswith("只有 1 个县的报告给出聘请法律顾问，无法排名：屏山县（2023年）3名")
    opinions = ask_cli(dev_library, "各县法律顾问出具了多少份法律意见书")
    assert "屏山县（2023年）58份" in opinions["lead"] and "柳林乡" not in opinions["lead"]
    assert "意见书" in opinions["hits"][0]["snippet"]


def _report(year: int) -> Report:
    return Report(1, "法治政府建设情况", "某某区人民政府", year, ("某某区",), "r.txt", "0" * 64)


@pytest.mark.parametrize(
    ("text", "year", "sure"),
    [
        # Dated 2019 but stating 2020's value: the report's own year is in doubt, so no lead.
        ("全区出庭应诉率从2019年全年的15%提高到2020年全年的29.65%；今年平均出庭应诉率为73.55%。", 2019, None),
        # Dated 2020: 29.65% is its year's, the 2019 value only the base of the change.
        ("全区出庭应诉率从2019年全年的15%提高到2020年全年的29.65%。", 2020, 29.65),
    ],
)
def test_a_value_of_a_later_year_than_the_reports_leaves_it_unsure(
    text: str, year: int, sure: float | None
) -> None:
    stored = [StoredFigure(f, 1, 1) for f in figures_in(text)]
    found, _ = sure_figure("出庭应诉率", "", stored, _report(year))
    assert (found.figure.value if found else None) == sure


@pytest.mark.parametrize(
    ("text", "sure"),
    [
        # The whole and a part of it, of one measure: the whole is the report's figure.
        ("1-10月平均出庭应诉率为73.55%，其中10月为89%，创历史新高。", 73.55),
        ("全年办理行政复议案件52件，其中纠错12件。", 52),
    ],
)
def test_a_part_of_the_measure_asked_gives_way_to_its_whole(text: str, sure: float) -> None:
    stored = [StoredFigure(f, 1, 1) for f in figures_in(text)]
    measure = "出庭应诉率" if "出庭" in text else "行政复议案件"
    found, unsure = sure_figure(measure, "", stored, _report(2021))
    assert found is not None and not unsure
    assert found.figure.value == sure


# One report a line: (its place, year, text). Each is a case sure_figure settles its own way.
SETTLED = [
    ("甲县", 2023, "办理行政复议案件41件。全县行政复议案件43件。"),  # disagreeing: the whole place's
    ("乙县", 2023, "出庭应诉率为95%。出庭应诉率达到97%。"),  # disagreeing, nothing settles it: none
    ("丙县", 2023, "全县行政复议案件12件。2024年行政复议案件15件。"),  # a later year's: unsure, none
    ("丁县", 2024, "全县行政复议案件12件。2024年行政复议案件15件。"),  # both its year's: the whole
    ("戊县", 2023, "全年行政复议申请34件。行政复议审结案件29件。"),  # an outcome gives way unless asked
    ("己县", 2023, "1-10月平均出庭应诉率为73.55%，其中10月为89%。"),  # a part gives way to its whole
    ("庚县", 2023, "全年办理行政复议案件52件，其中纠错12件。"),
    ("辛县", 2023, "学习行政复议案件6次。"),  # cases are counted in 件, not 次
    ("壬县", 2023, "其他行政处罚案件12件。"),  # what is left of a measure, never all of it
    ("癸县", 2023, "全年查处行政处罚案件321件。其他行政处罚案件12件。"),
]


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("settled") / "reportbot.db")
    for i, (place, year, text) in enumerate(SETTLED):
        report = ParsedReport(
            title=f"{place}{year}年法治政府建设情况",
            issuer=f"{place}人民政府",
            year=year,
            places=("某某省", place),
            source=f"{i}.txt",
            sha256=f"{i:064d}",
            passages=(ParsedPassage(("一、主要成效",), text),),
            outline=(("一、主要成效",),),
        )
        store.add_report(report, [[place]])
    yield store
    store.close()


@pytest.mark.parametrize(
    ("measure", "values"),
    [
        ("行政复议案件", {"甲县": 43, "丁县": 12, "戊县": 34, "庚县": 52}),
        ("出庭应诉率", {"己县": 73.55}),
        ("行政处罚案件", {"癸县": 321}),
        ("其他行政处罚案件", {"壬县": 12, "癸县": 12}),
    ],
)
def test_all_reports_at_once_settle_each_figure_as_one_report_alone(
    settled: Store, measure: str, values: dict[str, float]
) -> None:
    reports = {r.id: r for r in settled.reports()}
    stated = settled.figures_answering(measure)
    found = sure_figures(measure, stated, reports)
    got = dict(zip(found, stated.figures(list(found.values())), strict=True))
    assert {reports[i].place: f.figure.value for i, f in got.items()} == values
    one_by_one = {}
    for rid, report in reports.items():
        sure, _ = sure_figure(measure, "", settled.figures_of([rid]), report)
        if sure is not None:
            one_by_one[rid] = sure
    assert got == one_by_one


def test_all_reports_at_once_agree_with_each_alone_for_every_measure_of_real_reports(
    dev_library: Library,
) -> None:
    # Every measure the bundled and dev reports state, asked as it is stated: the figures
    # sure_figure takes report by report, whatever their parts, years, kinds and units.
    store = dev_library.store
    reports = {r.id: r for r in store.reports()}
    by_report = {rid: store.figures_of([rid]) for rid in reports}
    measures = [m for (m,) in store.db.execute("SELECT measure FROM measures ORDER BY id")]
    assert len(measures) > 100
    differ = []
    for measure in measures:
        stated = store.figures_answering(measure)
        found = sure_figures(measure, stated, reports)
        got = dict(zip(found, stated.figures(list(found.values())), strict=True))
        alone = {}
        for rid, report in reports.items():
            sure, _ = sure_figure(measure, "", by_report[rid], report)
            if sure is not None:
                alone[rid] = sure
        if got != alone:
            differ.append(measure)
    assert differ == []


@pytest.mark.parametrize(
    ("text", "measure", "sure"),
    [
        # A measure the question holds whole answers before one sharing only its ending.
        (
            "开庭审理行政案件83件，负责人出庭应诉率为100%；正职负责人出庭应诉率为11.43%。",
            "行政机关负责人出庭应诉率",
            100,
        ),
        # What a bracket adds to a measure is not asked for.
        ("举办法治讲座（培训、报告会）3530余场，参加人员17.8万余人次。", "举办法治讲座", 3530),
        # 其他… is what is left after the kinds counted, never the whole.
        ("警告120宗，罚款940宗，其他行政处罚12宗。", "行政处罚", None),
        # The question's verb, where the figure's measure left it out.
        ("规范管理挂牌机构，清理牌子129个。", "清理牌子", 129),
        # What was done and to whom, in the question's order.
        ("对全区70个单位开展年度考核，督促各单位补足短板。", "年度考核单位", 70),
        # A law's title names no count of its cases; cases are counted in 件.
        ("先后6次学习《宪法》《行政复议法》等重要法律法规。", "行政复议案件", None),
        # One measure written two ways.
        ("行政诉讼调撤率达到83.33%，行政负责人出庭率100%。", "出庭应诉率", 100),
        ("县政府常务会会前学法2次。", "常务会议学法", 2),
        # A bare 占比 is the share of what was just counted.
        ("其中，不见面审批事项2369项，占比95.87%。", "不见面审批事项占比", 95.87),
    ],
)
def test_which_figure_answers_a_measure(text: str, measure: str, sure: float | None) -> None:
    stored = [StoredFigure(f, 1, 1) for f in figures_in(text)]
    found, _ = sure_figure(measure, "", stored, _report(2024))
    assert (found.figure.value if found else None) == sure


@pytest.mark.parametrize(
    ("question", "names", "measure"),
    [
        ("五原县追回欠薪多少钱", ("五原县",), "追回欠薪"),
        ("司法部2023年新收行政复议案件多少件", ("司法部",), "新收行政复议案件"),
        ("红河州公平竞争审查多少件", ("红河哈尼族彝族自治州", "红河州"), "公平竞争审查"),
        ("西乌旗法治培训办了几期", ("西乌珠穆沁旗", "西乌旗"), "法治培训"),
        ("鄂尔多斯一件事联办多少项", ("鄂尔多斯市", "鄂尔多斯"), "一件事联办"),
        ("金平县法律援助案件受理了多少", ("金平苗族瑶族傣族自治县", "金平县"), "法律援助案件"),
    ],
)
def test_the_measure_asked_leaves_out_who_and_how_much(
    question: str, names: tuple[str, ...], measure: str
) -> None:
    assert measure_asked(question, names) == measure


def _library(tmp_path: Path, files: dict[str, str]) -> Library:
    """A library holding only `files` (name → text), written for the test."""
    reports = tmp_path / "reports"
    reports.mkdir()
    for name, text in files.items():
        (reports / name).write_text(text, "utf-8")
    empty = tmp_path / "none"
    empty.mkdir()
    lib = Library(Settings(data_dir=tmp_path / "data", bundled_reports=empty))
    lib.ingest([reports])
    return lib


def test_a_lead_for_a_place_named_is_its_own_reports(tmp_path: Path) -> None:
    """A region's question is led by the region's report, never a city's within it."""
    lib = _library(
        tmp_path,
        {
            "鄂尔多斯市_2023.txt": "鄂尔多斯市2023年法治政府建设年度报告\n"
            "2023年，市政府召开6次政府常务会议研究法治政府建设有关议题。\n",
            "内蒙古自治区_2022.txt": "内蒙古自治区2022年法治政府建设情况报告\n"
            "2022年，自治区人民政府常务会议专题研究法治政府建设有关议题12次。\n",
        },
    )
    try:
        answer = lib.ask("内蒙古自治区政府常务会议研究法治政府议题几次")
        assert "鄂尔多斯" not in answer.lead and "6次" not in answer.lead
        assert answer.lead.startswith("内蒙古自治区 2022年") and "12次" in answer.lead
    finally:
        lib.close()


@pytest.mark.parametrize(
    ("question", "level"),
    [("各地行政诉讼败诉率", ""), ("哪个市法治讲座最多", "市"), ("各地区出庭应诉率", "")],
)
def test_words_asking_across_places(question: str, level: str) -> None:
    found = asked(question)
    assert found is not None and found.level == level


def test_a_ranking_counts_like_measure_words_together(tmp_path: Path) -> None:
    # 场 and 期 both count events: one ranking, not only the unit most rows give
    lib = _library(
        tmp_path,
        {
            "武汉市_2022.txt": "武汉市2022年法治政府建设情况报告\n2022年，全市举办法治讲座3530余场。\n",
            "天水市_2022.txt": "天水市2022年法治政府建设情况报告\n2022年，举办法治讲座1期。\n",
            "六盘水市_2024.txt": "六盘水市2024年法治政府建设情况报告\n2024年，举办法治讲座2期。\n",
        },
    )
    try:
        assert rows(lib, "哪个市法治讲座最多")[0][:2] == ("武汉市", 2022)
    finally:
        lib.close()


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("成立疫情防控工作专班，召开7次疫情防控专题会议，成立督查组15个。", "召开7次疫情防控专题会议"),
        ("全年组织党工委专题学习4次，开展普法活动。", "全年组织党工委专题学习4次"),
    ],
)
def test_a_leads_quote_holds_what_was_counted(text: str, quoted: str) -> None:
    assert clause(text, figures_in(text)[0]) == quoted


def test_who_did_it_is_no_part_of_the_measure() -> None:
    (f,) = figures_in("市政府召开6次政府常务会议研究法治政府建设有关议题，加快创建示范市。")
    assert f.measure.startswith("政府常务会议") and not f.measure.startswith("政府政府")


@pytest.mark.parametrize(
    ("paragraph", "lead"),
    [
        # The heading says what the figure counts; the parts after 其中 are not it.
        (
            "2.强化合法性审查。全年对重大行政决策、行政执法决定及镇村合同开展全流程审查1090件，覆盖率达100%。"
            "其中，行政规范性文件审查2件，镇村合同审查1077件。",
            "1090件",
        ),
        # Two counts the heading could mean: no lead, the passage says it.
        ("2.强化合法性审查。全年开展全流程审查1090件，集中清理文件26件。", None),
        # The words asked belong to another figure (a part in brackets), not to the next count.
        (
            "3.推进述法。完成全镇47名干部述法(其中2名干部进行合法性审查)和2024年度全镇41件述法工作。",
            None,
        ),
    ],
)
def test_a_figure_its_heading_names(tmp_path: Path, paragraph: str, lead: str | None) -> None:
    lib = _library(
        tmp_path, {"塘栖镇_2024.txt": f"塘栖镇2024年法治政府建设年度报告\n一、主要成效\n{paragraph}\n"}
    )
    try:
        answer = lib.ask("塘栖镇合法性审查了多少件")
        if lead is None:
            assert not answer.lead
        else:
            assert answer.lead.startswith("塘栖镇 2024年") and lead in answer.lead
    finally:
        lib.close()


def test_a_ranking_keeps_to_the_measure_word_asked(tmp_path: Path) -> None:
    found = asked("哪个县法治培训人次最多")
    assert found is not None and (found.measure, found.units) == ("法治培训", "人次")
    lib = _library(
        tmp_path,
        {
            "新县_2024.txt": "新县2024年法治政府建设情况报告\n2024年，各单位开展法治培训2300余人次。\n",
            "西乌珠穆沁旗_2024.txt": "西乌珠穆沁旗2024年法治政府建设情况报告\n累计举办法治培训10期。\n",
            "舞阳县_2024.txt": "舞阳县2024年法治政府建设情况报告\n2024年，开展法治培训1200人次。\n",
        },
    )
    try:
        assert [(p, v) for p, _, v in rows(lib, "哪个县法治培训人次最多")] == [
            ("新县", 2300),
            ("舞阳县", 1200),
        ]
    finally:
        lib.close()
