"""The overlay's pop-out window where Document Picture-in-Picture is missing follows the call;
and the overlay survives a killed server: it keeps capturing, shows that it is reconnecting,
comes back on its own when the server returns, and the call goes on in the same session (no seq
twice, no cue twice), whose analysis covers the call minus the gap.
Talk balance only (``transcribe=0``) keeps the call cheap; the resume path is the same."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.live_server import ServerProcess, free_port
from tests.overlay.browser import TIMING_SCRIPT, call_site, launch
from tests.overlay.reference import analyze, streamed_audio

KILL_AFTER_S = 10.0
AFTER_RETURN_S = 10.0
# The issue asks for the page back within 5 s of the server's return. That is not timed here (a
# loaded machine stretches any wall-clock figure); it follows from two things the test asserts:
# the page's retry schedule never waits longer than this between two tries, and the first try
# after the server is back is the one that goes live. The measured time is printed.
RETRY_LIMIT_MS = 2400
# Talk time per role against praesent analyze on the same audio with the gap silenced: the
# continued session's voice activity starts afresh at the cut, and the reference lines the
# channels up by the page's clock. Measured within 1.0 s (five runs, raw microphone); with the
# browser's audio processing the seller came out 1.9-4.0 s short.
TALK_TOLERANCE_S = 1.5


# The test's own record of every socket the page opened: when, and when it opened, was told
# "ready" or closed (Date.now(), the same clock as the test's time.time()).
_RECORD_SOCKETS = """
window.__sockets = [];
window.WebSocket = class extends window.WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    const entry = { url: String(url), at: Date.now(), opened: null, ready: null, closed: null };
    window.__sockets.push(entry);
    this.addEventListener("open", () => { entry.opened = Date.now(); });
    this.addEventListener("close", () => { entry.closed = Date.now(); });
    this.addEventListener("message", (m) => {
      if (entry.ready === null && typeof m.data === "string" && m.data.includes('"ready"')) {
        entry.ready = Date.now();
      }
    });
  }
};
"""


def _status(page: Any) -> str:
    return str(page.locator("#status").inner_text()).strip()


def _log(server: ServerProcess, session_id: str) -> list[dict[str, Any]]:
    with connect(f"{server.ws}/v1/sessions/{session_id}/events?after=0") as socket:
        return [json.loads(message) for message in socket]


def test_the_page_resumes_after_the_server_was_killed(
    tab_call: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    server = ServerProcess(tmp_path / "data", port=free_port())
    server.data_dir.mkdir()
    server.start()
    try:
        with (
            sync_playwright() as playwright,
            call_site(tmp_path / "site", tab_call["customer"]) as call_url,
        ):
            browser = launch(playwright, tab_call["seller"])
            context = browser.new_context(locale="en-US", permissions=["microphone"])
            call = context.new_page()
            call.goto(call_url)
            page = context.new_page()
            page.add_init_script(TIMING_SCRIPT)
            page.add_init_script(_RECORD_SOCKETS)
            # A browser without Document Picture-in-Picture: the pop-out is a small window.
            page.add_init_script("delete window.documentPictureInPicture;")
            page.goto(f"{server.http}/?lang=en&language=en&transcribe=0&title=restart")
            page.click("#start")
            page.wait_for_selector("#check:not([hidden])", timeout=15_000)
            call.evaluate("document.getElementById('call').play()")
            page.wait_for_selector(".source[data-role=customer][data-state=ok]", timeout=20_000)
            page.click("#begin")
            page.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Live'", timeout=30_000
            )
            with context.expect_page() as opened:
                page.click("#popout")
            window = opened.value
            window.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Live'", timeout=30_000
            )
            shares = set()
            for _ in range(12):
                shares.add(str(window.locator("#share-call").inner_text()).strip())
                window.wait_for_timeout(500)
            assert len(shares - {"\N{EN DASH}"}) >= 2, f"the pop-out window's balance: {shares}"
            assert "lang=en" in window.url and "session=" in window.url, window.url
            first_window_url = window.url
            page.wait_for_timeout(max(0.0, KILL_AFTER_S - 6) * 1000)
            schedule = page.evaluate(
                "async () => { const { retryDelayMs } = await import('/retry.js');"
                " return [...Array(12).keys()].map((n) => retryDelayMs(n, 1.2)); }"
            )
            killed_ms = time.time() * 1000
            server.stop(signal.SIGKILL)
            page.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Reconnecting…'",
                timeout=10_000,
            )
            page.wait_for_timeout(2000)  # down for a while: the page keeps trying
            server.start()
            back_ms = time.time() * 1000
            page.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Live'", timeout=60_000
            )
            page.wait_for_timeout(AFTER_RETURN_S * 1000)
            # The pop-out window follows the call on the restarted server.
            window.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Live'", timeout=30_000
            )
            window_url = window.url
            gap_text = str(page.locator("#warn-gap").text_content())
            page.click("#stop")
            page.wait_for_function(
                "() => document.getElementById('status')?.textContent === 'Call ended'",
                timeout=120_000,
            )
            report = str(page.get_attribute("#report", "href"))
            sockets = [
                entry
                for entry in page.evaluate("window.__sockets")
                if "/v1/live" in entry["url"] and entry["at"] >= killed_ms
            ]
            timing = {
                **page.evaluate("window.__timing"),
                "played": call.evaluate("window.__played"),
            }
            browser.close()

        # The page kept trying while the server was down, never waiting longer than the
        # schedule's cap; the first try after the server's return went live.
        assert max(schedule) <= RETRY_LIMIT_MS, schedule
        failed = [entry for entry in sockets if entry["ready"] is None]
        went_live = [entry for entry in sockets if entry["ready"] is not None]
        assert len(failed) >= 2 and all(entry["at"] < back_ms for entry in failed), sockets
        assert len(went_live) == 1 and went_live[0] == sockets[-1], sockets
        reconnect_s = (went_live[0]["ready"] - back_ms) / 1000
        print(
            f"reconnected {reconnect_s:.2f} s after the server answered again (the first try "
            f"after it, {(went_live[0]['at'] - back_ms) / 1000:.2f} s after); {len(failed)} "
            f"tries while it was down; the schedule's waits {[round(ms) for ms in schedule]} ms"
        )
        session_id = report.split("/v1/sessions/")[1].split("/")[0]
        assert f"session={session_id}" in first_window_url, (first_window_url, session_id)
        assert f"session={session_id}" in window_url, (window_url, session_id)
        sessions = httpx.get(f"{server.http}/v1/sessions").json()
        assert [(s["id"], s["status"]) for s in sessions] == [(session_id, "finished")], sessions

        events = _log(server, session_id)
        seqs = [event["seq"] for event in events]
        assert seqs == sorted(set(seqs)), "a seq twice or out of order"
        assert seqs == list(range(1, len(seqs) + 1))
        cue_ids = [event["cue_id"] for event in events if event["type"] == "cue"]
        assert len(cue_ids) == len(set(cue_ids)), cue_ids
        gaps = [event for event in events if event["type"] == "gap"]
        assert len(gaps) == 1 and "resumed_from" not in gaps[0], gaps
        gap = (gaps[0]["from_s"], gaps[0]["to_s"])
        assert gap[0] >= KILL_AFTER_S - 1.5, gap
        if gaps[0]["gap_s"] >= 0.5:
            assert gap_text.startswith(f"{round(gaps[0]['gap_s'])} s not heard"), gap_text

        analysis = httpx.get(f"{server.http}/v1/sessions/{session_id}").json()
        assert analysis["gaps"] == [{"from_s": gap[0], "to_s": gap[1]}]
        # The report the page links to is that analysis: its talk times, the gap marked.
        summary = httpx.get(f"{report}&format=json", timeout=60).json()
        for role in ("seller", "customer"):
            assert abs(summary["talk"][f"{role}_s"] - analysis["roles"][role]["talk_s"]) <= 0.051
        unheard = [(u["start_s"], u["end_s"]) for u in summary["unheard"]]
        assert unheard == ([(round(gap[0]), round(gap[1]))] if gap[1] - gap[0] >= 0.5 else [])
        played = streamed_audio(
            tab_call["call"], timing, analysis["duration_s"], tmp_path / "ref.wav", silent=gap
        )
        reference = analyze(played)
        for role in ("seller", "customer"):
            live, ref = analysis["roles"][role]["talk_s"], reference["roles"][role]["talk_s"]
            print(f"{role}: live {live:.2f} s, praesent analyze {ref:.2f} s")
            assert abs(live - ref) <= TALK_TOLERANCE_S, (
                f"{role} talk {live:.2f} s vs {ref:.2f} s over {analysis['duration_s']:.1f} s "
                f"minus the gap {gap} (tolerance {TALK_TOLERANCE_S} s)"
            )
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()
