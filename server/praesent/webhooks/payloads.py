"""The bodies of outgoing webhooks: pure functions of a session's row and analysis.

Every body is ``{"type", "timestamp", "data"}`` as the Standard Webhooks specification suggests.
The call's words (the transcript) go out only where every team of the seller keeps transcripts
and opts in; the figures and the tips are numbers and fixed texts, never words of the call."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from praesent.report.build import build_report
from praesent.report.model import Report
from praesent.report.texts import t

EventType = Literal["session.finished", "report.ready", "session.shared", "session.deleted"]
EVENT_TYPES: tuple[EventType, ...] = (
    "session.finished",
    "report.ready",
    "session.shared",
    "session.deleted",
)
# The events that carry the call's results (figures, tips, a transcript where allowed).
RESULT_EVENTS = frozenset({"session.finished", "report.ready"})
SCHEMA_VERSION = 1


def report_url(links: str, session_id: str) -> str:
    """The report's address: ``links`` is the server's public address (may be empty)."""
    return f"{links.rstrip('/')}/v1/sessions/{session_id}/report"


def figures(report: Report) -> dict[str, Any]:
    """The call's figures as the report shows them (seconds, percentages, counts)."""
    talk, counts, questions = report.talk, report.counts, report.questions
    return {
        "duration_s": report.duration_s,
        "seller_talk_s": talk.seller_s,
        "customer_talk_s": talk.customer_s,
        "overlap_s": talk.overlap_s,
        "seller_talk_pct": talk.seller_pct,
        "customer_talk_pct": talk.customer_pct,
        "reference_seller_talk_pct": talk.reference_seller_pct,
        "talk_verdict": talk.verdict,
        "interruptions_by_seller": counts.interruptions_by_seller,
        "interruptions_by_customer": counts.interruptions_by_customer,
        "early_starts_by_seller": counts.early_starts_by_seller,
        "backchannels_by_seller": counts.backchannels_by_seller,
        "backchannels_by_customer": counts.backchannels_by_customer,
        "short_answers": counts.short_answers,
        "misunderstandings": counts.misunderstandings,
        "questions": questions.total,
        "open_questions": questions.open,
        "closed_questions": questions.closed,
        "longest_monologue_s": report.monologue.duration_s,
        "longest_customer_story_s": report.customer_story.duration_s,
        "patience_median_s": report.patience.median_s,
        "cues_shown": report.cues.shown,
        "cues_acted_on": report.cues.acted_on,
    }


def tips(report: Report) -> list[dict[str, Any]]:
    """The report's tips (at most three, best first), titled in the report's language."""
    return [
        {
            "kind": tip.kind,
            "title": t(f"tip_{tip.kind}", report.language),
            "evidence": dict(tip.evidence),
        }
        for tip in report.tips
    ]


def session_view(session: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": session["id"],
        "title": session["title"],
        "status": session["status"],
        "started_at": session["started_at"],
        "ended_at": session["ended_at"],
        "language": session["language"],
        "shared": session["shared"],
    }


def results(analysis: Mapping[str, Any], *, transcript: bool) -> dict[str, Any]:
    """The figures, the tips and (``transcript``) the transcript of a call's analysis."""
    report = build_report(analysis, language="de" if analysis.get("language") == "de" else "en")
    found: dict[str, Any] = {"figures": figures(report), "tips": tips(report)}
    if transcript:
        found["transcript"] = [
            {"role": line.role, "at_s": line.at_s, "text": line.text}
            for line in report.transcript.lines
        ]
    return found


def body(
    event: EventType,
    occurred_at: datetime,
    session: Mapping[str, Any],
    seller: Mapping[str, Any],
    analysis: Mapping[str, Any] | None,
    *,
    links: str,
    transcript: bool,
    reason: str | None = None,
    made: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of one event. ``session`` is ``SessionRecord.fields()``, ``seller`` the owner's
    ``{"id", "email"}``; ``analysis`` is needed for the result events only (``made``: its
    ``results``, when the caller has them already)."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "session": session_view(session),
        "seller": {"id": seller["id"], "email": seller["email"]},
    }
    if event == "session.deleted":
        data["reason"] = reason or "deleted"
    else:
        data["report_url"] = report_url(links, str(session["id"]))
    if event in RESULT_EVENTS and analysis is not None:
        data.update(made if made is not None else results(analysis, transcript=transcript))
    return {"type": event, "timestamp": occurred_at.isoformat(), "data": data}
