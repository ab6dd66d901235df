"""WS /v1/live: the seller's client streams the call; events come back as they happen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from praesent import logs
from praesent.api.auth import Access, guard
from praesent.api.calendar import DEFAULT_TITLES, call_context, clean, customer_of
from praesent.api.docs import errors
from praesent.api.security import websocket_refusal
from praesent.api.state import app_state
from praesent.asr.language import call_setting, language_prior
from praesent.live.hub import Subscription
from praesent.live.manager import SessionManager
from praesent.live.protocol import (
    CLOSE_INTERNAL,
    CLOSE_NORMAL,
    CLOSE_POLICY,
    CLOSE_SERVICE_RESTART,
    FocusMessage,
    LanguageMessage,
    ProtocolError,
    ProtocolState,
    StartMessage,
    StopMessage,
)
from praesent.live.schema import live_protocol_schema
from praesent.live.session import LiveSession
from praesent.live.stored_log import logged
from praesent.store import EventStore, FinalStatus
from praesent.team.access import Rule

router = APIRouter()
log = logging.getLogger(__name__)


_PAGE = 500
# The longest title a start message may carry; a calendar's is cut to it.
TITLE_LIMIT = 200


async def _forward(
    websocket: WebSocket,
    subscription: Subscription,
    store: EventStore,
    after: int | None,
) -> None:
    """Send the session's logged events to this client, in order: when it resumes, first every
    stored event after ``after`` (subscribed before reading, so none slips between), then live
    ones, none twice."""
    sent = app_state(websocket).metrics.live_events
    last = 0
    if after is not None:
        last = after
        while True:
            page = await anyio.to_thread.run_sync(
                store.events_after, subscription.session_id, last, _PAGE
            )
            for stored in page:
                await websocket.send_json(logged(stored))
                sent.inc()
                last = stored.seq
            if len(page) < _PAGE:
                break
    while (event := await subscription.next()) is not None:
        if event["seq"] > last:
            await websocket.send_json(event)
            sent.inc()
            last = event["seq"]


async def _close(websocket: WebSocket, code: int, reason: str = "") -> None:
    if websocket.application_state != WebSocketState.DISCONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason[:120])


async def _send_error(websocket: WebSocket, code: str, message: str) -> None:
    """An error outside any session's log: it has no place in a log, so no seq."""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.send_json({"type": "error", "seq": None, "code": code, "message": message})


class _Connection:
    """One live socket: the protocol state, the session once started, its event forwarder."""

    def __init__(
        self,
        websocket: WebSocket,
        manager: SessionManager,
        idle_s: float,
        access: Access,
        default_language: str,
    ) -> None:
        self.websocket = websocket
        self.default_language = default_language
        self.access = access
        self.manager = manager
        self.idle_s = idle_s
        self.protocol = ProtocolState()
        self.session: LiveSession | None = None
        self.subscription: Subscription | None = None
        self.forwarder: asyncio.Task[None] | None = None
        # Resent audio the session heard already (after a resume), dropped unheard.
        self.skip_bytes = 0
        self.audio_seconds = app_state(websocket).metrics.audio_seconds
        self.max_live = app_state(websocket).settings.max_live_sessions
        # The idle timeout: one timer per idle period, not one per message (20 a second).
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._waiting_since: float | None = None  # while waiting for a message
        self._idle = False
        self._watch = self._loop.call_later(idle_s, self._check_idle)

    def _check_idle(self) -> None:
        since = self._waiting_since
        quiet_s = 0.0 if since is None else self._loop.time() - since
        if quiet_s < self.idle_s or self._task is None:
            self._watch = self._loop.call_later(self.idle_s - quiet_s, self._check_idle)
            return
        self._idle = True
        self._task.cancel()

    def stop_watching(self) -> None:
        self._watch.cancel()

    async def receive(self) -> dict[str, Any]:
        self._waiting_since = self._loop.time()
        try:
            return dict(await self.websocket.receive())
        except asyncio.CancelledError:
            if self._idle and self._task is not None and self._task.uncancel() == 0:
                raise ProtocolError(
                    "idle_timeout", f"nothing received for {self.idle_s:.0f} s", CLOSE_POLICY
                ) from None
            raise
        finally:
            self._waiting_since = None

    async def handle(self, message: dict[str, Any]) -> bool:
        """Handle one message; False once the client stopped."""
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            if self.skip_bytes and self.protocol.stream is not None and not self.protocol.stopped:
                cut = min(self.skip_bytes, len(data))
                data, self.skip_bytes = data[cut:], self.skip_bytes - cut
                if not data:
                    return True
            stream = self.protocol.on_bytes(data)
            self.audio_seconds.inc(len(data) // stream.bytes_per_frame / stream.sample_rate)
            assert self.session is not None
            self._check_owner()
            await self.session.feed_pcm(data)
            return True
        parsed = self.protocol.on_text(message.get("text") or "")
        if isinstance(parsed, StartMessage):
            assert self.protocol.stream is not None
            user = self.access.principal.user
            if parsed.resume is None and user is not None:
                await self._check_quota(user.id)
            # A start message that names no language takes the seller's setting.
            language = call_setting(
                parsed.language, user.call_language if user else None, self.default_language
            )
            update: dict[str, Any] = {"language": language}
            customer = None
            if parsed.resume is None and parsed.title.strip() in DEFAULT_TITLES:
                # No title typed: the seller's calendar may name the call and the customer.
                context = await call_context(app_state(self.websocket), user, datetime.now(UTC))
                if context is not None:
                    update["title"] = clean(context.title, TITLE_LIMIT) or parsed.title
                    customer = customer_of(context)
            attached = await self.manager.start(
                parsed.model_copy(update=update),
                self.protocol.stream,
                owner=self,
                owner_id=None if user is None else user.id,
                shared=user is not None and user.share_by_default,
                customer=customer,
                language_prior=language_prior(
                    user.call_language if user else None, self.default_language
                ),
            )
            self.session = attached.session
            logs.session_id.set(self.session.id)  # this connection's lines are the session's
            stream = self.protocol.stream
            self.skip_bytes = round(attached.skip_s * stream.sample_rate) * stream.bytes_per_frame
            self.subscription = self.manager.hub.subscribe(self.session.id)
            after = parsed.resume.after_seq if parsed.resume is not None else None
            if after is not None and "read" not in self.access.principal.scopes:
                # The stored log is read with the read scope (#22 item 10): a live-only
                # credential gets the call's events from now on, not its backfill.
                after = None
            self.forwarder = asyncio.create_task(
                _forward(self.websocket, self.subscription, self.manager.store, after)
            )
            ready: dict[str, Any] = {
                "type": "ready",
                "at_s": round(self.session.audio_s, 3),
                "session_id": self.session.id,
                "language": self.session.language,
                "language_setting": self.session.language_setting,
            }
            if parsed.resume is not None:
                ready["resumed"] = self.session.id == parsed.resume.session_id
            if "title" in update:
                ready["title"] = update["title"]
                ready["customer"] = customer.fields() if customer else None
            await self.session.emit_extra(ready)
        elif isinstance(parsed, FocusMessage):
            self._check_owner()
            assert self.session is not None
            await self.session.feed_focus(parsed.focused)
        elif isinstance(parsed, LanguageMessage):
            self._check_owner()
            assert self.session is not None
            await self.session.pin_language(parsed.language)
        elif isinstance(parsed, StopMessage):
            return False
        return True

    async def _check_quota(self, user_id: str) -> None:
        """A user runs at most ``max_live_sessions`` calls at once (on every replica: the
        database counts), so one person cannot take every worker's time."""
        live_now = await anyio.to_thread.run_sync(self.manager.store.live_session_count, user_id)
        if live_now >= self.max_live:
            raise ProtocolError(
                "quota_exceeded",
                f"you already have {live_now} live calls, the most one person may run at once; "
                "end one first",
                CLOSE_POLICY,
            )

    def _check_owner(self) -> None:
        assert self.session is not None
        if self.manager.moved(self.session):
            raise ProtocolError(
                "moved", "the call goes on on another server: reconnect", CLOSE_SERVICE_RESTART
            )
        if not self.manager.owns(self.session, self):
            raise ProtocolError(
                "taken_over", "the session goes on on another connection", CLOSE_POLICY
            )

    async def end(self, status: str) -> None:
        """Finalise the session (nothing said before is lost) and drain the forwarder. A client
        that vanished may come back: its session waits for it; a stop or an error ends it."""
        ending = False
        if self.session is not None and self.manager.owns(self.session, self):
            if status == "vanished":
                self.manager.detach(self.session, self)
            else:
                final_status: FinalStatus = "finished" if status == "stop" else "interrupted"
                await self.manager.finalise(self.session, final_status)
                ending = True
        if self.forwarder is not None:
            if not ending:
                self.forwarder.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.forwarder, timeout=5)
        if self.subscription is not None:
            self.manager.hub.unsubscribe(self.subscription)


@router.get("/v1/live/schema", tags=["live"], responses=errors(401, 403))
async def protocol_schema(_access: Annotated[Access, guard(Rule.USER)]) -> dict[str, Any]:
    """JSON Schemas of the live socket's client messages and server events."""
    return live_protocol_schema()


@router.websocket("/v1/live")
async def live(
    websocket: WebSocket, access: Annotated[Access, guard(Rule.USER, scope="live")]
) -> None:
    """A live call; its session belongs to the user whose credentials opened the socket."""
    state = app_state(websocket)
    refusal = websocket_refusal(state.settings, websocket)
    if refusal is not None:
        await websocket.close(CLOSE_POLICY, refusal)
        return
    await websocket.accept()
    connection = _Connection(
        websocket,
        state.sessions,
        state.settings.live_idle_timeout_s,
        access,
        state.settings.language,
    )
    try:
        while True:
            message = await connection.receive()
            if message["type"] == "websocket.disconnect":
                await connection.end("vanished")
                return
            if not await connection.handle(message):
                await connection.end("stop")
                await _close(websocket, CLOSE_NORMAL)
                return
    except ProtocolError as error:
        if error.code in ("taken_over", "moved"):
            # The client came back on another connection, or the call went on in another
            # process; this connection is stale.
            await _send_error(websocket, error.code, error.message)
            await connection.end("vanished")
            await _close(websocket, error.close_code, error.code)
            return
        if connection.session is not None and connection.manager.owns(
            connection.session, connection
        ):
            await connection.session.emit_extra(
                {
                    "type": "error",
                    "at_s": round(connection.session.audio_s, 3),
                    "code": error.code,
                    "message": error.message,
                }
            )
        else:
            await _send_error(websocket, error.code, error.message)
        await connection.end("error")
        await _close(websocket, error.close_code, error.code)
    except WebSocketDisconnect:
        await connection.end("vanished")
    except Exception:
        log.exception("live session failed")
        await _send_error(websocket, "internal", "the server failed; the session was saved")
        await connection.end("error")
        await _close(websocket, CLOSE_INTERNAL, "internal")
    finally:
        connection.stop_watching()
