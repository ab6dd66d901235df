"""Degraded versions of a two-channel call, built in code: what real calls do to clean audio.

A call is a float32 array of shape (2, n) at 16 kHz: channel 0 the seller's microphone,
channel 1 the call's audio (the customer). Every function returns a new array.

- ``echo``: the microphone also hears the call from the speakers: the customer channel,
  through a room (an exponentially decaying impulse response with the given reverberation
  time), ``delay_ms`` late and ``level_db`` down, added to the seller channel.
- ``attenuate``: one side quieter by ``db``.
- ``add_noise``: pink (1/f) noise on both channels at ``snr_db`` below each channel's active
  speech level. Generated, not recorded: no recorded noise with a licence that allows
  shipping it was at hand.
- ``swap``: the channels exchanged (the user named them the wrong way round).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import signal

from praesent.audio import SAMPLE_RATE

Call = npt.NDArray[np.float32]
SELLER, CUSTOMER = 0, 1


def room_response(rt60_s: float, drr_db: float = 3.0, seed: int = 0) -> npt.NDArray[np.float32]:
    """A synthetic room impulse response: the direct sound, then a diffuse tail of noise decaying
    by 60 dB over ``rt60_s`` (a standard model of late reverberation) at ``drr_db`` below the
    direct sound's energy (a laptop's speakers a hand's width from its microphone), normalised
    to unit energy."""
    rng = np.random.default_rng(seed)
    length = max(2, round(rt60_s * SAMPLE_RATE))
    t = np.arange(length) / SAMPLE_RATE
    tail = rng.standard_normal(length) * 10 ** (-3 * t / max(rt60_s, 1e-3))
    tail[:16] = 0.0  # the first reflections arrive after the direct path
    response = tail * np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    response[0] = 1.0
    # Loudspeakers and the room lose low and high frequencies.
    sos = signal.butter(2, [150, 6000], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    filtered = np.asarray(signal.sosfilt(sos, response), dtype=np.float64)
    return np.asarray(filtered / np.sqrt(np.sum(filtered**2)), dtype=np.float32)


def echo(
    call: Call,
    level_db: float,
    delay_ms: float,
    rt60_s: float = 0.25,
    source: int = CUSTOMER,
    seed: int = 0,
) -> Call:
    """``source``'s audio heard again on the other channel, through a room, late and quieter."""
    out = call.astype(np.float32, copy=True)
    heard = signal.fftconvolve(call[source], room_response(rt60_s, seed))[: call.shape[1]]
    delay = round(delay_ms * SAMPLE_RATE / 1000)
    delayed = np.zeros(call.shape[1], dtype=np.float32)
    delayed[delay:] = heard[: call.shape[1] - delay]
    out[1 - source] += (10 ** (level_db / 20) * delayed).astype(np.float32)
    return out


def attenuate(call: Call, channel: int, db: float) -> Call:
    out = call.astype(np.float32, copy=True)
    out[channel] *= np.float32(10 ** (-db / 20))
    return out


def speech_level(samples: npt.NDArray[np.float32]) -> float:
    """Active speech level (RMS over the 32 ms frames within 30 dB of the loudest ones)."""
    frames = samples[: samples.shape[0] // 512 * 512].reshape(-1, 512)
    if frames.shape[0] == 0:
        return 0.0
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    loud = power[power >= np.percentile(power, 95) * 1e-3]
    return float(np.sqrt(np.mean(loud))) if loud.size and loud.max() > 0 else 0.0


def pink_noise(length: int, seed: int = 0) -> npt.NDArray[np.float32]:
    """Noise with a 1/f spectrum (shaped white noise), unit RMS."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.fft.rfftfreq(length)
    frequencies[0] = frequencies[1] if length > 1 else 1.0
    noise = np.fft.irfft(spectrum / np.sqrt(frequencies), n=length)
    return np.asarray(noise / np.sqrt(np.mean(noise**2)), dtype=np.float32)


def add_noise(call: Call, snr_db: float, seed: int = 0) -> Call:
    """Pink noise on each channel at ``snr_db`` below that channel's speech level (channels
    without speech get the level of the other)."""
    out = call.astype(np.float32, copy=True)
    levels = [speech_level(channel) for channel in call]
    fallback = max(levels)
    for index in range(call.shape[0]):
        level = levels[index] or fallback
        noise = pink_noise(call.shape[1], seed + index)
        out[index] += (level * 10 ** (-snr_db / 20) * noise).astype(np.float32)
    return out


def talk_over(call: Call, from_s: float, to_s: float, at_s: float, channel: int = SELLER) -> Call:
    """Double talk: ``channel``'s own speech from ``from_s``-``to_s`` spoken again at ``at_s``
    (over whatever the other side says there)."""
    out = call.astype(np.float32, copy=True)
    a, b = round(from_s * SAMPLE_RATE), round(to_s * SAMPLE_RATE)
    at = round(at_s * SAMPLE_RATE)
    piece = call[channel, a:b][: max(0, call.shape[1] - at)]
    out[channel, at : at + piece.shape[0]] += piece
    return out


def swap(call: Call) -> Call:
    return call[::-1].astype(np.float32, copy=True)


@dataclass(frozen=True, slots=True)
class Condition:
    name: str
    apply: Callable[[Call], Call]
    swapped: bool = False  # the roles of the channels are exchanged


CONDITIONS: tuple[Condition, ...] = (
    Condition("clean", lambda c: c.astype(np.float32, copy=True)),
    Condition("echo -24 dB 150 ms", lambda c: echo(c, -24, 150)),
    Condition("echo -18 dB 60 ms", lambda c: echo(c, -18, 60)),
    Condition("echo -12 dB 120 ms", lambda c: echo(c, -12, 120)),
    Condition("echo -18 dB 40 ms", lambda c: echo(c, -18, 40)),
    Condition("customer -20 dB", lambda c: attenuate(c, CUSTOMER, 20)),
    Condition("noise 20 dB SNR", lambda c: add_noise(c, 20)),
    Condition("noise 10 dB SNR", lambda c: add_noise(c, 10)),
    Condition("channels swapped", swap, swapped=True),
)


def condition(name: str) -> Condition:
    for item in CONDITIONS:
        if item.name == name:
            return item
    raise KeyError(name)
