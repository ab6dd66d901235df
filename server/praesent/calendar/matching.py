"""Which calendar event a call is: pure (no clock, no I/O), so the server, the desktop agent and
the tests all decide the same way.

A call that starts from ``MATCH_BEFORE_START`` before an event's start until (not including)
``MATCH_AFTER_END`` after its end is that event. All-day and cancelled events are never
calls, nor is an event with no one else in it and no meeting link (a focus block). Among
several, the one with people from outside the seller's company wins, then the one whose start
is nearest the call's."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from praesent.calendar.events import Attendee, CalendarEvent

# A seller joins a few minutes early or late; a call that starts after the event ended is
# another call.
MATCH_BEFORE_START = timedelta(minutes=5)
MATCH_AFTER_END = timedelta(0)

# The hosts of the video meeting services praesent knows (the host or any subdomain of it).
MEETING_HOSTS = (
    "zoom.us",
    "zoom.com",
    "teams.microsoft.com",
    "teams.live.com",
    "meet.google.com",
    "webex.com",
)
_URL = re.compile(r"https://[^\s<>\"'\\]+", re.IGNORECASE)

# Addresses at these domains belong to a person, not to a company.
PERSONAL_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
        "posteo.de",
        "mailbox.org",
    }
)
# Second-level labels under a country's domain that are not the company's name (acme.co.uk).
_GENERIC_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc"})
# A name this short is most likely an acronym: IBM, SAP, ACME.
_ACRONYM_MAX = 4


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the calendar says about a call. ``customer_*`` is the first external attendee (the
    organizer when no attendee is external); ``company`` comes from their domain."""

    title: str
    event_uid: str
    starts_at: datetime
    ends_at: datetime
    external_attendees: tuple[Attendee, ...]
    customer_name: str | None
    customer_email: str | None
    company: str | None
    meeting_url: str | None


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].strip().lower().rstrip(".")


def company_from_domain(domain: str) -> str | None:
    """A company's name from its mail domain: the label left of the public suffix (acme.com,
    sales.acme.com and acme.co.uk give "acme"); up to four letters it is written in capitals
    (ACME, IBM), longer ones capitalised per hyphenated part (big-corp → "Big Corp"). None for
    personal mail (gmail.com) and for what is not a domain."""
    domain = domain.strip().lower().rstrip(".")
    labels = [label for label in domain.split(".") if label]
    if len(labels) < 2 or domain in PERSONAL_MAIL_DOMAINS:
        return None
    name = labels[-2]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SECOND_LEVEL:
        name = labels[-3]
    if not re.fullmatch(r"[a-z0-9-]+", name) or name.startswith("xn--"):
        return None  # punycode or junk: no guess rather than a wrong one
    if len(name) <= _ACRONYM_MAX and "-" not in name:
        return name.upper()
    return " ".join(part.capitalize() for part in name.split("-") if part)


def meeting_url_of(event: CalendarEvent) -> str | None:
    """The first link to a known meeting service: the calendar's own conference link, then the
    event's URL, location and description."""
    for text in (*event.meeting_links, event.url, event.location, event.description):
        for found in _URL.findall(text or ""):
            url = str(found).rstrip(").,;>]")
            host = (urlsplit(url).hostname or "").lower()
            if any(host == known or host.endswith("." + known) for known in MEETING_HOSTS):
                return url
    return None


def _people(event: CalendarEvent) -> list[Attendee]:
    people = [a for a in event.attendees if a.kind.upper() not in ("ROOM", "RESOURCE")]
    if event.organizer is not None and all(
        a.email.lower() != event.organizer.email.lower() for a in people
    ):
        people.append(event.organizer)
    return [a for a in people if "@" in a.email]


def _external(event: CalendarEvent, seller_domains: frozenset[str]) -> tuple[Attendee, ...]:
    return tuple(
        a for a in _people(event) if domain_of(a.email) not in seller_domains and not a.declined
    )


def _is_call(event: CalendarEvent, seller_emails: frozenset[str]) -> bool:
    if event.all_day or event.cancelled:
        return False
    others = [a for a in _people(event) if a.email.lower() not in seller_emails]
    return bool(others) or meeting_url_of(event) is not None


def match_call(
    events: Iterable[CalendarEvent], started_at: datetime, seller_emails: Iterable[str]
) -> CallContext | None:
    """The calendar's word on a call that started at ``started_at`` (aware), None when no event
    fits. ``seller_emails`` are the seller's own addresses: their domains are the seller's
    company, everyone else is external."""
    if started_at.tzinfo is None or started_at.utcoffset() is None:
        raise ValueError("started_at must be timezone-aware")
    own = frozenset(email.strip().lower() for email in seller_emails if "@" in email)
    own_domains = frozenset(domain_of(email) for email in own)
    candidates = [
        event
        for event in events
        if event.start - MATCH_BEFORE_START <= started_at < event.end + MATCH_AFTER_END
        and _is_call(event, own)
    ]
    if not candidates:
        return None
    best = min(
        candidates,
        key=lambda e: (not _external(e, own_domains), abs(e.start - started_at), e.uid),
    )
    external = _external(best, own_domains)
    customer = external[0] if external else None
    return CallContext(
        title=best.title.strip(),
        event_uid=best.uid,
        starts_at=best.start,
        ends_at=best.end,
        external_attendees=external,
        customer_name=customer.name if customer else None,
        customer_email=customer.email if customer else None,
        company=company_from_domain(domain_of(customer.email)) if customer else None,
        meeting_url=meeting_url_of(best),
    )
