"""One DingTalk robot over the conversation core, whichever way its messages arrive (Stream mode
or the outgoing-robot HTTP mode): a robot message (the JSON DingTalk delivers) in, replies out
through the message's sessionWebhook and, where the app's AppKey is set, the OpenAPI.

The caller acknowledges a delivery first and hands it to `spawn` (a robot message) or
`spawn_press` (an interactive card's callback, Stream mode); the answer follows in a task of its
own. A message DingTalk delivers again (same msgId, or the same callback frame) is answered
once. Private chats are all questions; in a group only a message that @-mentions the robot
(`isInAtList`) is answered, and a button's press (a card callback, or a signed message from a
dtmd link, bot/dingtalk/presses.py) is taken wherever it comes from.

With the OpenAPI (bot/dingtalk/openapi.py): a reply's buttons come as an interactive card when
a card template is set (Stream mode), its files (来源's original, 导出's Word and spreadsheet, a
chart) are uploaded and sent as files, and an admin's file in a private chat is downloaded
(at most the upload limit) and handed to the core, which previews it for adding. The core
blocks (SQLite, the index), so it runs in a thread; sends keep under DingTalk's 20 messages a
minute per chat, and a failed sessionWebhook send is retried a few times.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from dingtalk_stream import ChatbotMessage
from dingtalk_stream.card_callback import CardCallbackMessage

from bot.core import intake
from bot.core import texts as core_texts
from bot.core.conversation import Core
from bot.core.messages import Message, Reply, TextPart
from bot.core.platform import Deduper, RateLimit, user_key
from bot.dingtalk import cards, texts
from bot.dingtalk.openapi import ApiError, MediaTooBig, OpenApi, Space
from bot.dingtalk.outbound import Hosts, InternalAddress
from bot.dingtalk.presses import Signer

log = logging.getLogger(__name__)

CHANNEL = "dingtalk"
PER_CHAT = 20  # messages a robot may send a group in a minute (DingTalk throttles it 10 minutes past it)
PER_BOT = 600  # in all, so that one busy robot stays polite
SEND_TRIES = 3
SEND_TIMEOUT = 10.0
RETRIED_ERRCODES = frozenset({-1, 130101})  # busy; sent too fast
FAILURES = (httpx.HTTPError, InternalAddress, ApiError)


class SendError(RuntimeError):
    """A sessionWebhook refused a message for good (its errcode and errmsg)."""


@dataclass(frozen=True)
class Target:
    """Where a reply goes: a chat, and the sessionWebhook of the message it answers (None for
    the answer to a card's press, which goes through the OpenAPI)."""

    space: Space
    webhook: str | None = None


class DingTalk:
    """Answers robot messages and card presses: shared by every chat of one robot."""

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
        client_id: str = "",
        api_base: str = "https://api.dingtalk.com",
        oapi_base: str = "https://oapi.dingtalk.com",
        card_template: str = "",
    ) -> None:
        """`client_id` (the AppKey) turns on the OpenAPI: files both ways, and with
        `card_template` (Stream mode only: card callbacks arrive on the stream) cards."""
        self.core = core
        self.hosts = hosts or Hosts()  # where answers may go (sessionWebhooks are not trusted)
        self.admins = admins  # staff ids who may add reports by link or file (the core's admin flow)
        self.signer = Signer(secret)
        self.deduper = Deduper()
        self.rate = rate or RateLimit(per_chat, per_bot)
        self.retry_delay = retry_delay
        self.clock = clock
        self.api = (
            OpenApi(client_id, secret, self._client, api_base, oapi_base, clock, retry_delay)
            if client_id
            else None
        )
        self.card_template = card_template if self.api is not None else ""
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- deliveries ----------------------------------------------------------------------------

    def spawn(self, data: dict[str, Any]) -> None:
        """Answer a delivered message in the background (the delivery is acknowledged at once)."""
        self._start(self.receive(data))

    def spawn_press(self, data: dict[str, Any], frame_id: str = "") -> None:
        """Answer a card's press in the background (the callback is acknowledged at once)."""
        self._start(self.receive_press(data, frame_id))

    def _start(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
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
        space = Space(
            str(incoming.conversation_id),
            incoming.conversation_type == "1",
            str(incoming.sender_staff_id or ""),
        )
        await self.deliver(reply, Target(space, str(incoming.session_webhook)))

    async def receive_press(self, data: dict[str, Any], frame_id: str = "") -> None:
        """Answer a card's press (a callback naming the card and the button's action)."""
        if not self.deduper.first_time(f"card:{frame_id}" if frame_id else ""):
            log.info("a card callback delivered again was not answered again")
            return
        try:
            press = CardCallbackMessage.from_dict(data)
        except (TypeError, ValueError, AttributeError):
            log.warning("a card callback that does not parse was ignored")
            return
        space = self.signer.space_of(str(press.card_instance_id or ""))
        if space is None or self.api is None:
            log.warning("a press on a card that is not this robot's was ignored")
            return
        action = _action_of(press.content)
        staff = str(press.user_id or "")
        if space.private and staff != space.user:  # a private chat's card is its user's alone
            log.warning("a press on a private card by another user was ignored")
            return
        if action is None or not staff:
            reply: Reply | None = Reply(notice=core_texts.BUTTON_STALE, alert=True)
        else:
            message = Message(
                user_key(CHANNEL, staff),
                user_key(CHANNEL, space.conversation),
                press=action,
                private=space.private,
                addressed=True,
                admin=staff in self.admins,
            )
            try:
                reply = await asyncio.to_thread(self.core.handle, message)
            except Exception:
                log.exception("answering a press failed")
                reply = Reply([TextPart(core_texts.ERROR)])
        if reply is not None:
            await self.deliver(reply, Target(space))

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
            return await self.not_text(incoming, user, chat_id, private, addressed, admin)
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

    async def not_text(
        self, incoming: ChatbotMessage, user: int, chat_id: int, private: bool, addressed: bool, admin: bool
    ) -> Reply | None:
        """A picture, voice, file…: an admin's file in a private chat is fetched and goes to the
        core as a report to add; anything else gets the core's one line (in a group, only when
        addressed)."""
        kind = str(incoming.message_type)
        what = texts.MESSAGE_KINDS.get(kind, core_texts.OTHER_MESSAGE)
        base = Message(user, chat_id, other=what, private=private, addressed=addressed, admin=admin)
        if kind != "file" or not intake.wanted(admin, private) or self.api is None:
            return await asyncio.to_thread(self.core.handle, base)
        content = incoming.extensions.get("content")
        code = content.get("downloadCode") if isinstance(content, dict) else None
        name = content.get("fileName") if isinstance(content, dict) else None
        if not isinstance(code, str) or not code:
            return intake.failed()
        limit = intake.Limit.of(self.core.settings)
        try:
            data = await self.api.download(code, limit.bytes)
        except intake.TooBig as e:
            return intake.too_big(e.size, limit)
        except (intake.DownloadFailed, *FAILURES) as e:
            log.warning("an admin's file could not be downloaded: %s", type(e).__name__)
            return intake.failed()
        message = intake.file_message(base, data, str(name or "") or "upload" + intake.suffix_for(data))
        return await asyncio.to_thread(self.core.handle, message)

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

    async def deliver(self, reply: Reply, target: Target) -> None:
        """Send a reply's pieces in order: buttons as a card (cards on) or an ActionCard (by
        sessionWebhook), text by sessionWebhook or else the OpenAPI, files through the OpenAPI.
        The first failure stops the rest (a reply out of order is worse than a short one)."""
        space, webhook = target.space, target.webhook
        api = self.api if space.reachable else None
        for piece in cards.pieces(reply, files=api is not None):
            try:
                if piece.file is not None and api is not None:
                    await self._wait(space)
                    try:
                        await api.send_file(space, piece.file.name, piece.file.data)
                    except MediaTooBig:
                        await self._text(target, texts.FILE_TOO_BIG.format(name=piece.file.name))
                elif piece.actions and self.card_template and api is not None:
                    await self._wait(space)
                    track = self.signer.track_id(space)
                    await api.send_card(space, self.card_template, track, cards.card_params(piece))
                elif webhook is not None:
                    await self.send(
                        webhook,
                        space.conversation,
                        cards.webhook_payload(piece, space.conversation, self.signer),
                    )
                else:
                    await self._text(target, piece.text)
            except (SendError, *FAILURES) as e:
                log.warning("a reply was not sent: %s", _reason(e))
                return

    async def _text(self, target: Target, text: str) -> None:
        """A Markdown message: by sessionWebhook where there is one, else the OpenAPI."""
        if target.webhook is not None:
            await self.send(target.webhook, target.space.conversation, cards.markdown(text))
        elif self.api is not None:
            await self._wait(target.space)
            await self.api.send_markdown(target.space, texts.TITLE, text)

    async def _wait(self, space: Space) -> None:
        while (delay := self.rate.wait(space.conversation)) > 0:
            await asyncio.sleep(delay)

    # --- sending -------------------------------------------------------------------------------

    async def send(self, webhook: str, chat: str, payload: cards.Payload) -> None:
        """Post one message to a sessionWebhook: within the rate, retried when DingTalk is busy
        or the network fails, refused for good on any other errcode; a URL not under the allowed
        origins, or whose address is internal, is never posted to (SendError, InternalAddress)."""
        if not self.hosts.permits(webhook):
            raise SendError("the sessionWebhook is not under an allowed origin")
        await self._wait(Space(chat, False, ""))
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


def _action_of(content: object) -> str | None:
    """The action a card callback's button sent back (its `action` parameter)."""
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    params = private.get("params") if isinstance(private, dict) else None
    action = params.get("action") if isinstance(params, dict) else None
    return action if isinstance(action, str) and action else None


def _reason(e: BaseException) -> str:
    """A failure as one line without URLs (a sessionWebhook or a download link is a credential)."""
    if isinstance(e, (SendError, ApiError)):
        return str(e)
    return type(e).__name__


def _text(incoming: ChatbotMessage) -> str | None:
    """A message's text (a rich text's text parts joined); None for a picture, voice, file…"""
    if incoming.message_type == "text" and incoming.text is not None:
        return str(incoming.text.content or "")
    if incoming.message_type == "richText" and incoming.rich_text_content is not None:
        items = incoming.rich_text_content.rich_text_list or []
        return "".join(str(item.get("text", "")) for item in items if isinstance(item, dict))
    return None
