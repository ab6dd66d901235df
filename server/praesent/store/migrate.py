"""Alembic, configured in code: the scripts ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from praesent.store.engine import make_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """A Config for the packaged scripts; with ``engine``, env.py migrates through it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The engine travels as an attribute, not as a URL string: no configparser escaping of
    # passwords, and the same connect-time PRAGMAs as the store.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def migrate(url: str | URL, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (the newest by default)."""
    engine = make_engine(url)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()
