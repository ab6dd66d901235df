"""Reading a stored session for its report: the analysis (with the session's fields, as
``GET /v1/sessions/{id}`` returns it) and the same seller's earlier finished calls."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from praesent.crm.note import VENDOR_NAMES
from praesent.live.stored_log import analysis_from_log
from praesent.store import EventStore, SessionQuery, SessionRecord
from praesent.webhooks.payloads import RESULT_EVENTS

HISTORY_MAX = 12


def analysis_of(store: EventStore, record: SessionRecord) -> dict[str, Any]:
    """The stored analysis, or (a live or crashed session) one computed from the log so far."""
    if record.analysis is not None:
        return record.analysis
    return analysis_from_log(store, record.id)


def _same_seller(record: SessionRecord, other: SessionRecord) -> bool:
    if record.owner_id is not None:
        return other.owner_id == record.owner_id
    return record.seller_id is not None and other.seller_id == record.seller_id


def history_of(
    store: EventStore, record: SessionRecord, only_shared: bool = False
) -> list[dict[str, Any]]:
    """The same seller's earlier calls that have an analysis, oldest first (``only_shared``:
    those the seller shares); none without an owner or a seller id."""
    if record.owner_id is None and record.seller_id is None:
        return []
    query = SessionQuery(owner_id=record.owner_id) if record.owner_id is not None else None
    earlier = [
        other
        for other in store.list_sessions(query=query)
        if _same_seller(record, other)
        and (other.shared or not only_shared)
        and other.id != record.id
        and other.started_at < record.started_at
        and other.analysis is not None
    ][:HISTORY_MAX]
    return [
        {**other.analysis, "session": other.fields()}
        for other in reversed(earlier)
        if other.analysis is not None
    ]


def sent_to(store: EventStore, session_id: str) -> list[dict[str, str]]:
    """Where the call's results went: each webhook's host and each CRM (by its name), with how
    that went: failed if any delivery failed, else on its way while any is pending, else
    delivered. A CRM note that was never tried (no customer e-mail) went nowhere."""
    by_place: dict[str, set[str]] = {}
    for delivery, url, kind in store.webhooks.for_session(session_id):
        if delivery.event not in RESULT_EVENTS:
            continue
        if kind != "webhook":
            if delivery.attempts == 0 and delivery.status == "failed":
                continue
            place = VENDOR_NAMES.get(kind, kind)
        else:
            place = urlsplit(url).hostname or "?"
        by_place.setdefault(place, set()).add(delivery.status)
    order = ("failed", "pending", "delivered")
    return [
        {"host": place, "status": next(s for s in order if s in statuses)}
        for place, statuses in sorted(by_place.items())
    ]


def session_with_history(
    store: EventStore, session_id: str, only_shared: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    record = store.get_session(session_id)
    if record is None:
        return None
    session = {**record.fields(), "sent_to": sent_to(store, record.id)}
    analysis = {**analysis_of(store, record), "session": session}
    return analysis, history_of(store, record, only_shared)
