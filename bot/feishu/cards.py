"""The core's replies as Feishu interactive cards: each Markdown block of bot.markdown a card
(a `markdown` element, then a row of buttons per action row, each button's value carrying
the action's opaque id), a block too long for one card split over several, the buttons on
the last."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.core.messages import Action, FilePart, Kind, Reply, Rows
from bot.core.platform import split_bytes
from bot.feishu import texts
from bot.markdown import render

# Feishu refuses a card message whose content is over 30 KB; the Markdown of one card is kept
# well under it, leaving room for JSON escaping and the buttons.
CARD_BYTES = 30 * 1024
TEXT_BYTES = 20_000
# The key of a button's value that carries the action id.
VALUE_KEY = "action"


@dataclass(frozen=True)
class Outgoing:
    """One message to send: a card's Markdown and its buttons, or a file."""

    text: str = ""
    rows: Rows = ()
    file: FilePart | None = None


def outgoing(reply: Reply) -> list[Outgoing]:
    """The messages of a reply in order: its blocks, a long one split, files on their own."""
    out: list[Outgoing] = []
    for block in render(reply):
        if block.file is not None:
            out.append(Outgoing(file=block.file))
            continue
        pieces = split_bytes(block.text or " ", TEXT_BYTES)
        for i, piece in enumerate(pieces):
            text = piece if i == 0 else f"{texts.CONTINUED}\n{piece}"
            out.append(Outgoing(text, block.actions if i == len(pieces) - 1 else ()))
    return out


def card(text: str, rows: Rows = ()) -> dict[str, Any]:
    """A card (JSON 1.0, shared so that an update shows to everyone in the chat)."""
    elements: list[dict[str, Any]] = [{"tag": "markdown", "content": text}]
    elements += [{"tag": "action", "actions": [_button(a) for a in row]} for row in rows if row]
    return {"config": {"wide_screen_mode": True, "update_multi": True}, "elements": elements}


def _button(action: Action) -> dict[str, Any]:
    return {
        "tag": "button",
        "text": {"tag": "plain_text", "content": action.label},
        "type": "primary" if action.kind == Kind.MORE else "default",
        "value": {VALUE_KEY: action.id},
    }


def content(card_: dict[str, Any]) -> str:
    """A card as a message's `content` string."""
    return json.dumps(card_, ensure_ascii=False, separators=(",", ":"))


def with_feedback(rows: Rows, feedback: tuple[Action, ...]) -> Rows:
    """`rows` with their feedback actions replaced by `feedback`, where the first of them was."""
    out: list[tuple[Action, ...]] = []
    placed = False
    for row in rows:
        kept: list[Action] = []
        for a in row:
            if a.kind != Kind.FEEDBACK:
                kept.append(a)
            elif not placed:
                kept.extend(feedback)
                placed = True
        if kept:
            out.append(tuple(kept))
    return tuple(out)
