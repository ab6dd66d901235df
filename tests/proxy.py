"""Caddy in front of `praesent serve` replicas on 127.0.0.1, with the deploy Caddyfile's proxy
settings (websockets held open, health checks on /readyz, retries on another replica)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port
from tests.support import ROOT


def caddyfile(port: int, upstreams: Sequence[int], lb_policy: str | None = None) -> str:
    """deploy/Caddyfile for a proxy on ``port`` in front of ``upstreams`` (ports), without TLS;
    ``lb_policy`` replaces the file's own choice of replica."""
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    text = text.replace("{$PRAESENT_DOMAIN:localhost}", f"http://127.0.0.1:{port}")
    text = text.replace(
        "serve-1:8000 serve-2:8000", " ".join(f"127.0.0.1:{upstream}" for upstream in upstreams)
    )
    if lb_policy is not None:
        text, n = re.subn(r"lb_policy \w+", f"lb_policy {lb_policy}", text)
        assert n == 1, "the deploy Caddyfile names its lb_policy"
    return "{\n\tadmin off\n\tauto_https off\n}\n" + text


@contextmanager
def caddy(folder: Path, upstreams: Sequence[int], lb_policy: str | None = None) -> Iterator[int]:
    """A running Caddy; yields its port. The replicas may start after it."""
    program = shutil.which("caddy")
    if program is None:
        pytest.fail("caddy is missing: run scripts/install-system-deps.sh (Debian's caddy)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = folder / "Caddyfile"
    config.write_text(caddyfile(port, upstreams, lb_policy))
    home = {name: str(folder) for name in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")}
    with (folder / "caddy.log").open("wb") as log:
        proxy = subprocess.Popen(
            [program, "run", "--adapter", "caddyfile", "--config", str(config)],
            env={**os.environ, **home},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            yield port
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)


def wait_for(url: str, within_s: float = 30.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")
