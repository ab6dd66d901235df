"""The start page in Chromium, English and German: a sentence on what each button does, links to
past calls, the manual and the last report, the favicon, and balance bars that are neutral before
anyone speaks (not the customer's colour)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from praesent.api.help import help_dir
from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations
from tests.overlay.conftest import CHROMIUM, require

EXPECTED = {
    "en": {
        "start": "Join call",
        "demo": "Try it",
        "help": "help/",
        "links": ("Past calls", "Help", "Last report"),
    },
    "de": {
        "start": "Gespräch beitreten",
        "demo": "Ausprobieren",
        "help": "help/de/",
        "links": ("Frühere Gespräche", "Hilfe", "Letzter Bericht"),
    },
}
SESSIONS = [
    {"id": "running1", "title": "still live", "status": "live"},
    {"id": "ended42", "title": "ACME discovery", "status": "finished"},
]
CUSTOMER_ORANGE = "rgb(230, 159, 0)"


def _fulfil(sessions: list[dict[str, Any]]) -> Any:
    def handle(route: Any) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(sessions))

    return handle


@pytest.mark.parametrize("lang", ["en", "de"])
def test_start_page_says_what_each_button_does_and_links_on(
    overlay_server: ServerProcess, lang: str
) -> None:
    from playwright.sync_api import sync_playwright

    base = overlay_server.http
    want = EXPECTED[lang]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 480, "height": 520})
        # The last report comes from the newest ended session the page's user may read.
        page.route("**/v1/sessions", _fulfil(SESSIONS))
        page.goto(f"{base}/?lang={lang}")
        strings: dict[str, str] = page.evaluate("async () => (await import('/i18n.js')).STRINGS")[
            lang
        ]
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("#start").inner_text().strip() == want["start"]
        assert page.locator("#demo").inner_text().strip() == want["demo"]
        # One sentence each, naming its button, tied to the button for screen readers.
        for button, key in (("start", "join.start.help"), ("demo", "join.demo.help")):
            sentence = page.locator(f"#{button}-help")
            assert sentence.is_visible()
            text = sentence.inner_text().strip()
            assert text == strings[key]
            assert text.startswith(want[button] + ": "), text
            assert text.count(". ") == 0 and text.endswith("."), text
            assert page.locator(f"#{button}").get_attribute("aria-describedby") == f"{button}-help"

        calls, help_link, report = (page.locator(f"#link-{n}") for n in ("calls", "help", "report"))
        report.wait_for(state="visible", timeout=10_000)
        assert [calls.inner_text(), help_link.inner_text(), report.inner_text()] == list(
            want["links"]
        )
        assert calls.evaluate("a => a.href") == f"{base}/app/"
        assert help_link.evaluate("a => a.href") == f"{base}/{want['help']}"
        assert report.evaluate("a => a.href") == f"{base}/v1/sessions/ended42/report?lang={lang}"
        assert report.get_attribute("title") == "ACME discovery"

        # Where the links lead: the web app, and the manual (or the page that says to build it).
        assert page.request.get(f"{base}/app/").status == 200
        manual = page.request.get(f"{base}/{want['help']}")
        if help_dir() is None:
            assert manual.status == 404 and "make docs" in manual.text()
        else:
            assert manual.status == 200

        # The favicon: the page names it, and /favicon.ico answers for pages that name none.
        icon = page.locator("link[rel=icon]").evaluate("l => l.href")
        answer = page.request.get(icon)
        assert answer.status == 200 and "image/svg+xml" in answer.headers["content-type"]
        ico = page.request.get(f"{base}/favicon.ico")
        assert ico.status == 200 and ico.body().startswith(b"\x00\x00\x01\x00")

        # Before anyone speaks the balance bars are neutral, not the customer's orange.
        page.evaluate("document.getElementById('live').hidden = false")
        for gauge in ("#gauge-window", "#gauge-call"):
            colour = page.locator(gauge).evaluate("g => getComputedStyle(g).backgroundColor")
            assert colour != CUSTOMER_ORANGE, (gauge, colour)
        page.evaluate("document.getElementById('live').hidden = true")

        violations = axe_violations(page)
        assert not violations, violations
        browser.close()


def test_no_ended_session_no_report_link(overlay_server: ServerProcess) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.route("**/v1/sessions", _fulfil(SESSIONS[:1]))
        with page.expect_response("**/v1/sessions"):
            page.goto(f"{overlay_server.http}/?lang=en")
        page.wait_for_timeout(300)
        assert page.locator("#link-report").is_hidden()
        assert page.locator("#link-help").is_visible()
        browser.close()


def test_favicon_without_a_browser(overlay_server: ServerProcess) -> None:
    answer = httpx.get(f"{overlay_server.http}/favicon.ico", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"] in ("image/vnd.microsoft.icon", "image/x-icon")
