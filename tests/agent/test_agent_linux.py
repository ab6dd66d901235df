"""``praesent agent`` on a real PulseAudio with two null sinks, as ``praesent capture``'s tests.

``call`` is the speakers: a call app named ``zoom`` (``pacat`` with ``application.name=zoom``)
plays the customer's side of a real phone call there. ``mic`` is a null sink whose monitor is the
default source, the microphone: the seller's side is played into it, and the ``zoom`` app records
it (``parec`` with the same name). The agent must

- start nothing for an app it does not know that records and plays, nor for ``zoom`` recording
  for 1 s (a voice message);
- prompt once ``zoom`` has held the microphone for 3 s while playing; nothing is captured until
  the test answers the prompt through the endpoint the prompt page posts to; then start a session
  within 3 s;
- capture both sides: the session's talk times are within 1 s of ``praesent analyze`` of the
  same clip, while another app plays other speech on the same speakers (only Zoom's own
  playback stream is the customer);
- finalise the session within 3 s of ``zoom`` closing its recording stream;
- name each call after the event of the seller's calendar (an ICS file) that runs meanwhile, in
  its ``call_started`` line and as the session's title.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import httpx
import numpy as np
import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import load_engines
from praesent.settings import Settings
from tests.calendar.test_sources import SELLER, acme_ics
from tests.live_server import ServerProcess, free_port
from tests.overlay.conftest import pactl, pulse_server, require
from tests.support import Figure, read_wav, wait_until

CLIP_S = (6.0, 22.0)  # both speak in these 16 s of the phone call
RATE = 16_000
CHUNK = RATE // 10  # 100 ms of s16le mono
# The bound for the start after the answer and the end after the close: a figure in the run's
# summary, not a timed assertion (a busy machine is slower, not wrong); `Lines.next` waits 30 s.
SLACK_S = 3.0


class Lines:
    """The agent's JSON lines, each with the monotonic time it was read."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self._queue: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put((time.monotonic(), json.loads(line)))

    def next(self, kind: str, timeout_s: float = 30) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while True:
            at, event = self._take(deadline, kind)
            if event["type"] == kind:
                return at, event

    def each(self, kinds: set[str], timeout_s: float = 30) -> None:
        """Every one of ``kinds``, in any order (they come from different threads)."""
        deadline = time.monotonic() + timeout_s
        waiting = set(kinds)
        while waiting:
            waiting.discard(self._take(deadline, " and ".join(sorted(waiting)))[1]["type"])

    def _take(self, deadline: float, wanted: str) -> tuple[float, dict[str, Any]]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {wanted!r} from the agent; it said {self.seen}")
            try:
                at, event = self._queue.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append((at, event))
            return at, event


@pytest.fixture(scope="module")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with pulse_server(tmp_path_factory.mktemp("agent-pulse")) as env:
        for name in ("call", "mic"):
            pactl(env, "load-module", "module-null-sink", f"sink_name={name}")
        pactl(env, "set-default-sink", "call")
        pactl(env, "set-default-source", "mic.monitor")
        yield env


@pytest.fixture(scope="module")
def clip(phonecall_stereo: Path) -> np.ndarray:
    stereo = read_wav(phonecall_stereo)
    return np.ascontiguousarray(stereo[int(CLIP_S[0] * RATE) : int(CLIP_S[1] * RATE)])


def _player(pulse: dict[str, str], app: str, sink: str) -> subprocess.Popen[bytes]:
    """A playback stream fed from the test: silence until the test writes the call into it."""
    return subprocess.Popen(
        [
            require("pacat"),
            "--playback",
            "--raw",
            "--format=s16le",
            f"--rate={RATE}",
            "--channels=1",
            f"--device={sink}",
            "--latency-msec=100",
            f"--property=application.name={app}",
        ],
        env=pulse,
        stdin=subprocess.PIPE,
    )


def _recorder(pulse: dict[str, str], app: str) -> subprocess.Popen[bytes]:
    """A recording stream of the microphone, under ``app``'s name."""
    return subprocess.Popen(
        [require("parec"), "--raw", f"--property=application.name={app}"],
        env=pulse,
        stdout=subprocess.DEVNULL,
    )


class Feed:
    """Writes silence into a player until ``play`` hands it samples, like a call app."""

    def __init__(self, player: subprocess.Popen[bytes]) -> None:
        self.player = player
        self._samples: queue.Queue[np.ndarray] = queue.Queue()
        self.done = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def play(self, samples: np.ndarray) -> None:
        self._samples.put(samples)

    def _run(self) -> None:
        try:
            self._feed()
        except (BrokenPipeError, ValueError):
            pass  # the test stopped the player: the feed ends with it
        finally:
            self.done.set()

    def _feed(self) -> None:
        assert self.player.stdin is not None
        silence = np.zeros(CHUNK, "<i2").tobytes()
        while True:
            try:
                samples = self._samples.get_nowait()
            except queue.Empty:
                self.player.stdin.write(silence)  # blocks at the stream's pace
                continue
            self.player.stdin.write(samples.astype("<i2").tobytes())
            self.player.stdin.close()
            return


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)


def test_agent_coaches_a_call_app_and_ignores_others(
    pulse: dict[str, str], clip: np.ndarray, tmp_path: Path, figure: Figure
) -> None:
    (tmp_path / "data").mkdir()
    # An event running now, without a call link (a link would arm the detector, and the voice
    # message below must be seen unarmed) and without a series (the "never" remembered for one
    # app below would hold for every call of the series).
    event = acme_ics(datetime.now(UTC) - timedelta(minutes=5))
    calendar = tmp_path / "calendar.ics"
    calendar.write_text(
        "".join(
            line
            for line in event.splitlines(keepends=True)
            if "teams" not in line and not line.startswith("UID:")
        )
    )
    server = ServerProcess(tmp_path / "data", port=free_port()).start()
    agent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "praesent.agent",
            "--url",
            server.ws,
            "--no-window",
            "--no-transcribe",
            "--language",
            "en",
            "--state",
            str(tmp_path / "state"),
        ],
        env={**pulse, "PRAESENT_CALENDAR_URL": str(calendar), "PRAESENT_CALENDAR_EMAIL": SELLER},
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "agent.err").open("w"),
        text=True,
    )
    assert agent.stdout is not None
    lines = Lines(agent.stdout)
    try:
        lines.next("watching")
        _unknown_app_and_voice_message(pulse)
        _declined_and_remembered(pulse, lines)
        _ended_before_the_answer(pulse, lines)
        session = _a_call(pulse, clip, lines, figure)
        sessions = httpx.get(f"{server.http}/v1/sessions", timeout=30).json()
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        server.stop()
    started = [event["app"] for _, event in lines.seen if event["type"] == "call_started"]
    assert started == ["slack", "slack", "zoom", "zoom"], lines.seen
    titles = {event["title"] for _, event in lines.seen if event["type"] == "call_started"}
    assert titles == {"ACME — discovery"}, lines.seen
    assert session["session"]["title"] == "ACME — discovery", session["session"]
    # Only the call the seller said yes to became a session.
    assert [s["id"] for s in sessions] == [session["session"]["id"]], sessions
    reference = analyse_file(
        _wav(clip, tmp_path / "clip.wav"),
        AnalysisRequest(("seller", "customer"), language="en"),
        load_engines(Settings(), "tiny.en"),
    )
    talk = {
        role: (session["roles"][role]["talk_s"], reference["roles"][role]["talk_s"])
        for role in ("seller", "customer")
    }
    print(", ".join(f"{r}: agent {g:.2f} s, analyze {w:.2f} s" for r, (g, w) in talk.items()))
    for role, (got, want) in talk.items():
        assert abs(got - want) <= 1.0, (role, got, want)
    assert "Traceback" not in (tmp_path / "agent.err").read_text()


def _wav(samples: np.ndarray, path: Path) -> Path:
    from tests.support import write_wav

    return write_wav(path, samples)


def _unknown_app_and_voice_message(pulse: dict[str, str]) -> None:
    """An app not on the list records and plays for 4 s; zoom records for 1 s while playing."""
    player = _player(pulse, "voicerecorder", "call")
    recorder = _recorder(pulse, "voicerecorder")
    feed = Feed(player)
    feed.play(np.zeros(4 * RATE, np.int16))
    assert feed.done.wait(30)
    _stop(recorder, player)
    player = _player(pulse, "zoom", "call")
    feed = Feed(player)
    recorder = _recorder(pulse, "zoom")
    threading.Event().wait(1.0)  # the voice message's length: what is tested, not a wait for it
    _stop(recorder)
    feed.play(np.zeros(RATE, np.int16))
    assert feed.done.wait(30)
    _stop(player)


def _recording_streams(pulse: dict[str, str]) -> int:
    """How many streams record now (the call app's own, and the agent's once it captures)."""
    return len(pactl(pulse, "list", "short", "source-outputs").splitlines())


def _answer(prompt: dict[str, Any], coach: bool, informed: bool, remember: bool) -> int:
    """Answer as the prompt page's buttons do: its own endpoint, with its token."""
    base, token = prompt["url"].split("?token=")
    sent = httpx.post(
        f"{base}/answer",
        json={"coach": coach, "customer_informed": informed, "remember": remember},
        headers={"X-Praesent-Agent": token},
        timeout=10,
    )
    return sent.status_code


def _declined_and_remembered(pulse: dict[str, str], lines: Lines) -> None:
    """A Slack huddle: the seller declines and ticks "remember"; the next one is not asked."""
    feed = Feed(_player(pulse, "slack", "call"))
    recorder = _recorder(pulse, "slack")
    try:
        _, prompt = lines.next("prompt")
        assert prompt["app"] == "slack"
        assert _recording_streams(pulse) == 1  # Slack's own: the agent records nothing
        assert _answer(prompt, coach=False, informed=False, remember=True) == 204
        assert lines.next("answer")[1]["coach"] is False
        _stop(recorder)
        lines.next("call_ended")
        recorder = _recorder(pulse, "slack")
        assert lines.next("skipped")[1]["app"] == "slack"
        assert _recording_streams(pulse) == 1
    finally:
        _stop(recorder, feed.player)


def _ended_before_the_answer(pulse: dict[str, str], lines: Lines) -> None:
    """A call that ends while the prompt waits: the prompt is withdrawn, nothing was captured."""
    feed = Feed(_player(pulse, "zoom", "call"))
    recorder = _recorder(pulse, "zoom")
    try:
        _, prompt = lines.next("prompt")
        _stop(recorder)
        assert lines.next("call_ended")[1]["app"] == "zoom"
        assert httpx.get(prompt["url"], timeout=10).status_code == 410
        assert _answer(prompt, coach=True, informed=True, remember=False) == 410
    finally:
        _stop(recorder, feed.player)


def _a_call(
    pulse: dict[str, str], clip: np.ndarray, lines: Lines, figure: Figure
) -> dict[str, Any]:
    customer = Feed(_player(pulse, "zoom", "call"))
    seller = Feed(_player(pulse, "headset", "mic"))
    recorder = _recorder(pulse, "zoom")
    try:
        opened = time.monotonic()
        prompted_at, prompt = lines.next("prompt")
        assert prompt["app"] == "zoom"
        print(f"prompt {prompted_at - opened:.2f} s after the microphone opened")
        page = httpx.get(prompt["url"], timeout=10)
        assert page.status_code == 200 and "coach this call?" in page.text
        assert _recording_streams(pulse) == 1  # nothing is captured before the answer
        answered = time.monotonic()
        assert _answer(prompt, coach=True, informed=True, remember=False) == 204
        ready_at, ready = lines.next("ready")
        figure("agent: session live after the answer, s", ready_at - answered, f"<= {SLACK_S}")
        # Now the agent records too: the microphone and Zoom's playback stream.
        wait_until(lambda: _recording_streams(pulse) == 3, 10, "the agent's two streams")
        # Another app plays speech on the same speakers meanwhile (a video in a browser tab that
        # is not the call): only Zoom's own stream is the customer, so it must not count.
        other = Feed(_player(pulse, "totem", "call"))
        customer.play(clip[:, 1].copy())
        seller.play(clip[:, 0].copy())
        other.play(clip[:, 0].copy())
        # pacat plays what it was given to the end, then exits.
        assert customer.player.wait(timeout=60) == 0 and seller.player.wait(timeout=60) == 0
        assert other.player.wait(timeout=60) == 0
        closed = time.monotonic()
        _stop(recorder)
        final_at, final = lines.next("final")
        figure(
            "agent: finalised after the microphone closed, s", final_at - closed, f"<= {SLACK_S}"
        )
        assert final["session_id"] == ready["session_id"]
    finally:
        _stop(recorder, customer.player, seller.player)
    server_http = ready["overlay"].split("/?session=")[0]
    session: dict[str, Any] = httpx.get(
        f"{server_http}/v1/sessions/{ready['session_id']}", timeout=30
    ).json()
    assert session["session"]["customer_informed"] is True, session["session"]
    return session
