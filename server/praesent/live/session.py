"""One live call: audio frames in, numbered events out.

``LiveSession`` is the thin async shell around ``CallState`` (``live/call_state.py``), which
decides every event: it runs speech-to-text off the event loop in the process-wide bounded
pool, numbers and stores the events and publishes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import numpy as np

from praesent.analysis import analysis_from_events
from praesent.asr.language import CallLanguage, Detection, LanguageChange
from praesent.asr.transcriber import Decoded
from praesent.audio import SAMPLE_RATE
from praesent.core.events import Event
from praesent.core.facts import Role
from praesent.engines import Engines
from praesent.live.call_state import CallState, FinalJob, PartialJob
from praesent.live.protocol import Samples, StartMessage, StreamFormat
from praesent.live.resume import Continuation
from praesent.live.speech_to_text import SpeechToText
from praesent.live.stored_log import gap_span
from praesent.speakers.own_speech import OwnSpeech

if TYPE_CHECKING:
    from praesent.live.rounds import AudioRounds

log = logging.getLogger(__name__)

LoggedEvent = dict[str, Any]
_T = TypeVar("_T")
# While every audio thread is busy, a ticked call waits for more of its audio, up to this many
# ticks, and decides on it at once: a tick's fixed cost is a large part of a call's CPU, and what
# is decided does not depend on where ticks fall.
_BUSY_TICKS = 4


Persist = Callable[[list[LoggedEvent]], Awaitable[None]]
Publish = Callable[[list[LoggedEvent]], None]


class LiveSession:
    """The async shell of one call. All methods run on the event loop."""

    def __init__(
        self,
        session_id: str,
        start: StartMessage,
        stream: StreamFormat,
        engines: Engines,
        speech_to_text: SpeechToText,
        persist: Persist,
        publish: Publish,
        first_seq: int = 1,
        history: Sequence[Event] = (),
        start_s: float = 0.0,
        seller_speech_limit: int = 0,
        tick_ms: int = 0,
        audio_threads: anyio.CapacityLimiter | None = None,
        language_prior: str | None = None,
        rounds: AudioRounds | None = None,
    ) -> None:
        """``history`` and ``start_s`` continue a lost session: its events so far, and the audio
        time at which this session's own audio begins. ``seller_speech_limit``: how many samples
        of the seller's own speech to keep for their voice profile (0: none). ``tick_ms``: a
        call without transcripts decides on its audio once per this much (0: per message), or
        on up to ``_BUSY_TICKS`` of it while every audio thread is busy; a call with
        transcripts always per message, where a final's latency counts. A ticked call
        decides on worker threads of ``audio_threads`` (onnxruntime and numpy's FFTs release the
        GIL), so the event loop goes on serving the sockets meanwhile. ``language_prior``: the
        seller's saved language (``CallLanguage``). ``rounds``: where ticked calls decide
        together, one inference of voice activity for all their channels (on its threads, which
        then stand for ``audio_threads``); None: each call on its own."""
        self.id = session_id
        self.start = start
        setting = start.language or "auto"
        # With "auto", finals go out in the best guess until enough speech decided the language.
        self._language = CallLanguage(setting, prior=language_prior)
        # Whether an utterance went out before the decision (the call's end then decides).
        self._guessed = False
        # Transcripts sent while a later detection may still correct the language: (seq, the
        # language they were transcribed in).
        self._provisional: list[tuple[int, str]] = []
        self.asr_rejected = 0
        self._stt = speech_to_text
        self._persist = persist
        self._publish = publish
        seller_speech = OwnSpeech(seller_speech_limit) if seller_speech_limit > 0 else None
        tick = 0 if start.transcribe else round(tick_ms * SAMPLE_RATE / 1000)
        self._state = CallState(
            engines.vad, stream, setting, seller_speech, tick, fused=engines.fused
        )
        self._rounds = rounds if tick > 0 else None
        self._threads = (rounds.threads if rounds is not None else audio_threads) if tick else None
        self._busy_samples = tick * _BUSY_TICKS
        # A ticked call's state is worked on in a thread: one piece of work at a time.
        self._state_lock = asyncio.Lock()
        self._seq = first_seq - 1
        self._log: list[Event] = list(history)
        self._continuation = Continuation.after(history, round(start_s * SAMPLE_RATE))
        # Stretches of the call this session never heard (from_s, to_s), for the analysis.
        self.gaps: list[dict[str, float]] = []
        self.warnings: list[LoggedEvent] = []  # logged ``warning`` events, for the analysis
        self._finals: deque[FinalJob] = deque()
        # How many of ``_finals``, from the oldest, the language rule has heard already.
        self._listened = 0
        self._finals_ready = asyncio.Event()
        # Per channel, a final decode started when its speech stopped: (start, end, language).
        self._speculated: dict[Role, tuple[tuple[int, int, str], asyncio.Future[Decoded]]] = {}
        self._partial_task: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._closing = False
        # Every utterance of the ended call is queued: the count of those left only falls.
        self._all_queued = False
        # Handed over to another process: nothing more goes into the log from here.
        self._released = False
        self._emit_lock = asyncio.Lock()

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def audio_s(self) -> float:
        return (self._state.samples + self._continuation.offset) / SAMPLE_RATE

    @property
    def received_s(self) -> float:
        """The call's audio this session has taken in, decided on or not yet."""
        return (self._state.received + self._continuation.offset) / SAMPLE_RATE

    @property
    def roles(self) -> tuple[Role, ...]:
        return self._state.roles

    @property
    def language(self) -> str | None:
        """The call's language now; None while it is still being detected."""
        return self._language.language

    @property
    def language_setting(self) -> str:
        """ "auto" while detection decides, else the pinned language."""
        return self._language.setting

    @property
    def language_changes(self) -> list[dict[str, object]]:
        return [self._shifted(change) for change in self._language.changes]

    def begin(self) -> None:
        self._worker = asyncio.create_task(self._transcribe_finals(), name=f"asr-{self.id}")

    async def emit_extra(self, event: LoggedEvent, *, publish: bool = True) -> LoggedEvent:
        """A transport-level event (ready, metrics of the lag, partial transcripts). Without
        ``publish`` it is only logged; ``publish_logged`` sends it later."""
        async with self._emit_lock:
            return await self._log_extra(event, publish)

    async def _log_extra(self, event: LoggedEvent, publish: bool = True) -> LoggedEvent:
        """``emit_extra`` with the emit lock held."""
        assert self._emit_lock.locked()
        if self._released:
            return event
        self._seq += 1
        logged = {"seq": self._seq, **event}
        if event["type"] == "gap":
            self.gaps.append(gap_span(event))
        if event["type"] == "warning":
            self.warnings.append(logged)
        await self._persist([logged])
        if publish:
            self._publish([logged])
        return logged

    def publish_logged(self, logged: LoggedEvent) -> None:
        self._publish([logged])

    async def _emit(self, events: Sequence[Event], provisional: str | None = None) -> None:
        """``provisional``: transcripts among ``events`` are in this language, still under review
        (guessed, or detected and not yet confirmed)."""
        if not events:
            return
        async with self._emit_lock:
            if self._released:
                return
            logged: list[LoggedEvent] = []
            heard_s = round(self.audio_s, 3)
            for event in map(self._continuation.shift, events):
                self._seq += 1
                self._log.append(event)
                entry = {"seq": self._seq, **event.to_dict(), "sample": event.sample}
                # How much audio the server had heard when it decided: shows lag and latency.
                entry["heard_s"] = heard_s
                if event.type == "balance":
                    entry["asr_lag_s"] = round(self.lag_s(), 3)
                    entry["asr_queued"] = len(self._finals)
                if event.type == "transcript":
                    entry["provisional"] = provisional is not None
                    if provisional is not None:
                        self._provisional.append((self._seq, provisional))
                logged.append(entry)
            await self._persist(logged)
            self._publish(logged)

    async def feed_audio(self, channels: Sequence[Samples]) -> None:
        await self._feed(functools.partial(self._state.buffer, channels))

    async def feed_pcm(self, data: bytes) -> None:
        """A message of interleaved s16le audio as the client sent it (checked)."""
        await self._feed(functools.partial(self._state.buffer_pcm, data))

    async def _feed(self, buffer: Callable[[], bool]) -> None:
        if self._threads is None:
            events, jobs = self._state.flush() if buffer() else ([], [])
        else:
            async with self._state_lock:
                if not buffer() or (
                    self._threads.available_tokens == 0
                    and self._state.pending_samples < self._busy_samples
                ):
                    return
                events, jobs = await self._decide()
        await self._emit(events)
        change = self._state.echo_change()
        if change is not None:
            # Once when the echo is found, and again only after it has gone.
            heard, delay_ms = change
            at_s = round(self.audio_s, 3)
            warning = {"type": "warning", "kind": "echo", "at_s": at_s, "active": heard}
            if delay_ms is not None:
                warning["delay_ms"] = round(delay_ms)
            await self.emit_extra(warning)
        voices = self._state.voices_change()
        if voices is not None:
            at_s = round(self.audio_s, 3)
            await self.emit_extra(
                {"type": "warning", "kind": "voices", "at_s": at_s, "active": voices}
            )
        self._queue_finals(jobs)
        self._speculate()
        self._maybe_partial()

    def _speculate(self) -> None:
        """Start the final of an utterance whose speech just stopped, where a worker is free:
        if the speech does not resume, its words are ready sooner by the join gap and by
        whatever would have been queued meanwhile."""
        if not self.start.transcribe or self._closing:
            return
        tentative = self._state.tentative_jobs()
        language = self.language
        if language is None or self._finals:
            return
        for job in tentative:
            started = self._stt.speculate(job.span, language, self.id)
            if started is not None:
                key = (job.span.start_sample, job.span.end_sample, language)
                self._speculated[job.role] = (key, started)

    async def _decide(self) -> tuple[list[Event], list[FinalJob]]:
        """A ticked call's ``flush``: in the next round where calls decide together."""
        if self._rounds is not None:
            return await self._rounds.decide(self._state)
        return await self._in_thread(self._state.flush)

    async def _in_thread(self, work: Callable[[], _T]) -> _T:
        assert self._threads is not None and self._state_lock.locked()
        return await anyio.to_thread.run_sync(work, limiter=self._threads)

    async def _work(self, work: Callable[[], _T]) -> _T:
        """State work beside feeding audio: in turn with it, where a ticked call's is done."""
        if self._threads is None:
            return work()
        async with self._state_lock:
            return await self._in_thread(work)

    async def flush(self) -> None:
        """Decide on the audio buffered for the tick (see ``CallState.flush``)."""
        if self._threads is None:
            events, jobs = self._state.flush()
        else:
            async with self._state_lock:
                events, jobs = await self._decide()
        await self._emit(events)
        self._queue_finals(jobs)

    async def feed_silence(self, seconds: float) -> None:
        """Audio the server never got (a dropped connection): silence keeps the time line."""
        rate = self.start.sample_rate
        left = round(seconds * rate)
        while left > 0:
            take = min(rate // 10, left)
            await self.feed_audio([np.zeros(take, np.float32) for _ in self._state.roles])
            left -= take

    async def feed_focus(self, focused: bool) -> None:
        await self.flush()
        await self._emit(await self._work(lambda: self._state.feed_focus(focused)))

    async def pin_language(self, setting: str) -> None:
        """The seller's choice mid-call, for what follows: a language, or "auto" again."""
        await self.flush()
        change = self._language.pin(setting, self._state.samples)
        if change is not None:
            await self._announce(change)

    def _shifted(self, change: LanguageChange) -> dict[str, object]:
        return {
            **change.to_dict(),
            "at_s": round((change.sample + self._continuation.offset) / SAMPLE_RATE, 3),
        }

    async def _announce(self, change: LanguageChange | None) -> None:
        if change is not None:
            event: LoggedEvent = {"type": "language", **self._shifted(change)}
            # The provisional transcripts in another language that a decision or a correction
            # overrules (they stay as they were sent); a pin is for what follows only.
            revised = [seq for seq, language in self._provisional if language != change.language]
            if change.source == "corrected" or (change.source == "detected" and revised):
                event["revises"] = revised
            # Those in the decided language stay under review (a correction may still come).
            self._provisional = [p for p in self._provisional if p[1] == change.language]
            await self.emit_extra(event)
        if not self._language.listening:
            self._provisional = []

    def _queue_finals(self, jobs: list[FinalJob]) -> None:
        if jobs and self.start.transcribe:
            self._finals.extend(jobs)
            self._finals_ready.set()

    def lag_s(self) -> float:
        """How far speech-to-text is behind the audio: the oldest waiting utterance's age."""
        waiting = list(self._finals)[:1]
        if not waiting:
            return 0.0
        return max(0.0, self.audio_s - waiting[0].span.end_sample / SAMPLE_RATE)

    def _maybe_partial(self) -> None:
        # Partials are the first thing dropped: only when nothing final waits and no partial runs.
        language = self._language.guess
        if self._finals or self._closing or not self.start.transcribe or language is None:
            return
        if self._partial_task is not None and not self._partial_task.done():
            return
        if self._stt.finals_waiting:
            return
        job = self._state.partial_due()
        if job is not None:
            self._partial_task = asyncio.create_task(self._run_partial(job, language))

    async def _run_partial(self, job: PartialJob, language: str) -> None:
        text = await self._stt.partial(job.audio, language)
        if text and not self._closing:
            await self.emit_extra(
                {
                    "type": "transcript_partial",
                    "at_s": round((job.start_sample + self._continuation.offset) / SAMPLE_RATE, 3),
                    "role": job.role,
                    "text": text,
                }
            )

    async def _transcribe_finals(self) -> None:
        while True:
            await self._finals_ready.wait()
            while self._finals:
                # While the language is undecided, every waiting utterance counts for it before
                # the oldest is decoded: the decision is not held up by decoding the words before
                # it. Once decided, one at a time, so a correction applies to what follows it.
                while self._listened < len(self._finals) and (
                    self._listened == 0 or self.language is None
                ):
                    await self._listen(self._finals[self._listened])
                    self._listened += 1
                await self._transcribe(self._finals[0])
                # No await between its transcript being logged and this: ``_report_left``
                # counts the queue under the emit lock.
                self._finals.popleft()
                self._listened -= 1
                await self._report_left()
            self._finals_ready.clear()
            if self._closing and self.language is None and self._guessed:
                # Speech went out before enough of it decided: decide on what there is.
                await self._detect(self._language.pending(self._state.samples))
                await self._announce(self._language.finish(self._state.samples))
            if self._closing:
                return

    async def _listen(self, job: FinalJob) -> None:
        """The same rule as ``analyze``, fed the same finished utterances in the same order."""
        await self._detect(self._language.listen(job.span.audio, job.span.end_sample))

    async def _detect(self, detection: Detection | None) -> None:
        if detection is None:
            return
        probabilities = await self._stt.language_probabilities(detection.audio)
        await self._announce(
            self._language.add(probabilities, detection.speech_s, detection.sample)
        )

    async def _report_left(self) -> None:
        """After the audio has ended: what speech-to-text still has to do, so that the page
        says "finishing the transcript" with progress rather than "Live"."""
        if not self._all_queued or not self.start.transcribe or self._released:
            return
        # Counted under the emit lock: an utterance whose transcript is being logged is either
        # still counted with its transcript after this, or already gone from the queue.
        async with self._emit_lock:
            waiting = list(self._finals)
            speech = sum(job.span.end_sample - job.span.start_sample for job in waiting)
            await self._log_extra(
                {
                    "type": "finishing",
                    "at_s": round(self.audio_s, 3),
                    "utterances_left": len(waiting),
                    "speech_left_s": round(speech / SAMPLE_RATE, 3),
                }
            )

    async def _transcribe(self, job: FinalJob) -> None:
        """The utterance's final transcript: in the call's language, or while it is undecided in
        the best guess so far (sent at once and provisional, rather than held back)."""
        if self.language is None:
            self._guessed = True
            if self._language.guess is None:
                # Before any detection counted: this utterance's own probabilities, a guess.
                self._language.hint(await self._stt.language_probabilities(job.span.audio))
        language = self._language.guess or self._language.options.candidates[0]
        key = (job.span.start_sample, job.span.end_sample, language)
        speculated = self._speculated.get(job.role)
        if speculated is not None and speculated[0] == key:
            del self._speculated[job.role]
            decoded = await speculated[1]
        else:
            decoded = await self._stt.final(job.span, language, self.id)
        self.asr_rejected += decoded.rejected
        await self.flush()
        events = self._state.feed_words(job.role, job.span, decoded.words, language)
        # Guessed, or decided by detection and still under review: a later batch may correct it.
        await self._emit(events, provisional=language if self._language.listening else None)

    async def finish(self) -> dict[str, Any]:
        """Flush every channel, wait for the last transcripts, close the core; the analysis."""
        self._closing = True
        events, jobs = await self._work(self._state.finish)
        await self._emit(events)
        self._queue_finals(jobs)
        self._all_queued = True
        await self._report_left()
        self._finals_ready.set()
        if self._partial_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._partial_task
        if self._worker is not None:
            await self._worker
        await self._emit(self._state.close())
        language = self.language or "unknown"
        analysis = analysis_from_events(self._log, self.audio_s, language)
        analysis["language_changes"] = self.language_changes
        analysis["asr_rejected"] = self.asr_rejected
        return analysis

    def take_seller_speech(self) -> list[Samples]:
        """The seller's own speech collected in the call (after ``finish``), handed over once."""
        collected = self._state.seller_speech
        return [] if collected is None else collected.take()

    async def release(self) -> None:
        """Store what the audio so far decided and stop: another process continues the call
        from the log. Transcripts still being worked on are left out."""
        try:
            await self.flush()
        finally:
            async with self._emit_lock:
                self._released = True
            await self.abort()

    async def abort(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        if self._partial_task is not None:
            self._partial_task.cancel()
