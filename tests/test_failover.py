"""A live call outlives its replica, with real processes: two `praesent serve` on this machine's
PostgreSQL and Redis behind Caddy (the deploy Caddyfile's proxy settings, with new calls sent
to replica A first so that the test knows where they run), and `praesent capture`'s client
streaming a real two-channel call through the proxy in real time.

- A killed with SIGKILL mid-call: the client reconnects through the proxy, B waits for A's
  lease to run out and continues the call as the same session; every event stored before the
  kill is still there, seq goes on without a repeat, the gap is marked and at most 5 s, and the
  analysis covers the call as `praesent analyze` of the file does.
- A stopped with SIGTERM while it runs two calls: A hands both over (on B's request, or as it
  stops), both go on on B and finish as the same sessions.

Observers on B, attached while the calls ran on A, receive each call's whole stored log: first
through Redis from A, then from B itself, none missed and none twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import redis
from websockets.asyncio.client import connect

from praesent.capture.client import CaptureOptions, run_capture
from praesent.capture.sources import BLOCK, SAMPLE_RATE, Samples, Source
from praesent.live.stored_log import logged
from praesent.store import EventStore, migrate
from tests.live_server import ServerProcess
from tests.overlay.reference import analyze
from tests.proxy import caddy, wait_for
from tests.store.conftest import postgres_schema
from tests.support import await_until, read_wav

REDIS_URL = os.environ.get("PRAESENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/10")
KILL_AFTER_S = 12.0
MAX_GAP_S = 5.0
# Talk time per role against `praesent analyze` of the whole file: the continued session's
# voice activity starts afresh at the cut (the overlay's reconnect test measured within 1.0 s).
TALK_TOLERANCE_S = 1.5
SCRAPE_TOKEN = "failover-scrape"


class _FileReader:
    """A channel of a recording played in real time, then silence: a device for the client."""

    def __init__(self, samples: Samples) -> None:
        self._samples = samples
        self._at = 0
        self._began = time.monotonic()

    def read(self) -> Samples:
        block = self._samples[self._at : self._at + BLOCK]
        if block.shape[0] < BLOCK:
            block = np.pad(block, (0, BLOCK - block.shape[0]))
        self._at += BLOCK
        due = self._began + self._at / SAMPLE_RATE - time.monotonic()
        if due > 0:
            time.sleep(due)
        return block

    def close(self) -> None:
        return None


@dataclass
class Cluster:
    a: ServerProcess
    b: ServerProcess
    proxy: str
    store: EventStore


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required and unreachable: {exc}")
    with postgres_schema("praesent_failover") as url:
        migrate(url)
        env = {
            "PRAESENT_DATABASE_URL": url,
            "PRAESENT_REDIS_URL": REDIS_URL,
            "PRAESENT_METRICS_TOKEN": SCRAPE_TOKEN,
        }
        servers = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(ServerProcess(tmp_path / name, **env))
        a, b = servers
        store = EventStore(url)
        try:
            with caddy(tmp_path / "proxy", [a.port, b.port], lb_policy="first") as port:
                a.start()
                b.start()
                wait_for(f"http://127.0.0.1:{port}/healthz")
                yield Cluster(a, b, f"ws://127.0.0.1:{port}", store)
        finally:
            for server in (a, b):
                if server.process is not None and server.process.poll() is None:
                    server.stop()
            store.close()
            client.flushdb()
            client.close()


def _live_here(server: ServerProcess) -> int:
    scrape = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}
    metrics = httpx.get(f"{server.http}/metrics", headers=scrape, timeout=5).text
    found = re.search(r"^praesent_live_sessions (\S+)$", metrics, re.MULTILINE)
    assert found is not None, metrics[:500]
    return round(float(found.group(1)))


async def _capture(
    cluster: Cluster, call: Path, title: str, seen: list[dict[str, Any]]
) -> dict[str, Any] | None:
    stereo = read_wav(call).astype(np.float32) / 32768
    sources = {
        role: Source(role, lambda channel=channel: _FileReader(stereo[:, channel]), print).start()
        for channel, role in enumerate(("seller", "customer"))
    }
    options = CaptureOptions(
        url=cluster.proxy,
        language="en",
        title=title,
        transcribe=False,
        duration_s=stereo.shape[0] / SAMPLE_RATE + 0.5,
    )

    def take(event: dict[str, Any]) -> None:
        seen.append({**event, "_received": time.monotonic()})

    try:
        return await run_capture(options, sources, take, asyncio.Event())
    finally:
        for source in sources.values():
            source.stop()


async def _observe(server: ServerProcess, session_id: str) -> list[dict[str, Any]]:
    """Every event an observer on ``server`` receives, until the socket closes."""
    got: list[dict[str, Any]] = []
    url = f"{server.ws}/v1/sessions/{session_id}/events?after=0"
    async with connect(url) as socket:
        async for message in socket:
            got.append(json.loads(message))
    return got


async def _started(seen: list[dict[str, Any]]) -> str:
    await await_until(lambda: bool(seen), 60, "the call's ready event")
    return str(seen[0]["session_id"])


def _stored(cluster: Cluster, session_id: str) -> list[dict[str, Any]]:
    return [logged(item) for item in cluster.store.events_after(session_id, 0)]


def test_a_call_goes_on_on_another_replica_when_its_own_is_killed(
    cluster: Cluster, phonecall_stereo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[dict[str, Any]] = []

    async def scenario() -> tuple[dict[str, Any] | None, list[dict[str, Any]], int, float]:
        call = asyncio.create_task(_capture(cluster, phonecall_stereo, "failover", seen))
        # An observer on B, following the call on A through Redis, then on B itself.
        observer = asyncio.create_task(_observe(cluster.b, await _started(seen)))
        await asyncio.sleep(KILL_AFTER_S)
        on_a = await asyncio.to_thread(_live_here, cluster.a)
        before = await asyncio.to_thread(_stored, cluster, seen[0]["session_id"])
        killed = time.monotonic()
        cluster.a.stop(signal.SIGKILL)
        final = await call
        observed.extend(await observer)
        return final, before, on_a, killed

    observed: list[dict[str, Any]] = []
    final, before_kill, on_a, killed = asyncio.run(scenario())
    assert on_a == 1, "the call ran on replica A"
    assert final is not None and final["status"] == "finished", final
    session_id = seen[0]["session_id"]
    assert final["session_id"] == session_id
    readies = [event for event in seen if event["type"] == "ready"]
    assert len(readies) == 2 and readies[1]["resumed"] is True, readies
    stored = _stored(cluster, session_id)
    assert [event["seq"] for event in stored] == list(range(1, len(stored) + 1))
    assert stored[: len(before_kill)] == before_kill, "an event stored before the kill changed"
    assert observed == stored, "the observer on B missed or repeated an event"
    assert len(before_kill) > 10
    gaps = [event for event in stored if event["type"] == "gap"]
    assert len(gaps) == 1 and gaps[0]["gap_s"] <= MAX_GAP_S, gaps
    assert gaps[0]["from_s"] >= KILL_AFTER_S - 4, gaps
    analysis = httpx.get(f"{cluster.b.http}/v1/sessions/{session_id}", timeout=30).json()
    assert analysis["gaps"] == [{"from_s": gaps[0]["from_s"], "to_s": gaps[0]["to_s"]}]
    reference = analyze(phonecall_stereo)
    report = [
        f"live on B {readies[1]['_received'] - killed:.1f} s after the kill",
        f"gap {gaps[0]['gap_s']:.2f} s at {gaps[0]['from_s']:.1f} s",
    ]
    for role in ("seller", "customer"):
        live, ref = analysis["roles"][role]["talk_s"], reference["roles"][role]["talk_s"]
        report.append(f"{role} {live:.2f} s vs {ref:.2f} s")
        assert abs(live - ref) <= TALK_TOLERANCE_S + gaps[0]["gap_s"], report
    with capsys.disabled():
        print("\nfailover after SIGKILL: " + "; ".join(report))


def test_a_stopping_replica_hands_its_calls_over(
    cluster: Cluster, phonecall_stereo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, list[dict[str, Any]]] = {"one": [], "two": []}

    async def scenario() -> tuple[list[dict[str, Any] | None], int, float, float]:
        calls = [
            asyncio.create_task(_capture(cluster, phonecall_stereo, title, events))
            for title, events in seen.items()
        ]
        observers = [
            asyncio.create_task(_observe(cluster.b, await _started(events)))
            for events in seen.values()
        ]
        await asyncio.sleep(KILL_AFTER_S)
        on_a = await asyncio.to_thread(_live_here, cluster.a)
        stopping = time.monotonic()
        code = await asyncio.to_thread(cluster.a.stop, signal.SIGTERM)
        stopped_s = time.monotonic() - stopping
        # uvicorn raises the signal again once it has shut down cleanly.
        assert code in (0, -signal.SIGTERM), code
        assert "Application shutdown complete" in cluster.a.log.read_text()
        finals = list(await asyncio.gather(*calls))
        for events, watched in zip(seen.values(), await asyncio.gather(*observers), strict=True):
            observed[events[0]["session_id"]] = watched
        return finals, on_a, stopped_s, stopping

    observed: dict[str, list[dict[str, Any]]] = {}

    finals, on_a, stopped_s, stopping = asyncio.run(scenario())
    assert on_a == 2, "both calls ran on replica A"
    report = [f"A stopped in {stopped_s:.1f} s"]
    for (title, events), final in zip(seen.items(), finals, strict=True):
        assert final is not None and final["status"] == "finished", (title, final)
        session_id = events[0]["session_id"]
        assert final["session_id"] == session_id
        stored = _stored(cluster, session_id)
        assert [event["seq"] for event in stored] == list(range(1, len(stored) + 1))
        assert observed[session_id] == stored, f"{title}: the observer on B missed an event"
        gaps = [event for event in stored if event["type"] == "gap"]
        assert len(gaps) == 1 and gaps[0]["gap_s"] <= MAX_GAP_S, gaps
        readies = [event for event in events if event["type"] == "ready"]
        assert len(readies) == 2 and readies[1]["resumed"] is True, readies
        moved_s = readies[1]["_received"] - stopping
        report.append(f"{title}: live on B {moved_s:.1f} s after SIGTERM, gap {gaps[0]['gap_s']} s")
    sessions = httpx.get(f"{cluster.b.http}/v1/sessions", timeout=30).json()
    assert sorted(s["title"] for s in sessions) == ["one", "two"]
    assert {s["status"] for s in sessions} == {"finished"}
    with capsys.disabled():
        print("\nhandover on SIGTERM: " + "; ".join(report))
