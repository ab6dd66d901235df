"""Sign-in with a company's OpenID Connect provider (authorization code flow): the browser is
sent to the provider and comes back with a code; the server exchanges it, checks the ID token
and signs the person in, creating the account on first sign-in and setting the teams the
configured claim names."""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from praesent.api.account import start_web_session
from praesent.api.auth import Access, NotFoundError, guard
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.errors import PraesentError
from praesent.settings import Settings
from praesent.store import EventStore, UserRecord
from praesent.team.access import Rule
from praesent.team.credentials import new_secret
from praesent.team.oidc import (
    OidcConfig,
    OidcError,
    authorization_url,
    subject_of,
    teams_from,
    verify_id_token,
)

router = APIRouter(prefix="/v1/auth/oidc", tags=["account"])
PENDING_S = 600.0
_TIMEOUT_S = 10.0


class ProviderUnavailableError(PraesentError):
    code = "provider_unavailable"


def oidc_config(settings: Settings) -> OidcConfig | None:
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
        return None
    return OidcConfig(
        issuer=settings.oidc_issuer.rstrip("/"),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scopes=settings.oidc_scopes,
        teams_claim=settings.oidc_teams_claim,
    )


def _configured(request: Request) -> OidcConfig:
    config = oidc_config(app_state(request).settings)
    if config is None:
        raise NotFoundError("this server has no OpenID Connect provider configured")
    if importlib.util.find_spec("joserfc") is None:
        raise ProviderUnavailableError("OpenID Connect needs: pip install 'praesent[oidc]'")
    return config


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await client.get(url)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailableError("the identity provider cannot be reached") from exc
    return data


async def _metadata(client: httpx.AsyncClient, config: OidcConfig) -> dict[str, Any]:
    return await _get_json(client, f"{config.issuer}/.well-known/openid-configuration")


def _redirect_uri(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get(
    "/login",
    status_code=302,
    responses={302: {"description": "To the provider"}, **errors(404, 503)},
)
async def oidc_login(
    request: Request, _access: Annotated[Access | None, guard(Rule.PUBLIC)]
) -> Response:
    """Start a sign-in at the company's identity provider."""
    config = _configured(request)
    async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
        metadata = await _metadata(client, config)
    pending = app_state(request).auth.oidc_pending
    now = time.monotonic()
    for state, (_nonce, started) in list(pending.items()):
        if now - started > PENDING_S:
            del pending[state]
    state, nonce = new_secret(), new_secret()
    pending[state] = (nonce, now)
    target = authorization_url(
        str(metadata["authorization_endpoint"]), config, _redirect_uri(request), state, nonce
    )
    return RedirectResponse(target, status_code=302)


def _sign_in_user(
    store: EventStore, config: OidcConfig, claims: dict[str, Any], default_role: str
) -> UserRecord:
    people = store.people
    subject = subject_of(claims, config.issuer)
    known = [team.name for team in people.list_teams()]
    teams = teams_from(claims, config.teams_claim, known)
    user = people.user_by_oidc(subject)
    if user is None:
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is False:
            raise OidcError("the identity provider sent no verified email address")
        user = people.user_by_email(email)
        if user is None:
            user = people.create_user(email, default_role, teams, oidc_subject=subject)
        else:
            people.link_oidc(user.id, subject)
    people.set_teams(user.id, teams)
    found = people.user(user.id)
    assert found is not None
    return found


@router.get(
    "/callback",
    status_code=303,
    responses={303: {"description": "Signed in: to the web app"}, **errors(401, 404, 503)},
)
async def oidc_callback(
    request: Request,
    _access: Annotated[Access | None, guard(Rule.PUBLIC)],
    code: Annotated[str, Query(max_length=4096)],
    state: Annotated[str, Query(max_length=200)],
) -> Response:
    """Where the provider sends the browser back: exchange the code, check the ID token, sign
    the person in."""
    config = _configured(request)
    app = app_state(request)
    pending = app.auth.oidc_pending.pop(state, None)
    if pending is None or time.monotonic() - pending[1] > PENDING_S:
        raise OidcError("this sign-in was not started here or took too long; start again")
    nonce = pending[0]
    async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
        metadata = await _metadata(client, config)
        try:
            answer = await client.post(
                str(metadata["token_endpoint"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": _redirect_uri(request),
                },
                auth=(config.client_id, config.client_secret),
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError("the identity provider cannot be reached") from exc
        if answer.status_code != 200:
            raise OidcError("the identity provider refused the sign-in code")
        id_token = answer.json().get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the identity provider sent no ID token")
        jwks = await _get_json(client, str(metadata["jwks_uri"]))
    claims = verify_id_token(id_token, jwks, config, nonce, int(datetime.now(UTC).timestamp()))
    store = app.sessions.store
    user = await anyio.to_thread.run_sync(
        _sign_in_user, store, config, claims, app.settings.oidc_default_role
    )
    app.auth.accounts_seen = True
    response = RedirectResponse("/app/#calls", status_code=303)
    await anyio.to_thread.run_sync(start_web_session, request, response, user)
    return response
