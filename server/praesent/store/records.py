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
        }
