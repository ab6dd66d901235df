"""Google Calendar and Microsoft 365 (Microsoft Graph) through their REST APIs, with an OAuth
access token the caller obtains (the desktop agent's sign-in, or an admin's app). Written
against the documented APIs; the tests run them against a local server that answers in the
documented shapes, never against Google or Microsoft.

Google: GET /calendar/v3/calendars/{id}/events (singleEvents=true expands recurrences).
Microsoft Graph: GET /v1.0/me/calendarView (occurrences of recurring events included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import quote

import httpx

from praesent.calendar.events import Attendee, CalendarError, CalendarEvent

GOOGLE_API = "https://www.googleapis.com"
GRAPH_API = "https://graph.microsoft.com"
# Pages of a look-up of a few hours; a calendar that needs more is not read further.
_MAX_PAGES = 5

TokenProvider = Callable[[], str]


def _get(client: httpx.Client, url: str, params: dict[str, str] | None) -> dict[str, Any]:
    try:
        response = client.get(url, params=params)
    except httpx.HTTPError as error:
        raise CalendarError(f"the calendar cannot be reached: {type(error).__name__}") from None
    if response.status_code in (401, 403):
        raise CalendarError("the calendar refused the access token (expired or not allowed)")
    if response.status_code != 200:
        raise CalendarError(f"the calendar answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise CalendarError("the calendar's answer is not JSON") from None
    if not isinstance(body, dict):
        raise CalendarError("the calendar's answer is not a JSON object")
    return body


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class GoogleCalendarSource:
    """A Google calendar (``primary``: the account's own) read with an OAuth token that has
    the ``calendar.events.readonly`` scope."""

    def __init__(
        self,
        token: TokenProvider,
        *,
        calendar_id: str = "primary",
        timeout_s: float = 3.0,
        base_url: str = GOOGLE_API,
    ) -> None:
        self.token = token
        self.calendar_id = calendar_id
        self.timeout_s = timeout_s
        self.base_url = base_url.rstrip("/")

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        url = f"{self.base_url}/calendar/v3/calendars/{quote(self.calendar_id, safe='')}/events"
        params = {
            "timeMin": start.astimezone(UTC).isoformat(),
            "timeMax": end.astimezone(UTC).isoformat(),
            "singleEvents": "true",
            "orderBy": "startTime",
            "maxResults": "250",
        }
        headers = {"Authorization": f"Bearer {self.token()}"}
        events: list[CalendarEvent] = []
        with httpx.Client(timeout=self.timeout_s, headers=headers) as client:
            for _ in range(_MAX_PAGES):
                body = _get(client, url, params)
                events += [e for e in map(google_event, body.get("items") or []) if e]
                page = body.get("nextPageToken")
                if not isinstance(page, str):
                    break
                params = {**params, "pageToken": page}
        return events


def _google_when(value: Any) -> tuple[datetime, bool] | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("dateTime"), str):
        return _time(value["dateTime"]), False
    if isinstance(value.get("date"), str):
        day = datetime.fromisoformat(value["date"]).date()
        return datetime.combine(day, time(), tzinfo=UTC), True
    return None


def _google_person(value: Any) -> Attendee | None:
    if not isinstance(value, dict) or "@" not in _text(value.get("email")):
        return None
    return Attendee(
        email=value["email"],
        name=_text(value.get("displayName")) or None,
        kind="RESOURCE" if value.get("resource") is True else "INDIVIDUAL",
        declined=value.get("responseStatus") == "declined",
    )


def google_event(item: Any) -> CalendarEvent | None:
    """One item of Google's Events: list answer."""
    if not isinstance(item, dict):
        return None
    start, end = _google_when(item.get("start")), _google_when(item.get("end"))
    if start is None or end is None:
        return None
    links = [_text(item.get("hangoutLink"))]
    conference = item.get("conferenceData")
    if isinstance(conference, dict):
        for point in conference.get("entryPoints") or []:
            if isinstance(point, dict) and point.get("entryPointType") == "video":
                links.append(_text(point.get("uri")))
    attendees = [_google_person(a) for a in item.get("attendees") or []]
    return CalendarEvent(
        uid=_text(item.get("iCalUID")) or _text(item.get("id")),
        title=_text(item.get("summary")),
        start=start[0],
        end=end[0],
        all_day=start[1],
        attendees=tuple(a for a in attendees if a is not None),
        organizer=_google_person(item.get("organizer")),
        location=_text(item.get("location")),
        description=_text(item.get("description")),
        cancelled=item.get("status") == "cancelled",
        meeting_links=tuple(link for link in links if link),
    )


class MicrosoftGraphSource:
    """The signed-in user's Microsoft 365 / Outlook calendar, read with an OAuth token that has
    the ``Calendars.Read`` permission."""

    def __init__(
        self, token: TokenProvider, *, timeout_s: float = 3.0, base_url: str = GRAPH_API
    ) -> None:
        self.token = token
        self.timeout_s = timeout_s
        self.base_url = base_url.rstrip("/")

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        url: str | None = f"{self.base_url}/v1.0/me/calendarView"
        params: dict[str, str] | None = {
            "startDateTime": start.astimezone(UTC).isoformat(),
            "endDateTime": end.astimezone(UTC).isoformat(),
            "$top": "100",
        }
        headers = {
            "Authorization": f"Bearer {self.token()}",
            # Times in UTC, whatever the mailbox's zone.
            "Prefer": 'outlook.timezone="UTC"',
        }
        events: list[CalendarEvent] = []
        with httpx.Client(timeout=self.timeout_s, headers=headers) as client:
            for _ in range(_MAX_PAGES):
                if url is None:
                    break
                body = _get(client, url, params)
                events += [e for e in map(graph_event, body.get("value") or []) if e]
                next_link = body.get("@odata.nextLink")
                # The next page's link carries its own query; it must stay on the same API.
                url = next_link if _text(next_link).startswith(self.base_url + "/") else None
                params = None
        return events


def _graph_person(value: Any, kind: str = "INDIVIDUAL") -> Attendee | None:
    address = value.get("emailAddress") if isinstance(value, dict) else None
    if not isinstance(address, dict) or "@" not in _text(address.get("address")):
        return None
    status = value.get("status") if isinstance(value, dict) else None
    return Attendee(
        email=address["address"],
        name=_text(address.get("name")) or None,
        kind=kind,
        declined=isinstance(status, dict) and status.get("response") == "declined",
    )


def _graph_time(value: Any) -> datetime | None:
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        return None
    return _time(value["dateTime"])  # in UTC (the Prefer header above)


def graph_event(item: Any) -> CalendarEvent | None:
    """One event of Graph's calendarView answer."""
    if not isinstance(item, dict):
        return None
    start, end = _graph_time(item.get("start")), _graph_time(item.get("end"))
    if start is None or end is None:
        return None
    attendees = [
        _graph_person(a, "RESOURCE" if a.get("type") == "resource" else "INDIVIDUAL")
        for a in item.get("attendees") or []
        if isinstance(a, dict)
    ]
    meeting = item.get("onlineMeeting")
    location = item.get("location")
    body = item.get("body")
    return CalendarEvent(
        uid=_text(item.get("iCalUId")) or _text(item.get("id")),
        title=_text(item.get("subject")),
        start=start,
        end=end,
        all_day=item.get("isAllDay") is True,
        attendees=tuple(a for a in attendees if a is not None),
        organizer=_graph_person(item.get("organizer")),
        location=_text(location.get("displayName")) if isinstance(location, dict) else "",
        description=_text(body.get("content")) if isinstance(body, dict) else "",
        url=_text(item.get("onlineMeetingUrl")),
        cancelled=item.get("isCancelled") is True,
        meeting_links=(_text(meeting.get("joinUrl")),) if isinstance(meeting, dict) else (),
    )
