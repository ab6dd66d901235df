"""#22 item 16: text with a NUL character is invalid input (422) on every route, on SQLite and
on PostgreSQL (whose text cannot hold one: its driver's error was a 500, unauthenticated
sign-ins included, with the statement's parameters in the log). A NUL in an upload's file name
was a 500 on both (the name goes into a path)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.accounts import create_user_with_token
from tests.live_server import ServerProcess
from tests.store.conftest import postgres_schema

Server = tuple[ServerProcess, dict[str, str]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp(f"nul-{request.param}")
    sqlite = contextlib.nullcontext(f"sqlite:///{folder / 'praesent.db'}")
    with postgres_schema("praesent_nul") if request.param == "postgresql" else sqlite as url:
        with EventStore(url) as store:
            store.migrate()
            store.people.create_team("Team A")
            _admin, issued = create_user_with_token(store.people, "ada@example.com", "admin", [])
        process = ServerProcess(folder, PRAESENT_DATABASE_URL=url).start()
        try:
            yield process, {"Authorization": f"Bearer {issued.token}"}
        finally:
            process.stop()


def _upload(url: str, headers: dict[str, str]) -> httpx.Response:
    """A form whose file name holds a raw NUL byte (httpx would write it as %00)."""
    body = (
        b"--nul-boundary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="call.w\0av"\r\n'
        b"Content-Type: audio/wav\r\n\r\nRIFF\r\n--nul-boundary--\r\n"
    )
    form = {"Content-Type": "multipart/form-data; boundary=nul-boundary"}
    return httpx.post(url, content=body, headers={**headers, **form})


def test_nul_bytes_are_invalid_input(server: Server) -> None:
    process, admin = server
    base = process.http
    answers = {
        "login": httpx.post(
            f"{base}/v1/auth/login", json={"email": "a\0b@example.com", "password": "x" * 12}
        ),
        "session": httpx.get(f"{base}/v1/sessions/ab%00cd", headers=admin),
        "search": httpx.get(f"{base}/v1/sessions", params={"q": "a\0b"}, headers=admin),
        "job": httpx.get(f"{base}/v1/jobs/ab%00cd", headers=admin),
        "user": httpx.post(
            f"{base}/v1/admin/users",
            json={"email": "b\0b@example.com", "role": "seller", "teams": []},
            headers=admin,
        ),
        "team": httpx.post(f"{base}/v1/admin/teams", json={"name": "T\0eam"}, headers=admin),
        "token": httpx.post(f"{base}/v1/me/tokens", json={"name": "t\0ken"}, headers=admin),
        "upload": _upload(f"{base}/v1/analyses", admin),
        "voice": _upload(f"{base}/v1/voice-profiles/ada@example.com", admin),
    }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert 500 not in statuses.values(), statuses
    # Uploads on both; on PostgreSQL every one (SQLite stores the text or finds nothing).
    must = answers if "postgresql" in process.env["PRAESENT_DATABASE_URL"] else {"upload", "voice"}
    refused = {name: statuses[name] for name in must}
    assert set(refused.values()) == {422}, statuses
    log = process.log.read_text(errors="replace")
    assert "Traceback" not in log and "NUL" not in log, log[-3000:]
