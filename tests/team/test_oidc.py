"""Sign-in through a real OpenID Connect provider started here: panva's certified
oidc-provider on Node (tests/team/oidc_provider). The whole authorization code flow against
the praesent server, and ID tokens that praesent must refuse: one for another application
(wrong audience) and an expired one."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.oidc import OidcConfig, OidcError, verify_id_token
from tests.live_server import ServerProcess, free_port
from tests.overlay.conftest import require
from tests.team.oidc_flow import run_login

PROVIDER_DIR = Path(__file__).with_name("oidc_provider")


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The provider, and the port the praesent server will listen on (its redirect URI)."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("oidc-provider is not installed: run scripts/install-system-deps.sh")
    port, praesent_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{praesent_port}/v1/auth/oidc/callback"
    log = (tmp_path_factory.mktemp("oidc") / "provider.log").open("wb")
    process = subprocess.Popen(
        [require("node"), str(PROVIDER_DIR / "provider.mjs"), str(port), redirect],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield issuer, praesent_port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(
    provider: tuple[str, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    issuer, port = provider
    data_dir = tmp_path_factory.mktemp("oidc-server")
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_team("Team A")
        store.people.create_user("admin@example.com", "admin")
    process = ServerProcess(
        data_dir,
        port=port,
        PRAESENT_OIDC_ISSUER=issuer,
        PRAESENT_OIDC_CLIENT_ID="praesent",
        PRAESENT_OIDC_CLIENT_SECRET="praesent-secret",
    ).start()
    yield process
    process.stop()


def test_sign_in_through_the_provider_creates_the_user_in_the_claimed_teams(
    server: ServerProcess,
) -> None:
    callback = f"{server.http}/v1/auth/oidc/callback"
    with httpx.Client() as browser:
        back = run_login(browser, f"{server.http}/v1/auth/oidc/login", "ada", callback)
        signed = browser.get(back)
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"] == "/app/#calls"
        assert "praesent_session=" in signed.headers["set-cookie"]
        me = browser.get(f"{server.http}/v1/me").json()
        assert me["user"]["email"] == "ada@example.com"
        assert me["user"]["role"] == "seller" and me["user"]["teams"] == ["Team A"]

        # The same person again: the same account. A replayed callback is refused.
        again = run_login(browser, f"{server.http}/v1/auth/oidc/login", "ada", callback)
        assert browser.get(again).status_code == 303
        replay = browser.get(back)
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "oidc_failed"
    # A coach: the claim names one team that exists and one that does not.
    with httpx.Client() as browser:
        back = run_login(browser, f"{server.http}/v1/auth/oidc/login", "coach-cleo", callback)
        assert browser.get(back).status_code == 303
        assert browser.get(f"{server.http}/v1/me").json()["user"]["teams"] == ["Team A"]
    users = [u.email for u in EventStore(f"sqlite:///{server.data_dir / 'praesent.db'}")
             .people.list_users()]  # fmt: skip
    assert users.count("ada@example.com") == 1


def _id_token_for(issuer: str, client_id: str, secret: str, redirect: str) -> str:
    """An ID token the provider issues to ``client_id`` (the test acts as that client)."""
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    query = urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
        "scope": "openid email groups", "state": "s", "nonce": "n-123",
    })  # fmt: skip
    with httpx.Client() as browser:
        back = run_login(browser, f"{metadata['authorization_endpoint']}?{query}", "ada", redirect)
    code = parse_qs(urlparse(back).query)["code"][0]
    answer = httpx.post(
        metadata["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        auth=(client_id, secret),
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id_token"])


def _claims(token: str) -> dict[str, Any]:
    import base64

    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_id_tokens_for_another_audience_or_expired_are_refused(
    provider: tuple[str, int], server: ServerProcess
) -> None:
    issuer, port = provider
    redirect = f"http://127.0.0.1:{port}/v1/auth/oidc/callback"
    config = OidcConfig(issuer=issuer, client_id="praesent", client_secret="praesent-secret")
    jwks = httpx.get(httpx.get(f"{issuer}/.well-known/openid-configuration").json()["jwks_uri"])
    keys = jwks.json()

    own = _id_token_for(issuer, "praesent", "praesent-secret", redirect)
    now = int(time.time())
    claims = verify_id_token(own, keys, config, "n-123", now)
    assert claims["email"] == "ada@example.com" and claims["aud"] == "praesent"

    other = _id_token_for(issuer, "other-app", "other-secret", redirect)
    assert _claims(other)["aud"] == "other-app"
    with pytest.raises(OidcError, match="not for this server"):
        verify_id_token(other, keys, config, "n-123", now)

    # The same valid token, checked after it expired (the provider's own exp, plus the leeway).
    expired_at = int(_claims(own)["exp"]) + 31
    with pytest.raises(OidcError, match="has expired"):
        verify_id_token(own, keys, config, "n-123", expired_at)
    with pytest.raises(OidcError, match="not for this server"):
        verify_id_token(own, keys, config, "another nonce", now)
    tampered = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
    with pytest.raises(OidcError, match="signature"):
        verify_id_token(tampered, keys, config, "n-123", now)

    # A code issued to the other application does not sign anyone in at praesent.
    metadata = httpx.get(f"{issuer}/.well-known/openid-configuration").json()
    with httpx.Client() as browser:
        login = run_login(browser, f"{server.http}/v1/auth/oidc/login", "ada", redirect)
        state = parse_qs(urlparse(login).query)["state"][0]
        query = urlencode({
            "response_type": "code", "client_id": "other-app", "redirect_uri": redirect,
            "scope": "openid email", "state": state, "nonce": "x",
        })  # fmt: skip
        foreign = run_login(
            browser, f"{metadata['authorization_endpoint']}?{query}", "ada", redirect
        )
        refused = browser.get(foreign)
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"]["code"] == "oidc_failed"
