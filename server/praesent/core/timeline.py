"""One role's speech as sorted intervals with prefix sums: talk time up to any past sample in
O(log n), which the sliding-window balance and per-turn speech need."""

from __future__ import annotations

from bisect import bisect_right


class SpeechTimeline:
    __slots__ = ("_cum", "_ends", "_starts", "last_end", "open_start")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._cum: list[int] = [0]  # _cum[i]: speech in the first i closed intervals
        self.open_start: int | None = None
        self.last_end: int | None = None

    @property
    def speaking(self) -> bool:
        return self.open_start is not None

    def start(self, sample: int) -> None:
        self.open_start = sample

    def stop(self, sample: int) -> None:
        start = self.open_start
        if start is None:
            return
        self.open_start = None
        self.last_end = sample
        if sample > start:
            self._starts.append(start)
            self._ends.append(sample)
            self._cum.append(self._cum[-1] + sample - start)

    def talk_until(self, sample: int) -> int:
        """Speech in [0, sample), counting an open interval up to ``sample``."""
        i = bisect_right(self._ends, sample)
        total = self._cum[i]
        if i < len(self._starts) and self._starts[i] < sample:
            total += sample - self._starts[i]
        if self.open_start is not None and self.open_start < sample:
            total += sample - self.open_start
        return total

    def talk_between(self, start: int, end: int) -> int:
        return max(0, self.talk_until(end) - self.talk_until(start))
