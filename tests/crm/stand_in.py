"""The common part of the CRM stand-ins: an HTTP(S) server on 127.0.0.1 in a thread that
records each request, checks it against the vendor's published schema (``violations`` stays
empty while every request conforms) and answers as the vendor does."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema

FIXTURES = Path(__file__).parents[1] / "fixtures" / "crm"


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]
    body: Any  # parsed JSON, or None


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


class StandIn:
    """Subclasses answer in ``answer`` and check in ``check``; ``fail_next`` makes the next
    requests fail with a status (a server error once, say)."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None) -> None:
        self.port = port
        self.requests: list[Request] = []
        self.violations: list[str] = []
        self.fail_next: list[int] = []
        self.lock = threading.Lock()
        self._tls = tls
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def answer(self, request: Request) -> Answer:
        raise NotImplementedError

    def check(self, request: Request) -> list[str]:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Answer:
        raise NotImplementedError

    def handle(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
            self.violations.extend(
                f"{request.method} {request.path}: {v}" for v in self.check(request)
            )
            if self.fail_next:
                return self.error(self.fail_next.pop(0), "the stand-in fails this request")
            return self.answer(request)

    def start(self) -> StandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length", "0") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                answer = stand_in.handle(request)
                data = json.dumps(answer.body).encode("utf-8")
                self.send_response(answer.status)
                self.send_header("content-type", "application/json;charset=UTF-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self._tls is not None:
            server.socket = self._tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()
            self.violations.clear()
            self.fail_next.clear()
