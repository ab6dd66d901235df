"""Hand-built timelines for the core's tests: seconds in, facts and events out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest

from praesent.core import CoreOptions, analyse, analyse_activity
from praesent.core.events import Event
from praesent.core.facts import Fact, Role, Utterance, Word, to_samples
from praesent.core.summary import CallSummary

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("PRAESENT_SHARED_DATA", ROOT.parent / "shared" / "data"))

E = TypeVar("E")


def shared_file(relative: str) -> Path:
    """A shared reference file; missing data fails the test loudly, it never skips."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (set PRAESENT_SHARED_DATA)", pytrace=False)
    return path


def s(seconds: float) -> int:
    return to_samples(seconds)


def role_of(name: str) -> Role:
    if name == "seller":
        return "seller"
    if name == "customer":
        return "customer"
    raise ValueError(name)


def seg(role: str, start: float, end: float) -> tuple[Role, int, int]:
    return role_of(role), s(start), s(end)


def utt(role: str, start: float, end: float, text: str, timed: bool = True) -> Utterance:
    """An utterance whose words share its span evenly (or no word times when not ``timed``)."""
    parts = text.split()
    words: tuple[Word, ...] = ()
    if timed and parts:
        step = (end - start) / len(parts)
        words = tuple(
            Word(p, s(start + i * step), s(start + (i + 1) * step), 0.9)
            for i, p in enumerate(parts)
        )
    return Utterance(role_of(role), s(start), s(end), text, words)


def run(
    segments: Iterable[tuple[str, float, float]],
    duration: float,
    utterances: Sequence[Utterance] = (),
    options: CoreOptions | None = None,
    language: str = "en",
) -> tuple[list[Event], CallSummary]:
    return analyse_activity(
        [seg(r, a, b) for r, a, b in segments], duration, utterances, options, language
    )


def run_facts(
    facts: Iterable[Fact], duration: float, options: CoreOptions | None = None, language: str = "en"
) -> tuple[list[Event], CallSummary]:
    return analyse(facts, duration, options, language)


def of_type(events: Iterable[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def latest(events: Iterable[Event], kind: type[E]) -> list[E]:
    """Contribution events of ``kind`` as a view of the log shows them (last per id)."""
    by_id: dict[int, Event] = {}
    for e in events:
        cid = getattr(e, "contribution_id", None)
        if cid is not None:
            by_id[cid] = e
    return [e for e in by_id.values() if isinstance(e, kind)]
