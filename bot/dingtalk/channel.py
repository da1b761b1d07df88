"""One DingTalk robot over the conversation core, whichever way its messages arrive (Stream mode
or the outgoing-robot HTTP mode): a robot message (the JSON DingTalk delivers) in, replies out
through the message's sessionWebhook.

The caller acknowledges a delivery first and hands it to `spawn`; the answer follows in a task of
its own. A message DingTalk delivers again (same msgId) is answered once. Private chats are all
questions; in a group only a message that @-mentions the robot (`isInAtList`) is answered, and
a button's press (a signed message, bot/dingtalk/presses.py) is taken wherever it comes from.
The core blocks (SQLite, the index), so it runs in a thread; sends keep under DingTalk's 20
messages a minute per chat, and a failed send is retried a few times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
from dingtalk_stream import ChatbotMessage

from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Message, Reply, TextPart
from bot.core.platform import Deduper, RateLimit, user_key
from bot.dingtalk import cards, texts
from bot.dingtalk.outbound import Hosts, InternalAddress
from bot.dingtalk.presses import Signer
from retrieval import texts as common

log = logging.getLogger(__name__)

CHANNEL = "dingtalk"
PER_CHAT = 20  # messages a robot may send a group in a minute (DingTalk throttles it 10 minutes past it)
PER_BOT = 600  # in all, so that one busy robot stays polite
SEND_TRIES = 3
SEND_TIMEOUT = 10.0
RETRIED_ERRCODES = frozenset({-1, 130101})  # busy; sent too fast


class SendError(RuntimeError):
    """A sessionWebhook refused a message for good (its errcode and errmsg)."""


class DingTalk:
    """Answers robot messages: shared by every chat of one robot."""

    def __init__(
        self,
        core: Core,
        secret: str,
        *,
        per_chat: int = PER_CHAT,
        per_bot: int = PER_BOT,
        rate: RateLimit | None = None,
        retry_delay: float = 1.0,
        clock: Callable[[], float] = time.time,
        admins: frozenset[str] = frozenset(),
        hosts: Hosts | None = None,
    ) -> None:
        self.core = core
        self.hosts = hosts or Hosts()  # where answers may go (sessionWebhooks are not trusted)
        self.admins = admins  # staff ids who may add reports by link (the core's admin flow)
        self.signer = Signer(secret)
        self.deduper = Deduper()
        self.rate = rate or RateLimit(per_chat, per_bot)
        self.retry_delay = retry_delay
        self.clock = clock
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- deliveries ----------------------------------------------------------------------------

    def spawn(self, data: dict[str, Any]) -> None:
        """Answer a delivered message in the background (the delivery is acknowledged at once)."""
        task = asyncio.get_running_loop().create_task(self.receive(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait until every message handed over so far is answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        await self.idle()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def receive(self, data: dict[str, Any]) -> None:
        """Answer one robot message (what DingTalk delivers), or stay silent."""
        try:
            incoming = ChatbotMessage.from_dict(data)
        except (KeyError, TypeError, ValueError, AttributeError):
            log.warning("a robot message that does not parse was ignored")
            return
        if not incoming.session_webhook or not incoming.conversation_id:
            log.warning("a robot message without a sessionWebhook or conversation was ignored")
            return
        if not self.hosts.permits(str(incoming.session_webhook)):
            log.warning("a message whose sessionWebhook is not DingTalk's (or the relay's) was ignored")
            return
        if not self.deduper.first_time(str(incoming.message_id or "")):
            log.info("a message delivered again was not answered again")
            return
        if _expired(incoming.session_webhook_expired_time, self.clock()):
            log.warning("a message whose sessionWebhook has expired was not answered")
            return
        try:
            reply = await self.reply_to(incoming)
        except Exception:
            log.exception("answering a message failed")
            reply = Reply([TextPart(core_texts.ERROR)])
        if reply is None:
            return
        chat = incoming.conversation_id
        for payload in cards.payloads(reply, chat, self.signer):
            try:
                await self.send(incoming.session_webhook, chat, payload)
            except (SendError, httpx.HTTPError, InternalAddress) as e:
                log.warning("a reply was not sent: %s", e)
                return

    async def reply_to(self, incoming: ChatbotMessage) -> Reply | None:
        """The core's reply to a robot message (None: stay silent)."""
        chat = str(incoming.conversation_id)
        private = incoming.conversation_type == "1"
        addressed = private or bool(incoming.is_in_at_list)
        staff = str(incoming.sender_staff_id or incoming.sender_id or "")
        user = user_key(CHANNEL, staff)
        admin = staff in self.admins
        chat_id = user_key(CHANNEL, chat)
        text = _text(incoming)
        if text is None:
            what = texts.MESSAGE_KINDS.get(str(incoming.message_type), core_texts.OTHER_MESSAGE)
            notice = core_texts.ONLY_TEXT.format(what=what, example=common.EXAMPLES[0])
            return Reply([TextPart(notice)]) if addressed else None
        press = self.signer.parse(text, chat)
        if press is not None:
            if press.action_id is None:
                return Reply(notice=core_texts.BUTTON_STALE, alert=True)
            message = Message(
                user, chat_id, press=press.action_id, private=private, addressed=addressed, admin=admin
            )
            return await asyncio.to_thread(self.core.handle, message)
        if not addressed:
            return None
        return await self.command(text.strip(), user, chat_id, private, admin)

    async def command(
        self, text: str, user: int, chat_id: int, private: bool, admin: bool = False
    ) -> Reply | None:
        """/help, /reports [words], /forget, /ask question, or else a question."""
        word, _, rest = text.partition(" ")
        word = word.lower()
        if text.lower() in texts.HELP_WORDS:
            return Reply([TextPart(texts.HELP)])
        if word == texts.REPORTS_COMMAND:
            part = await asyncio.to_thread(self.core.report_list, rest.strip())
            return Reply([part])
        if word == texts.FORGET_COMMAND:
            return await asyncio.to_thread(self.core.forget, chat_id, user)
        if word == texts.ASK_COMMAND:
            text = rest.strip()
        message = Message(user, chat_id, text=text, private=private, addressed=True, admin=admin)
        return await asyncio.to_thread(self.core.handle, message)

    # --- sending -------------------------------------------------------------------------------

    async def send(self, webhook: str, chat: str, payload: cards.Payload) -> None:
        """Post one message to a sessionWebhook: within the rate, retried when DingTalk is busy
        or the network fails, refused for good on any other errcode; a URL not under the allowed
        origins, or whose address is internal, is never posted to (SendError, InternalAddress)."""
        if not self.hosts.permits(webhook):
            raise SendError("the sessionWebhook is not under an allowed origin")
        while (delay := self.rate.wait(chat)) > 0:
            await asyncio.sleep(delay)
        http = self._client()
        for attempt in range(1, SEND_TRIES + 1):
            last = attempt == SEND_TRIES
            try:
                response = await http.post(webhook, json=payload)
            except httpx.TransportError:
                if last:
                    raise
                await asyncio.sleep(self.retry_delay * attempt)
                continue
            if response.status_code >= 500 and not last:
                await asyncio.sleep(self.retry_delay * attempt)
                continue
            response.raise_for_status()
            body = response.json()
            code = body.get("errcode", 0)
            if code == 0:
                return
            if code in RETRIED_ERRCODES and not last:
                await asyncio.sleep(self.retry_delay * attempt)
                continue
            raise SendError(f"errcode {code}: {body.get('errmsg', '')}")

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = self.hosts.client(SEND_TIMEOUT)
        return self._http


def _expired(expires_ms: object, now: float) -> bool:
    """Whether a sessionWebhookExpiredTime (ms) is past; one that is not a number counts as past."""
    if expires_ms is None or expires_ms == "":
        return False  # not every delivery carries one; the webhook itself refuses a dead session
    try:
        return float(str(expires_ms)) / 1000 < now
    except ValueError:
        return True


def _text(incoming: ChatbotMessage) -> str | None:
    """A message's text (a rich text's text parts joined); None for a picture, voice, file…"""
    if incoming.message_type == "text" and incoming.text is not None:
        return str(incoming.text.content or "")
    if incoming.message_type == "richText" and incoming.rich_text_content is not None:
        items = incoming.rich_text_content.rich_text_list or []
        return "".join(str(item.get("text", "")) for item in items if isinstance(item, dict))
    return None
