"""A run document in the shape ``praesent analyze --format json`` prints, built from core results:
for tests, benchmarks and anyone scoring a core run without the audio pipeline."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from praesent.core.events import JsonValue, seconds, word_dict
from praesent.core.facts import Fact, SpeechStarted, SpeechStopped, Utterance
from praesent.core.summary import CallSummary

RolesFrom = Literal["channels", "attribution"]


def run_document(
    summary: CallSummary,
    facts: Iterable[Fact],
    language: str = "en",
    roles_from: RolesFrom | None = "channels",
) -> dict[str, JsonValue]:
    """The summary plus ``duration_s``, ``language``, ``roles_from``, ``segments`` (from the
    activity facts) and ``utterances``."""
    spans: list[tuple[int, str, int]] = []
    heard: list[Utterance] = []
    open_at: dict[str, int] = {}
    for fact in facts:
        if isinstance(fact, SpeechStarted):
            open_at.setdefault(fact.role, fact.sample)
        elif isinstance(fact, SpeechStopped) and fact.role in open_at:
            spans.append((open_at.pop(fact.role), fact.role, fact.sample))
        elif isinstance(fact, Utterance):
            heard.append(fact)
    segments: list[JsonValue] = [
        {"role": role, "start_s": seconds(start), "end_s": seconds(end)}
        for start, role, end in sorted(spans)
    ]
    utterances: list[JsonValue] = [
        {
            "role": u.role,
            "start_s": seconds(u.start_sample),
            "end_s": seconds(u.end_sample),
            "text": u.text,
            "words": [word_dict(w) for w in u.words],
        }
        for u in sorted(heard, key=lambda u: (u.start_sample, u.role))
    ]
    document = summary.to_dict()
    document |= {
        "duration_s": summary.duration_s,
        "language": language,
        "roles_from": roles_from,
        "segments": segments,
        "utterances": utterances,
    }
    return document
