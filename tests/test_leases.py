"""Which process runs each live call, on this machine's Redis and a real store: a call held by
one replica is never finalised by another (a replica that starts, or sweeps for abandoned
calls, leaves it alone); it is handed over when another replica asks; and once its holder is
gone, it is finalised only after the grace for its client."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from praesent.engines import Engines
from praesent.live.manager import SessionManager
from praesent.live.redis_leases import RedisLeases
from praesent.live.speech_to_text import SpeechToText
from praesent.store import EventStore, StoredEvent, migrate

REDIS_URL = os.environ.get("PRAESENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
GRACE_S = 30.0


@pytest.fixture()
def redis_db() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required and unreachable: {exc}")
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[EventStore]:
    url = f"sqlite:///{tmp_path / 'praesent.db'}"
    migrate(url)
    with EventStore(url) as opened:
        yield opened


def _live_session(store: EventStore) -> str:
    record = store.create_session(title="held", language="en", customer_informed=True)
    store.append(record.id, [StoredEvent(seq=1, type="ready", at_s=0.0, payload={})])
    return record.id


def _manager(store: EventStore, engines: Engines, leases: RedisLeases) -> SessionManager:
    return SessionManager(
        store=store,
        engines=engines,
        speech_to_text=SpeechToText(engines.transcriber, 1),
        resume_grace_s=GRACE_S,
        leases=leases,
    )


async def _renewals(url: str, session_id: str, count: int, timeout_s: float) -> int:
    """Wait until the lease of ``session_id`` has been renewed ``count`` times, seen in Redis
    as its time to live going up again; fail if it runs out or ``timeout_s`` passes first."""
    client = aioredis.Redis.from_url(url)
    try:
        [key] = await client.keys(f"*{session_id}")
        seen, last = 0, await client.pttl(key)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while seen < count:
            await asyncio.sleep(0.02)
            left = await client.pttl(key)
            assert left > 0, f"the lease of {session_id} ran out after {seen} renewals"
            seen += left > last + 20
            last = left
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"{session_id}: {seen} renewals in {timeout_s} s, not {count}")
        return seen
    finally:
        await client.aclose()


def test_leases_are_exclusive_and_handed_over_on_request(redis_db: str) -> None:
    async def scenario() -> dict[str, object]:
        asked: list[str] = []
        a, b = RedisLeases(redis_db, lease_s=1.0), RedisLeases(redis_db, lease_s=1.0)

        async def a_hands_over(session_id: str) -> None:
            asked.append(session_id)
            await a.release(session_id)

        async def b_never_does(session_id: str) -> None:
            return None

        await a.start(a_hands_over)
        await b.start(b_never_does)
        seen: dict[str, object] = {}
        seen["a claims"] = await a.claim("call-1")
        seen["b claims"] = await b.claim("call-1")
        seen["b sees it held"] = await b.held_elsewhere(["call-1", "call-2"])
        # Renewed beyond its 1 s: once a has renewed it three times (a third of a lease apart,
        # so its first lease has run out by then), it is still a's.
        seen["renewed"] = await _renewals(redis_db, "call-1", count=3, timeout_s=10.0)
        seen["still a's"] = not await b.claim("call-1")
        seen["b takes over"] = await b.take_over("call-1", wait_s=3.0)
        seen["asked"] = list(asked)
        seen["a sees it held"] = await a.held_elsewhere(["call-1"])
        # A holder that never hands over: the other waits, then gets nothing.
        seen["a takes back"] = await a.take_over("call-1", wait_s=0.5)
        await a.aclose()
        await b.aclose()
        return seen

    assert asyncio.run(scenario()) == {
        "a claims": True,
        "b claims": False,
        "b sees it held": {"call-1"},
        "renewed": 3,
        "still a's": True,
        "b takes over": True,
        "asked": ["call-1"],
        "a sees it held": {"call-1"},
        "a takes back": False,
    }


def test_a_dead_holders_lease_runs_out(redis_db: str) -> None:
    async def scenario() -> tuple[bool, bool]:
        a, b = RedisLeases(redis_db, lease_s=1.0), RedisLeases(redis_db, lease_s=1.0)
        await a.claim("call-1")  # never started: nothing renews it, as after a SIGKILL
        await b.start(lambda session_id: asyncio.sleep(0))
        at_once = await b.claim("call-1")
        later = await b.take_over("call-1", wait_s=3.0)
        await b.aclose()
        return at_once, later

    assert asyncio.run(scenario()) == (False, True)


def test_a_call_held_by_another_replica_is_never_swept(
    redis_db: str, store: EventStore, engines: Engines
) -> None:
    held = _live_session(store)
    abandoned = _live_session(store)

    async def scenario() -> list[list[str]]:
        a, b = RedisLeases(redis_db), RedisLeases(redis_db)
        await a.claim(held)  # replica A runs this call
        manager = _manager(store, engines, b)
        await b.start(manager.hand_over)
        rounds = [
            await manager.sweep(now=100.0),  # B starts: nothing is finalised at once
            await manager.sweep(now=100.0 + GRACE_S - 1),
            await manager.sweep(now=100.0 + GRACE_S + 1),  # the abandoned call's grace is over
            await manager.sweep(now=100.0 + 10 * GRACE_S),
        ]
        await a.release(held)  # A is gone (its lease ran out or it let go)
        rounds.append(await manager.sweep(now=200.0 + 10 * GRACE_S))
        rounds.append(await manager.sweep(now=200.0 + 11 * GRACE_S))
        await a.aclose()
        await b.aclose()
        return rounds

    assert asyncio.run(scenario()) == [[], [], [abandoned], [], [], [held]]
    statuses = {record.id: record.status for record in store.list_sessions()}
    assert statuses == {held: "interrupted", abandoned: "interrupted"}
