"""Webhook endpoints: a seller's own (their calls) and, set by an admin, a team's (the calls of
its sellers); each endpoint's delivery log and "send again". Another person's endpoint answers
404; a team's endpoints are an admin's to see and change."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from praesent.api.auth import Access, ForbiddenError, NotFoundError, guard
from praesent.api.docs import errors
from praesent.api.state import AppState, app_state
from praesent.store import ConflictError, UserRecord
from praesent.store.webhooks import EndpointRecord
from praesent.team.access import Rule, is_admin
from praesent.webhooks.addresses import URL_MAX, resolve
from praesent.webhooks.payloads import EVENT_TYPES, EventType

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
# Endpoints per seller and per team: enough for a CRM bridge and a test receiver, not a fan-out.
ENDPOINTS_MAX = 10
ID_PATTERN = r"^[0-9a-f]{32}$"
EndpointId = Annotated[str, Path(max_length=32)]


class NewEndpoint(BaseModel):
    url: str = Field(min_length=1, max_length=URL_MAX, description="https, reachable from here")
    events: list[EventType] = Field(
        default_factory=lambda: list(EVENT_TYPES), min_length=1, max_length=len(EVENT_TYPES)
    )
    team_id: str | None = Field(
        default=None,
        pattern=ID_PATTERN,
        description="An admin: the team whose sellers' calls go here; none: your own calls",
    )


def _user(access: Access) -> UserRecord:
    if access.principal.user is None:
        raise ForbiddenError("webhooks need accounts: create one with praesent admin")
    return access.principal.user


def _may_manage(access: Access, endpoint: EndpointRecord) -> bool:
    user = _user(access)
    if endpoint.kind != "webhook":
        return False  # a team's CRM connection: /v1/admin/teams/{id}/crm
    if endpoint.owner_id is not None:
        return endpoint.owner_id == user.id
    return is_admin(access.principal)


async def _endpoint(state: AppState, access: Access, endpoint_id: str) -> EndpointRecord:
    hooks = state.sessions.store.webhooks
    found = await anyio.to_thread.run_sync(hooks.endpoint, endpoint_id)
    if found is None or not _may_manage(access, found):
        raise NotFoundError(f"no webhook endpoint {endpoint_id}")
    return found


@router.get("", responses=errors(401, 403))
async def list_endpoints(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> list[dict[str, Any]]:
    """Your own endpoints; for an admin, every team's too. The secrets are not shown again."""
    user = _user(access)
    hooks = app_state(request).sessions.store.webhooks
    found = await anyio.to_thread.run_sync(
        functools.partial(hooks.endpoints, owner_id=user.id, all_teams=is_admin(access.principal))
    )
    return [endpoint.fields() for endpoint in found]


@router.post("", status_code=201, responses=errors(401, 403, 404, 409, 422))
async def create_endpoint(
    request: Request, body: NewEndpoint, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """A new endpoint for your calls (or, an admin, for a team's); ``secret`` signs each request
    (Standard Webhooks) and is shown only here. An address inside the network is refused
    unless the admin allows it."""
    user = _user(access)
    state = app_state(request)
    store = state.sessions.store
    if body.team_id is not None:
        if not is_admin(access.principal):
            raise ForbiddenError("a team's webhooks are set by an admin")
        if await anyio.to_thread.run_sync(store.people.team, body.team_id) is None:
            raise NotFoundError(f"no team {body.team_id}")
    settings = state.settings
    await anyio.to_thread.run_sync(
        functools.partial(
            resolve,
            body.url,
            allow_http=settings.webhooks_allow_http,
            allow_private=settings.webhooks_allow_private,
        )
    )
    owner_id = None if body.team_id is not None else user.id
    existing = await anyio.to_thread.run_sync(
        functools.partial(store.webhooks.endpoints, owner_id=owner_id, all_teams=True)
    )
    mine = [e for e in existing if e.owner_id == owner_id and e.team_id == body.team_id]
    if len(mine) >= ENDPOINTS_MAX:
        raise ConflictError(f"at most {ENDPOINTS_MAX} endpoints each; delete one first")
    events = sorted(set(body.events), key=EVENT_TYPES.index)
    endpoint, secret = await anyio.to_thread.run_sync(
        functools.partial(
            store.webhooks.create_endpoint,
            body.url,
            events,
            owner_id=owner_id,
            team_id=body.team_id,
        )
    )
    return {**endpoint.fields(), "secret": secret}


@router.delete("/{endpoint_id}", status_code=204, responses=errors(401, 403, 404))
async def delete_endpoint(
    request: Request, endpoint_id: EndpointId, access: Annotated[Access, guard(Rule.USER)]
) -> Response:
    """Delete the endpoint with its delivery log; what was not delivered is not sent."""
    state = app_state(request)
    await _endpoint(state, access, endpoint_id)
    await anyio.to_thread.run_sync(state.sessions.store.webhooks.delete_endpoint, endpoint_id)
    return Response(status_code=204)


@router.get("/{endpoint_id}/deliveries", responses=errors(401, 403, 404))
async def list_deliveries(
    request: Request,
    endpoint_id: EndpointId,
    access: Annotated[Access, guard(Rule.USER)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The endpoint's deliveries, newest first: ``status`` (pending, delivered, failed),
    ``attempts``, the ``last_response_status`` and ``last_error``."""
    state = app_state(request)
    await _endpoint(state, access, endpoint_id)
    hooks = state.sessions.store.webhooks
    found = await anyio.to_thread.run_sync(hooks.deliveries, endpoint_id, limit)
    return [delivery.fields() for delivery in found]


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    responses=errors(401, 403, 404),
)
async def send_again(
    request: Request,
    endpoint_id: EndpointId,
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    access: Annotated[Access, guard(Rule.USER)],
) -> dict[str, Any]:
    """Send a delivery again, with the same ``webhook-id`` and body (a receiver that keeps the
    ids it saw ignores it)."""
    state = app_state(request)
    await _endpoint(state, access, endpoint_id)
    hooks = state.sessions.store.webhooks
    found = await anyio.to_thread.run_sync(hooks.send_again, endpoint_id, delivery_id)
    if found is None:
        raise NotFoundError(f"no delivery {delivery_id} of this endpoint")
    return found.fields()
