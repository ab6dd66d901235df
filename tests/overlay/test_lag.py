"""The overlay says when speech-to-text runs behind, in the seller's language. The demo call (a
real recording) is streamed as fast as the socket takes it, with transcripts: the audio runs far
ahead of speech-to-text, and the server's balance events say by how much (``asr_lag_s``). The
overlay follows the session (``?session=``) in German and shows each of them as it comes: the
warning from 3 s behind, gone below."""

from __future__ import annotations

import asyncio
import json
import math

from websockets.sync.client import connect

from praesent.live.player import stream_file
from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, dump, launch
from tests.overlay.conftest import DEMO

LAG_WARN_S = 3  # the overlay warns from this lag on

# The test's own record of the lag warning after each change: (shown, text).
_RECORD_LAG = """
window.__lag = [];
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("warn-lag");
  new MutationObserver(() => window.__lag.push([!el.hidden, el.textContent]))
    .observe(el, { childList: true, characterData: true, subtree: true, attributes: true });
});
"""


def test_the_overlay_warns_when_speech_to_text_lags(overlay_server: ServerProcess) -> None:
    from playwright.sync_api import sync_playwright

    final = asyncio.run(
        stream_file(DEMO, ("seller", "customer"), overlay_server.ws, speed=0, language="en")
    )
    session_id = final["session_id"]
    with sync_playwright() as playwright:
        browser = launch(playwright, DEMO)
        page = browser.new_page(viewport={"width": 400, "height": 360}, locale="en-US")
        page.add_init_script(_RECORD_LAG)
        page.goto(f"{overlay_server.http}/?session={session_id}&lang=de")
        page.wait_for_function(
            "() => document.getElementById('status').textContent === 'Gespräch beendet'",
            timeout=30_000,
        )
        template = page.evaluate("async () => (await import('/i18n.js')).STRINGS.de['warn.lag']")
        seen = [(bool(shown), str(text)) for shown, text in page.evaluate("window.__lag")]
        violations = axe_violations(page)
        assert not violations, f"axe (de, after a lagging call): {dump(violations)}"
        browser.close()

    with connect(f"{overlay_server.ws}/v1/sessions/{session_id}/events?after=0") as socket:
        events = [json.loads(message) for message in socket]
    lags = [event["asr_lag_s"] for event in events if event["type"] == "balance"]
    behind = [lag for lag in lags if lag >= LAG_WARN_S]
    print(
        f"lag over {len(lags)} balance events: {len(behind)} at {LAG_WARN_S} s or more, "
        f"max {max(lags):.1f} s, last {lags[-1]:.1f} s; the warning changed {len(seen)} times"
    )
    assert behind, f"speech-to-text kept up at full speed (max lag {max(lags):.1f} s)"
    # Each lag of 3 s or more was shown, in German, in whole seconds (as JavaScript rounds).
    shown = {text for visible, text in seen if visible}
    expected = {template.replace("{s}", str(math.floor(lag + 0.5))) for lag in behind}
    assert shown == expected, (shown, expected)
    # And the warning went when speech-to-text caught up.
    assert seen[-1][0] is (lags[-1] >= LAG_WARN_S), (seen[-3:], lags[-3:])
