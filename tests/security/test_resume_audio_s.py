"""#22 item 17: a resume's ``audio_s`` is finite and bounded. ``Infinity`` or ``1e308``
overflowed (1011, internal) and left the session stuck live; now the message is refused as
invalid and the call can still be resumed properly."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.live_server import ServerProcess

START = {"type": "start", "channels": ["seller", "customer"], "transcribe": False}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("resume")).start()
    yield process
    process.stop()


def _next(socket: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        event = json.loads(socket.recv(timeout=60))
        if event["type"] in (kind, "error"):
            return dict(event)


def test_resume_audio_s(server: ServerProcess) -> None:
    with connect(f"{server.ws}/v1/live", open_timeout=10) as first:
        first.send(json.dumps(START))
        session_id = _next(first, "ready")["session_id"]
    # The client vanished; it comes back with an absurd audio time (raw JSON: Infinity).
    for audio_s in ("Infinity", "1e308", "-1"):
        text = (
            '{"type": "start", "channels": ["seller", "customer"], "transcribe": false, '
            f'"resume": {{"session_id": "{session_id}", "after_seq": 0, "audio_s": {audio_s}}}}}'
        )
        with connect(f"{server.ws}/v1/live", open_timeout=10) as socket:
            socket.send(text)
            error = _next(socket, "ready")
            assert error["type"] == "error" and error["code"] == "invalid_message", error
            with pytest.raises(ConnectionClosed) as closed:
                socket.recv(timeout=30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007, audio_s
    # The call was not wrecked: a proper resume goes on with the same session and ends it.
    resume = {"session_id": session_id, "after_seq": 0, "audio_s": 0.0}
    with connect(f"{server.ws}/v1/live", open_timeout=10) as socket:
        socket.send(json.dumps({**START, "resume": resume}))
        ready = _next(socket, "ready")
        while ready["type"] == "ready" and "resumed" not in ready:  # the replayed log's
            ready = _next(socket, "ready")
        assert ready["type"] == "ready" and ready["resumed"] is True, ready
        socket.send(json.dumps({"type": "stop"}))
        assert _next(socket, "final")["type"] == "final"
