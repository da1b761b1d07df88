"""The stable JSON shape of an answer: what `reportbot ask --json` prints and `POST /api/ask`
returns (other tools rely on it)."""

from __future__ import annotations

from typing import Any

from retrieval import texts
from retrieval.models import Answer, Hit, Report


def answer_json(answer: Answer) -> dict[str, Any]:
    """The stable JSON shape of `ask --json` (other tools rely on it). `hits` is always the
    flat ranked list; a comparison adds a group per side and the sides with nothing, a
    question about the collection or small talk adds `reply`."""
    out: dict[str, Any] = {
        "query": answer.query.text,
        "answered": answer.answered,
        "hits": [hit_json(h) for h in answer.hits],
        "groups": [
            {
                "key": g.key,
                "report": report_json(g.report) if g.report else None,
                "hits": [hit_json(h) for h in g.hits],
            }
            for g in answer.groups
        ],
        "missing": list(answer.missing),
        "other_years": list(answer.other_years),
        "partial": answer.partial,
        "lead": answer.lead,
        # The figures the lead states: what a tool checks the lead against.
        "figures": [
            {
                "place": f.place,
                "measure": f.measure,
                "value": f.value,
                "unit": f.unit,
                "year": f.year,
                "written": f.written,
                "passage_id": f.passage_id,
                "report_id": f.report_id,
            }
            for f in answer.figures
        ],
    }
    if answer.query.corrected:
        out["corrected"] = [{"written": w, "place": p} for w, p in answer.query.corrected]
        out["message"] = texts.corrected(answer)
    if answer.table is not None:
        out["table"] = {
            "measure": answer.table.measure,
            "rows": [
                {
                    "place": row.place,
                    "year": row.report.year,
                    "value": row.figure.value,
                    "unit": row.figure.unit,
                    "written": row.figure.written,
                    "report": report_json(row.report),
                }
                for row in answer.table.rows
            ],
            "without": answer.table.without,
        }
    if answer.partial:
        out["message"] = texts.PARTIAL
    if answer.reply:
        r = answer.reply
        out["message"] = texts.reply(answer)
        out["reply"] = {
            "kind": r.kind.value,
            "text": texts.reply(answer),
            "reports": [report_json(x) for x in r.reports],
            "places": list(r.places),
            "unknown_places": list(r.unknown_places),
            "year": r.year,
            "years": list(r.years),
        }
    if answer.refusal:
        out["refusal"] = answer.refusal.value
        out["message"] = texts.refusal(answer)
    return out


def report_json(r: Report) -> dict[str, Any]:
    return {
        "id": r.id,
        "title": r.title,
        "issuer": r.issuer,
        "year": r.year,
        "places": list(r.places),
        "url": r.url,
    }


def hit_json(h: Hit) -> dict[str, Any]:
    return {
        "rank": h.rank,
        "score": h.score,
        "report": report_json(h.report),
        "section": list(h.passage.section),
        "text": h.passage.text,
        "snippet": h.snippet.text,
        "highlights": [list(x) for x in h.snippet.highlights()],
    }
