"""Per-channel level tracking, so that a quiet but clear speaker is heard by voice activity.

Silero VAD's probabilities depend on the level of speech: a speaker a few dB above the
background is partly missed, and the same call played 20 dB down gives other talk times.
``LevelNormaliser`` lifts a quiet channel's speech to ``target_dbfs`` before voice activity and
keeps the noise floor where it is (a soft expander around the tracked floor), so noise is not
made louder:

- the noise floor: the frame level's minimum, followed down at once and up slowly;
- the speech level: the 90th percentile of the recent frames clearly above the floor;
- the gain: what lifts the speech level to the target (0 dB for a channel already there, at
  most ``max_gain_db``), in full to frames well above the floor, not at all to frames at the
  floor, and in between on a ramp.

Only voice activity sees the gain; speech-to-text hears the channel as it was.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE

_FRAME_S = 512 / SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class LevelOptions:
    # A channel whose speech is quieter than this is raised to it; louder ones are left as
    # they are (normal call speech sits at -30 to -15 dBFS).
    target_dbfs: float = -32.0
    max_gain_db: float = 30.0
    # The floor rises this fast when the background gets louder (it falls at once).
    floor_rise_db_per_s: float = 3.0
    # Frames this far above the floor are speech for the level; the gain ramps in between.
    speech_above_floor_db: float = 12.0
    ramp_from_db: float = 6.0
    ramp_to_db: float = 15.0
    # The speech level is taken over this many recent speech frames (~10 s of speech).
    memory_frames: int = 300


def frame_levels_db(frames: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Each frame's level in dBFS (RMS; digital silence at -120)."""
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    levels: npt.NDArray[np.float64] = 10 * np.log10(np.maximum(power, 1e-12))
    return levels


class LevelNormaliser:
    """Pure and streaming: 32 ms frames in, the same frames with the gain applied out."""

    def __init__(self, options: LevelOptions | None = None) -> None:
        self.options = options or LevelOptions()
        self._floor: float | None = None
        self._speech_levels: deque[float] = deque()
        # The same levels in order, kept so as each one comes: the percentile is two lookups.
        self._ordered: list[float] = []
        self._gain_db = 0.0
        self._rise = self.options.floor_rise_db_per_s * _FRAME_S
        self._speech: float | None = None
        self._new = 0
        self._every = 1

    @property
    def gain_db(self) -> float:
        return self._gain_db

    def speech_dbfs(self) -> float | None:
        """The channel's speech level: the 90th percentile of its recent speech frames."""
        count = len(self._ordered)
        if count == 0:
            return None
        # numpy's linear percentile, from the two order statistics around it.
        position = 0.9 * (count - 1)
        low, high = math.floor(position), math.ceil(position)
        ordered = self._ordered
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    def _remember(self, level: float) -> None:
        if self.options.memory_frames <= 0:
            return
        if len(self._speech_levels) == self.options.memory_frames:
            oldest = self._speech_levels.popleft()
            del self._ordered[bisect.bisect_left(self._ordered, oldest)]
        self._speech_levels.append(level)
        bisect.insort(self._ordered, level)

    def apply(
        self, frames: npt.NDArray[np.float32], levels: npt.NDArray[np.float64] | None = None
    ) -> npt.NDArray[np.float32]:
        """``levels``: the frames' ``frame_levels_db``, where the caller has them already."""
        if frames.shape[0] == 0:
            return frames
        options = self.options
        if levels is None:
            levels = frame_levels_db(frames)
        gains = np.ones(frames.shape[0], dtype=np.float32)
        for index, level in enumerate(levels.tolist()):
            floor = level if self._floor is None else min(level, self._floor + self._rise)
            self._floor = floor
            above = level - floor
            if above >= options.speech_above_floor_db:
                self._remember(level)
                self._new += 1
            if self._new >= self._every or (self._speech is None and self._speech_levels):
                # The level changes only with a new speech frame.
                self._speech, self._new = self.speech_dbfs(), 0
            speech = self._speech
            wanted = 0.0 if speech is None else options.target_dbfs - speech
            wanted = min(max(wanted, 0.0), options.max_gain_db)
            # Raise speech, not the background: frames near the floor keep their level.
            ramp = (above - options.ramp_from_db) / (options.ramp_to_db - options.ramp_from_db)
            wanted *= min(max(ramp, 0.0), 1.0)
            # Smooth from frame to frame, so the gain makes no clicks of its own.
            self._gain_db = 0.5 * self._gain_db + 0.5 * wanted
            gains[index] = 10 ** (self._gain_db / 20)
        return (frames * gains[:, None]).astype(np.float32)
