"""What the seller needs to trust the overlay, in real Chromium: the sound check names a silent
call tab and its fix, in German and English, before anything is sent; the echo check of the call
view on real audio (the microphone hearing the call, as a room would)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, call_site, dump, launch, texts
from tests.overlay.conftest import ROOT, require
from tests.support import SAMPLE_RATE, read_wav

DOCS = ROOT / "docs"
UPDATE = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"
ECHO_DELAY_S = 0.12
ECHO_GAIN_DB = -12.0


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str((DOCS if UPDATE else tmp_path) / name))


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
            viewport={"width": 400, "height": 330}, locale="de-DE", permissions=["microphone"]
        )
        call = context.new_page()
        call.goto(call_url)
        page = context.new_page()
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

        page.click("#cancel")
        assert page.locator("#join").is_visible() and texts(page, "#status") == [en["status.idle"]]
        browser.close()


_ECHO_RUN = """
import { EchoWatch } from "%s";
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { mic, call } = JSON.parse(input);
const watch = new EchoWatch();
const verdicts = [];
for (let step = 0, frame = 0; step + 4 <= mic.length; step += 4, frame += 1) {
  watch.push(mic.slice(step, step + 4), call.slice(step, step + 4));
  if ((frame + 1) %% 50 === 0) verdicts.push(watch.measure());
}
console.log(JSON.stringify(verdicts));
"""


def _envelope(samples: np.ndarray[Any, Any]) -> list[float]:
    """RMS per 10 ms, as the page's worklet computes it."""
    steps = samples.shape[0] // 160
    blocks = samples[: steps * 160].astype(np.float64).reshape(steps, 160) / 32768
    return [float(v) for v in np.sqrt((blocks**2).mean(axis=1))]


@pytest.mark.parametrize("echo_db", [-12.0, -20.0, None], ids=["echo-12dB", "echo-20dB", "headset"])
def test_echo_check_on_a_real_call(
    tab_call: dict[str, Path], tmp_path: Path, echo_db: float | None
) -> None:
    """The page's echo check (client/echo.js, run in Node) on the call's real audio: the
    microphone with the customer's voice from the speakers (120 ms late) is flagged; the
    microphone of a headset, which hears only the seller, is not."""
    node = require("node")
    call = read_wav(tab_call["call"])[: 40 * SAMPLE_RATE]
    microphone = call[:, 0].astype(np.float64)
    if echo_db is not None:
        delay = round(ECHO_DELAY_S * SAMPLE_RATE)
        microphone[delay:] += call[:-delay, 1] * 10 ** (echo_db / 20)
    envelopes = {
        "mic": _envelope(np.clip(microphone, -32768, 32767)),
        "call": _envelope(call[:, 1]),
    }
    script = _ECHO_RUN % (ROOT / "client" / "echo.js").as_uri()
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(envelopes),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = [v for v in json.loads(done.stdout) if v is not None]
    correlations = [round(v["correlation"], 2) for v in verdicts]
    flagged = sum(v["echo"] for v in verdicts)
    assert len(verdicts) >= 10, correlations
    if echo_db is None:
        assert flagged == 0, f"echo flagged on a headset: {correlations}"
    else:
        # The page warns after two echo verdicts in a row; most verdicts must say echo.
        assert flagged >= 0.7 * len(verdicts), f"echo at {echo_db} dB missed: {correlations}"
