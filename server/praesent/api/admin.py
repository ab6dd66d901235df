"""Admin: users, teams and their retention, invitations. Admins see no session content."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from praesent.api.auth import Access, NotFoundError, guard
from praesent.api.docs import EMAIL, errors
from praesent.api.state import app_state
from praesent.store import ConflictError, Role
from praesent.team.access import Rule
from praesent.team.accounts import create_user_with_token, token_lifetime
from praesent.team.credentials import hash_secret, new_secret
from praesent.team.passwords import PASSWORD_MAX

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class NewUser(BaseModel):
    email: str = EMAIL
    role: Role
    teams: list[str] = Field(default_factory=list)
    # Judged by the password policy (praesent.team.passwords), which says what is wrong.
    password: str | None = Field(default=None, max_length=PASSWORD_MAX)


class OidcLink(BaseModel):
    subject: str = Field(
        min_length=3,
        max_length=600,
        pattern=r"^\S+ \S",
        description="The identity provider's issuer and the person's `sub`, separated by a "
        "space, as a refused sign-in shows it",
    )


class NewTeam(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*\S[^\x00]*$")
    retention_days: int | None = Field(default=None, ge=1, le=36500)
    keep_transcripts: bool = Field(default=True, strict=True)


class TeamSettings(BaseModel):
    retention_days: int | None = Field(default=None, ge=1, le=36500)
    keep_transcripts: bool = Field(default=True, strict=True)
    webhook_transcripts: bool | None = Field(
        default=None,
        strict=True,
        description="Webhooks carry the call's transcript (only where transcripts are kept); "
        "omitted: unchanged",
    )
    send_results_by_default: bool | None = Field(
        default=None,
        strict=True,
        description="A call's results go to the webhooks unless its seller says otherwise; "
        "omitted: unchanged",
    )


class NewInvitation(BaseModel):
    email: str = EMAIL
    role: Role
    teams: list[str] = Field(default_factory=list)


@router.get("/users", responses=errors(401, 403))
async def list_users(
    request: Request, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> list[dict[str, Any]]:
    people = app_state(request).sessions.store.people
    return [user.fields() for user in await anyio.to_thread.run_sync(people.list_users)]


@router.post("/users", status_code=201, responses=errors(401, 403, 404, 409, 422))
async def create_user(
    request: Request, body: NewUser, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> dict[str, Any]:
    """A new user with a first personal access token (``token``, shown only here)."""
    state = app_state(request)
    people = state.sessions.store.people
    user, issued = await anyio.to_thread.run_sync(
        create_user_with_token,
        people,
        body.email,
        body.role,
        body.teams,
        body.password,
        token_lifetime(None, state.settings.token_days),
        limiter=state.auth.hashing,
    )
    return {**user.fields(), "token": issued.token}


@router.delete("/users/{user_id}", status_code=204, responses=errors(401, 403, 404))
async def delete_user(
    request: Request, user_id: str, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> Response:
    """Delete a user and all their data: sessions, event logs, tokens, audit log."""
    people = app_state(request).sessions.store.people
    if not await anyio.to_thread.run_sync(people.delete_user, user_id):
        raise NotFoundError(f"no user {user_id}")
    app_state(request).observers.credentials_changed()  # their observers are cut off now
    return Response(status_code=204)


@router.put("/users/{user_id}/oidc", responses=errors(401, 403, 404, 409, 422))
async def link_oidc(
    request: Request, user_id: str, body: OidcLink, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> dict[str, Any]:
    """Link an identity provider's subject to an account that has none: how an account with a
    password or the admin role, which a sign-in never links by its email address, is linked
    when its owner cannot do it signed in (an admin created with a token only)."""
    people = app_state(request).sessions.store.people
    user = await anyio.to_thread.run_sync(people.user, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    if not await anyio.to_thread.run_sync(
        functools.partial(people.link_oidc, user_id, body.subject, automatic=False)
    ):
        raise ConflictError("this account is linked to an identity already")
    return {**user.fields(), "oidc_subject": body.subject}


@router.get("/teams", responses=errors(401, 403))
async def list_teams(
    request: Request, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> list[dict[str, Any]]:
    people = app_state(request).sessions.store.people
    return [team.fields() for team in await anyio.to_thread.run_sync(people.list_teams)]


@router.post("/teams", status_code=201, responses=errors(401, 403, 409, 422))
async def create_team(
    request: Request, body: NewTeam, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> dict[str, Any]:
    people = app_state(request).sessions.store.people
    team = await anyio.to_thread.run_sync(
        people.create_team, body.name, body.retention_days, body.keep_transcripts
    )
    return team.fields()


@router.put("/teams/{team_id}", responses=errors(401, 403, 404, 422))
async def update_team(
    request: Request,
    team_id: str,
    body: TeamSettings,
    _access: Annotated[Access, guard(Rule.ADMIN)],
) -> dict[str, Any]:
    """A team's retention period (none: the server's default), whether transcripts stay, and
    what its webhooks get."""
    people = app_state(request).sessions.store.people

    def update() -> dict[str, Any]:
        return people.update_team(
            team_id,
            retention_days=body.retention_days,
            keep_transcripts=body.keep_transcripts,
            webhook_transcripts=body.webhook_transcripts,
            send_results_by_default=body.send_results_by_default,
        ).fields()

    return await anyio.to_thread.run_sync(update)


@router.post("/invitations", status_code=201, responses=errors(401, 403, 404, 422))
async def invite(
    request: Request, body: NewInvitation, _access: Annotated[Access, guard(Rule.ADMIN)]
) -> dict[str, Any]:
    """A single-use link for a new person to choose a password (``url``, shown only here)."""
    state = app_state(request)
    token = new_secret()
    lifetime = timedelta(hours=state.settings.invitation_hours)
    people = state.sessions.store.people

    def create() -> dict[str, Any]:
        made = people.create_invitation(
            body.email, body.role, body.teams, hash_secret(token), lifetime
        )
        return {
            "email": made.email,
            "role": made.role,
            "teams": list(made.team_names),
            "expires_at": made.expires_at.isoformat(),
            "token": token,
            "url": state.settings.public_address(str(request.base_url)) + f"/app/#invite={token}",
        }

    return await anyio.to_thread.run_sync(create)
