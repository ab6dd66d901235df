"""#22 item 11: an observer socket (WS /v1/sessions/{id}/events) ends when its credential does:
a revoked token, a sign-out, a deleted user. They used to go on following the call, as coaches
did before unsharing cut them off."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from praesent.store import EventStore
from praesent.team.accounts import issue_token
from praesent.team.credentials import hash_password
from tests.live_server import ServerProcess

PASSWORD = "a long enough password 1"
START = {"type": "start", "channels": ["seller", "customer"], "transcribe": False}
Tokens = dict[str, str]


@pytest.fixture(scope="module")
def server_and_tokens(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, Tokens]]:
    folder = tmp_path_factory.mktemp("observers-revoked")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        people = store.people
        admin = people.create_user("ada@example.com", "admin")
        sam = people.create_user("sam@example.com", "seller", password_hash=hash_password(PASSWORD))
        lee = people.create_user("lee@example.com", "seller")
        second = issue_token(people, sam, "observer")
        tokens = {
            "admin": issue_token(people, admin, "admin").token,
            "sam": issue_token(people, sam, "calls").token,
            "sam-observer": second.token,
            "sam-observer-id": second.record.id,
            "lee": issue_token(people, lee, "calls").token,
            "lee-id": lee.id,
        }
    process = ServerProcess(folder).start()
    yield process, tokens
    process.stop()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _next(socket: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        event = json.loads(socket.recv(timeout=60))
        if event["type"] == kind:
            return dict(event)


def _call(server: ServerProcess, token: str) -> tuple[ClientConnection, str]:
    socket = connect(f"{server.ws}/v1/live", additional_headers=_bearer(token), open_timeout=10)
    socket.send(json.dumps(START))
    return socket, str(_next(socket, "ready")["session_id"])


def _observe(server: ServerProcess, session_id: str, headers: dict[str, str]) -> ClientConnection:
    url = f"{server.ws}/v1/sessions/{session_id}/events"
    observer = connect(url, additional_headers=headers, open_timeout=10)
    _next(observer, "ready")  # following the call
    return observer


def _ends(observer: ClientConnection) -> dict[str, object]:
    """The observer is cut off within a few seconds; the error it was told."""
    error: dict[str, object] = {}
    with pytest.raises(ConnectionClosed):
        while True:
            event = json.loads(observer.recv(timeout=8))
            if event["type"] == "error":
                error = event
    return error


def test_revoked_token_ends_its_observers(server_and_tokens: tuple[ServerProcess, Tokens]) -> None:
    server, tokens = server_and_tokens
    call, session_id = _call(server, tokens["sam"])
    with call, _observe(server, session_id, _bearer(tokens["sam-observer"])) as observer:
        token_url = f"{server.http}/v1/me/tokens/{tokens['sam-observer-id']}"
        revoked = httpx.delete(token_url, headers=_bearer(tokens["sam"]))
        assert revoked.status_code == 204, revoked.text
        assert _ends(observer).get("code") == "unauthorized"
        call.send(json.dumps({"type": "stop"}))
        _next(call, "final")


def test_sign_out_ends_its_observers(server_and_tokens: tuple[ServerProcess, Tokens]) -> None:
    server, tokens = server_and_tokens
    call, session_id = _call(server, tokens["sam"])
    with httpx.Client(base_url=server.http) as browser:
        signed_in = browser.post(
            "/v1/auth/login", json={"email": "sam@example.com", "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = str(browser.get("/v1/me").json()["csrf_token"])
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        with call, _observe(server, session_id, {"Cookie": cookie}) as observer:
            out = browser.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf})
            assert out.status_code == 204, out.text
            assert _ends(observer).get("code") == "unauthorized"
            call.send(json.dumps({"type": "stop"}))
            _next(call, "final")


def test_deleted_user_ends_their_observers(
    server_and_tokens: tuple[ServerProcess, Tokens],
) -> None:
    server, tokens = server_and_tokens
    call, session_id = _call(server, tokens["lee"])
    with call, _observe(server, session_id, _bearer(tokens["lee"])) as observer:
        deleted = httpx.delete(
            f"{server.http}/v1/admin/users/{tokens['lee-id']}", headers=_bearer(tokens["admin"])
        )
        assert deleted.status_code == 204, deleted.text
        _ends(observer)
