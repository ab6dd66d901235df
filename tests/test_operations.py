"""/healthz, /readyz and /metrics of real `praesent serve` processes on this machine's PostgreSQL
and Redis. The database and Redis are cut off by closing a TCP relay between the server and
them (the machine's own PostgreSQL and Redis stay up for everyone else)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect

from praesent.live.player import stream_file
from praesent.store import EventStore
from tests.live_server import Relay, ServerProcess
from tests.store.conftest import postgres_schema
from tests.support import read_wav, shared

REDIS_URL = os.environ.get("PRAESENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SCRAPE_TOKEN = "scrape-token-for-the-test"
ROLES = ("seller", "customer")


def _redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()  # this test's own Redis database
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required and unreachable: {exc}")
    return client


def _ready(server: ServerProcess) -> httpx.Response:
    return httpx.get(f"{server.http}/readyz", timeout=30)


def test_readyz_follows_the_database_and_redis(tmp_path: Path) -> None:
    queue = _redis()
    redis_url = urlsplit(REDIS_URL)
    with postgres_schema("praesent_ops") as url:
        database = Relay(make_url(url).port or 5432).restore()
        broker = Relay(redis_url.port or 6379).restore()
        server = ServerProcess(
            tmp_path,
            PRAESENT_DATABASE_URL=make_url(url).set(port=database.port).render_as_string(False),
            PRAESENT_REDIS_URL=redis_url._replace(netloc=f"127.0.0.1:{broker.port}").geturl(),
        ).start()
        try:
            ready = _ready(server)
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}

            database.cut()
            down = _ready(server)
            assert down.status_code == 503, down.text
            assert down.json()["checks"] == {"database": "down", "redis": "ok"}
            assert down.json()["error"]["code"] == "not_ready"
            # Which dependency, never where it is.
            for secret in (str(database.port), "127.0.0.1", "postgres", "search_path"):
                assert secret not in down.text
            # The process itself lives: a liveness probe must not restart it for the database.
            assert httpx.get(f"{server.http}/healthz", timeout=30).status_code == 200

            database.restore()
            assert _ready(server).status_code == 200

            broker.cut()
            down = _ready(server)
            assert down.status_code == 503, down.text
            assert down.json()["checks"] == {"database": "ok", "redis": "down"}
            broker.restore()
            assert _ready(server).status_code == 200
        finally:
            server.stop()
            database.cut()
            broker.cut()
            queue.close()


Figures = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _figures(text: str) -> Figures:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(figures: Figures, name: str, **labels: str) -> float:
    return figures[(name, frozenset(labels.items()))]


def _scrape(server: ServerProcess) -> Figures:
    response = httpx.get(
        f"{server.http}/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return _figures(response.text)


@pytest.fixture
def metrics_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, EventStore]]:
    queue = _redis()
    with postgres_schema("praesent_metrics") as url:
        server = ServerProcess(
            tmp_path,
            PRAESENT_DATABASE_URL=url,
            PRAESENT_REDIS_URL=REDIS_URL,
            PRAESENT_METRICS_TOKEN=SCRAPE_TOKEN,
            PRAESENT_UPLOADS_DIR=str(tmp_path / "uploads"),
        ).start()
        store = EventStore(url)
        try:
            yield server, store
        finally:
            server.stop()
            store.close()
            queue.flushdb()
            queue.close()


async def _call_with_a_scrape(
    server: ServerProcess, call: Path
) -> tuple[
    dict[tuple[str, frozenset[tuple[str, str]]], float], list[dict[str, Any]], dict[str, Any]
]:
    """Stream the call; scrape once the call's first balance came back, while it goes on."""
    events: list[dict[str, Any]] = []
    balance = asyncio.Event()

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if event["type"] == "balance":
            balance.set()

    streaming = asyncio.create_task(
        stream_file(call, ROLES, server.ws, speed=3.0, on_event=on_event)
    )
    await asyncio.wait_for(balance.wait(), timeout=300)  # a guard against a hang
    during = await asyncio.to_thread(_scrape, server)
    assert not streaming.done(), "the call ended before the scrape"
    final = await streaming
    return during, events, final


async def _observe(server: ServerProcess, session_id: str) -> int:
    """Read a finished session's events as an observer: how many came."""
    count = 0
    async with connect(f"{server.ws}/v1/sessions/{session_id}/events") as socket_:
        async for _message in socket_:
            count += 1
    return count


def test_metrics_during_a_live_call_show_the_session_and_the_queue(
    metrics_server: tuple[ServerProcess, EventStore], phonecall_stereo: Path
) -> None:
    server, store = metrics_server
    # Three uploads and no worker: three queued jobs; one taken, one failed, as a worker would.
    upload = shared("en-jfk/jfk.flac")
    ids = []
    for _ in range(3):
        response = httpx.post(
            f"{server.http}/v1/jobs",
            files={"file": (upload.name, upload.read_bytes())},
            data={"mono": "true"},
            timeout=60,
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    assert store.jobs.start(ids[0], "a worker") is not None
    assert store.jobs.fail(ids[1], "a failure")

    # Prometheus's token, or an admin: nobody else. Without accounts the caller is the local
    # owner, who is no admin.
    assert httpx.get(f"{server.http}/metrics", timeout=30).status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.get(f"{server.http}/metrics", headers=wrong, timeout=30).status_code == 403

    during, events, final = asyncio.run(_call_with_a_scrape(server, phonecall_stereo))
    call_s = read_wav(phonecall_stereo).shape[0] / 16_000
    print(f"during the call: {len(events)} events so far, scraped {len(during)} samples")
    assert _value(during, "praesent_live_sessions") == 1
    heard = _value(during, "praesent_live_audio_seconds_total")
    assert 0 < heard < call_s
    assert _value(during, "praesent_events_sent_total", socket="live") > 0
    assert _value(during, "praesent_speech_to_text_finals_waiting") >= 0
    assert _value(during, "praesent_speech_to_text_lag_seconds") >= 0
    assert _value(during, "praesent_jobs", state="queued") == 1
    assert _value(during, "praesent_jobs", state="running") == 1
    assert _value(during, "praesent_jobs", state="failed") == 1
    assert _value(during, "praesent_jobs", state="done") == 0
    assert _value(during, "praesent_jobs_oldest_queued_age_seconds") > 0

    assert final["status"] == "finished"
    observed = asyncio.run(_observe(server, final["session_id"]))
    after = _scrape(server)
    assert _value(after, "praesent_live_sessions") == 0
    # Every sample the client sent, counted once.
    assert _value(after, "praesent_live_audio_seconds_total") == pytest.approx(call_s, abs=0.01)
    assert _value(after, "praesent_events_sent_total", socket="live") == len(events)
    assert _value(after, "praesent_events_sent_total", socket="observer") == observed
    requests = "praesent_http_requests_total"
    assert _value(after, requests, method="POST", route="/v1/jobs", status="202") == 3
    assert _value(after, requests, method="GET", route="/metrics", status="403") == 2
    assert _value(after, requests, method="GET", route="/metrics", status="200") == 1
