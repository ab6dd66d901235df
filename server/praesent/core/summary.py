"""The call's summary: a pure function of the event log (live or from a file), so the report and
the analysis agree with what the overlay showed.

Contributions keep the last event per ``contribution_id`` (words and recovery revise them); talk
times come from the activity events, clipped to the call; turns give monologues, customer stories
and patience; cue outcomes join their cues by ``cue_id``; topics keep the last event per
``topic_id``.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from praesent.core.events import (
    Activity,
    Backchannel,
    Contribution,
    Cue,
    CueOutcome,
    EarlyStart,
    Event,
    Interruption,
    JsonValue,
    Misunderstanding,
    Overlap,
    Question,
    ShortAnswer,
    Topic,
    Turn,
    seconds,
)
from praesent.core.facts import ROLES, SAMPLE_RATE, Role, to_samples
from praesent.core.options import CoreOptions


def _r(value: float) -> float:
    return round(value, 3)


@dataclass(frozen=True, slots=True)
class InterruptionItem:
    by: Role
    of: Role
    at_s: float
    overlap_s: float
    recovered: bool | None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "by": self.by,
            "of": self.of,
            "at_s": self.at_s,
            "overlap_s": self.overlap_s,
            "recovered": self.recovered,
        }


@dataclass(frozen=True, slots=True)
class EarlyStartItem:
    by: Role
    at_s: float
    overlap_s: float

    def to_dict(self) -> dict[str, JsonValue]:
        return {"by": self.by, "at_s": self.at_s, "overlap_s": self.overlap_s}


@dataclass(frozen=True, slots=True)
class BackchannelItem:
    by: Role
    at_s: float
    text: str | None

    def to_dict(self) -> dict[str, JsonValue]:
        return {"by": self.by, "at_s": self.at_s, "text": self.text}


@dataclass(frozen=True, slots=True)
class QuestionItem:
    at_s: float
    text: str
    open: bool

    def to_dict(self) -> dict[str, JsonValue]:
        return {"at_s": self.at_s, "text": self.text, "open": self.open}


@dataclass(frozen=True, slots=True)
class MisunderstandingItem:
    by: Role
    at_s: float
    text: str

    def to_dict(self) -> dict[str, JsonValue]:
        return {"by": self.by, "at_s": self.at_s, "text": self.text}


@dataclass(frozen=True, slots=True)
class CueItem:
    cue_id: str
    kind: str
    at_s: float
    text: str
    acted_on: bool | None

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "cue_id": self.cue_id,
            "kind": self.kind,
            "at_s": self.at_s,
            "text": self.text,
            "acted_on": self.acted_on,
        }


@dataclass(frozen=True, slots=True)
class TurnItem:
    role: Role
    start_s: float
    end_s: float

    def to_dict(self) -> dict[str, JsonValue]:
        return {"role": self.role, "start_s": self.start_s, "end_s": self.end_s}


@dataclass(frozen=True, slots=True)
class TopicItem:
    start_s: float
    end_s: float
    title: str
    summary: tuple[str, ...]
    key_phrases: tuple[str, ...]

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "title": self.title,
            "summary": list(self.summary),
            "key_phrases": list(self.key_phrases),
        }


@dataclass(frozen=True, slots=True)
class CallSummary:
    duration_s: float
    seller_talk_s: float
    customer_talk_s: float
    seller_share: float | None
    overlap_s: float
    interruptions: tuple[InterruptionItem, ...]
    early_starts: tuple[EarlyStartItem, ...]
    backchannels: tuple[BackchannelItem, ...]
    questions: tuple[QuestionItem, ...]
    monologue_longest_s: float
    monologues_over_cue: int
    customer_story_longest_s: float
    customer_stories_over_20s: int
    patience_median_s: float | None
    short_answers: int
    misunderstandings: tuple[MisunderstandingItem, ...]
    cues: tuple[CueItem, ...]
    turns: tuple[TurnItem, ...]
    topics: tuple[TopicItem, ...] = ()

    def talk_s(self, role: Role) -> float:
        return self.seller_talk_s if role == "seller" else self.customer_talk_s

    def to_dict(self) -> dict[str, JsonValue]:
        open_questions = sum(1 for q in self.questions if q.open)
        return {
            "duration_s": self.duration_s,
            "roles": {
                "seller": {"talk_s": self.seller_talk_s},
                "customer": {"talk_s": self.customer_talk_s},
            },
            "seller_share": self.seller_share,
            "overlap_s": self.overlap_s,
            "interruptions": [i.to_dict() for i in self.interruptions],
            "early_starts": [e.to_dict() for e in self.early_starts],
            "backchannels": [b.to_dict() for b in self.backchannels],
            "questions": [q.to_dict() for q in self.questions],
            "question_counts": {
                "open": open_questions,
                "closed": len(self.questions) - open_questions,
            },
            "monologue_longest_s": self.monologue_longest_s,
            "monologues_over_cue": self.monologues_over_cue,
            "customer_story_longest_s": self.customer_story_longest_s,
            "customer_stories_over_20s": self.customer_stories_over_20s,
            "patience_median_s": self.patience_median_s,
            "short_answers": self.short_answers,
            "misunderstandings": [m.to_dict() for m in self.misunderstandings],
            "cues": [c.to_dict() for c in self.cues],
            "turns": [t.to_dict() for t in self.turns],
            "topics": [t.to_dict() for t in self.topics],
        }


def speech_intervals(events: Sequence[Event], end_sample: int) -> dict[Role, list[tuple[int, int]]]:
    """Each role's speech from the activity events, clipped to [0, end_sample]."""
    spans: dict[Role, list[tuple[int, int]]] = {"seller": [], "customer": []}
    open_at: dict[Role, int | None] = {"seller": None, "customer": None}
    for event in events:
        if not isinstance(event, Activity):
            continue
        start = open_at[event.role]
        if event.speaking:
            if start is None:
                open_at[event.role] = event.sample
        elif start is not None:
            spans[event.role].append((start, event.sample))
            open_at[event.role] = None
    for role in ROLES:
        start = open_at[role]
        if start is not None:
            spans[role].append((start, end_sample))
    clipped: dict[Role, list[tuple[int, int]]] = {}
    for role in ROLES:
        pairs = ((max(0, a), min(b, end_sample)) for a, b in spans[role])
        clipped[role] = [(a, b) for a, b in pairs if b > a]
    return clipped


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if hi > lo:
            total += hi - lo
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def summarise(
    events: Sequence[Event], duration_s: float, options: CoreOptions | None = None
) -> CallSummary:
    o = options or CoreOptions()
    end = to_samples(duration_s)
    spans = speech_intervals(events, end)
    talk = {role: sum(b - a for a, b in spans[role]) for role in ROLES}
    both = talk["seller"] + talk["customer"]

    latest: dict[int, Contribution] = {}
    turns: list[Turn] = []
    questions: list[QuestionItem] = []
    misunderstandings: list[MisunderstandingItem] = []
    cues: list[Cue] = []
    outcomes: dict[str, bool] = {}
    short_answers = 0
    topics: dict[int, Topic] = {}
    for event in events:
        if isinstance(event, Backchannel | Interruption | EarlyStart | Overlap):
            latest[event.contribution_id] = event
        elif isinstance(event, Turn):
            turns.append(event)
        elif isinstance(event, Question):
            if event.role == "seller":
                questions.append(QuestionItem(seconds(event.sample), event.text, event.open))
        elif isinstance(event, Misunderstanding):
            misunderstandings.append(
                MisunderstandingItem(event.by, seconds(event.sample), event.text)
            )
        elif isinstance(event, Cue):
            cues.append(event)
        elif isinstance(event, CueOutcome):
            outcomes[event.cue_id] = event.acted_on
        elif isinstance(event, ShortAnswer):
            short_answers += 1
        elif isinstance(event, Topic):
            topics[event.topic_id] = event

    contributions = sorted(latest.values(), key=lambda c: (c.sample, c.contribution_id))
    turns.sort(key=lambda t: (t.sample, t.end_sample))
    seller_turns = [t.duration_s for t in turns if t.role == "seller"]
    customer_turns = [t.duration_s for t in turns if t.role == "customer"]
    patience = [
        (b.sample - a.end_sample) / SAMPLE_RATE
        for a, b in itertools.pairwise(turns)
        if a.role == "customer" and b.role == "seller"
    ]
    return CallSummary(
        duration_s=_r(duration_s),
        seller_talk_s=_r(talk["seller"] / SAMPLE_RATE),
        customer_talk_s=_r(talk["customer"] / SAMPLE_RATE),
        seller_share=round(talk["seller"] / both, 4) if both else None,
        overlap_s=_r(_overlap(spans["seller"], spans["customer"]) / SAMPLE_RATE),
        interruptions=tuple(
            InterruptionItem(c.by, c.of, seconds(c.sample), c.overlap_s, c.recovered)
            for c in contributions
            if isinstance(c, Interruption)
        ),
        early_starts=tuple(
            EarlyStartItem(c.by, seconds(c.sample), c.overlap_s)
            for c in contributions
            if isinstance(c, EarlyStart)
        ),
        backchannels=tuple(
            BackchannelItem(c.by, seconds(c.sample), c.text)
            for c in contributions
            if isinstance(c, Backchannel)
        ),
        questions=tuple(sorted(questions, key=lambda q: q.at_s)),
        monologue_longest_s=_r(max(seller_turns, default=0.0)),
        monologues_over_cue=sum(1 for d in seller_turns if d > o.measures.monologue_cue_s),
        customer_story_longest_s=_r(max(customer_turns, default=0.0)),
        customer_stories_over_20s=sum(1 for d in customer_turns if d > o.measures.customer_story_s),
        patience_median_s=_r(statistics.median(patience)) if patience else None,
        short_answers=short_answers,
        misunderstandings=tuple(sorted(misunderstandings, key=lambda m: m.at_s)),
        cues=tuple(
            CueItem(c.cue_id, c.kind, seconds(c.sample), c.text, outcomes.get(c.cue_id))
            for c in cues
        ),
        turns=tuple(TurnItem(t.role, seconds(t.sample), seconds(t.end_sample)) for t in turns),
        topics=_topic_items(topics),
    )


def _topic_items(latest: dict[int, Topic]) -> tuple[TopicItem, ...]:
    """The last event per topic id, in order; a topic another one absorbed (it starts inside an
    earlier topic's revised span) is left out."""
    items: list[TopicItem] = []
    covered = -1
    for topic in sorted(latest.values(), key=lambda t: (t.sample, t.topic_id)):
        if topic.sample < covered:
            continue
        covered = topic.end_sample
        items.append(
            TopicItem(
                seconds(topic.sample),
                seconds(topic.end_sample),
                topic.title,
                topic.summary,
                topic.key_phrases,
            )
        )
    return tuple(items)
