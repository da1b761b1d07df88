"""What the command line itself says, in English: its audience is the operators who run it
(status lines, errors, prompts, the log's labels). The answers it prints (`ask`, `chat`) are
the bot's own, in Chinese as its users get them (bot/core/texts.py, retrieval/texts.py)."""

from __future__ import annotations

from retrieval.models import LogEntry, Refusal

QUESTION = "Q: {question}"  # above each answer to a question read from stdin
MORE_EXCERPTS = "({n} more excerpts: -k {total} to print them)"
INFERRED = " (inferred)"

DELETE_CONFIRM = "Delete #{id} {issuer}《{title}》, its passages and its original file?"
DELETE_KEPT = "nothing deleted"
DELETED = "deleted: #{id} {issuer}《{title}》"

LOG_EMPTY = "no refused or 👎 questions in the last {days:g} days"
LOG_REPORT_GONE = "(report deleted)"


def log_verdict(entry: LogEntry) -> str:
    """Why a logged question is listed: `refused: no_match`, or `👎×2 (incomplete, outdated)`."""
    if not entry.answered:
        return f"refused: {(entry.refusal or Refusal.NO_MATCH).value}"
    reasons = ", ".join(r.value for r in dict.fromkeys(entry.reasons))
    return f"👎×{entry.thumbs_down}" + (f" ({reasons})" if reasons else "")
