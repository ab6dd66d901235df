"""``praesent capture`` with a virtual loopback: PulseAudio with two null sinks.

``call`` is the default sink: ``paplay`` plays the customer channel of the demo call (a real
recording) into it, and SoundCard records its monitor as the loopback of the default speaker, as on
a computer playing a call. ``mic`` is a second null sink whose monitor is the default source: the
seller channel played into it reaches sounddevice as the default microphone (ALSA's pulse plugin).
The server must receive speech on both channels. It is killed (SIGKILL) once it has heard both
channels speak and 11 s of the call, and started again once the client has noticed: the client
reconnects and the call goes on in the same session, so its analysis covers both channels'
speech minus the gap.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.live_server import ServerProcess, free_port
from tests.overlay.conftest import pactl, pulse_server, require
from tests.support import wait_until


@pytest.fixture
def pulse(tmp_path: Path) -> Iterator[dict[str, str]]:
    with pulse_server(tmp_path) as env:
        for name in ("call", "mic"):
            pactl(
                env,
                "load-module",
                "module-null-sink",
                f"sink_name={name}",
                f"sink_properties=device.description={name}",
            )
        pactl(env, "set-default-sink", "call")
        pactl(env, "set-default-source", "mic.monitor")
        yield env


def test_capture_streams_microphone_and_loopback_across_a_restart(
    pulse: dict[str, str], demo_channels: dict[str, Path], tmp_path: Path
) -> None:
    paplay = require("paplay")
    (tmp_path / "data").mkdir()
    server = ServerProcess(tmp_path / "data", port=free_port()).start()
    try:
        _capture_across_a_restart(pulse, server, demo_channels, paplay, tmp_path / "capture.err")
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()


def _heard(server: ServerProcess, session_id: str, until_s: float, timeout_s: float) -> None:
    """Wait until the server's log of the call shows both channels speaking and an event at
    ``until_s`` or later (a balance comes every second of audio)."""
    url = f"{server.ws}/v1/sessions/{session_id}/events?after=0"
    speaking: set[str] = set()
    latest = 0.0
    deadline = time.monotonic() + timeout_s
    with connect(url) as socket:
        while not (speaking >= {"seller", "customer"} and latest >= until_s):
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(
                    f"after {timeout_s:g} s the server had heard {sorted(speaking)} speak and "
                    f"{latest:.1f} s of the call, not both channels and {until_s} s"
                )
            try:
                event = json.loads(socket.recv(timeout=left))
            except TimeoutError:
                continue
            if event["type"] == "activity" and event["speaking"]:
                speaking.add(event["role"])
            latest = max(latest, float(event.get("at_s") or 0.0))


def _capture_across_a_restart(
    pulse: dict[str, str],
    server: ServerProcess,
    demo_channels: dict[str, Path],
    paplay: str,
    err_path: Path,
) -> None:
    err_file = err_path.open("w")
    capture = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "praesent.capture",
            "--url",
            server.ws,
            "--language",
            "en",
            "--duration",
            "34",
            "--title",
            "capture test",
        ],
        env=pulse,
        stdout=subprocess.PIPE,
        stderr=err_file,
        text=True,
    )
    err_file.close()  # the child has its own copy
    assert capture.stdout is not None
    ready = json.loads(capture.stdout.readline())
    assert ready["type"] == "ready", ready
    players = [
        subprocess.Popen([paplay, f"--device={sink}", str(demo_channels[role])], env=pulse)
        for sink, role in (("call", "customer"), ("mic", "seller"))
    ]
    _heard(server, ready["session_id"], until_s=11.0, timeout_s=60)
    server.stop(signal.SIGKILL)
    wait_until(
        lambda: "reconnecting" in err_path.read_text(), 30, "the client to notice the server gone"
    )
    server.start()
    for player in players:
        assert player.wait(timeout=60) == 0
    out, _ = capture.communicate(timeout=600)
    err = err_path.read_text()
    assert capture.returncode == 0, err
    final = json.loads(out.strip().splitlines()[-1])
    assert final["type"] == "final", out
    assert "reconnecting" in err, err
    with connect(f"{server.ws}/v1/sessions/{final['session_id']}/events?after=0") as socket:
        events = [json.loads(message) for message in socket]
    seqs = [event["seq"] for event in events]
    assert seqs == list(range(1, len(seqs) + 1)), "a seq twice or missing"
    assert final["session_id"] == ready["session_id"]
    gaps = [event for event in events if event["type"] == "gap"]
    assert len(gaps) == 1, gaps
    print(f"gap {gaps[0]['from_s']:.2f}-{gaps[0]['to_s']:.2f} s")
    session = httpx.get(f"{server.http}/v1/sessions/{final['session_id']}", timeout=30).json()
    talk = {role: session["roles"][role]["talk_s"] for role in ("seller", "customer")}
    # Reference speech in the demo: seller ~11.9 s, customer ~12.5 s (RTTM); VAD is looser.
    assert talk["customer"] > 8, (talk, err)
    assert talk["seller"] > 6, (talk, err)


def test_list_devices_names_the_microphones_and_the_call_sources(
    pulse: dict[str, str],
) -> None:
    """``praesent capture --list-devices`` on the two null sinks: sounddevice's inputs, and each
    sink's monitor as a loopback source for --call."""
    listed = subprocess.run(
        [sys.executable, "-m", "praesent.capture", "--list-devices"],
        env=pulse,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0 and listed.stderr == "", listed.stderr
    lines = listed.stdout.splitlines()
    calls = lines.index("call audio (--call, SoundCard loopback / monitor sources):")
    assert lines[0] == "microphones (--mic, sounddevice):"
    microphones = {line.split(": ", 1)[1] for line in lines[1:calls]}
    assert "pulse" in microphones, lines
    assert set(lines[calls + 1 :]) == {
        "  Monitor of call [loopback]",
        "  Monitor of mic [loopback]",
    }, lines


def test_capture_says_echo_and_when_a_device_is_lost_and_back(
    pulse: dict[str, str], tab_call: dict[str, Path], tmp_path: Path
) -> None:
    """The microphone hears the call's sound (a loopback of the speakers into it, -15 dB,
    60 ms): the client tells the seller to use a headset. Then both devices vanish mid-call
    (their null sinks unloaded) and come back: the client says so in one line each and goes on
    sending; the call still ends as the server confirms."""
    paplay = require("paplay")
    (tmp_path / "data").mkdir()
    server = ServerProcess(tmp_path / "data", port=free_port()).start()
    err_path = tmp_path / "capture.err"
    options = ("--no-transcribe", "--duration", "20")
    try:
        with err_path.open("w") as err_file:
            capture = subprocess.Popen(
                [sys.executable, "-m", "praesent.capture", "--url", server.ws, *options],
                env=pulse,
                stdout=subprocess.PIPE,
                stderr=err_file,
                text=True,
            )
        assert capture.stdout is not None
        assert json.loads(capture.stdout.readline())["type"] == "ready"
        room = pactl(
            pulse,
            "load-module",
            "module-loopback",
            "source=call.monitor",
            "sink=mic",
            "latency_msec=60",
        )
        inputs = [
            line.split() for line in pactl(pulse, "list", "short", "sink-inputs").splitlines()
        ]
        loopback = next(fields[0] for fields in inputs if fields[3] == "module-loopback.c")
        pactl(pulse, "set-sink-input-volume", loopback, "-15dB")
        player = subprocess.Popen([paplay, "--device=call", str(tab_call["customer"])], env=pulse)
        try:
            echo = "your microphone hears the call (echo): use a headset"
            wait_until(lambda: echo in err_path.read_text(), 30, "the echo message")
        finally:
            player.kill()
            player.wait(timeout=10)
        pactl(pulse, "unload-module", room)
        modules = pactl(pulse, "list", "short", "modules").splitlines()
        for line in modules:
            if "module-null-sink" in line:
                pactl(pulse, "unload-module", line.split()[0])
        wait_until(
            lambda: "microphone: lost" in err_path.read_text(), 30, "the microphone reported lost"
        )
        for name in ("call", "mic"):
            pactl(pulse, "load-module", "module-null-sink", f"sink_name={name}")
        pactl(pulse, "set-default-sink", "call")
        pactl(pulse, "set-default-source", "mic.monitor")
        said = ("microphone: back", "call audio: lost", "call audio: back")
        wait_until(lambda: all(line in err_path.read_text() for line in said), 30, f"{said} said")
        out, _ = capture.communicate(timeout=120)
        err = err_path.read_text()
        assert capture.returncode == 0, err
        assert json.loads(out.strip().splitlines()[-1])["type"] == "final", out
        assert "Traceback" not in err, err
    finally:
        server.stop()
