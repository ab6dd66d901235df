"""The seller's calendar names the call: the event at a call's start gives its title, whom it is
with and their company, and the meeting link. ``match_call`` is pure; the sources read ICS,
CalDAV, Google Calendar and Microsoft 365 calendars behind one ``CalendarSource`` interface."""

from praesent.calendar.events import Attendee, CalendarError, CalendarEvent, CalendarSource
from praesent.calendar.matching import (
    MATCH_AFTER_END,
    MATCH_BEFORE_START,
    CallContext,
    company_from_domain,
    match_call,
    meeting_url_of,
)

__all__ = [
    "MATCH_AFTER_END",
    "MATCH_BEFORE_START",
    "Attendee",
    "CalendarError",
    "CalendarEvent",
    "CalendarSource",
    "CallContext",
    "company_from_domain",
    "match_call",
    "meeting_url_of",
]
