"""Voice activity on real recordings against reference turns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from praesent.audio.channel import ChannelListener
from praesent.audio.decode import iter_blocks
from praesent.audio.vad import FRAME_SAMPLES, SileroVad, SpeechEdge, VadStream
from praesent.audio.vad_batch import BatchedVad
from praesent.evaluation.corpus import phonecall
from tests.support import SHARED_DATA, rttm_turns, shared

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


def _recordings() -> list[np.ndarray]:
    """The phone call's two channels and noisy recordings (bus, cafe, office ... at 2.5 to
    17.5 dB SNR), as frames: streams of different lengths."""
    shared("en-phonecall-2spk/sample.wav")
    channels = [np.ascontiguousarray(c, dtype=np.float32) for c in phonecall(SHARED_DATA).audio]
    for name in ("p232_001", "p232_013", "p232_182", "p257_038", "p257_431"):
        [block] = iter_blocks(shared(f"noisy-speech/noisy/{name}.wav"), block_s=60.0)
        channels.append(np.ascontiguousarray(block[0]))
    return [
        c[: c.shape[0] // FRAME_SAMPLES * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)
        for c in channels
    ]


def test_batched_streams_equal_each_stream_alone(vad: SileroVad) -> None:
    """Many channels stepped in one inference, each with its own number of frames per round
    (0 to 25, as ticks and busy rounds give them), against Silero streamed per channel."""
    recordings = _recordings()
    alone = []
    for frames in recordings:
        stream = VadStream()
        pieces = [vad.probabilities(frames[i : i + 7], stream) for i in range(0, len(frames), 7)]
        alone.append(np.concatenate(pieces))
    batched = BatchedVad()
    streams = [VadStream() for _ in recordings]
    done = [0] * len(recordings)
    heard: list[list[np.ndarray]] = [[] for _ in recordings]
    rng = np.random.default_rng(0)
    rounds = 0
    while any(d < len(f) for d, f in zip(done, recordings, strict=True)):
        items = []
        for index, frames in enumerate(recordings):
            take = int(rng.integers(0, 26))
            items.append((frames[done[index] : done[index] + take], streams[index]))
            done[index] = min(len(frames), done[index] + take)
        for index, probabilities in enumerate(batched.probabilities_many(items)):
            heard[index].append(probabilities)
        rounds += 1
    assert rounds > 50
    together = [np.concatenate(pieces) for pieces in heard]
    assert [p.shape for p in together] == [p.shape for p in alone]
    # 1.5e-6 measured: the encoder's matrix products add up in another order than the
    # file's convolutions; the LSTM's arithmetic per stream is the same.
    difference = max(float(np.abs(a - b).max()) for a, b in zip(together, alone, strict=True))
    assert difference <= 1e-5, difference
    assert max(float(p.max()) for p in alone) > 0.9  # there is speech in them


def test_the_batched_graph_is_kept_for_the_next_process(tmp_path: Path) -> None:
    """The rewritten graph is kept in the models folder: the next process loads it without the
    ``onnx`` package (a second of CPU at every server start), with the same probabilities; a
    damaged one is rewritten."""
    frames = _recordings()[0][:400]
    fresh = BatchedVad().probabilities(frames, VadStream())
    cache = tmp_path / "cache"
    first = BatchedVad(cache_dir=cache).probabilities(frames, VadStream())
    (kept,) = cache.glob("silero-batched-*.onnx")
    assert np.array_equal(first, fresh)
    probe = (
        "import sys, numpy as np; from pathlib import Path;"
        "from praesent.audio.vad import VadStream; from praesent.audio.vad_batch import BatchedVad;"
        f"vad = BatchedVad(cache_dir=Path({str(cache)!r}));"
        f"frames = np.load({str(tmp_path / 'frames.npy')!r});"
        f"np.save({str(tmp_path / 'heard.npy')!r}, vad.probabilities(frames, VadStream()));"
        "print('onnx' in sys.modules)"
    )
    np.save(tmp_path / "frames.npy", frames)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "False", result.stderr
    assert np.array_equal(np.load(tmp_path / "heard.npy"), fresh)
    kept.write_bytes(kept.read_bytes()[:1000])
    again = BatchedVad(cache_dir=cache).probabilities(frames, VadStream())
    assert np.array_equal(again, fresh)
    assert kept.stat().st_size > 1000 and not list(cache.glob("*.part"))
    # Where nothing can be kept (here a file stands where the folder would be), it still loads.
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    unkept = BatchedVad(cache_dir=blocked / "cache").probabilities(frames, VadStream())
    assert np.array_equal(unkept, fresh)
