"""Hand-labelled interruptions and backchannels (``tests/fixtures/events``, made as
``LABELLING.md`` there says) and the calls they label, built from the shared recordings.

Nothing here uses praesent's code to find an event: a fixture's pieces say which stretch of which
recording goes where, and its events were written by hand from those times."""

from __future__ import annotations

import json
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from praesent.core.facts import Role
from praesent.evaluation.corpus import read_audio
from tests.support import SAMPLE_RATE, shared

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "events"
CHANNELS: tuple[Role, Role] = ("seller", "customer")
_FADE = SAMPLE_RATE // 100  # 10 ms, so that a cut piece does not click


@dataclass(frozen=True, slots=True)
class Labelled:
    name: str
    language: str
    duration_s: float
    pieces: list[dict[str, Any]]
    events: list[dict[str, Any]]
    not_events: list[dict[str, Any]]

    def timed(self, kind: str) -> list[tuple[Role, float]]:
        return [(e["by"], float(e["at_s"])) for e in self.events if e["kind"] == kind]


def load(name: str) -> Labelled:
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return Labelled(
        data["call"],
        data["language"],
        float(data["duration_s"]),
        data.get("pieces", []),
        data["events"],
        data.get("not_events", []),
    )


def build(call: Labelled, target: Path, side: str = "noisy") -> Path:
    """The call's two channels as a 16-bit WAV. ``side="clean"`` takes each noisy-speech piece
    from the clean side of its pair (the same samples without the noise)."""
    audio = np.zeros((2, round(call.duration_s * SAMPLE_RATE)), dtype=np.float32)
    ramp = np.sin(np.linspace(0, np.pi / 2, _FADE, dtype=np.float32)) ** 2
    for piece in call.pieces:
        relative = str(piece["file"])
        if side == "clean":
            relative = relative.replace("/noisy/", "/clean/")
        source = read_audio(shared(relative)).mean(axis=0)
        clip: npt.NDArray[np.float32] = source[
            round(piece["from_s"] * SAMPLE_RATE) : round(piece["to_s"] * SAMPLE_RATE)
        ].copy()
        clip[:_FADE] *= ramp
        clip[-_FADE:] *= ramp[::-1]
        start = round(piece["at_s"] * SAMPLE_RATE)
        audio[CHANNELS.index(piece["role"]), start : start + clip.shape[0]] += clip
    pcm = np.clip(np.round(audio.T * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(target), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
    return target
