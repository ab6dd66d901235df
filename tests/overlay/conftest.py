from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from praesent.settings import Settings
from tests.live_server import free_port
from tests.support import read_wav, write_wav

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "client" / "demo" / "phonecall-2ch.wav"
CHROMIUM = "/usr/bin/chromium"


class OverlayServer:
    """A real praesent server with the overlay, in its own process."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.log = data_dir / "server.log"
        env = {
            **os.environ,
            "PRAESENT_DATA_DIR": str(data_dir),
            "PRAESENT_MODELS_DIR": str(Settings().model_root),
        }
        env.pop("PRAESENT_API_TOKEN", None)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, str(Path(__file__).with_name("serve_overlay.py")), str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


@pytest.fixture(scope="session")
def overlay_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OverlayServer]:
    server = OverlayServer(tmp_path_factory.mktemp("overlay-server"))
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
