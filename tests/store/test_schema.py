"""The migrations build exactly the ORM's schema, on an empty database, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, inspect, text

from praesent.store import EventStore, migrate
from praesent.store.migrate import alembic_config
from praesent.store.models import Base


def test_migrate_creates_the_tables_on_an_empty_database(db_url: str) -> None:
    with EventStore(db_url) as store:
        assert inspect(store.engine).get_table_names() == []
        migrate(db_url)
        migrate(db_url)  # a second run finds nothing to do
        inspector = inspect(store.engine)
        assert sorted(inspector.get_table_names()) == [
            "access_tokens",
            "alembic_version",
            "audit_log",
            "calendars",
            "events",
            "invitations",
            "jobs",
            "memberships",
            "sessions",
            "teams",
            "users",
            "voice_samples",
            "web_sessions",
            "webhook_deliveries",
            "webhook_endpoints",
        ]
        assert inspector.get_pk_constraint("events")["constrained_columns"] == ["session_id", "seq"]
        [fk] = inspector.get_foreign_keys("events")
        [owner_fk] = inspector.get_foreign_keys("sessions")
        assert owner_fk["referred_table"] == "users"
        assert fk["referred_table"] == "sessions"
        assert fk["options"].get("ondelete") == "CASCADE"
        with store.engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v for (v,) in versions] == ["0010"]


def test_orm_metadata_and_migrations_agree(db_url: str) -> None:
    migrate(db_url)
    with EventStore(db_url) as store, store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []
        # The comparison does see drift: a copy of the metadata with one more column and one
        # changed type differs in exactly those two places.
        drifted = MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(drifted)
        drifted.tables["events"].append_column(Column("extra", Integer, nullable=True))
        drifted.tables["events"].c.type.type = String(16)
        added, [changed] = compare_metadata(context, drifted)
        assert added[:3] == ("add_column", None, "events")
        assert changed[:4] == ("modify_type", None, "events", "type")


def test_downgrade_to_base_and_up_again(db_url: str) -> None:
    with EventStore(db_url) as store:
        store.migrate()
        command.downgrade(alembic_config(store.engine), "base")
        assert inspect(store.engine).get_table_names() == ["alembic_version"]
        store.migrate()
        record = store.create_session("after a round trip", "en", customer_informed=True)
        assert store.get_session(record.id) == record


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nested/dir/praesent.db"
    with EventStore(url) as store, store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
