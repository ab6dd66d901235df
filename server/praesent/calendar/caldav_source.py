"""A CalDAV calendar (RFC 4791: Nextcloud, iCloud, Fastmail, Radicale, SOGo…): the server
picks the events of the time window, praesent expands their recurrences itself."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

import caldav

from praesent.calendar.events import CalendarError, CalendarEvent
from praesent.calendar.ics import parse_ics
from praesent.webhooks.connections import public_addresses_only

log = logging.getLogger(__name__)


class _QuietCaldav(logging.Filter):
    """caldav logs a server's unparsable answer on the root logger, with a traceback and the
    answer's text: what a calendar server sends is not the server log's business (the look-up's
    own line says that the calendar failed, and why)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}caldav{os.sep}" not in record.pathname


logging.getLogger().addFilter(_QuietCaldav())
logging.getLogger("caldav").setLevel(logging.ERROR)


class CalDavSource:
    """The calendar at ``url``, or, where ``url`` is the server or a principal, every calendar
    the account has."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 3.0,
        floating: tzinfo = UTC,
        check: Callable[[str], None] | None = None,
        public_only: bool = False,
    ) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.timeout_s = timeout_s
        self.floating = floating
        self.check = check
        # Every request, to the URL and to the addresses its server names (the calendars'
        # home may be on another host), connects to public addresses only.
        self.public_only = public_only

    def _search(self, calendar: Any, start: datetime, end: datetime) -> list[str]:
        found = calendar.search(start=start, end=end, event=True, expand=False)
        return [str(item.data) for item in found]

    def _calendars(self, client: caldav.DAVClient) -> list[Any]:
        """The account's calendars at or under the URL (the URL of one calendar, of the
        account's home or of the server); the URL itself where discovery fails."""
        wanted = self.url.rstrip("/") + "/"
        try:
            found = client.principal().calendars()  # type: ignore[no-untyped-call]
        except caldav.lib.error.DAVError:
            found = []
        under = [c for c in found if (str(c.url).rstrip("/") + "/").startswith(wanted)]
        return under or [client.calendar(url=self.url)]  # type: ignore[no-untyped-call]

    def events(self, start: datetime, end: datetime) -> list[CalendarEvent]:
        if self.check is not None:
            self.check(self.url)
        client = caldav.DAVClient(
            self.url,
            username=self.username,
            password=self.password,
            timeout=max(1, round(self.timeout_s)),
        )
        if self.check is not None:
            # A redirect could lead past the check: a checked calendar is read where it is.
            client.session.max_redirects = 0
        if self.public_only:
            public_addresses_only(client.session)
        texts: list[str] = []
        try:
            with client:
                for calendar in self._calendars(client):
                    texts += self._search(calendar, start, end)
        except CalendarError:
            raise
        except Exception as error:  # noqa: BLE001 - requests', lxml's and caldav's errors alike
            raise CalendarError(f"the CalDAV calendar cannot be read: {_reason(error)}") from None
        events: list[CalendarEvent] = []
        for text in texts:
            events += parse_ics(text, start, end, floating=self.floating)
        return sorted(events, key=lambda e: (e.start, e.uid))


def _reason(error: Exception) -> str:
    # caldav's messages quote URLs, and a URL may carry credentials: the type says enough.
    name = type(error).__name__
    if isinstance(error, caldav.lib.error.AuthorizationError):
        return "the user name or password was refused"
    return name
