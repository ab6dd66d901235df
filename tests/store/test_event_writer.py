"""The live sessions' group commit on real databases: what many calls hand in at once is one
transaction, and a session the store refuses gets its own error while the others are stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from praesent.live.writer import EventWriter
from praesent.store import EventStore, SessionClosedError, StoredEvent


def _events(first: int, count: int) -> list[StoredEvent]:
    return [
        StoredEvent(seq, "activity", seq * 0.5, {"role": "seller"})
        for seq in range(first, first + count)
    ]


def test_calls_handing_in_together_share_one_transaction(store: EventStore) -> None:
    sessions = [
        store.create_session(f"call {i}", "en", customer_informed=True).id for i in range(20)
    ]
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _connection: commits.append(1))
    writer = EventWriter(store)

    async def calls() -> None:
        await asyncio.gather(*(writer.append(sid, _events(1, 2)) for sid in sessions))
        await asyncio.gather(*(writer.append(sid, _events(3, 1)) for sid in sessions[:5]))

    asyncio.run(calls())
    assert len(commits) == 2
    for index, sid in enumerate(sessions):
        expected = [1, 2, 3] if index < 5 else [1, 2]
        assert [e.seq for e in store.events_after(sid, 0)] == expected


def test_a_refused_session_fails_alone(store: EventStore) -> None:
    live = store.create_session("live", "en", customer_informed=True).id
    ended = store.create_session("ended", "en", customer_informed=True).id
    store.finalise(ended, "finished", {}, datetime.now(UTC))
    writer = EventWriter(store)

    async def calls() -> list[Any]:
        return await asyncio.gather(
            writer.append(live, _events(1, 3)),
            writer.append(ended, _events(1, 1)),
            return_exceptions=True,
        )

    results = asyncio.run(calls())
    assert results[0] is None
    assert isinstance(results[1], SessionClosedError)
    assert [e.seq for e in store.events_after(live, 0)] == [1, 2, 3]
    assert store.events_after(ended, 0) == []
    with pytest.raises(SessionClosedError):
        asyncio.run(writer.append(ended, _events(1, 1)))
