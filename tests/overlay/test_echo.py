"""The echo warning in real Chromium, with a real echo: the call tab's sound reaches the microphone.

A PulseAudio server of the test's own is the computer's sound: ``speakers`` is the default sink,
where Chromium plays the call tab (the customer channel of a real call); ``room`` is what the
microphone hears (its monitor, remapped to a source Chromium lists, is the default microphone):
``paplay`` plays the seller channel into it, and with ``echo`` a loopback carries the speakers'
sound into it 18 dB down, as speakers reach a microphone without a headset. The overlay
captures the microphone raw, as it does unless told otherwise: Chromium's echo canceller would
remove its own tabs' sound from a processed microphone (``?mic=processed``; measured: that
loopback at 0 dB left -96 dB where the seller is silent, against -34 dB raw), so a processed
one never carries this echo.

With the echo the overlay warns (its text in English and German); without it, the same call
through the same route (the tab and the seller's file drift 130-200 ms apart: the seller
channel's copies of the customer, where both speak at once, are no echo) never does.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.live_server import ServerProcess
from tests.overlay.browser import axe_violations, call_site, dump, launch, texts
from tests.overlay.conftest import ROOT, pactl, pulse_server, require

DOCS = ROOT / "docs"
UPDATE = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"
ECHO_DB = -18.0
LOOPBACK_MS = 40  # the loopback's own latency; the speakers' and microphone's buffers add to it
WATCH_S = 40.0


@pytest.fixture
def room(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The computer's sound: ``speakers`` (default sink) and ``room`` (the microphone)."""
    with pulse_server(tmp_path) as env:
        for name in ("speakers", "room"):
            pactl(env, "load-module", "module-null-sink", f"sink_name={name}")
        # Chromium lists no monitor as a microphone.
        pactl(
            env,
            "load-module",
            "module-remap-source",
            "master=room.monitor",
            "source_name=microphone",
        )
        pactl(env, "set-default-sink", "speakers")
        pactl(env, "set-default-source", "microphone")
        yield env


def _echo(env: dict[str, str]) -> None:
    """The speakers heard in the room, ``ECHO_DB`` down."""
    pactl(
        env,
        "load-module",
        "module-loopback",
        "source=speakers.monitor",
        "sink=room",
        f"latency_msec={LOOPBACK_MS}",
    )
    inputs = [line.split() for line in pactl(env, "list", "short", "sink-inputs").splitlines()]
    loopback = [fields[0] for fields in inputs if fields[3] == "module-loopback.c"]
    assert len(loopback) == 1, inputs
    pactl(env, "set-sink-input-volume", loopback[0], f"{ECHO_DB}dB")


def _call(
    server: ServerProcess, env: dict[str, str], tab_call: dict[str, Path], folder: Path
) -> dict[str, Any]:
    """One call through the shared tab; what the page and the server said about echo."""
    from playwright.sync_api import sync_playwright

    seen: dict[str, Any] = {"visible_at_s": None}
    paplay = require("paplay")
    with sync_playwright() as playwright, call_site(folder, tab_call["customer"]) as call_url:
        browser = launch(playwright, None, env)
        context = browser.new_context(
            viewport={"width": 400, "height": 360}, locale="en-US", permissions=["microphone"]
        )
        call = context.new_page()
        call.goto(call_url)
        page = context.new_page()
        page.goto(f"{server.http}/?lang=en&language=en&transcribe=0&title=echo")
        page.click("#start")
        page.wait_for_selector("#check:not([hidden])", timeout=15_000)
        call.evaluate("document.getElementById('call').play()")
        seller = subprocess.Popen([paplay, "--device=room", str(tab_call["seller"])], env=env)
        try:
            for role in ("seller", "customer"):
                page.wait_for_selector(f".source[data-role={role}][data-state=ok]", timeout=20_000)
            page.click("#begin")
            page.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Live'", timeout=30_000
            )
            for step in range(round(WATCH_S / 0.5)):
                page.wait_for_timeout(500)
                if page.locator("#warn-echo").is_visible():
                    seen["visible_at_s"] = step * 0.5
                    break
            if seen["visible_at_s"] is not None:
                strings = page.evaluate("async () => (await import('/i18n.js')).STRINGS")
                seen["strings"] = {lang: strings[lang]["warn.echo"] for lang in ("en", "de")}
                seen["text"] = {"en": texts(page, "#warn-echo")[0]}
                violations = axe_violations(page)
                assert not violations, f"axe with the echo warning: {dump(violations)}"
                page.screenshot(path=str((DOCS if UPDATE else folder) / "overlay-echo.png"))
                page.select_option("#lang", "de")
                seen["text"]["de"] = texts(page, "#warn-echo")[0]
            page.click("#stop")
            page.wait_for_function(
                "() => ['Call ended', 'Gespräch beendet'].includes("
                "document.getElementById('status').textContent)",
                timeout=120_000,
            )
            report = str(page.get_attribute("#report", "href"))
        finally:
            seller.kill()
            seller.wait()
            browser.close()
    session_id = report.split("/v1/sessions/")[1].split("/")[0]
    with connect(f"{server.ws}/v1/sessions/{session_id}/events?after=0") as socket:
        events = [json.loads(message) for message in socket]
    seen["warnings"] = [event for event in events if event["type"] == "warning"]
    return seen


def test_the_overlay_warns_of_echo(
    overlay_server: ServerProcess,
    room: dict[str, str],
    tab_call: dict[str, Path],
    tmp_path: Path,
) -> None:
    _echo(room)
    seen = _call(overlay_server, room, tab_call, tmp_path / "site")
    warnings = seen["warnings"]
    print(f"warned {seen['visible_at_s']} s into the call: {warnings}")
    assert seen["visible_at_s"] is not None, f"no echo warning on the page; server: {warnings}"
    assert seen["text"] == seen["strings"], seen["text"]
    # Once: the echo lasts the whole call, so the warning is never withdrawn and repeated.
    assert len(warnings) == 1 and warnings[0]["kind"] == "echo" and warnings[0]["active"]
    # How late the microphone hears the speakers: about the loopback's latency plus the buffers
    # of the speakers and the microphone (PulseAudio keeps its latency only roughly: 35 ms was
    # measured for 40), within what the echo gate searches.
    assert LOOPBACK_MS / 2 <= warnings[0]["delay_ms"] <= 250, warnings
    schema = httpx.get(f"{overlay_server.http}/v1/live/schema").json()["server_events"]
    assert set(warnings[0]) <= set(schema["warning"]["properties"]), warnings


def test_no_echo_warning_with_a_headset(
    overlay_server: ServerProcess,
    room: dict[str, str],
    tab_call: dict[str, Path],
    tmp_path: Path,
) -> None:
    seen = _call(overlay_server, room, tab_call, tmp_path / "site")
    assert seen["visible_at_s"] is None and not seen["warnings"], seen["warnings"]
