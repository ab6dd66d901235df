"""#22 item 10: a live-only token read a finished session's whole log by sending ``start`` with
``resume: {session_id: OLD, after_seq: 0}`` (and made a copy of the session). Now a finished
call (ended with ``stop``) is not resumed, and the stored log is backfilled only to a
credential with the read scope; an interrupted call still goes on, from now on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from praesent.store import EventStore
from praesent.team.accounts import issue_token
from tests.live_server import ServerProcess

START = {"type": "start", "channels": ["seller", "customer"], "transcribe": False}
Tokens = dict[str, str]


@pytest.fixture(scope="module")
def server_and_tokens(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, Tokens]]:
    folder = tmp_path_factory.mktemp("resume-scope")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        sam = store.people.create_user("sam@example.com", "seller")
        tokens = {
            "full": issue_token(store.people, sam, "all").token,
            "live": issue_token(store.people, sam, "live only", ["live"]).token,
        }
    process = ServerProcess(
        folder, PRAESENT_LIVE_RESUME_GRACE_S="1", PRAESENT_LIVE_SWEEP_S="0.5"
    ).start()
    yield process, tokens
    process.stop()


def _socket(server: ServerProcess, token: str) -> ClientConnection:
    bearer = {"Authorization": f"Bearer {token}"}
    return connect(f"{server.ws}/v1/live", additional_headers=bearer, open_timeout=10)


def _events(socket: ClientConnection, until: str) -> list[dict[str, object]]:
    seen = []
    while True:
        event = json.loads(socket.recv(timeout=60))
        seen.append(event)
        if event["type"] in (until, "error"):
            return seen


def _status(server: ServerProcess, token: str, session_id: str) -> str:
    answer = httpx.get(
        f"{server.http}/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"}
    )
    return str(answer.json()["session"]["status"])


def test_finished_call_is_not_resumed(server_and_tokens: tuple[ServerProcess, Tokens]) -> None:
    server, tokens = server_and_tokens
    with _socket(server, tokens["full"]) as socket:
        socket.send(json.dumps(START))
        old = str(_events(socket, "ready")[-1]["session_id"])
        socket.send(json.dumps({"type": "stop"}))
        _events(socket, "final")
    resume = {"session_id": old, "after_seq": 0, "audio_s": 0.0}
    for token in (tokens["live"], tokens["full"]):
        with _socket(server, token) as socket:
            socket.send(json.dumps({**START, "resume": resume}))
            seen = _events(socket, "ready")
            assert seen[-1]["type"] == "error", seen
            assert seen[-1]["code"] == "unknown_session", seen
            assert not [e for e in seen if e.get("session_id") == old], seen
            with pytest.raises(ConnectionClosed):
                socket.recv(timeout=30)
    listed = httpx.get(
        f"{server.http}/v1/sessions", headers={"Authorization": f"Bearer {tokens['full']}"}
    ).json()
    assert [s["id"] for s in listed] == [old]  # no copy was made


def test_interrupted_call_goes_on_without_backfill_for_live_only(
    server_and_tokens: tuple[ServerProcess, Tokens],
) -> None:
    server, tokens = server_and_tokens
    with _socket(server, tokens["full"]) as socket:
        socket.send(json.dumps(START))
        old = str(_events(socket, "ready")[-1]["session_id"])
    # The client vanished; after the grace the call is finalised as interrupted.
    deadline = time.monotonic() + 20
    while _status(server, tokens["full"], old) == "live" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _status(server, tokens["full"], old) == "interrupted"
    resume = {"session_id": old, "after_seq": 0, "audio_s": 0.0}
    with _socket(server, tokens["live"]) as socket:
        socket.send(json.dumps({**START, "resume": resume}))
        seen = _events(socket, "ready")
        while "resumed" not in seen[-1] and seen[-1]["type"] == "ready":
            seen += _events(socket, "ready")
        assert seen[-1]["type"] == "ready" and seen[-1]["resumed"] is False, seen
        # Nothing of the stored log: the old session's own events are not sent.
        assert not [e for e in seen if e.get("session_id") == old], seen
        socket.send(json.dumps({"type": "stop"}))
        _events(socket, "final")
