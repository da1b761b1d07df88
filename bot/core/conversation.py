"""The conversation, once for every channel: a message in, a reply out.

A question is answered as a follow-up of the user's last one in that chat where it is one
(`那蓝山县呢？`), logged (the query log serves paging, feedback, /stats and `reportbot log`),
cut to a page, and given its actions. A press of an action (更多 / 上一页, 全文, 来源, 导出,
another year, 👍 / 👎 and a 👎's reason, a report list's page) is answered from the log and
the library. Per user and chat, questions are limited to so many a minute. Commands
(/help, /ask, /reports, /forget; for admins /reindex, /delete, /stats) and an admin's files
and links (bot.core.admin) are understood here too, so every channel has them.

Everything here blocks (SQLite, the index): an asynchronous channel calls it off its loop.
"""

from __future__ import annotations

import dataclasses

from bot.core import actions, texts
from bot.core.admin import ADMIN_PREFIXES, Admin, Progress, link_in
from bot.core.memory import ChatMemory, ListWords, UserLimiter, Verdict
from bot.core.messages import (
    AnswerPart,
    FilePart,
    ListPart,
    Message,
    PassagePart,
    Reply,
    ReportPart,
    TextPart,
)
from retrieval import chart
from retrieval import texts as library_texts
from retrieval.config import Settings
from retrieval.errors import UnknownReport
from retrieval.export import answer_docx
from retrieval.library import Library
from retrieval.models import Answer, FeedbackReason
from retrieval.understand import normalise

REPORTS_PER_PAGE = 10


class Core:
    """One conversation core over a library, shared by every chat of a channel."""

    def __init__(
        self,
        library: Library,
        page: int | None = None,
        rate_per_minute: int | None = None,
        help_notes: tuple[str, ...] = (),
        settings: Settings | None = None,
    ) -> None:
        """`help_notes`: what a channel's private help adds ({mention} is how it names the bot);
        `settings`: the channel's (page size, rate, upload limit, retention), else the library's."""
        self.library = library
        self.settings = settings = settings or library.settings
        self.help_notes = help_notes
        self.page = page or settings.results_per_page
        self.memory = ChatMemory()
        self.limiter = UserLimiter(rate_per_minute or settings.user_rate_per_minute)
        self.list_words = ListWords()
        self.admin = Admin(library, settings, self.report_list)

    # --- messages --------------------------------------------------------------------------

    def handle(self, message: Message, progress: Progress | None = None) -> Reply | None:
        """The reply to a message: a question (or a follow-up), a command, an admin's file or
        link, or a press. None: stay silent (a group message not addressed to the bot, or a
        user over the limit already told). `progress` hears how long work (reading a file,
        reindexing) is getting on, for a channel that can show it."""
        if message.press is not None:
            return self.press(message)
        if not message.private and not message.addressed:
            return None
        if message.text.startswith("/"):
            return self.command(message, progress)
        if message.file is not None or (message.other and not message.text.strip()):
            return self.not_text(message, progress)
        if message.admin and message.private and (url := link_in(message.text)):
            return self.admin.link(message, url, progress)
        return self.ask(message)

    def command(self, message: Message, progress: Progress | None = None) -> Reply | None:
        """/help, /ask 问题, /reports [words], /forget; an admin's /reindex, /delete, /stats."""
        name, _, words = message.text[1:].partition(" ")
        name, words = name.strip().lower(), words.strip()
        if name in ("start", "help"):
            return self.help(message)
        if name == "ask":
            if not words:
                return Reply([TextPart(texts.ASK_USAGE.format(example=library_texts.EXAMPLES[0]))])
            return self.ask(dataclasses.replace(message, text=words))
        if name == "reports":
            return Reply([self.report_list(words)])
        if name == "forget":
            return self.forget(message.chat_id, message.user_id)
        if name in ("reindex", "delete", "stats"):
            if not message.admin:
                return Reply([TextPart(texts.NOT_ADMIN)])
            if name == "reindex":
                return self.admin.reindex(progress)
            if name == "delete":
                return self.admin.delete(words)
            return self.admin.stats(message.private)
        return Reply([TextPart(texts.HELP_COMMANDS)])

    def help(self, message: Message) -> Reply:
        """What the bot knows and how to ask: in a group, how to ask there."""
        mention = message.mention or texts.MENTION
        if not message.private:
            return Reply(
                [TextPart(texts.GROUP_HELP.format(mention=mention, example=library_texts.EXAMPLES[0]))]
            )
        reports = self.library.reports()
        places = sorted({r.place for r in reports if r.place})
        years = sorted({r.year for r in reports if r.year})
        lines = [
            texts.WELCOME.format(
                reports=len(reports),
                places=library_texts.places_list(places) or texts.NONE,
                years="、".join(map(str, years)) or texts.NONE,
                examples="\n".join(f"· {e}" for e in library_texts.EXAMPLES),
                mention=mention,
            ),
            *(note.format(mention=mention) for note in self.help_notes),
            "",
            texts.HELP_COMMANDS,
            texts.PRIVACY_NOTE.format(days=self.settings.query_retention_days),
        ]
        if message.admin:
            lines.append(texts.ADMIN_HELP)
        return Reply([TextPart("\n".join(lines))])

    def not_text(self, message: Message, progress: Progress | None = None) -> Reply:
        """A file (an admin's, in a private chat: a report to add) or a message with no text:
        one line on what the bot understands."""
        if message.file is not None and message.admin and message.private:
            return self.admin.upload(message, progress)
        what = texts.FILE if message.file is not None else message.other or texts.OTHER_MESSAGE
        return Reply([TextPart(texts.ONLY_TEXT.format(what=what, example=library_texts.EXAMPLES[0]))])

    def ask(self, message: Message) -> Reply | None:
        """Answer a message's text as a question: limited, resolved as a follow-up, logged, paged."""
        verdict = self.limiter.check(message.chat_id, message.user_id)
        if verdict == Verdict.DROP:
            return None
        if verdict == Verdict.NOTIFY:
            return Reply([TextPart(texts.RATE_LIMITED)])
        question = self.resolve(message.chat_id, message.user_id, message.text)
        part = self._answer(question, message.user_id, message.chat_id, typed=message.text)
        if part.answer.hits:  # not a greeting or a question about the collection: no follow-up to it
            self.memory.remember(message.chat_id, message.user_id, question)
        return Reply([part, *_chart(part.answer)])

    def resolve(self, chat_id: int, user_id: int, text: str) -> str:
        """`text` as the question it asks after the user's last one in this chat."""
        return self.follow_up(self.memory.last(chat_id, user_id), text)

    def follow_up(self, previous: str | None, text: str) -> str:
        """`text` as the question it asks after `previous` (itself when it follows nothing)."""
        return (self.library.follow_up(previous, text) or text) if previous else text

    def answer(self, question: str, k: int, offset: int = 0, previous: str | None = None) -> Answer:
        """The library's answer to `question` (after `previous`), unlogged: for channels
        without users (the web API, inline mode)."""
        return self.library.ask(self.follow_up(previous, question), k=k, offset=offset)

    def forget(self, chat_id: int, user_id: int) -> Reply:
        """Delete the user's logged questions and feedback, and their last question here."""
        questions, feedback = self.library.forget_user(user_id)
        self.memory.forget(chat_id, user_id)
        return Reply([TextPart(texts.FORGET_DONE.format(questions=questions, feedback=feedback))])

    def _answer(self, question: str, user_id: int | None, chat_id: int | None, typed: str = "") -> AnswerPart:
        """The answer to `question`, logged; it says what was understood when that is not
        what was `typed` (a follow-up, a year button)."""
        # One more hit than shown tells whether a next page exists.
        answer = self.library.ask(question, k=self.page + 1)
        query_id = self.library.log_query(question, answer, user_id, chat_id)
        part = self.answer_part(answer, query_id, 0)
        if normalise(question) != normalise(typed) and answer.query.text:
            part = dataclasses.replace(part, asked=answer.query.text)
        return part

    def answer_part(self, answer: Answer, query_id: int | None, offset: int) -> AnswerPart:
        """An answer (asked for a page and one hit more) as a reply part: this page's
        excerpts, the sentences around them, and the actions."""
        has_more = False
        if not answer.groups:  # a comparison is one reply, every side in it
            has_more = len(answer.hits) > self.page
            answer = dataclasses.replace(answer, hits=answer.hits[: self.page])
        return answer_part(answer, query_id, offset, has_more, self.page)

    # --- presses ---------------------------------------------------------------------------

    def press(self, message: Message) -> Reply:
        """The reply to a pressed action; an id no action has gets an alert."""
        prefix, fields = actions.parse(message.press or "")
        try:
            if prefix == "more" and len(fields) == 2:
                return self._more(int(fields[0]), int(fields[1]))
            if prefix == "yr" and len(fields) == 2:
                return self._year(int(fields[0]), int(fields[1]), message)
            if prefix == "pl" and len(fields) == 2:
                return self._place(int(fields[0]), int(fields[1]), message)
            if prefix == "full" and len(fields) == 1:
                return self._full(int(fields[0]))
            if prefix == "src" and len(fields) == 1:
                return self._source(int(fields[0]))
            if prefix == "exp" and len(fields) == 1:
                return self._export(int(fields[0]))
            if prefix == "fb" and len(fields) == 2 and fields[1] in ("1", "-1", "0"):
                return self._feedback(int(fields[0]), int(fields[1]), message.user_id)
            if prefix == "fbr" and len(fields) == 2:
                return self._reason(int(fields[0]), FeedbackReason(fields[1]), message.user_id)
            if prefix == "rep":
                return self._list_page(message.press or "")
            if prefix in ADMIN_PREFIXES:
                if prefix == "delp" and message.admin:
                    return self._list_page(message.press or "")
                reply = self.admin.press(message, prefix, fields)
                if reply is not None:
                    return reply
        except ValueError:
            pass
        return Reply(notice=texts.BUTTON_STALE, alert=True)

    def _more(self, query_id: int, offset: int) -> Reply:
        """更多结果 / 上一页: another page of the same answer, in place."""
        logged = self.library.logged_query(query_id)
        if logged is None:
            return Reply(notice=texts.QUESTION_GONE, alert=True)
        answer = self.library.ask(logged.text, k=self.page + 1, offset=offset)
        if not answer.hits:
            return Reply(notice=texts.NO_MORE)
        part = self.answer_part(answer, query_id, offset)
        return Reply([part], edit=True, notice=texts.PAGE.format(page=offset // self.page + 1))

    def _year(self, query_id: int, year: int, message: Message) -> Reply:
        """Another year of the place: the question asked for that year, as a new answer."""
        logged = self.library.logged_query(query_id)
        if logged is None:
            return Reply(notice=texts.QUESTION_GONE, alert=True)
        asked = self.library.question_for_year(logged.text, year)
        return Reply([self._answer(asked, message.user_id, message.chat_id)])

    def _place(self, query_id: int, choice: int, message: Message) -> Reply:
        """One of the places a name one character off may be: the question asked of it."""
        logged = self.library.logged_query(query_id)
        if logged is None:
            return Reply(notice=texts.QUESTION_GONE, alert=True)
        asked = self.library.question_for_place(logged.text, choice)
        if asked is None:
            return Reply(notice=texts.BUTTON_STALE, alert=True)
        return Reply([self._answer(asked, message.user_id, message.chat_id)])

    def _full(self, passage_id: int) -> Reply:
        passage = self.library.passage(passage_id)
        if passage is None:
            return Reply(notice=texts.PASSAGE_GONE, alert=True)
        return Reply([PassagePart(passage, self.library.report(passage.report_id))])

    def _source(self, report_id: int) -> Reply:
        """The report's original file (where it was kept), then its card and outline."""
        try:
            report = self.library.report(report_id)
            outline = tuple(self.library.outline(report_id))
        except UnknownReport:
            return Reply(notice=texts.REPORT_GONE, alert=True)
        parts: list = []
        original = self.library.original(report_id)
        if original is not None:
            parts.append(
                FilePart(
                    original_name(report.issuer, report.year, original.suffix), original.read_bytes(), report
                )
            )
        parts.append(ReportPart(report, outline))
        return Reply(parts)

    def _export(self, query_id: int) -> Reply:
        """导出: the answer as a Word file (question, excerpts verbatim, full citations)."""
        logged = self.library.logged_query(query_id)
        if logged is None:
            return Reply(notice=texts.QUESTION_GONE, alert=True)
        answer = self.library.ask(logged.text, k=self.page)
        name = texts.EXPORT_FILE_NAME.format(question=_file_safe(logged.text))
        files = [FilePart(name, answer_docx(answer))]
        if answer.table is not None:  # a ranking: its table as a spreadsheet too, for a 汇总表
            sheet = texts.EXPORT_SHEET_NAME.format(question=_file_safe(logged.text))
            files.append(FilePart(sheet, chart.table_xlsx(answer.table)))
        return Reply([*files], notice=texts.EXPORTING)

    def _feedback(self, query_id: int, value: int, user_id: int) -> Reply:
        """👍 / 👎: stored once per user; the row becomes 已反馈 👍, or a 👎's reasons. A second
        press, or one on 已反馈 (value 0), gets an alert and changes nothing."""
        if value == 0:
            mine = self.library.feedback_of(query_id, user_id)
            return Reply(
                notice=texts.FEEDBACK_ALREADY if mine is not None else texts.FEEDBACK_GIVEN, alert=True
            )
        if not self.library.add_feedback(query_id, user_id, value):
            return self._not_stored(query_id, user_id)
        if value > 0:
            return Reply(
                notice=texts.FEEDBACK_THANKS, feedback=actions.marked_feedback(query_id, texts.THUMBS_UP)
            )
        return Reply(notice=texts.FEEDBACK_WHY, feedback=actions.reasons(query_id))

    def _reason(self, query_id: int, reason: FeedbackReason, user_id: int) -> Reply:
        """不相关 / 不完整 / 过时 / 其他 after a 👎: stored with it; the row becomes 已反馈 👎（…）."""
        if not self.library.add_reason(query_id, user_id, reason):
            return self._not_stored(query_id, user_id)
        marked = actions.marked_feedback(query_id, texts.THUMBS_DOWN, texts.FEEDBACK_REASONS[reason])
        return Reply(notice=texts.FEEDBACK_THANKS, feedback=marked)

    def _not_stored(self, query_id: int, user_id: int) -> Reply:
        """Feedback refused: this user gave theirs already, or the question is no longer logged."""
        mine = self.library.feedback_of(query_id, user_id)
        return Reply(notice=texts.FEEDBACK_ALREADY if mine is not None else texts.QUESTION_GONE, alert=True)

    # --- report lists ----------------------------------------------------------------------

    def report_list(self, words: str, offset: int = 0, deleting: bool = False) -> ListPart:
        """A page of the report list (newest first) matching `words`: the page at `offset`, or
        the last one if the list has shrunk since. `deleting`: the admin's pick list."""
        size = REPORTS_PER_PAGE
        offset = max(0, offset - offset % size)
        reports, total = self.library.find_reports(words, offset, size)
        if not reports and total:
            offset = (total - 1) // size * size
            reports, total = self.library.find_reports(words, offset, size)
        prefix = "delp" if deleting else "rep"
        last = max(0, (total - 1) // size * size)  # the longest offset a page action carries
        key = self.list_words.remember(words) if actions.page_id(prefix, last, words) is None else ""
        rows = actions.list_actions(prefix, reports, total, offset, size, words, key)
        return ListPart(tuple(reports), total, offset, size, words, rows, deleting)

    def list_page(self, action_id: str) -> ListPart | None:
        """The page a list's ‹ › action asks for; None when the words it stands for are no
        longer remembered."""
        prefix, offset, kind, carried = [*action_id.split(":", 3), "", ""][:4]
        words = carried if kind == "w" else ""
        if kind == "k":
            remembered = self.list_words.get(carried)
            if remembered is None:
                return None
            words = remembered
        return self.report_list(words, int(offset), deleting=prefix == "delp")

    def _list_page(self, action_id: str) -> Reply:
        part = self.list_page(action_id)
        if part is None:
            return Reply(notice=texts.LIST_EXPIRED, alert=True)
        return Reply([part], edit=True)


def answer_part(
    answer: Answer, query_id: int | None, offset: int = 0, has_more: bool = False, page: int = 3
) -> AnswerPart:
    """A page of an answer (its hits already cut to the page) as a reply part: its excerpts,
    the sentences around them, and the actions (`page`: how far 上一页 goes back)."""
    excerpts = actions.answer_excerpts(answer) if answer.answered else ()
    rows = actions.answer_actions(answer, excerpts, query_id, offset, has_more, page)
    return AnswerPart(answer, query_id, excerpts, _notes(answer), rows, offset, has_more)


def _notes(answer: Answer) -> tuple[str, ...]:
    """The sentences of an answer beside its excerpts: a reply about the collection, a
    refusal, the sides with nothing, the further reports saying it too, the places stating no
    such figure, the other years."""
    if answer.reply is not None:
        return (library_texts.reply(answer),)
    if not answer.answered and not answer.missing:
        return (library_texts.refusal(answer),)
    notes = [library_texts.missing(answer, key) for key in answer.missing]
    if answer.also:
        notes.append(library_texts.also(answer))
    if answer.table is not None and answer.table.without:
        notes.append(library_texts.table_without(answer.table))
    if answer.other_years:
        notes.append(library_texts.other_years(answer))
    return tuple(notes)


def _chart(answer: Answer) -> list[FilePart]:
    """A ranking of three values or more as a bar chart, sent after its answer."""
    if answer.table is None or not chart.worth_a_chart(answer.table):
        return []
    return [
        FilePart(
            texts.CHART_FILE_NAME.format(measure=_file_safe(answer.table.measure)),
            chart.bar_chart(answer.table),
        )
    ]


def original_name(issuer: str, year: int | None, suffix: str) -> str:
    """A file name for a report's original that says what it is (not the stored id)."""
    stem = "".join(c for c in (issuer + (f"_{year}" if year else "")) if c.isalnum() or c == "_")
    return f"{stem or 'report'}{suffix}"


def _file_safe(text: str) -> str:
    kept = "".join(c for c in text if c.isalnum() or c in "_-")
    return kept[:40] or "answer"
