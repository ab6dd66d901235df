"""#22 item 20: the overlay's "Open the report" link on a server with a token. The link added
``?token=``, which HTTP routes refuse (only sockets take it), so the report answered 401. Now
the overlay fetches the report with the token as a bearer and opens it in a new tab. In real
Chromium, observing a finished call as the overlay's pop-out does (``?session=``)."""

from __future__ import annotations

import json
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

from tests.live_server import ServerProcess
from tests.overlay.browser import launch

TOKEN = "report-link-token-0123456789"


def _next(socket: ClientConnection, kind: str) -> dict[str, object]:
    while True:
        event = json.loads(socket.recv(timeout=60))
        if event["type"] == kind:
            return dict(event)


def test_report_link_opens_on_a_server_with_a_token(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    server = ServerProcess(tmp_path, PRAESENT_API_TOKEN=TOKEN).start()
    try:
        with connect(f"{server.ws}/v1/live?token={TOKEN}", open_timeout=10) as socket:
            socket.send(json.dumps({"type": "start", "channels": ["seller", "customer"]}))
            session_id = str(_next(socket, "ready")["session_id"])
            socket.send(json.dumps({"type": "stop"}))
            _next(socket, "final")
        with sync_playwright() as playwright:
            browser = launch(playwright, None)
            try:
                context = browser.new_context(locale="en-US")
                page = context.new_page()
                page.goto(f"{server.http}/?lang=en&session={session_id}&token={TOKEN}")
                page.wait_for_selector("#report:not([hidden])", timeout=30_000)
                # The link itself carries no credential.
                assert "token" not in str(page.get_attribute("#report", "href"))
                with context.expect_page(timeout=30_000) as opened:
                    page.click("#report")
                report = opened.value
                report.wait_for_load_state()
                report.wait_for_function(
                    "() => document.body && document.body.innerText.length > 0"
                )
                text = report.inner_text("body")
                assert "unauthorized" not in text, text[:500]
                assert report.locator("html").count() == 1 and report.title(), text[:500]
            finally:
                browser.close()
    finally:
        server.stop()
