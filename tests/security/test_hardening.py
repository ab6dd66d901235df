"""#22 item 19: hardening, against a real team server (SQLite) signing in through the real
oidc-provider, and Chromium.

* Every response carries ``nosniff``, may not be framed, and has a Content-Security-Policy
  (before: none of them). Each page of the server (overlay, web app, /docs, /redoc, the
  manual, a dashboard) renders under its policy with no violation and nothing loaded from
  another server, and a script injected into a page does not run.
* With ``PRAESENT_PUBLIC_URL`` set, an invitation link and the OpenID Connect ``redirect_uri``
  are built from it; a request's Host header (any IP address passes the Host allow-list)
  chose them before.
* Personal access tokens expire (90 days by default; ``expires_in_days`` chooses, 0 never):
  shown in the API and by ``praesent admin create-user``, and an expired token is refused
  (SQLite and PostgreSQL); before, tokens never expired.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from praesent.cli import app
from praesent.store import EventStore, migrate
from praesent.team.accounts import issue_token
from praesent.team.credentials import hash_secret, new_secret
from tests.live_server import ServerProcess
from tests.overlay.conftest import CHROMIUM, require
from tests.security.conftest import _start_provider
from tests.store.conftest import postgres_schema

PUBLIC = "https://praesent.example.com"
FOREIGN_HOST = "192.0.2.7"


@dataclass
class Team:
    server: ServerProcess
    admin: dict[str, str]
    seller: dict[str, str]


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    folder = tmp_path_factory.mktemp("hardening")
    provider, issuer = _start_provider(folder, f"{PUBLIC}/v1/auth/oidc/callback")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        admin = store.people.create_user("admin@example.com", "admin")
        seller = store.people.create_user("sam@example.com", "seller")
        tokens = [issue_token(store.people, user, "tests").token for user in (admin, seller)]
    server = ServerProcess(
        folder,
        PRAESENT_PUBLIC_URL=PUBLIC,
        PRAESENT_OIDC_ISSUER=issuer,
        PRAESENT_OIDC_CLIENT_ID="praesent",
        PRAESENT_OIDC_CLIENT_SECRET="praesent-secret",
    )
    try:
        server.start()
        yield Team(server, *({"Authorization": f"Bearer {t}"} for t in tokens))
        server.stop()
    finally:
        provider.terminate()
        provider.wait(timeout=10)


def _assert_hardened(answer: httpx.Response, framed_by: str = "'none'") -> str:
    assert answer.headers.get("x-content-type-options") == "nosniff", answer.url
    frame_options = "DENY" if framed_by == "'none'" else "SAMEORIGIN"
    assert answer.headers.get("x-frame-options") == frame_options, answer.url
    policy = answer.headers.get("content-security-policy", "")
    assert f"frame-ancestors {framed_by}" in policy, (answer.url, policy)
    return policy


def test_every_response_has_security_headers(team: Team) -> None:
    base = team.server.http
    with httpx.Client(timeout=30) as client:
        answers = [
            client.get(f"{base}/healthz"),
            client.get(f"{base}/v1/me"),  # 401
            client.get(f"{base}/v1/sessions", headers=team.seller),
            client.get(f"{base}/v1/nothing-here"),  # 404
            client.get(f"{base}/v1/sessions", headers={"Host": "rebind.example"}),  # 421
            client.get(f"{base}/overlay.js"),
        ]
        assert [a.status_code for a in answers] == [200, 401, 200, 404, 421, 200]
        for answer in answers:
            assert _assert_hardened(answer).startswith("default-src 'none'"), answer.url
        for path in ("/", "/app/", "/docs", "/redoc"):
            page = client.get(base + path, headers=team.seller)
            assert page.status_code == 200, path
            policy = _assert_hardened(page)
            assert (
                "script-src 'self'" in policy
                and "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
            ), (path, policy)
            # A page revalidated from the browser's cache (304) keeps the cached page's
            # policy: the browser takes a 304's headers over the cached ones, so a 304 with
            # "default-src 'none'" would leave the reloaded page without its scripts.
            tag = page.headers.get("etag")
            if tag:
                again = client.get(base + path, headers={**team.seller, "If-None-Match": tag})
                assert again.status_code == 304, path
                assert "content-security-policy" not in again.headers, path
        # The dashboards, which the web app shows in a frame: framed by this origin only.
        trends = client.get(f"{base}/v1/me/trends?format=html", headers=team.seller)
        assert trends.status_code == 200, trends.text
        _assert_hardened(trends, framed_by="'self'")


def test_pages_render_under_their_policy(team: Team) -> None:
    from playwright.sync_api import ConsoleMessage, sync_playwright

    base = team.server.http
    violations: list[str] = []
    foreign: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(locale="en-US", extra_http_headers=team.seller)
            page = context.new_page()
            page.on("console", console)
            page.on(
                "response",  # what was fetched: a blocked request never gets one
                lambda r: (
                    None if r.url.startswith((base, "data:", "blob:")) else foreign.append(r.url)
                ),
            )
            checks = {
                "/?lang=en": "document.querySelector('#status') !== null",
                "/app/": "document.querySelector('#lang') !== null",
                "/docs": "document.querySelector('.swagger-ui .info .title') !== null",
                "/redoc": "(document.querySelector('redoc') || {innerText: ''})"
                ".innerText.includes('praesent')",
                "/help/": "document.querySelector('.md-content') !== null",
                "/v1/me/trends?format=html&lang=en": "document.body.innerText.length > 0",
            }
            for path, rendered in checks.items():
                page.goto(base + path)
                # A function, not an expression: Playwright would eval() that, which the
                # policy forbids.
                page.wait_for_function(f"() => {rendered}", timeout=30_000)
            page.goto(f"{base}/app/")
            injected = page.evaluate(
                """() => { const s = document.createElement('script');
                s.textContent = 'window.injected = 1'; document.head.appendChild(s);
                return window.injected === 1; }"""
            )
        finally:
            browser.close()
    assert injected is False
    # Two violations, both wanted: the injected script, and ReDoc's footer logo, which its
    # bundle loads from a CDN (the policy keeps the page from reaching another server).
    inline = [v for v in violations if "inline script" in v]
    cdn = [v for v in violations if "https://cdn.redoc.ly/" in v]
    assert len(inline) == 1 and len(cdn) == len(violations) - 1, violations
    assert foreign == []


def test_links_follow_the_public_url_not_the_host_header(team: Team) -> None:
    base = team.server.http
    host = {"Host": f"{FOREIGN_HOST}:{team.server.port}"}
    made = httpx.post(
        f"{base}/v1/admin/invitations",
        json={"email": "new@example.com", "role": "seller"},
        headers={**team.admin, **host},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    assert made.json()["url"].startswith(f"{PUBLIC}/app/#invite="), made.json()["url"]
    login = httpx.get(f"{base}/v1/auth/oidc/login", headers=host, timeout=30)
    assert login.status_code == 302, login.text
    query = parse_qs(urlsplit(login.headers["location"]).query)
    assert query["redirect_uri"] == [f"{PUBLIC}/v1/auth/oidc/callback"]


def test_tokens_expire_by_default(team: Team) -> None:
    base = team.server.http
    now = datetime.now(UTC)
    made = httpx.post(
        f"{base}/v1/me/tokens", json={"name": "script"}, headers=team.seller, timeout=30
    )
    assert made.status_code == 201, made.text
    expires = datetime.fromisoformat(made.json()["expires_at"])
    assert abs(expires - (now + timedelta(days=90))) < timedelta(minutes=5), expires
    chosen = httpx.post(
        f"{base}/v1/me/tokens",
        json={"name": "a week", "expires_in_days": 7},
        headers=team.seller,
        timeout=30,
    ).json()
    assert abs(
        datetime.fromisoformat(chosen["expires_at"]) - (now + timedelta(days=7))
    ) < timedelta(minutes=5)
    never = httpx.post(
        f"{base}/v1/me/tokens",
        json={"name": "forever", "expires_in_days": 0},
        headers=team.seller,
        timeout=30,
    ).json()
    assert never["expires_at"] is None
    for bad in (-1, 3651, "soon", 1.5):
        refused = httpx.post(
            f"{base}/v1/me/tokens",
            json={"name": "bad", "expires_in_days": bad},
            headers=team.seller,
            timeout=30,
        )
        assert refused.status_code == 422, (bad, refused.text)
    listed = httpx.get(f"{base}/v1/me/tokens", headers=team.seller, timeout=30).json()
    assert {t["name"]: t["expires_at"] for t in listed}["a week"] == chosen["expires_at"]
    # A token past its expiry is refused by the server.
    with EventStore(f"sqlite:///{team.server.data_dir / 'praesent.db'}") as store:
        seller = store.people.user_by_email("sam@example.com")
        assert seller is not None
        old = new_secret("prs_")
        store.people.create_token(
            seller.id, "old", ["read"], hash_secret(old), now - timedelta(seconds=1)
        )
    refused = httpx.get(f"{base}/v1/sessions", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401, refused.text


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_an_expired_token_is_no_credential(database: str, tmp_path: Path) -> None:
    def check(url: str) -> None:
        migrate(url)
        with EventStore(url) as store:
            user = store.people.create_user("sam@example.com", "seller")
            now = datetime.now(UTC)
            for name, expires in (
                ("past", now - timedelta(seconds=1)),
                ("soon", now + timedelta(hours=1)),
            ):
                store.people.create_token(user.id, name, ["read"], hash_secret(name), expires)
            assert store.people.token_owner(hash_secret("past")) is None
            found = store.people.token_owner(hash_secret("soon"))
            assert found is not None and found[0].id == user.id

    if database == "sqlite":
        check(f"sqlite:///{tmp_path / 'praesent.db'}")
    else:
        with postgres_schema("praesent_expiry") as url:
            check(url)


def test_the_cli_shows_when_a_token_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PRAESENT_DATABASE_URL", "PRAESENT_TOKEN_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRAESENT_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    made = runner.invoke(
        app, ["admin", "create-user", "boss@example.com", "--role", "admin", "--format", "json"]
    )
    assert made.exit_code == 0, made.output
    expires = datetime.fromisoformat(json.loads(made.stdout)["token_expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)
    never = runner.invoke(
        app, ["admin", "create-user", "ada@example.com", "--role", "seller", "--token-days", "0"]
    )
    assert never.exit_code == 0 and "never expires" in never.stderr, never.output
    assert len(never.stdout.split()) == 2  # the id and the token, as before
    wrong = runner.invoke(
        app, ["admin", "create-user", "x@example.com", "--role", "seller", "--token-days", "-1"]
    )
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output
