"""Signing in and out, invitations, and what a user manages of their own: sharing default,
personal access tokens, the audit log of reads of their sessions, the export of their data."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, field_validator

from praesent.api.auth import (
    SESSION_COOKIE,
    Access,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    credentials_of,
    guard,
)
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.store import UserRecord
from praesent.team.access import SCOPES, Rule, Scope
from praesent.team.accounts import checked_password_hash, issue_token, token_lifetime
from praesent.team.credentials import (
    hash_secret,
    new_secret,
    verify_password,
)
from praesent.team.export import export_zip
from praesent.team.limits import new_ticket, signin_keys
from praesent.team.passwords import PASSWORD_MAX

router = APIRouter(prefix="/v1", tags=["account"])


class SignIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class NewPassword(BaseModel):
    # Judged by the password policy (praesent.team.passwords), which says what is wrong.
    password: str = Field(max_length=PASSWORD_MAX)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    scopes: list[Scope] | None = Field(
        default=None,
        min_length=1,
        description=f"Any of {', '.join(SCOPES)}; default: all of your role's",
    )
    expires_in_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="Days until it expires; 0: never; default: the server's "
        "PRAESENT_TOKEN_DAYS (90)",
    )

    @field_validator("expires_in_days", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        # JSON's false is not 0 ("never expires"), though pydantic would take it as one.
        if isinstance(value, bool):
            raise ValueError("a number of days, not true or false")
        return value


class SharingDefault(BaseModel):
    share_by_default: bool = Field(strict=True)


class CallLanguageSetting(BaseModel):
    language: Literal["auto", "de", "en"] | None = Field(
        description="auto: detected per call; de, en: pinned; null: the server's default"
    )


def _user(access: Access) -> UserRecord:
    if access.principal.user is None:
        raise ForbiddenError("this server has no accounts yet: create one with praesent admin")
    return access.principal.user


def start_web_session(request: Request, response: Response, user: UserRecord) -> dict[str, Any]:
    """Start a browser sign-in for ``user``: the cookie, and the CSRF token the page sends
    back in ``X-CSRF-Token`` on every change."""
    state = app_state(request)
    cookie = new_secret()
    csrf = new_secret()
    lifetime = timedelta(hours=state.settings.session_hours)
    state.sessions.store.people.create_web_session(user.id, hash_secret(cookie), csrf, lifetime)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return {"user": user.fields(), "csrf_token": csrf}


@router.post("/auth/login", responses=errors(401, 422, 429))
async def sign_in(
    request: Request,
    response: Response,
    body: SignIn,
    _access: Annotated[Access | None, guard(Rule.PUBLIC)],
) -> dict[str, Any]:
    """Sign in with an email and a password; sets an HttpOnly session cookie. More than 20
    failed attempts in a minute from one address, or 10 for one account, are refused with 429
    (counted as they start, so a burst does not slip through)."""
    state = app_state(request)
    # The client's address; behind a proxy the one it forwards, when the proxy is trusted
    # (FORWARDED_ALLOW_IPS), else the proxy's own.
    address = request.client.host if request.client else "unknown"
    keys = signin_keys(address, body.email)
    ticket = new_ticket()
    wait_s = await state.auth.signin_limits.attempt(keys, ticket)
    if wait_s is not None:
        raise RateLimitedError("too many failed sign-ins from here or for this account", wait_s)
    people = state.sessions.store.people
    found = await anyio.to_thread.run_sync(people.password_hash, body.email)
    stored = None if found is None else found[1]
    # Verified even for an unknown email (against a dummy hash): the answer takes as long.
    ok = await anyio.to_thread.run_sync(
        verify_password, stored, body.password, limiter=state.auth.hashing
    )
    if not ok or found is None:
        raise UnauthorizedError("wrong email or password")  # the attempt stays counted
    await state.auth.signin_limits.forgive(keys, ticket)
    user = await anyio.to_thread.run_sync(people.user, found[0])
    if user is None:
        raise UnauthorizedError("wrong email or password")
    return await anyio.to_thread.run_sync(start_web_session, request, response, user)


@router.post("/auth/logout", status_code=204, responses=errors(401, 403))
async def sign_out(request: Request, _access: Annotated[Access, guard(Rule.USER)]) -> Response:
    cookie = credentials_of(request).cookie
    if cookie is not None:
        people = app_state(request).sessions.store.people
        await anyio.to_thread.run_sync(people.end_web_session, hash_secret(cookie))
        app_state(request).observers.credentials_changed()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", responses=errors(401, 403))
async def me(_request: Request, access: Annotated[Access, guard(Rule.USER)]) -> dict[str, Any]:
    """Who you are; ``csrf_token`` when signed in through the browser; ``accounts`` false on a
    server without accounts (a laptop)."""
    user = access.principal.user
    return {
        "user": None if user is None else user.fields(),
        "accounts": user is not None,
        "scopes": sorted(access.principal.scopes),
        "csrf_token": access.csrf_token,
    }


@router.put("/me/sharing", responses=errors(401, 403, 422))
async def set_sharing_default(
    request: Request, body: SharingDefault, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """Whether your new sessions start shared with your teams' coaches."""
    user = _user(access)
    people = app_state(request).sessions.store.people
    await anyio.to_thread.run_sync(people.set_share_by_default, user.id, body.share_by_default)
    return {"share_by_default": body.share_by_default}


@router.put("/me/language", responses=errors(401, 403, 422))
async def set_call_language(
    request: Request, body: CallLanguageSetting, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """The language of your calls when a call or an upload names none: ``auto`` detects it,
    ``de`` or ``en`` pins it. The overlay can still change it during a call."""
    user = _user(access)
    people = app_state(request).sessions.store.people
    await anyio.to_thread.run_sync(people.set_call_language, user.id, body.language)
    return {"language": body.language}


@router.get("/me/tokens", responses=errors(401, 403))
async def list_tokens(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> list[dict[str, Any]]:
    user = _user(access)
    people = app_state(request).sessions.store.people
    return [t.fields() for t in await anyio.to_thread.run_sync(people.list_tokens, user.id)]


@router.post("/me/tokens", status_code=201, responses=errors(401, 403, 422))
async def create_token(
    request: Request, body: NewToken, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """A new personal access token for ``praesent capture``, ``praesent stream`` and the API.
    Its scopes are within those of the credential that asks (default: all of them); it
    expires after ``expires_in_days`` (default: the server's ``PRAESENT_TOKEN_DAYS``, 90).
    ``token`` is shown only in this answer; only its hash is stored."""
    user = _user(access)
    people = app_state(request).sessions.store.people
    # A token never mints a wider one: the new scopes are within the asking credential's.
    lifetime = token_lifetime(body.expires_in_days, app_state(request).settings.token_days)
    issued = await anyio.to_thread.run_sync(
        issue_token, people, user, body.name, body.scopes, access.principal.scopes, lifetime
    )
    return {**issued.record.fields(), "token": issued.token}


@router.delete("/me/tokens/{token_id}", status_code=204, responses=errors(401, 403, 404))
async def revoke_token(
    request: Request, token_id: str, access: Annotated[Access, guard(Rule.USER)]
) -> Response:
    user = _user(access)
    people = app_state(request).sessions.store.people
    if not await anyio.to_thread.run_sync(people.revoke_token, user.id, token_id):
        raise NotFoundError(f"no token {token_id}")
    app_state(request).observers.credentials_changed()  # its observers are cut off now
    return Response(status_code=204)


@router.get("/me/audit", responses=errors(401, 403))
async def audit_log(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> list[dict[str, Any]]:
    """Every read of your sessions by someone else, newest first."""
    user = _user(access)
    people = app_state(request).sessions.store.people
    return [entry.fields() for entry in await anyio.to_thread.run_sync(people.audit_for, user.id)]


@router.get(
    "/me/export",
    responses={200: {"content": {"application/zip": {}}}, **errors(401, 403)},
    response_class=Response,
)
async def export(request: Request, access: Annotated[Access, guard(Rule.USER)]) -> Response:
    """All your data as a ZIP of JSON: account, sessions with analyses and event logs, tokens
    (names only), the audit log."""
    store = app_state(request).sessions.store
    body = await anyio.to_thread.run_sync(export_zip, store, access.principal.user)
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="praesent-export.zip"'},
    )


@router.get("/invitations/{token}", responses=errors(404))
async def invitation(
    request: Request, token: str, _access: Annotated[Access | None, guard(Rule.PUBLIC)]
) -> dict[str, Any]:
    """What an invitation link offers (the email and role), while it is unused and valid."""
    people = app_state(request).sessions.store.people
    found = await anyio.to_thread.run_sync(people.invitation, hash_secret(token))
    if found is None:
        raise NotFoundError("this invitation is used, expired or unknown")
    return {"email": found.email, "role": found.role, "teams": list(found.team_names)}


@router.post("/invitations/{token}", status_code=201, responses=errors(404, 409, 422))
async def accept_invitation(
    request: Request,
    response: Response,
    token: str,
    body: NewPassword,
    _access: Annotated[Access | None, guard(Rule.PUBLIC)],
) -> dict[str, Any]:
    """Accept an invitation by choosing a password: the account is created and signed in.
    The link works once."""
    people = app_state(request).sessions.store.people
    offered = await anyio.to_thread.run_sync(people.invitation, hash_secret(token))
    if offered is None:
        raise NotFoundError("this invitation is used, expired or unknown")
    password_hash = await anyio.to_thread.run_sync(
        checked_password_hash, body.password, offered.email, limiter=app_state(request).auth.hashing
    )
    user = await anyio.to_thread.run_sync(
        people.redeem_invitation, hash_secret(token), password_hash
    )
    if user is None:
        raise NotFoundError("this invitation is used, expired or unknown")
    app_state(request).auth.accounts_seen = True
    return await anyio.to_thread.run_sync(start_web_session, request, response, user)
