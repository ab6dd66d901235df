"""Errors of the event store; they carry the ids involved so the API need not parse text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

from praesent.errors import PraesentError


class StoreError(PraesentError):
    """Base of the store's errors: the message is safe to show, the driver's cause stays chained."""

    code = "store_error"


class StoreUnavailableError(StoreError):
    """The database cannot be reached or is locked beyond the timeout."""

    code = "store_unavailable"


class SessionNotFoundError(StoreError):
    """No session with this id (never created, or deleted)."""

    code = "session_not_found"

    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r}")
        self.session_id = session_id


class SessionClosedError(StoreError):
    """The session is already finalised: its log takes no more events and its status is fixed."""

    code = "session_closed"

    def __init__(self, session_id: str, status: str) -> None:
        super().__init__(f"session {session_id!r} is {status}, not live")
        self.session_id = session_id
        self.status = status


class SequenceError(StoreError):
    """An event's seq does not follow the log: it must be >= 1 and strictly increasing."""

    code = "bad_sequence"

    def __init__(
        self, session_id: str, seq: int, last_seq: int, message: str | None = None
    ) -> None:
        super().__init__(
            message or f"session {session_id!r}: seq {seq} does not follow last seq {last_seq}"
        )
        self.session_id = session_id
        self.seq = seq
        self.last_seq = last_seq


class DuplicateSequenceError(SequenceError):
    """An event with this seq is already stored for the session."""

    code = "duplicate_sequence"

    def __init__(self, session_id: str, seq: int, last_seq: int) -> None:
        super().__init__(
            session_id, seq, last_seq, f"session {session_id!r}: seq {seq} is already stored"
        )


class InvalidRecordError(StoreError):
    """A value cannot be stored as given (not JSON, too long, a NUL character, a naive time)."""

    code = "bad_record"


class ConflictError(StoreError):
    """The record exists already (an email, a team name)."""

    code = "conflict"


class UnknownRecordError(StoreError):
    """A user or team named in a request does not exist."""

    code = "not_found"


def is_nul_error(exc: BaseException) -> bool:
    """The driver refused text with a NUL character (PostgreSQL's text cannot hold one)."""
    return isinstance(exc, DataError) and "NUL" in str(getattr(exc, "orig", exc))


@contextmanager
def translate_errors() -> Iterator[None]:
    """The driver's errors as the store's: the driver text (with the statement and its
    parameters) stays in the chained cause, never in the message a client may see or a log."""
    try:
        yield
    except (OperationalError, ProgrammingError) as exc:
        # Unreachable, locked past the timeout, or tables missing.
        raise StoreUnavailableError("the database is unavailable or not migrated") from exc
    except DataError as exc:
        if is_nul_error(exc):
            # #22 item 16: PostgreSQL refuses NUL in text (SQLite keeps it): invalid input.
            raise InvalidRecordError("text with a NUL character cannot be stored") from None
        raise
