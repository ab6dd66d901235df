"""The live sessions of one server process: start, finalise, recover after a crash, shut down.

The store is synchronous (SQLAlchemy); every call goes to a worker thread so the event loop
never waits on the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from praesent.analysis import analysis_from_events
from praesent.audio import SAMPLE_RATE
from praesent.core.event_log import event_from_dict
from praesent.engines import Engines
from praesent.live.hub import EventHub, LoggedEvent
from praesent.live.protocol import (
    CLOSE_INVALID_DATA,
    CLOSE_POLICY,
    ProtocolError,
    ResumeRequest,
    Samples,
    StartMessage,
    StreamFormat,
)
from praesent.live.session import LiveSession
from praesent.live.speech_to_text import SpeechToText
from praesent.speakers.profiles import MAX_SAMPLE_SPEECH_S
from praesent.store import EventStore, FinalStatus, SessionRecord, StoredEvent
from praesent.summaries_llm import LlmOptions, with_abstractive_summaries

log = logging.getLogger(__name__)
# A resumed session fills at most this much audio it never got with silence; a longer gap stays a
# gap (the session's time line then runs behind the call's by the rest).
_MAX_SILENCE_FILL_S = 120.0

# Adds a seller's own speech of a call to their voice profile (blocking; None: too little).
VoiceLearner = Callable[[str, list[Samples]], object]


def _stored(event: LoggedEvent) -> StoredEvent:
    payload = {key: value for key, value in event.items() if key not in ("seq", "type", "at_s")}
    return StoredEvent(seq=event["seq"], type=event["type"], at_s=event["at_s"], payload=payload)


def logged(event: StoredEvent) -> LoggedEvent:
    return {"seq": event.seq, "type": event.type, "at_s": event.at_s, **event.payload}


def analysis_from_log(store: EventStore, session_id: str) -> dict[str, Any]:
    """A session's analysis as a pure function of what its stored log holds."""
    stored = store.events_after(session_id, 0)
    record = store.get_session(session_id)
    events = [e for item in stored if (e := event_from_dict(logged(item))) is not None]
    duration = max((item.at_s for item in stored), default=0.0)
    changes = [{"at_s": item.at_s, **item.payload} for item in stored if item.type == "language"]
    decided = [str(change["language"]) for change in changes if change.get("language")]
    given = record.language if record is not None and record.language != "auto" else "unknown"
    analysis = analysis_from_events(events, duration, decided[-1] if decided else given)
    analysis["language_changes"] = changes
    analysis["gaps"] = [_gap(item.payload) for item in stored if item.type == "gap"]
    return analysis


def _gap(event: dict[str, Any]) -> dict[str, float]:
    return {"from_s": float(event["from_s"]), "to_s": float(event["to_s"])}


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
    # The connection that feeds each live session; a resuming client takes a session over.
    _owners: dict[str, object] = field(default_factory=dict)
    _expiring: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # Whose voice profile each live session adds to.
    _voice_sellers: dict[str, str] = field(default_factory=dict)
    # One embedding at a time: call ends queue up rather than crowd out speech-to-text.
    _voice_threads: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(1))

    async def start(
        self,
        start: StartMessage,
        stream: StreamFormat,
        owner: object = None,
        *,
        owner_id: str | None = None,
        shared: bool = False,
    ) -> Attached:
        """Start or resume a session of ``owner_id`` (None: the local owner, whose start
        message may name the seller); ``owner`` is the connection that feeds it."""
        if start.resume is not None:
            return await self._resume(start.resume, start, stream, owner, owner_id)
        seller_id = start.seller if owner_id is None else None
        session = await self._open(
            start, stream, owner, owner_id=owner_id, shared=shared, seller_id=seller_id
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
    ) -> LiveSession:
        record = await anyio.to_thread.run_sync(
            lambda: self.store.create_session(
                title=start.title,
                language=start.language or "auto",
                customer_informed=start.customer_informed,
                owner_id=owner_id,
                shared=shared,
                seller_id=seller_id,
            )
        )
        session_id = record.id
        if history:
            await anyio.to_thread.run_sync(self.store.append, session_id, history)

        async def persist(events: list[LoggedEvent]) -> None:
            stored = [_stored(event) for event in events]
            await anyio.to_thread.run_sync(self.store.append, session_id, stored)

        def publish(events: list[LoggedEvent]) -> None:
            self.hub.publish(session_id, events)

        past = [e for item in history or [] if (e := event_from_dict(logged(item))) is not None]
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
        )
        if learns and voice_seller is not None:
            self._voice_sellers[session_id] = voice_seller
        session.gaps = [_gap(item.payload) for item in history or [] if item.type == "gap"]
        self.live[session_id] = session
        self._owners[session_id] = owner
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
        Only the session's own user may resume it; to anyone else it does not exist."""
        old_id = request.session_id
        record = await anyio.to_thread.run_sync(self.store.get_session, old_id)
        if record is None or record.owner_id != owner_id:
            raise ProtocolError("unknown_session", f"no session {old_id} to resume", CLOSE_POLICY)
        session = self.live.get(old_id)
        if session is None:
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
            await session.emit_extra(_gap_event(heard, request.audio_s))
        return Attached(session, skip_s=max(0.0, -missing))

    async def _continue(
        self,
        record: SessionRecord,
        start: StartMessage,
        stream: StreamFormat,
        owner: object,
        audio_s: float,
    ) -> Attached:
        """The server lost the session (restart, crash): a new session carries its log on."""
        old_id = record.id
        stored = await anyio.to_thread.run_sync(self.store.events_after, old_id, 0)
        # The old session's end is not the call's end.
        kept = [item for item in stored if item.type != "final"]
        heard = max((item.at_s for item in kept), default=0.0)
        kept += _speech_cut_at(kept, heard)
        start_s = max(audio_s, heard)
        session = await self._open(
            start,
            stream,
            owner,
            owner_id=record.owner_id,
            shared=record.shared,
            seller_id=record.seller_id,
            history=kept,
            start_s=start_s,
        )
        await session.emit_extra({**_gap_event(heard, start_s), "resumed_from": old_id})
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
        if self.llm is not None:
            analysis = await anyio.to_thread.run_sync(
                with_abstractive_summaries, analysis, self.llm
            )
        # The final message is logged before the session is closed to further events.
        await session.emit_extra(
            {
                "type": "final",
                "at_s": round(session.audio_s, 3),
                "status": status,
                "session_id": session.id,
                "analysis_url": f"/v1/sessions/{session.id}",
                "report_url": f"/v1/sessions/{session.id}/report",
            }
        )
        await anyio.to_thread.run_sync(
            lambda: self.store.finalise(session.id, status, analysis, datetime.now(UTC))
        )
        self.hub.close(session.id)
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

    async def recover(self) -> list[str]:
        """Finalise the sessions a killed server left live, from their stored logs."""
        unfinished = await anyio.to_thread.run_sync(self.store.unfinished_sessions)
        for record in unfinished:
            analysis = await self.analysis_from_store(record.id)
            finalise = functools.partial(
                self.store.finalise, record.id, "interrupted", analysis, datetime.now(UTC)
            )
            await anyio.to_thread.run_sync(finalise)
        return [record.id for record in unfinished]

    async def shutdown(self) -> None:
        for task in self._expiring.values():
            task.cancel()
        self._expiring.clear()
        sessions = list(self.live.values())
        await asyncio.gather(
            *(self.finalise(session, "interrupted") for session in sessions),
            return_exceptions=True,
        )


def _gap_event(from_s: float, to_s: float) -> LoggedEvent:
    """Audio between ``from_s`` and ``to_s`` that the server never heard."""
    return {
        "type": "gap",
        "at_s": round(from_s, 3),
        "from_s": round(from_s, 3),
        "to_s": round(to_s, 3),
        "gap_s": round(to_s - from_s, 3),
    }


def _speech_cut_at(events: list[StoredEvent], at_s: float) -> list[StoredEvent]:
    """Where the lost session broke off mid-speech, that speech ends there: it was heard up to
    the cut, and the continuing session's own voice activity starts afresh."""
    speaking: dict[str, bool] = {}
    for item in events:
        if item.type == "activity":
            speaking[str(item.payload["role"])] = bool(item.payload["speaking"])
    seq = events[-1].seq if events else 0
    cut: list[StoredEvent] = []
    for role in sorted(role for role, on in speaking.items() if on):
        seq += 1
        payload = {"role": role, "speaking": False, "sample": round(at_s * SAMPLE_RATE)}
        cut.append(StoredEvent(seq=seq, type="activity", at_s=at_s, payload=payload))
    return cut
