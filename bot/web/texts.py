"""The web page's own Chinese words (labels, its welcome, its error lines), in one place; the
answers' words and the buttons' labels come from the core (retrieval/texts.py)."""

from __future__ import annotations

from bot.core import texts as core_texts
from retrieval import texts

TITLE = "法治政府建设年度报告问答"
WELCOME = (
    "您好！我可以回答关于法治政府建设年度报告的问题，引用报告原文并注明出处。"
    "目前收录 {reports} 份报告，年份：{years}。"
)
PLACES_HEADER = "涉及的地方（按省份）："
PROVINCE_ITSELF = "本级"  # a report of the province (or municipality) itself, in its group
OTHER_PLACES = "其他"  # places of no known province
EXAMPLES_HEADER = "可以这样问："

# Buttons read on any screen: the emoji of the core's labels are words here, since a desk or
# a phone browser without an emoji font draws them as empty boxes.
WORDS_FOR_EMOJI = (("👍", "有帮助"), ("👎", "没帮助"), ("📄 来源", "来源"), ("📄 ", "来源："))


def label(core_label: str) -> str:
    """A core action's label with words for its emoji (👍 → 有帮助, 📄 临城县 2023 → 来源：临城县 2023)."""
    out = core_label
    for emoji, words in WORDS_FOR_EMOJI:
        out = out.replace(emoji, words)
    return out


# What the page's script shows; sent to it with the page (see app._page).
PAGE = {
    "title": TITLE,
    "placeholder": "例如：" + texts.EXAMPLES[0],  # (what a phone's bar has room for)
    "send": "提问",
    "working": "正在查找",
    "examples": EXAMPLES_HEADER,
    "question": core_texts.QUESTION_LABEL,
    "copy": "复制",
    "copied": "已复制",
    "copy_failed": "复制失败，请选中文字后手动复制。",
    "collapse": "收起",
    "download": "下载：",
    "outline": core_texts.OUTLINE_HEADER,
    "table_place": "地区",
    "table_year": "年份",
    "table_value": "数值",
    "table_caption": "{measure}（共 {n} 个地方）",
    "offline": "无法连接服务器，请稍后再试。",
    "failed": "请求失败：",
    "busy": "上一个问题还在查找中，请稍候。",
}

# The API's refusals of a request, one short line each (for tools as much as for the page).
BAD_CONTENT_TYPE = "send a JSON body (Content-Type: application/json)"
TOO_LARGE = "request body too large"
BAD_JSON = "the body is not valid JSON"
NOT_AN_OBJECT = "the body must be a JSON object"
BAD_SESSION = "'user' and 'chat' must be 8 to 64 letters, digits, '-' or '_'"
TEXT_OR_PRESS = "send either 'text' or 'press'"
FILE_GONE = "this file is no longer kept; press the button again"
