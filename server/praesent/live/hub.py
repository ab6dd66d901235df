"""In-process fan-out of a session's logged events to its observers.

Each observer has a bounded queue; one that falls too far behind is cut off (it can resume
from its last sequence number) instead of making the session wait or memory grow.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

LoggedEvent = dict[str, Any]


@dataclass(eq=False, slots=True)
class Subscription:
    session_id: str
    queue: asyncio.Queue[LoggedEvent | None]
    overflowed: bool = False
    closed: bool = False

    async def next(self) -> LoggedEvent | None:
        """The next event, or None once the session ended or this observer fell behind."""
        if self.overflowed:
            return None
        return await self.queue.get()


@dataclass(slots=True)
class EventHub:
    queue_size: int = 2048
    _subscribers: dict[str, set[Subscription]] = field(default_factory=lambda: defaultdict(set))

    def subscribe(self, session_id: str) -> Subscription:
        subscription = Subscription(session_id, asyncio.Queue(maxsize=self.queue_size))
        self._subscribers[session_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers[subscription.session_id].discard(subscription)
        if not self._subscribers[subscription.session_id]:
            del self._subscribers[subscription.session_id]

    def publish(self, session_id: str, events: list[LoggedEvent]) -> None:
        for subscription in list(self._subscribers.get(session_id, ())):
            for event in events:
                try:
                    subscription.queue.put_nowait(event)
                except asyncio.QueueFull:
                    subscription.overflowed = True
                    self._wake(subscription)
                    break

    def end(self, subscription: Subscription) -> None:
        """End one observer's stream now (its access was withdrawn)."""
        subscription.closed = True
        self._wake(subscription)

    def close(self, session_id: str) -> None:
        """The session ended: every observer's ``next`` returns None after the last event."""
        for subscription in list(self._subscribers.get(session_id, ())):
            subscription.closed = True
            self._wake(subscription)

    @staticmethod
    def _wake(subscription: Subscription) -> None:
        try:
            subscription.queue.put_nowait(None)
        except asyncio.QueueFull:
            # The observer is cut off anyway; ``next`` sees ``overflowed`` first.
            subscription.overflowed = True
