"""Voice activity on real recordings against reference turns."""

from __future__ import annotations

import numpy as np
import pytest

from praesent.audio.channel import ChannelListener
from praesent.audio.decode import iter_blocks
from praesent.audio.vad import SileroVad, SpeechEdge
from tests.support import rttm_turns, shared

_FRAME_S = 0.01


def _mask(intervals: list[tuple[float, float]], seconds: float) -> np.ndarray:
    mask = np.zeros(round(seconds / _FRAME_S), dtype=bool)
    for start, end in intervals:
        mask[round(start / _FRAME_S) : round(end / _FRAME_S)] = True
    return mask


def _intervals(edges: list[SpeechEdge]) -> list[tuple[float, float]]:
    starts = [e.sample / 16_000 for e in edges if e.kind == "start"]
    stops = [e.sample / 16_000 for e in edges if e.kind == "stop"]
    assert len(starts) == len(stops)
    return list(zip(starts, stops, strict=True))


def _listen(vad: SileroVad, channel: int, path: str, block_s: float) -> list[SpeechEdge]:
    listener = ChannelListener(vad)
    edges: list[SpeechEdge] = []
    for block in iter_blocks(shared(path), block_s=block_s):
        edges += listener.push(np.ascontiguousarray(block[channel]))
    return edges + listener.finish()


@pytest.fixture(scope="module")
def vad() -> SileroVad:
    return SileroVad()


def test_phonecall_activity_matches_reference_turns(vad: SileroVad) -> None:
    edges = _listen(vad, 0, "en-phonecall-2spk/sample.wav", 8.0)
    reference = [(s, e) for _, s, e in rttm_turns(shared("en-phonecall-2spk/sample.rttm"))]
    found, expected = _mask(_intervals(edges), 30.0), _mask(reference, 30.0)
    true_positive = (found & expected).sum()
    precision, recall = true_positive / found.sum(), true_positive / expected.sum()
    f1 = 2 * precision * recall / (precision + recall)
    # 0.988 measured; VAD is float32 ONNX, the same on every run seen.
    assert f1 >= 0.95, f"F1 {f1:.3f} (P {precision:.3f}, R {recall:.3f})"


def test_isolated_right_channel_speech_ends_by_2_6_s(vad: SileroVad) -> None:
    right = _intervals(_listen(vad, 1, "en-stereo-2ch/stereo_diarization.wav", 8.0))
    left = _intervals(_listen(vad, 0, "en-stereo-2ch/stereo_diarization.wav", 8.0))
    assert right and right[-1][1] == pytest.approx(2.6, abs=0.25)
    assert left[-1][1] > 4.0


def test_streaming_in_small_frames_equals_large_blocks(vad: SileroVad) -> None:
    small = _listen(vad, 0, "en-phonecall-2spk/sample.wav", 0.02)
    large = _listen(vad, 0, "en-phonecall-2spk/sample.wav", 30.0)
    assert small == large
