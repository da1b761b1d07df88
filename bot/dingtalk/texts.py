"""What the DingTalk bot says that no other channel says; the rest is retrieval/texts.py."""

from __future__ import annotations

from retrieval import texts

# A Markdown message's and an ActionCard's title: what the chat list and notifications show.
TITLE = "报告问答"

# What a message holds besides text, by DingTalk's msgtype, for texts.ONLY_TEXT.
MESSAGE_KINDS = {
    "picture": "图片",
    "audio": "语音",
    "video": "视频",
    "file": "文件",
}

HELP = (
    "您好！我可以回答关于法治政府建设年度报告的问题，并引用报告原文、注明出处。\n"
    "私聊直接发送问题；在群里请 @我 再写问题，例如：@我 " + texts.EXAMPLES[0] + "\n"
    "点回答下面的按钮可看全文、来源（原文件）、导出、下一页和反馈。\n"
    "管理员可在私聊中发送报告文件或链接来添加报告。\n"
    "命令：/reports [地区等] 报告列表 · /forget 删除我的提问记录 · /help 帮助"
)
HELP_WORDS = ("/help", "help", "帮助", "/start")
REPORTS_COMMAND = "/reports"
FORGET_COMMAND = "/forget"
ASK_COMMAND = "/ask"

# What a button sends back when pressed (a message in the user's name): its label, then the
# action's id and its signature between these marks.
PRESS_OPEN = "⟦"
PRESS_CLOSE = "⟧"

# A reply that was only files, where the robot has no AppKey to send files with.
NO_FILES = "钉钉里暂时不能发送文件，请在网页版中查看。"
# A file over DingTalk's 20 MB for a robot's file message.
FILE_TOO_BIG = "文件《{name}》超过钉钉 20 MB 的上限，未能发送，请在网页版中下载。"
