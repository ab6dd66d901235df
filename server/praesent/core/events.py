"""Events: what the core says. Each names the audio time it refers to (``sample``), not the time
it was decided; ``to_dict`` gives JSON-ready data with seconds rounded to milliseconds.

Contributions (``Backchannel``, ``Interruption``, ``EarlyStart``, ``Overlap``) carry a
``contribution_id``: a later contribution event with the same id replaces the earlier one. That
happens when a transcript confirms or overturns a timed decision, and when an interruption's
``recovered`` becomes known. A view of the log keeps the last event per id.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, Literal, TypeAlias

from praesent.core.facts import SAMPLE_RATE, Role, Word

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None
Source: TypeAlias = Literal["timing", "words"]
OverlapKind: TypeAlias = Literal[
    # the other kept talking over the holder, longer than a backchannel, but the holder kept on
    "failed",
    # both started together; the other ended up with the floor
    "simultaneous",
    # the holder gave way only after the yield window
    "contested",
    # a short contribution over the holder's end that took the floor, not an interruption
    "short_takeover",
    # short and the holder carried on, but the words were not a backchannel
    "interjection",
]
CueKind: TypeAlias = Literal[
    "listen",
    "deepen",
    "let_finish",
    "balance",
    "monologue",
    "summarise",
    "short_answers",
    "clarify",
    "stay_present",
]


def seconds(sample: int) -> float:
    return round(sample / SAMPLE_RATE, 3)


def word_dict(word: Word) -> dict[str, JsonValue]:
    return {
        "text": word.text,
        "start_s": seconds(word.start_sample),
        "end_s": seconds(word.end_sample),
        "probability": round(word.probability, 3),
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class EventBase:
    type: ClassVar[str] = "event"
    sample: int

    @property
    def at_s(self) -> float:
        return self.sample / SAMPLE_RATE

    def to_dict(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = {"type": self.type, "at_s": seconds(self.sample)}
        for f in fields(self):
            if f.name == "sample":
                continue
            value = getattr(self, f.name)
            if f.name.endswith("_sample"):
                out[f.name[: -len("_sample")] + "_s"] = None if value is None else seconds(value)
            elif f.name == "words":
                out["words"] = [word_dict(w) for w in value]
            elif isinstance(value, float):
                out[f.name] = round(value, 3)
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = value
        if isinstance(getattr(type(self), "duration_s", None), property):
            out["duration_s"] = round(getattr(self, "duration_s"), 3)  # noqa: B009
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity(EventBase):
    """A role started or stopped speaking."""

    type: ClassVar[str] = "activity"
    role: Role
    speaking: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Floor(EventBase):
    """``role`` took the floor; ``sample`` is where its turn starts (decided a little later)."""

    type: ClassVar[str] = "floor"
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn(EventBase):
    """A finished turn: ``sample`` to ``end_sample``; ``speech_s`` is the holder's speech in it."""

    type: ClassVar[str] = "turn"
    role: Role
    end_sample: int
    speech_s: float

    @property
    def duration_s(self) -> float:
        return (self.end_sample - self.sample) / SAMPLE_RATE


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance(EventBase):
    """Talk times up to ``sample``: over the call and over the last ``window_s``."""

    type: ClassVar[str] = "balance"
    seller_s: float
    customer_s: float
    overlap_s: float
    seller_share: float | None
    window_s: float
    window_seller_s: float
    window_customer_s: float
    window_seller_share: float | None
    final: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Backchannel(EventBase):
    type: ClassVar[str] = "backchannel"
    contribution_id: int
    by: Role
    of: Role
    end_sample: int
    text: str | None
    source: Source

    @property
    def duration_s(self) -> float:
        return (self.end_sample - self.sample) / SAMPLE_RATE


@dataclass(frozen=True, slots=True, kw_only=True)
class Interruption(EventBase):
    """``by`` started while ``of`` held the floor and ``of`` gave way within the yield window.
    ``recovered`` is None until known: whether ``of`` held the floor again soon after."""

    type: ClassVar[str] = "interruption"
    contribution_id: int
    by: Role
    of: Role
    overlap_s: float
    recovered: bool | None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class EarlyStart(EventBase):
    """``by`` started just before ``of`` finished (impatience, not an interruption)."""

    type: ClassVar[str] = "early_start"
    contribution_id: int
    by: Role
    of: Role
    overlap_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Overlap(EventBase):
    """Overlapping speech that is neither backchannel, interruption nor early start."""

    type: ClassVar[str] = "overlap"
    contribution_id: int
    by: Role
    of: Role
    kind: OverlapKind
    overlap_s: float
    text: str | None
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript(EventBase):
    type: ClassVar[str] = "transcript"
    role: Role
    end_sample: int
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Question(EventBase):
    type: ClassVar[str] = "question"
    role: Role
    text: str
    open: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortAnswer(EventBase):
    """A customer turn after a seller turn of at most a couple of words."""

    type: ClassVar[str] = "short_answer"
    role: Role
    end_sample: int
    text: str
    word_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Misunderstanding(EventBase):
    type: ClassVar[str] = "misunderstanding"
    by: Role
    text: str
    phrase: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Focus(EventBase):
    type: ClassVar[str] = "focus"
    focused: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Cue(EventBase):
    type: ClassVar[str] = "cue"
    cue_id: str
    kind: CueKind
    text: str
    language: str
    # What the cue is about: the topic's summary lines (joined by newlines) for "summarise", the
    # suggested question for "deepen"; None for the other cues.
    detail: str | None = None
    # The customer's own words the cue names (the key phrase of "deepen"), as they were said.
    quote: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CueOutcome(EventBase):
    """Whether the seller acted on cue ``cue_id``; ``sample`` is the cue's, ``evidence_sample``
    the moment that showed it (None when not acted on)."""

    type: ClassVar[str] = "cue_outcome"
    cue_id: str
    kind: CueKind
    acted_on: bool
    evidence_sample: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Topic(EventBase):
    """A stretch of the call about one thing, from ``sample`` to ``end_sample``, emitted once the
    next topic has begun (or at the end of the call). ``reason`` says what ended it: "cue_phrase",
    "pause", "cohesion" or "end". A later Topic with the same ``topic_id`` replaces the earlier
    one (a too-short last topic joins the one before). ``summary`` and ``key_phrases`` hold only
    words the customer spoke in the topic; ``title`` is a key phrase of the whole topic."""

    type: ClassVar[str] = "topic"
    topic_id: int
    end_sample: int
    title: str
    summary: tuple[str, ...]
    key_phrases: tuple[str, ...]
    reason: str
    language: str


Contribution: TypeAlias = Backchannel | Interruption | EarlyStart | Overlap
Event: TypeAlias = (
    Activity
    | Floor
    | Turn
    | Balance
    | Backchannel
    | Interruption
    | EarlyStart
    | Overlap
    | Transcript
    | Question
    | ShortAnswer
    | Misunderstanding
    | Focus
    | Cue
    | CueOutcome
    | Topic
)
