"""A quiet but clear speaker is found; noise alone is not speech. Voice activity only."""

from __future__ import annotations

import numpy as np
import pytest

from praesent.audio.level import LevelNormaliser
from praesent.audio.vad import SileroVad
from praesent.evaluation import degrade
from praesent.evaluation.corpus import BuiltCall
from tests.robustness.conftest import activity, talk_s


def test_a_customer_20_db_quieter(vad: SileroVad, call: BuiltCall) -> None:
    # Measured: 12.11 s at full level, 12.43 s at -20 dB (12.08 s / 13.16 s without the
    # level tracking). The bound is 0.5 s.
    full, _ = activity(vad, call.audio)
    quiet, _ = activity(vad, degrade.attenuate(call.audio, degrade.CUSTOMER, 20))
    for index in (0, 1):
        moved = talk_s(quiet[index]) - talk_s(full[index])
        assert abs(moved) <= 0.5, f"channel {index}: talk time moved {moved:+.2f} s at -20 dB"


@pytest.mark.parametrize("seed", [0, 1])
def test_a_minute_of_noise_alone_is_not_speech(vad: SileroVad, call: BuiltCall, seed: int) -> None:
    """60 s of pink noise at 10 dB below the call's speech level, on both channels."""
    level = degrade.speech_level(call.audio[0])
    noise = degrade.pink_noise(60 * 16000, seed) * np.float32(level * 10 ** (-10 / 20))
    found, _ = activity(vad, np.stack([noise, noise[::-1].copy()]))
    for index in (0, 1):
        assert talk_s(found[index]) <= 0.5, f"{talk_s(found[index]):.2f} s of speech in noise"


def test_a_channel_at_speech_level_is_not_raised(call: BuiltCall) -> None:
    frames = call.audio[0, : call.audio.shape[1] // 512 * 512].reshape(-1, 512)
    normaliser = LevelNormaliser()
    out = normaliser.apply(frames)
    speech = normaliser.speech_dbfs()
    assert speech is not None and speech > normaliser.options.target_dbfs
    quiet = LevelNormaliser()
    lifted = quiet.apply(frames * np.float32(0.1))
    assert quiet.gain_db > 10, f"a channel 20 dB down is raised by only {quiet.gain_db:.1f} dB"
    assert np.max(np.abs(out[-300:] - frames[-300:])) < 1e-6
    assert lifted.shape == frames.shape
