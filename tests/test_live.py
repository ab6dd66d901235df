"""The live socket against a real server process: replay, bad input, observers, crashes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from praesent.analysis import AnalysisRequest
from praesent.errors import PraesentError
from praesent.live.player import stream_file
from tests.analyses import Analyses
from tests.live_server import ServerProcess
from tests.llm_stand_in import StandIn, running_stand_in
from tests.support import await_until, read_wav, wait_until

ROLES = ("seller", "customer")


@pytest.fixture(scope="module")
def llm() -> Iterator[StandIn]:
    """An LLM endpoint for the server's topic summaries (a stand-in speaking its protocol)."""
    with running_stand_in() as state:
        yield state


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, llm: StandIn) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("live"),
        PRAESENT_LIVE_IDLE_TIMEOUT_S="3",
        PRAESENT_OBSERVER_QUEUE_SIZE="16",
        PRAESENT_LLM_BASE_URL=llm.url,
    ).start()
    yield process
    process.stop()


def _session(server: ServerProcess, session_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.http}/v1/sessions/{session_id}", timeout=30)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _pairs(items: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(item["by"], item["at_s"]) for item in items]


def test_replay_in_real_time_equals_the_file_analysis(
    server: ServerProcess, phonecall_stereo: Path, analyses: Analyses, llm: StandIn
) -> None:
    events: list[dict[str, Any]] = []
    began = time.monotonic()
    final = asyncio.run(
        stream_file(phonecall_stereo, ROLES, server.ws, speed=1.0, on_event=events.append)
    )
    assert time.monotonic() - began >= 29.0  # it really took real time
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert final["status"] == "finished"
    live = _session(server, final["session_id"])
    offline = analyses(phonecall_stereo, AnalysisRequest())
    for role in ROLES:
        assert live["roles"][role]["talk_s"] == pytest.approx(
            offline["roles"][role]["talk_s"], abs=0.1
        )
    assert _pairs(live["interruptions"]) == _pairs(offline["interruptions"])
    assert _pairs(live["backchannels"]) == _pairs(offline["backchannels"])
    # The server's LLM endpoint rewrote each topic's summary when the call ended.
    rewritten = ["Invoices are written by hand in spreadsheets.", "About 2000 a month."]
    assert offline["topics"] and all(t["summary"] != rewritten for t in offline["topics"])
    wait_until(
        lambda: (
            [t["summary"] for t in _session(server, final["session_id"])["topics"]]
            == [rewritten] * len(offline["topics"])
        ),
        30,
        "the stored topics with the LLM's summaries",
    )
    assert any("Customer: " in r["messages"][1]["content"] for r in llm.requests), llm.requests
    assert any(e["type"] == "balance" for e in events)
    assert any(e["type"] == "transcript" for e in events)
    listing = httpx.get(f"{server.http}/v1/sessions").json()
    assert final["session_id"] in [item["id"] for item in listing]
    # Every event the client saw is described by the published schema.
    schema = httpx.get(f"{server.http}/v1/live/schema").json()["server_events"]
    for event in events:
        known = set(schema[event["type"]]["properties"])
        assert set(event) <= known, (event["type"], set(event) - known)


def _pcm(path: Path, seconds: float) -> bytes:
    audio = read_wav(path)[: round(seconds * 16_000)]
    return np.ascontiguousarray(audio, dtype="<i2").tobytes()


async def _expect_error(socket_: ClientConnection) -> tuple[dict[str, Any], int | None]:
    error: dict[str, Any] = {}
    try:
        async for message in socket_:
            event = json.loads(message)
            if event["type"] == "error":
                error = event
    except ConnectionClosed:
        pass
    assert socket_.close_code is not None
    return error, socket_.close_code


START = json.dumps({"type": "start", "channels": ["seller", "customer"]})


async def _bad(server: ServerProcess, case: str, call: Path) -> tuple[str, int | None]:
    async with connect(f"{server.ws}/v1/live") as socket_:
        frame = _pcm(call, 0.05)
        if case == "audio_before_start":
            await socket_.send(frame)
        elif case == "unknown_format":
            await socket_.send(json.dumps({"type": "start", "sample_format": "mulaw"}))
        elif case == "invalid_json":
            await socket_.send("{not json")
        elif case == "unknown_type":
            await socket_.send(json.dumps({"type": "dance"}))
        else:
            await socket_.send(START)
            await socket_.send(frame)
            if case == "odd_bytes":
                await socket_.send(frame[:-1])
            elif case == "too_big":
                await socket_.send(_pcm(call, 1.0))
            elif case == "second_start":
                await socket_.send(START)
            elif case == "silent_client":
                pass  # sends nothing more: the idle timeout (3 s here) cuts it off
        error, code = await _expect_error(socket_)
        return error.get("code", ""), code


async def _bad_beside_good(server: ServerProcess, call: Path) -> tuple[Any, ...]:
    good = asyncio.create_task(stream_file(call, ROLES, server.ws, speed=3.0))
    cases = (
        "audio_before_start",
        "unknown_format",
        "invalid_json",
        "unknown_type",
        "odd_bytes",
        "too_big",
        "second_start",
        "silent_client",
    )
    bad = await asyncio.gather(*(_bad(server, case, call) for case in cases))
    return dict(zip(cases, bad, strict=True)), await good


def test_bad_input_gets_typed_errors_and_close_codes(
    server: ServerProcess, phonecall_stereo: Path
) -> None:
    results, good_final = asyncio.run(_bad_beside_good(server, phonecall_stereo))
    assert results == {
        "audio_before_start": ("not_started", 1008),
        "unknown_format": ("unsupported_format", 1003),
        "invalid_json": ("invalid_json", 1007),
        "unknown_type": ("unknown_type", 1008),
        "odd_bytes": ("bad_frame", 1007),
        "too_big": ("frame_too_big", 1009),
        "second_start": ("already_started", 1008),
        "silent_client": ("idle_timeout", 1008),
    }
    # The good session beside them went on unharmed.
    assert good_final["status"] == "finished"
    analysis = _session(server, good_final["session_id"])
    assert analysis["roles"]["customer"]["talk_s"] > 10
    # Sessions cut off by errors were finalised with what they had said.
    interrupted = [
        s for s in httpx.get(f"{server.http}/v1/sessions").json() if s["status"] == "interrupted"
    ]
    assert len(interrupted) >= 4
    for record in interrupted:
        assert "roles" in _session(server, record["id"])


async def _observe(url: str, limit: int | None = None) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with connect(url) as observer:
        async for message in observer:
            seen.append(json.loads(message))
            if limit is not None and len(seen) >= limit:
                break
    return seen


async def _drop_and_resume(server: ServerProcess, call: Path) -> tuple[Any, ...]:
    ids: list[str] = []

    def remember(event: dict[str, Any]) -> None:
        if event["type"] == "ready":
            ids.append(event["session_id"])

    player = asyncio.create_task(stream_file(call, ROLES, server.ws, speed=2.0, on_event=remember))
    await await_until(lambda: bool(ids), 60, "the call's ready event", watch=player)
    events_url = f"{server.ws}/v1/sessions/{ids[0]}/events"
    first = await _observe(f"{events_url}?after=0", limit=12)
    await asyncio.sleep(2.0)  # disconnected while the call goes on
    rest = await _observe(f"{events_url}?after={first[-1]['seq']}")
    final = await player
    everything = await _observe(f"{events_url}?after=0")
    return first, rest, everything, final


def test_observer_resumes_without_gaps_or_repeats(
    server: ServerProcess, phonecall_stereo: Path
) -> None:
    first, rest, everything, final = asyncio.run(_drop_and_resume(server, phonecall_stereo))
    seqs = [event["seq"] for event in first + rest]
    assert seqs == list(range(1, len(seqs) + 1))
    assert first + rest == everything
    assert everything[-1]["type"] == "final" and everything[-1]["session_id"] == final["session_id"]


@pytest.mark.parametrize("kill", [signal.SIGTERM, signal.SIGKILL])
def test_killed_server_keeps_what_was_stored(
    tmp_path: Path, phonecall_stereo: Path, kill: signal.Signals
) -> None:
    # A call nobody resumes is finalised 2 s after the server is back (30 s by default).
    grace = {"PRAESENT_LIVE_RESUME_GRACE_S": "2", "PRAESENT_LIVE_SWEEP_S": "0.5"}
    server = ServerProcess(tmp_path, **grace).start()
    received: list[dict[str, Any]] = []

    async def play_until_killed() -> None:
        player = asyncio.create_task(
            stream_file(phonecall_stereo, ROLES, server.ws, speed=1.0, on_event=received.append)
        )
        await asyncio.sleep(14.0)
        server.stop(kill)
        # A terminated server closes the socket with 1012 (go on elsewhere); a killed one
        # just vanishes.
        with contextlib.suppress(PraesentError, OSError, ConnectionClosed):
            await player

    asyncio.run(play_until_killed())
    logged = [event for event in received if event.get("seq")]
    assert len(logged) > 10
    server.start()
    try:
        # Live until the grace for its client has passed, then finalised from its log.
        statuses = []
        for _ in range(40):
            listing = httpx.get(f"{server.http}/v1/sessions").json()
            statuses.append(listing[0]["status"])
            if statuses[-1] != "live":
                break
            time.sleep(0.25)
        assert len(listing) == 1 and statuses[-1] == "interrupted", statuses
        session_id = listing[0]["id"]
        analysis = _session(server, session_id)
        assert analysis["roles"]["seller"]["talk_s"] > 2
        stored = asyncio.run(_observe(f"{server.ws}/v1/sessions/{session_id}/events?after=0"))
        stored_by_seq = {event["seq"]: event for event in stored}
        for event in logged:
            assert stored_by_seq[event["seq"]] == event
        assert httpx.delete(f"{server.http}/v1/sessions/{session_id}").status_code == 204
        assert httpx.get(f"{server.http}/v1/sessions/{session_id}").status_code == 404
    finally:
        server.stop()


def test_the_stream_command_prints_the_events_as_json_lines(
    server: ServerProcess, tmp_path: Path
) -> None:
    """``praesent stream`` as a person runs it: the two-channel sample played at once, every
    event one JSON line, from ready to final, each side's words transcribed."""
    import subprocess
    import sys

    from tests.live_server import process_env
    from tests.support import shared, wer

    sample = shared("en-stereo-2ch/stereo_diarization.wav")
    options = ("--url", server.ws, "--language", "en", "--title", "streamed")
    run = subprocess.run(
        [sys.executable, "-m", "praesent", "stream", str(sample), "--speed", "0", *options],
        env=process_env(tmp_path, {}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert events[0]["type"] == "ready" and events[-1]["type"] == "final"
    logged = [e["seq"] for e in events if e.get("seq") is not None]
    assert logged == sorted(logged) and len(set(logged)) == len(logged)
    said = {"seller": "", "customer": ""}
    for event in events:
        if event["type"] == "transcript":
            said[event["role"]] += " " + event["text"]
    assert wer("The horizon seems extremely distant.", said["customer"]) <= 0.2, said
    assert "wizard" in said["seller"].lower(), said
    session_id = events[0]["session_id"]

    def stored() -> dict[str, Any]:
        listed = httpx.get(f"{server.http}/v1/sessions", timeout=30).json()
        return next(s for s in listed if s["id"] == session_id)

    wait_until(
        lambda: stored()["status"] == "finished", 30, "the streamed session stored as finished"
    )
    assert stored()["title"] == "streamed"
    assert _session(server, session_id)["roles"]["customer"]["talk_s"] > 1
