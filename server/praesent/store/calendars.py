"""Sellers' calendars on the team server: one per seller, read when a call starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete
from sqlalchemy.orm import sessionmaker

from praesent.store.errors import translate_errors
from praesent.store.models import UserCalendar, utc_now


@dataclass(frozen=True, slots=True)
class StoredCalendar:
    user_id: str
    url: str
    kind: str
    username: str | None
    password: str | None
    updated_at: datetime


class CalendarStore:
    """Reads and writes ``calendars`` through an engine the caller owns (and migrated)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def get(self, user_id: str) -> StoredCalendar | None:
        with translate_errors(), self._sessions() as db:
            row = db.get(UserCalendar, user_id)
            if row is None:
                return None
            return StoredCalendar(
                row.user_id, row.url, row.kind, row.username, row.password, row.updated_at
            )

    def put(
        self, user_id: str, url: str, kind: str, username: str | None, password: str | None
    ) -> None:
        with translate_errors(), self._sessions.begin() as db:
            row = db.get(UserCalendar, user_id)
            if row is None:
                row = UserCalendar(user_id=user_id)
                db.add(row)
            row.url, row.kind, row.username, row.password = url, kind, username, password
            row.updated_at = utc_now()

    def delete(self, user_id: str) -> bool:
        with translate_errors(), self._sessions.begin() as db:
            result = db.execute(delete(UserCalendar).where(UserCalendar.user_id == user_id))
            return bool(getattr(result, "rowcount", 0))
