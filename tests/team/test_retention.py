"""Privacy by rule on PostgreSQL: the retention job, figures-only teams, deleting a user, and
the seller's export."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from praesent.jobs.retention import run_retention
from praesent.store import EventStore, StoredEvent
from tests.team.world import World

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DEFAULT_DAYS = 90


def _counts(store: EventStore) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            table: int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
            for table in ("sessions", "events", "users", "access_tokens", "audit_log")
        }


def _call(
    store: EventStore, owner_id: str | None, days_old: float, analysis: dict[str, Any]
) -> str:
    record = store.create_session(
        f"{days_old} days old",
        "en",
        customer_informed=True,
        owner_id=owner_id,
        started_at=NOW - timedelta(days=days_old),
    )
    store.append(
        record.id,
        [
            StoredEvent(1, "ready", 0.0, {"session_id": record.id}),
            StoredEvent(2, "transcript", 1.0, {"role": "customer", "text": "our budget is 40k"}),
            StoredEvent(3, "cue", 2.0, {"kind": "deepen", "text": "You mentioned budget"}),
        ],
    )
    store.finalise(record.id, "finished", analysis, record.started_at + timedelta(minutes=20))
    return record.id


def test_retention_deletes_expired_sessions_and_keeps_figures_only_where_asked(
    postgres_url: str, call_analysis: dict[str, Any]
) -> None:
    with EventStore(postgres_url) as store:
        store.migrate()
        people = store.people
        people.create_team("Short", retention_days=30)
        people.create_team("Default")
        people.create_team("Figures", keep_transcripts=False)
        ada = people.create_user("ada@example.com", "seller", ["Short"])
        dan = people.create_user("dan@example.com", "seller", ["Default"])
        # In two teams: the strictest period (30 days) and figures only.
        fay = people.create_user("fay@example.com", "seller", ["Default", "Figures", "Short"])
        kept = {
            _call(store, ada.id, 10, call_analysis),
            _call(store, dan.id, 40, call_analysis),
            _call(store, dan.id, 89, call_analysis),
            _call(store, None, 400, call_analysis),  # the local owner's: never expires
        }
        figures = _call(store, fay.id, 5, call_analysis)
        expired = {
            _call(store, ada.id, 31, call_analysis),
            _call(store, dan.id, 91, call_analysis),
            _call(store, fay.id, 45, call_analysis),
        }
        before = _counts(store)
        result = run_retention(store, DEFAULT_DAYS, NOW)
        after = _counts(store)
        print(f"rows before {before}, after {after}")
        assert before["sessions"] == 8 and before["events"] == 24
        assert result.sessions_deleted == 3
        assert after["sessions"] == 5, after
        # Every event of the expired sessions is gone, and the transcript of the figures-only one.
        assert after["events"] == 24 - 3 * 3 - 1, after
        remaining = {record.id for record in store.list_sessions()}
        assert remaining == kept | {figures}
        assert not remaining & expired

        assert result.transcripts_dropped == 1
        record = store.get_session(figures)
        assert record is not None and record.analysis is not None
        assert record.analysis["utterances"] == [] and record.analysis["transcript_dropped"]
        stored = json.dumps([record.analysis, *(e.payload for e in store.events_after(figures, 0))])
        assert "budget" not in stored
        # The real call's words are gone from the analysis.
        said = [u["text"] for u in call_analysis["utterances"] if len(u["text"].split()) >= 3]
        assert len(said) >= 5
        assert not [text for text in said if text in stored]
        assert record.analysis["roles"] == call_analysis["roles"]  # the figures stay

        # A second run finds nothing more to do.
        assert run_retention(store, DEFAULT_DAYS, NOW).fields() == {
            "sessions_deleted": 0,
            "transcripts_dropped": 0,
        }

        # Deleting a user deletes all their data (rows counted).
        people.record_read(dan.id, ada, "x" * 32, "report")
        before = _counts(store)
        assert people.delete_user(dan.id)
        after = _counts(store)
        assert after["sessions"] == before["sessions"] - 2
        assert after["events"] == before["events"] - 6
        assert after["audit_log"] == before["audit_log"] - 1
        assert after["users"] == before["users"] - 1


def test_export_holds_every_session_of_the_seller_and_nothing_of_anyone_else(
    team_server: tuple[TestClient, World],
) -> None:
    client, world = team_server
    client.cookies.clear()
    mine = {world.session("ben", title=f"ben {n}") for n in range(3)}
    mine |= {r.id for r in world.store.list_sessions() if r.owner_id == world.users["ben"].id}
    others = {world.session(name, shared=True) for name in ("ada", "dan", "cleo")}
    others |= {r.id for r in world.store.list_sessions() if r.owner_id != world.users["ben"].id}
    response = client.get("/v1/me/export", headers=world.headers("ben"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"account.json", "sessions.json", "tokens.json", "audit.json"} <= names
    exported = {name.removeprefix("sessions/").removesuffix(".json") for name in names} - {
        "account",
        "sessions",
        "tokens",
        "audit",
    }
    assert exported == mine, f"{len(exported)} exported, {len(mine)} of ben's"
    everything = b"".join(archive.read(name) for name in names).decode()
    assert not [other for other in others if other in everything]
    for name in ("ada", "dan", "cleo", "eve"):
        assert f"{name}@example.com" not in everything
    one = json.loads(archive.read(f"sessions/{sorted(mine)[0]}.json"))
    assert one["events"][0]["type"] == "ready" and one["analysis"]["roles"]
    assert json.loads(archive.read("account.json"))["email"] == "ben@example.com"
