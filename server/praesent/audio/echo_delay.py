"""Where the other channel's echo is: its delay, whether it is heard, whether a channel sounds.

The echo gate's search side (see ``praesent.audio.echo``): ``DelayTracker`` follows the delay
from GCC-PHAT correlations, ``EchoHeard`` decides the live warning, ``ChannelFloor`` tells
whether a channel sounds above its background (nothing to search otherwise).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE

if TYPE_CHECKING:
    from praesent.audio.echo import EchoOptions

Samples = npt.NDArray[np.float32]

_WINDOW = 512  # 32 ms: the frames whose levels are compared


class DelayTracker:
    """The other channel's delay into this one, from GCC-PHAT over a sliding window."""

    def __init__(self, options: EchoOptions) -> None:
        self._max_lag = options.max_delay_ms * SAMPLE_RATE // 1000
        self._min_lag = options.min_delay_ms * SAMPLE_RATE // 1000
        self._sigmas = options.delay_peak_sigmas
        self._estimates: list[int] = []
        self._votes = 3
        self._agree = 2 * SAMPLE_RATE // 1000
        self.delay: int | None = None  # samples; None until echo was found

    @property
    def steady(self) -> bool:
        """The delay is known and the last three estimates all agree on it."""
        recent = self._estimates[-self._votes :]
        return (
            self.delay is not None
            and len(recent) == self._votes
            and all(abs(e - self.delay) <= self._agree for e in recent)
        )

    def update(self, correlation: npt.NDArray[np.float64]) -> bool:
        """``correlation``: GCC-PHAT of this channel with the other at lags -max..+max (a
        positive lag: this channel hears the other later). A peak at a negative lag is this
        channel's own sound in the other (the echo goes the other way), one near zero the same
        recording on both channels. True when this window heard echo at the tracked delay."""
        peak = int(np.argmax(correlation)) - self._max_lag
        spread = float(np.std(correlation))
        if spread <= 0 or peak < 0:
            return False
        if peak < self._min_lag:
            # The same sound on both channels at once: a vote against any echo delay.
            self._estimates = [*self._estimates[-8:], -1]
            return False
        median = float(np.median(correlation))
        if correlation[peak + self._max_lag] - median < self._sigmas * spread:
            return False
        near_zero = correlation[self._max_lag - self._min_lag : self._max_lag + self._min_lag]
        if self.delay is not None and float(np.max(near_zero)) - median >= self._sigmas * spread:
            # The window also holds the same sound on both channels (crosstalk): its other
            # peaks are chance, one of them repeated in the next windows replaced the delay.
            return False
        self._estimates = [*self._estimates[-8:], peak]
        # The delay changes only when more recent estimates agree on the new one (within 2 ms)
        # than on the current one, and at least three.
        agreeing = [e for e in self._estimates if abs(e - peak) <= self._agree]
        current = (
            0
            if self.delay is None
            else sum(abs(e - self.delay) <= self._agree for e in self._estimates)
        )
        needed = self._votes if self.delay is not None else 2
        if len(agreeing) >= needed and len(agreeing) > current:
            self.delay = int(np.median(agreeing))
        return self.delay is not None and abs(peak - self.delay) <= self._agree


class EchoHeard:
    """Whether a channel hears the other's echo, for the live warning: the tracked delay found
    again in separate seconds of the other's sound, at a level an echo has. Clocked in samples
    of the other channel's sound (an echo can only be heard while its source sounds)."""

    def __init__(self, options: EchoOptions) -> None:
        self._needed = options.heard_seconds
        self._within = round(options.heard_within_s * SAMPLE_RATE)
        self._cleared = round(options.echo_cleared_s * SAMPLE_RATE)
        self._agree = 2 * SAMPLE_RATE // 1000
        self._levels_db = (options.min_echo_gain_db, options.max_echo_gain_db)
        self._clock = 0
        self._seconds: deque[int] = deque()  # clock seconds with a confirmation
        self._delay: int | None = None  # samples; the delay the confirmations are for
        self._last = 0
        self.delay_ms: float | None = None  # while the echo is heard

    def other_sounded(self, samples: int) -> None:
        self._clock += samples
        if self.delay_ms is not None and self._clock - self._last >= self._cleared:
            self.delay_ms = None
            self._seconds.clear()

    def found(self, delay: int, near: Samples, far: Samples) -> None:
        """The correlation peaked at the tracked ``delay`` (samples) over ``near`` and ``far``,
        this channel's and the other's last second."""
        if not self._echo_level(near[delay:], far[: far.shape[0] - delay]):
            return
        if self._delay is None or abs(delay - self._delay) > self._agree:
            self._seconds.clear()
        self._delay = delay
        self._last = self._clock
        second = self._clock // SAMPLE_RATE
        if not self._seconds or self._seconds[-1] != second:
            self._seconds.append(second)
        while self._seconds[0] * SAMPLE_RATE < self._clock - self._within:
            self._seconds.popleft()
        if self.delay_ms is not None or len(self._seconds) >= self._needed:
            self.delay_ms = delay * 1000 / SAMPLE_RATE

    def _echo_level(self, near: Samples, far: Samples) -> bool:
        """Most frames in which the other channel sounds are 6-30 dB louder there than here
        (at the delay). The same sound on both channels is as loud on each; a voice that
        only starts near the window's end leaves this channel silent in most of them."""
        count = far.shape[0] // _WINDOW
        if count == 0:
            return False
        power = [
            np.mean(np.square(x[: count * _WINDOW].reshape(count, _WINDOW), dtype=np.float64), 1)
            for x in (near, far)
        ]
        loud = power[1] > max(float(np.max(power[1])) * 1e-3, 1e-10)
        if not loud.any():
            return False
        ratio_db = 10 * np.log10(np.maximum(power[0][loud], 1e-20) / power[1][loud])
        low, high = self._levels_db
        return bool(np.mean((ratio_db >= low) & (ratio_db <= high)) >= 0.5)


class ChannelFloor:
    """A channel's background level (followed down at once, up 3 dB a second): does the
    channel sound above it?"""

    def __init__(self) -> None:
        self._floor_db: float | None = None
        self._rise_db = 3.0 * 0.032

    def sounding(self, recent: Samples) -> bool:
        power = float(np.dot(recent, recent)) / max(recent.shape[0], 1)
        level_db = 10 * np.log10(max(power, 1e-12))
        floor = (
            level_db if self._floor_db is None else min(level_db, self._floor_db + self._rise_db)
        )
        self._floor_db = floor
        return bool(level_db > max(floor + 10, -90))
