"""The `praesent` process keeps the memory it frees, so Whisper's per-step buffers cost no page
faults (praesent/launch.py)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

# In a fresh interpreter: the allocator set up as `praesent` does (or not), then, on a thread as
# CTranslate2's, three 2 MB buffers taken, written and freed 20 times, as at each decoding step.
_PROBE = """
import json, resource, sys, threading
from praesent.launch import keep_freed_memory
tuned = keep_freed_memory() if sys.argv[1] == "tuned" else False
import numpy
faults = []
def steps():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        buffers = [numpy.ones(2 << 20, dtype=numpy.uint8) for _ in range(3)]
        del buffers
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
thread = threading.Thread(target=steps)
thread.start()
thread.join()
print(json.dumps({"tuned": tuned, "faults": faults[0]}))
"""
STEP_PAGES = 3 * (2 << 20) // 4096


def _probe(mode: str, **env: str) -> dict[str, int | bool]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=True,
    )
    result: dict[str, int | bool] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_freed_buffers_are_reused_without_page_faults() -> None:
    plain = _probe("plain")
    tuned = _probe("tuned")
    assert tuned["tuned"] is True
    # Untuned, every buffer is mapped afresh: a fault per page, each time.
    assert plain["faults"] >= 15 * STEP_PAGES, plain
    # Tuned, the pages are touched once and then reused.
    assert tuned["faults"] <= 2 * STEP_PAGES, tuned


def test_the_users_own_allocator_settings_win() -> None:
    chosen = _probe("tuned", MALLOC_ARENA_MAX="4")
    assert chosen["tuned"] is False
    assert chosen["faults"] >= 15 * STEP_PAGES, chosen


def test_the_command_and_python_m_start_through_the_launcher() -> None:
    """A wiring guard: both ways of starting praesent go through ``praesent.launch``."""
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "praesent"]
    assert script.value == "praesent.launch:main"
    spec = importlib.util.find_spec("praesent.__main__")
    assert spec is not None and spec.origin is not None
    assert "from praesent.launch import main" in Path(spec.origin).read_text()
