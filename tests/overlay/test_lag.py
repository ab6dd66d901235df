"""The overlay says when speech-to-text runs behind, in the seller's language. The demo call (a
real recording) is streamed as fast as the socket takes it, with transcripts: the audio runs far
ahead of speech-to-text, and the server's balance events say by how much (``asr_lag_s``). The
overlay follows the session (``?session=``) in German and shows each of them as it comes: the
warning from 3 s behind, gone below."""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path

import pytest
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


@pytest.fixture(scope="module")
def lagging_call(overlay_server: ServerProcess) -> str:
    """The demo call streamed as fast as the socket takes it: its session id."""
    final = asyncio.run(
        stream_file(DEMO, ("seller", "customer"), overlay_server.ws, speed=0, language="en")
    )
    return str(final["session_id"])


def test_the_overlay_warns_when_speech_to_text_lags(
    overlay_server: ServerProcess, lagging_call: str
) -> None:
    from playwright.sync_api import sync_playwright

    session_id = lagging_call
    with sync_playwright() as playwright:
        browser = launch(playwright, DEMO)
        page = browser.new_page(viewport={"width": 400, "height": 360}, locale="en-US")
        page.add_init_script(_RECORD_LAG)
        page.goto(f"{overlay_server.http}/?session={session_id}&lang=de")
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Gespräch beendet'",
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
    # And the warning went when speech-to-text caught up, or when the audio ended (the
    # "finishing the transcript" line takes over).
    assert seen[-1][0] is False, (seen[-3:], lags[-3:])
    # It says what the seller can do, not only how far behind it is.
    assert "Schließe dort andere Programme" in template and "kleinere Sprachmodell" in template


# The test's own record of the status line, the finishing line and the End call button.
_RECORD_STATUS = """
window.__status = [];
document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  const note = () => window.__status.push(
    [$("status").textContent, $("finishing").hidden ? null : $("finishing").textContent,
     $("stop").hidden]);
  for (const id of ["status", "finishing"]) {
    new MutationObserver(note).observe($(id),
      { childList: true, characterData: true, subtree: true, attributes: true });
  }
});
"""
FINISHING = re.compile(
    r"Das Gespräch ist zu Ende\. Noch zu transkribieren: (\d+) Äußerungen \((\d+) s Sprache\)\."
)


def test_the_overlay_says_it_is_finishing_the_transcript(
    overlay_server: ServerProcess, lagging_call: str, tmp_path: Path
) -> None:
    """After the audio ended, transcripts still coming: "Mitschrift wird fertig…" with the
    utterances left (counting down), never "Live" with "Gespräch beenden"; then the German
    transcript opened shows whole lines, scrolled to the newest (issue #23, items 7 and 8)."""
    from playwright.sync_api import sync_playwright

    with connect(f"{overlay_server.ws}/v1/sessions/{lagging_call}/events?after=0") as socket:
        events = [json.loads(message) for message in socket]
    finishing = [e for e in events if e["type"] == "finishing"]
    transcripts = [e for e in events if e["type"] == "transcript"]
    assert finishing, "the server never said it was finishing"
    left = [e["utterances_left"] for e in finishing]
    # Counting down to none, and the first count is every final transcript still to come.
    assert left == sorted(left, reverse=True) and left[-1] == 0, left
    first = events.index(finishing[0])
    assert left[0] == sum(1 for e in events[first:] if e["type"] == "transcript"), left
    assert left[0] >= 2, f"speech-to-text kept up: {left}"
    assert max(e["speech_left_s"] for e in finishing) > 1.0, finishing[0]

    with sync_playwright() as playwright:
        browser = launch(playwright, DEMO)
        page = browser.new_page(viewport={"width": 400, "height": 420}, locale="de-DE")
        page.add_init_script(_RECORD_STATUS)
        page.goto(f"{overlay_server.http}/?session={lagging_call}&lang=de")
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Gespräch beendet'",
            timeout=30_000,
        )
        seen = [tuple(row) for row in page.evaluate("window.__status")]
        statuses = [status for status, _, _ in seen]
        assert "Mitschrift wird fertig…" in statuses, statuses
        at = statuses.index("Mitschrift wird fertig…")
        # From then on: never "Live" again, the End call button gone, then "Gespräch beendet".
        assert "Live" not in statuses[at:], statuses
        assert all(hidden for status, _, hidden in seen[at:]), seen[at:]
        counts = [
            int(m.group(1)) for _, line, _ in seen if line and (m := FINISHING.fullmatch(line))
        ]
        assert counts and counts[0] == left[0] and counts == sorted(counts, reverse=True), seen
        assert seen[-1][1] is None, "the finishing line stays after the call ended"

        # The call's language (pinned to English by the stream): named in the page's language.
        options = page.locator("#call-lang option").all_text_contents()
        assert options == ["Automatisch", "Deutsch", "Englisch"], options
        assert page.locator("#call-lang").input_value() == "en"

        # The transcript opened: whole lines, the newest at the bottom.
        page.click("#transcript summary")
        box = page.evaluate(
            """() => {
              const list = document.getElementById('transcript-lines');
              const line = parseFloat(getComputedStyle(list.lastElementChild).lineHeight);
              const last = list.lastElementChild.getBoundingClientRect();
              const shown = list.getBoundingClientRect();
              return { line, client: list.clientHeight, scroll: list.scrollHeight,
                       top: list.scrollTop, lastBottom: last.bottom, boxBottom: shown.bottom,
                       lines: list.children.length };
            }"""
        )
        assert box["lines"] == min(len(transcripts), 50), box
        assert box["scroll"] > box["client"], f"too few lines to scroll: {box}"
        # Scrolled to the newest line, and that line ends where the box does.
        assert box["top"] + box["client"] >= box["scroll"] - 1, box
        assert abs(box["lastBottom"] - box["boxBottom"]) <= 1, box
        # The box holds a whole number of lines: none cut in half at the top either.
        rows = box["client"] / box["line"]
        assert abs(rows - round(rows)) < 0.05, box
        page.screenshot(path=str(tmp_path / "overlay-de-transcript.png"))
        violations = axe_violations(page)
        assert not violations, f"axe (de, transcript open): {dump(violations)}"
        browser.close()
