"""Puts the speech edges of several channels into one time order, as the core needs them.

A channel's voice activity reports an edge some frames after it happened (it waits to be sure),
so edges are held until every channel has moved past them; each channel says how far with its
watermark. Ticks follow the slowest channel.
"""

from __future__ import annotations

from collections.abc import Sequence

from praesent.audio.vad import SpeechEdge
from praesent.core.facts import Fact, Role, SpeechStarted, SpeechStopped, Tick


class ActivityMerger:
    def __init__(self, roles: Sequence[Role], tick_samples: int) -> None:
        self._roles = tuple(roles)
        self._pending: list[tuple[int, int, Fact]] = []
        self._watermarks = dict.fromkeys(self._roles, 0)
        self._tick_samples = tick_samples
        self._next_tick = tick_samples

    def push(self, role: Role, edges: Sequence[SpeechEdge], watermark: int) -> None:
        order = self._roles.index(role)
        for edge in edges:
            fact: Fact = (
                SpeechStarted(role, edge.sample)
                if edge.kind == "start"
                else SpeechStopped(role, edge.sample)
            )
            self._pending.append((edge.sample, order, fact))
        self._watermarks[role] = max(self._watermarks[role], watermark)

    def release(self) -> list[Fact]:
        """Facts every channel has moved past, in time order, with ticks between them."""
        return self._release_until(self.safe_sample())

    def release_with_tick(self) -> list[Fact]:
        """Like ``release``, then a Tick at the point every channel has reached, so that what
        is due up to now (a transcript that just became known) is decided at once."""
        safe = self.safe_sample()
        facts = self._release_until(safe)
        return [*facts, Tick(safe)]

    def safe_sample(self) -> int:
        return min(self._watermarks.values())

    def finish(self, end_sample: int) -> list[Fact]:
        return self._release_until(end_sample)

    def _release_until(self, limit: int) -> list[Fact]:
        ready = [item for item in self._pending if item[0] <= limit]
        self._pending = [item for item in self._pending if item[0] > limit]
        while self._next_tick <= limit:
            ready.append((self._next_tick, len(self._roles), Tick(self._next_tick)))
            self._next_tick += self._tick_samples
        ready.sort(key=lambda item: (item[0], item[1]))
        return [fact for _, _, fact in ready]
