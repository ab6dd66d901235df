"""Sign-in with a company's OpenID Connect provider (authorization code flow): the browser is
sent to the provider and comes back with a code; the server exchanges it, checks the ID token
and signs the person in, creating the account on first sign-in and setting the teams the
configured claim names.

A first sign-in is matched to an existing account by email address only when the provider says
it verified the address (``email_verified: true``), and only to an account that has no
password, no provider identity yet and is no admin; those accounts' owners link the provider
themselves, signed in (``POST /v1/auth/oidc/link``).
"""

from __future__ import annotations

import hmac
import importlib.util
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio
import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from praesent.api.account import start_web_session
from praesent.api.auth import Access, ForbiddenError, NotFoundError, guard, principal_of
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.errors import PraesentError
from praesent.settings import Settings
from praesent.store import EventStore, UserRecord
from praesent.team.access import Rule
from praesent.team.credentials import hash_secret, new_secret
from praesent.team.oidc import (
    OidcConfig,
    OidcError,
    PendingSignIn,
    authorization_url,
    email_to_link,
    subject_of,
    teams_from,
    verify_id_token,
)

router = APIRouter(prefix="/v1/auth/oidc", tags=["account"])
PENDING_S = 600.0
# Binds a sign-in under way to the browser that started it; sent back only to the callback.
BROWSER_COOKIE = "praesent_oidc"
_COOKIE_PATH = "/v1/auth/oidc/callback"
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
    """From PRAESENT_PUBLIC_URL when set: a Host header does not choose where the provider
    sends the code."""
    public = app_state(request).settings.public_url
    if public is None:
        return str(request.url_for("oidc_callback"))
    return public + str(request.app.url_path_for("oidc_callback"))


async def _start(request: Request, config: OidcConfig, link_user_id: str | None) -> Response:
    """Remember the sign-in under a fresh state and bind it to this browser by a cookie; the
    answer carries the provider's address (a redirect, or JSON for a link)."""
    async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
        metadata = await _metadata(client, config)
    pending = app_state(request).auth.oidc_pending
    now = time.monotonic()
    for state, started in list(pending.items()):
        if now - started.started > PENDING_S:
            del pending[state]
    state, nonce, verifier, browser = new_secret(), new_secret(), new_secret(), new_secret()
    pending[state] = PendingSignIn(nonce, verifier, hash_secret(browser), now, link_user_id)
    target = authorization_url(
        str(metadata["authorization_endpoint"]),
        config,
        _redirect_uri(request),
        state,
        nonce,
        verifier,
    )
    response: Response
    if link_user_id is None:
        response = RedirectResponse(target, status_code=302)
    else:
        response = JSONResponse({"authorization_url": target})
    # Lax: the provider's redirect back is a top-level GET, which carries it.
    response.set_cookie(
        BROWSER_COOKIE,
        browser,
        max_age=int(PENDING_S),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=_COOKIE_PATH,
    )
    return response


@router.get(
    "/login",
    status_code=302,
    responses={302: {"description": "To the provider"}, **errors(404, 503)},
)
async def oidc_login(
    request: Request, _access: Annotated[Access | None, guard(Rule.PUBLIC)]
) -> Response:
    """Start a sign-in at the company's identity provider."""
    return await _start(request, _configured(request), None)


@router.post("/link", responses=errors(401, 403, 404, 503))
async def oidc_link(request: Request, access: Annotated[Access, guard(Rule.USER)]) -> Response:
    """Link your identity provider to the account you are signed in to (an account with a
    password, or an admin's, is never linked by its email address alone). Answers
    ``authorization_url``: open it in this browser; the provider sends it back here."""
    config = _configured(request)
    user = access.principal.user
    if user is None:
        raise ForbiddenError("this server has no accounts")
    return await _start(request, config, user.id)


def _sign_in_user(
    store: EventStore, config: OidcConfig, claims: dict[str, Any], default_role: str
) -> UserRecord:
    people = store.people
    subject = subject_of(claims, config.issuer)
    known = [team.name for team in people.list_teams()]
    teams = teams_from(claims, config.teams_claim, known)
    user = people.user_by_oidc(subject)
    if user is None:
        email = email_to_link(claims)
        user = people.user_by_email(email)
        if user is None:
            user = people.create_user(email, default_role, teams, oidc_subject=subject)
        elif not people.link_oidc(user.id, subject, automatic=True):
            raise OidcError(
                "an account with this email address exists and is not linked to this sign-in: "
                "sign in to it with its password and link the identity provider there, or ask "
                f"an admin to link the subject {subject!r} to it"
            )
    people.set_teams(user.id, teams)
    found = people.user(user.id)
    assert found is not None
    return found


def _link_user(store: EventStore, config: OidcConfig, claims: dict[str, Any], user_id: str) -> None:
    people = store.people
    subject = subject_of(claims, config.issuer)
    other = people.user_by_oidc(subject)
    if other is not None and other.id != user_id:
        raise OidcError("this identity is linked to another account")
    if other is None and not people.link_oidc(user_id, subject, automatic=False):
        raise OidcError("your account is linked to another identity already")


def _take_pending(request: Request, state: str) -> PendingSignIn:
    """The sign-in ``state`` names, if this browser started it. A callback opened elsewhere is
    refused and leaves the sign-in to its own browser."""
    pending = app_state(request).auth.oidc_pending
    found = pending.get(state)
    if found is None or time.monotonic() - found.started > PENDING_S:
        pending.pop(state, None)
        raise OidcError("this sign-in was not started here or took too long; start again")
    browser = request.cookies.get(BROWSER_COOKIE)
    if not browser or not hmac.compare_digest(hash_secret(browser), found.browser_hash):
        raise OidcError("this sign-in was started in another browser; start again here")
    del pending[state]
    return found


async def _exchange(
    request: Request, config: OidcConfig, code: str, pending: PendingSignIn
) -> dict[str, Any]:
    """The code for an ID token at the provider; its checked claims."""
    async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
        metadata = await _metadata(client, config)
        try:
            answer = await client.post(
                str(metadata["token_endpoint"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": _redirect_uri(request),
                    "code_verifier": pending.code_verifier,
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
    now = int(datetime.now(UTC).timestamp())
    return verify_id_token(id_token, jwks, config, pending.nonce, now)


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
    the person in (or link the signed-in user's account)."""
    config = _configured(request)
    app = app_state(request)
    pending = _take_pending(request, state)
    claims = await _exchange(request, config, code, pending)
    store = app.sessions.store
    response = RedirectResponse("/app/#calls", status_code=303)
    response.delete_cookie(BROWSER_COOKIE, path=_COOKIE_PATH)
    if pending.link_user_id is not None:
        principal, _csrf = await principal_of(request)
        if principal is None or principal.user_id != pending.link_user_id:
            raise OidcError("sign in to the account you are linking, in this browser")
        await anyio.to_thread.run_sync(_link_user, store, config, claims, pending.link_user_id)
        return response
    user = await anyio.to_thread.run_sync(
        _sign_in_user, store, config, claims, app.settings.oidc_default_role
    )
    app.auth.accounts_seen = True
    await anyio.to_thread.run_sync(start_web_session, request, response, user)
    return response
