"""Engines with the settings the store relies on, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

DEFAULT_SQLITE_TIMEOUT_S = 30.0


def _dumps(value: Any) -> str:
    # PostgreSQL's json rejects NaN and Infinity: refuse them everywhere so both backends agree.
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def _is_file_sqlite(url: URL) -> bool:
    database = url.database or ""
    return (
        url.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not database.startswith("file:")
        and url.query.get("mode") != "memory"
    )


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL: a killed process loses nothing committed and readers never block the writer.
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: still nothing committed
        # is lost when the process dies (only an OS crash may take the last commits back), and
        # live calls commit their events many times a second.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Off by default in SQLite; ON DELETE CASCADE needs it.
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str | URL) -> Engine:
    """An engine for ``url``; for a SQLite file its directory is created and WAL is turned on."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if _is_file_sqlite(parsed):
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        # Writers from several threads wait for the lock instead of failing at once.
        connect_args["timeout"] = DEFAULT_SQLITE_TIMEOUT_S
    engine = create_engine(
        parsed, connect_args=connect_args, json_serializer=_dumps, pool_pre_ping=True
    )
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    return engine
