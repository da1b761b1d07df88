"""What the library itself says, in Chinese: refusals of questions and of files, how a citation
names a report, and answers about the collection. The conversation's sentences (buttons,
help, admin replies) are in bot/core/texts.py, each channel's own in its texts module."""

from __future__ import annotations

import re

from retrieval.errors import Unreadable
from retrieval.models import Answer, Figure, LeadFigure, Refusal, Reply, ReplyKind, Report, Table

EXAMPLES = ("秀山县政务公开数据", "安化县政协提案立案率是多少", "瓦屋镇化解了多少矛盾纠纷")
MAX_PLACES_LISTED = 30
SECTION_OPENING = "（正文开头）"  # where a passage before the first heading is cited


def refusal(answer: Answer) -> str:
    """Why a question got no excerpts, and how to ask instead, in one or two sentences."""
    match answer.refusal:
        case Refusal.EMPTY:
            return f"请输入一个关于法治政府建设年度报告的问题，例如：{EXAMPLES[0]}"
        case Refusal.TOO_LONG:
            return "问题太长了，请精简到500字以内再问。"
        case Refusal.NO_REPORTS:
            return "目前还没有收录任何报告，请管理员先添加报告。"
        case Refusal.MISSING_YEAR:
            return missing_year(answer)
        case Refusal.WHICH_PLACE:
            written, places = answer.query.choices[0]
            return f"“{written}”是指{'还是'.join(places)}？请选择："
        case Refusal.OUT_OF_SCOPE:
            return OUT_OF_SCOPE.format(example=EXAMPLES[0])
        case Refusal.UNKNOWN_PLACE:
            named = "、".join(answer.query.unknown_places)
            return f"暂未收录{named}的报告。目前收录的地区有：{places_list(answer.known_places)}。"
        case _:
            return (
                "在已收录的报告中没有找到与这个问题相关的内容。"
                f"可以换个说法，或写明地区和具体事项，例如：{EXAMPLES[1]}"
            )


PARTIAL = "没有找到完全对应的内容，以下是最接近的段落："
OUT_OF_SCOPE = (
    "我只查找已收录的法治政府建设年度报告，引用原文并注明出处；"
    "代写、翻译、整体总结或评价不在我能做的范围内。可以这样问：{example}"
)


def missing_year(answer: Answer) -> str:
    """`暂未收录中村乡2024年的报告；有：2022年、2023年、2025年`: the place's reports are of
    other years (each offered as a button)."""
    q = answer.query
    place = "、".join(q.places)
    asked = "、".join(f"{y}年" for y in q.absent_years)
    have = f"；有：{_years(answer.other_years)}" if answer.other_years else ""
    return f"暂未收录{place}{asked}的报告{have}"


def corrected(answer: Answer) -> str:
    """`按“海原县”查找：` for a place written one character off (海源县)."""
    return "".join(f"按“{place}”查找：" for _, place in answer.query.corrected)


def lead(answer: Answer) -> str:
    """An answer's first line: its own lead (a figure, a ranking), else, for the closest
    passages only, PARTIAL; "" when the first excerpt is the answer."""
    return corrected(answer) + (answer.lead or (PARTIAL if answer.partial else ""))


TABLE_LEADERS = 3  # places named in a ranking's lead line


def table_lead(table: Table) -> str:
    """A ranking's answer in a line: `败诉率最高：潍坊市（2023年）4.1% · 临城县（2023年）3.2%`."""
    if table.measure.endswith("率"):
        word = "最高" if table.descending else "最低"
    else:
        word = "最多" if table.descending else "最少"
    leaders = " · ".join(
        f"{row.place}（{row.report.year}年）{shown(row.figure)}"
        if row.report.year
        else f"{row.place} {shown(row.figure)}"
        for row in table.rows[:TABLE_LEADERS]
    )
    more = f" 等 {len(table.rows)} 个" if len(table.rows) > TABLE_LEADERS else ""
    if table.over is not None or table.under is not None:
        unit = table.rows[0].figure.unit if table.rows else ""
        return f"{table.measure}{bound(table, unit)}的有 {len(table.rows)} 个：{leaders}{more}"
    return f"{table.measure}{word}：{leaders}{more}"


def shown(figure: LeadFigure | Figure) -> str:
    """A figure's value as a lead shows it: as written, with its unit when the writing has none
    (a table's cell `34` under `项目（件）` is `34件`)."""
    bare = re.fullmatch(r"[-+]?[\d.,]+", figure.written) is not None
    return f"{figure.written}{figure.unit}" if bare else figure.written


def bound(table: Table, unit: str = "") -> str:
    """The threshold a ranking was asked with: `超过90%`, `达到100%`, `低于5%`."""
    if table.over is not None:
        return f"{'达到' if table.inclusive else '超过'}{table.over:g}{unit}"
    if table.under is not None:
        return f"低于{table.under:g}{unit}"
    return ""


def figure_lead(figure: LeadFigure, clause: str) -> str:
    """A report's figure in a line, who, year, measure and value, then the clause stating it:
    `临城县 2023年 行政复议申请 34件：“全年收到行政复议申请34件”`."""
    year = f" {figure.year}年" if figure.year else ""
    return f"{figure.place}{year} {figure.measure} {shown(figure)}：“{clause}”"


def figures_by_year_lead(figures: tuple[LeadFigure, ...]) -> str:
    """One place's figure year by year: `临城县 出庭应诉率：2022年 100% · 2023年 100%`."""
    first = figures[0]
    years = " · ".join(f"{f.year}年 {shown(f)}" for f in figures)
    return f"{first.place} {first.measure}：{years}"


def parts_lead(place: str, year: int | None, parts: list[str]) -> str:
    """How a report is laid out: `秀山县 2024年的报告分为 5 个部分：一、…；二、…`."""
    of_year = f" {year}年" if year else ""
    return f"{place}{of_year}的报告分为 {len(parts)} 个部分：" + "；".join(parts)


def too_few_lead(table: Table, level: str) -> str:
    """Fewer than two places state a figure (or meet the threshold asked), so there is no
    ranking: `只有 1 个县的报告给出聘请法律顾问：屏山县（2023年）3名`."""
    places = f"个{'县' if level == '旗' else level}" if level else "个地方"
    asked = f"{table.measure}{bound(table, table.rows[0].figure.unit if table.rows else '')}"
    if not table.rows:
        return f"给出{table.measure}的报告中，没有{bound(table) or '符合'}的；以下是最接近的段落："
    row = table.rows[0]
    year = f"（{row.report.year}年）" if row.report.year else ""
    return f"只有 {len(table.rows)} {places}的报告给出{asked}，无法排名：{row.place}{year}{shown(row.figure)}"


def table_lead_other_levels(table: Table, levels: tuple[str, ...]) -> str:
    """`没有县的报告给出败诉率；给出的有：潍坊市（2023年）4.1%`: none of the level asked states it."""
    named = "、".join(dict.fromkeys("县" if x == "旗" else x for x in levels))
    leaders = table_lead(table).split("：", 1)[1]
    return f"没有{named}的报告给出{table.measure}；给出的有：{leaders}"


def also(answer: Answer) -> str:
    """`另有 3 份报告也提到：潢川县、秀山县、蓝山县`: the reports of an answer across reports
    beyond those quoted (each has its button)."""
    if not answer.also:
        return ""
    names = "、".join(dict.fromkeys(r.place or r.issuer for r in answer.also))
    return f"另有 {len(answer.also)} 份报告也提到：{names}"


def table_without(table: Table) -> str:
    """`另有 9 个地方的报告没有给出败诉率`, or "" when every place's report gives it."""
    return f"另有 {table.without} 个地方的报告没有给出{table.measure}" if table.without else ""


_YEAR_IN_TITLE = re.compile(r"(?:19|20)\d{2}|[〇零一二三四五六七八九]{4}")


def short_title(report: Report) -> str:
    """The title without the issuer it starts with (`秀山…办公室关于2024年…的报告` → `关于2024年…的
    报告`), for citations that name the issuer beside it. Titles are stored as written."""
    title, issuer = report.title, report.issuer
    # The title may start with the whole issuer or with its end (柳林乡人民政府 of 竹山县柳林乡人民政府).
    for start in range(len(issuer) - 3):
        tail = issuer[start:]
        if title.startswith(tail) and len(title) > len(tail) + 2:
            return title[len(tail) :]
    return title


def title_says_year(title: str) -> bool:
    """Whether a title names a year itself (2024年…, 二〇二三年度…), so a citation need not."""
    return bool(_YEAR_IN_TITLE.search(title))


def report_name(report: Report) -> str:
    """How a citation names a report: issuer《title》, and the year when the title has none."""
    title = short_title(report)
    year = f"（{report.year}年）" if report.year and not title_says_year(title) else ""
    if not report.issuer:
        return f"《{title}》{year}"
    return f"{report.issuer}《{title}》{year}"


def places_list(places: tuple[str, ...] | list[str]) -> str:
    shown = list(places)[:MAX_PLACES_LISTED]
    more = len(places) - len(shown)
    return "、".join(shown) + (f"等{len(places)}个地区" if more > 0 else "")


# --- export to .docx --------------------------------------------------------------------------

EXPORT_DATE = "导出日期：{date}（摘自已收录的法治政府建设年度报告，引文为原文）"
EXPORT_SOURCE = "原文链接：{url}"

# --- answers from the collection, small talk, comparisons, other years ---------------------

MAX_REPORTS_LISTED = 20
GREETING = (
    "您好！我可以回答关于法治政府建设年度报告的问题，引用报告原文并注明出处。"
    "目前收录 {total} 份报告。可以这样问：{example}"
)
THANKS = "不客气！还有问题随时问我，例如：{example}"
NO_REPORTS_YET_SHORT = "目前还没有收录任何报告。"


def example_question(place: str) -> str:
    """A question about a place that its report answers (every report has a problems part)."""
    return f"{place}法治政府建设存在哪些问题"


def report_line(r: Report) -> str:
    """One report on one line: year, place and issuer, title."""
    year = f"{r.year}年" if r.year else "年份未知"
    place = f"{r.place} " if r.place and r.place not in r.issuer else ""
    return f"{year} {place}{r.issuer}《{short_title(r)}》"


def _years(years: tuple[int, ...] | list[int]) -> str:
    return "、".join(f"{y}年" for y in years)


def _report_lines(reports: tuple[Report, ...] | list[Report]) -> list[str]:
    shown = [f"· {report_line(r)}" for r in reports[:MAX_REPORTS_LISTED]]
    if len(reports) > len(shown):
        shown.append(f"……等共{len(reports)}份")
    return shown


def reply(answer: Answer) -> str:
    """The text of an answer from the collection or to small talk (answer.reply)."""
    r = answer.reply
    if r is None:
        return ""
    match r.kind:
        case ReplyKind.GREETING:
            return GREETING.format(total=r.total, example=r.example)
        case ReplyKind.THANKS:
            return THANKS.format(example=r.example)
        case ReplyKind.PLACE:
            return _place_reply(r, answer.known_places)
        case ReplyKind.YEAR:
            if not r.reports:
                have = f"已收录的年份有：{_years(r.years)}。" if r.years else NO_REPORTS_YET_SHORT
                return f"暂未收录{r.year}年的报告。{have}"
            return "\n".join([f"{r.year}年的报告有 {len(r.reports)} 份：", *_report_lines(r.reports)])
        case ReplyKind.PLACES:
            if not r.places:
                return NO_REPORTS_YET_SHORT
            shown = [_place_years(p, r.reports) for p in r.places]
            count = f"目前收录 {r.total} 份报告，涉及 {len(r.places)} 个地区"
            return f"{count}（按最新报告排列）：{places_list(shown)}。"
        case _:
            if not r.reports:
                return NO_REPORTS_YET_SHORT
            head = (
                f"目前收录 {r.total} 份报告" + (f"（{_years(r.years)}）" if r.years else "") + "，从新到旧："
            )
            return "\n".join([head, *_report_lines(r.reports)])


def _place_years(place: str, reports: tuple[Report, ...]) -> str:
    years = sorted({x.year for x in reports if x.place == place and x.year}, reverse=True)
    return f"{place}（{'、'.join(map(str, years))}）" if years else place


def _place_reply(r: Reply, known: tuple[str, ...]) -> str:
    lines: list[str] = []
    for place in r.places:
        theirs = [x for x in r.reports if place in x.places]
        when = f"{r.year}年" if r.year else ""
        if theirs:
            lines.append(f"{place}{when}有 {len(theirs)} 份报告：")
            lines.extend(_report_lines(theirs))
        else:
            other = f"（已收录的年份：{_years(r.years)}）" if r.years else ""
            lines.append(f"暂未收录{place}{when}的报告{other}。")
    if r.unknown_places:
        lines.append(
            f"暂未收录{'、'.join(r.unknown_places)}的报告。目前收录的地区有：{places_list(known) or '无'}。"
        )
    return "\n".join(lines)


def missing(answer: Answer, key: str) -> str:
    """Why one side of a comparison has no excerpt: no report at all, none of the year, or
    (only when that side was searched and nothing cleared the bar) nothing on it."""
    own = next((a for k, a in answer.side_refusals if k == key), None)
    if own is not None and own.refusal == Refusal.MISSING_YEAR and own.query.places:
        return missing_year(own) + "。"
    if own is not None and own.refusal in (Refusal.UNKNOWN_PLACE, Refusal.MISSING_YEAR):
        return f"暂未收录{key}的报告。"
    if own is not None and own.refusal is not None:
        return refusal(own)
    if key in answer.query.unknown_places:
        return f"暂未收录{key}的报告。"
    year = re.fullmatch(r"(\d{4})年", key)
    if year and answer.query.years and int(year.group(1)) not in answer.query.years:
        # A year the question's place has no report for (the years that narrowed are listed).
        place = answer.groups[0].report.place if answer.groups and answer.groups[0].report else ""
        return f"暂未收录{place}{key}的报告。"
    topic = topic_of(answer)
    return f"{key}的报告中没有提到{topic}。" if topic else f"{key}的报告中没有相关内容。"


_ASKING_GAP = re.compile(r"了|的|多少|几|哪些|什么|是|有|和|与|及|\s")


def topic_of(answer: Answer) -> str:
    """What a question asks about, in its own words: its longest search terms in the order
    the question has them, those with only asking words between them joined (化解了多少矛盾
    纠纷 → 化解矛盾纠纷), the rest listed."""
    text, terms = answer.query.text, answer.query.terms
    longest = [t for t in terms if len(t) > 1 and not any(t != o and t in o for o in terms)]
    pieces: list[str] = []
    last = -1  # where the previous term ended in the question
    for start, t in sorted((text.find(t), t) for t in longest if t in text):
        end = start + len(t)
        if pieces and start <= last:
            pieces[-1] += text[last:end] if end > last else ""
        elif pieces and not _ASKING_GAP.sub("", text[last:start]):
            pieces[-1] += t
        else:
            pieces.append(t)
        last = max(last, end)
    return "、".join(pieces)


def other_years(answer: Answer) -> str:
    """The other years a place has reports for, after saying which year's report the answer
    quotes: "the newest" only when it is."""
    if not answer.other_years:
        return ""
    report = answer.hits[0].report if answer.hits else None
    place, years = (report.place if report else ""), _years(answer.other_years)
    if report is None or not report.year:
        return f"{place}还有{years}的报告。"
    if all(y < report.year for y in answer.other_years):
        return f"以上摘自最新的报告；{place}还有{years}的报告。"
    return f"以上摘自{report.year}年的报告；{place}还有{years}的报告。"


# --- files and links that cannot be read ------------------------------------------------------

# Why a file or link was refused (retrieval.errors.Unreadable), each a clause that follows
# bot.core.texts' UPLOAD_REFUSED or LINK_REFUSED colon; {detail} is the error's detail.
SUPPORTED_FILES = "请发送 .txt、.docx、.pdf 或 .html 文件"
UNREADABLE_REASONS: dict[Unreadable, str] = {
    Unreadable.MISSING: "找不到这个文件",
    Unreadable.CANNOT_OPEN: "无法打开这个文件（没有读取权限或磁盘出错）",
    Unreadable.FOLDER: "这是一个文件夹，其中没有报告文件",
    Unreadable.NOT_REGULAR: "这不是普通文件（是设备、管道或套接字）",
    Unreadable.TOO_LARGE: "文件太大，上限为 {detail} MB",
    Unreadable.UNSUPPORTED: "不支持这种文件类型（{detail}），" + SUPPORTED_FILES,
    Unreadable.OLD_WORD: "这是旧版 Word（.doc）文件，请在 Word 或 WPS 中另存为 .docx 后再发送",
    Unreadable.EMPTY: "文件是空的，没有可读的文字",
    Unreadable.BINARY: "文件内容不是文字（可能是图片、压缩包或改了扩展名的文件），" + SUPPORTED_FILES,
    Unreadable.BAD_DOCX: "不是有效的 Word（.docx）文件，可能已损坏或改了扩展名",
    Unreadable.ZIP_BOMB: "这个 .docx 解压后的数据量异常巨大（疑似压缩炸弹），已拒绝",
    Unreadable.BAD_PDF: "不是有效的 PDF 文件，可能已损坏",
    Unreadable.ENCRYPTED_PDF: "PDF 设置了打开密码，请发送未加密的版本",
    Unreadable.PDF_NO_TEXT: "PDF 中没有可以提取的文字",
    Unreadable.NEEDS_OCR: "PDF 是扫描件，没有文字层；需要管理员安装 OCR 组件（reportbot[ocr]）才能识别",
    Unreadable.TOO_MANY_PAGES: "PDF 超过 {detail} 页，不像是一份年度报告",
    Unreadable.TOO_MANY_SCANS: "PDF 的扫描页超过 {detail} 页，识别时间太长",
    Unreadable.TOO_SLOW: "PDF 读取超过 {detail} 秒，已停止",
    Unreadable.NO_PASSAGES: "没有找到报告的正文段落",
    Unreadable.TOO_MANY_PASSAGES: "共有 {detail} 段，远超一份报告的篇幅",
    Unreadable.REPETITIVE: "同一段文字重复了 {detail} 次，不像是一份正常的报告",
    Unreadable.BAD_LINK: "只能收录 http 或 https 链接",
    Unreadable.CONNECT: "无法连接到这个网站",
    Unreadable.TIMEOUT: "网站响应超时",
    Unreadable.STATUS: "网站返回了错误（{detail}）",
    Unreadable.CONTENT_TYPE: "链接的内容不是网页、PDF、Word（.docx）或纯文本（{detail}）",
    Unreadable.REDIRECTS: "网址跳转次数过多",
    Unreadable.NETWORK: "下载中断或网站返回的内容有误",
    Unreadable.INTERNAL: (
        "链接指向内部网络地址（{detail}），只能收录公开网站的链接；内部文档服务器需由管理员在设置中允许"
    ),
}
UNREADABLE_OTHER = "无法识别文件内容"  # a refusal of a kind this version does not know


def unreadable(kind: str, detail: str = "") -> str:
    """Why a file or link was refused (kind: an errors.Unreadable), as one Chinese clause."""
    try:
        sentence = UNREADABLE_REASONS[Unreadable(kind)]
    except ValueError:
        return UNREADABLE_OTHER
    if kind == Unreadable.UNSUPPORTED and not detail:
        detail = "没有扩展名"
    return sentence.format(detail=detail)
