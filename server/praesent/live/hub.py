"""Fan-out of a session's logged events to its observers: in-process here; across replicas
``praesent.live.relay`` adds Redis to it.

Each observer has a bounded queue; one that falls too far behind is cut off (it can resume
from its last sequence number) instead of making the session wait or memory grow. Events are
published only after they are stored, so an observer that misses some can read them back.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

LoggedEvent = dict[str, Any]


class RelayError(Exception):
    """The relay that carries events between replicas cannot be reached."""


@dataclass(eq=False, slots=True)
class Subscription:
    session_id: str
    queue: asyncio.Queue[LoggedEvent | None]
    overflowed: bool = False
    closed: bool = False
    # Follows a session that runs on another replica (events come through the relay).
    remote: bool = False
    # The relay between replicas broke: events may be missing from here on.
    lost: bool = False
    # The session went on in another process: its events come through the relay from now.
    moved: bool = False

    async def next(self) -> LoggedEvent | None:
        """The next event, or None once the session ended, this observer fell behind, the
        relay that carried its events broke or the session moved to another process."""
        if self.overflowed or self.lost or self.moved:
            return None
        return await self.queue.get()


@dataclass(slots=True)
class EventHub:
    """The in-process hub: observers of the sessions this process runs."""

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

    async def follow(self, session_id: str) -> Subscription | None:
        """Subscribe to a session that runs in another process; None: this hub reaches no
        other process (the session's stored log is all an observer gets). Raises
        ``RelayError`` when the relay between processes is down."""
        return None

    async def aclose(self) -> None:
        """Release what the hub holds beyond this process (nothing here)."""

    def publish(self, session_id: str, events: list[LoggedEvent]) -> None:
        self._deliver(self._subscribers.get(session_id, ()), events)

    def _deliver(self, subscriptions: Iterable[Subscription], events: list[LoggedEvent]) -> None:
        for subscription in list(subscriptions):
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

    def move(self, session_id: str) -> None:
        """The session goes on in another process: its observers here stop taking events from
        this hub (``moved``) and follow it through the relay."""
        for subscription in list(self._subscribers.get(session_id, ())):
            subscription.moved = True
            self._wake(subscription)

    @staticmethod
    def _wake(subscription: Subscription) -> None:
        try:
            subscription.queue.put_nowait(None)
        except asyncio.QueueFull:
            # The observer is cut off anyway; ``next`` sees ``overflowed`` first.
            subscription.overflowed = True
