"""#22 item 1: OpenID Connect sign-in must not take over an account by its email address.

The real provider sends ``email_verified`` true, false, or no such claim (the login name picks:
``NAME``, ``unverified:NAME``, ``unclaimed:NAME``; the address is NAME@example.com either
way, the provider's subject differs). An existing account is matched by address only when the
provider says true, and never when it already has a subject, a password or the admin role;
its owner links the provider signed in, or an admin links it explicitly."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, select

from praesent.store import EventStore
from praesent.store.models import User
from praesent.team.accounts import issue_token
from praesent.team.credentials import hash_password
from tests.live_server import ServerProcess
from tests.store.conftest import postgres_schema
from tests.team.oidc_flow import run_login

PASSWORD = "a long enough password 1"
OTHER_SUBJECT = "http://elsewhere.example someone"


def prepare_accounts(store: EventStore) -> None:
    people = store.people
    people.create_user("admin@example.com", "admin")
    people.create_user("sam@example.com", "seller")  # invited by token: no password, no subject
    people.create_user("pat@example.com", "seller", password_hash=hash_password(PASSWORD))
    people.create_user("lin@example.com", "seller", oidc_subject=OTHER_SUBJECT)


def _oidc_sign_in(server: ServerProcess, login: str) -> tuple[httpx.Response, str | None]:
    """The callback's answer, and whom the browser is signed in as afterwards."""
    callback = f"{server.http}/v1/auth/oidc/callback"
    with httpx.Client() as browser:
        back = run_login(browser, f"{server.http}/v1/auth/oidc/login", login, callback)
        answer = browser.get(back)
        me = browser.get(f"{server.http}/v1/me")
        return answer, me.json()["user"]["email"] if me.status_code == 200 else None


def _subjects(server: ServerProcess) -> dict[str, str | None]:
    """Each account's linked subject, read from the server's database."""
    engine = create_engine(f"sqlite:///{server.data_dir / 'praesent.db'}")
    try:
        with engine.connect() as db:
            rows = db.execute(select(User.email, User.oidc_subject)).all()
            return {str(email): subject for email, subject in rows}
    finally:
        engine.dispose()


def test_oidc_email_verified(oidc_server: ServerProcess) -> None:
    before = _subjects(oidc_server)
    # Claim absent, or false: neither matched to sam's account nor a new account created.
    for login in ("unclaimed:sam", "unverified:sam", "unclaimed:newbie"):
        answer, signed_in_as = _oidc_sign_in(oidc_server, login)
        assert answer.status_code == 401, (login, answer.status_code, answer.text)
        assert answer.json()["error"]["code"] == "oidc_failed"
        assert signed_in_as is None, login
    assert _subjects(oidc_server) == before  # nobody linked, nobody created

    # Verified, but the account has a subject already, a password, or is an admin: refused.
    for login in ("lin", "pat", "admin"):
        answer, signed_in_as = _oidc_sign_in(oidc_server, login)
        assert answer.status_code == 401, (login, answer.status_code, answer.text)
        assert signed_in_as is None, login
    assert _subjects(oidc_server) == before

    # Verified, and the account has none of those: linked by its address.
    answer, signed_in_as = _oidc_sign_in(oidc_server, "sam")
    assert answer.status_code == 303 and signed_in_as == "sam@example.com"
    issuer = oidc_server.env["PRAESENT_OIDC_ISSUER"]
    assert _subjects(oidc_server)["sam@example.com"] == f"{issuer} sam"

    # Pat links the provider while signed in with the password; then the provider signs her in.
    with httpx.Client() as browser:
        signed = browser.post(
            f"{oidc_server.http}/v1/auth/login",
            json={"email": "pat@example.com", "password": PASSWORD},
        )
        assert signed.status_code == 200, signed.text
        csrf = {"X-CSRF-Token": signed.json()["csrf_token"]}
        # Without the CSRF header (a page elsewhere cannot send it) no link starts.
        assert browser.post(f"{oidc_server.http}/v1/auth/oidc/link").status_code == 403
        start = browser.post(f"{oidc_server.http}/v1/auth/oidc/link", headers=csrf)
        assert start.status_code == 200, start.text
        callback = f"{oidc_server.http}/v1/auth/oidc/callback"
        back = run_login(browser, start.json()["authorization_url"], "pat", callback)
        assert browser.get(back).status_code == 303
    assert _subjects(oidc_server)["pat@example.com"] == f"{issuer} pat"
    answer, signed_in_as = _oidc_sign_in(oidc_server, "pat")
    assert answer.status_code == 303 and signed_in_as == "pat@example.com"
    # Lin's account keeps the subject it had.
    assert _subjects(oidc_server)["lin@example.com"] == OTHER_SUBJECT

    # The admin (created with a token only, no password) is linked explicitly by an admin, to
    # the subject the refused sign-in showed.
    refused, _ = _oidc_sign_in(oidc_server, "admin")
    subject = f"{issuer} admin"
    assert refused.status_code == 401 and repr(subject) in refused.json()["error"]["message"]
    with EventStore(f"sqlite:///{oidc_server.data_dir / 'praesent.db'}") as store:
        admin = store.people.user_by_email("admin@example.com")
        assert admin is not None
        token = issue_token(store.people, admin, "bootstrap").token
    link = f"{oidc_server.http}/v1/admin/users/{admin.id}/oidc"
    bearer = {"Authorization": f"Bearer {token}"}
    taken = httpx.put(link, json={"subject": f"{issuer} sam"}, headers=bearer)
    assert taken.status_code == 409, taken.text  # sam's identity stays sam's
    assert httpx.put(link, json={"subject": subject}, headers=bearer).status_code == 200
    again = httpx.put(link, json={"subject": f"{issuer} other"}, headers=bearer)
    assert again.status_code == 409, again.text  # never over a linked subject
    answer, signed_in_as = _oidc_sign_in(oidc_server, "admin")
    assert answer.status_code == 303 and signed_in_as == "admin@example.com"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('link') / 'praesent.db'}"
        with EventStore(url) as opened:
            opened.migrate()
            yield opened
        return
    with postgres_schema("praesent_link") as url, EventStore(url) as opened:
        opened.migrate()
        yield opened


def test_oidc_email_verified_link_rules_in_both_databases(store: EventStore) -> None:
    """The link is one conditional UPDATE, so two sign-ins cannot both link one account."""
    prepare_accounts(store)
    people = store.people
    ids = {u.email: u.id for u in people.list_users()}
    for email in ("admin@example.com", "pat@example.com", "lin@example.com"):
        assert not people.link_oidc(ids[email], "issuer x", automatic=True), email
    assert not people.link_oidc(ids["lin@example.com"], "issuer x", automatic=False)
    assert people.link_oidc(ids["pat@example.com"], "issuer pat", automatic=False)
    assert people.link_oidc(ids["sam@example.com"], "issuer sam", automatic=True)
    assert not people.link_oidc(ids["sam@example.com"], "issuer other", automatic=True)
    assert people.user_by_oidc("issuer sam") is not None
    assert people.user_by_oidc("issuer other") is None
