"""Signing in: browser cookies with CSRF, the rate limit, laptop mode until the first user,
live sessions owned by the token's user, unsharing that cuts a coach off at once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from praesent.store import EventStore
from praesent.team import credentials
from praesent.team.accounts import issue_token
from praesent.team.credentials import ARGON2_MEMORY_KIB, ARGON2_TIME_COST, hash_password
from tests.live_server import ServerProcess
from tests.local_client import LocalClient
from tests.team.world import PASSWORD, World

START = {"type": "start", "channels": ["seller", "customer"], "transcribe": False}


def test_argon2id_parameters_are_the_stated_ones() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith(f"$argon2id$v=19$m={ARGON2_MEMORY_KIB},t={ARGON2_TIME_COST},p=4$")
    assert ARGON2_MEMORY_KIB == 65536 and ARGON2_TIME_COST == 3
    # An unknown email is verified against a stored constant: with the same parameters, both
    # answers cost the same, and no password matches it.
    assert not credentials._HASHER.check_needs_rehash(credentials._DUMMY_HASH)
    assert credentials._DUMMY_HASH.split("$")[3] == stored.split("$")[3]
    assert not credentials.verify_password(None, "a long enough password")


def test_browser_sign_in_uses_an_httponly_cookie_and_csrf(
    team_server: tuple[TestClient, World],
) -> None:
    client, _world = team_server
    client.cookies.clear()
    signed = client.post("/v1/auth/login", json={"email": "ADA@example.com", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    cookie = signed.headers["set-cookie"].lower()
    assert "praesent_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in the test; Secure behind TLS
    csrf = signed.json()["csrf_token"]
    me = client.get("/v1/me").json()
    assert me["user"]["email"] == "ada@example.com" and me["csrf_token"] == csrf

    refused = client.put("/v1/me/sharing", json={"share_by_default": False})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    wrong = client.put(
        "/v1/me/sharing", json={"share_by_default": False}, headers={"X-CSRF-Token": "x"}
    )
    assert wrong.status_code == 403
    done = client.put(
        "/v1/me/sharing", json={"share_by_default": False}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 200

    assert client.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    gone = client.get("/v1/me")
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "unauthorized"


def test_failed_sign_ins_in_a_minute_are_refused(engines: Engines, tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), load=lambda _settings: engines)
    with LocalClient(app) as client:
        store = app.state.praesent.sessions.store
        store.people.create_user("ada@example.com", "seller", password_hash=hash_password(PASSWORD))
        # Twenty from one address: ten on Ada's account (its limit), ten on others.
        emails = ["ada@example.com"] * 10 + [f"other{n}@example.com" for n in range(10)]
        statuses = [
            client.post(
                "/v1/auth/login", json={"email": email, "password": f"wrong {n}"}
            ).status_code
            for n, email in enumerate(emails)
        ]
        assert statuses == [401] * 20, statuses
        # The next try within the minute is refused, even with the right password.
        limited = client.post(
            "/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        )
        assert limited.status_code == 429, limited.text
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        # So is another account from the same address.
        other = client.post("/v1/auth/login", json={"email": "x@example.com", "password": "y"})
        assert other.status_code == 429, other.text


def test_a_laptop_needs_no_account_until_the_first_user_exists(
    engines: Engines, tmp_path: Path
) -> None:
    app = create_app(Settings(data_dir=tmp_path), load=lambda _settings: engines)
    with LocalClient(app) as client:
        assert client.get("/v1/sessions").status_code == 200
        with client.websocket_connect("/v1/live") as socket:
            socket.send_json(START)
            ready = socket.receive_json()
            socket.send_json({"type": "stop"})
            while socket.receive_json()["type"] != "final":
                pass
        [laptop_call] = client.get("/v1/sessions").json()
        assert laptop_call["id"] == ready["session_id"] and laptop_call["owner_id"] is None

        store = app.state.praesent.sessions.store
        user = store.people.create_user("ada@example.com", "admin")
        # From now on every request needs credentials, on a local bind too.
        assert client.get("/v1/sessions").status_code == 401
        assert client.get("/openapi.json").status_code == 401
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/v1/live"):
            pass
        assert closed.value.code == 1008
        # The laptop's call belongs to the local owner until an admin assigns it.
        assert store.assign_owner(user.id) == 1
        assert store.get_session(laptop_call["id"]).owner_id == user.id


def test_live_sessions_belong_to_the_token_user_and_unsharing_cuts_observers_off(
    team_server: tuple[TestClient, World],
) -> None:
    client, world = team_server
    client.cookies.clear()
    token = world.tokens["ada"]
    with client.websocket_connect(f"/v1/live?token={token}") as live:
        live.send_json({**START, "title": "ACME live"})
        ready = live.receive_json()
        session_id = ready["session_id"]
        record = world.store.get_session(session_id)
        assert record is not None and record.owner_id == world.users["ada"].id
        assert not record.shared

        # Not shared: the coach cannot follow it.
        coach = f"/v1/sessions/{session_id}/events?token={world.tokens['cleo']}"
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(coach):
            pass
        assert refused.value.code == 1008

        shared = client.put(
            f"/v1/sessions/{session_id}/sharing",
            json={"shared": True},
            headers=world.headers("ada"),
        )
        assert shared.status_code == 200 and shared.json()["shared"] is True
        with client.websocket_connect(coach) as observer:
            assert observer.receive_json()["type"] == "ready"
            unshared = client.put(
                f"/v1/sessions/{session_id}/sharing",
                json={"shared": False},
                headers=world.headers("ada"),
            )
            assert unshared.status_code == 200
            cut = observer.receive_json()
            assert cut["type"] == "error" and cut["code"] == "not_shared", cut
            with pytest.raises(WebSocketDisconnect) as closed:
                observer.receive_json()
            assert closed.value.code == 1008
        # Unshared through another replica: only the shared database changes here; the coach's
        # observer sees it at its next check (every 2 s) and is cut off the same way.
        world.store.set_shared(session_id, True)
        with client.websocket_connect(coach) as observer:
            assert observer.receive_json()["type"] == "ready"
            world.store.set_shared(session_id, False)
            seen = observer.receive_json()
            while seen["type"] != "error":
                seen = observer.receive_json()
            assert seen["code"] == "not_shared", seen
            with pytest.raises(WebSocketDisconnect) as closed:
                observer.receive_json()
            assert closed.value.code == 1008
        live.send_json({"type": "stop"})
        while live.receive_json()["type"] != "final":
            pass
    answer = client.get(f"/v1/sessions/{session_id}", headers=world.headers("cleo"))
    assert answer.status_code == 404


async def _live_call(url: str) -> str:
    async with connect(url) as socket:
        await socket.send(json.dumps(START))
        assert json.loads(await socket.recv())["type"] == "ready"
        await socket.send(json.dumps({"type": "stop"}))
        while (event := json.loads(await socket.recv()))["type"] != "final":
            pass
        return str(event["type"])


def test_tokens_are_never_logged_nor_stored_in_clear(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data_dir = tmp_path_factory.mktemp("logs")
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        store.migrate()
        user = store.people.create_user("ada@example.com", "seller")
        token = issue_token(store.people, user, "laptop").token
    server = ServerProcess(data_dir).start()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{server.http}/v1/me", headers=headers).status_code == 200
        assert httpx.get(f"{server.http}/v1/me?token={token}").status_code == 401
        assert asyncio.run(_live_call(f"{server.ws}/v1/live?token={token}")) == "final"
    finally:
        server.stop()
    log = server.log.read_text()
    assert "/v1/me" in log and "GET" in log, log[-2000:]  # the access log is on
    assert "token=[redacted]" in log  # the socket line is there, without its secret
    assert token not in log
    assert token.encode() not in (data_dir / "praesent.db").read_bytes()
