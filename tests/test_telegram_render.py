"""Rendering to Telegram HTML: escaping, length limits, callback data, checked with the fake
server's own Telegram-like HTML parser."""

from __future__ import annotations

import dataclasses

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import actions
from bot.core.conversation import answer_part
from bot.core.messages import ListPart
from bot.telegram import render
from retrieval import texts as library_texts
from retrieval.library import Library
from retrieval.models import Answer, Passage, Report, Snippet, Span
from tests import phone
from tests.conftest import plain
from tests.fake_telegram import parse_html, utf16_len
from tests.web_server import require_chromium

REPORT = Report(
    id=7,
    title="关于2024年<法治>政府建设情况的报告",
    issuer="某县&人民政府",
    year=2024,
    places=("某省", "某县"),
    source="x.txt",
    sha256="0" * 64,
    passage_count=1,
)


def answer_message(
    answer: Answer, query_id: int | None, offset: int = 0, has_more: bool = False, page: int = 3
) -> tuple[str, InlineKeyboardMarkup | None]:
    """An answer as the core makes it a part, in Telegram HTML with its keyboard."""
    part = answer_part(answer, query_id, offset, has_more, page)
    return render.answer_html(part), render.keyboard(part.actions)


def reports_list(
    reports: list[Report], total: int, offset: int = 0, words: str = "", key: str = "", deleting: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A page of a report list as the core makes it, in Telegram HTML with its keyboard."""
    prefix = "delp" if deleting else "rep"
    rows = actions.list_actions(prefix, reports, total, offset, 10, words, key)
    part = ListPart(tuple(reports), total, offset, 10, words, rows, deleting)
    return render.list_html(part), render.keyboard(part.actions)


def visible(html: str) -> str:
    """The text Telegram would show; raises if Telegram would refuse the markup."""
    return parse_html(html).text


@pytest.mark.parametrize(
    "text",
    ["a < b", "x & y", "<script>alert(1)</script>", "&amp; stays literal", "引号“”和<br>"],
)
def test_escape_round_trips_through_telegram_html(text: str) -> None:
    assert visible(render.escape(text)) == text


def test_snippet_marks_matches_in_bold() -> None:
    snippet = Snippet((Span("政府网站公开"), Span("政府信息", match=True), Span("<18778>条")))
    html = render.snippet_html(snippet)
    assert "<b>政府信息</b>" in html
    assert visible(html) == "政府网站公开政府信息<18778>条"


@pytest.mark.parametrize("length", [10, 4000, 9000, 20000])
def test_long_passages_split_into_valid_messages_at_sentence_ends(length: int) -> None:
    sentence = "这是一句关于法治政府建设的话<也有符号&>。"
    text = (sentence * (length // len(sentence) + 1))[:length]
    messages = render.passage_messages(Passage(1, 7, 0, ("一、总体情况",), text), REPORT)
    shown = [visible(m) for m in messages]
    assert all(utf16_len(s) <= render.MAX_MESSAGE for s in shown)
    assert "".join(s.split("\n📄")[0] for s in shown) == text
    if len(messages) > 1:
        assert all(s.split("\n📄")[0].endswith("。") for s in shown[:-1])
    assert "某县&人民政府《关于2024年<法治>政府建设情况的报告》 › 一、总体情况" in shown[-1]


def test_emoji_count_double_towards_the_limit() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    messages = render.passage_messages(Passage(1, 7, 0, (), text), REPORT)
    assert len(messages) == 2
    assert all(utf16_len(visible(m)) <= render.MAX_MESSAGE for m in messages)


def test_answer_message_is_valid_html_with_short_callback_data(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县政务公开数据")
    html, keyboard = answer_message(answer, query_id=10**12, offset=3, has_more=True)
    assert utf16_len(visible(html)) <= render.MAX_MESSAGE
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert all(isinstance(d, str) and len(d.encode()) <= 64 for d in data)
    assert f"more:{10**12}:0" in data and f"more:{10**12}:{3 + len(answer.hits)}" in data


def test_a_refusal_has_no_buttons(shared_library: Library) -> None:
    html, keyboard = answer_message(shared_library.ask("今天天气怎么样"), query_id=1)
    assert keyboard is None
    assert "没有找到" in visible(html)


def test_report_outline_is_packed_into_valid_messages() -> None:
    outline = [("一、总体情况", f"（{i}）" + "很长的小节标题" * 10 + f"<{i}>") for i in range(200)]
    messages = render.report_messages(REPORT, outline)
    assert len(messages) > 1
    assert all(utf16_len(visible(m)) <= render.MAX_MESSAGE for m in messages)
    assert "标题<199>" in visible(messages[-1])


def _reports(n: int, title: str = "2024年法治政府建设工作报告") -> list[Report]:
    return [
        Report(i, title, f"第{i}县人民政府办公室", 2024 - i % 3, ("某省", f"第{i}县"), "x", str(i), 10)
        for i in range(1, n + 1)
    ]


def _buttons(keyboard: object) -> list[tuple[str, str]]:
    rows = keyboard.inline_keyboard  # type: ignore[attr-defined]
    return [(b.text, b.callback_data) for row in rows for b in row]


@pytest.mark.parametrize(
    ("offset", "total", "header", "pages"),
    [
        (0, 2005, "已收录 2,005 份报告，第 1/201 页", ["rep:10"]),
        (20, 2005, "已收录 2,005 份报告，第 3/201 页", ["rep:10", "rep:30"]),
        (2000, 2005, "已收录 2,005 份报告，第 201/201 页", ["rep:1990"]),
        (0, 10, "已收录 10 份报告，第 1/1 页", []),
    ],
)
def test_reports_list_is_a_page_with_its_count_and_page_buttons(
    offset: int, total: int, header: str, pages: list[str]
) -> None:
    page = _reports(min(10, total - offset))
    html, keyboard = reports_list(page, total, offset)
    text = visible(html)
    assert text.startswith(header)
    assert all(f"#{r.id} {r.year} {r.issuer}《{r.title}》" in text for r in page)
    buttons = _buttons(keyboard)
    assert [d for _, d in buttons if d.startswith("src:")] == [f"src:{r.id}" for r in page]
    assert [d for _, d in buttons if d.startswith("rep:")] == pages
    assert [t for t, d in buttons if d.startswith("rep:")] == [
        {"rep:" + str(offset - 10): "‹ 上一页", "rep:" + str(offset + 10): "下一页 ›"}[d] for d in pages
    ]


def test_a_filtered_list_carries_its_words_or_their_key() -> None:
    html, keyboard = reports_list(_reports(10), 25, 10, "秀山")
    assert visible(html).startswith("与“秀山”相符的报告 25 份，第 2/3 页")
    assert [d for _, d in _buttons(keyboard) if d.startswith("rep:")] == ["rep:0:w:秀山", "rep:20:w:秀山"]
    long = "关于二〇二四年度法治政府建设情况的报告全文"
    assert actions.page_id("rep", 20, long) is None
    _, keyboard = reports_list(_reports(10), 25, 10, long, key="AbC-12")
    assert [d for _, d in _buttons(keyboard) if d.startswith("rep:")] == ["rep:0:k:AbC-12", "rep:20:k:AbC-12"]


def test_reports_list_fits_however_long_the_titles() -> None:
    html, keyboard = reports_list(_reports(10, "2024年法治政府建设工作报告" * 40), 10_000, 9990)
    assert utf16_len(visible(html)) <= render.MAX_MESSAGE
    assert all(len(d.encode()) <= actions.MAX_ID_BYTES for _, d in _buttons(keyboard))


@pytest.mark.parametrize(
    ("words", "says"), [("", "目前还没有收录任何报告"), ("火星", "没有找到与“火星”相符的报告")]
)
def test_an_empty_list_says_so(words: str, says: str) -> None:
    for deleting in (False, True):
        html, keyboard = reports_list([], 0, 0, words, deleting=deleting)
        assert says in visible(html) and keyboard is None


def test_delete_buttons_show_issuer_year_and_title_shortened() -> None:
    plain_title = Report(8, "某县人民政府法治政府建设工作报告", "某县人民政府", 2022, (), "x", "8")
    assert actions.delete_label(plain_title) == "#8 某县人民政府 2022年《法治政府建设工作报告》"
    long = Report(
        9,
        "关于2023年度法治政府建设工作情况的报告（全文）（修订稿）",
        "某某自治州某某土家族苗族自治县人民政府办公室",
        2023,
        (),
        "x",
        "9",
    )
    html, keyboard = reports_list([REPORT, long], 12, 10, deleting=True)
    assert visible(html) == "选择要删除的报告（共 12 份，第 2/2 页）："
    (a, a_data), (b, b_data), (prev, prev_data) = _buttons(keyboard)
    assert (
        a == "#7 某县&人民政府《2024年<法治>政府建设情况的报告》" and a_data == "del:7:ask"
    )  # the year once
    assert b.startswith("#9 某某自治州某某土家族苗…《2023年度法治政府建设") and b.endswith("…》")
    assert len(b) == actions.DELETE_BUTTON_CHARS and b_data == "del:9:ask"
    assert (prev, prev_data) == ("‹ 上一页", "delp:0")


def test_inline_results_are_valid(shared_library: Library) -> None:
    results = render.inline_results(shared_library.ask("瓦屋镇发放法律读本", k=10))
    assert results
    assert len({r.id for r in results}) == len(results)
    for r in results:
        content = r.input_message_content
        assert utf16_len(visible(content.message_text)) <= render.MAX_MESSAGE  # type: ignore[union-attr]
        assert len(r.title) <= 100 and len(r.description or "") <= 200


def _hit(rank: int, report: Report, text: str, section: tuple[str, ...] = ("一、总体情况",)) -> object:
    from retrieval.models import Hit

    return Hit(rank, 1.0, Passage(rank, report.id, rank, section, text), report, Snippet((Span(text),)))


def test_excerpts_of_one_report_share_one_citation_line_and_the_year_is_said_once() -> None:
    import dataclasses

    from retrieval.models import Answer, Query

    other = dataclasses.replace(REPORT, id=8, issuer="另一县人民政府", title="另一县2023年度报告", year=2023)
    hits = (_hit(1, REPORT, "第一段。"), _hit(2, other, "第二段。"), _hit(3, REPORT, "第三段。"))
    text, keyboard = answer_message(Answer(Query("问题", ("问题",)), hits), 5)
    shown = visible(text)
    assert shown.count("某县&人民政府《") == 1 and shown.count("另一县人民政府《") == 1
    assert "2024年）" not in shown  # the title says the year already
    # Grouped by report, in the order of each report's best excerpt.
    order = [shown.index(x) for x in ("第一段", "第三段", "某县&人民政府《", "第二段", "另一县人民政府《")]
    assert order == sorted(order)
    assert keyboard is not None
    rows = [[plain(b.callback_data) for b in row] for row in keyboard.inline_keyboard]
    assert rows[0] == ["full:1", "full:2", "full:3"]
    assert rows[1] == ["src:7", "src:8"]
    assert "exp:5" in rows[2]


def test_long_further_excerpts_fold_into_expandable_quotes() -> None:
    from retrieval.models import Answer, Query

    long = "这是一段很长的摘录。" * 12
    hits = (_hit(1, REPORT, long), _hit(2, REPORT, long), _hit(3, REPORT, "短。"))
    text, _ = answer_message(Answer(Query("问题", ("问题",)), hits), 5)
    entities = parse_html(text).entities
    kinds = [e["type"] for e in entities if "blockquote" in e["type"]]
    assert kinds == ["blockquote", "expandable_blockquote", "blockquote"]


def test_an_inline_heading_is_not_said_twice() -> None:
    from retrieval.models import Answer, Query

    hit = _hit(1, REPORT, "（二）推进政务公开。全年公开信息100条。", ("一、主要工作", "（二）推进政务公开"))
    text, _ = answer_message(Answer(Query("问题", ("问题",)), (hit,)), 5)
    shown = visible(text)
    assert shown.count("（二）推进政务公开") == 1 and "一、主要工作" in shown


def test_answers_of_several_excerpts_fit_one_phone_screen(dev_library: Library) -> None:
    """Rendered as a 390 px phone shows them, answers with two or three excerpts (to the
    public and the development questions) fit one screen, between Telegram's top bar and its
    input bar, where they can."""
    from tests.conftest import TESTS_DATA, read_jsonl

    files = (TESTS_DATA / "questions.jsonl", TESTS_DATA / "corpus-dev" / "questions.jsonl")
    questions = [q["q"] for f in files for q in read_jsonl(f) if q["expect"]]
    require_chromium()  # in CI a browser test fails, not skips, when Chromium is missing
    heights = []
    with phone.phone() as page:
        for q in questions:
            answer = dev_library.ask(q, k=3)
            if len(answer.hits) < 2 or answer.groups:
                continue
            text, keyboard = answer_message(answer, 1, 0, True, 3)
            heights.append(phone.show(page, [(text, keyboard)]).total)
    assert len(heights) >= 20
    fitting = sum(h <= phone.CHAT_AREA for h in heights)
    # 34 of 38 fit (2026-12); the rest quote three reports, or three long passages of one.
    assert fitting >= 0.85 * len(heights), sorted(heights)


def keyboard(*rows: list[str]) -> InlineKeyboardMarkup:
    """A keyboard whose buttons are labelled by their callback data."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in row] for row in rows])


def data_of(markup: InlineKeyboardMarkup) -> list[list[str]]:
    return [[str(b.callback_data) for b in row] for row in markup.inline_keyboard]


@pytest.mark.parametrize(
    ("rows", "new", "expected"),
    [
        # 👍 marked: the two buttons become one, in their place; paging stays after it.
        (
            [["full:1", "full:2"], ["src:3"], ["fb:9:1", "fb:9:-1", "exp:9", "more:9:3"]],
            ["fb:9:0"],
            [["full:1", "full:2"], ["src:3"], ["fb:9:0", "exp:9", "more:9:3"]],
        ),
        # The four reasons do not fit beside two more buttons: a row of their own, above.
        (
            [["full:1"], ["fb:9:1", "fb:9:-1", "exp:9", "more:9:3"]],
            ["fbr:9:irrelevant", "fbr:9:incomplete", "fbr:9:outdated", "fbr:9:other"],
            [
                ["full:1"],
                ["fbr:9:irrelevant", "fbr:9:incomplete", "fbr:9:outdated", "fbr:9:other"],
                ["exp:9", "more:9:3"],
            ],
        ),
        # ...and beside none they take the row.
        (
            [["full:1"], ["fb:9:1", "fb:9:-1"]],
            ["fbr:9:irrelevant", "fbr:9:incomplete", "fbr:9:outdated", "fbr:9:other"],
            [["full:1"], ["fbr:9:irrelevant", "fbr:9:incomplete", "fbr:9:outdated", "fbr:9:other"]],
        ),
        # A reason picked: the reasons' row becomes the mark.
        (
            [
                ["full:1"],
                ["fbr:9:irrelevant", "fbr:9:incomplete", "fbr:9:outdated", "fbr:9:other"],
                ["more:9:3"],
            ],
            ["fb:9:0"],
            [["full:1"], ["fb:9:0"], ["more:9:3"]],
        ),
        # Paging before the feedback buttons keeps its place too.
        ([["more:9:0", "fb:9:1", "fb:9:-1"]], ["fb:9:0"], [["more:9:0", "fb:9:0"]]),
        # No feedback buttons (a keyboard of another kind): unchanged.
        ([["src:1", "src:2"]], ["fb:9:0"], [["src:1", "src:2"]]),
    ],
)
def test_the_feedback_row_is_replaced_and_nothing_else(
    rows: list[list[str]], new: list[str], expected: list[list[str]]
) -> None:
    buttons = [InlineKeyboardButton(d, callback_data=d) for d in new]
    assert data_of(render.with_feedback_row(keyboard(*rows), buttons)) == expected


def test_a_comparison_is_one_compact_message(shared_library: Library) -> None:
    answer = shared_library.ask("潢川县和安化县哪个立案率高")
    html, keyboard = answer_message(answer, query_id=5)
    shown = visible(html)
    assert utf16_len(shown) <= render.MAX_MESSAGE
    assert shown.count("📄") == len(answer.groups) == 1  # one citation line per report
    hit = answer.groups[0].hits[0]
    assert "1. 安化县 " in shown  # the side's name by the excerpt's number, then its heading
    assert f"📄 {library_texts.report_name(hit.report)}" in shown
    assert "<b>82%</b>" in html  # figures bold
    assert shown.rstrip().endswith("潢川县的报告中没有提到立案率。")
    assert keyboard is not None
    data = [plain(b.callback_data) for row in keyboard.inline_keyboard for b in row]
    assert not any(d.startswith("more:") for d in data)  # every side is in this one message
    assert f"full:{hit.passage.id}" in data and f"src:{hit.report.id}" in data
    assert {"fb:5:1", "fb:5:-1", "exp:5"} <= set(data)


def test_a_comparison_across_reports_cites_each_report_once(shared_library: Library) -> None:
    answer = shared_library.ask("哪些地方推进了政务公开")
    html, _ = answer_message(answer, query_id=5)
    shown = visible(html)
    assert shown.count("📄") == len(answer.groups) >= 2
    for g in answer.groups:
        assert g.key in shown


def test_a_reply_about_the_collection_is_text_with_a_button_per_report(shared_library: Library) -> None:
    html, keyboard = answer_message(shared_library.ask("有哪些地方"), query_id=5)
    assert keyboard is None
    assert "瓦屋镇" in visible(html) and "5 份报告" in visible(html)
    answer = shared_library.ask("收录了哪些报告")
    html, keyboard = answer_message(answer, query_id=5)
    assert utf16_len(visible(html)) <= render.MAX_MESSAGE
    assert keyboard is not None
    data = [b.callback_data for row in keyboard.inline_keyboard for b in row]
    assert answer.reply is not None and data == [f"src:{r.id}" for r in answer.reply.reports]


def test_other_years_get_a_sentence_and_a_button_each(shared_library: Library) -> None:
    answer = dataclasses.replace(shared_library.ask("秀山县政务公开数据"), other_years=(2023, 2022))
    html, keyboard = answer_message(answer, query_id=10**12)
    assert "还有2023年、2022年的报告" in visible(html)
    assert keyboard is not None
    years = [b for row in keyboard.inline_keyboard for b in row if str(b.callback_data).startswith("yr:")]
    assert [b.text for b in years] == ["2023年", "2022年"]
    assert [b.callback_data for b in years] == [f"yr:{10**12}:2023", f"yr:{10**12}:2022"]
    assert all(len(str(b.callback_data).encode()) <= 64 for b in years)


# --- report buttons on a phone ----------------------------------------------------------------

XIUSHAN = dataclasses.replace(
    REPORT,
    id=21,
    issuer="秀山土家族苗族自治县人民政府办公室",
    title="关于2024年法治政府建设情况的报告",
    places=("重庆市", "秀山土家族苗族自治县"),
)
LONGSHENG = dataclasses.replace(
    REPORT,
    id=23,
    issuer="龙胜各族自治县人民政府",
    title="二〇二二年度法治政府建设情况报告",
    year=2022,
    places=("广西壮族自治区", "桂林市", "龙胜各族自治县"),
)


def _source_labels(reports: list[Report]) -> list[str]:
    from retrieval.models import Query

    hits = tuple(_hit(i, r, f"第{i}段。") for i, r in enumerate(reports, 1))
    _, markup = answer_message(Answer(Query("问题", ("问题",)), hits), 5)
    assert markup is not None
    return [b.text for row in markup.inline_keyboard for b in row if str(b.callback_data).startswith("src:")]


@pytest.mark.parametrize(
    "reports",
    [
        [XIUSHAN, dataclasses.replace(XIUSHAN, id=22, year=2023, title="关于2023年法治政府建设情况的报告")],
        [XIUSHAN, dataclasses.replace(XIUSHAN, id=22, year=2023), LONGSHENG],
        [
            LONGSHENG,
            dataclasses.replace(LONGSHENG, id=24, year=2021),
            dataclasses.replace(LONGSHENG, id=25, year=2020),
        ],
    ],
)
def test_report_buttons_say_their_year_and_fit_their_button_distinct(reports: list[Report]) -> None:
    labels = _source_labels(reports)
    assert len(labels) == len(reports) and len(set(labels)) == len(labels), labels
    for label, r in zip(labels, reports, strict=True):
        assert label.endswith(f" {r.year}") and "…" not in label, labels
    assert any("秀山县" in x or "龙胜县" in x for x in labels)  # the place as people shorten it
    room = render.button_room(len(labels))
    assert all(render.label_px(x) <= room for x in labels), labels


def test_report_buttons_of_the_same_place_and_year_stay_apart() -> None:
    """Two reports whose shortened buttons would read alike keep their labels whole, a button a row."""
    from bot.core.messages import Action, Kind

    long_a, long_b = "📄 秀山土家族苗族自治县司法局甲 2024", "📄 秀山土家族苗族自治县司法局乙 2024"
    row = (Action(long_a, "src:1", Kind.SOURCE, 1), Action(long_b, "src:2", Kind.SOURCE, 2))
    markup = render.keyboard((row,))
    assert markup is not None
    assert [[b.text for b in r] for r in markup.inline_keyboard] == [[long_a], [long_b]]


def test_report_buttons_are_not_cut_on_a_phone() -> None:
    require_chromium()  # in CI a browser test fails, not skips, when Chromium is missing
    from retrieval.models import Query

    reports = [XIUSHAN, dataclasses.replace(XIUSHAN, id=22, year=2023), LONGSHENG]
    hits = tuple(_hit(i, r, f"第{i}段。") for i, r in enumerate(reports, 1))
    text, markup = answer_message(Answer(Query("问题", ("问题",)), hits), 5)
    with phone.phone() as page:
        phone.show(page, [(text, markup)])
        assert phone.cut_buttons(page) == []
        # What the phone did to the core's own labels: cut to the same text, the year gone.
        raw = render.InlineKeyboardMarkup(
            [[render.InlineKeyboardButton(f"📄 {r.place} {r.year}", callback_data="x") for r in reports]]
        )
        phone.show(page, [(text, raw)])
        assert phone.cut_buttons(page)


@pytest.mark.parametrize(
    "question", ["哪个县行政复议案件最多", "哪些地方出庭应诉率超过90%", "哪个县办理行政复议案件最多"]
)
def test_a_ranking_fits_a_phones_chat_area(dev_library: Library, question: str) -> None:
    """A ranking of the development reports as a 390 px phone shows it, keyboard included:
    within the 674 px between Telegram's top bar and its input bar."""
    from bot.core.conversation import Core
    from bot.core.messages import Message

    require_chromium()  # in CI a browser test fails, not skips, when Chromium is missing
    reply = Core(dev_library).handle(Message(9, 9, question))
    assert reply is not None
    first = render.messages(reply)[0]
    assert isinstance(first, render.Text)
    part = reply.parts[0]
    assert part.answer.table is not None and len(part.excerpts) >= 3  # type: ignore[union-attr]
    with phone.phone() as page:
        shown = phone.show(page, [(first.html, first.keyboard)])
        assert phone.cut_buttons(page) == []
    assert shown.total <= phone.CHAT_AREA, shown.heights
    shown_text = visible(first.html)
    for e in part.excerpts:  # type: ignore[union-attr]
        assert library_texts.report_name(e.hit.report) in shown_text  # every excerpt still cited


@pytest.mark.parametrize(
    ("question", "quoted", "said"),
    [
        ("汝城县行政复议纠错多少件", 2023, "以上摘自最新的报告；汝城县还有2022年的报告。"),
        # The 2022 report alone holds 持证上岗: its excerpt answers, and is not the newest.
        ("汝城县执法人员持证上岗", 2022, "以上摘自2022年的报告；汝城县还有2023年的报告。"),
    ],
)
def test_the_newest_report_is_named_only_under_an_excerpt_of_it(
    made_library: Library, question: str, quoted: int, said: str
) -> None:
    answer = made_library.ask(question, k=1)
    assert answer.hits[0].report.year == quoted
    html, _ = answer_message(answer, 1)
    shown = visible(html)
    assert said in shown
    if quoted != 2023:
        assert "最新" not in shown
