"""The call's language in the overlay: Auto / Deutsch / English before joining and during the
call. The demo call (English) is joined on "Auto"; once the server has decided English, the
seller pins German from the keyboard, and the server transcribes what follows in German. When
the recording ends the page says it is finishing the transcript (not "Live" with "End call")
until the call is stored; the stored call is titled "Demo" with its date and time and marked as
the "informed" box was (unticked) (issue #23, items 7 and 8)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, dump, launch
from tests.overlay.conftest import DEMO

_CALL_LANGUAGE = "document.getElementById('overlay').dataset.callLanguage"
# The test's own record of the status line and whether "End call" is hidden, at each change.
_RECORD_STATUS = """
window.__status = [];
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("status");
  new MutationObserver(() => window.__status.push(
    [status.textContent, document.getElementById("stop").hidden]))
    .observe(status, { childList: true, characterData: true, subtree: true });
  // The transcript's lines at each change: how many, how many marked provisional, and the
  // call's language as the page knew it then ("" before the server decided).
  window.__lines = [];
  const lines = document.getElementById("transcript-lines");
  const overlay = document.getElementById("overlay");
  new MutationObserver(() => window.__lines.push([
    lines.children.length,
    lines.querySelectorAll('li[data-state="provisional"]').length,
    overlay.dataset.callLanguage || ""]))
    .observe(lines, { childList: true });
});
"""
DEMO_TITLE = re.compile(r"Demo · \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def test_pinning_the_calls_language_during_the_call(
    overlay_server: ServerProcess, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, DEMO)
        page = browser.new_page(viewport={"width": 400, "height": 360}, locale="de-DE")
        page.add_init_script(_RECORD_STATUS)
        page.goto(f"{overlay_server.http}/?lang=de")
        control = page.locator("#call-lang")
        # Before joining: labelled for screen readers in the seller's language, Auto chosen.
        assert control.get_attribute("aria-label") == "Gesprächssprache"
        assert control.input_value() == "auto"
        options = control.locator("option").all_text_contents()
        # The languages named in the page's language, one way throughout.
        assert options == ["Automatisch", "Deutsch", "Englisch"], options
        violations = axe_violations(page)
        assert not violations, f"axe on the idle overlay (de): {dump(violations)}"
        page.select_option("#lang", "en")
        assert control.get_attribute("aria-label") == "Call language"

        assert control.locator("option").all_text_contents() == ["Auto", "German", "English"]
        assert not page.locator("#informed").is_checked()
        page.click("#demo")
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Live'", timeout=30_000
        )
        # The server decides English from the call's first seconds of speech and says so.
        page.wait_for_function(f"() => {_CALL_LANGUAGE} === 'en'", timeout=60_000)
        assert control.input_value() == "auto"
        assert control.locator("option[value=auto]").text_content() == "Auto · English"
        violations = axe_violations(page)
        assert not violations, f"axe on the live overlay (en): {dump(violations)}"

        # The keyboard pins German: focus the control, type-ahead "G" picks German.
        control.focus()
        page.keyboard.press("g")
        assert control.input_value() == "de"
        page.wait_for_function(f"() => {_CALL_LANGUAGE} === 'de'", timeout=30_000)
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Call ended'",
            timeout=240_000,  # a busy machine finishes the transcript later
        )
        session_id = page.evaluate("new URL(document.getElementById('report').href).pathname")
        seen = [tuple(row) for row in page.evaluate("window.__status")]
        lines = [tuple(row) for row in page.evaluate("window.__lines")]
        browser.close()

    # The recording ended: "Finishing the transcript…" without "End call", then "Call ended".
    statuses = [status for status, _ in seen]
    assert "Finishing the transcript…" in statuses, statuses
    at = statuses.index("Finishing the transcript…")
    assert statuses[at - 1] == "Live" and statuses[-1] == "Call ended", statuses
    assert all(hidden for _, hidden in seen[at:]), seen
    # The first words were shown before the language was decided, marked provisional; once the
    # seller pinned German, later lines settled the earlier ones.
    assert lines and lines[0][0] > 0 and lines[0][1] > 0 and lines[0][2] == "", lines
    assert lines[-1][1] == 0, lines

    analysis_url = session_id.removesuffix("/report")
    record = next(
        item
        for item in httpx.get(f"{overlay_server.http}/v1/sessions", timeout=30).json()
        if f"/v1/sessions/{item['id']}" == analysis_url
    )
    assert DEMO_TITLE.fullmatch(record["title"]), record["title"]
    assert record["customer_informed"] is False, record
    analysis = httpx.get(f"{overlay_server.http}{analysis_url}", timeout=30).json()
    changes = [(c["language"], c["source"]) for c in analysis["language_changes"]]
    assert changes == [("en", "detected"), ("de", "pinned")]
    assert analysis["language"] == "de"
    # What the call said after the pin was transcribed (in German).
    pinned_s = analysis["language_changes"][1]["at_s"]
    assert [u for u in analysis["utterances"] if u["start_s"] > pinned_s]
