"""The room-like degradations of ``make eval`` (``praesent.evaluation.rooms``) on real
recordings: the noise is mixed at the SNR asked for, a room keeps the speech's timing and length,
and speech activity is scored per frame. No speech-to-text here."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from praesent.evaluation.activity import activity_score
from praesent.evaluation.corpus import read_audio
from praesent.evaluation.degrade import speech_level
from praesent.evaluation.rooms import (
    babble,
    fit_length,
    measured_snr_db,
    mix_at_snr,
    reverberate,
    room_conditions,
    room_material,
    set_level,
)
from tests.support import SHARED_DATA, shared

RATE = 16_000


def _wav(relative: str) -> np.ndarray:
    return read_audio(shared(relative)).mean(axis=0).astype(np.float32)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return _wav("noisy-speech/clean/p232_011.wav")  # 6.5 s, two speech segments


@pytest.mark.parametrize("snr_db", [5.0, 2.0, 0.0])
@pytest.mark.parametrize(
    "clip", ["vbd_office_p257_038_residual", "speechcommands_doing_the_dishes_30s"]
)
def test_noise_is_mixed_at_the_snr_asked_for(speech: np.ndarray, clip: str, snr_db: float) -> None:
    # The office clip (3.3 s) is shorter than the speech and is looped; the kitchen clip is cut.
    noise = _wav(f"noisy-speech/noise/{clip}.wav")
    mixed = mix_at_snr(speech, noise, snr_db, offset=1234)
    assert mixed.shape == speech.shape
    assert measured_snr_db(speech, mixed) == pytest.approx(snr_db, abs=0.2)


def test_the_mix_matches_the_datasets_own_snr() -> None:
    # VoiceBank-DEMAND mixed p257_038 at 2.5 dB (measured 2.53 dB by ITU-T P.56); the same
    # noise mixed back by ``mix_at_snr`` at that SNR gives the recorded file within 1 dB.
    clean = _wav("noisy-speech/clean/p257_038.wav")
    noisy = _wav("noisy-speech/noisy/p257_038.wav")
    recorded = measured_snr_db(clean, noisy)
    assert recorded == pytest.approx(2.5, abs=1.0)
    remixed = mix_at_snr(clean, noisy - clean, recorded)
    assert float(np.max(np.abs(remixed - noisy))) < 1e-3


def test_a_silent_channel_gets_the_noise_at_the_level_given(speech: np.ndarray) -> None:
    noise = _wav("noisy-speech/noise/vbd_bus_p232_005_residual.wav")
    silent = np.zeros(RATE * 3, np.float32)
    mixed = mix_at_snr(silent, noise, 5.0, level=speech_level(speech))
    got = 20 * np.log10(speech_level(speech) / np.sqrt(np.mean(mixed.astype(np.float64) ** 2)))
    assert got == pytest.approx(5.0, abs=0.2)


def test_looping_keeps_the_noise() -> None:
    noise = np.arange(5, dtype=np.float32)
    assert fit_length(noise, 12, offset=3).tolist() == [3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "room",
    ["openair_domestic_living_room_1", "seminar_room_clap", "openair_terrys_typing_room_left"],
)
def test_a_room_keeps_the_speechs_length_timing_and_level(speech: np.ndarray, room: str) -> None:
    response = _wav(f"noisy-speech/rir/{room}.wav")
    heard = reverberate(speech, response)
    assert heard.shape == speech.shape
    # Aligned on the direct path: the speech does not arrive late by the response's pre-delay
    # (22 ms for the typing room); what lag there is (0.5, 3.4 and 6.3 ms) comes from the early
    # reflections, which carry more energy than the direct sound.
    correlation = signal.correlate(heard, speech, mode="full", method="fft")
    lag = int(np.argmax(correlation)) - (speech.shape[0] - 1)
    assert 0 <= lag <= RATE * 10 // 1000
    assert 20 * np.log10(speech_level(heard) / speech_level(speech)) == pytest.approx(0, abs=0.1)
    # The room fills the pause after the first words (they end at 2.44 s).
    pause = slice(round(2.47 * RATE), round(2.67 * RATE))
    assert np.sqrt(np.mean(heard[pause] ** 2)) > 1.5 * np.sqrt(np.mean(speech[pause] ** 2))


def test_an_impulse_lands_where_it_was() -> None:
    response = np.zeros(400, np.float32)
    response[37] = 0.5  # the direct path, 37 samples late
    response[200] = 0.2  # a reflection
    clicks = np.zeros(RATE, np.float32)
    clicks[1000] = 1.0
    heard = reverberate(clicks, response)
    assert int(np.argmax(np.abs(heard))) == 1000
    assert heard[1000 + 163] == pytest.approx(heard[1000] * 0.4, rel=1e-4)


def test_a_quiet_seller_is_at_minus_40_dbfs(speech: np.ndarray) -> None:
    quiet = set_level(speech, -40.0)
    assert 20 * np.log10(speech_level(quiet)) == pytest.approx(-40.0, abs=0.01)


def test_babble_is_several_other_voices(speech: np.ndarray) -> None:
    sources = [_wav(f"noisy-speech/clean/{name}.wav") for name in ("p257_038", "p232_002")]
    crowd = babble(sources, RATE * 10, talkers=4)
    assert crowd.shape == (RATE * 10,)
    # Four voices at once leave few quiet frames: most 32 ms frames within 10 dB of the median.
    frames = crowd[: RATE * 10 // 512 * 512].reshape(-1, 512)
    power_db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    assert np.mean(np.abs(power_db - np.median(power_db)) < 10) > 0.8
    mixed = mix_at_snr(speech, crowd, 2.0)
    assert measured_snr_db(speech, mixed) == pytest.approx(2.0, abs=0.2)


def test_every_room_condition_keeps_the_calls_shape() -> None:
    material = room_material(SHARED_DATA)
    seller = _wav("noisy-speech/clean/p232_005.wav")[: RATE * 3]
    call = np.stack([seller, _wav("noisy-speech/clean/p257_147.wav")[: RATE * 3]])
    names = []
    for condition in room_conditions(material):
        out = condition.apply(call)
        assert out.shape == call.shape and out.dtype == np.float32
        names.append(condition.name)
        if "SNR" in condition.name and "seller" not in condition.name:
            snr = float(condition.name.split()[-3])
            for channel in range(2):
                assert measured_snr_db(call[channel], out[channel]) == pytest.approx(snr, abs=0.2)
    assert len(names) == 9 and len(set(names)) == 9


def test_speech_activity_is_scored_per_frame() -> None:
    reference = [("seller", 1.0, 3.0), ("customer", 2.5, 4.0)]
    # The seller found 0.5 s late, the customer's turn found twice as long, once as the seller.
    run = [("seller", 1.5, 3.0), ("customer", 2.5, 5.5), ("seller", 6.0, 6.5)]
    score = activity_score(reference, run, 8.0, ("seller", "customer"))
    assert (score.speech_frames, score.found_frames, score.matched_frames) == (350, 500, 300)
    assert score.precision == pytest.approx(0.6)
    assert score.recall == pytest.approx(300 / 350)
    assert score.f1 == pytest.approx(2 * 0.6 * (6 / 7) / (0.6 + 6 / 7))
    perfect = activity_score(reference, reference, 8.0, ("seller", "customer"))
    assert perfect.f1 == 1.0
