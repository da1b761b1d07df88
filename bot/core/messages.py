"""What goes into the core and what comes out: a message from any channel, and a reply made of
parts with its actions as data. No channel's types here; channels translate to and from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.core import texts
from retrieval import texts as library_texts
from retrieval.models import Answer, Hit, Passage, Report


class Kind(Enum):
    """What pressing an action does (channels lay actions out by it; the id is opaque)."""

    FULL = "full"  # the whole passage
    SOURCE = "source"  # the report's original file and outline
    EXPORT = "export"  # the answer as a Word file
    MORE = "more"  # the next page, in place
    PREVIOUS = "previous"  # the page before, in place
    YEAR = "year"  # the question asked for another year
    PLACE = "place"  # the question asked of one of the places a name may be
    FEEDBACK = "feedback"  # 👍 / 👎, the reasons after a 👎, and 已反馈
    PAGE = "page"  # another page of a report list, in place
    PICK = "pick"  # a report picked from a list, to delete
    CONFIRM = "confirm"  # an admin's choice: add / replace / keep both / delete, or cancel


@dataclass(frozen=True)
class Action:
    """A button: its label, the opaque id that comes back when it is pressed, what it does,
    and what it is about (a passage id for FULL, a report id for SOURCE, else 0)."""

    label: str
    id: str
    kind: Kind
    target: int = 0


Rows = tuple[tuple[Action, ...], ...]


@dataclass(frozen=True)
class Message:
    """One thing a user did, in any channel: text (a question, a link, or a command such as
    `/reports 秀山`), a file (its bytes and name), or a press of an action. `private` is a
    one-to-one chat; in a group only a message that `addressed` the bot (mentioned it,
    replied to it, a command) is answered. `admin`: the channel's settings name the user an
    admin (files and links they send are reports to add; /reindex, /delete, /stats).
    `other` names what a message holds besides text (语音, 贴纸), in the channel's words;
    `mention` is how a group addresses the bot there (@reportbot), for help."""

    user_id: int
    chat_id: int
    text: str = ""
    press: str | None = None
    private: bool = True
    addressed: bool = True
    admin: bool = False
    file: bytes | None = field(default=None, repr=False)
    file_name: str = ""
    other: str = ""
    mention: str = ""


@dataclass(frozen=True)
class Excerpt:
    """One quoted excerpt of an answer: the hit (its snippet's spans mark the matched words and,
    in comparisons, the figures), the comparison side it answers ("" otherwise), and its
    actions."""

    hit: Hit
    side: str = ""
    full: Action | None = None
    source: Action | None = None


@dataclass(frozen=True)
class AnswerPart:
    """An answer: its lead line (the answer in a line, where one line can give it), its
    excerpts with their citations (each hit's report and section), the sentences around them,
    and the actions under it. `answer` is the library's whole Answer (for the JSON shape), its
    hits cut to this page. `asked` is the question as understood when it is not what was typed
    (a follow-up, a year button), else ""."""

    answer: Answer
    query_id: int | None
    excerpts: tuple[Excerpt, ...]
    notes: tuple[str, ...]
    actions: Rows = ()
    offset: int = 0
    has_more: bool = False
    asked: str = ""

    @property
    def lead(self) -> str:
        """The first line of the reply: the answer's own line, or that only the closest
        passages were found; "" when the first excerpt is the answer."""
        return library_texts.lead(self.answer)

    def action(self, kind: Kind, rank: int | None = None) -> Action | None:
        """The action of `kind`: for FULL and SOURCE, of the excerpt numbered `rank`."""
        if rank is not None:
            excerpt = next((e for e in self.excerpts if e.hit.rank == rank), None)
            if excerpt is None:
                return None
            return excerpt.full if kind == Kind.FULL else excerpt.source if kind == Kind.SOURCE else None
        return next((a for row in self.actions for a in row if a.kind == kind), None)


@dataclass(frozen=True)
class TextPart:
    """Plain sentences (a notice, a refusal of a command, a count), with actions under them."""

    text: str
    actions: Rows = ()


@dataclass(frozen=True)
class PassagePart:
    """A whole passage with its full section path (全文)."""

    passage: Passage
    report: Report


@dataclass(frozen=True)
class ReportPart:
    """A report's card and outline (来源)."""

    report: Report
    outline: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FilePart:
    """A file to send: a report's original (with the report, for its caption) or an export."""

    name: str
    data: bytes
    report: Report | None = None


@dataclass(frozen=True)
class ListPart:
    """A page of a report list (/reports, or the admin's pick list to delete from): the
    reports on it, how many match `words` in all, and the actions (a button per report, ‹ ›)."""

    reports: tuple[Report, ...]
    total: int
    offset: int
    size: int
    words: str
    actions: Rows = ()
    deleting: bool = False


@dataclass(frozen=True)
class PreviewPart:
    """A report about to be added, for an admin to confirm: `head` (its first line a title:
    title, issuer, year, places, passages), warnings (a year or places missing or guessed),
    its outline (a line per section with its passage count; a channel shows as many as fit,
    then PREVIEW_OUTLINE_MORE), `tail` (what it replaces or duplicates, the question) and the
    choices as actions."""

    head: str
    warnings: tuple[str, ...]
    outline: tuple[str, ...]
    tail: tuple[str, ...]
    actions: Rows = ()


@dataclass(frozen=True)
class StatsPart:
    """An admin's /stats: the counts (their first line a title), then `header` and a line per
    recent refused or 👎 question, newest first (a channel shows as many as fit)."""

    counts: str
    header: str
    lines: tuple[str, ...] = ()


def preview_text(part: PreviewPart, outline_lines: int) -> str:
    """A preview as plain text, its outline cut after `outline_lines` sections (for a
    channel that measures no more finely)."""
    outline = [texts.PREVIEW_OUTLINE, *part.outline[:outline_lines]]
    if len(part.outline) > outline_lines:
        outline.append(texts.PREVIEW_OUTLINE_MORE.format(n=len(part.outline) - outline_lines))
    pieces = [part.head, "\n".join(part.warnings), "\n".join(outline), "\n".join(part.tail)]
    return "\n\n".join(p for p in pieces if p)


def stats_text(part: StatsPart) -> str:
    """/stats as plain text: the counts, then the header and every line."""
    return "\n\n".join([part.counts, "\n".join([part.header, *part.lines])])


Part = AnswerPart | TextPart | PassagePart | ReportPart | FilePart | ListPart | PreviewPart | StatsPart


@dataclass
class Reply:
    """What the core answers to a message: parts to show in order. For a press, `edit` means
    the first part replaces the message pressed on; `notice` is a short acknowledgement
    (`alert`: one the user must dismiss); `feedback`, when set, is what the pressed answer's
    feedback actions become, every other action staying where it is."""

    parts: list[Part] = field(default_factory=list)
    edit: bool = False
    notice: str | None = None
    alert: bool = False
    feedback: tuple[Action, ...] | None = None
