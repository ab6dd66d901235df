"""Whether a channel hears other people talking around its speaker (background voices).

Voice activity cannot tell the channel's own speaker from colleagues talking nearby: both are
speech, and a seller on a busy sales floor gets their talk time counted high. What can be told
is that it happens. A channel's background is its quietest frames (those within ``near_db`` of
the 20th percentile of the last 10 s): on a quiet line or in steady noise voice activity calls
almost none of them speech, with voices around it calls most of them speech. ``BackgroundVoices``
says so once that held for ``on_s`` and takes it back once it stopped for ``off_s``.

Pure and streaming: 32 ms frames' levels and speech probabilities in, a state out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE

_FRAME_S = 512 / SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class VoicesOptions:
    window_s: float = 10.0
    every_s: float = 1.0  # how often the window is judged
    background_percentile: float = 20.0
    near_db: float = 3.0  # frames this close to the percentile are the background
    min_background_frames: int = 50
    speech_probability: float = 0.5
    # The share of the background heard as speech that says voices (and the share under
    # which they are gone), held for these long.
    on_share: float = 0.5
    off_share: float = 0.3
    on_s: float = 10.0
    off_s: float = 30.0


class BackgroundVoices:
    def __init__(self, options: VoicesOptions | None = None) -> None:
        self.options = options or VoicesOptions()
        size = round(self.options.window_s / _FRAME_S)
        self._levels: deque[float] = deque(maxlen=size)
        self._speech: deque[bool] = deque(maxlen=size)
        self._every = max(1, round(self.options.every_s / _FRAME_S))
        self._on_needed = max(1, round(self.options.on_s / self.options.every_s))
        self._off_needed = max(1, round(self.options.off_s / self.options.every_s))
        self._since_judged = 0
        self._run = 0  # judgements in a row that point the other way
        self._frames = 0
        self.heard = False
        # (seconds into the channel, heard) at each change, for a file's analysis.
        self.changes: list[tuple[float, bool]] = []

    def push(
        self, levels_db: npt.NDArray[np.float64], probabilities: npt.NDArray[np.float32]
    ) -> None:
        """One level (dBFS) and one speech probability per 32 ms frame, in order."""
        levels = levels_db.tolist()
        speech = (probabilities > self.options.speech_probability).tolist()
        at = 0
        while at < len(levels):
            step = min(len(levels) - at, self._every - self._since_judged)
            self._levels.extend(levels[at : at + step])
            self._speech.extend(speech[at : at + step])
            self._since_judged += step
            self._frames += step
            at += step
            if self._since_judged == self._every:
                self._since_judged = 0
                self._judge()

    def background_share(self) -> float:
        """The share of the window's background frames that voice activity calls speech (0
        while the window is less than half full or has too little background)."""
        if len(self._levels) < (self._levels.maxlen or 0) // 2:
            return 0.0
        levels = np.fromiter(self._levels, float, len(self._levels))
        rank = int(self.options.background_percentile / 100 * (levels.shape[0] - 1))
        floor = float(np.partition(levels, rank)[rank])
        background = levels < floor + self.options.near_db
        if int(background.sum()) < self.options.min_background_frames:
            return 0.0
        speech = np.fromiter(self._speech, bool, len(self._speech))
        return float(speech[background].mean())

    def _judge(self) -> None:
        share = self.background_share()
        turning = share < self.options.off_share if self.heard else share >= self.options.on_share
        self._run = self._run + 1 if turning else 0
        if self._run >= (self._off_needed if self.heard else self._on_needed):
            self.heard = not self.heard
            self._run = 0
            self.changes.append((round(self._frames * _FRAME_S, 3), self.heard))
