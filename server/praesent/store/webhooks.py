"""The webhook outbox: endpoints, and one delivery row per event and endpoint, written in the
transaction of the change it reports (``write_outbox``), so a crash between the commit and the
request loses nothing. Deliveries of one endpoint go out one at a time in ``id`` order; a
process takes one with a conditional UPDATE that sets ``locked_until`` (a dead process's claim
runs out and another takes it over: at least once)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from praesent.store.errors import translate_errors
from praesent.store.models import (
    Membership,
    Session,
    Team,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utc_now,
)

ERROR_MAX = 500


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    id: str
    owner_id: str | None
    team_id: str | None
    url: str
    events: tuple[str, ...]
    created_at: datetime
    kind: str = "webhook"

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner_id": self.owner_id,
            "team_id": self.team_id,
            "url": self.url,
            "events": list(self.events),
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: int
    message_id: str
    event: str
    session_id: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhook_id": self.message_id,
            "event": self.event,
            "session_id": self.session_id,
            "status": self.status,
            "attempts": self.attempts,
            "last_response_status": self.last_status,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat()
            if self.status == "pending"
            else None,
            "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery a process took, with what it needs to send it."""

    id: int
    message_id: str
    payload: dict[str, Any]
    url: str
    secret: str
    attempts: int
    created_at: datetime
    kind: str = "webhook"  # or a CRM ("hubspot", "salesforce"): praesent.crm.delivery
    token: str | None = None  # the CRM's access token


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes it: ``whsec_`` and 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sends_results(session: Session, teams: Sequence[Team]) -> bool:
    """The seller's choice for the call, else the teams' default (off if any team turns it off)."""
    if session.send_results is not None:
        return session.send_results
    return all(team.send_results_by_default for team in teams)


def already_reported(db: OrmSession, session_id: str) -> bool:
    """Whether a session's results were queued for any endpoint already."""
    stmt = select(WebhookDelivery.id).where(
        WebhookDelivery.session_id == session_id,
        WebhookDelivery.event.in_(("session.finished", "report.ready")),
    )
    return db.scalars(stmt.limit(1)).first() is not None


def write_outbox(
    db: OrmSession,
    session: Session,
    events: Sequence[str],
    *,
    links: str,
    reason: str | None = None,
) -> int:
    """Add the deliveries of ``events`` about ``session`` to the outbox, inside ``db``'s
    transaction; how many rows. Nothing for the local owner's sessions (no accounts)."""
    from praesent.crm.outbox import NOTE_EVENT, write_notes
    from praesent.store.repository import _session_record
    from praesent.webhooks.payloads import EVENT_TYPES, RESULT_EVENTS, body, results

    if session.owner_id is None:
        return 0
    owner = db.get(User, session.owner_id)
    if owner is None:
        return 0
    teams = list(
        db.scalars(
            select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == owner.id)
        )
    )
    if not sends_results(session, teams):
        return 0
    team_ids = [team.id for team in teams]
    found = list(
        db.scalars(
            select(WebhookEndpoint).where(
                or_(WebhookEndpoint.owner_id == owner.id, WebhookEndpoint.team_id.in_(team_ids))
            )
        )
    )
    if not found:
        return 0
    endpoints = [e for e in found if e.kind == "webhook"]
    crms = [e for e in found if e.kind != "webhook"]
    transcript = bool(teams) and all(t.keep_transcripts and t.webhook_transcripts for t in teams)
    record = _session_record(session)
    fields = record.fields()
    seller = {"id": owner.id, "email": owner.email}
    now = utc_now()
    written = 0
    made = None  # the report is built once for all result events
    if session.analysis is not None and RESULT_EVENTS & set(events):
        made = results(session.analysis, transcript=transcript)
    if crms and made is not None and NOTE_EVENT in events:
        written += write_notes(db, crms, record, made, links=links, now=now)
    for event in events:
        assert event in EVENT_TYPES, event
        targets = [e for e in endpoints if event in e.events]
        if not targets:
            continue
        payload = body(
            event,
            now,
            fields,
            seller,
            session.analysis,
            links=links,
            transcript=transcript,
            reason=reason,
            made=made,
        )
        message_id = f"msg_{uuid4().hex}"
        for endpoint in targets:
            db.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    message_id=message_id,
                    event=event,
                    session_id=session.id,
                    payload=payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            written += 1
    db.flush()  # in order: the ids follow the events
    return written


class WebhookStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- endpoints ------------------------------------------------------------------------

    def create_endpoint(
        self, url: str, events: Sequence[str], *, owner_id: str | None, team_id: str | None
    ) -> tuple[EndpointRecord, str]:
        """A new endpoint and its signing secret (shown once)."""
        secret = new_secret()
        row = WebhookEndpoint(
            id=uuid4().hex,
            owner_id=owner_id,
            team_id=team_id,
            url=url,
            secret=secret,
            events=list(events),
            created_at=utc_now(),
        )
        with self._transaction() as db:
            db.add(row)
        return _endpoint(row), secret

    def endpoints(
        self, *, owner_id: str | None = None, all_teams: bool = False
    ) -> list[EndpointRecord]:
        """A user's own endpoints, and with ``all_teams`` every team's."""
        stmt = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.kind == "webhook")
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
        wanted = [WebhookEndpoint.owner_id == owner_id]
        if all_teams:
            wanted.append(WebhookEndpoint.team_id.is_not(None))
        with self._transaction() as db:
            return [_endpoint(row) for row in db.scalars(stmt.where(or_(*wanted)))]

    def endpoint(self, endpoint_id: str) -> EndpointRecord | None:
        with self._transaction() as db:
            row = db.get(WebhookEndpoint, endpoint_id)
            return None if row is None else _endpoint(row)

    def delete_endpoint(self, endpoint_id: str) -> bool:
        """The endpoint and its delivery log."""
        with self._transaction() as db:
            stmt = delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
            return db.connection().execute(stmt).rowcount == 1

    # -- the delivery log -----------------------------------------------------------------

    def deliveries(self, endpoint_id: str, limit: int = 100) -> list[DeliveryRecord]:
        """The endpoint's deliveries, newest first."""
        stmt = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
        with self._transaction() as db:
            return [_delivery(row) for row in db.scalars(stmt)]

    def for_session(self, session_id: str) -> list[tuple[DeliveryRecord, str, str]]:
        """Where a session's events went: each delivery with its endpoint's address and kind
        ("webhook", or the CRM's)."""
        stmt = (
            select(WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.kind)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.session_id == session_id)
            .order_by(WebhookDelivery.id)
        )
        with self._transaction() as db:
            return [
                (_delivery(row), str(url), str(kind)) for row, url, kind in db.execute(stmt).all()
            ]

    def send_again(self, endpoint_id: str, delivery_id: int) -> DeliveryRecord | None:
        """Queue a delivery again, with the same ``webhook-id`` and body; None if not there."""
        stmt = (
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id)
            .values(status="pending", next_attempt_at=utc_now(), locked_until=None)
        )
        with self._transaction() as db:
            if db.connection().execute(stmt).rowcount != 1:
                return None
            row = db.get(WebhookDelivery, delivery_id)
            return None if row is None else _delivery(row)

    def prune(self, before: datetime) -> int:
        """Forget delivered and failed deliveries of events before ``before``; how many."""
        stmt = delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("delivered", "failed")),
            WebhookDelivery.created_at < before,
        )
        with self._transaction() as db:
            return db.connection().execute(stmt).rowcount

    # -- the relay ------------------------------------------------------------------------

    def claim_due(self, now: datetime, hold: timedelta, limit: int = 20) -> list[Claim]:
        """Take the oldest pending delivery of each endpoint whose time has come and that no
        other process holds; each attempt counts when it is taken."""
        heads = (
            select(func.min(WebhookDelivery.id))
            .where(WebhookDelivery.status == "pending")
            .group_by(WebhookDelivery.endpoint_id)
        )
        free = or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until < now)
        due = (
            select(WebhookDelivery.id)
            .where(WebhookDelivery.id.in_(heads), WebhookDelivery.next_attempt_at <= now, free)
            .order_by(WebhookDelivery.id)
            .limit(limit)
        )
        from praesent.crm.outbox import with_current_customer

        claims = []
        with self._transaction() as db:
            candidates = list(db.scalars(due))
        for delivery_id in candidates:
            take = (
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending", free)
                .values(locked_until=now + hold, attempts=WebhookDelivery.attempts + 1)
            )
            with self._transaction() as db:
                if db.connection().execute(take).rowcount != 1:
                    continue  # another process was quicker
                row = db.get(WebhookDelivery, delivery_id)
                assert row is not None
                endpoint = db.get(WebhookEndpoint, row.endpoint_id)
                assert endpoint is not None
                payload = row.payload
                if endpoint.kind != "webhook":
                    payload = with_current_customer(db, payload)
                claims.append(
                    Claim(
                        row.id,
                        row.message_id,
                        payload,
                        endpoint.url,
                        endpoint.secret,
                        row.attempts,
                        row.created_at,
                        endpoint.kind,
                        endpoint.token,
                    )
                )
        return claims

    def delivered(self, delivery_id: int, status: int) -> None:
        self._finish(delivery_id, status, None, "delivered", delivered_at=utc_now())

    def attempt_failed(
        self, delivery_id: int, status: int | None, error: str, retry_at: datetime | None
    ) -> None:
        """Try again at ``retry_at``; None: no more tries (failed)."""
        if retry_at is None:
            self._finish(delivery_id, status, error, "failed")
        else:
            self._finish(delivery_id, status, error, "pending", next_attempt_at=retry_at)

    def _finish(
        self, delivery_id: int, status: int | None, error: str | None, state: str, **more: Any
    ) -> None:
        stmt = (
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(
                status=state,
                last_status=status,
                last_error=None if error is None else error[:ERROR_MAX],
                locked_until=None,
                **more,
            )
        )
        with self._transaction() as db:
            db.connection().execute(stmt)

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        with translate_errors(), self._sessions.begin() as db:
            yield db


def _endpoint(row: WebhookEndpoint) -> EndpointRecord:
    return EndpointRecord(
        row.id, row.owner_id, row.team_id, row.url, tuple(row.events), row.created_at, row.kind
    )


def _delivery(row: WebhookDelivery) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        message_id=row.message_id,
        event=row.event,
        session_id=row.session_id,
        status=row.status,
        attempts=row.attempts,
        last_status=row.last_status,
        last_error=row.last_error,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
    )
