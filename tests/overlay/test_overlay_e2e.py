"""The overlay end to end in real headless Chromium (Debian's, driven by Playwright).

The seller's microphone is Chromium's fake capture device playing the seller channel of the demo
call (a real recording; ``--use-file-for-fake-audio-capture``), captured by the page through
``getUserMedia`` with echo cancellation, as in a real call. A headless browser cannot share a call
tab (``getDisplayMedia`` needs a person to pick one), so the page's test mode ``?customer=demo``
feeds the customer channel from the right channel of the same shipped recording, decoded and played
in real time by the page's own audio graph into the same worklet. Both channels go through the
page's worklet and live socket; everything asserted is read from the page's DOM.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from praesent.core.cues import CUE_TEXTS
from tests.live_server import ServerProcess
from tests.overlay.conftest import CHROMIUM, ROOT, require

DOCS = ROOT / "docs"
UPDATE = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"


def _launch(playwright: Any, seller_wav: Path) -> Any:
    return playwright.chromium.launch(
        executable_path=require(CHROMIUM),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={seller_wav}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).strip()


def _shot(page: Any, name: str, tmp_path: Path) -> Path:
    target = (DOCS if UPDATE else tmp_path) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    return target


def test_overlay_shows_balance_transcript_and_cue(
    overlay_server: ServerProcess, demo_channels: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = _launch(playwright, demo_channels["seller"])
        context = browser.new_context(
            viewport={"width": 400, "height": 330}, locale="en-US", permissions=["microphone"]
        )
        page = context.new_page()
        logs: list[str] = []
        page.on("console", lambda message: logs.append(message.text))
        page.goto(f"{overlay_server.http}/?customer=demo&language=en&lang=en")
        assert _text(page, "#start") == "Join call"
        page.click("#start")
        page.wait_for_selector("#live:not([hidden])", timeout=10_000)

        shares: list[str] = []
        left = False
        cue = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            share = _text(page, "#share-call")
            if share != "\N{EN DASH}" and (not shares or shares[-1] != share):
                shares.append(share)
            role = page.get_attribute("#now", "data-role")
            if role == "customer" and not left:
                # The seller switches away from the call while the customer speaks.
                page.evaluate(
                    "() => { document.hasFocus = () => false;"
                    " window.dispatchEvent(new Event('blur')); }"
                )
                left = True
            if page.locator("#cue").is_visible():
                cue = _text(page, "#cue-text")
            lines = page.locator("#transcript-lines li").count()
            if cue and lines and len(shares) >= 2:
                break
            page.wait_for_timeout(250)
        transcript = page.locator("#transcript-lines li").all_text_contents()
        assert len(shares) >= 2, f"talk balance never changed: {shares}; console: {logs[-10:]}"
        assert transcript, f"no transcript line on the page; console: {logs[-10:]}"
        assert re.match(r"^(You|Customer): \S", transcript[0]), transcript
        assert cue in CUE_TEXTS["en"].values(), f"no cue on the page: {cue!r}"
        assert page.get_attribute("#cue", "aria-live") == "polite"
        assert re.match(r"^\d+$", _text(page, "#n-interruptions"))
        _shot(page, "overlay-en.png", tmp_path)

        # German labels (the cue stays in the call's language, English here).
        page.select_option("#lang", "de")
        assert _text(page, "#stop") == "Gespräch beenden"
        assert "Unterbrechungen" in _text(page, ".counts")
        _shot(page, "overlay-de.png", tmp_path)

        # The pop-out size: the balance, who speaks and the cue still fit.
        page.select_option("#lang", "en")
        page.set_viewport_size({"width": 320, "height": 200})
        for selector in ("#gauge-window", "#now", "#cue"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= 200, selector
        _shot(page, "overlay-320x200.png", tmp_path)

        # Esc dismisses the cue.
        page.keyboard.press("Escape")
        assert not page.locator("#cue").is_visible()
        page.set_viewport_size({"width": 400, "height": 330})
        page.click("#stop")
        page.wait_for_function(
            "document.getElementById('status').textContent === 'Call ended'", timeout=30_000
        )
        browser.close()
