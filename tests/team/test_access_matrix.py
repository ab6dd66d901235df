"""Access control generated from the application's route table.

Every route x {no credentials, the seller who owns the object, a seller of the same team, a
seller of another team, the team's coach, an admin} x {own object, another's object} x {shared,
not shared}, with the status each must answer. Each route's rule is written out in PINNED below
(not read back from the route): the rule a route declares (its guard) must be the pinned one,
and the statuses are derived from the pinned rule, so a route whose guard changes, or a new
route nobody pinned, is a failing diff. What each rule must answer is stated here too. A route
without a rule, or without a request below, fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from praesent.api.auth import rule_of
from praesent.team.access import Rule
from tests.team.world import PASSWORD, World

ACTORS: tuple[str | None, ...] = (None, "ada", "ben", "dan", "cleo", "eve")
# Routes the framework adds itself; the middleware guards the documentation.
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@dataclass(frozen=True)
class Case:
    actor: str | None
    own: bool
    shared: bool


class Target:
    """The objects of one case; the session is made only when a request needs it."""

    def __init__(self, world: World, case: Case) -> None:
        self.world = world
        self.case = case
        owner = case.actor if case.own and case.actor is not None else "ada"
        if not case.own and case.actor == "ada":
            owner = "ben"
        self.session_owner = owner
        self.team_name = "A" if case.own and case.actor != "dan" else "B"
        if not case.own and case.actor == "dan":
            self.team_name = "A"
        self.team = world.teams[self.team_name]
        self._session_id: str | None = None

    @property
    def session_id(self) -> str:
        if self._session_id is None:
            self._session_id = self.world.session(self.session_owner, shared=self.case.shared)
        return self._session_id


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    body: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    ok: int = 200


def _invitation(world: World) -> str:
    from datetime import timedelta

    from praesent.team.credentials import hash_secret, new_secret

    token = new_secret()
    world.store.people.create_invitation(
        f"new-{uuid4().hex[:8]}@example.com",
        "seller",
        ["Team A"],
        hash_secret(token),
        timedelta(hours=1),
    )
    return token


def _fresh_token_id(world: World, case: Case) -> str:
    from praesent.team.accounts import issue_token

    user = world.users[case.actor or "ada"]
    return issue_token(world.store.people, user, "to revoke").record.id


def _fresh_user(world: World) -> str:
    return world.store.people.create_user(f"gone-{uuid4().hex[:8]}@example.com", "seller").id


def _job(world: World, case: Case) -> str:
    job_id = uuid4().hex
    owner = world.users[case.actor or "ada"].id
    world.store.jobs.create(job_id, "analysis", owner, {}, "call.wav", f"{job_id}.wav")
    return job_id


def _endpoint(world: World, case: Case) -> str:
    """A webhook endpoint of the actor (nothing is sent: the server's relay does not poll)."""
    user = world.users[case.actor or "ada"]
    url = "http://127.0.0.1:9/hooks"
    made, _secret = world.store.webhooks.create_endpoint(
        url, ["session.deleted"], owner_id=user.id, team_id=None
    )
    return made.id


def _calendar(world: World, case: Case) -> str:
    """The actor's calendar, set (never read here: no call starts)."""
    user = world.users[case.actor or "ada"]
    world.store.calendars.put(user.id, "https://93.184.216.34/cal.ics", "ics", None, None)
    return "/v1/me/calendar"


def _delivery(world: World, case: Case) -> str:
    """A delivery of a fresh endpoint of the actor: the deletion of a call of theirs."""
    endpoint_id = _endpoint(world, case)
    world.store.delete_session(world.session(case.actor or "ada"))
    [delivery] = world.store.webhooks.deliveries(endpoint_id)
    return f"/v1/webhooks/{endpoint_id}/deliveries/{delivery.id}/retry"


def _crm(world: World, team_id: str) -> str:
    """The team's CRM connection (HubSpot; nothing is sent: the relay does not poll)."""
    world.store.crm.set_connection(team_id, "hubspot", "https://api.hubapi.com", "pat-test-1")
    return f"/v1/admin/teams/{team_id}/crm"


def _crm_delivery(world: World, team_id: str) -> str:
    """A note of a call of the team's seller, logged as not sent (no customer e-mail)."""
    base = _crm(world, team_id)
    seller = next(
        name
        for name, user in world.users.items()
        if user.role == "seller" and any(team.id == team_id for team in user.teams)
    )
    world.session(seller)
    connection = world.store.crm.connection(team_id)
    assert connection is not None
    delivery = world.store.webhooks.deliveries(connection.id, 1)[0]
    return f"{base}/deliveries/{delivery.id}/retry"


Builder = Callable[[World, Case, Target], Call]

# The access rule of every route of the app, written out by hand: the specification the guards
# are checked against. Changing a route's guard, or adding a route, means changing this table.
PINNED: dict[str, Rule] = {
    "GET /healthz": Rule.PROBE,
    "GET /readyz": Rule.PROBE,
    "GET /metrics": Rule.METRICS,
    "GET /v1/live/schema": Rule.USER,
    "WS /v1/live": Rule.USER,
    "POST /v1/analyses": Rule.USER,
    "POST /v1/jobs": Rule.USER,
    "GET /v1/jobs/{job_id}": Rule.USER,
    "GET /v1/sessions": Rule.USER,
    "GET /v1/sessions/{session_id}": Rule.SESSION_READ,
    "PUT /v1/sessions/{session_id}/sharing": Rule.SESSION_OWNER,
    "DELETE /v1/sessions/{session_id}": Rule.SESSION_OWNER,
    "PUT /v1/sessions/{session_id}/sending": Rule.SESSION_OWNER,
    "PUT /v1/sessions/{session_id}/customer": Rule.SESSION_OWNER,
    "GET /v1/sessions/{session_id}/report": Rule.SESSION_READ,
    "WS /v1/sessions/{session_id}/events": Rule.SESSION_READ,
    "POST /v1/auth/login": Rule.PUBLIC,
    "POST /v1/auth/logout": Rule.USER,
    "GET /v1/me": Rule.USER,
    "PUT /v1/me/sharing": Rule.USER,
    "PUT /v1/me/language": Rule.USER,
    "GET /v1/me/tokens": Rule.USER,
    "POST /v1/me/tokens": Rule.USER,
    "DELETE /v1/me/tokens/{token_id}": Rule.USER,
    "GET /v1/me/audit": Rule.USER,
    "GET /v1/me/export": Rule.USER,
    "GET /v1/me/trends": Rule.USER,
    "GET /v1/me/calendar": Rule.USER,
    "PUT /v1/me/calendar": Rule.USER,
    "DELETE /v1/me/calendar": Rule.USER,
    "GET /v1/invitations/{token}": Rule.PUBLIC,
    "POST /v1/invitations/{token}": Rule.PUBLIC,
    "GET /v1/admin/users": Rule.ADMIN,
    "POST /v1/admin/users": Rule.ADMIN,
    "DELETE /v1/admin/users/{user_id}": Rule.ADMIN,
    "PUT /v1/admin/users/{user_id}/oidc": Rule.ADMIN,
    "GET /v1/admin/teams": Rule.ADMIN,
    "POST /v1/admin/teams": Rule.ADMIN,
    "PUT /v1/admin/teams/{team_id}": Rule.ADMIN,
    "PUT /v1/admin/teams/{team_id}/crm": Rule.ADMIN,
    "GET /v1/admin/teams/{team_id}/crm": Rule.ADMIN,
    "DELETE /v1/admin/teams/{team_id}/crm": Rule.ADMIN,
    "GET /v1/admin/teams/{team_id}/crm/deliveries": Rule.ADMIN,
    "POST /v1/admin/teams/{team_id}/crm/deliveries/{delivery_id}/retry": Rule.ADMIN,
    "POST /v1/admin/invitations": Rule.ADMIN,
    "GET /v1/teams": Rule.USER,
    "GET /v1/teams/{team_id}/dashboard": Rule.TEAM_COACH,
    "GET /v1/auth/oidc/login": Rule.PUBLIC,
    "GET /v1/auth/oidc/callback": Rule.PUBLIC,
    "POST /v1/auth/oidc/link": Rule.USER,
    "GET /v1/voice-profiles": Rule.USER,
    "POST /v1/voice-profiles/{seller_id}": Rule.USER,
    "DELETE /v1/voice-profiles/{seller_id}": Rule.USER,
    "GET /v1/webhooks": Rule.USER,
    "POST /v1/webhooks": Rule.USER,
    "DELETE /v1/webhooks/{endpoint_id}": Rule.USER,
    "GET /v1/webhooks/{endpoint_id}/deliveries": Rule.USER,
    "POST /v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry": Rule.USER,
}

# One request per route, keyed by "METHOD path" as the route table spells it.
REQUESTS: dict[str, Builder] = {
    "GET /healthz": lambda w, c, t: Call("GET", "/healthz"),
    "GET /readyz": lambda w, c, t: Call("GET", "/readyz"),
    # An admin's credentials; Prometheus's scrape token is tested in tests/test_operations.py.
    "GET /metrics": lambda w, c, t: Call("GET", "/metrics"),
    "GET /v1/live/schema": lambda w, c, t: Call("GET", "/v1/live/schema"),
    "POST /v1/analyses": lambda w, c, t: Call(
        "POST", "/v1/analyses", files={"file": ("empty.wav", b"", "audio/wav")}, ok=422
    ),
    # No queue is configured here: a valid upload would get 503; an empty one is refused first.
    "POST /v1/jobs": lambda w, c, t: Call(
        "POST", "/v1/jobs", files={"file": ("empty.wav", b"", "audio/wav")}, ok=422
    ),
    # A job is its uploader's: each user reaches their own.
    "GET /v1/jobs/{job_id}": lambda w, c, t: Call("GET", f"/v1/jobs/{_job(w, c)}"),
    "GET /v1/sessions": lambda w, c, t: Call("GET", "/v1/sessions"),
    "GET /v1/sessions/{session_id}": lambda w, c, t: Call("GET", f"/v1/sessions/{t.session_id}"),
    "PUT /v1/sessions/{session_id}/sharing": lambda w, c, t: Call(
        "PUT", f"/v1/sessions/{t.session_id}/sharing", {"shared": True}
    ),
    "PUT /v1/sessions/{session_id}/sending": lambda w, c, t: Call(
        "PUT", f"/v1/sessions/{t.session_id}/sending", {"send_results": False}
    ),
    "PUT /v1/sessions/{session_id}/customer": lambda w, c, t: Call(
        "PUT", f"/v1/sessions/{t.session_id}/customer", {"name": "Grace Hopper", "company": "ACME"}
    ),
    "DELETE /v1/sessions/{session_id}": lambda w, c, t: Call(
        "DELETE", f"/v1/sessions/{t.session_id}", ok=204
    ),
    "GET /v1/sessions/{session_id}/report": lambda w, c, t: Call(
        "GET", f"/v1/sessions/{t.session_id}/report?format=json"
    ),
    "POST /v1/auth/login": lambda w, c, t: Call(
        "POST", "/v1/auth/login", {"email": "ben@example.com", "password": PASSWORD}
    ),
    "POST /v1/auth/logout": lambda w, c, t: Call("POST", "/v1/auth/logout", ok=204),
    "GET /v1/me": lambda w, c, t: Call("GET", "/v1/me"),
    "PUT /v1/me/sharing": lambda w, c, t: Call(
        "PUT", "/v1/me/sharing", {"share_by_default": False}
    ),
    "PUT /v1/me/language": lambda w, c, t: Call("PUT", "/v1/me/language", {"language": "auto"}),
    "GET /v1/me/tokens": lambda w, c, t: Call("GET", "/v1/me/tokens"),
    "POST /v1/me/tokens": lambda w, c, t: Call(
        "POST", "/v1/me/tokens", {"name": "laptop", "scopes": ["read"]}, ok=201
    ),
    "DELETE /v1/me/tokens/{token_id}": lambda w, c, t: Call(
        "DELETE", f"/v1/me/tokens/{_fresh_token_id(w, c)}", ok=204
    ),
    "GET /v1/me/audit": lambda w, c, t: Call("GET", "/v1/me/audit"),
    "GET /v1/invitations/{token}": lambda w, c, t: Call("GET", f"/v1/invitations/{_invitation(w)}"),
    "POST /v1/invitations/{token}": lambda w, c, t: Call(
        "POST", f"/v1/invitations/{_invitation(w)}", {"password": "a new long password"}, ok=201
    ),
    "GET /v1/admin/users": lambda w, c, t: Call("GET", "/v1/admin/users"),
    "POST /v1/admin/users": lambda w, c, t: Call(
        "POST",
        "/v1/admin/users",
        {"email": f"u-{uuid4().hex[:8]}@example.com", "role": "seller", "teams": ["Team A"]},
        ok=201,
    ),
    "DELETE /v1/admin/users/{user_id}": lambda w, c, t: Call(
        "DELETE", f"/v1/admin/users/{_fresh_user(w)}", ok=204
    ),
    "PUT /v1/admin/users/{user_id}/oidc": lambda w, c, t: Call(
        "PUT",
        f"/v1/admin/users/{_fresh_user(w)}/oidc",
        {"subject": f"https://idp.example {uuid4().hex}"},
    ),
    "GET /v1/admin/teams": lambda w, c, t: Call("GET", "/v1/admin/teams"),
    "POST /v1/admin/teams": lambda w, c, t: Call(
        "POST", "/v1/admin/teams", {"name": f"T-{uuid4().hex[:8]}"}, ok=201
    ),
    "PUT /v1/admin/teams/{team_id}": lambda w, c, t: Call(
        "PUT", f"/v1/admin/teams/{t.team}", {"retention_days": 365}
    ),
    "POST /v1/admin/invitations": lambda w, c, t: Call(
        "POST",
        "/v1/admin/invitations",
        {"email": f"i-{uuid4().hex[:8]}@example.com", "role": "coach", "teams": ["Team A"]},
        ok=201,
    ),
    "GET /v1/me/export": lambda w, c, t: Call("GET", "/v1/me/export"),
    "GET /v1/me/trends": lambda w, c, t: Call("GET", "/v1/me/trends?format=json"),
    # A calendar is its seller's: each user reaches their own.
    "GET /v1/me/calendar": lambda w, c, t: Call("GET", _calendar(w, c)),
    "PUT /v1/me/calendar": lambda w, c, t: Call(
        "PUT", "/v1/me/calendar", {"url": "https://93.184.216.34/cal.ics"}
    ),
    "DELETE /v1/me/calendar": lambda w, c, t: Call("DELETE", _calendar(w, c), ok=204),
    "GET /v1/teams": lambda w, c, t: Call("GET", "/v1/teams"),
    "GET /v1/teams/{team_id}/dashboard": lambda w, c, t: Call(
        "GET", f"/v1/teams/{t.team}/dashboard?format=json"
    ),
    # No provider is configured here: the sign-in routes answer 404 to everyone alike.
    "GET /v1/auth/oidc/login": lambda w, c, t: Call("GET", "/v1/auth/oidc/login", ok=404),
    "GET /v1/auth/oidc/callback": lambda w, c, t: Call(
        "GET", "/v1/auth/oidc/callback?code=c&state=s", ok=404
    ),
    "POST /v1/auth/oidc/link": lambda w, c, t: Call("POST", "/v1/auth/oidc/link", ok=404),
    # A voice profile is personal: each user reaches the one under their own id.
    "GET /v1/voice-profiles": lambda w, c, t: Call("GET", "/v1/voice-profiles"),
    "POST /v1/voice-profiles/{seller_id}": lambda w, c, t: Call(
        "POST",
        f"/v1/voice-profiles/{w.users[c.actor or 'ada'].id}",
        files={"file": ("notes.wav", b"not audio", "audio/wav")},
        ok=422,
    ),
    "DELETE /v1/voice-profiles/{seller_id}": lambda w, c, t: Call(
        "DELETE", f"/v1/voice-profiles/{w.users[c.actor or 'ada'].id}"
    ),
    # A webhook endpoint is its owner's: each user reaches their own (a team's: admins).
    "PUT /v1/admin/teams/{team_id}/crm": lambda w, c, t: Call(
        "PUT", f"/v1/admin/teams/{t.team}/crm", {"kind": "hubspot", "token": "pat-test-2"}
    ),
    "GET /v1/admin/teams/{team_id}/crm": lambda w, c, t: Call("GET", _crm(w, t.team)),
    "DELETE /v1/admin/teams/{team_id}/crm": lambda w, c, t: Call("DELETE", _crm(w, t.team), ok=204),
    "GET /v1/admin/teams/{team_id}/crm/deliveries": lambda w, c, t: Call(
        "GET", _crm(w, t.team) + "/deliveries"
    ),
    "POST /v1/admin/teams/{team_id}/crm/deliveries/{delivery_id}/retry": lambda w, c, t: Call(
        "POST", _crm_delivery(w, t.team), ok=202
    ),
    "GET /v1/webhooks": lambda w, c, t: Call("GET", "/v1/webhooks"),
    "POST /v1/webhooks": lambda w, c, t: Call(
        "POST", "/v1/webhooks", {"url": "https://93.184.216.34/hooks"}, ok=201
    ),
    "DELETE /v1/webhooks/{endpoint_id}": lambda w, c, t: Call(
        "DELETE", f"/v1/webhooks/{_endpoint(w, c)}", ok=204
    ),
    "GET /v1/webhooks/{endpoint_id}/deliveries": lambda w, c, t: Call(
        "GET", f"/v1/webhooks/{_endpoint(w, c)}/deliveries"
    ),
    "POST /v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry": lambda w, c, t: Call(
        "POST", _delivery(w, c), ok=202
    ),
    # Sockets: "ok" means the socket opened.
    "WS /v1/live": lambda w, c, t: Call("WS", "/v1/live"),
    "WS /v1/sessions/{session_id}/events": lambda w, c, t: Call(
        "WS", f"/v1/sessions/{t.session_id}/events"
    ),
}


def expected(rule: Rule, case: Case, target: Target, ok: int) -> int:
    """The status a rule must give: the specification of who may see what."""
    if rule in (Rule.PUBLIC, Rule.PROBE):
        return ok
    if case.actor is None:
        return 401
    if rule is Rule.USER:
        return ok
    if rule in (Rule.ADMIN, Rule.METRICS):
        return ok if case.actor == "eve" else 403
    if rule is Rule.TEAM_COACH:
        return ok if case.actor == "cleo" and target.team_name == "A" else 404
    is_owner = target.session_owner == case.actor
    coach_sees = case.actor == "cleo" and case.shared and target.session_owner in ("ada", "ben")
    if rule is Rule.SESSION_READ:
        return ok if is_owner or coach_sees else 404
    assert rule is Rule.SESSION_OWNER
    if is_owner:
        return ok
    return 403 if coach_sees else 404


def _key(context: RouteContext) -> list[str]:
    if isinstance(context.original_route, APIWebSocketRoute):
        return [f"WS {context.path}"]
    return [f"{method} {context.path}" for method in sorted(context.methods or ())]


def _rule(route: APIRoute | APIWebSocketRoute) -> Rule | None:
    rules = {rule_of(dep.call) for dep in route.dependant.dependencies} - {None}
    assert len(rules) <= 1, f"{route.path} has two access rules"
    return next(iter(rules), None)


def _routes(client: TestClient) -> list[tuple[str, Rule | None]]:
    found = []
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        route = context.original_route
        if isinstance(route, APIRoute | APIWebSocketRoute) and context.path not in FRAMEWORK:
            found.extend((key, _rule(route)) for key in _key(context))
    return found


def _send(client: TestClient, world: World, case: Case, call: Call) -> int:
    headers = world.headers(case.actor)
    client.cookies.clear()  # a sign-in in an earlier case must not carry over
    if call.method == "WS":
        try:
            with client.websocket_connect(call.url, headers=headers):
                return call.ok
        except WebSocketDisconnect as closed:
            assert closed.code == 1008, closed
            return -1
    response = client.request(
        call.method, call.url, json=call.body, files=call.files, headers=headers
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]["code"], response.text  # a typed JSON error
    return response.status_code


def test_every_route_declares_an_access_rule_and_has_a_request(
    team_server: tuple[TestClient, World],
) -> None:
    client, _world = team_server
    routes = _routes(client)
    missing_rule = [key for key, rule in routes if rule is None]
    assert not missing_rule, f"routes without an access rule: {missing_rule}"
    missing_request = [key for key, _ in routes if key not in REQUESTS]
    assert not missing_request, f"routes without a request in REQUESTS: {missing_request}"
    stale = set(REQUESTS) - {key for key, _ in routes}
    assert not stale, f"requests for routes that do not exist: {stale}"


def test_every_route_has_the_pinned_rule(team_server: tuple[TestClient, World]) -> None:
    """The rule each route declares is the one written out in PINNED, route for route."""
    client, _world = team_server
    declared = {key: (None if rule is None else rule.name) for key, rule in _routes(client)}
    pinned = {key: rule.name for key, rule in PINNED.items()}
    assert declared == pinned


def test_access_matrix(team_server: tuple[TestClient, World]) -> None:
    client, world = team_server
    wrong: list[str] = []
    checked = 0
    for key, declared in _routes(client):
        assert key in PINNED, f"{key} has no pinned rule"
        rule = PINNED[key]  # the statuses follow the specification, not the route's own guard
        for actor in ACTORS:
            for own in (True, False):
                for shared in (True, False):
                    case = Case(actor, own, shared)
                    target = Target(world, case)
                    call = REQUESTS[key](world, case, target)
                    want = expected(rule, case, target, call.ok)
                    if call.method == "WS" and want != call.ok:
                        want = -1  # refused with 1008
                    got = _send(client, world, case, call)
                    checked += 1
                    if got != want:
                        wrong.append(
                            f"{key} {case}: got {got}, want {want} ({rule}, declares {declared})"
                        )
    print(f"{checked} requests checked")
    assert not wrong, "\n".join(wrong)


def test_a_route_without_a_rule_fails_the_check(team_server: tuple[TestClient, World]) -> None:
    client, _world = team_server
    app = client.app

    @app.get("/v1/unguarded")  # type: ignore[attr-defined,untyped-decorator]
    async def unguarded() -> dict[str, str]:
        return {}

    try:
        routes = dict(_routes(client))
        assert routes["GET /v1/unguarded"] is None
    finally:
        app.router.routes.pop()  # type: ignore[attr-defined]


@pytest.mark.parametrize("actor", ["ada", "cleo"])
def test_reads_by_others_are_audited(team_server: tuple[TestClient, World], actor: str) -> None:
    client, world = team_server
    session_id = world.session("ben", shared=True)
    before = len(client.get("/v1/me/audit", headers=world.headers("ben")).json())
    status = client.get(f"/v1/sessions/{session_id}", headers=world.headers(actor)).status_code
    client.get(f"/v1/sessions/{session_id}", headers=world.headers("ben"))
    entries = client.get("/v1/me/audit", headers=world.headers("ben")).json()
    if actor == "cleo":
        assert status == 200
        assert len(entries) == before + 1
        assert entries[0]["reader"] == "cleo@example.com"
        assert entries[0]["session_id"] == session_id
    else:
        assert status == 404 and len(entries) == before  # a refused read shows nothing
