"""#22 item 9: a token's scopes bound the tokens it creates. A token that may only write cannot
mint one that reads, runs live calls or administers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.accounts import issue_token
from tests.live_server import ServerProcess


@pytest.fixture(scope="module")
def server_and_token(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, str]]:
    folder = tmp_path_factory.mktemp("scopes")
    with EventStore(f"sqlite:///{folder / 'praesent.db'}") as store:
        store.migrate()
        admin = store.people.create_user("admin@example.com", "admin")
        token = issue_token(store.people, admin, "write only", ["write"]).token
    process = ServerProcess(folder).start()
    yield process, token
    process.stop()


def test_token_scopes(server_and_token: tuple[ServerProcess, str]) -> None:
    server, token = server_and_token
    url = f"{server.http}/v1/me/tokens"
    bearer = {"Authorization": f"Bearer {token}"}
    for wider in (["read"], ["write", "live"], ["admin"]):
        minted = httpx.post(url, json={"name": "wider", "scopes": wider}, headers=bearer)
        assert minted.status_code == 422, (wider, minted.status_code, minted.text)
    # No scopes named: those of the asking token, not all of the admin's.
    default = httpx.post(url, json={"name": "default"}, headers=bearer)
    assert default.status_code == 201, default.text
    assert default.json()["scopes"] == ["write"]
    same = httpx.post(url, json={"name": "same", "scopes": ["write"]}, headers=bearer)
    assert same.status_code == 201, same.text
    child = {"Authorization": f"Bearer {default.json()['token']}"}
    assert httpx.get(url, headers=child).status_code == 403  # it cannot read
