"""The Telegram application: every handler registered in one place, command menus, and
start-up by long polling or webhook."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    MessageEntity,
)
from telegram.error import BadRequest
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import admin, handlers
from bot.context import App, BotData, Context, UserLimiter
from retrieval import texts
from retrieval.config import Settings
from retrieval.library import Library

log = logging.getLogger(__name__)
# Updates handled at once. Answering is CPU-bound and runs in worker threads; more than a few
# in flight only lengthens httpx's connection-pool scans (measured: 8 → 96 answers/s,
# 256 → 82 answers/s in benchmarks/botload.py).
CONCURRENT_UPDATES = 8


def build_application(settings: Settings, library: Library) -> App:
    """An Application wired to `library`, talking to the Bot API at settings.api_base_url."""
    if settings.telegram_token is None:
        raise ValueError("REPORTBOT_TELEGRAM_TOKEN is not set")
    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_file_url)
        .context_types(ContextTypes(context=Context, bot_data=BotData))
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.rate_limiter:
        # Waits out Telegram's flood limits, and retries once after a 429's retry_after.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))  # type: ignore[arg-type]
    app: App = builder.build()  # type: ignore[assignment]
    app.bot_data.library = library
    app.bot_data.settings = settings
    app.bot_data.limiter = UserLimiter(settings.user_rate_per_minute)
    _register(app)
    return app


def _register(app: App) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    # Commands first: a command must never be taken for a question.
    app.add_handler(CommandHandler(["start", "help"], handlers.start))
    app.add_handler(CommandHandler("ask", handlers.ask_command))
    app.add_handler(CommandHandler("reports", handlers.reports_command))
    app.add_handler(CommandHandler("reindex", admin.reindex))
    app.add_handler(CommandHandler("delete", admin.delete))
    app.add_handler(CommandHandler("stats", admin.stats))
    # Files: only in private chats (in groups people share files with each other).
    app.add_handler(MessageHandler(filters.Document.ALL & private, admin.document))
    # A link from an admin in a private chat is a report to add; anyone else's is a question.
    admins = filters.User(user_id=app.bot_data.settings.admin_ids)
    has_link = (
        filters.Regex(admin.LINK)
        | filters.Entity(MessageEntity.URL)
        | filters.Entity(MessageEntity.TEXT_LINK)
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private & admins & has_link, admin.link))
    # Plain text: every message in private; only when addressed in groups.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & private, handlers.private_text))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & groups, handlers.group_text))
    app.add_handler(InlineQueryHandler(handlers.inline_query))
    app.add_handler(CallbackQueryHandler(handlers.more_button, pattern=r"^more:\d+:\d+$"))
    app.add_handler(CallbackQueryHandler(handlers.full_button, pattern=r"^full:\d+$"))
    app.add_handler(CallbackQueryHandler(handlers.source_button, pattern=r"^src:\d+$"))
    app.add_handler(CallbackQueryHandler(handlers.feedback_button, pattern=r"^fb:\d+:-?1$"))
    app.add_handler(CallbackQueryHandler(admin.upload_button, pattern=r"^up:[\w-]+:[yrkn]$"))
    app.add_handler(CallbackQueryHandler(admin.delete_button, pattern=r"^del:\d+:(ask|y|n)$"))
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


def webhook_options(settings: Settings, webhook_url: str) -> dict[str, Any]:
    """Keyword arguments for run_webhook / Updater.start_webhook from the settings."""
    secret = settings.webhook_secret
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": settings.webhook_path,
        "webhook_url": webhook_url,
        "secret_token": secret.get_secret_value() if secret else None,
    }


def run(settings: Settings, library: Library, webhook_url: str | None = None) -> None:
    """Serve until interrupted: long polling, or a webhook at `webhook_url`."""
    app = build_application(settings, library)
    if webhook_url:
        app.run_webhook(**webhook_options(settings, webhook_url))
    else:
        app.run_polling()
