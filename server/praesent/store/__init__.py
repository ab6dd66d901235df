"""Persistence of sessions and their append-only event logs (SQLAlchemy, Alembic migrations).

SQLite is the embedded default (``sqlite:///path``); PostgreSQL via
``postgresql+psycopg://user@host:5432/db``. Run :func:`migrate` before opening an
:class:`EventStore`.
"""

from __future__ import annotations

from praesent.store.errors import (
    DuplicateSequenceError,
    InvalidRecordError,
    SequenceError,
    SessionClosedError,
    SessionNotFoundError,
    StoreError,
    StoreUnavailableError,
)
from praesent.store.migrate import migrate
from praesent.store.records import FinalStatus, SessionRecord, SessionStatus, StoredEvent
from praesent.store.repository import EventStore

__all__ = [
    "DuplicateSequenceError",
    "EventStore",
    "FinalStatus",
    "InvalidRecordError",
    "SequenceError",
    "SessionClosedError",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionStatus",
    "StoreError",
    "StoreUnavailableError",
    "StoredEvent",
    "migrate",
]
