"""What a WeCom delivery means, in either mode: a callback body as `Incoming`, the core's
`Message` for it (None: stay silent), and the reply, from a command's handler or the core.
Handlers are registered once, in COMMANDS and EVENTS. Everything here blocks (the core)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.conversation import Core
from bot.core.messages import Message, Reply, TextPart
from bot.core.platform import user_key
from bot.wecom import texts

CHANNEL = "wecom"
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\S+)+\s*")


@dataclass(frozen=True)
class Incoming:
    """The fields of a 智能机器人 callback body this channel reads."""

    msgid: str
    msgtype: str
    user: str
    chat: str  # the group's chatid, or the user's id in a private chat (where WeCom sends replies)
    group: bool
    text: str = ""
    event: str = ""
    key: str = ""  # a pressed button's key
    task_id: str = ""
    response_url: str = ""
    file_url: str = ""  # a file message's download URL (the file encrypted)
    file_aeskey: str = ""  # its key, over the long connection (callbacks use EncodingAESKey)


def parse(body: dict[str, Any]) -> Incoming:
    """A callback body (as WeCom sends it over either mode) as Incoming; missing fields empty."""
    user = str(_obj(body.get("from")).get("userid", ""))
    group = body.get("chattype") == "group"
    msgtype = str(body.get("msgtype", ""))
    text = ""
    if msgtype == "text":
        text = str(_obj(body.get("text")).get("content", ""))
    elif msgtype == "mixed":  # text and pictures: the text items, in order
        items = _obj(body.get("mixed")).get("msg_item")
        text = "\n".join(
            str(_obj(i.get("text")).get("content", ""))
            for i in (items if isinstance(items, list) else [])
            if isinstance(i, dict) and i.get("msgtype") == "text"
        )
    attached = _obj(body.get("file")) if msgtype == "file" else {}
    event = _obj(body.get("event"))
    eventtype = str(event.get("eventtype", ""))
    pressed = _obj(event.get(eventtype))
    return Incoming(
        msgid=str(body.get("msgid", "")),
        msgtype=msgtype,
        user=user,
        chat=str(body.get("chatid") or user) if group else user,
        group=group,
        text=text,
        event=eventtype,
        key=str(pressed.get("event_key", "")),
        task_id=str(pressed.get("task_id", "")),
        response_url=str(body.get("response_url", "")),
        file_url=str(attached.get("url", "")),
        file_aeskey=str(attached.get("aeskey", "")),
    )


def _obj(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def message_for(inc: Incoming, bot_name: str = "", admins: frozenset[str] = frozenset()) -> Message | None:
    """The core's Message for a delivery; None when the bot stays silent (a group message not
    naming the bot, when its name is known; an event other than a press). A user among
    `admins` may add reports by link, as the core's admin flow allows."""
    if not inc.user:
        return None
    private = not inc.group
    admin = inc.user in admins
    base = Message(user_key(CHANNEL, inc.user), user_key(CHANNEL, inc.chat), private=private, admin=admin)
    if inc.msgtype == "event":
        if inc.event == "template_card_event" and inc.key:
            return Message(base.user_id, base.chat_id, press=inc.key, private=private, admin=admin)
        if inc.event == "enter_chat":
            return base
        return None
    text, addressed = inc.text, True
    if inc.group:
        if bot_name:
            addressed = f"@{bot_name}" in text
            text = text.replace(f"@{bot_name}", " ")
        text = _LEADING_MENTIONS.sub("", text)
    if inc.group and not addressed:
        return None
    return Message(
        base.user_id, base.chat_id, text=text.strip(), private=private, addressed=addressed, admin=admin
    )


def respond(core: Core, inc: Incoming, message: Message) -> Reply | None:
    """The reply to a delivery `message_for` let through."""
    if inc.msgtype == "event":
        handler = EVENTS.get(inc.event)
        return handler(core, inc, message) if handler else None
    if message.file is not None:  # an admin's report to add
        return core.handle(message)
    if inc.msgtype not in ("text", "mixed"):
        return Reply([TextPart(texts.only_text(inc.msgtype))])
    word, _, rest = message.text.partition(" ")
    command = COMMANDS.get(word.lower())
    if command is not None:
        return command(core, rest.strip(), message)
    return core.handle(message)


def on_press(core: Core, inc: Incoming, message: Message) -> Reply | None:
    """A template card's button pressed: the core answers its key."""
    return core.handle(message)


def on_enter(core: Core, inc: Incoming, message: Message) -> Reply | None:
    """A user opens the bot's private chat for the first time today: the welcome."""
    return Reply([TextPart(texts.welcome())])


def on_help(core: Core, words: str, message: Message) -> Reply | None:
    """/help, 帮助: how to ask."""
    return Reply([TextPart(texts.help_text())])


def on_reports(core: Core, words: str, message: Message) -> Reply | None:
    """/reports [words]: the report list, filtered by the words."""
    return Reply([core.report_list(words)])


def on_forget(core: Core, words: str, message: Message) -> Reply | None:
    """/forget: delete the user's logged questions and feedback."""
    return core.forget(message.chat_id, message.user_id)


Command = Callable[[Core, str, Message], "Reply | None"]
COMMANDS: dict[str, Command] = {
    "/help": on_help,
    "帮助": on_help,
    "/start": on_help,
    "/reports": on_reports,
    "/forget": on_forget,
}
EVENTS: dict[str, Callable[[Core, Incoming, Message], Reply | None]] = {
    "template_card_event": on_press,
    "enter_chat": on_enter,
}
