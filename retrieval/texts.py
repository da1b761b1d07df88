"""Every user-facing Chinese sentence, for the CLI and the bot alike, in one place."""

from __future__ import annotations

import re

from retrieval.errors import Unreadable
from retrieval.models import Answer, FeedbackReason, LogEntry, Refusal, Reply, ReplyKind, Report
from retrieval.ranking import Table

EXAMPLES = ("秀山县政务公开数据", "安化县政协提案立案率是多少", "瓦屋镇化解了多少矛盾纠纷")
MAX_PLACES_LISTED = 30


def refusal(answer: Answer) -> str:
    """Why a question got no excerpts, and how to ask instead, in one or two sentences."""
    match answer.refusal:
        case Refusal.EMPTY:
            return f"请输入一个关于法治政府建设年度报告的问题，例如：{EXAMPLES[0]}"
        case Refusal.TOO_LONG:
            return "问题太长了，请精简到500字以内再问。"
        case Refusal.NO_REPORTS:
            return "目前还没有收录任何报告，请管理员先添加报告。"
        case Refusal.UNKNOWN_PLACE:
            named = "、".join(answer.query.unknown_places)
            return f"暂未收录{named}的报告。目前收录的地区有：{places_list(answer.known_places)}。"
        case _:
            return (
                "在已收录的报告中没有找到与这个问题相关的内容。"
                f"可以换个说法，或写明地区和具体事项，例如：{EXAMPLES[1]}"
            )


PARTIAL = "没有找到完全对应的内容，以下是最接近的段落："
TABLE_LEADERS = 3  # places named in a ranking's lead line


def table_lead(table: Table) -> str:
    """A ranking's answer in a line: `败诉率最高：潍坊市（2023年）4.1% · 临城县（2023年）3.2%`."""
    word = "最高" if table.descending else "最低"
    if table.measure.endswith(("件", "次", "数", "人")) or not table.measure.endswith("率"):
        word = "最多" if table.descending else "最少"
    leaders = " · ".join(
        f"{row.place}（{row.report.year}年）{row.figure.written}"
        if row.report.year
        else f"{row.place} {row.figure.written}"
        for row in table.rows[:TABLE_LEADERS]
    )
    more = f" 等 {len(table.rows)} 个" if len(table.rows) > TABLE_LEADERS else ""
    if table.over is not None or table.under is not None:
        bound = f"超过{table.over:g}" if table.over is not None else f"低于{table.under:g}"
        unit = table.rows[0].figure.unit if table.rows else ""
        return f"{table.measure}{bound}{unit}的有 {len(table.rows)} 个：{leaders}{more}"
    return f"{table.measure}{word}：{leaders}"


def figure_lead(report: Report, clause: str) -> str:
    """A single report's figure in a line: `临城县 2023年：收到行政复议申请34件`."""
    place = report.place or report.issuer
    return f"{place} {report.year}年：{clause}" if report.year else f"{place}：{clause}"


def table_lead_other_levels(table: Table, levels: tuple[str, ...]) -> str:
    """`没有县的报告给出败诉率；给出的有：潍坊市（2023年）4.1%`: none of the level asked states it."""
    named = "、".join(dict.fromkeys("县" if x == "旗" else x for x in levels))
    leaders = table_lead(table).split("：", 1)[1]
    return f"没有{named}的报告给出{table.measure}；给出的有：{leaders}"


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


# --- the terminal and web chat ---------------------------------------------------------------

CHAT_WELCOME = (
    "reportbot：法治政府建设年度报告问答。直接输入问题，例如：" + EXAMPLES[0] + "\n"
    "“更多”看下一页，“全文 1”看第1条全文，“来源 1”看第1条的报告目录，“退出”结束。"
)
CHAT_PROMPT = "问> "
CHAT_HELP = "输入问题即可，例如：" + EXAMPLES[1] + "。命令：更多 · 全文 N · 来源 N · 帮助 · 退出"
CHAT_HINT = "（全文 N：看第N条全文 · 来源 N：看报告目录）"
CHAT_MORE_HINT = "（更多：下一页 · 全文 N：看第N条全文 · 来源 N：看报告目录）"
CHAT_NOTHING_BEFORE = "还没有提问，请先输入一个问题。"
CHAT_NO_SUCH_HIT = "当前结果中没有第{n}条。"
CHAT_SOURCE_FILE = "来源：{source}"

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
    """Why one side of a comparison has no excerpt: no report at all, or nothing on it."""
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
    """The other years a place has reports for, when the answer is from its newest."""
    if not answer.other_years:
        return ""
    place = answer.hits[0].report.place if answer.hits else ""
    return f"以上摘自最新的报告；{place}还有{_years(answer.other_years)}的报告。"


# --- the bot -------------------------------------------------------------------------------

WELCOME = (
    "您好！我可以回答关于<b>法治政府建设年度报告</b>的问题，并引用报告原文、注明出处。\n\n"
    "目前收录 <b>{reports}</b> 份报告，涉及：{places}；年份：{years}。\n\n"
    "直接发送问题即可，例如：\n{examples}\n\n"
    "在群聊中请用 /ask 问题，或 @{username} 问题，或回复我的消息。"
    "在任意聊天中输入 @{username} 问题 也可以直接引用结果。"
)
HELP_COMMANDS = "命令：/ask 提问 · /reports [地区等] 报告列表 · /forget 删除我的提问记录 · /help 帮助"
ADMIN_HELP = (
    "管理员：发送 .txt/.docx/.pdf/.html 文件或网页链接即可添加报告"
    " · /reindex 重建索引 · /delete 删除报告 · /stats 统计"
)
QUESTION_LABEL = "问："
MORE = "更多结果 ›"
PREVIOUS = "‹ 上一页"
FULL = "全文 {n}"
SOURCE = "来源 {n}"
SOURCE_ONE = "📄 来源"
SOURCE_OF = "📄 {place}"
EXPORT = "导出"
EXPORTING = "正在生成 Word 文件……"
EXPORT_FILE_NAME = "问答_{question}.docx"
THUMBS_UP = "👍"
THUMBS_DOWN = "👎"
FEEDBACK_THANKS = "感谢反馈！"
NO_MORE = "没有更多结果了。"
PAGE = "第 {page} 页"
SECTION_OPENING = "（正文开头）"
PASSAGE_GONE = "这段内容已不在库中（报告可能已被删除或更新）。"
REPORT_GONE = "这份报告已不在库中。"
QUESTION_GONE = "找不到原来的问题了，请重新提问。"
REPORTS_HEADER = "已收录 {n} 份报告，第 {page}/{pages} 页："
REPORTS_FOUND = "与“{words}”相符的报告 {n} 份，第 {page}/{pages} 页："
REPORTS_NONE_FOUND = "没有找到与“{words}”相符的报告。可以换个地区、发布单位或标题中的词再试。"
LIST_PREVIOUS = "‹ 上一页"
LIST_NEXT = "下一页 ›"
LIST_EXPIRED = "这个列表已失效，请重新发送命令。"
NO_REPORTS_YET = "目前还没有收录任何报告。"
OUTLINE_HEADER = "目录："
REPORT_META = "发布单位：{issuer}\n年份：{year}\n地区：{places}\n文件：{source}\n段落数：{passages}"
REPORT_LINK = "原文链接"
GROUP_HELP = (
    "在群里这样向我提问：\n"
    "· /ask 问题，例如 /ask {example}\n"
    "· @{username} 问题\n"
    "· 回复我的消息继续追问，例如“那蓝山县呢？”\n"
    "我会回复你的提问，引用报告原文并注明出处。私聊我可以直接发送问题。"
)
# What a message holds besides text, by its attribute on a Telegram Message, for ONLY_TEXT.
MESSAGE_KINDS = (
    ("voice", "语音"),
    ("audio", "音频"),
    ("video_note", "视频"),
    ("video", "视频"),
    ("animation", "动图"),
    ("sticker", "贴纸"),
    ("photo", "图片"),
    ("location", "位置"),
    ("venue", "位置"),
    ("contact", "名片"),
    ("document", "文件"),
    ("poll", "投票"),
)
MESSAGE_OTHER = "这类消息"
ONLY_TEXT = "我只能回答文字问题，{what}我看不懂。请直接用文字提问，例如：{example}"
ASK_USAGE = "请在 /ask 后面写上问题，例如：/ask {example}"
RATE_LIMITED = "提问太频繁了，请稍等一分钟再问。"
ERROR = "抱歉，处理时出了点问题，请稍后再试。"
INLINE_EMPTY = "输入问题，例如：{example}"
INLINE_NOTHING = "没有找到相关内容"
NOT_ADMIN = "抱歉，只有管理员可以使用这个功能。"
UPLOAD_TOO_BIG = "文件太大（{size:.1f} MB），上限为 {limit:g} MB。"
UPLOAD_REFUSED = "无法读取这个文件：{reason}"
UPLOAD_PAGES = "正在读取文件…… 第 {done}/{total} 页"
UPLOAD_WORKING = "正在读取文件……"
# The preview's parts (HTML, the values escaped by the bot), then its question.
PREVIEW_HEAD = (
    "<b>预览</b>\n标题：{title}\n发布单位：{issuer}\n年份：{year}\n地区：{places}\n段落数：{passages}"
)
PREVIEW_LINK = "链接：{url}"
PREVIEW_YEAR_INFERRED = "{year}（推断）"
PREVIEW_NO_YEAR = "⚠️ 没有识别出报告年份，添加后按年份提问将找不到它。"
PREVIEW_GUESSED_YEAR = "⚠️ 年份是根据落款日期或发布时间推断的，请核对。"
PREVIEW_NO_PLACES = "⚠️ 没有识别出所属地区，按地区提问将找不到它。"
PREVIEW_OUTLINE = "<b>目录</b>（各节段落数）："
PREVIEW_OUTLINE_ENTRY = "{indent}{heading} · {n}段"
PREVIEW_OUTLINE_MORE = "……另有 {n} 节未列出"
PREVIEW_QUESTION = "确认添加吗？"
PREVIEW_REPLACES_LINK = "⚠️ 将替换从同一链接收录的 #{id}《{title}》。"
PREVIEW_SAME_CONTENT = "⚠️ 与已收录的 #{id}《{title}》内容相同（来自另一个文件）。替换它，还是两份都保留？"
UPLOAD_REPLACE = "🔁 替换"
UPLOAD_KEEP_BOTH = "➕ 都保留"
UPLOAD_DUPLICATE = "与已收录的 #{id}《{title}》内容相同，未重复添加。"
UPLOAD_KEPT_BOTH = "已添加 #{id}《{title}》（{passages} 段），与 #{twin} 内容相同，两份都保留。"
LINK_WORKING = "正在下载链接……"
LINK_REFUSED = "无法收录这个链接：{reason}"
# Why a file or link was refused (retrieval.errors.Unreadable), each a clause that follows
# UPLOAD_REFUSED's or LINK_REFUSED's colon; {detail} is the error's detail.
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


def fetch_refused(problem: str, detail: str = "") -> str:
    """Why a link could not be fetched, in one Chinese line (problem: fetch.Problem)."""
    return LINK_REFUSED.format(reason=unreadable(problem, detail))


UPLOAD_REPLACES = "\n⚠️ 将替换已有的同名报告 #{id}《{title}》。"
UPLOAD_SAME = "这份报告已经收录（#{id}《{title}》），无需重复添加。"
UPLOAD_CONFIRM = "✅ 确认添加"
UPLOAD_CANCEL = "✖ 取消"
UPLOAD_CANCELLED = "已取消，未做任何改动。"
UPLOAD_EXPIRED = "这个预览已失效，请重新发送文件。"
UPLOAD_ADDED = "已添加 #{id}《{title}》（{passages} 段），现在就可以提问了。"
UPLOAD_REPLACED = "已用新版本替换 #{old}，新编号 #{id}《{title}》（{passages} 段），现在就可以提问了。"
REINDEX_START = "正在重建索引……"
REINDEX_PROGRESS = "正在重建索引…… {done}/{total}（{pct:.0%}）"
REINDEX_DONE = "索引已重建：{n} 段，用时 {seconds:.1f} 秒。"
REINDEX_BUSY = "已有重建任务在进行，请稍候。"
DELETE_PICK = "选择要删除的报告："
DELETE_PICK_PAGE = "选择要删除的报告（共 {n} 份，第 {page}/{pages} 页）："
DELETE_PICK_FOUND = "选择要删除的报告（与“{words}”相符的 {n} 份，第 {page}/{pages} 页）："
DELETE_CONFIRM_Q = "确定删除 #{id} {issuer}《{title}》吗？此操作不可撤销。"
DELETE_CONFIRM = "🗑 确认删除"
DELETE_DONE = "已删除 #{id}《{title}》。"
DELETE_USAGE = "用法：/delete 报告编号，或 /delete 地区/单位/标题中的词（可用 /reports 查看编号）"
STATS = (
    "<b>统计</b>\n报告：{reports}\n段落：{passages}\n今日提问：{questions}\n"
    "今日未找到答案：{unanswered}\n反馈：👍 {thumbs_up} / 👎 {thumbs_down}"
)
UNKNOWN_YEAR = "未知"
YEAR_BUTTON = "{year}年"
NONE = "无"

COMMANDS_PRIVATE = (
    ("ask", "提问"),
    ("reports", "报告列表"),
    ("forget", "删除我的提问记录"),
    ("help", "帮助"),
)
COMMANDS_GROUP = (("ask", "提问，例如 /ask 秀山县政务公开数据"), ("reports", "报告列表"), ("help", "帮助"))
COMMANDS_ADMIN = (("reindex", "重建索引"), ("delete", "删除报告"), ("stats", "统计"))

# --- privacy, buttons and limits (bot/handlers.py, bot/app.py) ------------------------------------

FORGET_DONE = "已删除您的 {questions} 条提问记录和 {feedback} 条反馈。"
PRIVACY_NOTE = (
    "本机器人会保存提问内容及提问者编号 {days:g} 天，用于翻页、反馈和统计；发送 /forget 可随时删除您的记录。"
)
BUTTON_STALE = "这个按钮已失效，请重新提问。"
FEEDBACK_ALREADY = "您已经反馈过了。"
UPLOAD_NOT_YOURS = "只有发送这个文件的管理员可以确认。"

# --- feedback and the conversation log (bot/handlers.py, bot/admin.py, `reportbot log`) -------

FEEDBACK_MARKED = "已反馈 {value}"
FEEDBACK_MARKED_REASON = "已反馈 👎（{reason}）"
FEEDBACK_WHY = "感谢反馈！哪里不好？请选一个原因。"
FEEDBACK_GIVEN = "这条回答已经收到反馈了。"
FEEDBACK_REASONS = {
    FeedbackReason.IRRELEVANT: "不相关",
    FeedbackReason.INCOMPLETE: "不完整",
    FeedbackReason.OUTDATED: "过时",
    FeedbackReason.OTHER: "其他",
}
LOG_HEADER = "最近未答或 👎 的问题（UTC）："
LOG_EMPTY = "最近 {days:g} 天没有未答或 👎 的问题。"
LOG_PRIVATE_ONLY = "最近未答或 👎 的问题只在与我的私聊中列出：请私聊发送 /stats。"
LOG_REPORT_GONE = "（报告已删除）"
LOG_REFUSALS = {
    Refusal.EMPTY: "未答：问题为空",
    Refusal.TOO_LONG: "未答：问题过长",
    Refusal.UNKNOWN_PLACE: "未答：未收录该地区",
    Refusal.NO_MATCH: "未答：没有相关内容",
    Refusal.NO_REPORTS: "未答：尚无报告",
}


def log_verdict(entry: LogEntry) -> str:
    """What a logged question's entry is there for: its refusal kind, or its 👎s and the
    reasons given (未答：没有相关内容 · 👎×2（不完整、过时）)."""
    if not entry.answered:
        return LOG_REFUSALS.get(entry.refusal or Refusal.NO_MATCH, LOG_REFUSALS[Refusal.NO_MATCH])
    reasons = "、".join(FEEDBACK_REASONS[r] for r in dict.fromkeys(entry.reasons))
    return f"👎×{entry.thumbs_down}" + (f"（{reasons}）" if reasons else "")
