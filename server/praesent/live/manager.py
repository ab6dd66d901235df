"""The live sessions of one server process: start, finalise, recover after a crash, shut down.

The store is synchronous (SQLAlchemy); every call goes to a worker thread so the event loop
never waits on the database.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio

from praesent.analysis import analysis_from_events
from praesent.core.event_log import event_from_dict
from praesent.engines import Engines
from praesent.live.hub import EventHub, LoggedEvent
from praesent.live.protocol import StartMessage, StreamFormat
from praesent.live.session import LiveSession
from praesent.live.speech_to_text import SpeechToText
from praesent.store import EventStore, FinalStatus, StoredEvent
from praesent.summaries_llm import LlmOptions, with_abstractive_summaries

log = logging.getLogger(__name__)


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
    language = record.language if record is not None else "unknown"
    return analysis_from_events(events, duration, language)


@dataclass(slots=True)
class SessionManager:
    store: EventStore
    engines: Engines
    speech_to_text: SpeechToText
    hub: EventHub = field(default_factory=EventHub)
    live: dict[str, LiveSession] = field(default_factory=dict)
    # Abstractive topic summaries for the stored analysis, when an endpoint is configured.
    llm: LlmOptions | None = None

    async def start(
        self,
        start: StartMessage,
        stream: StreamFormat,
        *,
        owner_id: str | None = None,
        shared: bool = False,
    ) -> LiveSession:
        """Start a session owned by ``owner_id`` (None: the local owner)."""
        record = await anyio.to_thread.run_sync(
            lambda: self.store.create_session(
                title=start.title,
                language=start.language,
                customer_informed=start.customer_informed,
                owner_id=owner_id,
                shared=shared,
            )
        )
        session_id = record.id

        async def persist(events: list[LoggedEvent]) -> None:
            stored = [_stored(event) for event in events]
            await anyio.to_thread.run_sync(self.store.append, session_id, stored)

        def publish(events: list[LoggedEvent]) -> None:
            self.hub.publish(session_id, events)

        session = LiveSession(
            session_id, start, stream, self.engines, self.speech_to_text, persist, publish
        )
        self.live[session_id] = session
        session.begin()
        return session

    async def finalise(self, session: LiveSession, status: FinalStatus) -> dict[str, Any]:
        """Finish the session's pipeline and store its analysis; observers get the end.
        Only the first call for a session does anything."""
        if self.live.pop(session.id, None) is None:
            return {}
        try:
            analysis = await session.finish()
        except Exception:
            log.exception("session %s did not finish cleanly", session.id)
            await session.abort()
            analysis = await self.analysis_from_store(session.id)
            status = "interrupted"
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
        sessions = list(self.live.values())
        await asyncio.gather(
            *(self.finalise(session, "interrupted") for session in sessions),
            return_exceptions=True,
        )
