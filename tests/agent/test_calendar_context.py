"""The agent and the seller's calendar (an ICS file here): the event a call starts at names the
prompt, the session and the series whose answer is remembered; a meeting with a call link arms
the detector; a calendar that cannot be read leaves the call unnamed, never stops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from praesent.agent.calendar_context import ARMED_REFRESH_S, CalendarWatch, calendar_watch
from praesent.agent.detect import CallApp
from praesent.agent.runner import CallContext
from praesent.settings import Settings
from tests.calendar.test_sources import SELLER, acme_ics

ZOOM = CallApp("zoom", "Zoom", ("zoom",))
START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _watch(tmp_path: Path, at: datetime, **values: object) -> CalendarWatch:
    watch = calendar_watch(Settings(data_dir=tmp_path, **values))  # type: ignore[arg-type]
    assert watch is not None
    watch.now = lambda: at
    return watch


def test_a_call_at_an_event_takes_its_title_company_and_series(tmp_path: Path) -> None:
    ics = tmp_path / "calendar.ics"
    ics.write_text(acme_ics(START, uid="acme-weekly"))
    during = _watch(tmp_path, START + timedelta(minutes=2), calendar_url=str(ics))
    during.seller_emails = [SELLER]
    assert during.context(ZOOM) == CallContext(
        title="ACME — discovery", customer="Grace Hopper", company="ACME", series="acme-weekly"
    )
    # An hour later no event runs: the prompt names the app.
    later = _watch(tmp_path, START + timedelta(hours=1), calendar_url=str(ics))
    assert later.context(ZOOM) is None


def test_a_meeting_with_a_call_link_arms_the_detector(tmp_path: Path) -> None:
    ics = tmp_path / "calendar.ics"
    ics.write_text(acme_ics(START))  # its description holds a Teams link
    clock = [0.0]
    watch = _watch(tmp_path, START - timedelta(minutes=3), calendar_url=str(ics))
    watch.monotonic = lambda: clock[0]
    assert watch.armed()
    # Read again only after ARMED_REFRESH_S: the meeting moved away meanwhile.
    ics.write_text(acme_ics(START + timedelta(hours=2)))
    clock[0] = ARMED_REFRESH_S - 1
    assert watch.armed()
    clock[0] = ARMED_REFRESH_S
    assert not watch.armed()
    # A meeting without a link (a visit) does not arm it.
    visit = "".join(
        line for line in acme_ics(START).splitlines(keepends=True) if "teams" not in line
    )
    ics.write_text(visit)
    unlinked = _watch(tmp_path, START, calendar_url=str(ics))
    assert unlinked.context(ZOOM) is not None and not unlinked.armed()


def test_no_calendar_and_a_broken_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert calendar_watch(Settings(data_dir=tmp_path)) is None
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\r\nthis is not iCalendar")
    watch = _watch(tmp_path, START, calendar_url=str(broken))
    assert watch.context(ZOOM) is None and not watch.armed()
    assert "Zoom goes unnamed" in capsys.readouterr().err
