"""The terminal channel, `reportbot chat`: a line typed → a core message; the core's reply →
plain text. As in the bot's private chat: follow-ups (`那蓝山县呢？`), 更多 for the next page,
全文 N for a whole passage, 来源 N for a report's outline. Also the plain-text answer that
`reportbot ask` prints.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import click

from bot.core import texts
from bot.core.conversation import Core
from bot.core.messages import (
    AnswerPart,
    FilePart,
    Kind,
    ListPart,
    Message,
    PassagePart,
    PreviewPart,
    Reply,
    ReportPart,
    StatsPart,
    TextPart,
    preview_text,
    stats_text,
)
from retrieval import texts as library_texts
from retrieval.library import Library
from retrieval.models import Answer, Hit

_MORE = re.compile(r"^(?:更多|更多结果|下一页|more|next)$", re.IGNORECASE)
_FULL = re.compile(r"^(?:全文|full)\s*(\d{1,2})$", re.IGNORECASE)
_SOURCE = re.compile(r"^(?:来源|source)\s*(\d{1,2})$", re.IGNORECASE)
_HELP = re.compile(r"^(?:帮助|help|\?|？)$", re.IGNORECASE)
QUIT = frozenset({"退出", "quit", "exit", "q"})
USER = 0  # the one user of a terminal, in its one chat


def citation(h: Hit) -> str:
    """issuer《title》（year） › section path, and the link a fetched report came from."""
    r = h.report
    parts = [library_texts.report_name(r), *h.passage.section]
    # After a space, at the end of the line: terminals make it clickable without the brackets.
    return " › ".join(parts) + (f" {r.url}" if r.url else "")


def answer_text(answer: Answer, color: bool = False) -> str:
    if answer.reply:
        return library_texts.reply(answer)
    if not answer.answered and not answer.missing:
        return library_texts.refusal(answer)  # (a comparison's sides with nothing say more than a refusal)
    first = library_texts.lead(answer)
    lines = [first] if first else []
    for group in answer.groups:
        lines.append(f"【{group.key}】")
        for h in group.hits:
            lines.extend(_hit_lines(h, color))
    if not answer.groups:
        for h in answer.hits:
            lines.extend(_hit_lines(h, color))
    lines.extend(library_texts.missing(answer, key) for key in answer.missing)
    if answer.other_years:
        lines.append(library_texts.other_years(answer))
    return "\n".join(lines)


def _hit_lines(h: Hit, color: bool) -> list[str]:
    quote = "".join(
        click.style(s.text, bold=True) if (s.match and color) else s.text for s in h.snippet.spans
    )
    return [f"[{h.rank}] “{quote}”", f"    —— {citation(h)}"]


class Conversation:
    """One user's chat on the core. `say` turns a line into the text to show; the last answer
    shown (with its actions) is what 更多, 全文 N and 来源 N act on."""

    def __init__(self, library: Library, core: Core | None = None) -> None:
        self.core = core or Core(library)
        self._last: AnswerPart | None = None  # the last answer with excerpts

    def say(self, line: str) -> str:
        """The reply to one line: a question (or a follow-up to the last one), or a command."""
        line = line.strip()
        if not line or _HELP.match(line):
            return texts.CHAT_HELP
        if _MORE.match(line):
            return self._press(Kind.MORE, None, texts.CHAT_NOTHING_BEFORE)
        if m := _FULL.match(line):
            return self._press(Kind.FULL, int(m.group(1)), texts.CHAT_NO_SUCH_HIT.format(n=m.group(1)))
        if m := _SOURCE.match(line):
            return self._press(Kind.SOURCE, int(m.group(1)), texts.CHAT_NO_SUCH_HIT.format(n=m.group(1)))
        return self._show(self.core.handle(Message(USER, USER, line)))

    def _press(self, kind: Kind, rank: int | None, otherwise: str) -> str:
        """Press the last answer's action of `kind` (of excerpt `rank`); `otherwise` if none."""
        action = self._last.action(kind, rank) if self._last else None
        if action is None:
            return texts.NO_MORE if kind == Kind.MORE and self._last else otherwise
        return self._show(self.core.handle(Message(USER, USER, press=action.id)))

    def _show(self, reply: Reply | None) -> str:
        if reply is None:
            return ""
        shown = [self._part(p) for p in reply.parts]
        text = "\n".join(t for t in shown if t)
        return text or reply.notice or ""

    def _part(self, part: object) -> str:
        if isinstance(part, AnswerPart):
            if part.excerpts:
                self._last = part
            text = answer_text(part.answer)
            if part.answer.hits:
                text += "\n" + (texts.CHAT_MORE_HINT if part.has_more else texts.CHAT_HINT)
            return text
        if isinstance(part, PassagePart):
            heading = " › ".join(part.passage.section) or library_texts.SECTION_OPENING
            return f"{heading}\n{part.passage.text}"
        if isinstance(part, ReportPart):
            r = part.report
            lines = [library_texts.report_name(r), texts.CHAT_SOURCE_FILE.format(source=r.url or r.source)]
            lines += [texts.OUTLINE_HEADER] + ["  " * (len(s) - 1) + s[-1] for s in part.outline]
            return "\n".join(lines)
        if isinstance(part, TextPart):
            return part.text
        if isinstance(part, ListPart):
            return "\n".join(library_texts.report_line(r) for r in part.reports)
        if isinstance(part, PreviewPart):
            return preview_text(part, len(part.outline))
        if isinstance(part, StatsPart):
            return stats_text(part)
        assert isinstance(part, FilePart)
        return ""  # files are for channels that can send them


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
