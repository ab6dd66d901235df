"""A dropped live socket while the server keeps running: the client comes back with ``resume``
and the same session goes on. It is sent every event after the last one it saw (none twice), the
audio it could not deliver is a marked gap of silence, and the analysis covers the whole call.
A client that comes back after the server finalised its session (it waited the grace for it in
vain) goes on in a new session linked to the old one, which carries the old one's log on."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from tests.live_server import ServerProcess, free_port
from tests.support import SAMPLE_RATE, read_wav

FRAME = SAMPLE_RATE * 40 // 1000
DROP_AT_S = 10.0
LOST_S = 1.0  # audio the client had when the connection dropped and could not deliver
START = {"type": "start", "channels": ["seller", "customer"], "language": "en", "transcribe": False}


async def _send(socket: ClientConnection, pcm: bytes, frames: range) -> None:
    for index in frames:
        await socket.send(pcm[index * FRAME * 4 : (index + 1) * FRAME * 4])
        await asyncio.sleep(0.01)  # about four times real time


async def _collect(socket: ClientConnection, into: list[dict[str, Any]]) -> None:
    async for message in socket:
        into.append(json.loads(message))


async def _drop_and_resume(
    server: ServerProcess, call: Path, after_finalised: bool = False
) -> tuple[Any, ...]:
    pcm = read_wav(call).tobytes()
    frames = len(pcm) // (FRAME * 4)
    drop, back = round(DROP_AT_S * 25), round((DROP_AT_S + LOST_S) * 25)
    first: list[dict[str, Any]] = []
    socket = await connect(f"{server.ws}/v1/live")
    await socket.send(json.dumps(START))
    reader = asyncio.create_task(_collect(socket, first))
    await _send(socket, pcm, range(drop))
    await asyncio.sleep(1.0)  # the events of what was sent arrive
    socket.transport.abort()  # the network is gone: no close handshake
    await asyncio.gather(reader, return_exceptions=True)
    session_id = first[0]["session_id"]
    seen = max(event["seq"] for event in first)
    if after_finalised:
        await asyncio.to_thread(_wait_until_finalised, server, session_id)

    second: list[dict[str, Any]] = []
    async with connect(f"{server.ws}/v1/live") as socket:
        resume = {"session_id": session_id, "after_seq": seen, "audio_s": back / 25}
        await socket.send(json.dumps({**START, "resume": resume}))
        reader = asyncio.create_task(_collect(socket, second))
        await _send(socket, pcm, range(back, frames))
        await socket.send(json.dumps({"type": "stop"}))
        await reader
    now_id = next(event["session_id"] for event in second if event["type"] == "ready")
    async with connect(f"{server.ws}/v1/sessions/{now_id}/events?after=0") as observer:
        stored = [json.loads(message) async for message in observer]
    return first, second, stored


def _status(server: ServerProcess, session_id: str) -> str:
    listing = httpx.get(f"{server.http}/v1/sessions", timeout=10).json()
    return str(next(record["status"] for record in listing if record["id"] == session_id))


def _wait_until_finalised(server: ServerProcess, session_id: str) -> None:
    for _ in range(120):
        if _status(server, session_id) != "live":
            return
        time.sleep(0.25)
    raise AssertionError(f"session {session_id} still live after the grace")


def test_a_dropped_socket_resumes_the_same_session(
    overlay_server: ServerProcess, phonecall_stereo: Path
) -> None:
    first, second, stored = asyncio.run(_drop_and_resume(overlay_server, phonecall_stereo))
    session_id = first[0]["session_id"]
    ready = [event for event in second if event["type"] == "ready"]
    assert ready and ready[0]["session_id"] == session_id and ready[0]["resumed"] is True
    seqs = [event["seq"] for event in first + second]
    assert seqs == list(range(1, len(seqs) + 1)), "an event missed or seen twice"
    assert first + second == stored
    gaps = [event for event in stored if event["type"] == "gap"]
    assert len(gaps) == 1
    gap = gaps[0]
    assert abs(gap["from_s"] - DROP_AT_S) <= 0.05 and gap["to_s"] == DROP_AT_S + LOST_S, gap
    assert second[-1]["type"] == "final" and second[-1]["session_id"] == session_id
    analysis = httpx.get(f"{overlay_server.http}/v1/sessions/{session_id}", timeout=30).json()
    assert analysis["gaps"] == [{"from_s": gap["from_s"], "to_s": gap["to_s"]}]
    # The session's audio runs on through the gap: 30 s of call, the lost second included.
    assert abs(analysis["duration_s"] - 30.0) <= 0.1, analysis["duration_s"]
    assert analysis["roles"]["customer"]["talk_s"] > 10


def test_a_finalised_session_goes_on_in_a_linked_one(
    tmp_path: Path, phonecall_stereo: Path
) -> None:
    # The server waits 2 s (30 s by default) for a vanished client before it finalises the call.
    grace = {"PRAESENT_LIVE_RESUME_GRACE_S": "2", "PRAESENT_LIVE_SWEEP_S": "0.5"}
    server = ServerProcess(tmp_path, port=free_port(), **grace).start()
    try:
        first, second, stored = asyncio.run(
            _drop_and_resume(server, phonecall_stereo, after_finalised=True)
        )
        old_id = first[0]["session_id"]
        new_id = next(event["session_id"] for event in second if event["type"] == "ready")
        old_status = _status(server, old_id)
        analysis = httpx.get(f"{server.http}/v1/sessions/{new_id}", timeout=30).json()
    finally:
        server.stop()
    assert new_id != old_id and old_status != "live", old_status
    ready = [event for event in second if event["type"] == "ready"]
    assert ready and ready[0]["resumed"] is False
    # The client sees one log: the old session's events, then the new one's, none twice.
    seqs = [event["seq"] for event in first + second]
    assert seqs == list(range(1, len(seqs) + 1)), "an event missed or seen twice"
    assert [event["seq"] for event in stored] == list(range(1, len(stored) + 1))
    assert stored[: len(first)] == first and stored[-len(second) :] == second
    gaps = [event for event in stored if event["type"] == "gap"]
    assert len(gaps) == 1 and gaps[0]["resumed_from"] == old_id, gaps
    gap = gaps[0]
    assert abs(gap["from_s"] - DROP_AT_S) <= 0.05 and gap["to_s"] == DROP_AT_S + LOST_S, gap
    assert second[-1]["type"] == "final" and second[-1]["session_id"] == new_id
    print(f"continued {old_id} ({old_status}) as {new_id}; gap {gap['from_s']}-{gap['to_s']} s")
    assert analysis["gaps"] == [{"from_s": gap["from_s"], "to_s": gap["to_s"]}]
    assert abs(analysis["duration_s"] - 30.0) <= 0.1, analysis["duration_s"]
    assert analysis["roles"]["customer"]["talk_s"] > 10
