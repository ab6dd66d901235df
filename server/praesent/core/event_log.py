"""Rebuild core events from their logged dictionaries, so a stored log can be summarised again.

A logged event is ``event.to_dict()`` plus the exact ``sample``; times given in seconds
(``end_s``, ``evidence_s``) are turned back into samples. Entries that are not core events
(ready, partial transcripts, errors, final) give None.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from praesent.core import events as core_events
from praesent.core.events import Event
from praesent.core.facts import Word, to_samples

_CLASSES: dict[str, type[Any]] = {
    cls.type: cls
    for cls in (
        core_events.Activity,
        core_events.Floor,
        core_events.Turn,
        core_events.Balance,
        core_events.Backchannel,
        core_events.Interruption,
        core_events.EarlyStart,
        core_events.Overlap,
        core_events.Transcript,
        core_events.Question,
        core_events.ShortAnswer,
        core_events.Misunderstanding,
        core_events.Focus,
        core_events.Cue,
        core_events.CueOutcome,
        core_events.Topic,
    )
}


def event_classes() -> list[type[Any]]:
    """Every core event class, in catalogue order."""
    return list(_CLASSES.values())


def _words(items: list[dict[str, Any]]) -> tuple[Word, ...]:
    return tuple(
        Word(
            item["text"],
            to_samples(item["start_s"]),
            to_samples(item["end_s"]),
            item.get("probability", 1.0),
        )
        for item in items
    )


def event_from_dict(data: dict[str, Any]) -> Event | None:
    cls = _CLASSES.get(data.get("type", ""))
    if cls is None:
        return None
    values: dict[str, Any] = {}
    for field in fields(cls):
        name = field.name
        if name == "sample":
            values[name] = data["sample"] if "sample" in data else to_samples(data["at_s"])
        elif name == "words":
            values[name] = _words(data.get("words", []))
        elif name.endswith("_sample"):
            seconds = data.get(name[: -len("_sample")] + "_s")
            values[name] = None if seconds is None else to_samples(seconds)
        elif name in data:
            value = data[name]
            values[name] = tuple(value) if isinstance(value, list) else value
    event: Event = cls(**values)
    return event
