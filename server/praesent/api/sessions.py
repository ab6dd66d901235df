"""Sessions: list, read, delete; and WS /v1/sessions/{id}/events for observers."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request, Response, WebSocket
from starlette.websockets import WebSocketDisconnect

from praesent.api.security import websocket_refusal
from praesent.api.state import app_state
from praesent.errors import PraesentError
from praesent.live.manager import logged
from praesent.live.protocol import CLOSE_NORMAL, CLOSE_POLICY

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
_PAGE = 500


class SessionNotFoundError(PraesentError):
    code = "not_found"


class SessionIsLiveError(PraesentError):
    code = "session_live"


@router.get("")
async def list_sessions(request: Request) -> list[dict[str, Any]]:
    store = app_state(request).sessions.store
    return [record.fields() for record in await anyio.to_thread.run_sync(store.list_sessions)]


@router.get("/{session_id}")
async def get_session(request: Request, session_id: str) -> dict[str, Any]:
    """The session and its analysis (the same fields as ``praesent analyze``); a live session's
    analysis is computed from its log so far."""
    manager = app_state(request).sessions
    record = await anyio.to_thread.run_sync(manager.store.get_session, session_id)
    if record is None:
        raise SessionNotFoundError(f"no session {session_id}")
    analysis = record.analysis
    if analysis is None:
        analysis = await manager.analysis_from_store(session_id)
    return {**analysis, "session": record.fields()}


@router.delete("/{session_id}", status_code=204)
async def delete_session(request: Request, session_id: str) -> Response:
    manager = app_state(request).sessions
    if session_id in manager.live:
        raise SessionIsLiveError(f"session {session_id} is live; stop it first")
    if not await anyio.to_thread.run_sync(manager.store.delete_session, session_id):
        raise SessionNotFoundError(f"no session {session_id}")
    return Response(status_code=204)


@router.websocket("/{session_id}/events")
async def observe(websocket: WebSocket, session_id: str, after: int = 0) -> None:
    """Every event after ``after``: first from the log, then live, none missed, none twice."""
    state = app_state(websocket)
    manager = state.sessions
    refusal = websocket_refusal(state.settings, websocket)
    if refusal is not None:
        await websocket.close(CLOSE_POLICY, refusal)
        return
    record = await anyio.to_thread.run_sync(manager.store.get_session, session_id)
    if record is None:
        await websocket.close(CLOSE_POLICY, "unknown session")
        return
    await websocket.accept()
    # Subscribe before reading the log, so nothing published meanwhile slips between the two.
    subscription = manager.hub.subscribe(session_id) if session_id in manager.live else None
    last = after
    try:
        while True:
            page = await anyio.to_thread.run_sync(
                manager.store.events_after, session_id, last, _PAGE
            )
            for stored in page:
                await websocket.send_json(logged(stored))
                last = stored.seq
            if len(page) < _PAGE:
                break
        if subscription is not None:
            while (event := await subscription.next()) is not None:
                if event["seq"] > last:
                    await websocket.send_json(event)
                    last = event["seq"]
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
            manager.hub.unsubscribe(subscription)
