"""Ticked calls decide on their audio in rounds that share one inference of voice activity.

``decide_together`` is synchronous: every call's audio up to the voice activity, one
``BatchedVad`` inference for all their channels, then every call's decisions; the same events
as each call's own ``CallState.flush``. ``AudioRounds`` is its async shell: a call that is due
waits for the next round, which starts as soon as an audio thread is free and takes every call
waiting by then, so the busier the server, the more channels one inference steps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import anyio

from praesent.audio.vad_batch import BatchedVad, VadRequest
from praesent.core.events import Event
from praesent.live.call_state import CallState, FinalJob

Decided = tuple[list[Event], list[FinalJob]]


def decide_together(vad: BatchedVad, states: Sequence[CallState]) -> list[Decided | Exception]:
    """Each call's ``flush``, in order; a call that fails gets its error, the others go on."""
    prepared: list[list[VadRequest] | Exception | None] = []
    for state in states:
        try:
            prepared.append(state.prepare())
        except Exception as error:  # noqa: BLE001 - one call's failure is its own, as alone
            prepared.append(error)
    requests = [request for item in prepared if isinstance(item, list) for request in item]
    probabilities = iter(vad.probabilities_many(requests))
    results: list[Decided | Exception] = []
    for state, item in zip(states, prepared, strict=True):
        if isinstance(item, Exception):
            results.append(item)
            continue
        if item is None:
            results.append(([], []))
            continue
        heard = [next(probabilities) for _ in item]
        try:
            results.append(state.complete(heard))
        except Exception as error:  # noqa: BLE001 - one call's failure is its own, as alone
            results.append(error)
    return results


class AudioRounds:
    """Rounds on the audio threads; one round per free thread at a time."""

    def __init__(self, vad: BatchedVad, threads: anyio.CapacityLimiter) -> None:
        self._vad = vad
        self.threads = threads
        self._waiting: list[tuple[CallState, asyncio.Future[Decided]]] = []
        self._runners = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def decide(self, state: CallState) -> Decided:
        """``state.flush()`` in the next round. Like a thread's work, it is not cancelled half
        way: the caller waits for its round (the call's state is not left mid-decision)."""
        future: asyncio.Future[Decided] = asyncio.get_running_loop().create_future()
        self._waiting.append((state, future))
        if self._runners < self.threads.total_tokens:
            # Counted from here until the runner has nothing left, with no await in between
            # its last look at the waiting calls and its leaving.
            self._runners += 1
            task = asyncio.create_task(self._run(), name="audio-rounds")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        with anyio.CancelScope(shield=True):
            decided = await future
        return decided

    async def _run(self) -> None:
        try:
            while self._waiting:
                async with self.threads:
                    batch, self._waiting = self._waiting, []
                    if batch:
                        await self._round(batch)
        finally:
            self._runners -= 1

    async def _round(self, batch: list[tuple[CallState, asyncio.Future[Decided]]]) -> None:
        states = [state for state, _ in batch]
        try:
            results: Sequence[Decided | Exception] = await anyio.to_thread.run_sync(
                decide_together, self._vad, states
            )
        except Exception as error:  # noqa: BLE001 - handed to every caller
            results = [error] * len(batch)
        except BaseException:
            for _, future in batch:
                if not future.done():
                    future.set_exception(RuntimeError("the audio round was stopped"))
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
