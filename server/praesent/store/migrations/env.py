"""Alembic environment: migrates through the engine that praesent.store.migrate hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from praesent.store.models import Base

target_metadata = Base.metadata
# Any fixed number: servers that start together on one PostgreSQL migrate one after another.
_PG_MIGRATION_LOCK = 0x70726165


def _run(engine: Engine) -> None:
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch rebuild drops and re-creates a table; with foreign keys on, dropping
            # ``sessions`` would cascade into ``events``. The pragma only works outside a
            # transaction, so it is set before the migration's transaction begins.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things: later migrations rebuild tables in batches.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            if broken:
                raise RuntimeError(f"the migration left dangling references: {broken[:5]}")


# Online only: praesent migrates its own database at start-up; there is no `--sql` mode.
engine = context.config.attributes.get("engine")
if context.is_offline_mode() or not isinstance(engine, Engine):
    raise RuntimeError("run migrations through praesent.store.migrate(url)")
_run(engine)
