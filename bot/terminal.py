"""A conversation with the library outside Telegram: what `reportbot chat` (a terminal) and
`reportbot web` (a browser page) share with the bot's private chat — follow-ups (`那蓝山县呢？`),
更多 for the next page, 全文 N for a whole passage, 来源 N for a report's outline.

A `Conversation` turns one line the user typed into the text to show; it holds the little state a
chat needs (the last question and its page) and nothing else, so that each terminal or web
session has its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import click

from retrieval import texts
from retrieval.library import Library
from retrieval.models import Answer, Hit

_MORE = re.compile(r"^(?:更多|更多结果|下一页|more|next)$", re.IGNORECASE)
_FULL = re.compile(r"^(?:全文|full)\s*(\d{1,2})$", re.IGNORECASE)
_SOURCE = re.compile(r"^(?:来源|source)\s*(\d{1,2})$", re.IGNORECASE)
_HELP = re.compile(r"^(?:帮助|help|\?|？)$", re.IGNORECASE)
QUIT = frozenset({"退出", "quit", "exit", "q"})


def citation(h: Hit) -> str:
    """issuer《title》（year） › section path, and the link a fetched report came from."""
    r = h.report
    parts = [texts.report_name(r), *h.passage.section]
    # After a space, at the end of the line: terminals make it clickable without the brackets.
    return " › ".join(parts) + (f" {r.url}" if r.url else "")


def answer_text(answer: Answer, color: bool = False) -> str:
    if answer.reply:
        return texts.reply(answer)
    if not answer.answered and not answer.missing:
        return texts.refusal(answer)  # (a comparison's sides with nothing say more than a refusal)
    lines = []
    for group in answer.groups:
        lines.append(f"【{group.key}】")
        for h in group.hits:
            lines.extend(_hit_lines(h, color))
    if not answer.groups:
        for h in answer.hits:
            lines.extend(_hit_lines(h, color))
    lines.extend(texts.missing(answer, key) for key in answer.missing)
    if answer.other_years:
        lines.append(texts.other_years(answer))
    return "\n".join(lines)


def _hit_lines(h: Hit, color: bool) -> list[str]:
    quote = "".join(
        click.style(s.text, bold=True) if (s.match and color) else s.text for s in h.snippet.spans
    )
    return [f"[{h.rank}] “{quote}”", f"    —— {citation(h)}"]


@dataclass
class Conversation:
    """One user's chat with the library. `say` answers one line; `page` hits a page."""

    library: Library
    page: int = 3
    _question: str | None = None  # the last question answered, after follow-up resolution
    _offset: int = 0
    _hits: tuple[Hit, ...] = field(default=())

    def say(self, line: str) -> str:
        """The reply to one line: a question (or a follow-up to the last one), or a command."""
        line = line.strip()
        if not line:
            return texts.CHAT_HELP
        if _HELP.match(line):
            return texts.CHAT_HELP
        if _MORE.match(line):
            return self._more()
        if m := _FULL.match(line):
            return self._full(int(m.group(1)))
        if m := _SOURCE.match(line):
            return self._source(int(m.group(1)))
        return self.ask(line)

    def ask(self, line: str) -> str:
        """Answer `line` as a question, as a follow-up of the last question where it is one."""
        question = line
        if self._question is not None:
            question = self.library.follow_up(self._question, line) or line
        answer = self.library.ask(question, k=self.page + 1)
        if answer.hits:  # a greeting or a question about the collection is none to follow up
            self._question, self._offset = question, 0
        return self._show(answer)

    def _more(self) -> str:
        if self._question is None:
            return texts.CHAT_NOTHING_BEFORE
        offset = self._offset + self.page
        answer = self.library.ask(self._question, k=self.page + 1, offset=offset)
        if not answer.hits:
            return texts.NO_MORE
        self._offset = offset
        return self._show(answer)

    def _show(self, answer: Answer) -> str:
        # One hit more than shown tells whether there is a next page.
        has_more = len(answer.hits) > self.page
        shown = answer.hits[: self.page]
        self._hits = shown if answer.answered else self._hits
        text = answer_text(dataclasses.replace(answer, hits=shown))
        if answer.hits:
            text += "\n" + (texts.CHAT_MORE_HINT if has_more else texts.CHAT_HINT)
        return text

    def _hit(self, n: int) -> Hit | None:
        return next((h for h in self._hits if h.rank == n), None)

    def _full(self, n: int) -> str:
        hit = self._hit(n)
        if hit is None:
            return texts.CHAT_NO_SUCH_HIT.format(n=n)
        passage = self.library.passage(hit.passage.id)
        if passage is None:
            return texts.PASSAGE_GONE
        heading = " › ".join(passage.section) or texts.SECTION_OPENING
        return f"{heading}\n{passage.text}"

    def _source(self, n: int) -> str:
        hit = self._hit(n)
        if hit is None:
            return texts.CHAT_NO_SUCH_HIT.format(n=n)
        r = hit.report
        lines = [texts.report_name(r), texts.CHAT_SOURCE_FILE.format(source=r.url or r.source)]
        lines += [texts.OUTLINE_HEADER] + ["  " * (len(s) - 1) + s[-1] for s in self.library.outline(r.id)]
        return "\n".join(lines)


def run_terminal(library: Library, history: Path | None) -> None:
    """An interactive chat on the terminal, with line editing and history where readline is
    available (it is not on every platform, and the chat works without it)."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows
        readline = None  # type: ignore[assignment]
    if readline is not None and history is not None:
        with contextlib.suppress(OSError):  # no history yet
            readline.read_history_file(history)
    conversation = Conversation(library)
    print(texts.CHAT_WELCOME)
    try:
        while True:
            try:
                line = input(texts.CHAT_PROMPT)
            except EOFError:
                print()
                break
            if line.strip().lower() in QUIT:
                break
            print(conversation.say(line))
    except KeyboardInterrupt:
        print()
    finally:
        if readline is not None and history is not None:
            # A read-only home is no reason to fail on the way out.
            with contextlib.suppress(OSError):
                readline.set_history_length(1000)
                readline.write_history_file(history)
