"""#22 items 4 and 5: a request body is judged before it is read.

Measured on a real socket against a real server (upload limit 1 MB): the request head goes
first, then the body in 64 KiB pieces while the server has not answered; what counts is the
answer and how many body bytes had been sent when it came.

* An upload without credentials answers 401 on its head alone (it was read to the end, and
  spooled to disk, before its 401).
* An upload or a JSON body declared over its limit answers 413 on its head alone.
* A body without a declared length (chunked) is cut soon after its limit, not read to the end.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.accounts import create_user_with_token
from tests.live_server import ServerProcess

MB = 1024 * 1024
PIECE = b"\0" * (64 * 1024)
BOUNDARY = "praesent-test-boundary"
FORM_HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
    "Content-Type: audio/wav\r\n\r\n"
).encode()
UPLOADS = ("/v1/analyses", "/v1/jobs", "/v1/voice-profiles/sam@example.com")


@pytest.fixture(scope="module")
def server_and_token(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, str]]:
    folder = tmp_path_factory.mktemp("body-limits")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        _user, issued = create_user_with_token(store.people, "sam@example.com", "seller", [])
    process = ServerProcess(folder, PRAESENT_MAX_UPLOAD_MB="1").start()
    yield process, issued.token
    process.stop()


def _exchange(
    port: int, path: str, headers: dict[str, str], total: int | None, chunked: bool = False
) -> tuple[int, int]:
    """POST ``path`` and send up to ``total`` body bytes while no answer has come; the answer's
    status (0: none within 10 s) and the body bytes sent before it."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += "Transfer-Encoding: chunked\r\n" if chunked else ""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    sent = 0
    with sock:
        sock.sendall(f"{head}\r\n".encode())
        sock.settimeout(5)
        first = True
        while total is not None and sent < total:
            if select.select([sock], [], [], 0.001)[0]:
                break  # the server answered
            piece = (FORM_HEAD if first else b"") + PIECE
            first = False
            data = f"{len(piece):x}\r\n".encode() + piece + b"\r\n" if chunked else piece
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                break
            sent += len(piece)
        return _status(sock), sent


def _status(sock: socket.socket) -> int:
    sock.settimeout(10)
    answer = b""
    deadline = time.monotonic() + 10
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while b"\r\n" not in answer and time.monotonic() < deadline:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_upload_without_credentials_is_refused_on_its_head(
    server_and_token: tuple[ServerProcess, str],
) -> None:
    server, _token = server_and_token
    form = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    for path in UPLOADS:
        declared = {**form, "Content-Length": str(300 * MB)}
        assert _exchange(server.port, path, declared, None) == (401, 0), path
        wrong = {**declared, "Authorization": "Bearer not-a-token"}
        assert _exchange(server.port, path, wrong, None) == (401, 0), path
    # Streamed without a length: refused as soon as the head is in, not after the body.
    status, sent = _exchange(server.port, "/v1/analyses", form, 50 * MB, chunked=True)
    assert status == 401 and sent < 8 * MB, (status, sent)


def test_upload_over_the_limit_is_cut(server_and_token: tuple[ServerProcess, str]) -> None:
    server, token = server_and_token
    form = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Authorization": f"Bearer {token}",
    }
    for path in UPLOADS:
        declared = {**form, "Content-Length": str(50 * MB)}
        assert _exchange(server.port, path, declared, None) == (413, 0), path
    status, sent = _exchange(server.port, "/v1/analyses", form, 50 * MB, chunked=True)
    assert status == 413 and sent < 8 * MB, (status, sent)
    # Within the limit the upload is read and judged as before (an empty file).
    small = httpx.post(
        f"{server.http}/v1/analyses",
        files={"file": ("a.wav", b"", "audio/wav")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert small.status_code == 422, small.text


def test_json_body_is_capped(server_and_token: tuple[ServerProcess, str]) -> None:
    server, _token = server_and_token
    json_type = {"Content-Type": "application/json"}
    declared = {**json_type, "Content-Length": str(200 * MB)}
    assert _exchange(server.port, "/v1/auth/login", declared, None) == (413, 0)
    status, sent = _exchange(server.port, "/v1/auth/login", json_type, 50 * MB, chunked=True)
    assert status == 413 and sent < 8 * MB, (status, sent)
    # A sign-in of ordinary size is answered as before.
    login = {"email": "sam@example.com", "password": "not the password at all"}
    assert httpx.post(f"{server.http}/v1/auth/login", json=login).status_code == 401
