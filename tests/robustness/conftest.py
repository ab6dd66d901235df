from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from praesent.audio.channel import ChannelListener
from praesent.audio.echo import EchoGate
from praesent.audio.vad import SileroVad
from praesent.evaluation.corpus import BuiltCall, phonecall
from tests.support import SHARED_DATA, shared

Segments = list[tuple[float, float]]


@pytest.fixture(scope="session")
def vad() -> SileroVad:
    return SileroVad()


@pytest.fixture(scope="session")
def call() -> BuiltCall:
    """The phone call on two channels (seller Diane left, customer Sheila right)."""
    shared("en-phonecall-2spk/sample.wav")
    return phonecall(SHARED_DATA)


def activity(
    vad: SileroVad, audio: npt.NDArray[np.float32], echo: bool = True, block: int = 1600
) -> tuple[list[Segments], EchoGate | None]:
    """Speech segments per channel as ``analyze`` and the live socket find them: the echo gate,
    then voice activity, fed in 100 ms blocks."""
    # As a 16-bit recording holds it: the gate's decisions must not hang on float precision.
    audio = (np.round(np.clip(audio, -1, 1) * 32767) / 32768).astype(np.float32)
    gate = EchoGate() if echo else None
    listeners = [ChannelListener(vad), ChannelListener(vad)]
    edges: list[list[int]] = [[], []]

    def feed(channels: list[npt.NDArray[np.float32]], final: bool) -> None:
        for index, samples in enumerate(channels):
            found = listeners[index].push(samples) if samples.shape[0] else []
            if final:
                found += listeners[index].finish()
            edges[index] += [edge.sample for edge in found]

    for start in range(0, audio.shape[1], block):
        chunk = [audio[0, start : start + block], audio[1, start : start + block]]
        feed(gate.push(chunk) if gate else chunk, final=False)
    feed(gate.finish() if gate else [np.zeros(0, np.float32)] * 2, final=True)
    segments = [
        [(a / 16000, b / 16000) for a, b in zip(found[::2], found[1::2], strict=True)]
        for found in edges
    ]
    return segments, gate


def talk_s(segments: Segments) -> float:
    return sum(end - start for start, end in segments)
