"""Buttons on DingTalk, two ways.

Interactive cards (Stream mode with a card template, bot/dingtalk/openapi.py): a press comes
back as a card callback naming the card's outTrackId. That id is made here: a nonce, the chat
(its conversation id, private or group, and the asker's staff id) and a MAC of them under a key
derived from the app secret, so the chat a press belongs to is read from the id itself (it
survives a restart) and an id made up or altered is refused.

dtmd links (the fallback: the HTTP mode, or no card template): a sessionWebhook can send
ActionCards, whose buttons only open a URL, so every button opens
`dtmd://dingtalkclient/sendMessage?content=…`, which makes the client send `content` into the
chat as the user's own message: the button's label, then the action's id and a MAC of (chat,
id), e.g. `👍 ⟦fb:12:1|Xy3…⟧`. That message comes back like any other; `parse` finds the press
in it and checks the MAC, so an id typed by hand, counted up or copied to another chat is
refused (an alert), never acted on. DingTalk passes a robot only the group messages that @ it,
so in a group such a press never arrives: there, cards are the way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import urllib.parse
from dataclasses import dataclass

from bot.dingtalk import texts
from bot.dingtalk.openapi import Space

SEND_MESSAGE = "dtmd://dingtalkclient/sendMessage?content="
MAC_CHARS = 11  # 64 bits in base64: unguessable
_PRESS = re.compile(
    re.escape(texts.PRESS_OPEN)
    + r"(.+)\|([A-Za-z0-9_-]{"
    + str(MAC_CHARS)
    + "})"
    + re.escape(texts.PRESS_CLOSE),
    re.S,
)


@dataclass(frozen=True)
class Press:
    """What a message holds as a press: the action's id, or None when it looked like a press
    but its MAC does not fit (forged, or made for another chat)."""

    action_id: str | None


class Signer:
    """Makes a button's message and checks one that comes back, for a chat."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"reportbot dingtalk press", hashlib.sha256).digest()

    def mac(self, chat: str, action_id: str) -> str:
        digest = hmac.new(self._key, f"{chat}\n{action_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]

    def content(self, label: str, action_id: str, chat: str) -> str:
        """The message a press of the button sends."""
        return f"{label} {texts.PRESS_OPEN}{action_id}|{self.mac(chat, action_id)}{texts.PRESS_CLOSE}"

    def link(self, label: str, action_id: str, chat: str) -> str:
        """The button's actionURL."""
        return SEND_MESSAGE + urllib.parse.quote(self.content(label, action_id, chat), safe="")

    def parse(self, text: str, chat: str) -> Press | None:
        """The press in a message from `chat`; None when the message is not a press at all."""
        found = _PRESS.search(text)
        if found is None:
            return None
        action_id, mac = found.groups()
        if not hmac.compare_digest(mac.encode(), self.mac(chat, action_id).encode()):
            return Press(None)
        return Press(action_id)

    def track_id(self, space: Space) -> str:
        """A new card's outTrackId: unique, naming `space`, signed."""
        fields = [
            secrets.token_urlsafe(9),
            "p" if space.private else "g",
            _b64(space.conversation),
            _b64(space.user),
        ]
        body = ".".join(fields)
        return f"{body}.{self.mac('card', body)}"

    def space_of(self, track_id: str) -> Space | None:
        """The chat a card's outTrackId names; None when it is not one of ours."""
        body, _, mac = track_id.rpartition(".")
        fields = body.split(".")
        if len(fields) != 4 or fields[1] not in ("p", "g"):
            return None
        if not hmac.compare_digest(mac.encode(), self.mac("card", body).encode()):
            return None
        try:
            conversation, user = _unb64(fields[2]), _unb64(fields[3])
        except ValueError:
            return None
        return Space(conversation, fields[1] == "p", user)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def content_of(link: str) -> str | None:
    """The message a button's actionURL sends (what the DingTalk client does on a press)."""
    if not link.startswith(SEND_MESSAGE):
        return None
    return urllib.parse.unquote(link[len(SEND_MESSAGE) :])
