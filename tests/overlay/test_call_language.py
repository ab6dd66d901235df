"""The call's language in the overlay: Auto / Deutsch / English before joining and during the
call. The demo call (English) is joined on "Auto"; once the server has decided English, the
seller pins German from the keyboard, and the server transcribes what follows in German."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, dump, launch
from tests.overlay.conftest import DEMO

_CALL_LANGUAGE = "document.getElementById('overlay').dataset.callLanguage"


def test_pinning_the_calls_language_during_the_call(
    overlay_server: ServerProcess, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, DEMO)
        page = browser.new_page(viewport={"width": 400, "height": 360}, locale="de-DE")
        page.goto(f"{overlay_server.http}/?lang=de")
        control = page.locator("#call-lang")
        # Before joining: labelled for screen readers in the seller's language, Auto chosen.
        assert control.get_attribute("aria-label") == "Gesprächssprache"
        assert control.input_value() == "auto"
        options = control.locator("option").all_text_contents()
        assert options == ["Automatisch", "Deutsch", "English"]
        violations = axe_violations(page)
        assert not violations, f"axe on the idle overlay (de): {dump(violations)}"
        page.select_option("#lang", "en")
        assert control.get_attribute("aria-label") == "Call language"

        page.click("#demo")
        page.wait_for_function(
            "() => document.getElementById('status').textContent === 'Live'", timeout=30_000
        )
        # The server decides English from the call's first seconds of speech and says so.
        page.wait_for_function(f"() => {_CALL_LANGUAGE} === 'en'", timeout=60_000)
        assert control.input_value() == "auto"
        assert control.locator("option[value=auto]").text_content() == "Auto · English"
        violations = axe_violations(page)
        assert not violations, f"axe on the live overlay (en): {dump(violations)}"

        # The keyboard pins German: focus the control, type-ahead "D" picks Deutsch.
        control.focus()
        page.keyboard.press("d")
        assert control.input_value() == "de"
        page.wait_for_function(f"() => {_CALL_LANGUAGE} === 'de'", timeout=30_000)
        page.wait_for_function(
            "() => document.getElementById('status').textContent === 'Call ended'", timeout=90_000
        )
        session_id = page.evaluate("new URL(document.getElementById('report').href).pathname")
        browser.close()

    analysis_url = session_id.removesuffix("/report")
    analysis = httpx.get(f"{overlay_server.http}{analysis_url}", timeout=30).json()
    changes = [(c["language"], c["source"]) for c in analysis["language_changes"]]
    assert changes == [("en", "detected"), ("de", "pinned")]
    assert analysis["language"] == "de"
    # What the call said after the pin was transcribed (in German).
    pinned_s = analysis["language_changes"][1]["at_s"]
    assert [u for u in analysis["utterances"] if u["start_s"] > pinned_s]
