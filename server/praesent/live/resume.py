"""Carrying a call on in a new session after the server lost it (a restart, a crash).

The new session continues the old one's log: it starts with the old events (same seqs, so a
client resuming after its last seq sees nothing twice), then a ``gap`` event for the audio nobody
heard, then its own events. Its conversation core starts afresh at the client's audio time, so
its events are shifted onto the call's time line and their ids moved past the old ones'; the
analysis of the whole log then covers the call minus the gap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from praesent.core.events import Cue, CueOutcome, Event, Transcript
from praesent.core.facts import Word

_INT_IDS = ("contribution_id", "topic_id")


@dataclass(frozen=True, slots=True)
class Continuation:
    """Where a continued session's own events go: ``offset`` samples later, ids from
    ``id_base`` on."""

    offset: int
    id_base: int

    @classmethod
    def after(cls, history: Sequence[Event], offset: int) -> Continuation:
        ids = [
            int(getattr(event, name))
            for event in history
            for name in _INT_IDS
            if isinstance(getattr(event, name, None), int)
        ]
        # A new call (no history) keeps the core's own times and ids.
        return cls(offset, max(ids) + 1 if ids else 0)

    def shift(self, event: Event) -> Event:
        if self.offset == 0 and self.id_base == 0:
            return event
        changes: dict[str, object] = {"sample": event.sample + self.offset}
        for field in dataclasses.fields(event):
            value = getattr(event, field.name)
            if field.name.endswith("_sample") and isinstance(value, int):
                changes[field.name] = value + self.offset
            elif field.name in _INT_IDS and isinstance(value, int):
                changes[field.name] = value + self.id_base
        if isinstance(event, Cue | CueOutcome) and self.offset:
            changes["cue_id"] = f"{event.cue_id}+{self.offset}"
        if isinstance(event, Transcript):
            changes["words"] = tuple(
                Word(
                    w.text, w.start_sample + self.offset, w.end_sample + self.offset, w.probability
                )
                for w in event.words
            )
        return dataclasses.replace(event, **changes)  # type: ignore[arg-type]
