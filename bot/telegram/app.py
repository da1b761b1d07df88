"""The Telegram application: every handler registered in one place, command menus, and
start-up by long polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.core.conversation import Core
from bot.telegram import buttons, handlers, logs, texts
from bot.telegram.buttons import SigningBot
from bot.telegram.context import App, BotData, Context
from bot.telegram.delivery import FairProcessor, Retrying
from bot.telegram.webhook import start_server, webhook_secret
from retrieval.config import Settings
from retrieval.library import Library

log = logging.getLogger(__name__)
# Updates handled at once. Answering is CPU-bound and runs in worker threads; more than a few
# in flight only lengthens httpx's connection-pool scans (measured: 8 → 96 answers/s,
# 256 → 82 answers/s in benchmarks/botload.py).
CONCURRENT_UPDATES = 8
RETENTION_CHECK_SECONDS = 3600


def build_application(settings: Settings, library: Library) -> App:
    """An Application wired to `library`, talking to the Bot API at settings.api_base_url."""
    if settings.telegram_token is None:
        raise ValueError("REPORTBOT_TELEGRAM_TOKEN is not set")
    # AIORateLimiter waits out Telegram's flood limits (and a 429's retry_after); Retrying
    # around it retries what still fails (bot.delivery).
    pacing = AIORateLimiter(max_retries=2) if settings.rate_limiter else None
    bot = SigningBot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.api_base_url,
        base_file_url=settings.api_base_file_url,
        request=HTTPXRequest(connection_pool_size=256),  # ApplicationBuilder's defaults
        get_updates_request=HTTPXRequest(),
        rate_limiter=Retrying(pacing, settings.send_retry_seconds),  # type: ignore[arg-type]
    )
    builder = (
        Application.builder()
        .application_class(BotApplication)
        .bot(bot)
        .context_types(ContextTypes(context=Context, bot_data=BotData))
        .concurrent_updates(FairProcessor(CONCURRENT_UPDATES))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    app: App = builder.build()  # type: ignore[assignment]
    app.bot_data.library = library
    app.bot_data.settings = settings
    app.bot_data.core = Core(library, help_notes=(texts.INLINE_HELP,), settings=settings)
    _register(app)
    return app


def _register(app: App) -> None:
    """Every handler, in one place: messages and presses go to the core (bot.telegram.handlers)."""
    chats = filters.ChatType.PRIVATE | filters.ChatType.GROUPS
    # Every new message (text, commands, captions, files, voice, stickers …), not service
    # messages (members joining, a title changed).
    app.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL & chats, handlers.message)
    )
    app.add_handler(InlineQueryHandler(handlers.inline_query))
    # Every press is checked first: only buttons this bot signed for this chat get through.
    app.add_handler(CallbackQueryHandler(buttons.check_press), group=-1)
    app.add_handler(CallbackQueryHandler(handlers.press))
    app.add_error_handler(handlers.on_error)


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    """Let the answering threads go (the application is stopped: nothing new arrives)."""
    app.bot_data.answering.shutdown(wait=False, cancel_futures=True)


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    """Command menus per scope: private chats, groups, and each admin's private chat."""
    bot = app.bot
    settings: Settings = app.bot_data.settings

    def commands(pairs: tuple[tuple[str, str], ...]) -> list[BotCommand]:
        return [BotCommand(c, d) for c, d in pairs]

    await bot.set_my_commands(commands(texts.COMMANDS_PRIVATE), scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(commands(texts.COMMANDS_GROUP), scope=BotCommandScopeAllGroupChats())
    for admin_id in settings.admin_ids:
        try:
            await bot.set_my_commands(
                commands(texts.COMMANDS_PRIVATE + texts.COMMANDS_ADMIN),
                scope=BotCommandScopeChat(admin_id),
            )
        except BadRequest as e:  # an admin who never opened a chat with the bot
            log.warning("no command menu for admin %s: %s", admin_id, e)


class StartupError(Exception):
    """The bot cannot start; str() is one line saying what to do."""


async def check_telegram(settings: Settings) -> None:
    """Raise StartupError unless the Bot API answers and accepts the token."""
    assert settings.telegram_token is not None
    bot = Bot(settings.telegram_token.get_secret_value(), base_url=settings.api_base_url)
    try:
        async with bot:  # getMe
            pass
    except InvalidToken:
        raise StartupError(
            "Telegram rejected REPORTBOT_TELEGRAM_TOKEN: copy the token again from @BotFather"
        ) from None
    except (NetworkError, TelegramError) as e:
        raise StartupError(
            f"cannot reach the Bot API at {settings.api_base_url} ({logs.redact(str(e))}): "
            "check the network or REPORTBOT_API_BASE_URL"
        ) from None


class BotApplication(Application):  # type: ignore[type-arg]
    """The Application, with the bot's background job: deleting logged questions older than
    the retention setting, at start and then every RETENTION_CHECK_SECONDS."""

    _janitor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await super().start()
        self._janitor = asyncio.create_task(self._forget_old_questions())

    async def stop(self) -> None:
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._janitor
            self._janitor = None
        await super().stop()

    async def _forget_old_questions(self) -> None:
        data: BotData = self.bot_data  # type: ignore[assignment]
        while True:
            try:
                n = await asyncio.to_thread(data.library.purge_queries, data.settings.query_retention_days)
                if n:
                    log.info(
                        "deleted %d logged questions older than %g days",
                        n,
                        data.settings.query_retention_days,
                    )
            except Exception as e:  # a locked or full disk must not end the job
                log.warning("could not delete old logged questions: %s", e)
            await asyncio.sleep(RETENTION_CHECK_SECONDS)


def webhook_options(settings: Settings, webhook_url: str, secret: str) -> dict[str, Any]:
    """What setWebhook is called with: the public URL and the secret Telegram must send."""
    return {"url": webhook_url, "secret_token": secret}


async def serve_webhook(app: App, settings: Settings, webhook_url: str, stop: asyncio.Event) -> None:
    """Receive updates at webhook_url (through a reverse proxy to our port) until `stop`."""
    secret = webhook_secret(settings)
    logs.hide(secret)
    async with app:
        await _post_init(app)
        await app.bot.set_webhook(**webhook_options(settings, webhook_url, secret))
        await app.start()
        server = start_server(app, settings, secret)
        log.info("webhook: listening on %s:%s", settings.webhook_listen, settings.webhook_port)
        try:
            await stop.wait()
        finally:
            server.stop()
            await app.stop()
            await _post_shutdown(app)


def run(settings: Settings, library: Library, webhook_url: str | None = None) -> None:
    """Serve until interrupted: long polling, or a webhook at `webhook_url`."""
    app = build_application(settings, library)
    if not webhook_url:
        app.run_polling()
        return

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_webhook(app, settings, webhook_url, stop)

    asyncio.run(main())
