"""How long a session is kept and whether its transcript stays: pure rules over teams.

A seller in several teams gets the strictest: the shortest period, and figures only if any
team keeps figures only. Sessions of the local owner (a laptop without accounts) are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from praesent.store.records import TeamRecord


def retention_days(teams: Sequence[TeamRecord], default_days: int) -> int:
    """Days a seller's sessions are kept: the shortest of their teams' periods (a team without
    its own period has the server's default); the default for a seller in no team."""
    return min((team.retention_days or default_days for team in teams), default=default_days)


def keeps_transcripts(teams: Sequence[TeamRecord]) -> bool:
    return all(team.keep_transcripts for team in teams)


def expiry_cutoff(now: datetime, days: int) -> datetime:
    """Sessions that started before this are due for deletion."""
    return now - timedelta(days=days)


# Keys that carry the call's words in an analysis: transcripts, quotes, summaries, topic titles,
# cues that quote the customer. A team that keeps figures only keeps none of them.
TEXT_KEYS = frozenset(
    {"text", "words", "summary", "title", "key_phrases", "utterances", "quote", "detail", "phrase"}
)

# What each kind of logged event keeps when its team keeps figures only (#22 item 7): an
# allow-list, so that a field added later is blanked until someone decides it holds no words.
# Every kind keeps the common fields; a kind not listed keeps nothing else.
COMMON_FIGURES = frozenset({"type", "seq", "at_s", "sample", "heard_s"})
FIGURE_FIELDS: dict[str, frozenset[str]] = {
    kind: frozenset(names)
    for kind, names in {
        "activity": ("role", "speaking"),
        "floor": ("role",),
        "turn": ("role", "end_s", "speech_s", "duration_s"),
        "balance": (
            "seller_s",
            "customer_s",
            "overlap_s",
            "seller_share",
            "window_s",
            "window_seller_s",
            "window_customer_s",
            "window_seller_share",
            "final",
            "asr_lag_s",
            "asr_queued",
        ),
        "backchannel": ("contribution_id", "by", "of", "end_s", "source", "duration_s"),
        "interruption": ("contribution_id", "by", "of", "overlap_s", "recovered", "source"),
        "early_start": ("contribution_id", "by", "of", "overlap_s"),
        "overlap": ("contribution_id", "by", "of", "kind", "overlap_s", "source"),
        "transcript": ("role", "end_s", "provisional"),
        "transcript_partial": ("role",),
        "question": ("role", "open"),
        "short_answer": ("role", "end_s", "word_count"),
        "misunderstanding": ("by",),
        "focus": ("focused",),
        "cue": ("cue_id", "kind", "language"),
        "cue_outcome": ("cue_id", "kind", "acted_on", "evidence_s"),
        "topic": ("topic_id", "end_s", "reason", "language"),
        "ready": ("session_id", "resumed", "language", "language_setting"),
        "language": ("language", "previous", "source", "speech_s", "revises"),
        "gap": ("from_s", "to_s", "gap_s", "resumed_from"),
        "warning": ("kind", "active", "delay_ms"),
        "error": ("code",),
        "final": ("status", "session_id", "analysis_url", "report_url"),
    }.items()
}


def event_figures(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A logged event's ``payload`` with only the figures its kind keeps; every other field is
    blanked (the keys stay, so the log still reads as events of their kinds)."""
    keep = COMMON_FIGURES | FIGURE_FIELDS.get(kind, frozenset())
    return {k: v if k in keep else _blank(v) for k, v in payload.items()}


def figures_only(value: Any) -> Any:
    """``value`` (an analysis) without any of the call's words: text fields become empty (the
    keys stay, so readers of the shape keep working); events in it keep the figures of their
    kind only (:func:`event_figures`)."""
    if isinstance(value, dict):
        kind = value.get("type")
        if isinstance(kind, str) and kind in FIGURE_FIELDS:
            return event_figures(kind, value)
        return {k: _blank(v) if k in TEXT_KEYS else figures_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [figures_only(item) for item in value]
    return value


def _blank(value: Any) -> Any:
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    return None
