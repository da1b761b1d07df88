"""Narrow exceptions the library raises; the CLI and the bot turn them into one-line messages."""


class ReportbotError(Exception):
    """Base class: its str() is a one-line message fit to show a user."""


class UnreadableFile(ReportbotError):
    """A file could not be turned into report text (unknown type, binary junk, empty, encrypted)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"{name}: {reason}")


class UnknownReport(ReportbotError):
    """No report has the given id."""

    def __init__(self, report_id: int) -> None:
        self.report_id = report_id
        super().__init__(f"no report with id {report_id}")


class FetchError(UnreadableFile):
    """A link could not be fetched as a report. `problem` says why in a word the bot turns into
    Chinese (see texts.fetch_refused), with `detail` (a status code, a content type, a size
    limit) where it needs one; `reason` is the English one-liner the CLI prints."""

    def __init__(self, url: str, problem: str, reason: str, detail: str = "") -> None:
        self.url = url
        self.problem = problem
        self.detail = detail
        super().__init__(url, reason)


class StoreUnavailable(ReportbotError):
    """The database cannot be opened: its folder is not writable, or the file is damaged."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")
