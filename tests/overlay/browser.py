"""Real Chromium for the overlay's tests: a fake microphone playing a file, a test "call" tab whose
audio the overlay captures through ``getDisplayMedia``, and axe-core.

Chromium picks the tab to share by its title (``--auto-select-tab-capture-source-by-title``), so
no person is needed and the overlay's capture code runs as it does for a seller. Playwright mutes
headless Chromium's audio by default (``--mute-audio``); a muted tab gives silent tab audio, so the
flag is left out. The microphone is Chromium's fake capture device playing a WAV file.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from tests.overlay.conftest import CHROMIUM, require

CALL_TITLE = "praesent test call"
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# The test's own instrumentation (an init script, not the overlay's code): when the microphone
# opened and when the first audio frame left for the server, to line the audio up afterwards.
TIMING_SCRIPT = """
(() => {
  window.__timing = { mic: null, firstFrame: null };
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    const s = await gum(c); window.__timing.mic = Date.now();
    return s;
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data !== "string" && window.__timing.firstFrame === null) {
      window.__timing.firstFrame = Date.now();
    }
    return send.call(this, data);
  };
})();
"""

_CALL_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><audio id="call" src="{audio}" preload="auto"></audio>
<script>
  window.__played = null;
  document.getElementById("call").addEventListener("playing", () => {{
    if (window.__played === null) window.__played = Date.now();
  }});
</script></body></html>
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def call_site(folder: Path, customer_wav: Path) -> Iterator[str]:
    """Serve the test call page (``/call.html``), which plays ``customer_wav`` when told."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customer.wav").write_bytes(customer_wav.read_bytes())
    (folder / "call.html").write_text(_CALL_PAGE.format(title=CALL_TITLE, audio="customer.wav"))
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/call.html"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright: Any, microphone_wav: Path | None, env: dict[str, str] | None = None) -> Any:
    """Chromium whose microphone plays ``microphone_wav``; with None, the system's default
    microphone (a PulseAudio server named by ``env``), and the call tab plays there too."""
    fake = (
        []
        if microphone_wav is None
        else [
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone_wav}",
        ]
    )
    return playwright.chromium.launch(
        executable_path=require(CHROMIUM),
        headless=True,
        ignore_default_args=["--mute-audio"],
        env=env,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            *fake,
            f"--auto-select-tab-capture-source-by-title={CALL_TITLE}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


def axe_violations(page: Any, selector: str = "#overlay") -> list[dict[str, Any]]:
    """axe-core's serious and critical violations inside ``selector`` (WCAG 2 A/AA rules)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/install-system-deps.sh (make test runs it)")
    # From the page's own origin: its Content-Security-Policy refuses an inline script.
    address = urljoin(page.url, "/__axe/axe.min.js")
    page.route(address, lambda route: route.fulfill(path=AXE, content_type="text/javascript"))
    page.add_script_tag(url=address)
    result = page.evaluate(
        """async (selector) => {
            const r = await axe.run(selector, {
              runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                              "best-practice"] },
            });
            return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.map((n) => n.target.join(" ")) }));
        }""",
        selector,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def texts(page: Any, selector: str) -> list[str]:
    return [str(text).strip() for text in page.locator(selector).all_text_contents()]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:2000]
