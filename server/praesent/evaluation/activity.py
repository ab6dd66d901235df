"""Speech activity against a reference: per 10 ms frame, speech of a role in the run against
speech of that role in the reference turns, pooled over the roles (precision, recall, F1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FRAME_S = 0.01

Interval = tuple[str, float, float]  # role, start_s, end_s


@dataclass(frozen=True, slots=True)
class ActivityScore:
    speech_frames: int  # reference
    found_frames: int  # run
    matched_frames: int

    @property
    def precision(self) -> float:
        return self.matched_frames / self.found_frames if self.found_frames else 1.0

    @property
    def recall(self) -> float:
        return self.matched_frames / self.speech_frames if self.speech_frames else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _frames(intervals: Iterable[Interval], role: str, count: int) -> npt.NDArray[np.bool_]:
    active = np.zeros(count, dtype=bool)
    for who, start_s, end_s in intervals:
        if who == role:
            a = max(0, round(start_s / FRAME_S))
            b = min(count, round(end_s / FRAME_S))
            active[a:b] = True
    return active


def activity_score(
    reference: Sequence[Interval], run: Sequence[Interval], duration_s: float, roles: Iterable[str]
) -> ActivityScore:
    count = max(0, round(duration_s / FRAME_S))
    speech = found = matched = 0
    for role in roles:
        ref = _frames(reference, role, count)
        hyp = _frames(run, role, count)
        speech += int(ref.sum())
        found += int(hyp.sum())
        matched += int((ref & hyp).sum())
    return ActivityScore(speech, found, matched)
