"""The ORM tables. The Alembic migrations under ``migrations/`` must describe exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Fixed constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TITLE_MAX = 500
LANGUAGE_MAX = 35  # the longest BCP 47 tag
SELLER_ID_MAX = 64
EVENT_TYPE_MAX = 64
EMAIL_MAX = 320
NAME_MAX = 200
ID_LEN = 32
# SQL NULL for a missing analysis, not the JSON value null.
JSON_OR_NULL = JSON(none_as_null=True)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; SQLite itself would drop the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone")
        utc = value.astimezone(UTC)
        # SQLite stores text without an offset: store UTC wall time.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    """The time every store writes: aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Session(Base):
    """One call (live or replayed): its metadata and, once finalised, its analysis."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("status IN ('live', 'finished', 'interrupted')", name="status"),
        Index(None, "started_at"),
        Index(None, "status"),
        Index(None, "seller_id"),
        Index(None, "owner_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'live'"))
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX))
    seller_id: Mapped[str | None] = mapped_column(String(SELLER_ID_MAX))
    customer_informed: Mapped[bool] = mapped_column(Boolean)
    audio_kept: Mapped[bool] = mapped_column(Boolean, server_default=false())
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON_OR_NULL)
    last_seq: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # None: the local owner (a laptop without accounts, or a session from before accounts).
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE")
    )
    # Visible to the coaches of the owner's teams; private by default.
    shared: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Whether the call's results go to its webhooks; None: the seller's teams' default.
    send_results: Mapped[bool | None] = mapped_column(Boolean)
    # Whom the call was with (typed by the seller or taken from the calendar); None: unknown.
    customer_name: Mapped[str | None] = mapped_column(Text)
    customer_email: Mapped[str | None] = mapped_column(Text)
    customer_company: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list[Event]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        passive_deletes=True,  # the database's ON DELETE CASCADE does the work
        order_by="Event.seq",
    )


class Event(Base):
    """One entry of a session's append-only log.

    The primary key (session_id, seq) is also the index that serves ``events_after``.
    """

    __tablename__ = "events"

    session_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_MAX))
    at_s: Mapped[float] = mapped_column(Double)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    session: Mapped[Session] = relationship(back_populates="events")


class User(Base):
    """A person with a role; a password for local sign-in, a subject for OpenID Connect."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('seller', 'coach', 'admin')", name="role"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)
    # "issuer subject" of an OpenID Connect account.
    oidc_subject: Mapped[str | None] = mapped_column(String(600), unique=True)
    share_by_default: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # The seller's call language: "auto", "de" or "en"; NULL: the server's default.
    call_language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    # None: the server's default retention.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    # False: transcripts are removed from finished sessions, only figures stay.
    keep_transcripts: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # Webhooks carry the call's transcript only where the team opts in (and keeps transcripts).
    webhook_transcripts: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # Whether a call's results go to the webhooks unless its seller decides otherwise.
    send_results_by_default: Mapped[bool] = mapped_column(Boolean, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Membership(Base):
    """A user in a team; a coach in a team coaches it."""

    __tablename__ = "memberships"

    user_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )


class AccessToken(Base):
    """A personal access token: only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index(None, "user_id"),)

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(NAME_MAX))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never


class WebSession(Base):
    """A browser's sign-in: the cookie's SHA-256 and the CSRF token that goes with it."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index(None, "user_id"),)

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Invitation(Base):
    """A single-use link that lets a new person choose a password."""

    __tablename__ = "invitations"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    role: Mapped[str] = mapped_column(String(16))
    team_names: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """A read of a session by someone other than its seller; the seller can read these.

    No foreign key to the session or the reader: the entry outlives both."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "owner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE")
    )
    actor_id: Mapped[str] = mapped_column(String(ID_LEN))
    actor_email: Mapped[str] = mapped_column(String(EMAIL_MAX))
    session_id: Mapped[str] = mapped_column(String(ID_LEN))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class VoiceSample(Base):
    """One speaker embedding of a seller's voice (never audio): from an enrolment clip or from
    the seller's own channel of a call. A seller's voice profile is the mean of their samples."""

    __tablename__ = "voice_samples"
    __table_args__ = (
        CheckConstraint("source IN ('enrolment', 'call')", name="source"),
        Index(None, "seller_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seller_id: Mapped[str] = mapped_column(String(SELLER_ID_MAX))
    source: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[list[float]] = mapped_column(JSON)
    speech_s: Mapped[float] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Job(Base):
    """A background job (today: the analysis of an uploaded recording). The queue carries only
    its id; this row is its state, its error and, once done, the session it produced."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
        Index(None, "owner_id"),
        Index(None, "status"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # None: the local owner (a server without accounts).
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16), server_default=text("'queued'"))
    # The options of the analysis (channels, mono, language, ...).
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    filename: Mapped[str] = mapped_column(Text)
    # The upload in the object store; None once it is deleted.
    object_key: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Double, server_default=text("0"))
    # How often a worker started it (a killed worker's attempt counts too).
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(NAME_MAX))
    session_id: Mapped[str | None] = mapped_column(
        String(ID_LEN), ForeignKey("sessions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """Where a seller's (``owner_id``) or a team's (``team_id``) call results are posted. The
    secret signs each request (Standard Webhooks); it is needed in the clear to sign."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint("(owner_id IS NULL) <> (team_id IS NULL)", name="one_owner"),
        CheckConstraint("kind IN ('webhook', 'hubspot', 'salesforce')", name="kind"),
        Index(None, "owner_id"),
        Index(None, "team_id"),
    )

    id: Mapped[str] = mapped_column(String(ID_LEN), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(
        String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE")
    )
    team_id: Mapped[str | None] = mapped_column(
        String(ID_LEN), ForeignKey("teams.id", ondelete="CASCADE")
    )
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(64))
    events: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "webhook", or a team's CRM connection ("hubspot", "salesforce": praesent.crm), whose
    # ``url`` is the API's base address and ``token`` its access token (needed in the clear).
    kind: Mapped[str] = mapped_column(String(16), server_default=text("'webhook'"))
    token: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(Base):
    """The outbox: one event for one endpoint, written in the transaction of the change it
    reports. ``id`` orders an endpoint's deliveries; ``message_id`` is the ``webhook-id`` a
    receiver de-duplicates by. No foreign key to the session: a deletion is reported too."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index(None, "endpoint_id"),
        Index(None, "status"),
        Index(None, "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    message_id: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(String(ID_LEN))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A process that took the delivery holds it until then (a dead one's claim runs out).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserCalendar(Base):
    """A seller's calendar on the team server: an ICS or CalDAV URL and, for CalDAV or a
    protected ICS address, the account's user name and password (needed in the clear to sign in;
    never shown back)."""

    __tablename__ = "calendars"

    user_id: Mapped[str] = mapped_column(
        String(ID_LEN), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))
    username: Mapped[str | None] = mapped_column(Text)
    password: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
