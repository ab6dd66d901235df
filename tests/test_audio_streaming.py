"""The audio path's streaming shortcuts give what the plain per-frame computation gives, on
real recordings: the echo gate cleaning the frames between two changes of its delays as one
block."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from praesent.audio.echo import EchoGate
from praesent.evaluation import degrade
from praesent.evaluation.corpus import phonecall
from tests.support import SHARED_DATA, shared

Frames = npt.NDArray[np.float32]


def _gated(call: npt.NDArray[np.float32], piece: int) -> tuple[list[Frames], object]:
    gate = EchoGate()
    out: list[list[Frames]] = [[], []]
    for start in range(0, call.shape[1], piece):
        for index, channel in enumerate(gate.push([c[start : start + piece] for c in call])):
            out[index].append(channel)
    for index, channel in enumerate(gate.finish()):
        out[index].append(channel)
    return [np.concatenate(pieces) for pieces in out], (gate.delays_ms, gate.hearing_ms)


@pytest.mark.parametrize("talk_over", [False, True])
def test_echo_gate_in_blocks_equals_frame_by_frame(talk_over: bool) -> None:
    """One hop (16 ms) per push cleans each frame as it is searched; 200 ms ticks and whole
    seconds clean the frames between two changes of the delays together: the same samples."""
    shared("en-phonecall-2spk/sample.wav")
    call = np.asarray(phonecall(SHARED_DATA).audio, dtype=np.float32)
    if talk_over:
        call = degrade.talk_over(call, 10.56, 14.85, 22.6)
    echoed = np.asarray(degrade.echo(call, -18, 60), dtype=np.float32)
    frame_by_frame, state = _gated(echoed, 256)
    assert state == ((60.0, 100.0), (60.0, None))  # the seller's delay found and heard
    for piece in (3200, 16000):
        blocks, state_here = _gated(echoed, piece)
        assert state_here == state
        for index in (0, 1):
            np.testing.assert_array_equal(blocks[index], frame_by_frame[index])
