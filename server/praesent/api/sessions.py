"""Sessions: list, read, share, delete; and WS /v1/sessions/{id}/events for observers.

A seller sees their own sessions; a coach sees those the sellers of their teams share. Another
person's session answers 404, and every read by someone other than the seller is audited.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response, WebSocket
from pydantic import BaseModel, ConfigDict, Field
from starlette.websockets import WebSocketDisconnect

from praesent import logs
from praesent.api.auth import Access, CsrfError, audit_read, guard, principal_of
from praesent.api.docs import IsoDateTime, errors
from praesent.api.security import websocket_refusal
from praesent.api.state import AppState, app_state
from praesent.errors import PraesentError
from praesent.live.hub import RelayError, Subscription
from praesent.live.leases import LeaseUnavailableError
from praesent.live.protocol import CLOSE_NORMAL, CLOSE_POLICY, CLOSE_TRY_AGAIN
from praesent.live.stored_log import logged
from praesent.store import Customer, EventStore, SessionQuery, SessionRecord, StoreError
from praesent.store.models import EMAIL_MAX, NAME_MAX
from praesent.team.access import Principal, Rule

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
_PAGE = 500
# An observer of a session on another replica that hears nothing for this long checks that
# the session still runs (the replica running it may have died without a word).
_REMOTE_IDLE_S = 5.0
# How often a coach's observer checks that the session is still shared (unsharing on another
# replica reaches it this way; on the same replica at once).
_SHARING_CHECK_S = 2.0


class SessionIsLiveError(PraesentError):
    code = "session_live"


class Sharing(BaseModel):
    shared: bool = Field(strict=True)


class Sending(BaseModel):
    send_results: bool | None = Field(
        strict=True,
        description="true: to the webhooks of you and your teams; false: kept in praesent; "
        "null: your teams' default",
    )


class CustomerBody(BaseModel):
    """Whom the call was with; a part left out or null is unknown."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    email: str | None = Field(
        default=None, min_length=3, max_length=EMAIL_MAX, pattern=r"^[^@\s]+@[^@\s]+$"
    )
    company: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)


def _listed(
    store: EventStore,
    principal: Principal,
    shared_with_me: bool,
    query: SessionQuery,
) -> list[SessionRecord]:
    user = principal.user
    if user is None:
        return store.list_sessions(query=replace(query, local_owner=True))
    if not shared_with_me:
        return store.list_sessions(query=replace(query, owner_id=user.id))
    if user.role != "coach" or not user.teams:
        return []
    sellers = sorted(
        {m.id for team in user.teams for m in store.people.members(team.id) if m.id != user.id}
    )
    return store.list_sessions(query=replace(query, shared_by=sellers))


@router.get("", responses=errors(401, 403, 422))
async def list_sessions(
    request: Request,
    access: Annotated[Access, guard(Rule.USER)],
    q: Annotated[str | None, Query(max_length=200, description="Text in the title")] = None,
    started_from: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    started_before: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    shared_with_me: Annotated[bool, Query(alias="shared")] = False,
) -> list[dict[str, Any]]:
    """Your own sessions, newest first; with ``shared=true`` (a coach) those the sellers of
    your teams share with you."""
    store = app_state(request).sessions.store
    query = SessionQuery(
        title_contains=q,
        started_from=started_from,
        started_before=started_before,
    )
    records = await anyio.to_thread.run_sync(
        _listed, store, access.principal, shared_with_me, query
    )
    return [record.fields() for record in records]


@router.get("/{session_id}", responses=errors(401, 403, 404))
async def get_session(
    request: Request, session_id: str, access: Annotated[Access, guard(Rule.SESSION_READ)]
) -> dict[str, Any]:
    """The session and its analysis (the same fields as ``praesent analyze``); a live session's
    analysis is computed from its log so far."""
    manager = app_state(request).sessions
    record = access.session
    assert record is not None
    await audit_read(request, access, "analysis")
    analysis = record.analysis
    if analysis is None:
        analysis = await manager.analysis_from_store(session_id)
    return {**analysis, "session": record.fields()}


@router.put("/{session_id}/sharing", responses=errors(401, 403, 404))
async def set_sharing(
    request: Request,
    session_id: str,
    sharing: Sharing,
    access: Annotated[Access, guard(Rule.SESSION_OWNER)],
) -> dict[str, Any]:
    """Share the session with the coaches of your teams, or stop sharing it: coaches who
    follow it live are cut off at once."""
    state = app_state(request)
    store = state.sessions.store
    await anyio.to_thread.run_sync(store.set_shared, session_id, sharing.shared)
    if not sharing.shared:
        state.observers.revoke_all_but(state.sessions.hub, session_id, access.user_id)
    record = await anyio.to_thread.run_sync(store.get_session, session_id)
    assert record is not None
    return record.fields()


@router.put("/{session_id}/sending", responses=errors(401, 403, 404))
async def set_sending(
    request: Request,
    session_id: str,
    sending: Sending,
    access: Annotated[Access, guard(Rule.SESSION_OWNER)],
) -> dict[str, Any]:
    """Whether this call's results go to the webhooks. Turned on after the call, when they
    have not gone out yet, they go out now; turned off, nothing more goes out about it."""
    store = app_state(request).sessions.store
    await anyio.to_thread.run_sync(store.set_send_results, session_id, sending.send_results)
    record = await anyio.to_thread.run_sync(store.get_session, session_id)
    assert record is not None
    return record.fields()


@router.put("/{session_id}/customer", responses=errors(401, 403, 404, 413, 422))
async def set_customer(
    request: Request,
    session_id: str,
    body: CustomerBody,
    _access: Annotated[Access, guard(Rule.SESSION_OWNER)],
) -> dict[str, Any]:
    """Whom the call was with (the calendar's guess, set or corrected): shown in the report
    and the lists of calls. All parts null: unknown."""
    store = app_state(request).sessions.store
    parts = {k: (v.strip() or None) if v else None for k, v in body.model_dump().items()}
    customer = Customer(**parts) if any(parts.values()) else None
    await anyio.to_thread.run_sync(store.set_customer, session_id, customer)
    record = await anyio.to_thread.run_sync(store.get_session, session_id)
    assert record is not None
    return record.fields()


@router.delete("/{session_id}", status_code=204, responses=errors(401, 403, 404, 409))
async def delete_session(
    request: Request, session_id: str, _access: Annotated[Access, guard(Rule.SESSION_OWNER)]
) -> Response:
    """Delete the session and its whole event log; not while it runs here or on another
    replica."""
    manager = app_state(request).sessions
    try:
        elsewhere = await manager.leases.held_elsewhere([session_id])
    except LeaseUnavailableError:
        elsewhere = {session_id}  # who runs it cannot be told: as if it ran
    if session_id in manager.live or elsewhere:
        raise SessionIsLiveError(f"session {session_id} is live; stop it first")
    await anyio.to_thread.run_sync(manager.store.delete_session, session_id)
    return Response(status_code=204)


class _Feed:
    """One observer's events in ``seq`` order, none twice: from the stored log, then live, and
    from the log again wherever the live feed skipped some (the relay between replicas may
    lose a message; every event is stored before it is published)."""

    def __init__(self, websocket: WebSocket, store: EventStore, session_id: str, after: int):
        self.websocket = websocket
        self.store = store
        self.session_id = session_id
        self.last = after
        # The session's final event was sent: nothing comes after it.
        self.ended = False
        self.sent = app_state(websocket).metrics.observer_events

    async def _send(self, event: dict[str, Any]) -> None:
        await self.websocket.send_json(event)
        self.sent.inc()
        self.last = event["seq"]
        self.ended = event["type"] == "final"

    async def stored(self) -> None:
        while True:
            page = await anyio.to_thread.run_sync(
                self.store.events_after, self.session_id, self.last, _PAGE
            )
            for item in page:
                await self._send(logged(item))
            if len(page) < _PAGE:
                return

    async def live(self, subscription: Subscription) -> None:
        while not self.ended:
            if subscription.remote:
                try:
                    event = await asyncio.wait_for(subscription.next(), _REMOTE_IDLE_S)
                except TimeoutError:
                    if await self._still_live():
                        continue
                    # It ended without a word through the relay (its replica died, or Redis
                    # dropped the end): the log has all there is.
                    await self.stored()
                    return
            else:
                event = await subscription.next()
            if event is None:
                return
            if event["seq"] > self.last + 1:
                await self.stored()
            if event["seq"] > self.last:
                await self._send(event)

    async def _still_live(self) -> bool:
        record = await anyio.to_thread.run_sync(self.store.get_session, self.session_id)
        return record is not None and record.status == "live"

    async def cut_off(self, code: str, message: str, close_code: int) -> None:
        error = {"type": "error", "seq": None, "code": code, "message": message}
        await self.websocket.send_json(error)
        await self.websocket.close(close_code, code)


async def _watch_access(
    state: AppState,
    websocket: WebSocket,
    access: Access,
    current: Callable[[], Subscription | None],
) -> None:
    """End the observer ``current`` names once its credential no longer holds (a token revoked,
    a sign-out, its user deleted: #22 item 11) or, for a coach, once the session is no longer
    shared. Checked every few seconds, and at once when credentials change on this replica."""
    session_id = str(websocket.path_params.get("session_id"))
    watches_sharing = access.session is not None and access.user_id != access.session.owner_id
    while True:
        await state.observers.wait_for_change(_SHARING_CHECK_S)
        try:
            principal, _csrf = await principal_of(websocket)
            record = None
            if watches_sharing:
                record = await anyio.to_thread.run_sync(
                    state.sessions.store.get_session, session_id
                )
        except StoreError:
            continue  # the database is away: the next check decides
        except CsrfError:
            principal = None
        same_user = principal is not None and principal.user_id == access.user_id
        unshared = watches_sharing and (record is None or not record.shared)
        if not same_user or unshared:
            watched = current()
            if watched is not None:
                (state.observers.unauthorised if not same_user else state.observers.revoked).add(
                    watched
                )
                state.sessions.hub.end(watched)
            return


@router.websocket("/{session_id}/events")
async def observe(
    websocket: WebSocket,
    session_id: str,
    access: Annotated[Access, guard(Rule.SESSION_READ)],
    after: int = 0,
) -> None:
    """Every event after ``after``: first from the log, then live, none missed, none twice; a
    session that runs on another replica comes through the relay between replicas."""
    logs.session_id.set(session_id)  # this connection's lines are the session's
    state = app_state(websocket)
    manager = state.sessions
    refusal = websocket_refusal(state.settings, websocket)
    if refusal is not None:
        await websocket.close(CLOSE_POLICY, refusal)
        return
    await audit_read(websocket, access, "observe")
    await websocket.accept()
    # Subscribe before reading the log, so nothing published meanwhile slips between the two.
    subscription: Subscription | None = None
    relay_down = False
    if session_id in manager.live:
        subscription = manager.hub.subscribe(session_id)
    elif access.session is not None and access.session.status == "live":
        try:
            subscription = await manager.hub.follow(session_id)
        except RelayError:
            relay_down = True
    if subscription is not None:
        state.observers.add(subscription, access.user_id)
    watcher = asyncio.create_task(_watch_access(state, websocket, access, lambda: subscription))
    feed = _Feed(websocket, manager.store, session_id, after)
    resume = "resume with ?after={}"
    try:
        await feed.stored()
        if relay_down and not feed.ended:
            message = "the relay between servers is down; " + resume.format(feed.last)
            await feed.cut_off("relay_unavailable", message, CLOSE_TRY_AGAIN)
            return
        if subscription is not None:
            await feed.live(subscription)
            while subscription.moved and not feed.ended:
                # The call went on in another process: follow it there through the relay.
                state.observers.remove(subscription)
                manager.hub.unsubscribe(subscription)
                moved_to: Subscription | None = None
                with contextlib.suppress(RelayError):
                    moved_to = await manager.hub.follow(session_id)
                if moved_to is None:
                    subscription = None
                    message = "the call moved to another server; " + resume.format(feed.last)
                    await feed.cut_off("session_moved", message, CLOSE_TRY_AGAIN)
                    return
                subscription = moved_to
                state.observers.add(subscription, access.user_id)
                await feed.stored()
                await feed.live(subscription)
            if subscription in state.observers.unauthorised:
                message = "the credential of this observer was revoked"
                await feed.cut_off("unauthorized", message, CLOSE_POLICY)
                return
            if subscription in state.observers.revoked:
                message = "the seller stopped sharing this session"
                await feed.cut_off("not_shared", message, CLOSE_POLICY)
                return
            if subscription.overflowed and not feed.ended:
                message = "this observer fell behind; " + resume.format(feed.last)
                await feed.cut_off("too_slow", message, CLOSE_POLICY)
                return
            if subscription.lost and not feed.ended:
                message = "the relay between servers broke; " + resume.format(feed.last)
                await feed.cut_off("relay_lost", message, CLOSE_TRY_AGAIN)
                return
            # Ended: anything the live feed skipped at the very end is in the log.
            await feed.stored()
        await websocket.close(CLOSE_NORMAL)
    except WebSocketDisconnect:
        return
    finally:
        watcher.cancel()
        if subscription is not None:
            state.observers.remove(subscription)
            manager.hub.unsubscribe(subscription)
