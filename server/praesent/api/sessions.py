"""Sessions: list, read, share, delete; and WS /v1/sessions/{id}/events for observers.

A seller sees their own sessions; a coach sees those the sellers of their teams share. Another
person's session answers 404, and every read by someone other than the seller is audited.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request, Response, WebSocket
from pydantic import BaseModel, Field
from starlette.websockets import WebSocketDisconnect

from praesent.api.auth import Access, audit_read, guard
from praesent.api.docs import IsoDateTime, errors
from praesent.api.security import websocket_refusal
from praesent.api.state import app_state
from praesent.errors import PraesentError
from praesent.live.manager import logged
from praesent.live.protocol import CLOSE_NORMAL, CLOSE_POLICY
from praesent.store import EventStore, SessionQuery, SessionRecord
from praesent.team.access import Principal, Rule

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
_PAGE = 500


class SessionIsLiveError(PraesentError):
    code = "session_live"


class Sharing(BaseModel):
    shared: bool = Field(strict=True)


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


@router.delete("/{session_id}", status_code=204, responses=errors(401, 403, 404, 409))
async def delete_session(
    request: Request, session_id: str, _access: Annotated[Access, guard(Rule.SESSION_OWNER)]
) -> Response:
    """Delete the session and its whole event log."""
    manager = app_state(request).sessions
    if session_id in manager.live:
        raise SessionIsLiveError(f"session {session_id} is live; stop it first")
    await anyio.to_thread.run_sync(manager.store.delete_session, session_id)
    return Response(status_code=204)


@router.websocket("/{session_id}/events")
async def observe(
    websocket: WebSocket,
    session_id: str,
    access: Annotated[Access, guard(Rule.SESSION_READ)],
    after: int = 0,
) -> None:
    """Every event after ``after``: first from the log, then live, none missed, none twice."""
    state = app_state(websocket)
    manager = state.sessions
    refusal = websocket_refusal(state.settings, websocket)
    if refusal is not None:
        await websocket.close(CLOSE_POLICY, refusal)
        return
    await audit_read(websocket, access, "observe")
    await websocket.accept()
    # Subscribe before reading the log, so nothing published meanwhile slips between the two.
    subscription = manager.hub.subscribe(session_id) if session_id in manager.live else None
    if subscription is not None:
        state.observers.add(subscription, access.user_id)
    last = after
    sent = state.metrics.observer_events
    try:
        while True:
            page = await anyio.to_thread.run_sync(
                manager.store.events_after, session_id, last, _PAGE
            )
            for stored in page:
                await websocket.send_json(logged(stored))
                sent.inc()
                last = stored.seq
            if len(page) < _PAGE:
                break
        if subscription is not None:
            while (event := await subscription.next()) is not None:
                if event["seq"] > last:
                    await websocket.send_json(event)
                    sent.inc()
                    last = event["seq"]
            if subscription in state.observers.revoked:
                await websocket.send_json(
                    {
                        "type": "error",
                        "seq": None,
                        "code": "not_shared",
                        "message": "the seller stopped sharing this session",
                    }
                )
                await websocket.close(CLOSE_POLICY, "not_shared")
                return
            if subscription.overflowed:
                await websocket.send_json(
                    {
                        "type": "error",
                        "seq": None,
                        "code": "too_slow",
                        "message": f"this observer fell behind; resume with ?after={last}",
                    }
                )
                await websocket.close(CLOSE_POLICY, "too_slow")
                return
        await websocket.close(CLOSE_NORMAL)
    except WebSocketDisconnect:
        return
    finally:
        if subscription is not None:
            state.observers.remove(subscription)
            manager.hub.unsubscribe(subscription)
