"""What the Feishu bot says in its own words; the rest comes from retrieval.texts."""

from __future__ import annotations

from retrieval.texts import EXAMPLES

HELP = (
    "我可以回答关于法治政府建设年度报告的问题，引用报告原文并注明出处。\n"
    f"私聊直接发送问题，例如：{EXAMPLES[0]}\n"
    "群聊中请 @我 再写问题；追问可以说“那蓝山县呢？”。\n"
    "命令：/reports [地区等] 报告列表 · /forget 删除我的提问记录 · /help 帮助"
)
# Feishu's message types (message_type of im.message.receive_v1), for retrieval.texts.ONLY_TEXT.
MESSAGE_KINDS = {
    "image": "图片",
    "file": "文件",
    "audio": "语音",
    "media": "视频",
    "sticker": "表情",
    "interactive": "卡片",
    "share_chat": "群名片",
    "share_user": "个人名片",
    "location": "位置",
    "video_chat": "视频会议",
    "merge_forward": "合并转发的消息",
}
# The toast while a slow press is still being worked on; the card is updated when it is done.
WORKING = "正在处理……"
# A card's lead when a long reply continues in the next card.
CONTINUED = "（续）"
# The file could not be sent (too big for Feishu, or refused): its name says which.
FILE_FAILED = "文件“{name}”发送失败，请稍后再试。"
