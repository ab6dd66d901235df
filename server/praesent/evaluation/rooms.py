"""Degraded versions of a two-channel call that resemble rooms: real recorded noise, babble of
other real speech, real room impulse responses, a quiet seller in noise.

The material is ``noisy-speech/`` of the shared recordings: five noise-only clips (a bus, a café,
an office, a public square, a kitchen), four room impulse responses, and the clean VCTK
recordings of two speakers, from which the babble is built (never the call's own speech). Every
transform is pure numpy and returns a new array; levels are the active speech level of
``degrade.speech_level``, so "5 dB SNR" means the noise's RMS 5 dB below each channel's speech.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import signal

from praesent.evaluation.corpus import MissingDataError, read_audio
from praesent.evaluation.degrade import SELLER, Call, Condition, speech_level

Samples = npt.NDArray[np.float32]


def rms(samples: npt.NDArray[np.floating]) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def fit_length(noise: Samples, length: int, offset: int = 0) -> Samples:
    """``noise`` from ``offset`` on, looped to ``length`` samples."""
    if noise.shape[0] == 0:
        raise ValueError("empty noise")
    indices = (np.arange(length) + offset) % noise.shape[0]
    return np.asarray(noise[indices], dtype=np.float32)


def mix_at_snr(
    speech: Samples, noise: Samples, snr_db: float, level: float | None = None, offset: int = 0
) -> Samples:
    """``speech`` plus ``noise`` (looped, from ``offset``) with the noise's RMS ``snr_db`` below
    the speech's active level (``level`` where the channel has no speech of its own)."""
    fitted = fit_length(noise, speech.shape[0], offset).astype(np.float64)
    target = speech_level(speech) or (level or 0.0)
    noise_rms = rms(fitted)
    if target <= 0 or noise_rms <= 0:
        return speech.astype(np.float32, copy=True)
    scaled = fitted * (target * 10 ** (-snr_db / 20) / noise_rms)
    return (speech.astype(np.float64) + scaled).astype(np.float32)


def set_level(speech: Samples, dbfs: float) -> Samples:
    """``speech`` scaled so that its active speech level is ``dbfs`` (full scale = 1.0)."""
    level = speech_level(speech)
    if level <= 0:
        return speech.astype(np.float32, copy=True)
    return (speech.astype(np.float64) * (10 ** (dbfs / 20) / level)).astype(np.float32)


def reverberate(speech: Samples, response: Samples) -> Samples:
    """``speech`` as heard in the room of ``response``: convolved from the response's direct
    path (its largest peak) on, so the speech keeps its timing and its length, at the active
    level it had."""
    direct = int(np.argmax(np.abs(response)))
    heard = signal.fftconvolve(speech.astype(np.float64), response[direct:].astype(np.float64))
    heard = heard[: speech.shape[0]]
    before, after = speech_level(speech), speech_level(heard.astype(np.float32))
    if before > 0 and after > 0:
        heard *= before / after
    return np.asarray(heard, dtype=np.float32)


def babble(sources: list[Samples], length: int, talkers: int = 4, seed: int = 0) -> Samples:
    """``talkers`` voices at once: each a different shuffled sequence of ``sources`` (each
    source at the same active level), summed and looped to ``length``."""
    rng = np.random.default_rng(seed)
    levelled = [s / speech_level(s) for s in sources if speech_level(s) > 0]
    if not levelled:
        raise ValueError("no speech to build babble from")
    out = np.zeros(length, dtype=np.float64)
    for _ in range(talkers):
        order = rng.permutation(len(levelled))
        stream = np.concatenate([levelled[i] for i in order])
        out += fit_length(stream.astype(np.float32), length, int(rng.integers(stream.shape[0])))
    return out.astype(np.float32)


def _channels_with_noise(call: Call, noise: Samples, snr_db: float) -> Call:
    """Each channel with its own stretch of ``noise`` at ``snr_db`` below its speech (a
    channel without speech at the other's level)."""
    fallback = max(speech_level(channel) for channel in call)
    stride = noise.shape[0] // max(call.shape[0], 1)
    return np.stack(
        [
            mix_at_snr(channel, noise, snr_db, level=fallback, offset=index * stride)
            for index, channel in enumerate(call)
        ]
    )


@dataclass(frozen=True, slots=True)
class RoomMaterial:
    noise: Samples  # the noise clips one after another, each at unit RMS
    babble_sources: list[Samples]
    responses: dict[str, Samples]  # room name: impulse response


_ROOMS = {
    "living room": "openair_domestic_living_room_1.wav",
    "seminar room": "seminar_room_clap.wav",
}
# Rooms ``make eval`` leaves out (very reverberant): material for fitting, never for scoring.
OTHER_ROOMS = {
    "typing room": "openair_terrys_typing_room_left.wav",
    "sports hall": "openair_sports_centre_omni.wav",
}


def room_material(
    data: Path,
    noises: tuple[str, ...] | None = None,
    babble_from: str = "",
    rooms: dict[str, str] | None = None,
) -> RoomMaterial:
    """The material of ``noisy-speech/``: every noise clip (or those named in ``noises``, by
    file stem), babble of every clean recording (or those whose name starts with
    ``babble_from``), and the rooms ``rooms`` (name: file; by default the two of ``make eval``)."""
    folder = data / "noisy-speech"
    clips = sorted((folder / "noise").glob("*.wav"))
    if noises is not None:
        clips = [path for path in clips if path.stem in noises]
    clean = sorted((folder / "clean").glob(f"{babble_from}*.wav"))
    if not clips or not clean:
        raise MissingDataError(f"shared recordings missing: {folder}/noise, {folder}/clean")
    pieces = [read_audio(path).mean(axis=0) for path in clips]
    noise = np.concatenate([p / rms(p) for p in pieces if rms(p) > 0]).astype(np.float32)
    responses = {}
    for room, name in (_ROOMS if rooms is None else rooms).items():
        path = folder / "rir" / name
        if not path.exists():
            raise MissingDataError(f"shared recording missing: {path}")
        responses[room] = read_audio(path).mean(axis=0).astype(np.float32)
    sources = [read_audio(path).mean(axis=0).astype(np.float32) for path in clean]
    return RoomMaterial(noise, sources, responses)


def room_conditions(material: RoomMaterial) -> tuple[Condition, ...]:
    """Babble and recorded noise at 5, 2 and 0 dB SNR, two real rooms (RT60 about 0.3 and
    0.65 s), and the seller at -40 dBFS with recorded noise 5 dB below her speech."""

    def noisy(snr_db: float) -> Condition:
        return Condition(
            f"recorded noise {snr_db:g} dB SNR",
            lambda c: _channels_with_noise(c, material.noise, snr_db),
        )

    def babbling(snr_db: float) -> Condition:
        def apply(call: Call) -> Call:
            crowd = babble(material.babble_sources, call.shape[1] * 2)
            return _channels_with_noise(call, crowd, snr_db)

        return Condition(f"babble {snr_db:g} dB SNR", apply)

    def room(name: str) -> Condition:
        response = material.responses[name]
        return Condition(
            f"reverb {name}", lambda c: np.stack([reverberate(channel, response) for channel in c])
        )

    def quiet_seller(call: Call) -> Call:
        quiet = call.astype(np.float32, copy=True)
        quiet[SELLER] = set_level(call[SELLER], -40.0)
        return _channels_with_noise(quiet, material.noise, 5.0)

    return (
        *(babbling(snr) for snr in (5.0, 2.0, 0.0)),
        *(noisy(snr) for snr in (5.0, 2.0, 0.0)),
        *(room(name) for name in material.responses),
        Condition("seller -40 dBFS in noise 5 dB SNR", quiet_seller),
    )


def measured_snr_db(clean: Samples, mixed: Samples) -> float:
    """The SNR of ``mixed`` against its ``clean`` speech: active speech level over the RMS of
    what was added."""
    return 20 * float(np.log10(speech_level(clean) / rms(mixed.astype(np.float64) - clean)))


__all__ = [
    "OTHER_ROOMS",
    "RoomMaterial",
    "babble",
    "fit_length",
    "measured_snr_db",
    "mix_at_snr",
    "reverberate",
    "rms",
    "room_conditions",
    "room_material",
    "set_level",
]
