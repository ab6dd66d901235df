"""schemathesis with every check against the OpenAPI document of a real server, with an
admin's token and without any: no 5xx, every status documented, the Allow header right, valid
data accepted and invalid data refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from praesent.store import EventStore
from praesent.team.accounts import issue_token
from tests.live_server import ServerProcess

MAX_EXAMPLES = "3"
SEED = "20261130"


def _schemathesis(*args: str) -> str:
    command = [sys.executable, "-m", "schemathesis.cli", "run", *args]
    command += ["--checks", "all", "--max-examples", MAX_EXAMPLES, "--seed", SEED]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    summary = [line for line in output.splitlines() if "generated" in line]
    print(" ".join(args[:1]), summary)
    assert summary and "passed" in summary[-1], output[-3000:]
    return output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> tuple[ServerProcess, str]:
    data_dir = tmp_path_factory.mktemp("schemathesis")
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_team("Team A")
        admin = store.people.create_user("admin@example.com", "admin", ["Team A"])
        token = issue_token(store.people, admin, "schemathesis").token
    return ServerProcess(data_dir).start(), token


def test_schemathesis_finds_no_failure(server: tuple[ServerProcess, str], tmp_path: Path) -> None:
    process, token = server
    try:
        schema = tmp_path / "openapi.json"
        response = httpx.get(
            f"{process.http}/openapi.json", headers={"Authorization": f"Bearer {token}"}
        )
        schema.write_bytes(response.content)
        bearer = ["-H", f"Authorization: Bearer {token}"]
        # With a valid token: every operation but the uploads, the webhooks, the calendar and
        # the two that set a password.
        uploads = (
            "/v1/analyses",
            "/v1/jobs",
            "/v1/webhooks",
            "/v1/admin/teams/{team_id}/crm",
            "/v1/me/calendar",
            "/v1/admin/users",
            "/v1/invitations/{token}",
        )
        _schemathesis(
            str(schema),
            "--url",
            process.http,
            *bearer,
            *(arg for path in uploads for arg in ("--exclude-path", path)),
        )
        # The uploads: the schema can say "at least one byte" but not "a recording that
        # decodes", so random bytes get the documented 422 bad_audio; every other check runs.
        # Likewise a webhook's or a calendar's URL: the schema cannot say "resolves to a public
        # address", so a generated one gets the documented 422 endpoint_refused, as does a
        # Salesforce instance URL. And a password: the schema cannot say "not a common
        # password", so "aaaaaaaaaa" gets the documented 422 weak_password.
        _schemathesis(
            str(schema),
            "--url",
            process.http,
            *bearer,
            *(arg for path in uploads for arg in ("--include-path", path)),
            "--exclude-checks",
            "positive_data_acceptance",
        )
        # Without credentials: every operation answers as documented (401 where guarded).
        _schemathesis(str(schema), "--url", process.http)
        log = process.log.read_text()
        assert "Traceback" not in log, log[-3000:]
        assert token not in log
    finally:
        process.stop()
