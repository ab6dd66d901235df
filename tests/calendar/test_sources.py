"""The calendar sources read real calendars: an ICS file, an ICS address on a local web server,
a real CalDAV server (Radicale), and local stand-ins that answer in Google Calendar's and
Microsoft Graph's documented shapes. A calendar that fails or hangs never breaks a call."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from praesent.calendar import CalendarError
from praesent.calendar.caldav_source import CalDavSource
from praesent.calendar.cloud import GoogleCalendarSource, MicrosoftGraphSource
from praesent.calendar.ics import IcsSource
from praesent.calendar.lookup import CalendarConfig, context_now, lookup_call, source_for
from tests.calendar.radicale import PASSWORD, USER, Radicale, running_radicale

SELLER = "ada@praesent.example"
NOW = datetime.now(UTC).replace(microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def acme_ics(start: datetime, uid: str = "acme-1", extra: str = "") -> str:
    """A VCALENDAR with one event "ACME — discovery" with Grace Hopper of acme.com."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//praesent tests//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{stamp(start)}\r\n"
        f"DTSTART:{stamp(start)}\r\nDTEND:{stamp(start + timedelta(minutes=30))}\r\n"
        "SUMMARY:ACME — discovery\r\n"
        f"ORGANIZER;CN=Ada Lovelace:mailto:{SELLER}\r\n"
        f"ATTENDEE;CN=Ada Lovelace:mailto:{SELLER}\r\n"
        "ATTENDEE;CN=Grace Hopper;CUTYPE=INDIVIDUAL:mailto:grace@acme.com\r\n"
        "DESCRIPTION:Join Microsoft Teams: https://teams.microsoft.com/l/meetup-join/19%3a1\r\n"
        f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


class Site:
    """A local web server: ``pages`` maps a path to (status, content type, body); each request
    is noted in ``seen`` as (path, query, headers)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        self.seen: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        self.hang = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                site.seen.append((parts.path, parse_qs(parts.query), dict(self.headers)))
                if parts.path == "/hang":
                    site.hang.wait(30)
                status, kind, body = site.pages.get(parts.path, (404, "text/plain", b"no"))
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", body.decode())
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            # CalDAV's methods: a redirect answers them alike.
            do_PROPFIND = do_GET  # noqa: N815
            do_REPORT = do_GET  # noqa: N815

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.hang.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.close()


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with running_radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


def test_an_ics_file_names_the_call(tmp_path: Path) -> None:
    path = tmp_path / "calendar.ics"
    path.write_text(acme_ics(NOW - timedelta(minutes=2)))
    found = context_now(IcsSource(str(path)), NOW, [SELLER])
    assert found is not None and found.title == "ACME — discovery"
    assert (found.customer_name, found.company) == ("Grace Hopper", "ACME")
    assert found.meeting_url == "https://teams.microsoft.com/l/meetup-join/19%3a1"
    with pytest.raises(CalendarError, match="cannot be read"):
        IcsSource(str(tmp_path / "missing.ics")).events(NOW, NOW)
    (tmp_path / "junk.ics").write_text("BEGIN:VCALENDAR\nthis is not")
    with pytest.raises(CalendarError, match="not an iCalendar"):
        IcsSource(str(tmp_path / "junk.ics")).events(NOW, NOW)


def test_floating_times_are_the_sellers_local_time(tmp_path: Path) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 7, 1, 10, 0)
    text = (
        acme_ics(start.replace(tzinfo=UTC))
        .replace(f"DTSTART:{start:%Y%m%dT%H%M%S}Z", f"DTSTART:{start:%Y%m%dT%H%M%S}")
        .replace("DTEND:20260701T103000Z", "DTEND:20260701T103000")
    )
    path = tmp_path / "floating.ics"
    path.write_text(text)
    source = IcsSource(str(path), floating=berlin)
    # 10:00 floating in Berlin (summer) is 08:00 UTC.
    assert context_now(source, datetime(2026, 7, 1, 8, 0, tzinfo=UTC), [SELLER]) is not None
    assert context_now(source, datetime(2026, 7, 1, 10, 0, tzinfo=UTC), [SELLER]) is None


def test_an_ics_address_is_read_over_http_with_basic_auth(site: Site) -> None:
    site.pages["/secret/basic.ics"] = (200, "text/calendar", acme_ics(NOW).encode())
    config = CalendarConfig(f"{site.url}/secret/basic.ics", "ada", "pw")
    assert config.effective_kind() == "ics"
    found = context_now(source_for(config, timeout_s=5), NOW, [SELLER])
    assert found is not None and found.customer_email == "grace@acme.com"
    path, _query, headers = site.seen[-1]
    assert path == "/secret/basic.ics"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"ada:pw").decode()
    with pytest.raises(CalendarError, match="HTTP 404"):
        IcsSource(f"{site.url}/gone.ics").events(NOW, NOW)


def test_a_checked_address_is_refused_before_it_is_read(site: Site) -> None:
    def refuse(url: str) -> None:
        raise CalendarError(f"refused {url}")

    before = len(site.seen)
    with pytest.raises(CalendarError, match="refused"):
        IcsSource(f"{site.url}/secret/basic.ics", check=refuse).events(NOW, NOW)
    with pytest.raises(CalendarError, match="refused"):
        CalDavSource(f"{site.url}/dav/", check=refuse).events(NOW, NOW)
    assert len(site.seen) == before


def test_a_checked_address_is_not_followed_through_redirects(site: Site) -> None:
    """A public address may redirect inside the network: the team server's calendars are read
    where they were checked, or not at all."""
    site.pages["/moved.ics"] = (302, "text/plain", f"{site.url}/secret/basic.ics".encode())
    site.pages["/moved-dav/"] = (307, "text/plain", f"{site.url}/inside/".encode())
    site.pages["/secret/basic.ics"] = (200, "text/calendar", acme_ics(NOW).encode())
    # Without a check (a laptop's own setting) a moved ICS file is followed.
    assert IcsSource(f"{site.url}/moved.ics").events(NOW, NOW + timedelta(minutes=1))
    before = len(site.seen)
    with pytest.raises(CalendarError, match="HTTP 302"):
        IcsSource(f"{site.url}/moved.ics", check=lambda _url: None).events(NOW, NOW)
    with pytest.raises(CalendarError, match="cannot be read"):
        CalDavSource(f"{site.url}/moved-dav/", check=lambda _url: None).events(NOW, NOW)
    assert all(path.startswith("/moved") for path, _q, _h in site.seen[before:])


def test_a_calendar_that_hangs_or_fails_gives_no_context_and_no_error(site: Site) -> None:
    hanging = IcsSource(f"{site.url}/hang", timeout_s=30)
    assert asyncio.run(lookup_call(hanging, NOW, [SELLER], timeout_s=0.5)) is None
    broken = IcsSource(f"{site.url}/gone.ics")
    assert asyncio.run(lookup_call(broken, NOW, [SELLER], timeout_s=5)) is None


def test_caldav_with_an_account_and_a_recurring_event(radicale: Radicale) -> None:
    weekly_start = NOW - timedelta(days=14, minutes=1)
    radicale.add_events(
        acme_ics(weekly_start, uid="weekly-acme", extra="RRULE:FREQ=WEEKLY;COUNT=4\r\n"),
        acme_ics(NOW + timedelta(hours=3), uid="later").replace("ACME", "Globex"),
    )
    config = CalendarConfig(radicale.calendar_url, USER, PASSWORD)
    assert config.effective_kind() == "caldav"
    found = context_now(source_for(config, timeout_s=10), NOW, [SELLER])
    # The third weekly occurrence, expanded from the stored series.
    assert found is not None and found.event_uid == "weekly-acme"
    assert found.starts_at == weekly_start + timedelta(days=14)
    assert found.company == "ACME"
    # The server's root finds the account's calendars by discovery.
    root = CalDavSource(radicale.base + "/", username=USER, password=PASSWORD, timeout_s=10)
    assert [e.uid for e in root.events(NOW - timedelta(hours=1), NOW + timedelta(hours=4))] == [
        "weekly-acme",
        "later",
    ]
    wrong = CalDavSource(radicale.calendar_url, username=USER, password="wrong", timeout_s=10)
    with pytest.raises(CalendarError, match="refused") as refused:
        wrong.events(NOW, NOW + timedelta(hours=1))
    assert "wrong" not in str(refused.value)


def test_google_calendar_api_in_its_documented_shape(site: Site) -> None:
    site.pages["/calendar/v3/calendars/primary/events"] = (
        200,
        "application/json",
        json.dumps(
            {
                "kind": "calendar#events",
                "items": [
                    {
                        "id": "g1",
                        "iCalUID": "g1@google.com",
                        "status": "confirmed",
                        "summary": "ACME — discovery",
                        "start": {"dateTime": (NOW - timedelta(minutes=1)).isoformat()},
                        "end": {"dateTime": (NOW + timedelta(minutes=29)).isoformat()},
                        "organizer": {"email": SELLER, "self": True},
                        "attendees": [
                            {"email": SELLER, "self": True, "responseStatus": "accepted"},
                            {"email": "grace@acme.com", "displayName": "Grace Hopper"},
                            {"email": "r1@resource.calendar.google.com", "resource": True},
                        ],
                        "hangoutLink": "https://meet.google.com/abc-defg-hij",
                    },
                    {
                        "id": "g2",
                        "summary": "Holiday",
                        "start": {"date": NOW.date().isoformat()},
                        "end": {"date": (NOW.date() + timedelta(days=1)).isoformat()},
                    },
                ],
            }
        ).encode(),
    )
    source = GoogleCalendarSource(lambda: "g-token", base_url=site.url)
    found = context_now(source, NOW, [SELLER])
    assert found is not None and found.event_uid == "g1@google.com"
    assert found.external_attendees[0].email == "grace@acme.com"
    assert len(found.external_attendees) == 1
    assert found.meeting_url == "https://meet.google.com/abc-defg-hij"
    _path, query, headers = site.seen[-1]
    assert headers["Authorization"] == "Bearer g-token"
    assert query["singleEvents"] == ["true"]


GRACE_GRAPH = {"name": "Grace Hopper", "address": "grace@acme.com"}


def test_microsoft_graph_calendar_view_in_its_documented_shape(site: Site) -> None:
    def at(moment: datetime) -> dict[str, str]:
        return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}

    site.pages["/v1.0/me/calendarView"] = (
        200,
        "application/json",
        json.dumps(
            {
                "value": [
                    {
                        "id": "AAMk1",
                        "iCalUId": "040000008200E0",
                        "subject": "ACME — discovery",
                        "isAllDay": False,
                        "isCancelled": False,
                        "start": at(NOW + timedelta(minutes=3)),
                        "end": at(NOW + timedelta(minutes=33)),
                        "organizer": {"emailAddress": {"name": "Ada", "address": SELLER}},
                        "attendees": [
                            {
                                "type": "required",
                                "status": {"response": "accepted"},
                                "emailAddress": {
                                    "name": "Grace Hopper",
                                    "address": "grace@acme.com",
                                },
                            }
                        ],
                        "onlineMeeting": {"joinUrl": "https://teams.microsoft.com/l/meetup-join/2"},
                    }
                ]
            }
        ).encode(),
    )
    source = MicrosoftGraphSource(lambda: "m-token", base_url=site.url)
    found = context_now(source, NOW, [SELLER])
    assert found is not None and found.customer_name == "Grace Hopper"
    assert found.starts_at == NOW + timedelta(minutes=3)
    assert found.meeting_url == "https://teams.microsoft.com/l/meetup-join/2"
    _path, _query, headers = site.seen[-1]
    assert headers["Authorization"] == "Bearer m-token"
    assert headers["Prefer"] == 'outlook.timezone="UTC"'
    site.pages["/v1.0/me/calendarView"] = (401, "application/json", b"{}")
    with pytest.raises(CalendarError, match="access token"):
        source.events(NOW, NOW)
