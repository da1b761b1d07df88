"""The core's replies as sessionWebhook messages: a block with no actions is a Markdown message,
one with actions an ActionCard whose buttons send their press back (bot/dingtalk/presses.py).

A sessionWebhook cannot edit a message already sent, so a press that would edit (a page turned,
a feedback row marked) sends a new one; it cannot send files either, so a reply's files are left
out (the outline of 来源 still comes) and 导出 is not offered.
"""

from __future__ import annotations

from typing import Any

from bot.core import actions
from bot.core.messages import Action, FilePart, Kind, Reply, Rows
from bot.core.platform import split_bytes
from bot.dingtalk import texts
from bot.dingtalk.presses import Signer
from bot.markdown import Block, escape, render

# DingTalk refuses a robot message whose text is over 20,000 bytes (errcode 460101); a little
# is kept back for the title and the JSON around it.
MAX_TEXT_BYTES = 19_000
VERTICAL_FROM = 3  # buttons side by side up to this many, else one under another
LEFT_OUT = (Kind.EXPORT,)  # actions that would bring a file, which a sessionWebhook cannot send

Payload = dict[str, Any]


def payloads(reply: Reply, chat: str, signer: Signer) -> list[Payload]:
    """The messages that show `reply` in `chat`, in order."""
    blocks = [b for b in render(reply) if b.file is None]
    if reply.feedback is not None and reply.notice and not reply.parts:
        # The thanks, with 👎's reasons as buttons under it; 已反馈 needs no button of its own.
        wanted = tuple(a for a in reply.feedback if not a.id.endswith(":0"))
        blocks = [Block(escape(reply.notice), (wanted,) if wanted else ())]
    if not blocks and any(isinstance(p, FilePart) for p in reply.parts):
        blocks.append(Block(escape(texts.NO_FILES)))
    out: list[Payload] = []
    for block in blocks:
        pieces = split_bytes(_line_breaks(block.text), MAX_TEXT_BYTES)
        buttons = _buttons(block.actions, chat, signer)
        out.extend(markdown(p) for p in pieces[:-1])
        out.append(action_card(pieces[-1], buttons) if buttons else markdown(pieces[-1]))
    return out


def markdown(text: str) -> Payload:
    return {"msgtype": "markdown", "markdown": {"title": texts.TITLE, "text": text}}


def action_card(text: str, buttons: list[dict[str, str]]) -> Payload:
    return {
        "msgtype": "actionCard",
        "actionCard": {
            "title": texts.TITLE,
            "text": text,
            "btnOrientation": "0" if len(buttons) <= VERTICAL_FROM else "1",
            "btns": buttons,
        },
    }


def text_of(payload: Payload) -> str:
    """The text a sessionWebhook message shows (whatever its type)."""
    kind = payload.get("msgtype", "")
    body = payload.get(kind) or {}
    return str(body.get("text") or body.get("content") or "")


def _buttons(rows: Rows, chat: str, signer: Signer) -> list[dict[str, str]]:
    return [
        {"title": a.label, "actionURL": signer.link(a.label, a.id, chat)}
        for row in rows
        for a in row
        if _offered(a)
    ]


def _offered(action: Action) -> bool:
    return action.kind not in LEFT_OUT and len(action.id.encode()) <= actions.MAX_ID_BYTES


def _line_breaks(text: str) -> str:
    """Line breaks as DingTalk's Markdown docs ask for them (two spaces before), so that every
    client shows them."""
    return text.replace("\n", "  \n")
