"""The overlay speaks the seller's language, whatever the call's: the English overlay on a German
call shows every label and cue in English and quotes the customer's German words as they were
said. (The German overlay on an English call is read in test_overlay_e2e.) The German call is
built from real German recordings: a customer speaking for ~24 s (FLEURS readers), the seller
answering (the leopard sample), the customer again; streamed through the live socket."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from praesent.live.player import stream_file
from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, dump, launch, texts
from tests.support import SAMPLE_RATE, read_wav, shared, write_wav

# The test's own record of every cue the page shows (a replay shows them in quick succession).
_RECORD_CUES = """
window.__cues = [];
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("cue");
  const text = document.getElementById("cue-text");
  new MutationObserver(() => window.__cues.push([box.dataset.kind, text.textContent.trim()]))
    .observe(box, { subtree: true, childList: true, characterData: true, attributes: true });
});
"""


def _german_call(target: Path) -> Path:
    def clip(name: str) -> np.ndarray[Any, Any]:
        return read_wav(shared(name))[:, 0]

    pause = np.zeros(round(0.4 * SAMPLE_RATE), dtype=np.int16)
    customer = [
        clip("de-fleurs-read/fleurs-de-001.wav"),
        pause,
        clip("de-fleurs-read/fleurs-de-002.wav"),
    ]
    turns: list[tuple[int, np.ndarray[Any, Any]]] = [
        (1, np.concatenate(customer)),
        (0, clip("de-read-1spk/test_de.wav")),
        (1, clip("de-fleurs-read/fleurs-de-004.wav")),
    ]
    gap = np.zeros(round(0.8 * SAMPLE_RATE), dtype=np.int16)
    length = sum(audio.shape[0] + gap.shape[0] for _, audio in turns)
    stereo = np.zeros((length, 2), dtype=np.int16)
    at = 0
    for channel, audio in turns:
        stereo[at : at + audio.shape[0], channel] = audio
        at += audio.shape[0] + gap.shape[0]
    return write_wav(target, stereo)


def test_english_overlay_on_a_german_call(overlay_server: ServerProcess, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    call = _german_call(tmp_path / "german-call.wav")
    final = asyncio.run(
        stream_file(call, ("seller", "customer"), overlay_server.ws, speed=4.0, language="de")
    )
    session_id = final["session_id"]
    analysis = httpx.get(f"{overlay_server.http}/v1/sessions/{session_id}", timeout=30).json()
    german_cues = [cue["text"] for cue in analysis["cues"]]
    assert german_cues, "the German call gave no cue"

    with sync_playwright() as playwright:
        browser = launch(playwright, call)
        page = browser.new_page(viewport={"width": 400, "height": 360}, locale="de-DE")
        page.add_init_script(_RECORD_CUES)
        page.goto(f"{overlay_server.http}/?session={session_id}&lang=en")
        page.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Call ended'", timeout=30_000
        )
        strings: dict[str, dict[str, str]] = page.evaluate(
            "async () => (await import('/i18n.js')).STRINGS"
        )
        en = strings["en"]
        for element in page.locator("#overlay [data-i18n]").all():
            key = str(element.get_attribute("data-i18n"))
            if element.is_visible():
                assert element.inner_text().strip() == en[key], key
        shown = {(kind, text) for kind, text in page.evaluate("window.__cues") if kind and text}
        print(f"cues shown: {sorted(shown)}; in the call's language: {german_cues}")
        assert len({kind for kind, _ in shown}) == len(german_cues), (shown, german_cues)
        for kind, text in shown:
            if kind == "deepen" and "“" in text:
                assert text.startswith("Go deeper: ask more about “"), text
            else:
                assert text == en[f"cue.{kind}"], (kind, text)
            assert text not in german_cues, f"a cue in the call's language: {text}"
        lines = texts(page, "#transcript-lines li")
        assert any(line.startswith("You: ") for line in lines), lines
        assert any(line.startswith("Customer: ") for line in lines), lines
        if page.locator("#topic").is_visible():
            assert page.locator(".topic-said").inner_text().strip() == en["topic.said"]
        violations = axe_violations(page)
        assert not violations, f"axe (en, German call): {dump(violations)}"
        browser.close()
