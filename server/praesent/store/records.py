"""Plain, frozen records the store hands out, so callers never hold ORM objects or sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SessionStatus = Literal["live", "finished", "interrupted"]
FinalStatus = Literal["finished", "interrupted"]
SESSION_STATUSES: tuple[SessionStatus, ...] = ("live", "finished", "interrupted")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One entry of a session's log. ``seq`` starts at 1; ``at_s`` is audio time in seconds."""

    seq: int
    type: str
    at_s: float
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Customer:
    """Whom a call was with: any part may be unknown."""

    name: str | None = None
    email: str | None = None
    company: str | None = None

    def fields(self) -> dict[str, str | None]:
        return {"name": self.name, "email": self.email, "company": self.company}


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session's row. Times are timezone-aware UTC; ``last_seq`` is 0 while the log is empty."""

    id: str
    title: str
    started_at: datetime
    ended_at: datetime | None
    status: SessionStatus
    language: str
    seller_id: str | None
    customer_informed: bool
    audio_kept: bool
    analysis: dict[str, Any] | None
    last_seq: int
    # None: the local owner (no accounts, or a session from before accounts existed).
    owner_id: str | None = None
    shared: bool = False
    # Whether the call's results go to its webhooks; None: the seller's teams' default.
    send_results: bool | None = None
    customer: Customer | None = None

    def fields(self) -> dict[str, Any]:
        """What the API and the report show of a session, JSON-ready."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "language": self.language,
            "seller_id": self.seller_id,
            "customer_informed": self.customer_informed,
            "audio_kept": self.audio_kept,
            "owner_id": self.owner_id,
            "shared": self.shared,
            "send_results": self.send_results,
            "customer": self.customer.fields() if self.customer else None,
        }


Role = Literal["seller", "coach", "admin"]
ROLES: tuple[Role, ...] = ("seller", "coach", "admin")


@dataclass(frozen=True, slots=True)
class TeamRecord:
    id: str
    name: str
    retention_days: int | None
    keep_transcripts: bool
    webhook_transcripts: bool = False
    send_results_by_default: bool = True

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "retention_days": self.retention_days,
            "keep_transcripts": self.keep_transcripts,
            "webhook_transcripts": self.webhook_transcripts,
            "send_results_by_default": self.send_results_by_default,
        }


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A person and the teams they are in (a coach coaches the teams they are in)."""

    id: str
    email: str
    role: Role
    share_by_default: bool
    created_at: datetime
    teams: tuple[TeamRecord, ...] = ()
    # "auto", "de" or "en" for the seller's calls; None: the server's default.
    call_language: str | None = None

    @property
    def team_ids(self) -> frozenset[str]:
        return frozenset(team.id for team in self.teams)

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "teams": [team.name for team in self.teams],
            "share_by_default": self.share_by_default,
            "call_language": self.call_language,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A personal access token as listed: never the token itself."""

    id: str
    user_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None  # None: never

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "scopes": list(self.scopes),
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked": self.revoked_at is not None,
        }


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    owner_id: str
    actor_id: str
    actor_email: str
    session_id: str
    action: str
    at: datetime

    def fields(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reader": self.actor_email,
            "session_id": self.session_id,
            "action": self.action,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    email: str
    role: Role
    team_names: tuple[str, ...]
    expires_at: datetime


JobStatus = Literal["queued", "running", "done", "failed"]
JOB_STATUSES: tuple[JobStatus, ...] = ("queued", "running", "done", "failed")


@dataclass(frozen=True, slots=True)
class JobSummary:
    """The job queue at a glance: jobs per state, and the oldest queued job's creation."""

    by_status: dict[JobStatus, int]
    oldest_queued_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A background job's row. ``error`` is the last attempt's; ``failed`` means no more tries."""

    id: str
    kind: str
    owner_id: str | None
    status: JobStatus
    options: dict[str, Any]
    filename: str
    object_key: str | None
    progress: float
    attempts: int
    error: str | None
    worker: str | None
    session_id: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def fields(self) -> dict[str, Any]:
        """What GET /v1/jobs/{id} shows of the job, JSON-ready."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress, 3),
            "attempts": self.attempts,
            "error": self.error,
            "filename": self.filename,
            "options": self.options,
            "session_id": self.session_id,
            "created_at": self.created_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
