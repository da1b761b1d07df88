"""The core's replies as Markdown, for the platforms whose messages take it (WeCom, DingTalk,
Feishu's lark_md): one block per part, each with the action rows shown under it. A channel
turns the blocks into its own messages and cards and the actions into its own buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core import texts
from bot.core.messages import (
    AnswerPart,
    FilePart,
    ListPart,
    PassagePart,
    PreviewPart,
    Reply,
    ReportPart,
    Rows,
    StatsPart,
    TextPart,
    preview_text,
    stats_text,
)
from bot.terminal import answer_text, citation
from retrieval import texts as library_texts
from retrieval.models import Answer, Hit

# Characters Markdown would read as markup inside quoted report text.
PREVIEW_OUTLINE_LINES = 40  # sections of a preview's outline shown; then how many more there are
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~])")


@dataclass(frozen=True)
class Block:
    """One message's worth: Markdown text, the actions under it, and a file to send with it."""

    text: str
    actions: Rows = ()
    file: FilePart | None = None


def escape(text: str) -> str:
    """Report or user text with Markdown's markup characters escaped (shown as typed)."""
    return _MARKUP.sub(r"\\\1", text)


def render(reply: Reply) -> list[Block]:
    """The blocks of a reply, in order; a notice with no parts is a block of its own."""
    blocks = [_block(p) for p in reply.parts]
    if not blocks and reply.notice:
        blocks.append(Block(escape(reply.notice)))
    return blocks


def _block(part: object) -> Block:
    if isinstance(part, AnswerPart):
        # The answer's own line bold; the closest-passages line as plain text.
        first = part.lead
        head = [f"**{escape(first)}**" if part.answer.lead else escape(first)] if first else []
        if part.asked:
            head.append(f"*{escape(texts.QUESTION_LABEL)}{escape(part.asked)}*")
        return Block("\n\n".join([*head, answer_markdown(part.answer)]), part.actions)
    if isinstance(part, TextPart):
        return Block(escape(part.text), part.actions)
    if isinstance(part, PassagePart):
        heading = " › ".join(part.passage.section) or library_texts.SECTION_OPENING
        return Block(
            f"**{escape(library_texts.report_name(part.report))}**\n{escape(heading)}\n\n{escape(part.passage.text)}"
        )
    if isinstance(part, ReportPart):
        r = part.report
        lines = [
            f"**{escape(library_texts.report_name(r))}**",
            escape(texts.CHAT_SOURCE_FILE.format(source=r.url or r.source)),
        ]
        lines += [escape(texts.OUTLINE_HEADER)] + ["  " * (len(s) - 1) + escape(s[-1]) for s in part.outline]
        return Block("\n".join(lines))
    if isinstance(part, ListPart):
        pages = max(1, -(-part.total // max(part.size, 1)))
        page = part.offset // max(part.size, 1) + 1
        count = (
            texts.REPORTS_FOUND.format(words=part.words, n=part.total, page=page, pages=pages)
            if part.words
            else texts.REPORTS_HEADER.format(n=part.total, page=page, pages=pages)
        )
        lines = [escape(count), *(f"- {escape(library_texts.report_line(r))}" for r in part.reports)]
        return Block("\n".join(lines), part.actions)
    if isinstance(part, PreviewPart):
        return Block(_titled(preview_text(part, PREVIEW_OUTLINE_LINES)), part.actions)
    if isinstance(part, StatsPart):
        return Block(_titled(stats_text(part)))
    assert isinstance(part, FilePart)
    return Block(escape(part.name), file=part)


def _titled(text: str) -> str:
    """Plain text whose first line is a title: the title bold, everything escaped."""
    title, _, rest = text.partition("\n")
    return f"**{escape(title)}**\n{escape(rest)}" if rest else f"**{escape(title)}**"


def answer_markdown(answer: Answer) -> str:
    """An answer as Markdown: each excerpt quoted with its matched words bold, and its citation;
    a refusal or a reply about the collection as its sentences."""
    if answer.reply or (not answer.answered and not answer.missing):
        return escape(answer_text(answer))
    lines: list[str] = []
    for group in answer.groups:
        lines.append(f"**【{escape(group.key)}】**")
        lines.extend(_hit(h) for h in group.hits)
    if not answer.groups:
        lines.extend(_hit(h) for h in answer.hits)
    lines.extend(escape(library_texts.missing(answer, key)) for key in answer.missing)
    if answer.other_years:
        lines.append(escape(library_texts.other_years(answer)))
    return "\n\n".join(lines)


def _hit(h: Hit) -> str:
    quote = "".join(f"**{escape(s.text)}**" if s.match else escape(s.text) for s in h.snippet.spans)
    return f"{h.rank}. “{quote}”\n> —— {escape(citation(h))}"
