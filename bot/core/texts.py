"""What the conversation says, in Chinese, in every channel: help, the labels of actions, the
acknowledgements of presses, report lists, feedback, and the admin's replies (preview, adding,
reindexing, deleting, statistics). Plain text: each channel marks it up as it can. What the
library itself says (refusals, citations, answers about the collection) is in retrieval/texts.py;
what only one channel says, in that channel's texts module."""

from __future__ import annotations

from retrieval.models import FeedbackReason, LogEntry, Refusal
from retrieval.texts import EXAMPLES

# --- the terminal ----------------------------------------------------------------------------

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

# --- help --------------------------------------------------------------------------------------

WELCOME = (
    "您好！我可以回答关于法治政府建设年度报告的问题，并引用报告原文、注明出处。\n\n"
    "目前收录 {reports} 份报告，涉及：{places}；年份：{years}。\n\n"
    "直接发送问题即可，例如：\n{examples}\n\n"
    "在群聊中请用 /ask 问题，或 {mention} 问题，或回复我的消息。"
)
HELP_COMMANDS = "命令：/ask 提问 · /reports [地区等] 报告列表 · /forget 删除我的提问记录 · /help 帮助"
ADMIN_HELP = (
    "管理员：发送 .txt/.docx/.pdf/.html 文件或网页链接即可添加报告"
    " · /reindex 重建索引 · /delete 删除报告 · /stats 统计"
)
GROUP_HELP = (
    "在群里这样向我提问：\n"
    "· /ask 问题，例如 /ask {example}\n"
    "· {mention} 问题\n"
    "· 回复我的消息继续追问，例如“那蓝山县呢？”\n"
    "我会回复你的提问，引用报告原文并注明出处。私聊我可以直接发送问题。"
)
MENTION = "@我"  # how a group addresses the bot, where a channel does not say its name
PRIVACY_NOTE = (
    "本机器人会保存提问内容及提问者编号 {days:g} 天，用于翻页、反馈和统计；发送 /forget 可随时删除您的记录。"
)
ONLY_TEXT = "我只能回答文字问题，{what}我看不懂。请直接用文字提问，例如：{example}"
OTHER_MESSAGE = "这类消息"  # what a message holds besides text, where a channel does not say
FILE = "文件"
ASK_USAGE = "请在 /ask 后面写上问题，例如：/ask {example}"
RATE_LIMITED = "提问太频繁了，请稍等一分钟再问。"
ERROR = "抱歉，处理时出了点问题，请稍后再试。"
FORGET_DONE = "已删除您的 {questions} 条提问记录和 {feedback} 条反馈。"

# --- answers and their actions -------------------------------------------------------------------

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
EXPORT_SHEET_NAME = "排名_{question}.xlsx"
CHART_FILE_NAME = "排名图_{measure}.png"
YEAR_BUTTON = "{year}年"
PLACE_BUTTON = "{place}"
NO_MORE = "没有更多结果了。"
PAGE = "第 {page} 页"
PASSAGE_GONE = "这段内容已不在库中（报告可能已被删除或更新）。"
REPORT_GONE = "这份报告已不在库中。"
QUESTION_GONE = "找不到原来的问题了，请重新提问。"
BUTTON_STALE = "这个按钮已失效，请重新提问。"

# --- a report's card and the report lists ---------------------------------------------------

OUTLINE_HEADER = "目录："
REPORT_META = "发布单位：{issuer}\n年份：{year}\n地区：{places}\n文件：{source}\n段落数：{passages}"
REPORT_LINK = "原文链接"
UNKNOWN_YEAR = "未知"
NONE = "无"
REPORTS_HEADER = "已收录 {n} 份报告，第 {page}/{pages} 页："
REPORTS_FOUND = "与“{words}”相符的报告 {n} 份，第 {page}/{pages} 页："
REPORTS_NONE_FOUND = "没有找到与“{words}”相符的报告。可以换个地区、发布单位或标题中的词再试。"
LIST_PREVIOUS = "‹ 上一页"
LIST_NEXT = "下一页 ›"
LIST_EXPIRED = "这个列表已失效，请重新发送命令。"
NO_REPORTS_YET = "目前还没有收录任何报告。"

# --- feedback ----------------------------------------------------------------------------------

THUMBS_UP = "👍"
THUMBS_DOWN = "👎"
FEEDBACK_THANKS = "感谢反馈！"
FEEDBACK_ALREADY = "您已经反馈过了。"
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

# --- admins: adding reports ------------------------------------------------------------------

NOT_ADMIN = "抱歉，只有管理员可以使用这个功能。"
UPLOAD_TOO_BIG = "文件太大（{size:.1f} MB），上限为 {limit:g} MB。"
UPLOAD_REFUSED = "无法读取这个文件：{reason}"
UPLOAD_NOT_FETCHED = "没能从平台取到这个文件，请稍后重新发送。"
UPLOAD_PAGES = "正在读取文件…… 第 {done}/{total} 页"
UPLOAD_WORKING = "正在读取文件……"
LINK_WORKING = "正在下载链接……"
LINK_REFUSED = "无法收录这个链接：{reason}"
# The preview: its head (the first line is its title), its warnings, its outline, its question.
PREVIEW_HEAD = "预览\n标题：{title}\n发布单位：{issuer}\n年份：{year}\n地区：{places}\n段落数：{passages}"
PREVIEW_LINK = "链接：{url}"
PREVIEW_YEAR_INFERRED = "{year}（推断）"
PREVIEW_NO_YEAR = "⚠️ 没有识别出报告年份，添加后按年份提问将找不到它。"
PREVIEW_GUESSED_YEAR = "⚠️ 年份是根据落款日期或发布时间推断的，请核对。"
PREVIEW_NO_PLACES = "⚠️ 没有识别出所属地区，按地区提问将找不到它。"
PREVIEW_OUTLINE = "目录（各节段落数）："
PREVIEW_OUTLINE_ENTRY = "{indent}{heading} · {n}段"
PREVIEW_OUTLINE_MORE = "……另有 {n} 节未列出"
PREVIEW_QUESTION = "确认添加吗？"
PREVIEW_REPLACES = "⚠️ 将替换已有的同名报告 #{id}《{title}》。"
PREVIEW_REPLACES_LINK = "⚠️ 将替换从同一链接收录的 #{id}《{title}》。"
PREVIEW_SAME_CONTENT = "⚠️ 与已收录的 #{id}《{title}》内容相同（来自另一个文件）。替换它，还是两份都保留？"
UPLOAD_CONFIRM = "✅ 确认添加"
UPLOAD_REPLACE = "🔁 替换"
UPLOAD_KEEP_BOTH = "➕ 都保留"
UPLOAD_CANCEL = "✖ 取消"
UPLOAD_CANCELLED = "已取消，未做任何改动。"
UPLOAD_EXPIRED = "这个预览已失效，请重新发送文件。"
UPLOAD_NOT_YOURS = "只有发送这个文件的管理员可以确认。"
UPLOAD_SAME = "这份报告已经收录（#{id}《{title}》），无需重复添加。"
UPLOAD_DUPLICATE = "与已收录的 #{id}《{title}》内容相同，未重复添加。"
UPLOAD_ADDED = "已添加 #{id}《{title}》（{passages} 段），现在就可以提问了。"
UPLOAD_KEPT_BOTH = "已添加 #{id}《{title}》（{passages} 段），与 #{twin} 内容相同，两份都保留。"
UPLOAD_REPLACED = "已用新版本替换 #{old}，新编号 #{id}《{title}》（{passages} 段），现在就可以提问了。"

# --- admins: reindex, delete, statistics ---------------------------------------------------------

REINDEX_START = "正在重建索引……"
REINDEX_PROGRESS = "正在重建索引…… {done}/{total}（{pct:.0%}）"
REINDEX_DONE = "索引已重建：{n} 段，用时 {seconds:.1f} 秒。"
REINDEX_BUSY = "已有重建任务在进行，请稍候。"
DELETE_PICK_PAGE = "选择要删除的报告（共 {n} 份，第 {page}/{pages} 页）："
DELETE_PICK_FOUND = "选择要删除的报告（与“{words}”相符的 {n} 份，第 {page}/{pages} 页）："
DELETE_CONFIRM_Q = "确定删除 #{id} {issuer}《{title}》吗？此操作不可撤销。"
DELETE_CONFIRM = "🗑 确认删除"
DELETE_DONE = "已删除 #{id}《{title}》。"
DELETE_USAGE = "用法：/delete 报告编号，或 /delete 地区/单位/标题中的词（可用 /reports 查看编号）"
# The first line is the statistics' title.
STATS = (
    "统计\n报告：{reports}\n段落：{passages}\n今日提问：{questions}\n"
    "今日未找到答案：{unanswered}\n反馈：👍 {thumbs_up} / 👎 {thumbs_down}"
)

# --- the conversation log (/stats, `reportbot log`) ----------------------------------------------

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
    Refusal.MISSING_YEAR: "未答：未收录该年份",
    Refusal.WHICH_PLACE: "未答：地名待确认",
    Refusal.OUT_OF_SCOPE: "未答：不属于查询报告的请求",
}


def log_verdict(entry: LogEntry) -> str:
    """What a logged question's entry is there for: its refusal kind, or its 👎s and the
    reasons given (未答：没有相关内容 · 👎×2（不完整、过时）)."""
    if not entry.answered:
        return LOG_REFUSALS.get(entry.refusal or Refusal.NO_MATCH, LOG_REFUSALS[Refusal.NO_MATCH])
    reasons = "、".join(FEEDBACK_REASONS[r] for r in dict.fromkeys(entry.reasons))
    return f"👎×{entry.thumbs_down}" + (f"（{reasons}）" if reasons else "")
