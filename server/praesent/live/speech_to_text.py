"""One speech-to-text scheduler for the whole process, shared by every live session.

Finished utterances (finals) of every call and channel wait in one queue. A free worker takes the
oldest, and with it the oldest waiting utterance of each other call in the same language, as long
as they fit one decoder window, and decodes them in one pass: Whisper encodes 30 s of audio
whatever it holds, so several calls' utterances cost little more than one. Each utterance is
still judged on its own (``Transcriber.transcribe_spans``). Language probes queue with finals.

Previews (partials) of utterances still being spoken start only when a worker is free and
nothing waits, on the cheaper preview model where the call's language has one. A final may be
started speculatively when speech stops, before the utterance is closed: it is the same decode,
begun a few hundred milliseconds sooner, and only ever on a free worker.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import numpy as np
import numpy.typing as npt

from praesent.asr.transcriber import Decoded, Span, Transcriber
from praesent.audio import SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    # Decode waiting finals of different calls together (False: one utterance per decode).
    batch: bool = True
    # Start a final's decode when speech stops, on a free worker, before the utterance closes.
    speculate: bool = True
    # The shortest audio Whisper's encoder sees for a final or a preview (30: its whole window);
    # see ``Transcriber.transcribe_spans``.
    encoder_min_s: float = 20.0
    # Finals in these languages are decoded greedily (beam 1), the others with the transcriber's
    # beam: a final of English comes about a third sooner at the same WER (docs/benchmarks.md).
    greedy_languages: frozenset[str] = frozenset({"en"})


@dataclass(slots=True)
class _Final:
    call: str
    span: Span
    language: str
    done: asyncio.Future[Decoded] = field(repr=False)


@dataclass(slots=True)
class _Probe:
    audio: npt.NDArray[np.float32]
    done: asyncio.Future[dict[str, float]] = field(repr=False)


class SpeechToText:
    def __init__(
        self,
        transcriber: Transcriber,
        workers: int,
        options: SchedulerOptions | None = None,
        previews: dict[str, Transcriber] | None = None,
    ) -> None:
        """``previews``: a cheaper model per language for partials (e.g. tiny.en for "en");
        other languages preview with ``transcriber``."""
        self._transcriber = transcriber
        self._workers = max(1, workers)
        self.options = options or SchedulerOptions()
        self._previews = previews or {}
        self._queue: list[_Final | _Probe] = []
        self._busy = 0
        # The worker threads are ours to count; anyio's default limiter must not cap them lower.
        self._threads = anyio.CapacityLimiter(self._workers)
        self._running: set[asyncio.Task[None]] = set()
        # What the scheduler did, for the benchmark and the metrics.
        self.decodes = 0
        self.finals_decoded = 0

    @property
    def finals_waiting(self) -> int:
        return len(self._queue)

    @property
    def idle(self) -> bool:
        return not self._queue and self._busy < self._workers

    async def final(self, span: Span, language: str, call: str = "") -> Decoded:
        """The words of a finished utterance (checked: a looping decode comes back rejected)."""
        request = _Final(call, span, language, asyncio.get_running_loop().create_future())
        self._queue.append(request)
        self._dispatch()
        return await request.done

    def speculate(
        self, span: Span, language: str, call: str = ""
    ) -> asyncio.Future[Decoded] | None:
        """Decode ``span`` now if a worker is free and nothing waits; None otherwise."""
        if not self.options.speculate or not self.idle:
            return None
        request = _Final(call, span, language, asyncio.get_running_loop().create_future())
        self._queue.append(request)
        self._dispatch()
        return request.done

    async def language_probabilities(self, audio: npt.NDArray[np.float32]) -> dict[str, float]:
        """Whisper's language probabilities for finished speech (it goes with the finals)."""
        probe = _Probe(audio, asyncio.get_running_loop().create_future())
        self._queue.append(probe)
        self._dispatch()
        return await probe.done

    async def partial(self, audio: npt.NDArray[np.float32], language: str) -> str | None:
        """A quick preview of an open utterance, or None when a final needs the worker."""
        if not self.idle:
            return None
        model = self._previews.get(language, self._transcriber)
        self._busy += 1
        try:
            return await anyio.to_thread.run_sync(
                model.preview, audio, language, self.options.encoder_min_s, limiter=self._threads
            )
        finally:
            self._busy -= 1
            self._dispatch()

    def _dispatch(self) -> None:
        """Start work on free workers while work waits (on the event loop: no lock needed)."""
        self._queue = [job for job in self._queue if not job.done.cancelled()]
        while self._queue and self._busy < self._workers:
            work: Callable[[], Sequence[Any]]
            futures: list[asyncio.Future[Any]]
            head = self._queue[0]
            if isinstance(head, _Probe):
                self._queue.pop(0)
                work = functools.partial(self._probe, head.audio)
                futures = [head.done]
            else:
                finals = self._take_finals()
                spans = [job.span for job in finals]
                work = functools.partial(
                    self._transcriber.transcribe_spans,
                    spans,
                    head.language,
                    encoder_min_s=self.options.encoder_min_s,
                    beam_size=1 if head.language in self.options.greedy_languages else None,
                )
                futures = [job.done for job in finals]
                self.decodes += 1
                self.finals_decoded += len(finals)
            self._busy += 1
            task = asyncio.get_running_loop().create_task(self._run(work, futures))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    def _take_finals(self) -> list[_Final]:
        """The oldest final and, batched, the oldest of each other call in its language that
        still fit one decoder window with it."""
        head = self._queue.pop(0)
        assert isinstance(head, _Final)
        taken = [head]
        if not self.options.batch:
            return taken
        room = round(self._transcriber.options.pack_max_s * SAMPLE_RATE)
        room -= head.span.audio.shape[0]
        calls = {head.call}
        for job in list(self._queue):
            if not isinstance(job, _Final) or job.language != head.language:
                continue
            if job.call in calls or job.span.audio.shape[0] > room:
                continue
            self._queue.remove(job)
            taken.append(job)
            calls.add(job.call)
            room -= job.span.audio.shape[0]
        return taken

    def _probe(self, audio: npt.NDArray[np.float32]) -> list[dict[str, float]]:
        return [self._transcriber.language_probabilities(audio)]

    async def _run(
        self, work: Callable[[], Sequence[Any]], futures: list[asyncio.Future[Any]]
    ) -> None:
        try:
            results = await anyio.to_thread.run_sync(work, limiter=self._threads)
        except Exception as error:  # noqa: BLE001 (not swallowed: each waiting caller gets it)
            for future in futures:
                if not future.done():
                    future.set_exception(error)
        else:
            for future, value in zip(futures, results, strict=True):
                if not future.done():
                    future.set_result(value)
        finally:
            self._busy -= 1
            self._dispatch()
