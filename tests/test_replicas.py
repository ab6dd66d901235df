"""Observers across replicas, with real processes: two `praesent serve` on this machine's
PostgreSQL and Redis, a real call streamed to replica A, observers on replica B. What an
observer receives equals the stored log: no gap, no duplicate, in seq order, and it ends with
the call. Redis is cut off mid-call by closing the TCP relay both replicas reach it through
(the machine's own Redis stays up): the observer is told, and resumes by seq once it is back."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from praesent.live.stored_log import logged
from praesent.store import EventStore, migrate
from tests.live_server import Relay, ServerProcess
from tests.store.conftest import postgres_schema
from tests.support import await_until, read_wav

REDIS_URL = os.environ.get("PRAESENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
ROLES = ("seller", "customer")
FRAME = 800  # 50 ms at 16 kHz


@dataclass
class Replicas:
    a: ServerProcess
    b: ServerProcess
    redis_relay: Relay
    store: EventStore


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()  # this test's own Redis database
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required and unreachable: {exc}")
    client.close()
    with postgres_schema("praesent_replicas") as url:
        migrate(url)
        parts = urlsplit(REDIS_URL)
        relay = Relay(parts.port or 6379).restore()
        env = {
            "PRAESENT_DATABASE_URL": url,
            "PRAESENT_REDIS_URL": parts._replace(netloc=f"127.0.0.1:{relay.port}").geturl(),
        }
        root = tmp_path_factory.mktemp("replicas")
        (root / "a").mkdir()
        (root / "b").mkdir()
        a = ServerProcess(root / "a", **env).start()
        b = ServerProcess(root / "b", **env)
        store = EventStore(url)
        try:
            b.start()
            yield Replicas(a, b, relay, store)
        finally:
            for server in (a, b):
                if server.process is not None and server.process.poll() is None:
                    server.stop()
            relay.cut()
            store.close()


@dataclass
class Observer:
    """One observer socket's messages, with when each arrived, and how the socket closed."""

    events: list[dict[str, Any]] = field(default_factory=list)
    arrived: dict[int, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"] if self.events else 0

    def take(self, message: str | bytes) -> None:
        event = json.loads(message)
        if event["seq"] is None:
            self.errors.append(event)
            return
        self.events.append(event)
        self.arrived[event["seq"]] = time.monotonic()

    async def follow(self, socket: ClientConnection) -> Observer:
        try:
            async for message in socket:
                self.take(message)
        except ConnectionClosed:
            pass
        self.close_code = socket.close_code
        return self


def _events_url(server: ServerProcess, session_id: str, after: int = 0) -> str:
    return f"{server.ws}/v1/sessions/{session_id}/events?after={after}"


async def _observe(url: str, observer: Observer | None = None) -> Observer:
    async with connect(url) as socket:
        return await (observer or Observer()).follow(socket)


async def _call(
    server: ServerProcess,
    call: Path,
    speed: float,
    client: Observer,
    on_ready: Callable[[str], Awaitable[None]],
) -> dict[str, Any]:
    """Stream the two-channel call; ``on_ready`` runs after the session exists and before any
    audio is sent. ``client`` gets every event the capture client receives."""
    pcm = np.ascontiguousarray(read_wav(call), dtype="<i2")
    start = {
        "type": "start",
        "sample_rate": 16_000,
        "sample_format": "s16le",
        "channels": list(ROLES),
        "language": "en",
        "title": "across replicas",
    }
    async with connect(f"{server.ws}/v1/live", max_size=None) as socket:
        await socket.send(json.dumps(start))
        client.take(await socket.recv())
        await on_ready(client.events[0]["session_id"])
        receiving = asyncio.create_task(client.follow(socket))
        began = time.monotonic()
        for index, offset in enumerate(range(0, pcm.shape[0], FRAME)):
            await socket.send(pcm[offset : offset + FRAME].tobytes())
            ahead = (index + 1) * FRAME / 16_000 / speed - (time.monotonic() - began)
            if ahead > 0:
                await asyncio.sleep(ahead)
        await socket.send(json.dumps({"type": "stop"}))
        await receiving
    final = client.events[-1]
    assert final["type"] == "final", client.errors
    return final


def _stored(replicas: Replicas, session_id: str) -> list[dict[str, Any]]:
    """The session's log as the database holds it, as an observer would receive it."""
    stored = replicas.store.events_after(session_id, 0)
    return [json.loads(json.dumps(logged(item))) for item in stored]


def _delays_ms(observer: Observer, client: Observer) -> list[float]:
    """How much later than the capture client (on the session's replica) each live event
    reached the observer."""
    return [
        (arrived - client.arrived[seq]) * 1000
        for seq, arrived in observer.arrived.items()
        if seq in client.arrived
    ]


def test_an_observer_on_the_other_replica_gets_the_stored_log_live(
    replicas: Replicas, phonecall_stereo: Path
) -> None:
    client = Observer()
    early = Observer()
    watchers: dict[str, asyncio.Task[Observer]] = {}

    async def attach_early(session_id: str) -> None:
        # Before any audio: its first event (``ready``, from the store) shows it subscribed.
        socket = await connect(_events_url(replicas.b, session_id))
        early.take(await socket.recv())
        watchers["early"] = asyncio.create_task(early.follow(socket))

    async def scenario() -> tuple[Observer, Observer, int, int]:
        call = asyncio.create_task(_call(replicas.a, phonecall_stereo, 2.0, client, attach_early))
        await await_until(lambda: len(client.events) >= 40, 60, "40 events of the call", watch=call)
        assert not call.done()
        session_id = client.events[0]["session_id"]
        mid = asyncio.create_task(_observe(_events_url(replicas.b, session_id)))
        # B knows the call runs on A: it refuses to delete it.
        refused = await asyncio.to_thread(
            httpx.delete, f"{replicas.b.http}/v1/sessions/{session_id}", timeout=30
        )
        assert refused.status_code == 409, refused.text
        await call
        # How far the observers had come when the call's final event reached its client.
        early_at_final = len(early.events)
        await watchers["early"]
        after = await _observe(_events_url(replicas.b, session_id))
        return await mid, after, early_at_final, len(client.events)

    mid, after, early_at_final, total = asyncio.run(scenario())
    session_id = client.events[0]["session_id"]
    stored = _stored(replicas, session_id)
    assert [event["seq"] for event in stored] == list(range(1, len(stored) + 1))
    assert stored[-1]["type"] == "final" and stored[-1]["status"] == "finished"
    assert client.events == stored
    for observer in (early, mid, after):
        assert observer.events == stored
        assert observer.errors == []
        assert observer.close_code == 1000
    # The early observer followed the call as it ran, not from the log after it ended.
    assert early_at_final > total // 2
    delays = _delays_ms(early, client)
    print(
        f"\nevents relayed to the other replica: {len(delays)}; later than on the call's own "
        f"replica by p50 {np.percentile(delays, 50):.1f} ms, p95 {np.percentile(delays, 95):.1f} ms"
    )


def test_redis_cut_off_mid_call_cuts_observers_off_and_they_resume_by_seq(
    replicas: Replicas, phonecall_stereo: Path
) -> None:
    client = Observer()
    first = Observer()
    watchers: dict[str, asyncio.Task[Observer]] = {}

    async def attach(session_id: str) -> None:
        socket = await connect(_events_url(replicas.b, session_id))
        first.take(await socket.recv())
        watchers["first"] = asyncio.create_task(first.follow(socket))

    async def scenario() -> tuple[Observer, Observer, int, int]:
        call = asyncio.create_task(_call(replicas.a, phonecall_stereo, 1.0, client, attach))
        await await_until(
            lambda: len(first.events) >= 20, 60, "20 events at the first observer", watch=call
        )
        replicas.redis_relay.cut()
        await watchers["first"]
        # While Redis is away, a new observer gets the log so far and is told.
        session_id = client.events[0]["session_id"]
        during = await _observe(_events_url(replicas.b, session_id))
        await asyncio.sleep(2.0)
        replicas.redis_relay.restore()
        assert not call.done()
        resumed = Observer()
        stored_at_resume = len(client.events)
        resuming = asyncio.create_task(
            _observe(_events_url(replicas.b, session_id, after=first.last_seq), resumed)
        )
        await call
        resumed_at_final = len(resumed.events)
        await resuming
        return during, resumed, stored_at_resume, resumed_at_final

    during, resumed, stored_at_resume, resumed_at_final = asyncio.run(scenario())
    stored = _stored(replicas, client.events[0]["session_id"])
    assert stored[-1]["type"] == "final" and stored[-1]["status"] == "finished"
    # The call itself never noticed: its client got every event.
    assert client.events == stored
    assert [error["code"] for error in first.errors] == ["relay_lost"]
    assert first.close_code == 1013
    assert f"after={first.last_seq}" in first.errors[0]["message"]
    assert [error["code"] for error in during.errors] == ["relay_unavailable"]
    assert during.close_code == 1013
    assert during.events == stored[: len(during.events)]
    # Resumed by seq: together, no gap and no duplicate; then it ends with the call.
    assert first.events + resumed.events == stored
    assert resumed.errors == [] and resumed.close_code == 1000
    # After the resume it followed the call live again (beyond what the log held then).
    assert first.last_seq + resumed_at_final > stored_at_resume
