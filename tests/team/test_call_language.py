"""A seller's call language: set once, used by every call and upload that names none; a call's
own choice still wins, and the overlay can pin the language mid-call."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.support import shared
from tests.team.world import World

START: dict[str, Any] = {"type": "start", "channels": ["seller", "customer"], "transcribe": False}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _set(client: TestClient, token: str, language: str | None) -> None:
    answer = client.put("/v1/me/language", json={"language": language}, headers=_bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"language": language}


def _until(socket: WebSocketTestSession, kind: str) -> dict[str, Any]:
    while (event := socket.receive_json())["type"] != kind:
        pass
    return event


def _ready(client: TestClient, token: str, start: dict[str, Any]) -> dict[str, Any]:
    with client.websocket_connect(f"/v1/live?token={token}") as socket:
        socket.send_json(start)
        ready = _until(socket, "ready")
        socket.send_json({"type": "stop"})
        _until(socket, "final")
    return ready


def test_the_sellers_setting_is_the_default_of_live_calls(
    team_server: tuple[TestClient, World],
) -> None:
    client, world = team_server
    client.cookies.clear()
    token = world.tokens["ben"]
    try:
        _set(client, token, "de")
        me = client.get("/v1/me", headers=_bearer(token)).json()
        assert me["user"]["call_language"] == "de"
        ready = _ready(client, token, START)
        assert (ready["language"], ready["language_setting"]) == ("de", "de")
        record = world.store.get_session(ready["session_id"])
        assert record is not None and record.language == "de"
        # The call's own choice wins over the setting.
        ready = _ready(client, token, {**START, "language": "auto"})
        assert (ready["language"], ready["language_setting"]) == (None, "auto")
        # No setting: the server's default ("auto").
        _set(client, token, None)
        ready = _ready(client, token, START)
        assert ready["language_setting"] == "auto"
    finally:
        _set(client, token, None)


def test_an_unknown_call_language_is_refused(team_server: tuple[TestClient, World]) -> None:
    client, world = team_server
    client.cookies.clear()
    answer = client.put(
        "/v1/me/language", json={"language": "Deutsch"}, headers=_bearer(world.tokens["ben"])
    )
    assert answer.status_code == 422


def test_pinning_mid_call_is_announced(team_server: tuple[TestClient, World]) -> None:
    client, world = team_server
    client.cookies.clear()
    with client.websocket_connect(f"/v1/live?token={world.tokens['ben']}") as socket:
        socket.send_json({**START, "language": "auto"})
        _until(socket, "ready")
        socket.send_json({"type": "language", "language": "en"})
        pinned = _until(socket, "language")
        assert (pinned["language"], pinned["previous"], pinned["source"]) == ("en", None, "pinned")
        socket.send_json({"type": "language", "language": "auto"})
        back = _until(socket, "language")
        assert (back["language"], back["source"]) == ("en", "auto")
        socket.send_json({"type": "stop"})
        final = _until(socket, "final")
    analysis = client.get(final["analysis_url"], headers=_bearer(world.tokens["ben"])).json()
    assert [(c["language"], c["source"]) for c in analysis["language_changes"]] == [
        ("en", "pinned"),
        ("en", "auto"),
    ]
    assert analysis["language"] == "en"


def test_an_upload_takes_the_sellers_setting(team_server: tuple[TestClient, World]) -> None:
    """The English stereo recording analysed as German because the seller pinned German."""
    client, world = team_server
    client.cookies.clear()
    token = world.tokens["ben"]
    recording = shared("en-stereo-2ch/stereo_diarization.wav")
    try:
        _set(client, token, "de")
        with recording.open("rb") as handle:
            answer = client.post(
                "/v1/analyses",
                files={"file": ("call.wav", handle, "audio/wav")},
                headers=_bearer(token),
            )
        assert answer.status_code == 200, answer.text
        assert answer.json()["language"] == "de"
        assert answer.json()["language_changes"] == []
    finally:
        _set(client, token, None)
