"""Batch use: facts of a whole recording, sorted the way a live call would deliver them (each
utterance right after its end), fed through one Conversation and finished."""

from __future__ import annotations

from collections.abc import Iterable

from praesent.core.conversation import Conversation
from praesent.core.events import Event
from praesent.core.facts import (
    Fact,
    FocusChanged,
    Role,
    SpeechStarted,
    SpeechStopped,
    Tick,
    Utterance,
    to_samples,
)
from praesent.core.options import CoreOptions
from praesent.core.summary import CallSummary, summarise

Segment = tuple[Role, int, int]  # role, start sample, end sample


def fact_order(fact: Fact) -> tuple[int, int]:
    """Sort key: by sample; at one sample stops before starts (a zero gap is no gap), an
    utterance after the activity that ends it, ticks last."""
    if isinstance(fact, SpeechStopped):
        return fact.sample, 0
    if isinstance(fact, SpeechStarted):
        return fact.sample, 1
    if isinstance(fact, FocusChanged):
        return fact.sample, 2
    if isinstance(fact, Utterance):
        return fact.end_sample, 3
    assert isinstance(fact, Tick)
    return fact.sample, 4


def facts_from_segments(segments: Iterable[Segment], min_gap: int = 0) -> list[Fact]:
    """Speech segments (role, start, end) as activity facts; a role's segments that overlap or lie
    closer than ``min_gap`` samples are merged first."""
    by_role: dict[Role, list[tuple[int, int]]] = {"seller": [], "customer": []}
    for role, start, end in segments:
        if end > start:
            by_role[role].append((start, end))
    facts: list[Fact] = []
    for role, spans in by_role.items():
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start - merged[-1][1] < max(min_gap, 1):
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            facts += [SpeechStarted(role, start), SpeechStopped(role, end)]
    return sorted(facts, key=fact_order)


def analyse(
    facts: Iterable[Fact],
    duration_s: float,
    options: CoreOptions | None = None,
    language: str = "en",
) -> tuple[list[Event], CallSummary]:
    conversation = Conversation(options, language)
    events = conversation.feed_many(sorted(facts, key=fact_order))
    events += conversation.finish(to_samples(duration_s))
    return events, summarise(events, duration_s, options)


def analyse_activity(
    segments: Iterable[Segment],
    duration_s: float,
    utterances: Iterable[Utterance] = (),
    options: CoreOptions | None = None,
    language: str = "en",
) -> tuple[list[Event], CallSummary]:
    facts = facts_from_segments(segments) + list(utterances)
    return analyse(facts, duration_s, options, language)
