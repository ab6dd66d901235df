"""A small stand-in for an LLM endpoint: a real HTTP server in a thread on 127.0.0.1 that speaks
the OpenAI chat completions protocol, answers what it is told and records what it was asked."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class StandIn:
    """What the stand-in answers, and what it was asked."""

    answer: str = "- Invoices are written by hand in spreadsheets.\n- About 2000 a month."
    status: int = 200
    # Set: the stand-in holds each answer until it is released (at most 10 s).
    hold: threading.Event | None = None
    answered: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


@contextmanager
def running_stand_in() -> Iterator[StandIn]:
    """The stand-in, listening until the block ends."""
    state = StandIn()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.headers.append(dict(self.headers))
            if state.hold is not None:
                state.hold.wait(timeout=10)
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            if state.status != 200:
                self.send_error(state.status)
                return
            data = json.dumps(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": state.answer},
                            "finish_reason": "stop",
                        }
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            state.answered += 1

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with running_stand_in() as state:
        yield state
