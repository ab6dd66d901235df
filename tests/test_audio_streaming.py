"""The audio path's streaming shortcuts give what the plain per-frame computation gives, on
real recordings: the level normaliser's running percentile, the echo gate cleaning the frames
between two changes of its delays as one block, and its delay search left out while the delay
is steady."""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt
import pytest

from praesent.audio.decode import iter_blocks
from praesent.audio.echo import EchoGate, EchoOptions
from praesent.audio.level import LevelNormaliser, LevelOptions
from praesent.evaluation import degrade
from praesent.evaluation.corpus import clip_call, english_clips, phonecall
from tests.support import SHARED_DATA, shared

Frames = npt.NDArray[np.float32]


def _channels() -> list[npt.NDArray[np.float32]]:
    """The phone call's two channels, one of them 26 dB down, and noisy recordings."""
    shared("en-phonecall-2spk/sample.wav")
    call = [np.ascontiguousarray(c, dtype=np.float32) for c in phonecall(SHARED_DATA).audio]
    channels = [*call, call[1] * np.float32(0.05)]
    for name in ("p232_001", "p257_431"):
        [block] = iter_blocks(shared(f"noisy-speech/noisy/{name}.wav"), block_s=60.0)
        channels.append(np.ascontiguousarray(block[0]))
    return channels


def _plain_level(frames: Frames, options: LevelOptions) -> tuple[Frames, float, float | None]:
    """The normaliser frame by frame, its speech level a percentile of the remembered frames."""
    floor: float | None = None
    speech: float | None = None
    levels_kept: deque[float] = deque(maxlen=options.memory_frames)
    gain_db = 0.0
    rise = options.floor_rise_db_per_s * 512 / 16000
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    gains = np.ones(frames.shape[0], dtype=np.float32)
    for index, level in enumerate(10 * np.log10(np.maximum(power, 1e-12))):
        floor = level if floor is None else min(level, floor + rise)
        above = level - floor
        if above >= options.speech_above_floor_db:
            levels_kept.append(level)
            speech = float(np.percentile(np.fromiter(levels_kept, float), 90))
        wanted = 0.0 if speech is None else options.target_dbfs - speech
        wanted = min(max(wanted, 0.0), options.max_gain_db)
        ramp = (above - options.ramp_from_db) / (options.ramp_to_db - options.ramp_from_db)
        wanted *= min(max(ramp, 0.0), 1.0)
        gain_db = 0.5 * gain_db + 0.5 * wanted
        gains[index] = 10 ** (gain_db / 20)
    return (frames * gains[:, None]).astype(np.float32), gain_db, speech


@pytest.mark.parametrize("memory_frames", [300, 20])
def test_level_normaliser_equals_the_plain_computation(memory_frames: int) -> None:
    options = LevelOptions(memory_frames=memory_frames)
    for channel in _channels():
        frames = channel[: channel.shape[0] // 512 * 512].reshape(-1, 512)
        normaliser = LevelNormaliser(options)
        streamed = np.concatenate(
            [normaliser.apply(frames[i : i + 6]) for i in range(0, frames.shape[0], 6)]
        )
        expected, gain_db, speech = _plain_level(frames, options)
        # numpy's percentile and the normaliser's agree to the last bit or one rounding.
        assert normaliser.speech_dbfs() == pytest.approx(speech, abs=1e-12)
        assert normaliser.gain_db == pytest.approx(gain_db, abs=1e-9)
        np.testing.assert_allclose(streamed, expected, rtol=1e-6, atol=0)


Delays = tuple[float | None, float | None]


def _gated(
    call: npt.NDArray[np.float32], piece: int, options: EchoOptions | None = None
) -> tuple[list[Frames], tuple[Delays, Delays, int]]:
    gate = EchoGate(options)
    out: list[list[Frames]] = [[], []]
    for start in range(0, call.shape[1], piece):
        for index, channel in enumerate(gate.push([c[start : start + piece] for c in call])):
            out[index].append(channel)
    for index, channel in enumerate(gate.finish()):
        out[index].append(channel)
    return [np.concatenate(pieces) for pieces in out], (
        gate.delays_ms,
        gate.hearing_ms,
        gate.searches,
    )


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
    assert state[:2] == ((60.0, 100.0), (60.0, None))  # the seller's delay found and heard
    for piece in (3200, 16000):
        blocks, state_here = _gated(echoed, piece)
        assert state_here == state
        for index in (0, 1):
            np.testing.assert_array_equal(blocks[index], frame_by_frame[index])


@pytest.mark.parametrize(("gain_db", "delay_ms"), [(-18, 60), (-24, 150), (-12, 120)])
def test_echo_gate_searching_less_once_steady_equals_searching_every_time(
    gain_db: int, delay_ms: int
) -> None:
    """Read sentences (20.8 s) with the customer's echo in the seller's microphone: searching
    for the delay only every fourth time once it is steady gives the same samples, delay and
    warning as searching every 32 ms, with at most a third of the searches (measured 42-46
    against 151-154)."""
    shared("en-jfk/jfk.flac")
    call = clip_call("en-read", "en", english_clips(SHARED_DATA)).audio
    echoed = np.asarray(degrade.echo(call, gain_db, delay_ms), dtype=np.float32)
    every_time = EchoOptions(steady_search_every=1, hold_until_no_echo_ms=10**9)
    expected, (delays, hearing, searches) = _gated(echoed, 3200, every_time)
    assert delays[0] == pytest.approx(delay_ms, abs=0.1)
    assert hearing[0] == pytest.approx(delay_ms, abs=0.1)
    steady, (delays_here, hearing_here, searches_here) = _gated(echoed, 3200)
    assert (delays_here, hearing_here) == (delays, hearing)
    assert searches_here <= searches / 3
    for index in (0, 1):
        np.testing.assert_array_equal(steady[index], expected[index])
