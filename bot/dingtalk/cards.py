"""The core's replies as DingTalk messages: first as pieces (a Markdown text with its actions, or
a file), then each piece in the form it is sent in: through a sessionWebhook, Markdown or an
ActionCard whose buttons are dtmd links (bot/dingtalk/presses.py); through the OpenAPI, the
variables of an interactive card whose buttons call back (bot/dingtalk/openapi.py).

Neither way edits a message already sent, so a press that would edit (a page turned, a feedback
row marked) sends a new one. Files go only through the OpenAPI; without it (no AppKey) a
reply's files are left out (the outline of 来源 still comes) and 导出 is not offered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.core import actions
from bot.core.messages import Action, FilePart, Kind, Reply
from bot.core.platform import split_bytes
from bot.dingtalk import texts
from bot.dingtalk.presses import Signer
from bot.markdown import Block, escape, render

# DingTalk refuses a robot message whose text is over 20,000 bytes (errcode 460101); a little
# is kept back for the title and the JSON around it.
MAX_TEXT_BYTES = 19_000
VERTICAL_FROM = 3  # buttons side by side up to this many, else one under another
NEEDS_FILES = (Kind.EXPORT,)  # actions that bring only a file: offered where files can be sent

Payload = dict[str, Any]


@dataclass(frozen=True)
class Piece:
    """One message of a reply: Markdown text (within DingTalk's limit) with the actions under
    it, or a file to send."""

    text: str
    actions: tuple[Action, ...] = ()
    file: FilePart | None = None


def pieces(reply: Reply, files: bool) -> list[Piece]:
    """The messages that show `reply`, in order; with `files` False (no OpenAPI to send them)
    its files are left out, 导出 is not offered, and a reply of files only says so."""
    blocks = [b for b in render(reply) if files or b.file is None]
    if reply.feedback is not None and reply.notice and not reply.parts:
        # The thanks, with 👎's reasons as buttons under it; 已反馈 needs no button of its own.
        wanted = tuple(a for a in reply.feedback if not a.id.endswith(":0"))
        blocks = [Block(escape(reply.notice), (wanted,) if wanted else ())]
    if not blocks and any(isinstance(p, FilePart) for p in reply.parts):
        blocks.append(Block(escape(texts.NO_FILES)))
    if files and reply.notice and reply.parts and all(b.file is not None for b in blocks):
        blocks.insert(0, Block(escape(reply.notice)))  # 正在导出…: what the files are
    out: list[Piece] = []
    for block in blocks:
        if block.file is not None:
            out.append(Piece(block.text, file=block.file))
            continue
        texts_ = split_bytes(_line_breaks(block.text), MAX_TEXT_BYTES)
        offered = tuple(a for row in block.actions for a in row if _offered(a, files))
        out.extend(Piece(t) for t in texts_[:-1])
        out.append(Piece(texts_[-1], offered))
    return out


def payloads(reply: Reply, chat: str, signer: Signer) -> list[Payload]:
    """The sessionWebhook messages that show `reply` in `chat` (no files), in order."""
    return [webhook_payload(p, chat, signer) for p in pieces(reply, files=False)]


def webhook_payload(piece: Piece, chat: str, signer: Signer) -> Payload:
    """A piece as a sessionWebhook message: an ActionCard whose buttons are dtmd links, or Markdown."""
    if not piece.actions:
        return markdown(piece.text)
    buttons = [{"title": a.label, "actionURL": signer.link(a.label, a.id, chat)} for a in piece.actions]
    return action_card(piece.text, buttons)


def card_params(piece: Piece) -> dict[str, str]:
    """A piece as the card template's variables (DingTalk takes strings only): `title`,
    `markdown`, and `buttons`, a JSON list of {"text", "action"} that the template loops over,
    each button sending its `action` back as the callback's parameter."""
    buttons = [{"text": a.label, "action": a.id} for a in piece.actions]
    return {
        "title": texts.TITLE,
        "markdown": piece.text,
        "buttons": json.dumps(buttons, ensure_ascii=False),
    }


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


def _offered(action: Action, files: bool) -> bool:
    if action.kind in NEEDS_FILES and not files:
        return False
    return len(action.id.encode()) <= actions.MAX_ID_BYTES


def _line_breaks(text: str) -> str:
    """Line breaks as DingTalk's Markdown docs ask for them (two spaces before), so that every
    client shows them."""
    return text.replace("\n", "  \n")
