"""The core's replies as WeCom messages: each block's Markdown in pieces within WeCom's byte
limit, then its actions as `button_interaction` template cards of at most six buttons; a file
as a file to upload where the mode can (the long connection), else named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.actions import is_feedback
from bot.core.messages import Action, FilePart, Reply
from bot.core.platform import split_bytes
from bot.markdown import escape, render
from bot.wecom import texts

# A 智能机器人's stream / markdown content: at most 20480 bytes of UTF-8 (WeCom's 回复消息 docs).
MARKDOWN_BYTES = 20480
# A template card's button_list holds at most 6 buttons.
BUTTONS_PER_CARD = 6


@dataclass(frozen=True)
class Out:
    """One WeCom message: Markdown text, (when `buttons`) a card of buttons, or a file."""

    markdown: str = ""
    buttons: tuple[Action, ...] = ()
    file: FilePart | None = None


def outgoing(reply: Reply, files: bool = False) -> list[Out]:
    """A reply's messages in order; a file to upload when `files`, else named (the callback
    mode has no upload)."""
    out: list[Out] = []
    for block in render(reply):
        text = block.text
        if block.file is not None and files:
            out.append(Out(file=block.file))
            text = ""
        elif block.file is not None:
            text = escape(texts.FILE_NOT_SENT.format(name=block.file.name))
        out.extend(Out(piece) for piece in split_bytes(text, MARKDOWN_BYTES) if piece.strip())
        buttons = [a for row in block.actions for a in row]
        out.extend(
            Out(buttons=tuple(buttons[i : i + BUTTONS_PER_CARD]))
            for i in range(0, len(buttons), BUTTONS_PER_CARD)
        )
    return out


def card(buttons: tuple[Action, ...], task_id: str, note: str = "") -> dict[str, Any]:
    """A button_interaction template card; a press comes back as its button's key."""
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": texts.CARD_TITLE},
        "button_list": [{"text": a.label, "style": 1, "key": a.id} for a in buttons],
        "task_id": task_id,
    }
    if note:
        body["sub_title_text"] = note
    return body


def joined(outs: list[Out], limit: int = MARKDOWN_BYTES) -> str:
    """All of a reply's text as one Markdown message within `limit` bytes (callback mode's
    response_url takes one message), cut with a note where it does not fit."""
    text = "\n\n".join(o.markdown for o in outs if o.markdown)
    pieces = split_bytes(text, limit - len(texts.CUT.encode()) - 2)
    return pieces[0] if len(pieces) == 1 else pieces[0] + "\n\n" + texts.CUT


def with_feedback(buttons: tuple[Action, ...], feedback: tuple[Action, ...]) -> tuple[Action, ...]:
    """A card's buttons with its feedback buttons turned into `feedback`, where they were."""
    at = next((i for i, b in enumerate(buttons) if is_feedback(b.id)), len(buttons))
    kept = [b for b in buttons if not is_feedback(b.id)]
    return (*kept[:at], *feedback, *kept[at:])
