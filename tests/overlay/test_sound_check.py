"""What the seller needs to trust the overlay, in real Chromium: the sound check names a silent
call tab and its fix, in German and English, before anything is sent; its setting for the
browser's echo cancellation opens the microphone again with it (and without it), from the
keyboard; "Share again" asks for the tab anew; nothing leaves the page before the call starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, call_site, dump, launch, texts
from tests.overlay.conftest import ROOT

DOCS = ROOT / "docs"
UPDATE = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str((DOCS if UPDATE else tmp_path) / name))


# The test's own record of each microphone the page opened (whether Chromium processes it) and
# of the microphone's verdicts in turn.
_RECORD_MICROPHONES = """
window.__mics = [];
window.__shared = 0;
window.__seller = ["waiting"];
const gdm = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getDisplayMedia = async (c) => {
  window.__shared += 1;
  return gdm(c);
};
const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = async (c) => {
  const s = await gum(c);
  window.__mics.push(s.getAudioTracks()[0].getSettings().echoCancellation);
  return s;
};
document.addEventListener("DOMContentLoaded", () => {
  const row = document.querySelector(".source[data-role=seller]");
  new MutationObserver(() => {
    if (window.__seller.at(-1) !== row.dataset.state) window.__seller.push(row.dataset.state);
  }).observe(row, { attributes: true, attributeFilter: ["data-state"] });
});
"""


def _strings(page: Any) -> dict[str, dict[str, str]]:
    strings: dict[str, dict[str, str]] = page.evaluate(
        "async () => (await import('/i18n.js')).STRINGS"
    )
    return strings


def test_the_check_names_a_silent_tab(
    overlay_server: ServerProcess, tab_call: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with (
        sync_playwright() as playwright,
        call_site(tmp_path / "site", tab_call["customer"]) as call_url,
    ):
        browser = launch(playwright, tab_call["seller"])
        context = browser.new_context(
            viewport={"width": 400, "height": 360}, locale="de-DE", permissions=["microphone"]
        )
        call = context.new_page()
        call.goto(call_url)
        page = context.new_page()
        page.add_init_script(_RECORD_MICROPHONES)
        # What leaves the page: no socket and no write before the seller starts the call.
        sent: list[str] = []
        page.on("websocket", lambda socket: sent.append(f"socket {socket.url}"))
        page.on(
            "request",
            lambda request: (
                request.method not in ("GET", "HEAD")
                and sent.append(f"{request.method} {request.url}")
            ),
        )
        page.goto(f"{overlay_server.http}/?language=en")
        strings = _strings(page)
        de, en = strings["de"], strings["en"]
        assert page.locator("#start").inner_text().strip() == de["join.start"]  # browser's language
        violations = axe_violations(page)
        assert not violations, f"axe on the idle overlay (de): {dump(violations)}"

        # The shared tab plays nothing: the check names the call as the silent source.
        page.focus("#start")
        page.keyboard.press("Enter")
        page.wait_for_selector(".source[data-role=customer][data-state=silent]", timeout=30_000)
        page.wait_for_selector(".source[data-role=seller][data-state=ok]", timeout=10_000)
        assert texts(page, "#verdict-customer") == ["✗ " + de["check.customer.silent"]]
        assert texts(page, "#verdict-seller") == ["✓ " + de["check.seller.ok"]]
        violations = axe_violations(page)
        assert not violations, f"axe on the sound check (de): {dump(violations)}"
        _shot(page, "overlay-check-silent-de.png", tmp_path)
        page.select_option("#lang", "en")
        assert texts(page, "#verdict-customer") == ["✗ " + en["check.customer.silent"]]
        violations = axe_violations(page)
        assert not violations, f"axe on the sound check (en): {dump(violations)}"

        # The browser's echo cancellation, from the keyboard: the microphone is opened again
        # with it, heard afresh, and again without it; the call's verdict stays.
        setting = page.locator("#mic-processed")
        assert page.get_by_label(en["check.processed"]).count() == 1  # labelled
        assert not setting.is_checked()
        setting.focus()
        for opened, processed in enumerate((True, False), start=2):
            page.keyboard.press("Space")
            assert setting.is_checked() is processed
            # Waiting again for the new microphone, then heard.
            page.wait_for_function(
                f"() => window.__mics.length === {opened}"
                f" && window.__seller.filter((s) => s === 'waiting').length === {opened}"
                " && window.__seller.at(-1) === 'ok'",
                timeout=20_000,
            )
        mics, verdicts = page.evaluate("[window.__mics, window.__seller]")
        print(f"microphones opened, echo cancellation: {mics}; verdicts {verdicts}")
        assert mics == [False, True, False]
        assert texts(page, "#verdict-customer") == ["✗ " + en["check.customer.silent"]]
        assert page.evaluate("localStorage.getItem('praesent.mic')") == "raw"

        # "Share again": the tab is asked for anew, and now that the call plays it is heard.
        assert page.evaluate("window.__shared") == 1
        call.evaluate("document.getElementById('call').play()")
        page.click("#retry")
        page.wait_for_function("() => window.__shared === 2", timeout=10_000)
        page.wait_for_selector(".source[data-role=customer][data-state=ok]", timeout=30_000)
        assert texts(page, "#verdict-customer") == ["✓ " + en["check.customer.ok"]]

        page.click("#cancel")
        assert page.locator("#join").is_visible() and texts(page, "#status") == [en["status.idle"]]
        assert sent == [], sent
        browser.close()
