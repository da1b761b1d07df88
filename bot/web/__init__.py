"""The web channel: a JSON API and a one-page chat (`reportbot web`)."""
