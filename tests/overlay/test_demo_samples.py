""" "Try it" sends the recording's own samples, so the demo's figures are those of ``praesent
analyze`` on the same file (issue #23, item 5: the demo showed 49 % and one customer interruption
where the file gave 48 % and none; the page had resampled the 16 kHz recording to the device's
48 kHz and back, a box filter that moved speech edges). The test's own hook copies every audio
frame the page sends to the server; after the first speech, they must equal the file's samples
exactly, after the silence the page sent before the recording started, and that silence must be
a whole number of voice-activity frames (the file's framing)."""

from __future__ import annotations

import numpy as np

from praesent.audio.vad import FRAME_SAMPLES
from tests.live_server import ServerProcess
from tests.overlay.browser import launch
from tests.overlay.conftest import DEMO
from tests.support import SAMPLE_RATE, read_wav

# The test's instrumentation (an init script, not the overlay's code): the audio frames sent.
_COPY_FRAMES = """
window.__frames = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  if (typeof data !== "string") window.__frames.push(Array.from(new Int16Array(data.slice(0))));
  return send.call(this, data);
};
"""
COMPARED_S = 3.0  # of speech, after the recording's silent start
VAD_FRAME = FRAME_SAMPLES  # voice activity decides per 512 samples from the stream's start


def test_the_demo_sends_the_recordings_own_samples(overlay_server: ServerProcess) -> None:
    from playwright.sync_api import sync_playwright

    stereo = read_wav(DEMO)
    first_speech = int(np.flatnonzero(np.any(stereo != 0, axis=1))[0])
    wanted = first_speech + round(COMPARED_S * SAMPLE_RATE)
    with sync_playwright() as playwright:
        browser = launch(playwright, None)
        page = browser.new_page(viewport={"width": 400, "height": 360})
        page.add_init_script(_COPY_FRAMES)
        page.goto(f"{overlay_server.http}/?lang=en&transcribe=0")
        page.click("#demo")
        # Interleaved stereo: twice as many values as samples per channel.
        page.wait_for_function(
            "() => window.__frames.reduce((n, f) => n + f.length, 0)"
            f" >= {2 * wanted + 2 * SAMPLE_RATE}",
            timeout=60_000,
            polling=200,
        )
        frames = page.evaluate("window.__frames")
        if page.locator("#stop").is_visible():  # a slow machine may have played it all
            page.click("#stop")
        browser.close()

    sent = np.concatenate([np.asarray(f, dtype=np.int16) for f in frames]).reshape(-1, 2)
    # The page sends silence from its start until the recording plays: find where it begins.
    start = int(np.flatnonzero(np.any(sent != 0, axis=1))[0]) - first_speech
    assert start >= 0, start
    print(f"the recording began {start / SAMPLE_RATE:.3f} s into the stream")
    got = sent[start : start + wanted]
    assert got.shape == (wanted, 2), got.shape
    differ = np.flatnonzero(np.any(got != stereo[:wanted], axis=1))
    assert differ.size == 0, (
        f"{differ.size} of {wanted} samples differ from the file, the first at "
        f"{differ[0] / SAMPLE_RATE:.3f} s: {got[differ[0]]} vs {stereo[differ[0]]}"
    )
    # On a voice-activity frame boundary, as in the file: moved by 100 samples (6 ms), the demo's
    # analysis had a customer interruption and no backchannel; by 4,000, 47 % instead of 49.5 %.
    assert start % VAD_FRAME == 0, (start, start % VAD_FRAME)
