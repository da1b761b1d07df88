"""Questions about the collection and small talk (retrieval.collection), answered from the
stored reports' metadata through real libraries, and real questions left to the search."""

from __future__ import annotations

import pytest

from retrieval import texts
from retrieval.collection import newest_first, small_talk, without_greeting
from retrieval.config import Settings
from retrieval.library import Library
from retrieval.models import Refusal, ReplyKind


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("你好", ReplyKind.GREETING),
        ("您好！", ReplyKind.GREETING),
        ("在吗？", ReplyKind.GREETING),
        ("hello", ReplyKind.GREETING),
        ("大家好呀 😀", ReplyKind.GREETING),
        ("你能做什么？", ReplyKind.GREETING),
        ("怎么用", ReplyKind.GREETING),
        ("谢谢", ReplyKind.THANKS),
        ("谢谢您！", ReplyKind.THANKS),
        ("好的，谢谢", ReplyKind.THANKS),
        ("Thanks!", ReplyKind.THANKS),
        ("你好秀山县政务公开数据", None),
        ("谢谢你们推进政务公开", None),
        ("在吗 秀山县政务公开", None),
        ("秀山县政务公开数据", None),
    ],
)
def test_small_talk_is_the_whole_message_only(message: str, kind: ReplyKind | None) -> None:
    assert small_talk(message) is kind


def test_a_greeting_before_a_question_is_dropped() -> None:
    assert without_greeting("你好，秀山县政务公开数据") == "秀山县政务公开数据"
    assert without_greeting("你好") == "你好"


@pytest.mark.parametrize(("message", "kind"), [("你好", ReplyKind.GREETING), ("谢谢！", ReplyKind.THANKS)])
def test_small_talk_gets_a_friendly_reply_with_an_answerable_example(
    shared_library: Library, message: str, kind: ReplyKind
) -> None:
    answer = shared_library.ask(message)
    assert answer.answered and not answer.hits
    assert answer.reply is not None and answer.reply.kind is kind
    text = texts.reply(answer)
    assert answer.reply.example in text
    assert shared_library.ask(answer.reply.example).hits  # the example really is answered


def test_a_question_after_a_greeting_is_answered(shared_library: Library) -> None:
    answer = shared_library.ask("你好，秀山县政务公开数据")
    assert answer.reply is None
    assert "政府网站公开政府信息18778条" in answer.hits[0].passage.text


@pytest.mark.parametrize(
    "question",
    [
        "收录了哪些报告",
        "都有哪些报告？",
        "一共有几份报告",
        "报告列表",
        "有哪些年份的报告",
        "收录了哪几年",
        "最新的报告是哪份",
    ],
)
def test_which_reports_are_indexed(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question)
    assert answer.reply is not None and answer.reply.kind is ReplyKind.REPORTS
    stored = shared_library.reports()
    assert list(answer.reply.reports) == newest_first(stored)
    years = [r.year or 0 for r in answer.reply.reports]
    assert years == sorted(years, reverse=True)
    text = texts.reply(answer)
    assert f"{len(stored)} 份报告" in text
    assert all(texts.short_title(r) in text for r in stored)


@pytest.mark.parametrize("question", ["有哪些地方", "收录了哪些地区的报告？", "覆盖哪些地方"])
def test_which_places_are_indexed(shared_library: Library, question: str) -> None:
    answer = shared_library.ask(question)
    assert answer.reply is not None and answer.reply.kind is ReplyKind.PLACES
    places = answer.reply.places
    assert sorted(places) == sorted({r.place for r in shared_library.reports()})
    newest = [max(r.year or 0 for r in shared_library.reports() if r.place == p) for p in places]
    assert newest == sorted(newest, reverse=True)
    assert all(p in texts.reply(answer) for p in places)


@pytest.mark.parametrize(
    ("question", "place"),
    [
        ("秀山县有报告吗", "秀山土家族苗族自治县"),
        ("有没有潢川的报告", "潢川县"),
        ("蓝山县有几份报告？", "蓝山县"),
        ("湖南省蓝山县的报告有哪些", "蓝山县"),
    ],
)
def test_whether_a_place_has_a_report(shared_library: Library, question: str, place: str) -> None:
    answer = shared_library.ask(question)
    assert answer.reply is not None and answer.reply.kind is ReplyKind.PLACE
    assert answer.reply.places == (place,)
    assert answer.reply.reports and all(place in r.places for r in answer.reply.reports)
    assert texts.short_title(answer.reply.reports[0]) in texts.reply(answer)


def test_a_place_with_two_years_lists_both_newest_first(years_library: Library) -> None:
    answer = years_library.ask("汝城县有报告吗")
    assert answer.reply is not None
    assert [r.year for r in answer.reply.reports] == [2023, 2022]
    assert "汝城县有 2 份报告" in texts.reply(answer)
    one = years_library.ask("汝城县2022年有报告吗")
    assert one.reply is not None and [r.year for r in one.reply.reports] == [2022]
    none = years_library.ask("汝城县2020年有报告吗")
    # a year it has none of: refused as any question of that place and year is, its years listed
    assert none.refusal is Refusal.MISSING_YEAR and none.other_years == (2022, 2023)
    assert texts.refusal(none) == "暂未收录汝城县2020年的报告；有：2022年、2023年"


def test_several_places_asked_about_at_once(shared_library: Library) -> None:
    answer = shared_library.ask("秀山县和潢川县有报告吗")
    assert answer.reply is not None and answer.reply.kind is ReplyKind.PLACE
    assert set(answer.reply.places) == {"秀山土家族苗族自治县", "潢川县"}
    text = texts.reply(answer)
    assert "秀山土家族苗族自治县有 1 份报告" in text and "潢川县有 1 份报告" in text


def test_a_place_without_a_report_is_said_so_with_the_places_that_exist(shared_library: Library) -> None:
    answer = shared_library.ask("有没有北京的报告")
    assert answer.reply is not None and answer.reply.unknown_places == ("北京市",)
    assert not answer.reply.reports
    text = texts.reply(answer)
    assert "暂未收录北京市的报告" in text and "潢川县" in text


@pytest.mark.parametrize(("question", "count"), [("2024年的报告有几份", 3), ("有没有2022年的报告", 1)])
def test_how_many_reports_a_year_has(shared_library: Library, question: str, count: int) -> None:
    answer = shared_library.ask(question)
    assert answer.reply is not None and answer.reply.kind is ReplyKind.YEAR
    year = answer.reply.year
    assert len(answer.reply.reports) == count == sum(r.year == year for r in shared_library.reports())
    assert f"{count} 份" in texts.reply(answer)


def test_a_year_without_reports_names_the_years_there_are(shared_library: Library) -> None:
    answer = shared_library.ask("2020年有报告吗")
    assert answer.reply is not None and not answer.reply.reports
    assert texts.reply(answer) == "暂未收录2020年的报告。已收录的年份有：2024年、2023年、2022年。"


@pytest.mark.parametrize(
    "question",
    [
        "哪些地方开展了行政执法案卷评查",
        "湖南省的报告有哪些问题",
        "秀山县2024年法治政府建设报告",
        "秀山县政务公开数据",
        "安化县政协提案立案率是多少",
        "有没有开展行政复议",
        "蓝山县报告了哪些重大行政决策",
        "今天天气怎么样",
    ],
)
def test_real_questions_are_not_taken_for_questions_about_the_collection(
    shared_library: Library, question: str
) -> None:
    assert shared_library.ask(question).reply is None


def test_an_empty_collection_says_so(empty_settings: Settings) -> None:
    library = Library(empty_settings)
    try:
        for question in ("收录了哪些报告", "有哪些地方"):
            answer = library.ask(question)
            assert answer.reply is not None and not answer.reply.reports
            assert texts.reply(answer) == texts.NO_REPORTS_YET_SHORT
        greeting = library.ask("你好")
        assert greeting.reply is not None and greeting.reply.example == texts.EXAMPLES[0]
    finally:
        library.store.close()
