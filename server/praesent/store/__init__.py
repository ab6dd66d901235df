"""Persistence of sessions and their append-only event logs (SQLAlchemy, Alembic migrations).

SQLite is the embedded default (``sqlite:///path``); PostgreSQL via
``postgresql+psycopg://user@host:5432/db``. Run :func:`migrate` before opening an
:class:`EventStore`.
"""

from __future__ import annotations

from praesent.store.errors import (
    ConflictError,
    DuplicateSequenceError,
    InvalidRecordError,
    SequenceError,
    SessionClosedError,
    SessionNotFoundError,
    StoreError,
    StoreUnavailableError,
    UnknownRecordError,
)
from praesent.store.migrate import migrate
from praesent.store.people import PeopleStore
from praesent.store.records import (
    ROLES,
    AuditRecord,
    Customer,
    FinalStatus,
    JobRecord,
    JobStatus,
    JobSummary,
    Role,
    SessionRecord,
    SessionStatus,
    StoredEvent,
    TeamRecord,
    TokenRecord,
    UserRecord,
)
from praesent.store.repository import EventStore, SessionQuery

__all__ = [
    "ROLES",
    "AuditRecord",
    "ConflictError",
    "Customer",
    "DuplicateSequenceError",
    "EventStore",
    "FinalStatus",
    "InvalidRecordError",
    "JobRecord",
    "JobStatus",
    "JobSummary",
    "PeopleStore",
    "Role",
    "SequenceError",
    "SessionClosedError",
    "SessionNotFoundError",
    "SessionQuery",
    "SessionRecord",
    "SessionStatus",
    "StoreError",
    "StoreUnavailableError",
    "StoredEvent",
    "TeamRecord",
    "TokenRecord",
    "UnknownRecordError",
    "UserRecord",
    "migrate",
]
