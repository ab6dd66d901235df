"""#22 item 6: an empty ``PRAESENT_API_TOKEN`` (deploy/.env.example holds exactly
``PRAESENT_API_TOKEN=``) is no token: on 0.0.0.0 the server makes one up as when it is unset,
and ``?token=`` opens no socket."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.live_server import ServerProcess
from tests.support import ROOT


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("empty-token"), PRAESENT_HOST="0.0.0.0", PRAESENT_API_TOKEN=""
    ).start()
    yield process
    process.stop()


def _refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=10):
        pass
    return refused.value.response.status_code


def _next(socket: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        event = json.loads(socket.recv(timeout=60))
        if event["type"] == kind:
            return dict(event)


def test_empty_api_token(server: ServerProcess) -> None:
    assert "PRAESENT_API_TOKEN=\n" in (ROOT / "deploy" / ".env.example").read_text()
    # Neither an empty query token nor an empty bearer opens anything.
    assert _refused(f"{server.ws}/v1/live?token=") == 403
    assert _refused(f"{server.ws}/v1/live") == 403
    assert httpx.get(f"{server.http}/v1/sessions").status_code == 401
    empty_bearer = {"Authorization": "Bearer"}
    assert httpx.get(f"{server.http}/v1/sessions", headers=empty_bearer).status_code == 401

    # The server made a token up, as for an unset one, and said where it keeps it (#22 item
    # 14: a file only its owner reads, not the log).
    said = re.search(r"every request needs the token in\s+(\S+)", server.log.read_text())
    assert said is not None, Path(server.log).read_text()[-2000:]
    kept = Path(said.group(1))
    assert kept == server.data_dir / "api-token"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    token = kept.read_text().strip()
    assert len(token) >= 24 and token not in server.log.read_text()
    with connect(f"{server.ws}/v1/live?token={token}", open_timeout=10) as socket:
        socket.send(json.dumps({"type": "start", "channels": ["seller", "customer"]}))
        session_id = str(_next(socket, "ready")["session_id"])
        socket.send(json.dumps({"type": "stop"}))
        _next(socket, "final")

    # The session's event log: not with an empty token, with the real one.
    events = f"{server.ws}/v1/sessions/{session_id}/events"
    assert _refused(f"{events}?token=") == 403
    with connect(f"{events}?token={token}", open_timeout=10) as socket:
        assert _next(socket, "ready")["session_id"] == session_id
