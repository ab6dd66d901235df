"""#22 item 7: a team that keeps figures only keeps no words of its calls.

Retention blanked a deny-list of fields, so cue events kept their ``quote`` and ``detail`` (a
summarise cue's detail is the customer's summary lines), misunderstandings their ``phrase``,
and a field added later would have been kept too; and nothing was stripped until the hourly
retention job ran. Now each kind of event keeps an allow-list of figures, and a session is
stripped when it is finalised. On SQLite and PostgreSQL (the log is JSON in both)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from praesent.store import EventStore, StoredEvent
from praesent.team.accounts import create_user_with_token
from tests.live_server import ServerProcess
from tests.store.conftest import postgres_schema

SECRETS = ("budget forty", "contract renewal", "misheard phrase", "sentiment words")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'praesent.db'}"
        return
    with postgres_schema("praesent_figures") as url:
        yield url


def test_events_keep_only_their_figures(db_url: str) -> None:
    with EventStore(db_url) as store:
        store.migrate()
        store.people.create_team("Figures", keep_transcripts=False)
        seller = store.people.create_user("fay@example.com", "seller", ["Figures"])
        record = store.create_session("call", "en", customer_informed=True, owner_id=seller.id)
        store.append(
            record.id,
            [
                StoredEvent(1, "transcript", 1.0, {"role": "customer", "text": "budget forty"}),
                StoredEvent(
                    2,
                    "cue",
                    2.0,
                    {
                        "cue_id": "c1",
                        "kind": "deepen",
                        "text": "Ask more",
                        "language": "en",
                        "detail": "What about the contract renewal?",
                        "quote": "budget forty",
                    },
                ),
                StoredEvent(
                    3,
                    "cue",
                    3.0,
                    {
                        "cue_id": "c2",
                        "kind": "summarise",
                        "text": "Sum up",
                        "language": "en",
                        "detail": "budget forty\ncontract renewal",
                        "quote": None,
                    },
                ),
                StoredEvent(
                    4,
                    "misunderstanding",
                    4.0,
                    {"by": "customer", "text": "I mean it", "phrase": "misheard phrase"},
                ),
                StoredEvent(
                    5,
                    "topic",
                    5.0,
                    {
                        "topic_id": 1,
                        "end_s": 9.0,
                        "title": "budget forty",
                        "summary": ["contract renewal"],
                        "key_phrases": ["budget forty"],
                        "reason": "end",
                        "language": "en",
                    },
                ),
                StoredEvent(
                    6,
                    "cue_outcome",
                    6.0,
                    {"cue_id": "c1", "kind": "deepen", "acted_on": True, "evidence_s": 6.5},
                ),
                # A kind nobody has judged yet keeps no more than the common fields.
                StoredEvent(7, "sentiment", 7.0, {"said": "sentiment words", "score": 0.4}),
            ],
        )
        analysis = {"cues": [{"cue_id": "c1", "text": "Ask", "detail": "contract renewal"}]}
        store.finalise(record.id, "finished", analysis, datetime.now(UTC))
        store.drop_transcripts(record.id)

        events = {e.seq: e.payload for e in store.events_after(record.id, 0)}
        finished = store.get_session(record.id)
        assert finished is not None
        stored = json.dumps([finished.analysis, events])
        left = [secret for secret in SECRETS if secret in stored]
        assert not left, (left, stored)
        # The figures stay.
        assert 1 not in events  # the transcript itself is gone
        assert events[2]["kind"] == "deepen" and events[2]["cue_id"] == "c1"
        assert events[4]["by"] == "customer"
        assert events[5]["topic_id"] == 1 and events[5]["end_s"] == 9.0
        assert events[6]["acted_on"] is True and events[6]["evidence_s"] == 6.5


def _next(socket: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        event = json.loads(socket.recv(timeout=60))
        if event["type"] == kind:
            return dict(event)


def test_live_call_is_stripped_when_finalised(tmp_path: Path) -> None:
    with EventStore(f"sqlite:///{tmp_path / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_team("Figures", keep_transcripts=False)
        _user, issued = create_user_with_token(
            store.people, "fay@example.com", "seller", ["Figures"]
        )
    server = ServerProcess(tmp_path).start()
    try:
        bearer = {"Authorization": f"Bearer {issued.token}"}
        with connect(f"{server.ws}/v1/live", additional_headers=bearer, open_timeout=10) as socket:
            socket.send(json.dumps({"type": "start", "channels": ["seller", "customer"]}))
            session_id = str(_next(socket, "ready")["session_id"])
            socket.send(json.dumps({"type": "stop"}))
            _next(socket, "final")
        # At once, not at the retention job's next run (hourly).
        answer = httpx.get(f"{server.http}/v1/sessions/{session_id}", headers=bearer)
        assert answer.status_code == 200, answer.text
        assert answer.json().get("transcript_dropped") is True, answer.text[:500]
    finally:
        server.stop()
