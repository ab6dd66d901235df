"""The overlay in a real call, end to end, in real headless Chromium (Debian's, via Playwright).

The seller's microphone is Chromium's fake capture device playing the seller channel of a real
two-channel call; the customer is a second tab (the test's "call") playing the customer channel
through an ``<audio>`` element, which the overlay captures with ``getDisplayMedia`` as a seller
shares a call's tab: Chromium picks the tab by its title. The overlay's capture code has no test
mode. One 40 s call serves every assertion: the sound check before joining, the balance against
``praesent analyze`` on the same audio, cues, the topic card, the transcript, the pop-out, the
German overlay following the same (English) call, axe-core on both, and the report link.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import httpx

from tests.live_server import ServerProcess
from tests.overlay.browser import (
    TIMING_SCRIPT,
    axe_violations,
    call_site,
    dump,
    launch,
    texts,
)
from tests.overlay.conftest import ROOT
from tests.overlay.reference import analyze, streamed_audio

DOCS = ROOT / "docs"
UPDATE = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"
CALL_S = 40.0
# The balance on the page is a whole percentage of the last balance event (once a second).
BALANCE_TOLERANCE_POINTS = 3.0


def shot(page: Any, name: str, tmp_path: Path) -> Path:
    target = (DOCS if UPDATE else tmp_path) / name
    page.screenshot(path=str(target))
    return target


def seller_points(share_text: str) -> int | None:
    match = re.fullmatch(r"(\d+):(\d+)", share_text)
    return int(match.group(1)) if match else None


def live_session(server: ServerProcess, title: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for record in httpx.get(f"{server.http}/v1/sessions", timeout=10).json():
            if record["title"] == title and record["status"] == "live":
                return str(record["id"])
        time.sleep(0.2)
    raise AssertionError(f"no live session titled {title!r}")


class Seen:
    """What one view of the overlay showed over the call."""

    def __init__(self) -> None:
        self.shares: list[str] = []
        self.cues: list[tuple[str, str]] = []  # (kind, text)
        self.topic = False
        self.echo = False

    def read(self, view: Any) -> None:
        share = str(view.locator("#share-call").inner_text()).strip()
        if share != "\N{EN DASH}" and (not self.shares or self.shares[-1] != share):
            self.shares.append(share)
        if view.locator("#cue").is_visible():
            cue = (
                str(view.get_attribute("#cue", "data-kind")),
                str(view.locator("#cue-text").inner_text()).strip(),
            )
            if cue not in self.cues:
                self.cues.append(cue)
        self.topic = self.topic or view.locator("#topic").is_visible()
        self.echo = self.echo or view.locator("#warn-echo").is_visible()


def i18n(page: Any) -> dict[str, dict[str, str]]:
    strings: dict[str, dict[str, str]] = page.evaluate(
        "async () => (await import('/i18n.js')).STRINGS"
    )
    return strings


def test_a_call_through_the_shared_tab(
    overlay_server: ServerProcess, tab_call: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    title = "tab capture test"
    with sync_playwright() as playwright, call_site(tmp_path, tab_call["customer"]) as call_url:
        browser = launch(playwright, tab_call["seller"])
        context = browser.new_context(
            viewport={"width": 400, "height": 360}, locale="en-US", permissions=["microphone"]
        )
        call = context.new_page()
        call.goto(call_url)
        page = context.new_page()
        page.add_init_script(TIMING_SCRIPT)
        logs: list[str] = []
        page.on("console", lambda message: logs.append(message.text))
        page.goto(f"{overlay_server.http}/?lang=en&language=en&title={title.replace(' ', '+')}")
        strings = i18n(page)
        assert not axe_violations(page), "axe on the idle overlay (en)"

        # Before joining: the sound check hears both sources.
        page.click("#start")
        page.wait_for_selector("#check:not([hidden])", timeout=15_000)
        call.evaluate("document.getElementById('call').play()")
        for role in ("seller", "customer"):
            page.wait_for_selector(f".source[data-role={role}][data-state=ok]", timeout=20_000)
        assert texts(page, "#verdict-seller") == ["✓ " + strings["en"]["check.seller.ok"]]
        assert texts(page, "#verdict-customer") == ["✓ " + strings["en"]["check.customer.ok"]]
        violations = axe_violations(page)
        assert not violations, f"axe on the sound check (en): {dump(violations)}"
        shot(page, "overlay-check-en.png", tmp_path)
        page.keyboard.press("Enter")  # the Start button has the focus: keyboard only
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Live'", timeout=30_000
        )
        session_id = live_session(overlay_server, title)

        # The German overlay follows the same English call (a second screen).
        german = context.new_page()
        german.goto(f"{overlay_server.http}/?session={session_id}&lang=de")

        seen, seen_pip, seen_de = Seen(), Seen(), Seen()
        pip: Any = None
        pip_closed = False
        began = time.monotonic()
        left = escaped = False
        while (elapsed := time.monotonic() - began) < CALL_S:
            if pip is None and not pip_closed and elapsed > 2:
                with context.expect_page() as opened:
                    page.click("#popout")
                pip = opened.value
                pip.wait_for_selector("#overlay", timeout=10_000)
            if pip is not None and elapsed > 30:
                pip.close()
                pip, pip_closed = None, True
                page.wait_for_selector("#overlay #live:not([hidden])", timeout=10_000)
            view = pip if pip is not None else page
            seen.read(view)
            if pip is not None:
                seen_pip.read(pip)
            seen_de.read(german)
            if not escaped and german.locator("#cue").is_visible():
                # Esc dismisses a cue at once (it would fade only after 12 s).
                german.keyboard.press("Escape")
                german.wait_for_selector("#cue", state="hidden", timeout=2_000)
                escaped = True
            if not left and view.get_attribute("#now", "data-role") == "customer" and elapsed > 8:
                # The seller switches away from the call while the customer speaks.
                page.evaluate(
                    "() => { document.hasFocus = () => false;"
                    " const w = window.documentPictureInPicture?.window;"
                    " if (w) w.document.hasFocus = () => false;"
                    " window.dispatchEvent(new Event('blur')); }"
                )
                left = True
            page.wait_for_timeout(400)

        assert len(seen.shares) >= 3, f"the balance hardly moved: {seen.shares}; {logs[-10:]}"
        assert len(seen_pip.shares) >= 2, f"the pop-out's balance did not update: {seen_pip.shares}"
        assert seen_pip.cues, f"no cue in the pop-out; on the page: {seen.cues}"
        assert pip_closed and page.locator("#overlay #share-call").count() == 1
        assert seen.cues, f"no cue on the page; console: {logs[-10:]}"
        for kind, text in seen.cues:
            assert text == strings["en"].get(f"cue.{kind}") or kind == "deepen", (kind, text)
        assert not seen.echo, "an echo warning without any echo"
        violations = axe_violations(page)
        assert not violations, f"axe on the live overlay (en): {dump(violations)}"
        shot(page, "overlay-en.png", tmp_path)

        # German labels and cues on an English call; the customer's words stay as said.
        de, en = strings["de"], strings["en"]
        for element in german.locator("#live [data-i18n]").all():
            key = str(element.get_attribute("data-i18n"))
            if element.is_visible():
                assert element.inner_text().strip() == de[key], key
        assert seen_de.cues, "no cue on the German overlay"
        for kind, text in seen_de.cues:
            if kind == "deepen":
                assert text.startswith("Vertiefen: frag nach „"), text
            else:
                assert text == de[f"cue.{kind}"] and text != en[f"cue.{kind}"], (kind, text)
        violations = axe_violations(german)
        assert not violations, f"axe on the live overlay (de): {dump(violations)}"
        shot(german, "overlay-de.png", tmp_path)

        # The pop-out's size: the balance, who speaks and the cue still fit.
        page.set_viewport_size({"width": 320, "height": 200})
        for selector in ("#gauge-window", "#now"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 200, selector
        shot(page, "overlay-320x200.png", tmp_path)
        page.set_viewport_size({"width": 400, "height": 360})

        # End the call from the keyboard; the report is one click away, in the seller's language.
        page.focus("#stop")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Call ended'", timeout=300_000
        )
        report = page.locator("#report")
        assert report.is_visible() and report.inner_text().strip() == en["report"]
        assert f"/v1/sessions/{session_id}/report?lang=en" in str(report.get_attribute("href"))
        german.wait_for_selector("#report:not([hidden])", timeout=30_000)
        assert german.locator("#report").inner_text().strip() == de["report"]
        assert "lang=de" in str(german.get_attribute("#report", "href"))
        assert seen.topic or page.locator("#topic").is_visible(), "no topic card"
        # Speech-to-text may run behind on a busy machine: every line is there by the end.
        transcript = texts(page, "#transcript-lines li")
        assert any(line.startswith("You: ") for line in transcript), transcript
        assert any(line.startswith("Customer: ") for line in transcript), transcript
        german_lines = texts(german, "#transcript-lines li")
        assert any(line.startswith("Du: ") for line in german_lines), german_lines
        assert any(line.startswith("Kunde: ") for line in german_lines), german_lines
        final_share = seller_points(str(page.locator("#share-call").inner_text()).strip())
        timing = {**page.evaluate("window.__timing"), "played": call.evaluate("window.__played")}
        browser.close()

    analysis = httpx.get(f"{overlay_server.http}/v1/sessions/{session_id}", timeout=30).json()
    reference = analyze(
        streamed_audio(tab_call["call"], timing, analysis["duration_s"], tmp_path / "ref.wav")
    )
    expected = 100 * reference["seller_share"]
    print(
        f"balance: overlay {final_share} %, praesent analyze {expected:.1f} % over "
        f"{analysis['duration_s']:.1f} s; cues {seen.cues}; pop-out cues {seen_pip.cues}; "
        f"German cues {seen_de.cues}; shares seen {len(seen.shares)}"
    )
    assert final_share is not None
    assert abs(final_share - expected) <= BALANCE_TOLERANCE_POINTS + 0.5, (
        f"overlay balance {final_share} % vs praesent analyze {expected:.1f} % on the same "
        f"{analysis['duration_s']:.1f} s (tolerance {BALANCE_TOLERANCE_POINTS} points + rounding)"
    )
