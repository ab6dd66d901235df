"""Reading a stored session for its report: the analysis (with the session's fields, as
``GET /v1/sessions/{id}`` returns it) and the same seller's earlier finished calls."""

from __future__ import annotations

from typing import Any

from praesent.analysis import analysis_from_events
from praesent.core.event_log import event_from_dict
from praesent.live.manager import logged
from praesent.store import EventStore, SessionRecord

HISTORY_MAX = 12


def session_fields(record: SessionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.title,
        "status": record.status,
        "started_at": record.started_at.isoformat(),
        "ended_at": record.ended_at.isoformat() if record.ended_at else None,
        "language": record.language,
        "seller_id": record.seller_id,
    }


def analysis_of(store: EventStore, record: SessionRecord) -> dict[str, Any]:
    """The stored analysis, or (a live or crashed session) one computed from the log so far."""
    if record.analysis is not None:
        return record.analysis
    stored = store.events_after(record.id, 0)
    events = [e for item in stored if (e := event_from_dict(logged(item))) is not None]
    duration = max((item.at_s for item in stored), default=0.0)
    return analysis_from_events(events, duration, record.language)


def history_of(store: EventStore, record: SessionRecord) -> list[dict[str, Any]]:
    """The same seller's earlier calls that have an analysis, oldest first; none without a
    seller id."""
    if record.seller_id is None:
        return []
    earlier = [
        other
        for other in store.list_sessions()
        if other.seller_id == record.seller_id
        and other.id != record.id
        and other.started_at < record.started_at
        and other.analysis is not None
    ][:HISTORY_MAX]
    return [
        {**other.analysis, "session": session_fields(other)}
        for other in reversed(earlier)
        if other.analysis is not None
    ]


def session_with_history(
    store: EventStore, session_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    record = store.get_session(session_id)
    if record is None:
        return None
    analysis = {**analysis_of(store, record), "session": session_fields(record)}
    return analysis, history_of(store, record)
