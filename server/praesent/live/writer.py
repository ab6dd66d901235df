"""Group commit of the live sessions' events: one transaction for what many calls decided."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import anyio

from praesent.store import EventStore, StoredEvent

_Waiting = tuple[str, Sequence[StoredEvent], asyncio.Future[None]]


class EventWriter:
    """Appends the events of every live session of the process. Whatever sessions hand in
    while a transaction runs goes into the next one, so a hundred calls commit a few times a
    second instead of once per event batch each. A caller returns once its own events are
    committed (a session publishes nothing a crash could take back); when the store refuses a
    combined transaction, each batch is tried on its own, so one session's error stays its own.
    """

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._waiting: list[_Waiting] = []
        self._writing: asyncio.Task[None] | None = None

    async def append(self, session_id: str, events: Sequence[StoredEvent]) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((session_id, events, done))
        if self._writing is None:
            self._writing = loop.create_task(self._write(), name="event-writer")
        # Like a store call in a worker thread, it cannot be cancelled halfway: whoever hands a
        # call over or finalises it relies on what was appended being stored.
        with anyio.CancelScope(shield=True):
            await done

    async def _write(self) -> None:
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await anyio.to_thread.run_sync(
                        self._store.append_many, [(sid, events) for sid, events, _ in batch]
                    )
                except Exception:  # noqa: BLE001 - each batch alone tells whose error it is
                    for session_id, events, done in batch:
                        await self._write_alone(session_id, events, done)
                else:
                    for _, _, done in batch:
                        if not done.done():
                            done.set_result(None)
        except BaseException:
            # Stopped (the loop is closing): nobody waits forever on a write that never ran.
            for _, _, done in batch + self._waiting:
                done.cancel()
            self._waiting = []
            raise
        finally:
            self._writing = None

    async def _write_alone(
        self, session_id: str, events: Sequence[StoredEvent], done: asyncio.Future[None]
    ) -> None:
        try:
            await anyio.to_thread.run_sync(self._store.append, session_id, events)
        except Exception as error:  # noqa: BLE001 - raised to the session that handed it in
            if not done.done():
                done.set_exception(error)
        else:
            if not done.done():
                done.set_result(None)
