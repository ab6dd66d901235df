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


# Keys that carry the call's words: transcripts, quotes, summaries, topic titles, cues that
# quote the customer. A team that keeps figures only keeps none of them.
TEXT_KEYS = frozenset({"text", "words", "summary", "title", "key_phrases", "utterances"})


def figures_only(value: Any) -> Any:
    """``value`` (an analysis or an event payload) without any of the call's words: text
    fields become empty (the keys stay, so readers of the shape keep working)."""
    if isinstance(value, dict):
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
