"""EventStore: the synchronous repository the server calls from worker threads.

One Engine per store (thread-safe, pooled) and one short ORM session per call; nothing ORM leaves
this module. Appends are serialised per session by a conditional UPDATE of ``sessions.last_seq``
that runs before the INSERT: it takes the session row's write lock, so transactions on one
session commit in seq order and a reader resuming after a seq never skips an event.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self
from uuid import uuid4

from sqlalchemy import Engine, Select, delete, exists, func, insert, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from praesent.store.calendars import CalendarStore
from praesent.store.crm import CrmStore
from praesent.store.engine import make_engine
from praesent.store.errors import (
    DuplicateSequenceError,
    InvalidRecordError,
    SequenceError,
    SessionClosedError,
    SessionNotFoundError,
    translate_errors,
)
from praesent.store.jobs import JobStore
from praesent.store.migrate import upgrade
from praesent.store.models import (
    EMAIL_MAX,
    EVENT_TYPE_MAX,
    LANGUAGE_MAX,
    NAME_MAX,
    SELLER_ID_MAX,
    TITLE_MAX,
    Event,
    Session,
    utc_now,
)
from praesent.store.people import PeopleStore
from praesent.store.records import (
    SESSION_STATUSES,
    Customer,
    FinalStatus,
    SessionRecord,
    SessionStatus,
    StoredEvent,
)
from praesent.store.webhooks import WebhookStore, already_reported, write_outbox

SEQ_MAX = 2**31 - 1  # the events.seq column is a 32-bit integer on PostgreSQL


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """Which sessions a list shows: an owner ("" for the local owner), shared ones of some
    owners, a title search, a time range."""

    owner_id: str | None = None
    local_owner: bool = False
    shared_by: Sequence[str] | None = None
    title_contains: str | None = None
    started_from: datetime | None = None
    started_before: datetime | None = None

    def apply(self, stmt: Select[Session]) -> Select[Session]:
        if self.local_owner:
            stmt = stmt.where(Session.owner_id.is_(None))
        if self.owner_id is not None:
            stmt = stmt.where(Session.owner_id == self.owner_id)
        if self.shared_by is not None:
            stmt = stmt.where(Session.shared.is_(True), Session.owner_id.in_(self.shared_by))
        if self.title_contains:
            stmt = stmt.where(Session.title.icontains(self.title_contains, autoescape=True))
        if self.started_from is not None:
            stmt = stmt.where(Session.started_at >= _aware("from", self.started_from))
        if self.started_before is not None:
            stmt = stmt.where(Session.started_at < _aware("before", self.started_before))
        return stmt


class EventStore:
    """Sessions and their append-only event logs in one database (SQLite or PostgreSQL).

    Call :meth:`migrate` (or ``praesent.store.migrate(url)``) once before first use.
    """

    def __init__(self, url: str | URL, *, links: str = "") -> None:
        self._engine = make_engine(url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        # The server's public address, for the report links in webhooks.
        self.links = links
        # Users, teams, tokens and the audit log live in the same database.
        self.people = PeopleStore(self._engine)
        # Background jobs' state, beside the sessions they produce.
        self.jobs = JobStore(self._engine, links=links)
        # Webhook endpoints and the outbox of their deliveries.
        self.webhooks = WebhookStore(self._engine)
        self.crm = CrmStore(self._engine)
        # Sellers' calendars, read when their calls start.
        self.calendars = CalendarStore(self._engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def migrate(self) -> None:
        """Upgrade this store's database to the newest schema."""
        with translate_errors():
            upgrade(self._engine)

    def ping(self) -> None:
        """One round trip to the database; StoreUnavailableError when it cannot be reached."""
        with translate_errors(), self._engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sessions -------------------------------------------------------------------------

    def create_session(
        self,
        title: str,
        language: str,
        customer_informed: bool,
        seller_id: str | None = None,
        *,
        audio_kept: bool = False,
        started_at: datetime | None = None,
        owner_id: str | None = None,
        shared: bool = False,
        customer: Customer | None = None,
    ) -> SessionRecord:
        """Start a live session with an empty log (``last_seq`` 0), by default started now."""
        _check_text("title", title, TITLE_MAX)
        _check_customer(customer)
        _check_text("language", language, LANGUAGE_MAX)
        if seller_id is not None:
            _check_text("seller_id", seller_id, SELLER_ID_MAX)
        row = Session(
            id=uuid4().hex,
            title=title,
            started_at=_aware("started_at", started_at or utc_now()),
            ended_at=None,
            status="live",
            language=language,
            seller_id=seller_id,
            customer_informed=customer_informed,
            audio_kept=audio_kept,
            analysis=None,
            last_seq=0,
            owner_id=owner_id,
            shared=shared,
            send_results=None,
            customer_name=customer.name if customer else None,
            customer_email=customer.email if customer else None,
            customer_company=customer.company if customer else None,
        )
        with self._transaction() as db:
            db.add(row)
        return _session_record(row)

    def get_session(self, session_id: str) -> SessionRecord | None:
        with self._transaction() as db:
            row = db.get(Session, session_id)
            return None if row is None else _session_record(row)

    def list_sessions(
        self, limit: int | None = None, *, query: SessionQuery | None = None
    ) -> list[SessionRecord]:
        """Sessions, newest first; all of them, or those ``query`` selects."""
        stmt = select(Session).order_by(Session.started_at.desc(), Session.id.desc()).limit(limit)
        if query is not None:
            stmt = query.apply(stmt)
        with self._transaction() as db:
            return [_session_record(row) for row in db.scalars(stmt)]

    def set_shared(self, session_id: str, shared: bool) -> bool:
        """Share a session with the coaches of its owner's teams, or stop; False if not there.
        A change goes to the webhooks as ``session.shared``."""
        with self._transaction() as db:
            row = db.get(Session, session_id)
            if row is None:
                return False
            if row.shared != shared:
                row.shared = shared
                write_outbox(db, row, ["session.shared"], links=self.links)
            return True

    def set_customer(self, session_id: str, customer: Customer | None) -> bool:
        """Whom the call was with (None: unknown); False if the session is not there."""
        _check_customer(customer)
        with self._transaction() as db:
            row = db.get(Session, session_id)
            if row is None:
                return False
            row.customer_name = customer.name if customer else None
            row.customer_email = customer.email if customer else None
            row.customer_company = customer.company if customer else None
            return True

    def set_send_results(self, session_id: str, send: bool | None) -> bool:
        """Whether this call's results go to the webhooks (None: the teams' default); False if
        the session is not there. Turned on for a call whose analysis is stored and whose results
        never went out, they go out now (``report.ready``), as sharing later shares."""
        with self._transaction() as db:
            row = db.get(Session, session_id)
            if row is None:
                return False
            row.send_results = send
            if row.analysis is not None and not already_reported(db, session_id):
                write_outbox(db, row, ["report.ready"], links=self.links)
            return True

    def assign_owner(self, owner_id: str, session_ids: Sequence[str] | None = None) -> int:
        """Give the local owner's sessions (all, or those listed) to a user; how many moved."""
        stmt = update(Session).where(Session.owner_id.is_(None)).values(owner_id=owner_id)
        if session_ids is not None:
            stmt = stmt.where(Session.id.in_(session_ids))
        with self._transaction() as db:
            return db.connection().execute(stmt).rowcount

    def delete_sessions(self, session_ids: Sequence[str]) -> int:
        """Delete these sessions and their logs; how many were there."""
        if not session_ids:
            return 0
        with self._transaction() as db:
            for row in db.scalars(select(Session).where(Session.id.in_(session_ids))):
                write_outbox(db, row, ["session.deleted"], links=self.links, reason="retention")
            stmt = delete(Session).where(Session.id.in_(session_ids))
            return db.connection().execute(stmt).rowcount

    def drop_transcripts(self, session_id: str) -> int:
        """Keep only the figures of a finished session: its transcript events go, the other
        events and the analysis lose every word of the call. Returns the events removed."""
        from praesent.team.retention import event_figures, figures_only

        transcript_types = ("transcript", "transcript_partial")
        with self._transaction() as db:
            row = db.get(Session, session_id)
            if row is None or row.status == "live":
                return 0
            connection = db.connection()
            removed = connection.execute(
                delete(Event).where(
                    Event.session_id == session_id, Event.type.in_(transcript_types)
                )
            ).rowcount
            for seq, kind, payload in connection.execute(
                select(Event.seq, Event.type, Event.payload).where(Event.session_id == session_id)
            ).all():
                stripped = event_figures(kind, payload)
                if stripped != payload:
                    connection.execute(
                        update(Event)
                        .where(Event.session_id == session_id, Event.seq == seq)
                        .values(payload=stripped)
                    )
            if row.analysis is not None:
                row.analysis = {**figures_only(row.analysis), "transcript_dropped": True}
            return removed

    def keep_figures_only_if_due(self, session_id: str) -> bool:
        """A finished session of a seller whose team keeps figures only loses the call's words
        now, when it is finalised, not at the retention job's next run (#22 item 7). True when
        it did."""
        from praesent.team.retention import keeps_transcripts

        record = self.get_session(session_id)
        if record is None or record.owner_id is None or record.status == "live":
            return False
        owner = self.people.user(record.owner_id)
        if owner is None or keeps_transcripts(owner.teams):
            return False
        if (record.analysis or {}).get("transcript_dropped"):
            return False
        self.drop_transcripts(session_id)
        return True

    def live_session_count(self, owner_id: str) -> int:
        """How many of this user's sessions are live (running, or waiting to be resumed)."""
        stmt = select(func.count()).where(Session.owner_id == owner_id, Session.status == "live")
        with self._transaction() as db:
            return int(db.scalar(stmt) or 0)

    def unfinished_sessions(self) -> list[SessionRecord]:
        """Sessions still marked live, oldest first: after a crash, these need finalising."""
        stmt = select(Session).where(Session.status == "live").order_by(Session.started_at)
        with self._transaction() as db:
            return [_session_record(row) for row in db.scalars(stmt)]

    def finalise(
        self,
        session_id: str,
        status: FinalStatus,
        analysis: dict[str, Any],
        ended_at: datetime,
    ) -> None:
        """Close a live session with its analysis; a session is finalised once."""
        if status not in ("finished", "interrupted"):
            raise InvalidRecordError(f"a session ends as finished or interrupted, not {status!r}")
        _check_json("analysis", analysis)
        ended = _aware("ended_at", ended_at)
        stmt = (
            update(Session)
            .where(Session.id == session_id, Session.status == "live")
            .values(status=status, analysis=analysis, ended_at=ended)
        )
        with self._transaction() as db:
            if db.connection().execute(stmt).rowcount != 1:
                self._refuse(db, session_id)
            row = db.get(Session, session_id)
            assert row is not None
            write_outbox(db, row, ["session.finished", "report.ready"], links=self.links)

    def delete_session(self, session_id: str) -> bool:
        """Remove the session and (ON DELETE CASCADE) its whole log; False if it was not there.
        The deletion goes to the webhooks as ``session.deleted``."""
        with self._transaction() as db:
            row = db.get(Session, session_id)
            if row is None:
                return False
            write_outbox(db, row, ["session.deleted"], links=self.links, reason="seller")
            stmt = delete(Session).where(Session.id == session_id)
            return db.connection().execute(stmt).rowcount == 1

    # -- events ---------------------------------------------------------------------------

    def append(self, session_id: str, events: Sequence[StoredEvent]) -> None:
        """Add events to a live session's log in one transaction: all of them or none.

        Seqs start at 1 and must rise strictly, within the batch and after the stored log.
        """
        self.append_many([(session_id, events)])

    def append_many(self, logs: Sequence[tuple[str, Sequence[StoredEvent]]]) -> None:
        """``append`` for several sessions' batches in one transaction: all of them or none
        (the first batch refused raises as ``append`` would). Batches of one session go in
        their order."""
        logs = [(session_id, events) for session_id, events in logs if events]
        if not logs:
            return
        for session_id, events in logs:
            _check_events(session_id, events)
        rows = [
            {
                "session_id": session_id,
                "seq": e.seq,
                "type": e.type,
                "at_s": float(e.at_s),
                "payload": e.payload,
            }
            for session_id, events in logs
            for e in events
        ]
        with self._transaction() as db:
            connection = db.connection()
            for session_id, events in logs:
                first, last = events[0].seq, events[-1].seq
                claim = (
                    update(Session)
                    .where(
                        Session.id == session_id,
                        Session.status == "live",
                        Session.last_seq < first,
                    )
                    .values(last_seq=last)
                )
                if connection.execute(claim).rowcount != 1:
                    self._refuse(db, session_id, first)
            try:
                connection.execute(insert(Event), rows)
            except IntegrityError as exc:
                # Only reachable if a log holds seqs beyond last_seq (edited by hand).
                session_id, events = logs[0]
                raise DuplicateSequenceError(session_id, events[0].seq, events[0].seq - 1) from exc

    def events_after(
        self, session_id: str, after_seq: int, limit: int | None = None
    ) -> list[StoredEvent]:
        """The session's events with seq > ``after_seq``, in order; at most ``limit`` of them."""
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0")
        stmt = (
            select(Event.seq, Event.type, Event.at_s, Event.payload)
            .where(Event.session_id == session_id, Event.seq > after_seq)
            .order_by(Event.seq)
            .limit(limit)
        )
        with self._transaction() as db:
            found = [StoredEvent(*row) for row in db.execute(stmt)]
            if not found and not db.scalar(select(exists().where(Session.id == session_id))):
                raise SessionNotFoundError(session_id)
            return found

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        with translate_errors(), self._sessions.begin() as db:
            yield db

    @staticmethod
    def _refuse(db: OrmSession, session_id: str, seq: int | None = None) -> None:
        """Raise why a conditional UPDATE of the session row matched nothing."""
        found = db.execute(
            select(Session.status, Session.last_seq).where(Session.id == session_id)
        ).one_or_none()
        if found is None:
            raise SessionNotFoundError(session_id)
        status, last_seq = found
        if status != "live" or seq is None:
            raise SessionClosedError(session_id, status)
        stored = db.scalar(select(exists().where(Event.session_id == session_id, Event.seq == seq)))
        if stored:
            raise DuplicateSequenceError(session_id, seq, last_seq)
        raise SequenceError(session_id, seq, last_seq)


def _session_record(row: Session) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        title=row.title,
        started_at=row.started_at,
        ended_at=row.ended_at,
        status=_status(row.status),
        language=row.language,
        seller_id=row.seller_id,
        customer_informed=row.customer_informed,
        audio_kept=row.audio_kept,
        analysis=row.analysis,
        last_seq=row.last_seq,
        owner_id=row.owner_id,
        shared=row.shared,
        send_results=row.send_results,
        customer=_customer(row),
    )


def _customer(row: Session) -> Customer | None:
    parts = (row.customer_name, row.customer_email, row.customer_company)
    if all(part is None for part in parts):
        return None
    return Customer(name=parts[0], email=parts[1], company=parts[2])


def _check_customer(customer: Customer | None) -> None:
    for name, value in (customer.fields() if customer else {}).items():
        if value is not None:
            _check_text(f"customer {name}", value, EMAIL_MAX if name == "email" else NAME_MAX)


def _status(value: str) -> SessionStatus:
    for status in SESSION_STATUSES:
        if status == value:
            return status
    raise InvalidRecordError(f"unknown session status {value!r} in the database")


def _check_events(session_id: str, events: Sequence[StoredEvent]) -> None:
    previous = 0
    for e in events:
        if not 1 <= e.seq <= SEQ_MAX or e.seq <= previous:
            raise SequenceError(
                session_id, e.seq, previous, f"session {session_id!r}: seq {e.seq} after {previous}"
            )
        previous = e.seq
        _check_text("event type", e.type, EVENT_TYPE_MAX)
        if not math.isfinite(e.at_s):
            raise InvalidRecordError(f"event {e.seq}: at_s must be a finite number")
        _check_json(f"event {e.seq} payload", e.payload)


def _check_text(name: str, value: str, max_len: int) -> None:
    # PostgreSQL rejects NUL in text and enforces lengths; SQLite does neither: check here.
    if len(value) > max_len:
        raise InvalidRecordError(f"{name} is longer than {max_len} characters")
    if "\x00" in value:
        raise InvalidRecordError(f"{name} contains a NUL character")


def _check_json(name: str, value: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        raise InvalidRecordError(f"{name} must be a JSON object")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecordError(f"{name} is not plain JSON (no NaN, no custom types)") from exc


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecordError(f"{name} must carry a timezone")
    return value.astimezone(UTC)
