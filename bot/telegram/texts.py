"""What only the Telegram channel says: inline mode, command menus, and the names of what a
Telegram message can hold besides text. The conversation's sentences are in bot/core/texts.py."""

from __future__ import annotations

INLINE_HELP = "在任意聊天中输入 {mention} 问题 也可以直接引用结果。"  # said by /help
INLINE_EMPTY = "输入问题，例如：{example}"
INLINE_NOTHING = "没有找到相关内容"

# What a message holds besides text, by its attribute on a Telegram Message (for ONLY_TEXT).
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

COMMANDS_PRIVATE = (
    ("ask", "提问"),
    ("reports", "报告列表"),
    ("forget", "删除我的提问记录"),
    ("help", "帮助"),
)
COMMANDS_GROUP = (("ask", "提问，例如 /ask 秀山县政务公开数据"), ("reports", "报告列表"), ("help", "帮助"))
COMMANDS_ADMIN = (("reindex", "重建索引"), ("delete", "删除报告"), ("stats", "统计"))
