"""The agent names a call from the seller's calendar (an ICS file here): the prompt's company,
the session's title and the series whose answer is remembered; a calendar that cannot be read
leaves the call unnamed, never stops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from praesent.agent.calendar_context import calendar_lookup
from praesent.agent.detect import CallApp
from praesent.agent.runner import CallContext
from praesent.settings import Settings
from tests.calendar.test_sources import SELLER, acme_ics

ZOOM = CallApp("zoom", "Zoom", ("zoom",))
START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_a_call_at_an_event_takes_its_title_company_and_series(tmp_path: Path) -> None:
    ics = tmp_path / "calendar.ics"
    ics.write_text(acme_ics(START, uid="acme-weekly"))
    settings = _settings(tmp_path, calendar_url=str(ics), calendar_email=SELLER)
    lookup = calendar_lookup(settings, now=lambda: START + timedelta(minutes=2))
    assert lookup is not None
    assert lookup(ZOOM) == CallContext(
        title="ACME — discovery", customer="Grace Hopper", company="ACME", series="acme-weekly"
    )
    # An hour later no event runs: the prompt names the app.
    later = calendar_lookup(settings, now=lambda: START + timedelta(hours=1))
    assert later is not None and later(ZOOM) is None


def test_no_calendar_and_a_broken_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert calendar_lookup(_settings(tmp_path)) is None
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\r\nthis is not iCalendar")
    lookup = calendar_lookup(_settings(tmp_path, calendar_url=str(broken)), now=lambda: START)
    assert lookup is not None and lookup(ZOOM) is None
    assert "Zoom goes unnamed" in capsys.readouterr().err
