"""Which server process runs each live session: one lease per session, so that a call runs in
one place at a time, a replica that starts leaves the others' calls alone, and a call whose
replica stopped or died goes on in another.

One process alone (``Leases``) holds everything it runs and nothing else exists. Across
replicas (``praesent.live.redis_leases``) a lease is a Redis key naming the replica, renewed
while the call runs and gone a few seconds after its replica died; a replica that is asked to
continue a call held elsewhere asks the holder over pub/sub to hand it over, and takes the
lease once it is free. The store's seq check stays the last word should two processes ever
write one log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

# Called with a session this process holds that another one asked for.
HandOver = Callable[[str], Awaitable[None]]


class LeaseUnavailableError(Exception):
    """Whether another process holds the session cannot be told now (Redis is down)."""


class Leases:
    """One process: it runs every session it holds, and no other process exists."""

    def __init__(self) -> None:
        self.held: set[str] = set()
        self._hand_over: HandOver | None = None

    async def start(self, hand_over: HandOver) -> None:
        self._hand_over = hand_over

    async def claim(self, session_id: str) -> bool:
        """Hold the session; False while another process holds it."""
        self.held.add(session_id)
        return True

    async def hold_new(self, session_id: str) -> None:
        """Hold a session that was just created (nobody else can know it yet)."""
        self.held.add(session_id)

    async def release(self, session_id: str) -> None:
        self.held.discard(session_id)

    async def held_elsewhere(self, session_ids: Iterable[str]) -> set[str]:
        """Which of these sessions another process holds (raises LeaseUnavailableError)."""
        return set()

    async def take_over(self, session_id: str, wait_s: float) -> bool:
        """Hold the session, asking its holder to hand it over; False if it did not within
        ``wait_s``."""
        return await self.claim(session_id)

    async def aclose(self) -> None:
        self.held.clear()
