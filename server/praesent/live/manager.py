"""The live sessions of one server process: start, take over from another process, hand over,
finalise, and finalise the calls nobody came back for.

The store is synchronous (SQLAlchemy); every call goes to a worker thread so the event loop
never waits on the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from praesent import logs
from praesent.analysis import warning_spans
from praesent.audio import SAMPLE_RATE
from praesent.audio.vad_batch import BatchedVad
from praesent.core.event_log import event_from_dict
from praesent.engines import Engines
from praesent.live.hub import EventHub, LoggedEvent
from praesent.live.leases import Leases, LeaseUnavailableError
from praesent.live.protocol import (
    CLOSE_INVALID_DATA,
    CLOSE_POLICY,
    CLOSE_TRY_AGAIN,
    ProtocolError,
    ResumeRequest,
    Samples,
    StartMessage,
    StreamFormat,
)
from praesent.live.rounds import AudioRounds
from praesent.live.session import LiveSession
from praesent.live.speech_to_text import SpeechToText
from praesent.live.stored_log import (
    analysis_from_log,
    gap_event,
    gap_span,
    logged,
    speech_cut_at,
    to_stored,
)
from praesent.live.writer import EventWriter
from praesent.speakers.profiles import MAX_SAMPLE_SPEECH_S
from praesent.store import (
    Customer,
    EventStore,
    FinalStatus,
    SessionRecord,
    StoredEvent,
    StoreError,
)
from praesent.summaries_llm import LlmOptions, with_abstractive_summaries

log = logging.getLogger(__name__)
# A resumed session fills at most this much audio it never got with silence; a longer gap stays a
# gap (the session's time line then runs behind the call's by the rest).
_MAX_SILENCE_FILL_S = 120.0
# How long a resumed call waits for the process that holds it to hand it over (a dead one's
# lease runs out within 5 s).
TAKE_OVER_WAIT_S = 8.0

# Adds a seller's own speech of a call to their voice profile (blocking; None: too little).
VoiceLearner = Callable[[str, list[Samples]], object]


@dataclass(frozen=True, slots=True)
class Attached:
    """A connection's session; ``skip_s``: the audio the client resends that the session
    heard already (the client cannot know where its last connection was cut)."""

    session: LiveSession
    skip_s: float = 0.0


@dataclass(slots=True)
class SessionManager:
    store: EventStore
    engines: Engines
    speech_to_text: SpeechToText
    hub: EventHub = field(default_factory=EventHub)
    live: dict[str, LiveSession] = field(default_factory=dict)
    # Abstractive topic summaries for the stored analysis, when an endpoint is configured.
    llm: LlmOptions | None = None
    # How long a session whose client vanished waits to be resumed before it is finalised.
    resume_grace_s: float = 30.0
    # Live calls of a known seller add to the seller's voice profile when this is set.
    learn_voice: VoiceLearner | None = None
    # A call without transcripts decides on its audio once per this much (0: per message).
    tick_ms: int = 0
    # Threads that decide on ticked calls' audio (see LiveSession): about one per core.
    audio_threads: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(2))
    # Ticked calls decide in rounds that step all their channels' voice activity in one
    # inference (live/rounds.py); False: each call on its own, per channel.
    vad_batch: bool = True
    # Which process runs each live session (across replicas: Redis).
    leases: Leases = field(default_factory=Leases)
    # The connection that feeds each live session; a resuming client takes a session over.
    _owners: dict[str, object] = field(default_factory=dict)
    # Sessions live in the store that no process runs: since when (monotonic) this one knows.
    _orphans: dict[str, float] = field(default_factory=dict)
    _expiring: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Whose voice profile each live session adds to.
    _voice_sellers: dict[str, str] = field(default_factory=dict)
    # One embedding at a time: call ends queue up rather than crowd out speech-to-text.
    _voice_threads: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(1))
    # The live sessions' events, committed together.
    _writer: EventWriter = field(init=False)

    _rounds: AudioRounds | None = field(init=False)

    def __post_init__(self) -> None:
        self._writer = EventWriter(self.store)
        self._rounds = None
        if self.vad_batch and self.tick_ms > 0:
            vad = self.engines.vad_batch or BatchedVad()
            self._rounds = AudioRounds(vad, self.audio_threads)

    async def start(
        self,
        start: StartMessage,
        stream: StreamFormat,
        owner: object = None,
        *,
        owner_id: str | None = None,
        shared: bool = False,
        customer: Customer | None = None,
        language_prior: str | None = None,
    ) -> Attached:
        """Start or resume a session of ``owner_id`` (None: the local owner, whose start
        message may name the seller); ``owner`` is the connection that feeds it; ``customer``:
        whom a new call is with (from the seller's calendar). ``language_prior``: the seller's
        saved language, for a call on "auto" that ends before enough speech to be sure of its
        language."""
        if start.resume is not None:
            return await self._resume(start.resume, start, stream, owner, owner_id)
        seller_id = start.seller if owner_id is None else None
        session = await self._open(
            start,
            stream,
            owner,
            owner_id=owner_id,
            shared=shared,
            seller_id=seller_id,
            customer=customer,
            language_prior=language_prior,
        )
        log.info(
            "session %s started: %s at %d Hz, language %s, transcripts %s",
            session.id,
            ",".join(stream.channels),
            stream.sample_rate,
            session.language_setting,
            "on" if start.transcribe else "off",
        )
        return Attached(session)

    async def _open(
        self,
        start: StartMessage,
        stream: StreamFormat,
        owner: object,
        *,
        owner_id: str | None,
        shared: bool,
        seller_id: str | None = None,
        history: list[StoredEvent] | None = None,
        start_s: float = 0.0,
        customer: Customer | None = None,
        language_prior: str | None = None,
    ) -> LiveSession:
        record = await anyio.to_thread.run_sync(
            lambda: self.store.create_session(
                title=start.title,
                language=start.language or "auto",
                customer_informed=start.customer_informed,
                owner_id=owner_id,
                shared=shared,
                seller_id=seller_id,
                customer=customer,
            )
        )
        if history:
            await anyio.to_thread.run_sync(self.store.append, record.id, history)
        await self.leases.hold_new(record.id)
        return self._run(
            record.id,
            start,
            stream,
            owner,
            owner_id=owner_id,
            seller_id=seller_id,
            history=history or [],
            start_s=start_s,
            language_prior=language_prior,
        )

    def _run(
        self,
        session_id: str,
        start: StartMessage,
        stream: StreamFormat,
        owner: object,
        *,
        owner_id: str | None,
        seller_id: str | None,
        history: list[StoredEvent],
        start_s: float,
        language_prior: str | None = None,
    ) -> LiveSession:
        """Run a session here whose log holds ``history`` already. The calling task (the
        connection that feeds it) and the session's own tasks log as this session from now on."""
        logs.session_id.set(session_id)

        async def persist(events: list[LoggedEvent]) -> None:
            await self._writer.append(session_id, [to_stored(event) for event in events])

        def publish(events: list[LoggedEvent]) -> None:
            self.hub.publish(session_id, events)

        past = [e for item in history if (e := event_from_dict(logged(item))) is not None]
        # With accounts the seller is the user, their profile kept under their id (as the voice
        # API keys it); without, the seller the start message named.
        voice_seller = owner_id if owner_id is not None else seller_id
        learns = voice_seller is not None and self.learn_voice is not None
        session = LiveSession(
            session_id,
            start,
            stream,
            self.engines,
            self.speech_to_text,
            persist,
            publish,
            first_seq=history[-1].seq + 1 if history else 1,
            history=past,
            start_s=start_s,
            seller_speech_limit=round(MAX_SAMPLE_SPEECH_S * SAMPLE_RATE) if learns else 0,
            tick_ms=self.tick_ms,
            audio_threads=self.audio_threads,
            language_prior=language_prior,
            rounds=self._rounds,
        )
        if learns and voice_seller is not None:
            self._voice_sellers[session_id] = voice_seller
        session.gaps = [gap_span(item.payload) for item in history if item.type == "gap"]
        session.warnings = [logged(item) for item in history if item.type == "warning"]
        self.live[session_id] = session
        self._owners[session_id] = owner
        self._orphans.pop(session_id, None)
        session.begin()
        return session

    async def _resume(
        self,
        request: ResumeRequest,
        start: StartMessage,
        stream: StreamFormat,
        owner: object,
        owner_id: str | None,
    ) -> Attached:
        """The same session while this process still has it; else a new one continuing it.
        The client resends what it still holds; audio the session heard already is skipped.
        Only the session's own user may resume it; to anyone else it does not exist. A call
        that ended with ``stop`` (finished) is over: it is not resumed, nor copied into a new
        session (#22 item 10); one that was interrupted (its client never came back) goes on."""
        old_id = request.session_id
        record = await anyio.to_thread.run_sync(self.store.get_session, old_id)
        if record is None or record.owner_id != owner_id or record.status == "finished":
            raise ProtocolError("unknown_session", f"no session {old_id} to resume", CLOSE_POLICY)
        session = self.live.get(old_id)
        if session is None:
            if record.status == "live":
                return await self._take_over(record, start, stream, owner, request.audio_s)
            return await self._continue(record, start, stream, owner, request.audio_s)
        if session.roles != stream.channels or session.start.sample_rate != stream.sample_rate:
            raise ProtocolError(
                "resume_mismatch",
                "a resumed session keeps its channels and sample rate",
                CLOSE_INVALID_DATA,
            )
        expiring = self._expiring.pop(session.id, None)
        if expiring is not None:
            expiring.cancel()
        self._owners[session.id] = owner
        await session.flush()
        # What it heard includes audio buffered for the tick or held by the echo gate.
        heard = session.received_s
        missing = request.audio_s - heard
        if missing > 0:
            await session.feed_silence(min(missing, _MAX_SILENCE_FILL_S))
            await session.emit_extra(gap_event(heard, request.audio_s))
        return Attached(session, skip_s=max(0.0, -missing))

    async def _take_over(
        self,
        record: SessionRecord,
        start: StartMessage,
        stream: StreamFormat,
        owner: object,
        audio_s: float,
    ) -> Attached:
        """The call runs nowhere (its process stopped or died) or in another process, which
        hands it over: it goes on here as the same session, from its stored log."""
        try:
            held = await self.leases.take_over(record.id, TAKE_OVER_WAIT_S)
        except LeaseUnavailableError:
            held = False
        if not held:
            raise ProtocolError(
                "session_busy",
                "another server still holds this session; try again",
                CLOSE_TRY_AGAIN,
            )
        now = await anyio.to_thread.run_sync(self.store.get_session, record.id)
        if now is None or now.status != "live":
            # Finalised meanwhile (nobody came back in time): a new session continues it.
            await self.leases.release(record.id)
            if now is None:
                raise ProtocolError("unknown_session", f"no session {record.id}", CLOSE_POLICY)
            return await self._continue(now, start, stream, owner, audio_s)
        stored = await anyio.to_thread.run_sync(self.store.events_after, record.id, 0)
        heard = max((item.at_s for item in stored), default=0.0)
        cut = speech_cut_at(stored, heard)
        if cut:
            await anyio.to_thread.run_sync(self.store.append, record.id, cut)
        start_s = max(audio_s, heard)
        session = self._run(
            record.id,
            start,
            stream,
            owner,
            owner_id=record.owner_id,
            seller_id=record.seller_id,
            history=stored + cut,
            start_s=start_s,
        )
        await session.emit_extra(gap_event(heard, start_s))
        log.info("session %s goes on here after a gap of %.1f s", record.id, start_s - heard)
        return Attached(session, skip_s=max(0.0, heard - audio_s))

    async def hand_over(self, session_id: str) -> None:
        """Another process continues this call: store what is decided, stop here, and let go
        of its connection (the client reconnects) and its observers (they follow the relay)."""
        with logs.about_session(session_id):
            session = self.live.pop(session_id, None)
            if session is None:
                await self.leases.release(session_id)
                return
            expiring = self._expiring.pop(session_id, None)
            if expiring is not None:
                expiring.cancel()
            self._owners.pop(session_id, None)
            self._voice_sellers.pop(session_id, None)
            try:
                await session.release()
            finally:
                self.hub.move(session_id)
                await self.leases.release(session_id)
            log.info("session %s handed over at %.1f s", session_id, session.audio_s)

    def moved(self, session: LiveSession) -> bool:
        """The session was handed over to another process."""
        return self.live.get(session.id) is not session

    async def _continue(
        self,
        record: SessionRecord,
        start: StartMessage,
        stream: StreamFormat,
        owner: object,
        audio_s: float,
    ) -> Attached:
        """The session was finalised (nobody came back within the grace): a new session
        carries its log on."""
        old_id = record.id
        stored = await anyio.to_thread.run_sync(self.store.events_after, old_id, 0)
        # The old session's end is not the call's end.
        kept = [item for item in stored if item.type != "final"]
        heard = max((item.at_s for item in kept), default=0.0)
        kept += speech_cut_at(kept, heard)
        start_s = max(audio_s, heard)
        session = await self._open(
            # The same call: its title (perhaps the calendar's) goes on with it.
            start.model_copy(update={"title": record.title or start.title}),
            stream,
            owner,
            owner_id=record.owner_id,
            shared=record.shared,
            seller_id=record.seller_id,
            history=kept,
            start_s=start_s,
            customer=record.customer,
        )
        await session.emit_extra({**gap_event(heard, start_s), "resumed_from": old_id})
        log.info(
            "session %s continues %s after a gap of %.1f s", session.id, old_id, start_s - heard
        )
        return Attached(session, skip_s=max(0.0, heard - audio_s))

    def owns(self, session: LiveSession, owner: object) -> bool:
        return self._owners.get(session.id) is owner

    def detach(self, session: LiveSession, owner: object) -> None:
        """The client vanished: the session waits ``resume_grace_s`` for it, then it ends."""
        if not self.owns(session, owner) or session.id not in self.live:
            return
        self._owners[session.id] = None

        async def expire() -> None:
            await asyncio.sleep(self.resume_grace_s)
            self._expiring.pop(session.id, None)
            await self.finalise(session, "interrupted")

        self._expiring[session.id] = asyncio.create_task(expire(), name=f"expire-{session.id}")

    async def finalise(self, session: LiveSession, status: FinalStatus) -> dict[str, Any]:
        """Finish the session's pipeline and store its analysis; observers get the end.
        Only the first call for a session does anything."""
        if self.live.pop(session.id, None) is None:
            return {}
        self._orphans.pop(session.id, None)
        self._owners.pop(session.id, None)
        seller = self._voice_sellers.pop(session.id, None)
        try:
            analysis = await session.finish()
            if seller is not None:
                await self._learn_voice(session, seller)
        except Exception:
            log.exception("session %s did not finish cleanly", session.id)
            await session.abort()
            analysis = await self.analysis_from_store(session.id)
            status = "interrupted"
        analysis["gaps"] = session.gaps
        analysis["warnings"] = warning_spans(session.warnings, session.audio_s)
        if self.llm is not None:
            analysis = await anyio.to_thread.run_sync(
                with_abstractive_summaries, analysis, self.llm
            )
        # The final message is logged before the session is closed to further events, and sent
        # only once the store says the session ended: a client that starts its next call on
        # `final` must not find this one still counted live (the quota).
        final = await session.emit_extra(
            {
                "type": "final",
                "at_s": round(session.audio_s, 3),
                "status": status,
                "session_id": session.id,
                "analysis_url": f"/v1/sessions/{session.id}",
                "report_url": f"/v1/sessions/{session.id}/report",
            },
            publish=False,
        )
        await anyio.to_thread.run_sync(
            lambda: self.store.finalise(session.id, status, analysis, datetime.now(UTC))
        )
        session.publish_logged(final)
        # A team that keeps figures only keeps no words of the call from here on.
        await anyio.to_thread.run_sync(self.store.keep_figures_only_if_due, session.id)
        self.hub.close(session.id)
        await self.leases.release(session.id)
        log.info("session %s finalised: %s after %.1f s", session.id, status, session.audio_s)
        return analysis

    async def _learn_voice(self, session: LiveSession, seller: str) -> None:
        """The seller's own speech of the call goes into their voice profile as an embedding; the
        audio is dropped. A failure here costs the sample, never the session."""
        speech = session.take_seller_speech()
        assert self.learn_voice is not None
        try:
            sample = await anyio.to_thread.run_sync(
                self.learn_voice, seller, speech, limiter=self._voice_threads
            )
        except Exception:
            log.exception("session %s: the seller's voice profile was not updated", session.id)
            return
        heard = sum(piece.shape[0] for piece in speech) / SAMPLE_RATE
        if sample is None:
            log.info("session %s: %.1f s of the seller's own speech, too little", session.id, heard)
        else:
            log.info(
                "session %s: %.1f s of the seller's speech added to their voice profile",
                session.id,
                heard,
            )

    async def analysis_from_store(self, session_id: str) -> dict[str, Any]:
        """The analysis as a pure function of what the log holds (used after a crash too)."""

        return await anyio.to_thread.run_sync(analysis_from_log, self.store, session_id)

    async def sweep(self, now: float) -> list[str]:
        """Finalise, from their stored logs, the calls that no process has run for
        ``resume_grace_s`` (``now``: monotonic seconds): their server died or stopped and
        their client never came back. A call is claimed before it is finalised, so that a
        process taking it over and this one never both act on it."""
        unfinished = await anyio.to_thread.run_sync(self.store.unfinished_sessions)
        # A call this process holds is running or still finishing here (its transcripts).
        candidates = [record.id for record in unfinished if record.id not in self.leases.held]
        try:
            running = await self.leases.held_elsewhere(candidates)
        except LeaseUnavailableError:
            return []  # who runs what cannot be told: nothing is finalised on a guess
        orphans = [session_id for session_id in candidates if session_id not in running]
        self._orphans = {session_id: self._orphans.get(session_id, now) for session_id in orphans}
        finalised = []
        for session_id, since in list(self._orphans.items()):
            if now - since < self.resume_grace_s or not await self.leases.claim(session_id):
                continue
            with logs.about_session(session_id):
                try:
                    analysis = await self.analysis_from_store(session_id)
                    finalise = functools.partial(
                        self.store.finalise, session_id, "interrupted", analysis, datetime.now(UTC)
                    )
                    await anyio.to_thread.run_sync(finalise)
                    await anyio.to_thread.run_sync(self.store.keep_figures_only_if_due, session_id)
                    finalised.append(session_id)
                    log.info("session %s finalised: interrupted, nobody came back", session_id)
                except StoreError:
                    log.exception("session %s was left live; it is tried again", session_id)
                finally:
                    self._orphans.pop(session_id, None)
                    await self.leases.release(session_id)
        return finalised

    async def sweep_forever(self, every_s: float) -> None:
        while True:
            try:
                finalised = await self.sweep(time.monotonic())
            except (StoreError, LeaseUnavailableError):
                log.exception("the sweep for abandoned calls failed; it runs again later")
            else:
                if finalised:
                    log.warning("finalised %d call(s) nobody came back to", len(finalised))
            await asyncio.sleep(every_s)

    async def shutdown(self) -> None:
        """Stopping: every call is handed over, stored as far as it was decided and left live
        for the process its client reconnects to (this one after a restart, or another replica);
        one nobody continues is finalised after ``resume_grace_s``."""
        for task in self._expiring.values():
            task.cancel()
        self._expiring.clear()
        await asyncio.gather(
            *(self.hand_over(session_id) for session_id in list(self.live)),
            return_exceptions=True,
        )
        await self.leases.aclose()
