"""Facts: what the core is told. Time is audio time in samples at 16 kHz from session start.

Speech activity (``SpeechStarted``/``SpeechStopped``), ``Tick`` and ``FocusChanged`` come in
non-decreasing sample order; an ``Utterance`` may come any time after the speech it covers
(speech-to-text lags), so its times may lie in the past.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

SAMPLE_RATE = 16_000

Role: TypeAlias = Literal["seller", "customer"]
ROLES: tuple[Role, Role] = ("seller", "customer")


def other(role: Role) -> Role:
    return "customer" if role == "seller" else "seller"


def to_samples(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def ms_to_samples(ms: float) -> int:
    return round(ms * SAMPLE_RATE / 1000)


def to_seconds(sample: int) -> float:
    return sample / SAMPLE_RATE


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: use 'seller' or 'customer'")


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    role: Role
    sample: int

    def __post_init__(self) -> None:
        _check_role(self.role)


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    role: Role
    sample: int

    def __post_init__(self) -> None:
        _check_role(self.role)


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start_sample: int
    end_sample: int
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Utterance:
    role: Role
    start_sample: int
    end_sample: int
    text: str
    words: tuple[Word, ...] = ()
    # The language speech-to-text decoded in: the call's language from this transcript on.
    language: str | None = None
    # The audio time at which the transcript became known (live: how much audio had been heard
    # when speech-to-text finished). With it the transcript takes effect at that audio time, at a
    # Tick too; without it, at the next activity fact. Either way batches and streams agree.
    known_sample: int | None = None

    def __post_init__(self) -> None:
        _check_role(self.role)
        if self.end_sample < self.start_sample:
            raise ValueError("an utterance cannot end before it starts")


@dataclass(frozen=True, slots=True)
class Tick:
    """Audio has advanced to ``sample`` on all channels: nothing earlier is still to come."""

    sample: int


@dataclass(frozen=True, slots=True)
class FocusChanged:
    """The overlay saw the seller's call page gain or lose focus."""

    sample: int
    focused: bool


Fact: TypeAlias = SpeechStarted | SpeechStopped | Utterance | Tick | FocusChanged
