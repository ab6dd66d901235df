"""Access control: the token on every API route and socket, the Origin allow-list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from praesent.api.app import create_app
from praesent.engines import Engines
from praesent.settings import Settings
from tests.local_client import LocalClient

TOKEN = "correct-horse-battery"


@pytest.fixture(scope="module")
def client(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("access"), api_token=TOKEN)
    with LocalClient(create_app(settings, load=lambda _settings: engines)) as test_client:
        yield test_client


def test_http_routes_need_the_token(client: TestClient) -> None:
    assert client.get("/v1/sessions").status_code == 401
    assert client.get("/v1/sessions").json()["error"]["code"] == "unauthorized"
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/v1/sessions", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/v1/sessions", headers=right).status_code == 200
    assert client.get("/openapi.json").status_code == 401
    # The documentation pages and the scripts they load, served here, need it too.
    for page in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
        assert client.get(page).status_code == 401, page
        assert client.get(page, headers=right).status_code == 200, page
    # The overlay's page and liveness hold no data.
    assert client.get("/").status_code == 200
    assert client.get("/healthz").status_code == 200


def _refused(client: TestClient, url: str, headers: dict[str, str] | None = None) -> int:
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(url, headers=dict(headers or {})),
    ):
        pass
    return closed.value.code


def test_sockets_need_the_token_and_an_allowed_origin(client: TestClient) -> None:
    assert _refused(client, "/v1/live") == 1008
    assert _refused(client, "/v1/live?token=nope") == 1008
    evil = {"Origin": "https://evil.example"}
    assert _refused(client, f"/v1/live?token={TOKEN}", headers=evil) == 1008
    own = {"Origin": "http://127.0.0.1:8000"}
    with client.websocket_connect(f"/v1/live?token={TOKEN}", headers=own) as socket:
        socket.send_json({"type": "start", "channels": ["seller", "customer"]})
        assert socket.receive_json()["type"] == "ready"
        socket.send_json({"type": "stop"})
        while socket.receive_json()["type"] != "final":
            pass


def test_a_public_bind_without_a_token_gets_one(tmp_path: Path) -> None:
    assert Settings(host="0.0.0.0", data_dir=tmp_path).local_only is False
    assert Settings(data_dir=tmp_path).local_only is True
