"""Which event a call is: the pure matching rule, its window's edges, recurring events, time
zones, and who counts as the customer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from praesent.calendar import (
    MATCH_AFTER_END,
    MATCH_BEFORE_START,
    Attendee,
    CalendarEvent,
    company_from_domain,
    match_call,
)
from praesent.calendar.ics import parse_ics

SELLER = "ada@praesent.example"
COLLEAGUE = Attendee("ben@praesent.example", "Ben")
GRACE = Attendee("grace@acme.com", "Grace Hopper")
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _event(start: datetime = NINE, minutes: int = 30, **fields: object) -> CalendarEvent:
    values: dict[str, object] = {
        "uid": "e1",
        "title": "ACME — discovery",
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "attendees": (Attendee(SELLER, "Ada"), GRACE),
    }
    values.update(fields)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def test_a_call_at_the_start_of_an_event_takes_its_title_customer_and_company() -> None:
    found = match_call([_event(location="Zoom: https://acme.zoom.us/j/123?pwd=x.")], NINE, [SELLER])
    assert found is not None
    assert found.title == "ACME — discovery"
    assert (found.customer_name, found.customer_email, found.company) == (
        "Grace Hopper",
        "grace@acme.com",
        "ACME",
    )
    assert found.external_attendees == (GRACE,)
    assert found.meeting_url == "https://acme.zoom.us/j/123?pwd=x"


@pytest.mark.parametrize(
    ("offset", "matches"),
    [
        (-MATCH_BEFORE_START - timedelta(seconds=1), False),
        (-MATCH_BEFORE_START, True),
        (timedelta(minutes=29, seconds=59), True),
        (timedelta(minutes=30) + MATCH_AFTER_END, False),
    ],
)
def test_the_window_runs_from_five_minutes_before_the_start_to_the_end(
    offset: timedelta, matches: bool
) -> None:
    assert timedelta(minutes=5) == MATCH_BEFORE_START
    assert (match_call([_event()], NINE + offset, [SELLER]) is not None) is matches


def test_no_event_all_day_cancelled_or_a_focus_block_is_no_call() -> None:
    assert match_call([], NINE, [SELLER]) is None
    day = datetime(2026, 3, 2, tzinfo=UTC)
    assert match_call([_event(day, 24 * 60, all_day=True)], NINE, [SELLER]) is None
    assert match_call([_event(cancelled=True)], NINE, [SELLER]) is None
    focus = _event(attendees=(), organizer=Attendee(SELLER))
    assert match_call([focus], NINE, [SELLER]) is None
    # The same block with a meeting link is a call (with no customer known).
    linked = _event(attendees=(), description="Join: https://meet.google.com/abc-defg-hij")
    found = match_call([linked], NINE, [SELLER])
    assert found is not None and found.customer_email is None and found.company is None
    assert found.meeting_url == "https://meet.google.com/abc-defg-hij"


def test_colleagues_rooms_and_declined_people_are_not_the_customer() -> None:
    room = Attendee("room-4@praesent.example", "Room 4", kind="ROOM")
    declined = Attendee("sam@globex.com", "Sam", declined=True)
    event = _event(attendees=(Attendee(SELLER), COLLEAGUE, room, declined, GRACE))
    found = match_call([event], NINE, [SELLER])
    assert found is not None and found.external_attendees == (GRACE,)
    internal = _event(title="1:1", attendees=(Attendee(SELLER), COLLEAGUE))
    found = match_call([internal], NINE, [SELLER])
    assert found is not None and found.title == "1:1" and found.customer_email is None


def test_an_external_organizer_is_the_customer_when_no_attendee_is() -> None:
    event = _event(attendees=(Attendee(SELLER),), organizer=Attendee("kim@initech.co.uk", "Kim"))
    found = match_call([event], NINE, [SELLER])
    assert found is not None and (found.customer_name, found.company) == ("Kim", "Initech")


def test_among_overlapping_events_the_external_one_then_the_nearest_start_wins() -> None:
    internal = _event(
        NINE - timedelta(minutes=2),
        uid="standup",
        title="Standup",
        attendees=(Attendee(SELLER), COLLEAGUE),
    )
    customer_late = _event(NINE + timedelta(minutes=4), uid="acme", title="ACME")
    customer_early = _event(NINE - timedelta(minutes=20), uid="globex", title="Globex", minutes=60)
    found = match_call([internal, customer_early, customer_late], NINE, [SELLER])
    assert found is not None and found.event_uid == "acme"


def test_the_call_time_must_know_its_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        match_call([_event()], NINE.replace(tzinfo=None), [SELLER])


@pytest.mark.parametrize(
    ("domain", "company"),
    [
        ("acme.com", "ACME"),
        ("sales.acme.com", "ACME"),
        ("ibm.com", "IBM"),
        ("contoso.com", "Contoso"),
        ("big-corp.de", "Big Corp"),
        ("initech.co.uk", "Initech"),
        ("gmail.com", None),
        ("web.de", None),
        ("localhost", None),
        ("xn--bcher-kva.de", None),
    ],
)
def test_the_company_comes_from_the_domain(domain: str, company: str | None) -> None:
    assert company_from_domain(domain) == company


RECURRING = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//praesent tests//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:STANDARD
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-acme
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260302T100000
DTEND;TZID=Europe/Berlin:20260302T103000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Europe/Berlin:20260309T100000
SUMMARY:ACME weekly
ORGANIZER;CN=Ada:mailto:ada@praesent.example
ATTENDEE;CN=Grace Hopper;PARTSTAT=ACCEPTED:mailto:grace@acme.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-acme
RECURRENCE-ID;TZID=Europe/Berlin:20260316T100000
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260316T140000
DTEND;TZID=Europe/Berlin:20260316T143000
SUMMARY:ACME weekly (moved)
ORGANIZER;CN=Ada:mailto:ada@praesent.example
ATTENDEE;CN=Grace Hopper:mailto:grace@acme.com
END:VEVENT
BEGIN:VEVENT
UID:offsite
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260330
DTEND;VALUE=DATE:20260331
SUMMARY:Offsite
ATTENDEE:mailto:grace@acme.com
END:VEVENT
END:VCALENDAR
"""
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("local_start", "title"),
    [
        # 10:00 in Berlin is 09:00 UTC in winter and 08:00 UTC after the clocks go forward.
        (datetime(2026, 3, 2, 9, 58, tzinfo=BERLIN), "ACME weekly"),
        (datetime(2026, 3, 30, 8, 1, tzinfo=UTC), "ACME weekly"),
        (datetime(2026, 3, 30, 9, 1, tzinfo=UTC), None),
        # The occurrence left out (EXDATE) is no call; the moved one is, at its new time.
        (datetime(2026, 3, 9, 10, 0, tzinfo=BERLIN), None),
        (datetime(2026, 3, 16, 10, 0, tzinfo=BERLIN), None),
        (datetime(2026, 3, 16, 14, 0, tzinfo=BERLIN), "ACME weekly (moved)"),
        # The all-day offsite on the 30th never names a call.
        (datetime(2026, 3, 30, 15, 0, tzinfo=BERLIN), None),
    ],
)
def test_recurring_events_in_their_own_time_zone(local_start: datetime, title: str | None) -> None:
    events = parse_ics(
        RECURRING, local_start - timedelta(hours=12), local_start + MATCH_BEFORE_START
    )
    found = match_call(events, local_start, [SELLER])
    assert (found.title if found else None) == title
    if found is not None:
        assert found.company == "ACME" and found.customer_email == "grace@acme.com"
