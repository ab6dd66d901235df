"""A call's CRM notes in the webhooks' outbox: one delivery row per CRM connection of the
seller's teams, written in the transaction that stores the report (``write_outbox``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session as OrmSession

from praesent.crm.note import NOTE_EVENT, VENDOR_NAMES, note
from praesent.store.models import Session, WebhookDelivery
from praesent.store.records import SessionRecord
from praesent.webhooks.payloads import report_url

__all__ = ["NOTE_EVENT", "with_current_customer", "write_notes"]

NO_EMAIL = "not sent: the call has no customer e-mail address (send again once it has one)"


def write_notes(
    db: OrmSession,
    connections: Sequence[Any],
    record: SessionRecord,
    made: Mapping[str, Any],
    *,
    links: str,
    now: datetime,
) -> int:
    """Queue the call's note for each connection (``WebhookEndpoint`` rows of a CRM kind). A
    call without the customer's e-mail address is logged as not sent, with why."""
    customer = record.customer.fields() if record.customer else None
    payload = note(record.fields(), customer, made, report_url=report_url(links, record.id))
    has_email = bool(customer and customer.get("email"))
    for connection in connections:
        db.add(
            WebhookDelivery(
                endpoint_id=connection.id,
                message_id=f"crm_{uuid4().hex}",
                event=NOTE_EVENT,
                session_id=record.id,
                payload=payload,
                status="pending" if has_email else "failed",
                attempts=0,
                last_error=None
                if has_email
                else f"{NO_EMAIL}; nothing went to "
                f"{VENDOR_NAMES.get(connection.kind, connection.kind)}",
                next_attempt_at=now,
                created_at=now,
            )
        )
    return len(connections)


def with_current_customer(db: OrmSession, payload: dict[str, Any]) -> dict[str, Any]:
    """The note with whom the call was with as the session says now: "send again" after the
    customer's e-mail address was added finds the contact."""
    session = db.get(Session, str(payload.get("session_id")))
    if session is None or not session.customer_email:
        return payload
    customer = {
        "name": session.customer_name,
        "email": session.customer_email,
        "company": session.customer_company,
    }
    return {**payload, "customer": customer}
