"""`praesent admin`: bootstrap a team server from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from praesent.cli import app
from praesent.store import EventStore
from praesent.team.credentials import hash_secret


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PRAESENT_DATABASE_URL", "PRAESENT_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRAESENT_DATA_DIR", str(tmp_path))
    return tmp_path


def test_create_team_and_users_list_and_delete(data_dir: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(app, ["admin", "create-team", "Nord", "--retention-days", "90"]).exit_code
        == 0
    )
    assert runner.invoke(app, ["admin", "create-team", "Süd"]).exit_code == 0
    made = runner.invoke(
        app,
        [
            "admin",
            "create-user",
            "Ada@Example.com",
            "--role",
            "seller",
            "--team",
            "Nord",
            "--team",
            "Süd",
            "--format",
            "json",
        ],
    )
    assert made.exit_code == 0, made.output
    user = json.loads(made.stdout)
    assert set(user) == {"id", "email", "role", "teams", "token", "token_expires_at"}
    assert user["email"] == "ada@example.com" and user["teams"] == ["Nord", "Süd"]
    assert user["token"].startswith("prs_") and len(user["token"]) > 40

    # Only the token's hash is in the database.
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        found = store.people.token_owner(hash_secret(user["token"]))
        assert found is not None and found[0].id == user["id"]
        assert found[1] == {"read", "write", "live"}
    assert user["token"].encode() not in (data_dir / "praesent.db").read_bytes()

    plain = runner.invoke(app, ["admin", "create-user", "coach@example.com", "--role", "coach"])
    user_id, token = plain.stdout.split()
    assert len(user_id) == 32 and token.startswith("prs_")

    listed = runner.invoke(app, ["admin", "list-users"]).stdout
    assert "ada@example.com" in listed and "Nord,Süd" in listed and "coach@example.com" in listed

    for bad, message in (
        (["ada@example.com", "--role", "seller"], "exists already"),
        (["x@example.com", "--role", "boss"], "role must be"),
        (["x@example.com", "--role", "seller", "--team", "Ost"], "no team named"),
    ):
        refused = runner.invoke(app, ["admin", "create-user", *bad])
        assert refused.exit_code == 2 and message in refused.stderr, refused.output

    assert runner.invoke(app, ["admin", "delete-user", "ada@example.com"]).exit_code == 0
    assert "ada@example.com" not in runner.invoke(app, ["admin", "list-users"]).stdout
    gone = runner.invoke(app, ["admin", "delete-user", "ada@example.com"])
    assert gone.exit_code == 2 and "no user" in gone.stderr


def test_retention_and_assign_sessions_through_the_cli(data_dir: Path) -> None:
    """``admin retention`` deletes what is past its team's period now; the local owner's calls
    never expire until ``admin assign-sessions`` gives them to a user, whose period then holds."""
    from datetime import UTC, datetime, timedelta

    runner = CliRunner()
    assert (
        runner.invoke(app, ["admin", "create-team", "Short", "--retention-days", "30"]).exit_code
        == 0
    )
    made = runner.invoke(
        app, ["admin", "create-user", "ada@example.com", "--role", "seller", "--team", "Short"]
    )
    assert made.exit_code == 0, made.output
    now = datetime.now(UTC)
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        ada = store.people.user_by_email("ada@example.com")
        assert ada is not None

        def call(owner: str | None, days_old: int) -> str:
            record = store.create_session(
                f"{days_old} days",
                "en",
                True,
                owner_id=owner,
                started_at=now - timedelta(days=days_old),
            )
            store.finalise(
                record.id, "finished", {"roles": {}}, record.started_at + timedelta(minutes=5)
            )
            return record.id

        expired, kept, local = call(ada.id, 31), call(ada.id, 10), call(None, 400)

    ran = runner.invoke(app, ["admin", "retention"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == {"sessions_deleted": 1, "transcripts_dropped": 0}
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        assert {r.id for r in store.list_sessions()} == {kept, local}
        assert expired not in {r.id for r in store.list_sessions()}

    moved = runner.invoke(app, ["admin", "assign-sessions", "ada@example.com"])
    assert (
        moved.exit_code == 0
        and moved.stdout.strip() == "1 session(s) now belong to ada@example.com"
    )
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        record = store.get_session(local)
        assert record is not None and record.owner_id == ada.id
    # Ada's now: her team's 30 days apply to the 400-day-old call.
    again = runner.invoke(app, ["admin", "retention"])
    assert json.loads(again.stdout)["sessions_deleted"] == 1
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        assert {r.id for r in store.list_sessions()} == {kept}

    nobody = runner.invoke(app, ["admin", "assign-sessions", "nobody@example.com"])
    assert nobody.exit_code == 2 and "no user" in nobody.stderr
    assert "Traceback" not in nobody.output
