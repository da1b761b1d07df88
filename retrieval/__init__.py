"""Retrieval: turn report files into passages, index them, and answer questions with citations.

Nothing in this package imports telegram; the bot is one client of it, the CLI another.
"""
