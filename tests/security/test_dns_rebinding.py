"""#22 item 3: DNS rebinding and cross-site writes on the laptop server (no accounts, no
token: the default). Only the names the server is reached by are answered, on HTTP and sockets;
an unsafe request from another site is refused whatever the mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from praesent.store import EventStore
from praesent.team.accounts import create_user_with_token
from tests.live_server import ServerProcess
from tests.speakers.calls import speaker_clip

SCRAPE = "scrape-token-for-prometheus"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("rebinding"),
        PRAESENT_ALLOWED_HOSTS='["praesent.internal"]',
        PRAESENT_METRICS_TOKEN=SCRAPE,
    ).start()
    yield process
    process.stop()


def _enrol(server: ServerProcess, clip: Path, headers: dict[str, str]) -> httpx.Response:
    with clip.open("rb") as handle:
        return httpx.post(
            f"{server.http}/v1/voice-profiles/bob",
            files={"file": ("bob.wav", handle, "audio/wav")},
            headers=headers,
            timeout=120,
        )


def test_dns_rebinding(server: ServerProcess, tmp_path: Path) -> None:
    port = server.port
    sessions = f"{server.http}/v1/sessions"
    rebound = httpx.get(sessions, headers={"Host": f"rebind.attacker.example:{port}"})
    assert rebound.status_code == 421, rebound.text
    assert rebound.json()["error"]["code"] == "misdirected_request"
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"praesent.internal:{port}"):
        assert httpx.get(sessions, headers={"Host": host}).status_code == 200, host
    # Probes hold no data and answer any name (Caddy checks serve-1:8000/readyz); so does
    # /metrics to the scrape token, and only to it.
    inner = {"Host": "serve-1:8000"}
    assert httpx.get(f"{server.http}/readyz", headers=inner).status_code == 200
    scrape = {**inner, "Authorization": f"Bearer {SCRAPE}"}
    assert httpx.get(f"{server.http}/metrics", headers=scrape).status_code == 200
    assert httpx.get(f"{server.http}/metrics", headers=inner).status_code == 421
    # The socket too: a rebound page cannot follow or run calls.
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(f"{server.ws}/v1/live", additional_headers={"Host": "rebind.attacker.example"}),
    ):
        pass
    assert refused.value.response.status_code == 403

    # A cross-site form post (multipart needs no preflight) enrols no voice profile.
    clip = speaker_clip(tmp_path, "speaker90", "bob.wav")
    evil = _enrol(server, clip, {"Origin": "https://evil.example"})
    assert evil.status_code == 403, evil.text
    assert evil.json()["error"]["code"] == "cross_site_refused"
    fetched = _enrol(server, clip, {"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403, fetched.text
    assert httpx.get(f"{server.http}/v1/voice-profiles").json() == []
    # The server's own page may change things.
    own = {"Origin": server.http, "Sec-Fetch-Site": "same-origin"}
    deleted = httpx.delete(f"{sessions}/no-such-session", headers=own)
    assert deleted.status_code == 404, deleted.text

    # With accounts (a user appears while the server runs) a token does not lift the rule.
    with EventStore(f"sqlite:///{server.data_dir / 'praesent.db'}") as store:
        _user, issued = create_user_with_token(store.people, "sam@example.com", "seller", [])
    bearer = {"Authorization": f"Bearer {issued.token}"}
    assert httpx.get(sessions, headers=bearer).status_code == 200
    evil = httpx.delete(
        f"{sessions}/no-such-session", headers={**bearer, "Origin": "https://evil.example"}
    )
    assert evil.status_code == 403, evil.text
    assert httpx.delete(f"{sessions}/no-such-session", headers=bearer).status_code == 404
