"""iCalendar (RFC 5545) text to events, recurring ones expanded; and a calendar that is an ICS
file or an ICS URL (a "secret address" that Google, Outlook and most calendars publish)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import httpx
import icalendar
import recurring_ical_events

from praesent.calendar.events import Attendee, CalendarError, CalendarEvent
from praesent.webhooks.addresses import EndpointRefusedError, pinned, resolve

# A seller's whole calendar for years fits in a few MB; more is not a calendar.
ICS_MAX_BYTES = 20 * 1024 * 1024
_FLOATING_MARGIN = timedelta(days=1)
_MEETING_PROPERTIES = ("X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL")


def _aware(value: date | datetime, floating: tzinfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), tzinfo=floating)
    # A "floating" time (no zone) is the reader's local time, per RFC 5545.
    return value if value.tzinfo is not None else value.replace(tzinfo=floating)


def _address(value: Any) -> Attendee | None:
    email = str(value).strip()
    if email.lower().startswith("mailto:"):
        email = email[len("mailto:") :]
    if "@" not in email:
        return None
    params = getattr(value, "params", {})
    name = str(params.get("CN", "")).strip().strip('"') or None
    return Attendee(
        email=email,
        name=name,
        kind=str(params.get("CUTYPE", "INDIVIDUAL")).upper(),
        declined=str(params.get("PARTSTAT", "")).upper() == "DECLINED",
    )


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _event(component: Any, floating: tzinfo) -> CalendarEvent | None:
    start_prop = component.get("DTSTART")
    if start_prop is None:
        return None
    raw_start = start_prop.dt
    all_day = not isinstance(raw_start, datetime)
    start = _aware(raw_start, floating)
    if component.get("DTEND") is not None:
        end = _aware(component.get("DTEND").dt, floating)
    elif component.get("DURATION") is not None:
        end = start + component.get("DURATION").dt
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    attendees = tuple(
        a for a in (_address(v) for v in _listed(component.get("ATTENDEE"))) if a is not None
    )
    organizer = _address(component.get("ORGANIZER")) if component.get("ORGANIZER") else None
    links = tuple(str(component.get(p)) for p in _MEETING_PROPERTIES if component.get(p))
    return CalendarEvent(
        uid=str(component.get("UID", "")),
        title=str(component.get("SUMMARY", "")),
        start=start,
        end=end,
        all_day=all_day,
        attendees=attendees,
        organizer=organizer,
        location=str(component.get("LOCATION", "")),
        description=str(component.get("DESCRIPTION", "")),
        url=str(component.get("URL", "")),
        cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
        meeting_links=links,
    )


def parse_ics(
    text: str | bytes, start: datetime, end: datetime, *, floating: tzinfo = UTC
) -> list[CalendarEvent]:
    """The occurrences in ``text`` that overlap ``[start, end)``; ``floating``: the zone of
    times that name none (the seller's own)."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
        # A day's margin: floating times are compared as if in the bounds' zone here, and
        # placed in the seller's own below.
        components = recurring_ical_events.of(calendar).between(
            start - _FLOATING_MARGIN, end + _FLOATING_MARGIN
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CalendarError(f"not an iCalendar file: {error}") from None
    events = [_event(c, floating) for c in components if c.name == "VEVENT"]
    overlapping = (e for e in events if e is not None and e.start < end and e.end > start)
    return sorted(overlapping, key=lambda e: (e.start, e.uid))


def read_url(
    url: str,
    *,
    timeout_s: float,
    auth: tuple[str, str] | None = None,
    follow_redirects: bool = True,
    max_bytes: int = ICS_MAX_BYTES,
    public_only: bool = False,
) -> bytes:
    """The body of a GET, at most ``max_bytes``; CalendarError for anything but a 200.
    ``public_only``: the host must resolve to public addresses only, and the request goes to
    the address checked (a second DNS answer cannot point it inside the network), with no
    redirect and no proxy from the environment."""
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    headers: dict[str, str] = {}
    extensions: dict[str, str] = {}
    if public_only:
        try:
            target = resolve(url, allow_http=True, allow_private=False)
        except EndpointRefusedError as error:
            raise CalendarError(f"refused: {error.message}") from None
        url, headers, extensions = pinned(target)
        follow_redirects = False
    try:
        with (
            httpx.Client(
                timeout=timeout_s, follow_redirects=follow_redirects, trust_env=not public_only
            ) as client,
            client.stream(
                "GET", url, auth=auth, headers=headers, extensions=extensions
            ) as response,
        ):
            if response.status_code != 200:
                raise CalendarError(f"the calendar answered HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise CalendarError(f"the calendar is larger than {max_bytes} bytes")
            return bytes(body)
    except httpx.HTTPError as error:
        raise CalendarError(f"the calendar cannot be reached: {type(error).__name__}") from None


class IcsSource:
    """An ICS calendar: a file path, or an http(s)/webcal URL read on each look-up. ``check``
    vets a URL before it is read and ``public_only`` the address it is read from (the team
    server's guards against private addresses)."""

    def __init__(
        self,
        location: str,
        *,
        timeout_s: float = 3.0,
        auth: tuple[str, str] | None = None,
        floating: tzinfo = UTC,
        check: Callable[[str], None] | None = None,
        public_only: bool = False,
    ) -> None:
        self.location = location
        self.timeout_s = timeout_s
        self.auth = auth
        self.floating = floating
        self.check = check
        self.public_only = public_only

    def _read(self) -> bytes:
        if self.location.lower().startswith(("http://", "https://", "webcal://")):
            if self.check is not None:
                self.check(self.location)
            return read_url(
                self.location,
                timeout_s=self.timeout_s,
                auth=self.auth,
                follow_redirects=self.check is None,  # a redirect could lead past the check
                public_only=self.public_only,
            )
        path = Path(self.location).expanduser()
        try:
            if path.stat().st_size > ICS_MAX_BYTES:
                raise CalendarError(f"{path} is larger than {ICS_MAX_BYTES} bytes")
            return path.read_bytes()
        except OSError as error:
            raise CalendarError(f"{path} cannot be read: {error.strerror}") from None

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        return parse_ics(self._read(), start, end, floating=self.floating)
