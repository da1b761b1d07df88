"""Questions about the collection itself (收录了哪些报告, 有哪些地方, 临城县有报告吗,
2023年的报告有几份) and small talk (你好, 谢谢, 在吗): answered from the stored reports'
metadata, not by searching their text.

A question is about the collection only when, once the places and years it names are taken
out, nothing is left but words that ask about reports, places or years (FRAME): `湖南省的报告有
哪些问题` keeps 问题 and `哪些地方开展了案卷评查` keeps 开展…评查, so both are searched as usual.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from retrieval import texts
from retrieval.models import Answer, Query, Reply, ReplyKind, Report
from retrieval.places import Gazetteer
from retrieval.understand import Understander, normalise

_PUNCT = re.compile(r"[\s,，.。!！?？~～、;；:：…·'\"“”‘’()（）]+")
_EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
_TAIL = r"(?:啊|呀|哈|啦|呢|吗|哦|喔|了)*"
_GREETING = re.compile(
    rf"^(?:(?:你|您|大家)好|hi|hello|hey|嗨|哈喽|哈啰|早上好|上午好|中午好|下午好|晚上好|早安|早|"
    rf"在吗|在么|在不在|在嘛|有人吗|有人在吗|你在吗|您在吗|"
    rf"你是谁|你能做什么|你可以做什么|你会什么|你会做什么|能做什么|怎么用|怎么使用|如何使用|帮助|help)"
    rf"(?:机器人|小助手|助手)?{_TAIL}$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    rf"^(?:好的|好|ok|嗯)?(?:谢谢|多谢|感谢|谢了|谢啦|辛苦了|辛苦|thanks|thankyou|thx)"
    rf"(?:你|您|你们)?(?:了)?(?:啦|啊|呀)?(?:非常感谢|谢谢)?{_TAIL}$",
    re.IGNORECASE,
)
_LEADING_GREETING = re.compile(r"^(?:(?:你|您)好|hi|hello|嗨|哈喽)[\s,，.。!！~～、]+", re.IGNORECASE)

# The words such a question is made of besides places and years.
_FRAME_WORDS = (
    "法治政府建设年度报告 法治政府建设报告 法治政府建设 法治政府 年度报告 工作报告 报告 年度 工作 "
    "收录 录入 入库 储存 保存 存了 包含 包括 覆盖 涉及 关于 有关 的有 "
    "有没有 有无 没有 没 有 是否 哪些 哪几个 哪几份 哪几年 哪几 哪个 哪一年 哪年 哪 什么 多少 几 "
    "吗 么 嘛 呢 啊 呀 的 了 都 一共 总共 共 目前 现在 当前 已经 已 你 你们 您 这里 这儿 库里 库中 "
    "系统 里面 里 中 请问 请 问 查询 查看 查 看看 看 列出 列表 清单 一览 目录 一下 能 可以 可 "
    "地方 地区 城市 区县 县区 县市 年份 份 篇 个 家 是 些 全部 所有 各地 各 知道 告诉我 告诉 我 想 要 "
    "给 资料 文件 数据库 库 最新 最近 最早 省份 省 市 县 区 乡镇 街道 和 与 及 以及 跟 或 或者 还有 分别 各自"
)
_FRAME = re.compile("|".join(map(re.escape, sorted(_FRAME_WORDS.split(" "), key=len, reverse=True))))
# A question about the collection asks; a bare `秀山县2024年法治政府建设报告` is searched.
_ASKS = re.compile(r"吗|么|嘛|没有|有无|哪|什么|多少|几|是否|列出|列表|清单|一览|目录|收录")
_ABOUT_PLACES = re.compile(r"地方|地区|城市|区县|县区|县市|省份|哪些(?:省|市|县|区|乡镇|街道)")
_ABOUT_REPORTS = re.compile(r"报告|收录|资料|文件|库")
_ABOUT_YEARS = re.compile(r"年份|哪年|哪几年|哪一年")
_ABOUT = re.compile(r"报告|收录|资料|文件|库|地方|地区|城市|区县|县区|县市|年份|哪年|哪几年|哪一年")
_MAX_PLACE_CHARS = 30  # what places named may leave once the asking words are gone
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年度|年)?(?!\d)")


def small_talk(text: str) -> ReplyKind | None:
    """GREETING or THANKS when the whole message is one (你好！, 谢谢您, 在吗？), else None."""
    bare = _PUNCT.sub("", _EMOJI.sub("", normalise(text)))
    if _GREETING.match(bare):
        return ReplyKind.GREETING
    if _THANKS.match(bare):
        return ReplyKind.THANKS
    return None


def without_greeting(text: str) -> str:
    """`你好，秀山县政务公开数据` → `秀山县政务公开数据`: a greeting before a question is not
    part of it."""
    rest = _LEADING_GREETING.sub("", text.strip(), count=1)
    return rest if rest.strip() else text


def newest_first(reports: Iterable[Report]) -> list[Report]:
    """Newest year first (reports without a year last), then the most recently added."""
    return sorted(reports, key=lambda r: (-(r.year or 0), -r.id))


def places_newest_first(reports: Iterable[Report]) -> list[str]:
    """The narrowest place of each report, each once, the place of the newest report first."""
    return list(dict.fromkeys(r.place for r in newest_first(reports) if r.place))


class Collection:
    """Answers questions about what the collection holds, from the reports' metadata."""

    def __init__(self, understander: Understander, gazetteer: Gazetteer) -> None:
        self.understander = understander
        self.gazetteer = gazetteer

    def answer(self, question: str, reports: list[Report]) -> Answer | None:
        """The answer to small talk or a question about the collection (Answer.reply); None
        for any other question (it is searched as usual)."""
        reply = self.reply(question, reports)
        if reply is None:
            return None
        known = tuple(places_newest_first(reports)) if reply.unknown_places else ()
        return Answer(Query(normalise(question), ()), reply=reply, known_places=known)

    def reply(self, question: str, reports: list[Report]) -> Reply | None:
        """The Reply to small talk or a question about the collection, else None."""
        if len(question) > 200:
            return None  # neither small talk nor a question about the collection
        kind = small_talk(question)
        if kind is not None:
            newest = [r.place for r in newest_first(reports) if r.place]
            example = texts.example_question(newest[0]) if newest else texts.EXAMPLES[0]
            return Reply(kind, total=len(reports), example=example)
        text = normalise(question)
        # Cheap tests first (this runs before every question): it asks, about reports, places
        # or years, and little is left besides the words that do.
        if len(text) > 60 or not _ASKS.search(text) or not _ABOUT.search(text):
            return None
        if len(_FRAME.sub("", _PUNCT.sub("", _YEAR.sub("", text)))) > _MAX_PLACE_CHARS:
            return None
        q = self.understander.understand(text)
        named = [*q.places, *q.unknown_places]
        rest = _remove(text, {a for p in named for a in self.gazetteer.aliases(p) | {p}})
        years = [int(y) for y in _YEAR.findall(rest)]
        rest = _YEAR.sub(" ", rest)
        if _FRAME.sub("", _PUNCT.sub("", rest)):
            return None  # something besides places, years and asking words: a real question
        ordered = newest_first(reports)
        year = years[0] if len(set(years)) == 1 else None
        if named:
            wanted = set(q.places)
            # 湖南省蓝山县: the narrowest named place is the one asked about.
            inner = {p for p in wanted if not any(self._within(o, p) for o in wanted)}
            ids = set().union(*(self._reports_of(p) for p in inner))
            theirs = [r for r in ordered if r.id in ids]
            return Reply(
                ReplyKind.PLACE,
                reports=tuple(r for r in theirs if year is None or r.year == year),
                places=tuple(p for p in q.places if p in inner),
                unknown_places=q.unknown_places,
                year=year,
                years=_years(theirs),
                total=len(reports),
            )
        if year is not None:
            return Reply(
                ReplyKind.YEAR,
                reports=tuple(r for r in ordered if r.year == year),
                year=year,
                years=_years(ordered),
                total=len(reports),
            )
        if _ABOUT_PLACES.search(rest):
            places = places_newest_first(reports)
            return Reply(ReplyKind.PLACES, reports=tuple(ordered), places=tuple(places), total=len(reports))
        if _ABOUT_REPORTS.search(rest) or _ABOUT_YEARS.search(rest) or years:
            return Reply(ReplyKind.REPORTS, reports=tuple(ordered), years=_years(ordered), total=len(reports))
        return None

    def _reports_of(self, place: str) -> set[int]:
        """The reports of a place, as the question understander narrows to them."""
        return self.understander.places.place_reports.get(place, set())

    def _within(self, inner: str, outer: str) -> bool:
        """Whether `inner`'s reports are some but not all of `outer`'s (蓝山县 within 湖南省)."""
        of_inner = self._reports_of(inner)
        return bool(of_inner) and of_inner < self._reports_of(outer)


def _years(reports: Iterable[Report]) -> tuple[int, ...]:
    return tuple(sorted({r.year for r in reports if r.year}, reverse=True))


def _remove(text: str, names: set[str]) -> str:
    """`text` with every occurrence of the names blanked out, longest names first."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def is_bare_request(text: str, names: set[str]) -> bool:
    """Whether `text` is nothing but the place names given, years and the words naming a
    report (内蒙古自治区2024年法治政府建设年度报告): a request for that place's report itself."""
    rest = _YEAR.sub(" ", _remove(normalise(text), names))
    return not _FRAME.sub("", _PUNCT.sub("", rest)).strip()
