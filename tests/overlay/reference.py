"""The reference for a browser call: the audio the overlay streamed, analysed by ``praesent
analyze``. The microphone file starts when the page opens the microphone and the call tab's audio
when it starts playing; the session's audio starts with the first frame the page sends. Those
three moments place each channel's stretch of the call file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import SAMPLE_RATE, read_wav, write_wav


def streamed_audio(
    call: Path,
    timing: dict[str, float],
    duration_s: float,
    target: Path,
    silent: tuple[float, float] | None = None,
) -> Path:
    """The two channels as the session heard them; ``silent`` (from_s, to_s) is zeroed (a gap)."""
    stereo = read_wav(call)
    length = round(duration_s * SAMPLE_RATE)
    out = np.zeros((length, 2), dtype=np.int16)
    starts = {
        0: (timing["firstFrame"] - timing["mic"]) / 1000,
        1: (timing["firstFrame"] - timing["played"]) / 1000,
    }
    for channel, offset_s in starts.items():
        begin = max(0, round(offset_s * SAMPLE_RATE))
        piece = stereo[begin : begin + length, channel]
        out[: piece.shape[0], channel] = piece
    if silent is not None:
        out[round(silent[0] * SAMPLE_RATE) : round(silent[1] * SAMPLE_RATE)] = 0
    return write_wav(target, out)


def analyze(path: Path, language: str = "en") -> dict[str, Any]:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "praesent", "analyze", str(path)),
            *("--channels", "seller,customer", "--language", language),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result
