"""Deadlines in audio time. A deadline at D is decided once every fact before D is known: when a
Tick or an activity fact at or after D arrives, before that fact is applied. So when a Tick comes
never changes what is decided, nor the order of the events."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class HoldDue:
    """The holder's pause that began at ``pause_start`` reaches the hold time."""

    challenge_id: int
    pause_start: int


@dataclass(frozen=True, slots=True)
class LongDue:
    """A challenger's speech becomes longer than a backchannel."""

    challenge_id: int


@dataclass(frozen=True, slots=True)
class LabelDue:
    """An overlap waits for the interrupter's speech to pass the interruption minimum."""

    contribution_id: int


@dataclass(frozen=True, slots=True)
class RecoveryDue:
    contribution_id: int


@dataclass(frozen=True, slots=True)
class MonologueDue:
    turn_id: int


@dataclass(frozen=True, slots=True)
class CueWaitDue:
    token: int


@dataclass(frozen=True, slots=True)
class OutcomeDue:
    cue_id: str


@dataclass(frozen=True, slots=True)
class TranscriptDue:
    """Staged transcripts whose ``known_sample`` has come take effect."""


Due: TypeAlias = (
    HoldDue
    | LongDue
    | LabelDue
    | RecoveryDue
    | MonologueDue
    | CueWaitDue
    | OutcomeDue
    | TranscriptDue
)

# Equal deadlines: floor decisions first, so that what follows sees them.
_PRIORITY: dict[type, int] = {
    HoldDue: 0,
    LongDue: 0,
    LabelDue: 1,
    RecoveryDue: 2,
    MonologueDue: 3,
    CueWaitDue: 4,
    OutcomeDue: 5,
    TranscriptDue: 6,
}


class Scheduler:
    __slots__ = ("_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int, Due]] = []
        self._seq = 0

    def add(self, sample: int, due: Due) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (sample, _PRIORITY[type(due)], self._seq, due))

    def next_sample(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[int, Due]:
        sample, _, _, due = heapq.heappop(self._heap)
        return sample, due

    def __len__(self) -> int:
        return len(self._heap)
