"""Every store test runs on SQLite (a temporary file) and on this machine's PostgreSQL.

PostgreSQL is required, not optional: if it cannot be reached the tests fail. Each test gets a
fresh schema there (selected through ``search_path``), dropped afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from praesent.store import EventStore, migrate

POSTGRES_URL = os.environ.get(
    "PRAESENT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A fresh schema on this machine's PostgreSQL (required), dropped afterwards."""
    schema = f"{prefix}_{uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is required and unreachable: {exc}")
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        # A directory that does not exist yet: the store creates it.
        yield f"sqlite:///{tmp_path / 'data' / 'praesent.db'}"
        return
    with postgres_schema("praesent_test") as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[EventStore]:
    migrate(db_url)
    with EventStore(db_url) as opened:
        yield opened
