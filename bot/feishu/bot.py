"""The Feishu channel between the platform's events and the core, for both ways events
arrive (the long connection, bot/feishu/longconn.py; HTTP, bot/feishu/http.py): a v2 event
(`{"schema": "2.0", "header": {...}, "event": {...}}`) in, core Messages out to the core,
its Replies back as interactive cards.

- im.message.receive_v1: a private chat's message, or a group message that @-mentions the
  bot (others are ignored), is answered in a worker thread, as replies to it; the event's
  handler returns at once (the platform redelivers events not acknowledged in time).
- card.action.trigger: a button press must be answered within 3 seconds; the press waits for
  the core at most PRESS_WAIT and answers with the toast and the updated card; a press that
  takes longer is answered `正在处理……` and its card updated through the API when done.
  Anything else the press brings (a passage, a file, a new answer) follows as messages.

A delivery seen before (same event_id or message_id) is answered once; sends are paced
under the platform's rates (5 a second to one chat, 50 a second in all).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.core import intake
from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Message, Reply, TextPart
from bot.core.platform import Deduper, RateLimit, user_key
from bot.feishu import cards
from bot.feishu import texts as feishu_texts
from bot.feishu.api import Api, FeishuError, send_uuid
from retrieval import texts

log = logging.getLogger(__name__)

CHANNEL = "feishu"
MESSAGE_EVENT = "im.message.receive_v1"
PRESS_EVENT = "card.action.trigger"
# How long a press waits for the core before it is answered `正在处理……` (Feishu allows 3 s).
PRESS_WAIT = 1.5
# The platform's rates for a bot: messages to one chat, and in all, per second.
PER_CHAT, PER_BOT = 5, 50
MAX_ACTION_ID = 256
_MENTION_KEY = re.compile(r"@_user_\d+")


@dataclass(frozen=True)
class Incoming:
    """A message event, as much of it as the bot uses."""

    event_id: str
    message_id: str
    chat_id: str
    private: bool
    user: str
    kind: str  # message_type: text, post, image, …
    text: str
    mentioned: bool
    file_key: str = ""  # a file message's
    file_name: str = ""


@dataclass(frozen=True)
class Press:
    """A card button press: who, where, on which message, and the action id it carries."""

    event_id: str
    user: str
    chat_id: str
    message_id: str
    action: str


def parse_message(header: dict[str, Any], event: dict[str, Any], bot_open_id: str) -> Incoming | None:
    """The message of an im.message.receive_v1 event; None when it has none (not a user's)."""
    message = event.get("message") or {}
    sender = event.get("sender") or {}
    user = ((sender.get("sender_id") or {}).get("open_id")) or ""
    if not message.get("message_id") or not user or sender.get("sender_type", "user") != "user":
        return None
    mentions = message.get("mentions") or []
    mentioned = any((m.get("id") or {}).get("open_id") == bot_open_id for m in mentions if bot_open_id)
    kind = message.get("message_type") or ""
    file_key, file_name = message_file(kind, message.get("content") or "")
    return Incoming(
        event_id=str(header.get("event_id") or ""),
        message_id=str(message["message_id"]),
        chat_id=str(message.get("chat_id") or ""),
        private=message.get("chat_type") == "p2p",
        user=str(user),
        kind=kind,
        text=message_text(kind, message.get("content") or ""),
        mentioned=mentioned,
        file_key=file_key,
        file_name=file_name,
    )


def message_file(kind: str, content: str) -> tuple[str, str]:
    """A file message's (file_key, file_name); ("", "") for any other message."""
    if kind != "file":
        return "", ""
    try:
        body = json.loads(content)
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("file_key") or ""), str(body.get("file_name") or "")


def message_text(kind: str, content: str) -> str:
    """The words of a text or post (rich text) message, without @-mention placeholders."""
    try:
        body = json.loads(content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    if kind == "text":
        words = str(body.get("text") or "")
    elif kind == "post":
        # A received post is {"title", "content": [[{"tag": "text", "text": …}, …], …]}.
        lines = [str(body.get("title") or "")]
        for paragraph in body.get("content") or []:
            if isinstance(paragraph, list):
                lines.append(
                    "".join(
                        str(el.get("text") or "")
                        for el in paragraph
                        if isinstance(el, dict) and el.get("tag") in ("text", "a", "code_block")
                    )
                )
        words = "\n".join(line for line in lines if line)
    else:
        return ""
    return _MENTION_KEY.sub(" ", words).strip()


def parse_press(header: dict[str, Any], event: dict[str, Any]) -> Press | None:
    """The press of a card.action.trigger event; None when it carries no action id of ours."""
    value = (event.get("action") or {}).get("value")
    action = value.get(cards.VALUE_KEY) if isinstance(value, dict) else None
    user = (event.get("operator") or {}).get("open_id")
    context = event.get("context") or {}
    if not isinstance(action, str) or not action or len(action) > MAX_ACTION_ID or not user:
        return None
    return Press(
        event_id=str(header.get("event_id") or ""),
        user=str(user),
        chat_id=str(context.get("open_chat_id") or ""),
        message_id=str(context.get("open_message_id") or ""),
        action=action,
    )


def toast(text: str, alert: bool = False) -> dict[str, Any]:
    """A card.action.trigger answer that shows `text` as a toast."""
    return {"toast": {"type": "warning" if alert else "info", "content": text}}


class _Answer:
    """A press's answer, handed from the worker to the waiting handler if it is still waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._late = False
        self.response: dict[str, Any] = {}

    def offer(self, response: dict[str, Any]) -> bool:
        """Give the answer; False when the handler has stopped waiting (the worker then does
        the card's update itself)."""
        with self._lock:
            if self._late:
                return False
            self.response = response
            self._ready.set()
            return True

    def wait(self, timeout: float) -> dict[str, Any] | None:
        """The answer, or None when it is not ready within `timeout` (it is then too late)."""
        self._ready.wait(timeout)
        with self._lock:
            if self._ready.is_set():
                return self.response
            self._late = True
            return None


class _Cards:
    """The cards sent lately, by message id: a press on one names only the message, and a
    feedback press changes only the feedback buttons of what it shows."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._cards: OrderedDict[str, cards.Outgoing] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, message_id: str, card: cards.Outgoing) -> None:
        with self._lock:
            self._cards[message_id] = card
            self._cards.move_to_end(message_id)
            while len(self._cards) > self.size:
                self._cards.popitem(last=False)

    def get(self, message_id: str) -> cards.Outgoing | None:
        with self._lock:
            return self._cards.get(message_id)


class FeishuBot:
    """The bot: events in, the core's replies out through the Api."""

    def __init__(self, core: Core, api: Api, admins: frozenset[str] = frozenset(), workers: int = 4) -> None:
        self.core, self.api, self.admins = core, api, admins
        self.bot_open_id = ""
        self.deduper = Deduper()
        # A window a little over the platform's second: sends that leave evenly paced may
        # still arrive bunched.
        self.rate = RateLimit(PER_CHAT, PER_BOT, window=1.1)
        self.cards = _Cards()
        self.press_wait = PRESS_WAIT
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="feishu")
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._commands: dict[str, Callable[[Incoming, str], Reply | None]] = {
            "/help": self._help,
            "/start": self._help,
            "帮助": self._help,
            "/reports": self._reports,
            "/forget": self._forget,
            "/ask": self._ask,
        }

    def start(self) -> None:
        """Learn the bot's open_id (to recognise its @-mentions); raises FeishuError."""
        self.bot_open_id = self.api.bot_open_id()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every event taken has been answered; False if `timeout` passed first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                pending = [f for f in self._pending if not f.done()]
            if not pending:
                return True
            time.sleep(0.01)
        return False

    # --- events ------------------------------------------------------------------------------

    def on_event(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Handle a v2 event; the answer the platform gets back (a press's toast and card)."""
        header = payload.get("header") or {}
        event = payload.get("event") or {}
        kind = header.get("event_type")
        if kind == MESSAGE_EVENT:
            self.on_message(header, event)
            return None
        if kind == PRESS_EVENT:
            return self.on_press(header, event)
        log.info("feishu event %s ignored", kind)
        return None

    def on_message(self, header: dict[str, Any], event: dict[str, Any]) -> None:
        """A message: answered in a worker if it is for the bot and not seen before."""
        incoming = parse_message(header, event, self.bot_open_id)
        if incoming is None or (not incoming.private and not incoming.mentioned):
            return
        first = [self.deduper.first_time(k) for k in (f"e:{incoming.event_id}", f"m:{incoming.message_id}")]
        if not all(first):
            log.info("feishu message %s delivered again: answered once", incoming.message_id)
            return
        self._submit(self._answer_message, incoming)

    def on_press(self, header: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        """A button press: its toast and updated card within `press_wait` seconds, else a
        toast that it is being worked on; the rest follows."""
        press = parse_press(header, event)
        if press is None:
            return toast(core_texts.BUTTON_STALE, alert=True)
        if not self.deduper.first_time(f"e:{press.event_id}"):
            return {}
        answer = _Answer()
        self._submit(self._answer_press, press, answer)
        response = answer.wait(self.press_wait)
        return response if response is not None else toast(feishu_texts.WORKING)

    # --- the work, in worker threads ---------------------------------------------------------

    def _submit(self, work: Callable[..., None], *args: Any) -> None:
        future = self._pool.submit(self._guarded, work, *args)
        with self._lock:
            self._pending = {f for f in self._pending if not f.done()}
            self._pending.add(future)

    def _guarded(self, work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except Exception as e:  # logged without the user's words
            log.error("feishu %s failed: %s", work.__name__, type(e).__name__, exc_info=log.isEnabledFor(10))

    def _answer_message(self, incoming: Incoming) -> None:
        """Answer one message: a command, a question, or a word that only text is read."""
        try:
            reply = self._reply_to(incoming)
        except Exception:
            log.exception("feishu: the core failed on a message")
            reply = Reply([TextPart(core_texts.ERROR)])
        if reply is not None:
            self._deliver(reply, incoming.chat_id, incoming.message_id, incoming.message_id)

    def _reply_to(self, incoming: Incoming) -> Reply | None:
        if incoming.kind == "file" and incoming.file_key:
            return self._file(incoming)
        if incoming.kind not in ("text", "post"):
            what = feishu_texts.MESSAGE_KINDS.get(incoming.kind, core_texts.OTHER_MESSAGE)
            return Reply([TextPart(core_texts.ONLY_TEXT.format(what=what, example=texts.EXAMPLES[0]))])
        word, _, rest = incoming.text.partition(" ")
        command = self._commands.get(word.strip().lower())
        if command is not None:
            return command(incoming, rest.strip())
        return self.core.handle(self._message(incoming, incoming.text))

    def _file(self, incoming: Incoming) -> Reply | None:
        """A file: an admin's, in a private chat, fetched (at most the upload limit) for the
        core to read and preview; anyone else's answered without fetching it."""
        base = self._message(incoming, "")
        if not intake.wanted(base.admin, base.private):
            return self.core.handle(dataclasses.replace(base, other=core_texts.FILE))
        limit = intake.Limit.of(self.core.settings)
        try:
            data = self.api.download(incoming.message_id, incoming.file_key, limit.bytes)
        except intake.TooBig as e:
            return intake.too_big(e.size, limit)
        except FeishuError as e:
            log.warning("feishu file download failed: %s", e.code)
            return intake.failed()
        return self.core.handle(intake.file_message(base, data, incoming.file_name))

    def _message(self, incoming: Incoming, text: str) -> Message:
        return Message(
            user_key(CHANNEL, incoming.user),
            user_key(CHANNEL, incoming.chat_id),
            text=text,
            private=incoming.private,
            addressed=incoming.private or incoming.mentioned,
            admin=incoming.user in self.admins,
        )

    def _help(self, incoming: Incoming, words: str) -> Reply:
        """/help: how to ask, here."""
        return Reply([TextPart(feishu_texts.HELP)])

    def _reports(self, incoming: Incoming, words: str) -> Reply:
        """/reports [words]: the report list, ten a page."""
        return Reply([self.core.report_list(words)])

    def _forget(self, incoming: Incoming, words: str) -> Reply:
        """/forget: delete the user's logged questions and feedback."""
        return self.core.forget(user_key(CHANNEL, incoming.chat_id), user_key(CHANNEL, incoming.user))

    def _ask(self, incoming: Incoming, words: str) -> Reply | None:
        """/ask question: the question (as in a group, where the command addresses the bot)."""
        if not words:
            return Reply([TextPart(core_texts.ASK_USAGE.format(example=texts.EXAMPLES[0]))])
        return self.core.handle(self._message(incoming, words))

    def _answer_press(self, press: Press, answer: _Answer) -> None:
        """Answer a press: the toast and the pressed card's update (handed to the waiting
        handler, or made through the API when it is too late), then any new messages."""
        message = Message(
            user_key(CHANNEL, press.user),
            user_key(CHANNEL, press.chat_id),
            press=press.action,
            admin=press.user in self.admins,
        )
        try:
            reply = self.core.handle(message) or Reply()
        except Exception:
            log.exception("feishu: the core failed on a press")
            reply = Reply(notice=core_texts.ERROR, alert=True)
        rest = cards.outgoing(Reply(reply.parts))
        updated: cards.Outgoing | None = None
        if reply.edit and rest and rest[0].file is None:
            updated, rest = rest[0], rest[1:]
        elif reply.feedback is not None:
            shown = self.cards.get(press.message_id)
            if shown is not None:
                updated = cards.Outgoing(shown.text, cards.with_feedback(shown.rows, reply.feedback))
        response = toast(reply.notice, reply.alert) if reply.notice else {}
        if updated is not None:
            self.cards.remember(press.message_id, updated)
            response["card"] = {"type": "raw", "data": cards.card(updated.text, updated.rows)}
        if not answer.offer(response) and updated is not None:
            self._pace(press.chat_id)
            self.api.update_card(press.message_id, cards.content(response["card"]["data"]))
        if rest:
            self._send_all(rest, press.chat_id, press.message_id, press.event_id)

    # --- sending -----------------------------------------------------------------------------

    def _deliver(self, reply: Reply, chat_id: str, reply_to: str, delivery: str) -> None:
        self._send_all(cards.outgoing(reply), chat_id, reply_to, delivery)

    def _send_all(self, messages: list[cards.Outgoing], chat_id: str, reply_to: str, delivery: str) -> None:
        """Send messages in order, each a reply to `reply_to`; one that fails is logged and
        the rest still go (a file that fails is said so in a message)."""
        for n, out in enumerate(messages):
            try:
                self._send(out, chat_id, reply_to, send_uuid(delivery, n))
            except FeishuError as e:
                log.error("feishu send failed: %s", e)
                if out.file is not None:
                    failed = cards.Outgoing(feishu_texts.FILE_FAILED.format(name=out.file.name))
                    try:
                        self._send(failed, chat_id, reply_to, send_uuid(delivery, n) + "f")
                    except FeishuError as again:
                        log.error("feishu send failed: %s", again)

    def _send(self, out: cards.Outgoing, chat_id: str, reply_to: str, uuid: str) -> None:
        self._pace(chat_id)
        if out.file is not None:
            key = self.api.upload_file(out.file.name, out.file.data)
            self._pace(chat_id)
            self._post(chat_id, reply_to, "file", json.dumps({"file_key": key}), uuid)
            return
        message_id = self._post(
            chat_id, reply_to, "interactive", cards.content(cards.card(out.text, out.rows)), uuid
        )
        self.cards.remember(message_id, out)

    def _post(self, chat_id: str, reply_to: str, msg_type: str, content: str, uuid: str) -> str:
        if reply_to:
            return self.api.reply(reply_to, msg_type, content, uuid)
        return self.api.send(chat_id, msg_type, content, uuid)

    def _pace(self, chat_id: str) -> None:
        """Wait until a send to `chat_id` keeps within the platform's rates."""
        while (delay := self.rate.wait(chat_id)) > 0:
            time.sleep(delay)
