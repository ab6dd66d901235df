"""A team's CRM connection, set by an admin: HubSpot (a private app's access token) or
Salesforce (its instance URL and an access token). The token is never shown again; the
connection's delivery log shows how each call's note went, and "send again" retries one."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from praesent.api.auth import Access, NotFoundError, guard
from praesent.api.docs import errors
from praesent.api.state import AppState, app_state
from praesent.store.crm import CrmConnection
from praesent.team.access import Rule
from praesent.webhooks.addresses import resolve

router = APIRouter(prefix="/v1/admin/teams", tags=["admin"])
TeamId = Annotated[str, Path(max_length=32)]
# A HubSpot private app token is about 45 characters, a Salesforce access token about 110;
# printable ASCII without spaces, as an Authorization header carries it.
TOKEN = Field(min_length=8, max_length=2000, pattern=r"^[\x21-\x7e]+$")
INSTANCE_URL_MAX = 300


class HubSpotConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["hubspot"]
    token: str = TOKEN


class SalesforceConnection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["salesforce"]
    instance_url: str = Field(
        min_length=9,
        max_length=INSTANCE_URL_MAX,
        description="https://yourcompany.my.salesforce.com",
    )
    token: str = TOKEN


async def _team(state: AppState, team_id: str) -> None:
    if await anyio.to_thread.run_sync(state.sessions.store.people.team, team_id) is None:
        raise NotFoundError(f"no team {team_id}")


async def _connection(state: AppState, team_id: str) -> CrmConnection:
    await _team(state, team_id)
    found = await anyio.to_thread.run_sync(state.sessions.store.crm.connection, team_id)
    if found is None:
        raise NotFoundError(f"team {team_id} has no CRM connection")
    return found


async def _shown(state: AppState, connection: CrmConnection) -> dict[str, Any]:
    """The connection with how its latest note went (``status``: none yet, pending,
    delivered or failed, with ``last_error``)."""
    hooks = state.sessions.store.webhooks
    last = await anyio.to_thread.run_sync(hooks.deliveries, connection.id, 1)
    status: dict[str, Any] = {"status": "no notes yet", "last_error": None, "last_note_at": None}
    if last:
        status = {
            "status": last[0].status,
            "last_error": last[0].last_error,
            "last_note_at": last[0].created_at.isoformat(),
        }
    return {**connection.fields(), **status}


@router.put("/{team_id}/crm", responses=errors(401, 403, 404, 422))
async def set_crm(
    request: Request,
    team_id: TeamId,
    body: Annotated[HubSpotConnection | SalesforceConnection, Field(discriminator="kind")],
    _access: Annotated[Access, guard(Rule.ADMIN)],
) -> dict[str, Any]:
    """Connect the team's CRM (replacing its connection): each call of its sellers whose
    results go out leaves a note there (docs/crm.md). A Salesforce instance URL inside the
    network is refused unless the admin allows private addresses."""
    state = app_state(request)
    await _team(state, team_id)
    settings = state.settings
    if isinstance(body, SalesforceConnection):
        await anyio.to_thread.run_sync(
            functools.partial(
                resolve,
                body.instance_url,
                allow_http=False,
                allow_private=settings.webhooks_allow_private,
            )
        )
        url = body.instance_url.rstrip("/")
    else:
        url = settings.hubspot_api_url
    crm = state.sessions.store.crm
    connection = await anyio.to_thread.run_sync(
        crm.set_connection, team_id, body.kind, url, body.token
    )
    return await _shown(state, connection)


@router.get("/{team_id}/crm", responses=errors(401, 403, 404))
async def get_crm(
    request: Request, team_id: TeamId, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> dict[str, Any]:
    """The team's CRM: its kind (and Salesforce instance URL) and how the latest note went;
    never the token."""
    state = app_state(request)
    return await _shown(state, await _connection(state, team_id))


@router.delete("/{team_id}/crm", status_code=204, responses=errors(401, 403, 404))
async def delete_crm(
    request: Request, team_id: TeamId, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> Response:
    """Disconnect the team's CRM, with its delivery log; notes not yet sent are not sent."""
    state = app_state(request)
    await _connection(state, team_id)
    await anyio.to_thread.run_sync(state.sessions.store.crm.delete_connection, team_id)
    return Response(status_code=204)


@router.get("/{team_id}/crm/deliveries", responses=errors(401, 403, 404))
async def crm_deliveries(
    request: Request,
    team_id: TeamId,
    _access: Annotated[Access, guard(Rule.ADMIN)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The notes to the team's CRM, newest first: ``status`` (pending, delivered, failed),
    ``attempts``, the ``last_response_status`` and ``last_error`` (such as "no HubSpot
    contact with e-mail …")."""
    state = app_state(request)
    connection = await _connection(state, team_id)
    hooks = state.sessions.store.webhooks
    found = await anyio.to_thread.run_sync(hooks.deliveries, connection.id, limit)
    return [delivery.fields() for delivery in found]


@router.post(
    "/{team_id}/crm/deliveries/{delivery_id}/retry",
    status_code=202,
    responses=errors(401, 403, 404),
)
async def crm_send_again(
    request: Request,
    team_id: TeamId,
    delivery_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    _access: Annotated[Access, guard(Rule.ADMIN)],
) -> dict[str, Any]:
    """Send a note again (after the contact was added in the CRM, the token replaced, or the
    call's customer e-mail set); a note that reached the CRM is found there and not written
    twice."""
    state = app_state(request)
    connection = await _connection(state, team_id)
    hooks = state.sessions.store.webhooks
    found = await anyio.to_thread.run_sync(hooks.send_again, connection.id, delivery_id)
    if found is None:
        raise NotFoundError(f"no delivery {delivery_id} of this team's CRM")
    return found.fields()
