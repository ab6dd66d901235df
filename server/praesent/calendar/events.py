"""What praesent reads of a calendar: events with their times, people and links, whatever the
calendar (ICS, CalDAV, Google, Microsoft 365) they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Attendee:
    """A person invited to an event. ``kind`` is the iCalendar CUTYPE (rooms and resources are
    not people); ``declined`` when they said no."""

    email: str
    name: str | None = None
    kind: str = "INDIVIDUAL"
    declined: bool = False


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """One occurrence of an event (a recurring event gives one per occurrence). Times are
    timezone-aware; an all-day event's are its days' midnights and ``all_day`` is set."""

    uid: str
    title: str
    start: datetime
    end: datetime
    all_day: bool = False
    attendees: tuple[Attendee, ...] = ()
    organizer: Attendee | None = None
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False
    # Links the calendar names as the meeting's own (Google's hangoutLink, Graph's joinUrl).
    meeting_links: tuple[str, ...] = field(default=())


class CalendarSource(Protocol):
    """A calendar to read: the occurrences that overlap ``[start, end)`` (aware datetimes)."""

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]: ...


class CalendarError(Exception):
    """A calendar could not be read (unreachable, refused, not a calendar); the message says
    why in words a seller can act on, and never carries a password."""
