"""`praesent calendar` says which event a call would be named after, and a wrong setting in one
line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from praesent.cli import app
from tests.calendar.test_matching import NINE
from tests.calendar.test_sources import SELLER, acme_ics


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["calendar", *args], env=env)
    return result.exit_code, result.output


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("PRAESENT_CALENDAR_URL", "PRAESENT_CALENDAR_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "calendar.ics"
    path.write_text(acme_ics(NINE))
    return {"PRAESENT_CALENDAR_URL": str(path), "PRAESENT_CALENDAR_EMAIL": SELLER}


def test_it_names_the_event_at_a_moment(env: dict[str, str]) -> None:
    code, output = _run(env, "--at", "2026-03-02T10:02+01:00")
    assert code == 0, output
    assert output.splitlines() == [
        "1 event(s) read (ics)",
        "title:    ACME — discovery",
        "customer: Grace Hopper <grace@acme.com>",
        "company:  ACME",
        "meeting:  https://teams.microsoft.com/l/meetup-join/19%3a1",
    ]
    code, output = _run(env, "--at", "2026-03-02T09:31Z")
    assert code == 0 and "no event names a call at 2026-03-02T09:31+00:00" in output


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        ({}, ("--at", "monday"), "--at is a date and time"),
        ({"PRAESENT_CALENDAR_URL": "/nonexistent/calendar.ics"}, (), "cannot be read"),
        ({"PRAESENT_CALENDAR_URL": ""}, (), "no calendar set"),
    ],
)
def test_a_wrong_setting_is_one_line(
    env: dict[str, str], change: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    code, output = _run({**env, **change}, *args)
    assert code == 2 and message in output and "Traceback" not in output
