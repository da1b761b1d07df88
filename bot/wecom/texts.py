"""What the WeCom bot says in its own words (the rest is retrieval/texts.py's)."""

from __future__ import annotations

from bot.core import texts as core_texts
from retrieval import texts

THINKING = "正在查找……"
CARD_TITLE = "可选操作"
HELP = (
    "直接发送问题即可，例如：{example}\n"
    "在群里请 @我 再写问题。\n"
    "命令：/reports [地区等] 报告列表 · /forget 删除我的提问记录 · /help 帮助"
)
WELCOME = "您好！我可以回答关于法治政府建设年度报告的问题，并引用报告原文、注明出处。\n" + HELP
# What a non-text message is, by its WeCom msgtype, for retrieval's ONLY_TEXT.
MESSAGE_KINDS = {"image": "图片", "voice": "语音", "file": "文件", "video": "视频"}
FILE_NOT_SENT = "（文件“{name}”无法在企业微信的回调模式中发送，请在网页版或 Telegram 中获取。）"
FILE_FAILED = "文件“{name}”发送失败，请稍后再试。"
CUT = "……（内容过长，以下从略）"
NOT_SENT_ALL = "（回复过长，只显示了第一部分。）"


def help_text() -> str:
    return HELP.format(example=texts.EXAMPLES[1])


def welcome() -> str:
    return WELCOME.format(example=texts.EXAMPLES[1])


def only_text(msgtype: str) -> str:
    return core_texts.ONLY_TEXT.format(
        what=MESSAGE_KINDS.get(msgtype, core_texts.OTHER_MESSAGE), example=texts.EXAMPLES[1]
    )
