"""The WeCom bot over its long connection: a question is acknowledged at once with a stream
message (正在查找……) that the answer's first piece then completes; further pieces and the
buttons' template cards follow as messages to the chat, within the per-chat and per-bot rates.
A button's press comes back as a `template_card_event`; feedback updates its card in place.
Files (来源's original, 导出) are uploaded (bot/wecom/media.py) and sent as file messages; an
admin's file is downloaded and decrypted for the core to preview.
Also `reportbot wecom [--callback]`, which starts this or the HTTP callback server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import OrderedDict
from typing import Any

import click
import httpx

from bot.core import intake
from bot.core import texts as core_texts
from bot.core.actions import is_feedback
from bot.core.conversation import Core
from bot.core.messages import Action, Message, Reply
from bot.core.platform import Deduper, RateLimit
from bot.runner import open_library
from bot.telegram import logs
from bot.wecom import handlers, media, texts
from bot.wecom.longconn import (
    MSG_CALLBACK,
    RESPOND,
    RESPOND_UPDATE,
    RESPOND_WELCOME,
    SEND,
    Frame,
    LongConnection,
    RefusedError,
    req_id,
)
from bot.wecom.render import BUTTONS_PER_CARD, Out, card, outgoing, with_feedback
from retrieval.config import Settings

log = logging.getLogger(__name__)

CARDS_REMEMBERED = 5000  # cards whose buttons a feedback press can still update
SEND_ATTEMPTS = 3
RECONNECT_WAIT = 30.0  # how long a send waits for the connection to come back


class WeComBot:
    """WeCom frames in, the core's replies out, over one LongConnection."""

    def __init__(self, core: Core, settings: Settings) -> None:
        self.core, self.settings = core, settings
        secret = settings.wecom_secret.get_secret_value() if settings.wecom_secret else ""
        self.connection = LongConnection(
            settings.wecom_ws_url,
            settings.wecom_bot_id,
            secret,
            self.on_frame,
            heartbeat=settings.wecom_heartbeat_seconds,
        )
        self.deduper = Deduper()
        self.rate = RateLimit(settings.wecom_chat_per_minute, settings.wecom_bot_per_minute)
        self.cards: OrderedDict[str, tuple[str, tuple[Action, ...]]] = OrderedDict()

    async def run(self) -> None:
        await self.connection.run()

    async def on_frame(self, frame: Frame) -> None:
        """One callback frame: a message or an event, each answered once (WeCom redelivers)."""
        body = frame.get("body") or {}
        inc = handlers.parse(body if isinstance(body, dict) else {})
        message = handlers.message_for(inc, self.settings.wecom_bot_name, self.settings.wecom_admin_ids)
        if message is None or not self.deduper.first_time(inc.msgid):
            return
        rid = str((frame.get("headers") or {}).get("req_id", ""))
        if frame.get("cmd") == MSG_CALLBACK:
            await self._answer_message(inc, message, rid)
        elif inc.event == "enter_chat":
            await self._request(
                RESPOND_WELCOME, {"msgtype": "text", "text": {"content": texts.welcome()}}, rid
            )
        else:
            await self._answer_press(inc, message, rid)

    async def _answer_message(self, inc: handlers.Incoming, message: Message, rid: str) -> None:
        """Acknowledge with a stream at once, fetch an admin's file, answer off the loop,
        complete the stream with the answer's first piece and send the rest."""
        report = inc.msgtype == "file" and intake.wanted(message.admin, message.private)
        working = core_texts.UPLOAD_WORKING if report else texts.THINKING
        stream = {"id": req_id("stream"), "finish": False, "content": working}
        await self._request(RESPOND, {"msgtype": "stream", "stream": stream}, rid)
        taken: Message | Reply = message
        if report:
            async with httpx.AsyncClient() as client:
                limit = intake.Limit.of(self.core.settings)
                taken = await media.take_file(client, message, inc.file_url, inc.file_aeskey, limit)
        if isinstance(taken, Reply):  # a file refused
            reply: Reply | None = taken
        else:
            reply = await asyncio.to_thread(handlers.respond, self.core, inc, taken)
        outs = outgoing(reply, files=True) if reply is not None else [Out(core_texts.RATE_LIMITED)]
        first = outs.pop(0) if outs and outs[0].markdown else Out(core_texts.ERROR)
        stream.update(finish=True, content=first.markdown)
        await self._request(RESPOND, {"msgtype": "stream", "stream": stream}, rid)
        await self._send_all(inc.chat, outs)

    async def _answer_press(self, inc: handlers.Incoming, message: Any, rid: str) -> None:
        """A press: feedback turns its card's feedback buttons in place; anything else is sent."""
        reply = await asyncio.to_thread(handlers.respond, self.core, inc, message)
        if reply is None:
            return
        if reply.feedback is not None and inc.task_id in self.cards:
            await self._update_card(inc.task_id, reply, rid)
        elif not reply.parts and reply.notice:
            await self._send_all(inc.chat, [Out(reply.notice)])
        await self._send_all(inc.chat, outgoing(Reply(reply.parts), files=True))

    async def _update_card(self, task_id: str, reply: Reply, rid: str) -> None:
        """The pressed card with its feedback buttons turned; when that is more than a card
        holds (👎's four reasons), the card keeps only the feedback and the rest follow anew."""
        chat, buttons = self.cards[task_id]
        new = with_feedback(buttons, reply.feedback or ())
        moved: tuple[Action, ...] = ()
        if len(new) > BUTTONS_PER_CARD:
            moved = tuple(b for b in buttons if not is_feedback(b.id))
            new = reply.feedback or ()
        self.cards[task_id] = (chat, new)
        body = {
            "response_type": "update_template_card",
            "template_card": card(new, task_id, reply.notice or ""),
        }
        await self._request(RESPOND_UPDATE, body, rid)
        if moved:
            await self._send_all(chat, [Out(buttons=moved)])

    async def _send_all(self, chat: str, outs: list[Out]) -> None:
        for out in outs:
            while (delay := self.rate.wait(chat)) > 0:
                await asyncio.sleep(delay)
            body: dict[str, Any]
            if out.file is not None:
                body = await self._file_body(out)
            elif out.buttons:
                task_id = f"rb_{os.urandom(8).hex()}"
                self.cards[task_id] = (chat, out.buttons)
                while len(self.cards) > CARDS_REMEMBERED:
                    self.cards.popitem(last=False)
                body = {
                    "msgtype": "template_card",
                    "template_card": card(out.buttons, task_id),
                }
            else:
                body = {"msgtype": "markdown", "markdown": {"content": out.markdown}}
            await self._request(SEND, {"chatid": chat, **body})

    async def _file_body(self, out: Out) -> dict[str, Any]:
        """A file message for `out`'s file, uploaded; a line saying it failed when WeCom would
        not take it."""
        assert out.file is not None
        try:
            media_id = await media.upload(self.connection.request, out.file.name, out.file.data)
        except (media.MediaError, RefusedError, ConnectionError, TimeoutError) as e:
            log.warning("uploading a file to WeCom failed: %s", type(e).__name__)
            failed = texts.FILE_FAILED.format(name=out.file.name)
            return {"msgtype": "markdown", "markdown": {"content": failed}}
        return {"msgtype": "file", "file": {"media_id": media_id}}

    async def _request(self, cmd: str, body: dict[str, Any], rid: str | None = None) -> None:
        """Send a frame; through a dropped connection, again once it is back (a few times)."""
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self.connection.request(cmd, body, rid)
                return
            except RefusedError as e:
                log.warning("WeCom refused %s: %s", cmd, e)
                return
            except (ConnectionError, TimeoutError) as e:
                log.warning("sending %s failed (%s), attempt %d", cmd, type(e).__name__, attempt + 1)
                try:
                    await asyncio.wait_for(self.connection.ready.wait(), RECONNECT_WAIT)
                except TimeoutError:
                    return


@click.command("wecom")
@click.option("--callback", is_flag=True, help="Take HTTP callbacks instead of the long connection.")
@click.pass_context
def wecom(ctx: click.Context, callback: bool) -> None:
    """Run the WeCom (企业微信) 智能机器人."""
    settings: Settings = ctx.obj["settings"]
    logs.setup(settings.log_level, settings.log_private)
    secrets = (settings.wecom_secret, settings.wecom_token, settings.wecom_encoding_aes_key)
    logs.hide(*(s.get_secret_value() for s in secrets if s is not None))
    if callback:
        if settings.wecom_token is None or settings.wecom_encoding_aes_key is None:
            raise click.ClickException("set REPORTBOT_WECOM_TOKEN and REPORTBOT_WECOM_ENCODING_AES_KEY")
    elif not settings.wecom_bot_id or settings.wecom_secret is None:
        raise click.ClickException("set REPORTBOT_WECOM_BOT_ID and REPORTBOT_WECOM_SECRET")
    library = open_library(ctx)
    core = Core(library)
    if callback:
        import uvicorn

        from bot.wecom.callback import create_app

        uvicorn.run(
            create_app(core, settings),
            host=settings.wecom_callback_listen,
            port=settings.wecom_callback_port,
            log_level=settings.log_level.lower(),
        )
        return
    bot = WeComBot(core, settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(bot.run())
