"""An observer that stops reading is cut off with a resume hint; the session goes on.

The server runs in this process on a listening socket with a small send buffer, so that the
kernel cannot hide a slow reader behind megabytes of automatic buffering.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.live.player import stream_file
from praesent.settings import Settings
from tests.support import await_until, read_wav, write_wav


@pytest.fixture
def small_buffer_server(engines: Engines, tmp_path: Path) -> Iterator[int]:
    settings = Settings(data_dir=tmp_path, observer_queue_size=16)
    app = create_app(settings, load=lambda _settings: engines)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start within 60 s"
    yield port
    server.should_exit = True
    thread.join(timeout=60)


async def _stalled_observer(port: int, call: Path) -> tuple[list[dict[str, Any]], int | None, Any]:
    ids: list[str] = []

    def remember(event: dict[str, Any]) -> None:
        if event["type"] == "ready":
            ids.append(event["session_id"])

    player = asyncio.create_task(
        stream_file(
            call,
            ("seller", "customer"),
            f"ws://127.0.0.1:{port}",
            speed=0,
            on_event=remember,
            transcribe=False,
        )
    )
    await await_until(lambda: bool(ids), 60, "the call's ready event", 0.01, watch=player)
    # A plain socket that shakes hands and then reads nothing while the whole call streams.
    protocol = ClientProtocol(
        parse_uri(f"ws://127.0.0.1:{port}/v1/sessions/{ids[0]}/events?after=0")
    )
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    raw.connect(("127.0.0.1", port))
    protocol.send_request(protocol.connect())
    raw.sendall(b"".join(protocol.data_to_send()))
    final = await player
    await asyncio.sleep(0.5)
    received: list[dict[str, Any]] = []
    raw.settimeout(10)
    with raw:
        try:
            while data := raw.recv(65536):
                protocol.receive_data(data)
                for frame in protocol.events_received():
                    if isinstance(frame, Frame) and frame.opcode is Opcode.TEXT:
                        received.append(json.loads(frame.data))
                raw.sendall(b"".join(protocol.data_to_send()))
        except ConnectionResetError:
            # The server may drop the connection once its close handshake timed out (a loaded
            # machine reads slowly); what was read before that is asserted below.
            pass
    close = protocol.close_rcvd
    return received, close.code if close is not None else None, final


def test_slow_observer_is_cut_off_and_can_resume(
    small_buffer_server: int, tmp_path: Path, phonecall_stereo: Path
) -> None:
    # Ten minutes of the call, analytics only: ~1,500 events, far more than the buffers hold.
    audio = read_wav(phonecall_stereo)
    long_call = write_wav(tmp_path / "long.wav", np.concatenate([audio] * 20))
    received, code, final = asyncio.run(_stalled_observer(small_buffer_server, long_call))
    assert final["status"] == "finished"  # the session itself was never held up
    assert code == 1008
    error = received[-1]
    assert error["type"] == "error" and error["code"] == "too_slow"
    logged = [event for event in received if event["type"] != "error"]
    assert [e["seq"] for e in logged] == list(range(1, len(logged) + 1))
    assert logged[-1]["seq"] < final["seq"]
    assert f"after={logged[-1]['seq']}" in error["message"]

    # Resuming where it stopped gives the rest, up to the final message.
    async def resume() -> list[dict[str, Any]]:
        url = (
            f"ws://127.0.0.1:{small_buffer_server}/v1/sessions/{final['session_id']}"
            f"/events?after={logged[-1]['seq']}"
        )
        async with connect(url) as observer:
            return [json.loads(message) async for message in observer]

    rest = asyncio.run(resume())
    assert [e["seq"] for e in logged + rest] == list(range(1, final["seq"] + 1))
    status = httpx.get(f"http://127.0.0.1:{small_buffer_server}/healthz").json()["status"]
    assert status == "ok"
