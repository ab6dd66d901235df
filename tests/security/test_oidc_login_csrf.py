"""#22 item 2: OpenID Connect login CSRF. A sign-in's ``state`` is bound to the browser that
started it (an HttpOnly SameSite=Lax cookie checked on the callback), and the code is bound to
this server by PKCE (S256): a callback address produced by one browser's sign-in, opened by
another client, signs nobody in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from tests.live_server import ServerProcess
from tests.team.oidc_flow import run_login


def test_oidc_login_csrf(oidc_server: ServerProcess) -> None:
    callback = f"{oidc_server.http}/v1/auth/oidc/callback"
    with httpx.Client() as attacker:
        start = attacker.get(f"{oidc_server.http}/v1/auth/oidc/login")
        assert start.status_code == 302
        # The attacker signs in at the provider with their own account, and stops before
        # praesent's callback: that address is what they would plant in a victim's browser.
        planted = run_login(attacker, start.headers["location"], "mallory", callback)

    with httpx.Client() as victim:
        answer = victim.get(planted)
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
        assert "praesent_session" not in answer.headers.get("set-cookie", "")
        assert victim.get(f"{oidc_server.http}/v1/me").status_code == 401

    # PKCE, and the binding cookie: HttpOnly, SameSite=Lax, short-lived.
    query = parse_qs(urlparse(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256, no padding
    binding = start.headers["set-cookie"].lower()
    assert "httponly" in binding and "samesite=lax" in binding and "max-age=600" in binding

    # The browser that started a sign-in finishes it: the refusal above did not use it up.
    with httpx.Client() as browser:
        back = run_login(browser, f"{oidc_server.http}/v1/auth/oidc/login", "ada", callback)
        with httpx.Client() as elsewhere:
            assert elsewhere.get(back).status_code == 401
        signed = browser.get(back)
        assert signed.status_code == 303, signed.text
        assert "praesent_session=" in signed.headers["set-cookie"]
        assert browser.get(f"{oidc_server.http}/v1/me").json()["user"]["email"] == "ada@example.com"
