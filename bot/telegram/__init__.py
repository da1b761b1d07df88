"""The Telegram channel (python-telegram-bot 22): updates → core messages, replies → Telegram
HTML and inline keyboards."""
