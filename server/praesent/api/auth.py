"""Who is asking, and may they: credentials (a personal access token, a browser sign-in with
its CSRF token, or on a laptop without accounts the optional server token) and the access rule
each route declares with :func:`guard`.

Until the database holds a user the server is a laptop: everything belongs to the local owner,
and ``PRAESENT_API_TOKEN`` (when set) guards it as before. Once a user exists every request
needs a user's credentials, on a local bind too.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import Depends, WebSocketException
from starlette.requests import HTTPConnection

from praesent.api.state import AuthState, app_state
from praesent.errors import PraesentError
from praesent.live.protocol import CLOSE_POLICY
from praesent.store import EventStore, SessionRecord
from praesent.team.access import (
    Principal,
    Rule,
    coaches_team,
    is_admin,
    local_owner,
    scope_for_method,
    scopes_for,
    session_visibility,
)
from praesent.team.credentials import hash_secret

SESSION_COOKIE = "praesent_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class UnauthorizedError(PraesentError):
    code = "unauthorized"


class ForbiddenError(PraesentError):
    code = "forbidden"


class CsrfError(ForbiddenError):
    code = "csrf_failed"


class NotFoundError(PraesentError):
    code = "not_found"


class RateLimitedError(PraesentError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Credentials:
    bearer: str | None
    cookie: str | None
    csrf: str | None
    unsafe: bool


def bearer_token(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def credentials_of(connection: HTTPConnection) -> Credentials:
    websocket = connection.scope["type"] == "websocket"
    method = "GET" if websocket else str(connection.scope.get("method", "GET"))
    bearer = bearer_token(connection.headers.get("authorization"))
    if bearer is None and websocket:
        # Browsers cannot set headers on a socket. `?token=` is no credential at all.
        bearer = connection.query_params.get("token") or None
    return Credentials(
        bearer=bearer,
        cookie=connection.cookies.get(SESSION_COOKIE),
        csrf=connection.headers.get(CSRF_HEADER),
        unsafe=method.upper() not in _SAFE_METHODS,
    )


def resolve(
    store: EventStore, auth: AuthState, api_token: str | None, creds: Credentials
) -> tuple[Principal | None, str | None]:
    """The principal behind these credentials (None: none or invalid) and, for a browser
    sign-in, its CSRF token. Blocking: call it from a worker thread."""
    if not auth.accounts_exist(store):
        if api_token is None:
            return local_owner(), None
        # An empty configured token never matches (Settings maps it to None; this is the
        # belt to those braces): fail closed.
        if creds.bearer and api_token and hmac.compare_digest(creds.bearer, api_token):
            return local_owner(), None
        return None, None
    people = store.people
    if creds.bearer is not None:
        found = people.token_owner(hash_secret(creds.bearer))
        if found is None:
            return None, None
        user, scopes = found
        return Principal(user, scopes & scopes_for(user.role)), None
    if creds.cookie is not None:
        signed_in = people.web_session(hash_secret(creds.cookie))
        if signed_in is None:
            return None, None
        user, csrf = signed_in
        if creds.unsafe and not (creds.csrf and hmac.compare_digest(creds.csrf, csrf)):
            raise CsrfError(f"a signed-in browser sends the {CSRF_HEADER} header")
        return Principal(user, scopes_for(user.role)), csrf
    return None, None


async def principal_of(connection: HTTPConnection) -> tuple[Principal | None, str | None]:
    state = app_state(connection)
    creds = credentials_of(connection)
    return await anyio.to_thread.run_sync(
        resolve, state.sessions.store, state.auth, state.settings.api_token, creds
    )


@dataclass(frozen=True, slots=True)
class Access:
    """What a route's guard established: who asks, and the session or team in the path."""

    principal: Principal
    session: SessionRecord | None = None
    shared_view: bool = False  # a coach reading a session shared with them
    csrf_token: str | None = None

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id


def _refuse(connection: HTTPConnection, error: PraesentError) -> Exception:
    if connection.scope["type"] == "websocket":
        return WebSocketException(CLOSE_POLICY, error.message[:120])
    return error


def _check(
    store: EventStore,
    rule: Rule,
    principal: Principal,
    path: dict[str, Any],
) -> tuple[SessionRecord | None, bool]:
    """Apply ``rule`` (blocking: the store is read). Returns the path's session and whether a
    non-owner reads it."""
    if rule in (Rule.ADMIN, Rule.METRICS) and not is_admin(principal):
        raise ForbiddenError("only an admin may do this")
    if rule is Rule.TEAM_COACH and not coaches_team(principal, str(path.get("team_id"))):
        raise NotFoundError(f"no team {path.get('team_id')}")
    if rule not in (Rule.SESSION_READ, Rule.SESSION_OWNER):
        return None, False
    session_id = str(path.get("session_id"))
    record = store.get_session(session_id)
    visibility = "none"
    if record is not None:
        owner = store.people.user(record.owner_id) if record.owner_id else None
        teams = owner.team_ids if owner is not None else frozenset()
        visibility = session_visibility(principal, record.owner_id, record.shared, teams)
    if record is None or visibility == "none":
        raise NotFoundError(f"no session {session_id}")  # existence is not leaked
    if rule is Rule.SESSION_OWNER and visibility != "owner":
        raise ForbiddenError("only the session's seller may do this")
    return record, visibility == "shared"


def _scrape_token(connection: HTTPConnection) -> bool:
    """The request carries the metrics scrape token (when one is set)."""
    expected = app_state(connection).settings.metrics_token
    sent = bearer_token(connection.headers.get("authorization"))
    return bool(expected) and bool(sent) and hmac.compare_digest(str(sent), str(expected))


def guard(rule: Rule, scope: str | None = None) -> Any:
    """A dependency that enforces ``rule`` and returns the :class:`Access`. The rule is kept on
    the dependency, where the access-control test reads it from the route table."""

    async def dependency(connection: HTTPConnection) -> Access | None:
        if rule is Rule.PROBE or (rule is Rule.METRICS and _scrape_token(connection)):
            return None
        try:
            principal, csrf = await principal_of(connection)
        except CsrfError as error:
            raise _refuse(connection, error) from None
        if rule is Rule.PUBLIC:
            return None if principal is None else Access(principal, csrf_token=csrf)
        if principal is None:
            raise _refuse(connection, UnauthorizedError("sign in or send a valid token"))
        method = "GET" if connection.scope["type"] == "websocket" else connection.scope["method"]
        admin_only = rule in (Rule.ADMIN, Rule.METRICS)
        needed = scope or ("admin" if admin_only else scope_for_method(method))
        if needed not in principal.scopes:
            raise _refuse(connection, ForbiddenError(f"this credential lacks the {needed} scope"))
        store = app_state(connection).sessions.store
        try:
            record, shared_view = await anyio.to_thread.run_sync(
                _check, store, rule, principal, dict(connection.path_params)
            )
        except PraesentError as error:
            raise _refuse(connection, error) from None
        return Access(principal, record, shared_view, csrf)

    dependency.access_rule = rule  # type: ignore[attr-defined]
    return Depends(dependency)


def rule_of(call: Callable[..., Awaitable[Any]] | Any) -> Rule | None:
    rule = getattr(call, "access_rule", None)
    return rule if isinstance(rule, Rule) else None


async def audit_read(connection: HTTPConnection, access: Access, action: str) -> None:
    """A read of a session by someone other than its seller goes into the seller's audit log."""
    record = access.session
    user = access.principal.user
    if not access.shared_view or record is None or record.owner_id is None or user is None:
        return
    people = app_state(connection).sessions.store.people
    await anyio.to_thread.run_sync(people.record_read, record.owner_id, user, record.id, action)
