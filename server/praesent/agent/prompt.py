"""The prompt "Call with ACME started: coach this call?" as a small local web page.

The agent serves it on 127.0.0.1 with a random token in its address; the page's buttons post the
answer back to the same server (``POST /prompt/<id>/answer``), which hands it to the agent.
The window shows this page; anything else that knows the token (a test, a tray menu) answers the
same way. Nothing is captured before a "yes" arrives here.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1024


@dataclass(frozen=True, slots=True)
class PromptRequest:
    prompt_id: str
    app_label: str
    # From the calendar when it knows the call (None: the app's name is shown).
    title: str | None
    customer: str | None
    # The seller's setting: whether "the customer knows the call is analysed" starts ticked.
    informed_default: bool
    series: str | None = None
    company: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    coach: bool
    customer_informed: bool
    remember: bool


def heading(request: PromptRequest) -> str:
    who = request.company or request.customer or request.title
    return f"Call with {who} started" if who else f"A {request.app_label} call started"


def page(request: PromptRequest, token: str) -> str:
    """The prompt's HTML: keyboard first (Enter = coach, Escape = not this call)."""
    checked = " checked" if request.informed_default else ""
    remember = "this series" if request.series else html.escape(request.app_label)
    config = json.dumps({"id": request.prompt_id, "token": token})
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>praesent: coach this call?</title>
<meta name="viewport" content="width=device-width">
<style>
body {{ font: 15px system-ui, sans-serif; margin: 0; padding: 14px 16px; background: #1d2430;
  color: #f2f4f7; }}
h1 {{ font-size: 16px; margin: 0 0 4px; }} p {{ margin: 0 0 10px; color: #c8d0dc; }}
label {{ display: flex; gap: 8px; align-items: flex-start; margin: 6px 0; }}
.buttons {{ display: flex; gap: 8px; margin-top: 12px; }}
button {{ font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid #5b6b82;
  background: #2b3544; color: inherit; cursor: pointer; }}
button.primary {{ background: #2f6fd6; border-color: #2f6fd6; }}
button:focus-visible, input:focus-visible {{ outline: 3px solid #ffd166; outline-offset: 2px; }}
#done {{ display: none; }}
</style></head>
<body>
<main id="ask">
<h1>{html.escape(heading(request))}: coach this call?</h1>
<p>{html.escape(request.app_label)} uses the microphone. Nothing is recorded unless you say yes.</p>
<label><input type="checkbox" id="informed"{checked}>
  <span>The customer knows the call is analysed</span></label>
<label><input type="checkbox" id="remember"> <span>Remember for {remember}</span></label>
<div class="buttons">
  <button class="primary" id="yes" autofocus>Coach this call</button>
  <button id="no">Not this call</button>
</div>
</main>
<p id="done" role="status"></p>
<script>
const config = {config};
async function answer(coach) {{
  const body = {{
    coach, customer_informed: document.getElementById("informed").checked,
    remember: document.getElementById("remember").checked,
  }};
  const sent = await fetch(`/prompt/${{config.id}}/answer`, {{
    method: "POST", headers: {{"Content-Type": "application/json",
    "X-Praesent-Agent": config.token}}, body: JSON.stringify(body),
  }});
  document.getElementById("ask").style.display = "none";
  const done = document.getElementById("done");
  done.style.display = "block";
  done.textContent = !sent.ok ? "This call has ended." : coach ? "Starting…" : "Not coached.";
}}
document.getElementById("yes").onclick = () => answer(true);
document.getElementById("no").onclick = () => answer(false);
document.addEventListener("keydown", (e) => {{ if (e.key === "Escape") answer(false); }});
</script>
</body></html>
"""


def parse_answer(body: bytes) -> Answer | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or set(data) != {"coach", "customer_informed", "remember"}:
        return None
    if not all(isinstance(value, bool) for value in data.values()):
        return None
    return Answer(data["coach"], data["customer_informed"], data["remember"])


class PromptServer:
    """Serves the open prompts on 127.0.0.1; ``on_answer`` runs in the server's thread."""

    def __init__(self, on_answer: Callable[[str, Answer], bool]) -> None:
        self.token = secrets.token_urlsafe(24)
        self._prompts: dict[str, PromptRequest] = {}
        self._lock = threading.Lock()
        self._on_answer = on_answer
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> PromptServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def open(self, request: PromptRequest) -> str:
        """Publish a prompt; returns its page's address (the token in it)."""
        with self._lock:
            self._prompts[request.prompt_id] = request
        return f"http://127.0.0.1:{self.port}/prompt/{request.prompt_id}?token={self.token}"

    def close(self, prompt_id: str) -> None:
        with self._lock:
            self._prompts.pop(prompt_id, None)

    def _lookup(self, prompt_id: str) -> PromptRequest | None:
        with self._lock:
            return self._prompts.get(prompt_id)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return  # the agent's own output is the log

            def _send(self, status: int, body: str, kind: str = "text/plain") -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Frame-Options", "DENY")
                self.send_header(
                    "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; "
                    "script-src 'unsafe-inline'; connect-src 'self'",
                )
                self.end_headers()
                self.wfile.write(data)

            def _parts(self) -> list[str]:
                return [part for part in urlsplit(self.path).path.split("/") if part]

            def do_GET(self) -> None:
                parts = self._parts()
                token = parse_qs(urlsplit(self.path).query).get("token", [""])[0]
                if len(parts) != 2 or parts[0] != "prompt":
                    self._send(404, "not found")
                elif not secrets.compare_digest(token, server.token):
                    self._send(403, "forbidden")
                elif (request := server._lookup(parts[1])) is None:
                    self._send(410, "this call has ended")
                else:
                    self._send(200, page(request, server.token), "text/html")

            def do_POST(self) -> None:
                parts = self._parts()
                token = self.headers.get("X-Praesent-Agent", "")
                length_text = self.headers.get("Content-Length", "")
                if len(parts) != 3 or parts[0] != "prompt" or parts[2] != "answer":
                    self._send(404, "not found")
                elif not secrets.compare_digest(token, server.token):
                    self._send(403, "forbidden")
                elif not length_text.isdigit() or int(length_text) > MAX_BODY:
                    self._send(413 if length_text.isdigit() else 411, "body too large or unsized")
                elif (answer := parse_answer(self.rfile.read(int(length_text)))) is None:
                    self._send(400, "expected {coach, customer_informed, remember} as booleans")
                elif server._lookup(parts[1]) is None or not server._on_answer(parts[1], answer):
                    self._send(410, "this call has ended")
                else:
                    server.close(parts[1])
                    self._send(204, "")

        return Handler
