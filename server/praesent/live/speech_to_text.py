"""One speech-to-text queue for the whole process, shared by every live session.

Finals (a finished utterance) always go before partials (a preview of an utterance still being
spoken): a partial starts only when a worker is free and no session has a final waiting, so one
talkative session's previews never hold up another session's transcripts.
"""

from __future__ import annotations

import asyncio

import anyio
import numpy as np
import numpy.typing as npt

from praesent.asr.transcriber import Decoded, Span, Transcriber


class SpeechToText:
    def __init__(self, transcriber: Transcriber, workers: int) -> None:
        self._transcriber = transcriber
        self._workers = max(1, workers)
        self._busy = 0
        self._finals_waiting = 0
        self._changed = asyncio.Condition()
        # The worker threads are ours to count; anyio's default limiter must not cap them lower.
        self._threads = anyio.CapacityLimiter(self._workers)

    @property
    def finals_waiting(self) -> int:
        return self._finals_waiting

    async def _release(self) -> None:
        async with self._changed:
            self._busy -= 1
            self._changed.notify_all()

    async def _claim(self) -> None:
        async with self._changed:
            self._finals_waiting += 1
            try:
                await self._changed.wait_for(lambda: self._busy < self._workers)
            finally:
                self._finals_waiting -= 1
            self._busy += 1

    async def final(self, span: Span, language: str) -> Decoded:
        """The words of a finished utterance (checked: a looping decode comes back rejected)."""
        await self._claim()
        try:
            decoded = await anyio.to_thread.run_sync(
                self._transcriber.transcribe_spans, [span], language, limiter=self._threads
            )
            return decoded[0]
        finally:
            await self._release()

    async def language_probabilities(self, audio: npt.NDArray[np.float32]) -> dict[str, float]:
        """Whisper's language probabilities for finished speech (it goes with the finals)."""
        await self._claim()
        try:
            return await anyio.to_thread.run_sync(
                self._transcriber.language_probabilities, audio, limiter=self._threads
            )
        finally:
            await self._release()

    async def partial(self, audio: npt.NDArray[np.float32], language: str) -> str | None:
        """A quick preview of an open utterance, or None when a final needs the worker."""
        async with self._changed:
            if self._finals_waiting or self._busy >= self._workers:
                return None
            self._busy += 1
        try:
            return await anyio.to_thread.run_sync(
                self._transcriber.preview, audio, language, limiter=self._threads
            )
        finally:
            await self._release()
