"""A database filled by the previous release (schema 0001) upgrades to the team schema with
every session and every event kept; its sessions belong to the local owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from praesent.store import EventStore, SessionQuery, StoredEvent
from praesent.store.migrate import upgrade
from praesent.store.models import Event

SESSIONS = 12
EVENTS_PER_SESSION = 40


def _fill_with_the_old_schema(store: EventStore) -> dict[str, list[tuple[int, str, float]]]:
    """Write sessions as release 0001 did: raw SQL, since today's ORM has more columns."""
    logs: dict[str, list[tuple[int, str, float]]] = {}
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with store.engine.begin() as connection:
        for number in range(SESSIONS):
            session_id = f"{number:032x}"
            started = start + timedelta(days=number)
            connection.execute(
                text(
                    "INSERT INTO sessions (id, title, started_at, ended_at, status, language,"
                    " seller_id, customer_informed, audio_kept, analysis, last_seq) VALUES"
                    " (:id, :title, :started, :ended, 'finished', 'de', :seller, :informed,"
                    " :kept, :analysis, :last)"
                ),
                {
                    "id": session_id,
                    "title": f"call {number}",
                    "started": started.replace(tzinfo=None)
                    if store.engine.dialect.name == "sqlite"
                    else started,
                    "ended": None,
                    "seller": f"seller-{number % 3}",
                    "informed": number % 2 == 0,
                    "kept": False,
                    "analysis": json.dumps({"seller_share": (40 + number) / 100}),
                    "last": EVENTS_PER_SESSION,
                },
            )
            rows = [(seq, "balance" if seq % 2 else "activity", seq * 0.5) for seq in range(1, 41)]
            connection.execute(
                text(
                    "INSERT INTO events (session_id, seq, type, at_s, payload)"
                    " VALUES (:sid, :seq, :type, :at, :payload)"
                ),
                [
                    {
                        "sid": session_id,
                        "seq": s,
                        "type": t,
                        "at": a,
                        "payload": json.dumps({"n": s}),
                    }
                    for s, t, a in rows
                ],
            )
            logs[session_id] = rows
    return logs


def test_the_previous_schema_upgrades_without_loss(db_url: str) -> None:
    with EventStore(db_url) as store:
        upgrade(store.engine, "0001")  # the previous release's head
        logs = _fill_with_the_old_schema(store)
        upgrade(store.engine)  # to today's head
        with store.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            events = connection.execute(select(func.count()).select_from(Event)).scalar()
        assert version == "0010"
        assert events == SESSIONS * EVENTS_PER_SESSION, f"{events} events after the upgrade"
        sessions = store.list_sessions()
        assert len(sessions) == SESSIONS
        for record in sessions:
            stored = store.events_after(record.id, 0)
            assert [(e.seq, e.type, e.at_s) for e in stored] == logs[record.id]
            assert stored[5].payload == {"n": 6}
            assert record.owner_id is None and record.shared is False
            assert record.analysis is not None and record.status == "finished"
        assert len(store.list_sessions(query=SessionQuery(local_owner=True))) == SESSIONS
        # The upgraded database works as a new one: an admin gives the old calls to a seller.
        seller = store.people.create_user("old@example.com", "seller")
        # A seller's call language (0004): unset until chosen, then kept.
        assert seller.call_language is None
        store.people.set_call_language(seller.id, "de")
        assert (found := store.people.user(seller.id)) is not None and found.call_language == "de"
        assert store.assign_owner(seller.id) == SESSIONS
        mine = store.list_sessions(query=SessionQuery(owner_id=seller.id))
        assert len(mine) == SESSIONS
        # Deleting the user deletes their sessions and, through them, every event.
        assert store.people.delete_user(seller.id)
        assert store.list_sessions() == []
        with store.engine.connect() as connection:
            left = connection.execute(select(func.count()).select_from(Event)).scalar()
        assert left == 0


def test_a_new_session_after_the_upgrade_takes_events(db_url: str) -> None:
    with EventStore(db_url) as store:
        upgrade(store.engine, "0001")
        _fill_with_the_old_schema(store)
        upgrade(store.engine)
        record = store.create_session("new", "en", customer_informed=True)
        store.append(record.id, [StoredEvent(1, "ready", 0.0)])
        assert [e.seq for e in store.events_after(record.id, 0)] == [1]
