from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from tests.live_server import ServerProcess
from tests.support import read_wav, write_wav

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "client" / "demo" / "phonecall-2ch.wav"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def overlay_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real praesent server (it serves the overlay at /), in its own process."""
    server = ServerProcess(tmp_path_factory.mktemp("overlay-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo_channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo call split into its channels: seller (left) and customer (right), mono WAVs."""
    stereo = read_wav(DEMO)
    folder = tmp_path_factory.mktemp("demo-channels")
    return {
        role: write_wav(folder / f"{role}.wav", np.ascontiguousarray(stereo[:, [index]]))
        for index, role in enumerate(("seller", "customer"))
    }


def require(program: str) -> str:
    """Fail (never skip) when a system program the test needs is missing."""
    found = shutil.which(program) or (program if Path(program).exists() else None)
    if found is None:
        pytest.fail(f"{program} is missing: run scripts/install-system-deps.sh (make test runs it)")
    return found


@pytest.fixture(scope="session")
def tab_call(phonecall_stereo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 72 s two-channel call for the tab-capture tests: the phone call (seller left, customer
    right) without its silent first 6 s, three times over. ``seller`` is the microphone's file,
    ``customer`` what the call tab plays, ``call`` both (the reference for ``praesent analyze``)."""
    stereo = read_wav(phonecall_stereo)[6 * 16_000 :]
    call = np.concatenate([stereo] * 3)
    folder = tmp_path_factory.mktemp("tab-call")
    return {
        "call": write_wav(folder / "call.wav", call),
        "seller": write_wav(folder / "seller.wav", np.ascontiguousarray(call[:, [0]])),
        "customer": write_wav(folder / "customer.wav", np.ascontiguousarray(call[:, [1]])),
    }


@contextmanager
def pulse_server(folder: Path) -> Iterator[dict[str, str]]:
    """A PulseAudio server of its own (no devices yet); yields the environment naming it."""
    daemon = require("pulseaudio")
    require("pactl")
    runtime = folder / "pulse-runtime"
    runtime.mkdir()
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(folder)}
    env.pop("PULSE_SERVER", None)
    log = folder / "pulse.log"
    process = subprocess.Popen(
        [
            daemon,
            "--daemonize=no",
            "--system=false",
            "--exit-idle-time=-1",
            "-n",
            "--load=module-native-protocol-unix",
            "--log-target=stderr",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + 20
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail(f"pulseaudio did not start: {log.read_text()[-800:]}")
        time.sleep(0.2)
    try:
        yield env
    finally:
        process.terminate()
        process.wait(timeout=10)


def pactl(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["pactl", *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()
