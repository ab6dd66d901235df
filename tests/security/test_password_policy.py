"""#22 item 13: the password policy of NIST SP 800-63B, against a real team server (SQLite):
everywhere a password is chosen (an admin creating a user with one, a person accepting an
invitation), a password of repeats, a sequence or keyboard run, or one holding the person's
email address, name or the service's name is refused with 422 ``weak_password`` and a message
that says why; a long passphrase is taken, with no rule about digits or symbols. Before, length
was the only rule: ``aaaaaaaaaa``, ten spaces, ``1234567890`` and the email were accepted."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.accounts import issue_token
from tests.live_server import ServerProcess

EMAIL = "ada.lovelace@example.com"
REFUSED = {
    "aaaaaaaaaa": "repeats",
    " " * 10: "repeats",
    "1234567890": "sequence",
    "0987654321": "sequence",
    "qwertyuiop": "sequence",
    "1q2w3e4r5t": "sequence",
    "abcabcabcabc": "repeats",
    "short one": "at least 10",
    EMAIL: "email",
    "Lovelace!2026": "email",
    "ada.lovelace": "email",
    "my praesent account": "service",
    # On zxcvbn's list of common passwords, as they are or stretched with digits and symbols.
    "password12": "most common",
    "iloveyou2026!": "most common",
    "1qazxsw23edc": "most common",
}
TAKEN = ("correct horse battery staple", "Zugspitze im Nebel 7", "analytical engine notes")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    folder = tmp_path_factory.mktemp("passwords")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        admin = store.people.create_user("admin@example.com", "admin")
        token = issue_token(store.people, admin, "tests").token
    process = ServerProcess(folder).start()
    yield process, token
    process.stop()


def _invitation(base: str, bearer: dict[str, str], email: str) -> str:
    made = httpx.post(
        f"{base}/v1/admin/invitations",
        json={"email": email, "role": "seller"},
        headers=bearer,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["url"]).rsplit("#invite=", 1)[1]


def test_weak_passwords_are_refused_everywhere(server: tuple[ServerProcess, str]) -> None:
    process, token = server
    base, bearer = process.http, {"Authorization": f"Bearer {token}"}
    invite = _invitation(base, bearer, EMAIL)
    for password, why in REFUSED.items():
        created = httpx.post(
            f"{base}/v1/admin/users",
            json={"email": EMAIL, "role": "seller", "password": password},
            headers=bearer,
            timeout=30,
        )
        accepted = httpx.post(
            f"{base}/v1/invitations/{invite}", json={"password": password}, timeout=30
        )
        for answer in (created, accepted):
            assert answer.status_code == 422, (password, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "weak_password", (password, error)
            assert why in error["message"], (password, error["message"])
    # The link still works (a refused password does not use it up), with a good password.
    done = httpx.post(f"{base}/v1/invitations/{invite}", json={"password": TAKEN[0]}, timeout=30)
    assert done.status_code == 201, done.text


def test_long_passphrases_are_taken(server: tuple[ServerProcess, str]) -> None:
    process, token = server
    base, bearer = process.http, {"Authorization": f"Bearer {token}"}
    for n, password in enumerate(TAKEN):
        created = httpx.post(
            f"{base}/v1/admin/users",
            json={"email": f"user{n}@example.com", "role": "seller", "password": password},
            headers=bearer,
            timeout=30,
        )
        assert created.status_code == 201, (password, created.text)
        signed = httpx.post(
            f"{base}/v1/auth/login",
            json={"email": f"user{n}@example.com", "password": password},
            timeout=30,
        )
        assert signed.status_code == 200, signed.text
