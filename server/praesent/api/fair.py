"""Uploads analysed in the request take turns per user: when a place frees, it goes to the
waiting user served longest ago, not to whoever asked first, so one seller's ten uploads do
not hold up another seller's one. Each user's own uploads keep their order."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairGate:
    """At most ``capacity`` holders at once, handed out round robin over users."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._busy = 0
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}
        self._holding: dict[str, int] = {}
        self._served: dict[str, int] = {}  # user -> when they last got a place
        self._tick = 0

    def _grant(self, user: str) -> None:
        self._busy += 1
        self._tick += 1
        self._served[user] = self._tick
        self._holding[user] = self._holding.get(user, 0) + 1

    def _release(self, user: str) -> None:
        self._busy -= 1
        self._holding[user] -= 1
        if not self._holding[user]:
            del self._holding[user]
            if user not in self._waiting:
                self._served.pop(user, None)  # memory stays bounded by the users active now
        self._wake()

    def _wake(self) -> None:
        while self._busy < self.capacity and self._waiting:
            # dict order breaks ties: the user who started waiting first
            user = min(self._waiting, key=lambda u: self._served.get(u, 0))
            queue = self._waiting[user]
            future = queue.popleft()
            if not queue:
                del self._waiting[user]
            if not future.cancelled():
                self._grant(user)
                future.set_result(None)

    @asynccontextmanager
    async def turn(self, user: str) -> AsyncIterator[None]:
        if self._busy < self.capacity and not self._waiting:
            self._grant(user)
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(user, deque()).append(future)
            try:
                await future
            except BaseException:
                if future.done() and not future.cancelled():
                    self._release(user)  # granted, but the request went away meanwhile
                elif user in self._waiting and future in self._waiting[user]:
                    self._waiting[user].remove(future)
                    if not self._waiting[user]:
                        del self._waiting[user]
                raise
        try:
            yield
        finally:
            self._release(user)
