"""Button presses that cannot be forged or enumerated.

Callback data is whatever the client sends back, so `more:<query id>:0` typed by hand would
page through another user's question. Every inline button the bot sends is therefore
signed on the way out: its data gets `|` and a MAC of (chat id, data) under a key derived
from the bot token. A press is checked before any handler sees it: a MAC that does not fit
the chat the press comes from (a forged id, a counted-up id, a button copied to another
chat, a malformed or unsigned press) gets a short alert and changes nothing. A fitting one
reaches the handlers with the plain data, so their patterns stay as they are.

The key comes from the token, so buttons stay valid across restarts and die with the token.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
from typing import Any

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, ExtBot

from bot.core import texts

SEPARATOR = "|"
MAC_CHARS = 11  # 64 bits in base64: unguessable, and room left in Telegram's 64-byte limit
_chat: contextvars.ContextVar[object] = contextvars.ContextVar("chat", default=None)


class Signer:
    """Signs and checks callback data for a chat."""

    def __init__(self, token: str) -> None:
        self._key = hmac.new(token.encode(), b"reportbot callback data", hashlib.sha256).digest()

    def mac(self, chat_id: object, data: str) -> str:
        digest = hmac.new(self._key, f"{chat_id}:{data}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]

    def sign(self, data: str, chat_id: object) -> str:
        return f"{data}{SEPARATOR}{self.mac(chat_id, data)}"

    def verify(self, signed: str | None, chat_id: object) -> str | None:
        """The plain data if `signed` was made for this chat, else None."""
        if not signed or SEPARATOR not in signed:
            return None
        data, _, mac = signed.rpartition(SEPARATOR)
        if not hmac.compare_digest(mac.encode(), self.mac(chat_id, data).encode()):
            return None
        return data

    def sign_keyboard(self, markup: InlineKeyboardMarkup, chat_id: object) -> InlineKeyboardMarkup:
        rows = [
            [
                _with_data(b, self.sign(b.callback_data, chat_id)) if isinstance(b.callback_data, str) else b
                for b in row
            ]
            for row in markup.inline_keyboard
        ]
        return InlineKeyboardMarkup(rows)

    def unsign_keyboard(self, markup: InlineKeyboardMarkup, chat_id: object) -> InlineKeyboardMarkup:
        """A keyboard this bot sent to `chat_id` (as a press brings it back) with its
        callback data plain again, ready to be edited and sent (and so signed) anew."""
        rows = []
        for row in markup.inline_keyboard:
            kept = []
            for b in row:
                if not isinstance(b.callback_data, str):
                    kept.append(b)
                elif (data := self.verify(b.callback_data, chat_id)) is not None:
                    kept.append(_with_data(b, data))
                # else: not signed for this chat, so no press on it could get through: dropped
            if kept:
                rows.append(kept)
        return InlineKeyboardMarkup(rows)


def _with_data(button: InlineKeyboardButton, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(button.text, callback_data=data)


class SigningBot(ExtBot[None]):
    """ExtBot that signs every inline keyboard it sends for the chat it sends it to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signer = Signer(self.token)  # underscored: a Bot's public attributes are frozen

    @property
    def signer(self) -> Signer:
        return self._signer

    async def _send_message(self, endpoint: str, data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        # Every method with a reply_markup passes here, the chat in `data`; _replace_keyboard,
        # called inside, sees it through the context variable.
        reset = _chat.set(data.get("chat_id"))
        try:
            return await super()._send_message(endpoint, data, *args, **kwargs)
        finally:
            _chat.reset(reset)

    def _replace_keyboard(self, reply_markup: Any) -> Any:
        markup = super()._replace_keyboard(reply_markup)
        if isinstance(markup, InlineKeyboardMarkup):
            return self.signer.sign_keyboard(markup, _chat.get())
        return markup


def pressed_in(query: CallbackQuery) -> object:
    """The chat a press comes from, as the keyboard was signed for it (None: inline mode)."""
    return query.message.chat.id if query.message is not None else None


async def check_press(update: Update, context: Any) -> None:
    """Runs before every button handler: lets through only presses signed for their chat,
    with the plain data; anything else gets an alert and goes no further."""
    query = update.callback_query
    if query is None:
        return
    bot = context.bot
    data = bot.signer.verify(query.data, pressed_in(query)) if isinstance(bot, SigningBot) else None
    if data is None:
        try:
            await query.answer(texts.BUTTON_STALE, show_alert=True)
        finally:
            raise ApplicationHandlerStop
    query._unfreeze()  # as PTB's own arbitrary_callback_data does
    query.data = data
    query._freeze()


async def unknown_press(update: Update, context: Any) -> None:
    """A signed press no handler took (a button of an older version of the bot)."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.BUTTON_STALE, show_alert=True)
