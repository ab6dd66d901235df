"""A live session's log as the store keeps it: events to and from the store's rows, the analysis
the stored log gives, and the events a continued log adds where a call was lost (the audio
nobody heard, the speech cut where the lost session broke off)."""

from __future__ import annotations

from typing import Any

from praesent.analysis import analysis_from_events, warning_spans
from praesent.audio import SAMPLE_RATE
from praesent.core.event_log import event_from_dict
from praesent.live.hub import LoggedEvent
from praesent.store import EventStore, StoredEvent


def to_stored(event: LoggedEvent) -> StoredEvent:
    """A logged event as the store keeps it."""
    payload = {key: value for key, value in event.items() if key not in ("seq", "type", "at_s")}
    return StoredEvent(seq=event["seq"], type=event["type"], at_s=event["at_s"], payload=payload)


def logged(event: StoredEvent) -> LoggedEvent:
    """A stored event as sessions log and send it."""
    return {"seq": event.seq, "type": event.type, "at_s": event.at_s, **event.payload}


def analysis_from_log(store: EventStore, session_id: str) -> dict[str, Any]:
    """A session's analysis as a pure function of what its stored log holds."""
    stored = store.events_after(session_id, 0)
    record = store.get_session(session_id)
    events = [e for item in stored if (e := event_from_dict(logged(item))) is not None]
    duration = max((item.at_s for item in stored), default=0.0)
    changes = [{"at_s": item.at_s, **item.payload} for item in stored if item.type == "language"]
    decided = [str(change["language"]) for change in changes if change.get("language")]
    given = record.language if record is not None and record.language != "auto" else "unknown"
    analysis = analysis_from_events(events, duration, decided[-1] if decided else given)
    analysis["language_changes"] = changes
    analysis["gaps"] = [gap_span(item.payload) for item in stored if item.type == "gap"]
    warnings = [logged(item) for item in stored if item.type == "warning"]
    analysis["warnings"] = warning_spans(warnings, duration)
    return analysis


def gap_span(event: dict[str, Any]) -> dict[str, float]:
    """A ``gap`` event's audio nobody heard, for the analysis."""
    return {"from_s": float(event["from_s"]), "to_s": float(event["to_s"])}


def gap_event(from_s: float, to_s: float) -> LoggedEvent:
    """Audio between ``from_s`` and ``to_s`` that the server never heard."""
    return {
        "type": "gap",
        "at_s": round(from_s, 3),
        "from_s": round(from_s, 3),
        "to_s": round(to_s, 3),
        "gap_s": round(to_s - from_s, 3),
    }


def speech_cut_at(events: list[StoredEvent], at_s: float) -> list[StoredEvent]:
    """Where the lost session broke off mid-speech, that speech ends there: it was heard up to
    the cut, and the continuing session's own voice activity starts afresh."""
    speaking: dict[str, bool] = {}
    for item in events:
        if item.type == "activity":
            speaking[str(item.payload["role"])] = bool(item.payload["speaking"])
    seq = events[-1].seq if events else 0
    cut: list[StoredEvent] = []
    for role in sorted(role for role, on in speaking.items() if on):
        seq += 1
        payload = {"role": role, "speaking": False, "sample": round(at_s * SAMPLE_RATE)}
        cut.append(StoredEvent(seq=seq, type="activity", at_s=at_s, payload=payload))
    return cut
