"""From a configured calendar to a call's context, bounded in time: a calendar that is slow,
down or wrong never holds a call up or breaks it; the call just goes without its name."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from urllib.parse import urlsplit

import anyio

from praesent.calendar.caldav_source import CalDavSource
from praesent.calendar.events import CalendarError, CalendarSource
from praesent.calendar.ics import IcsSource
from praesent.calendar.matching import MATCH_BEFORE_START, CallContext, match_call
from praesent.settings import Settings

log = logging.getLogger(__name__)

CalendarKind = Literal["auto", "ics", "caldav"]
# The calendar is read for this stretch before a call's start (an event that began earlier
# and still runs) up to the match window after it.
LOOKBACK = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class CalendarConfig:
    """Where a seller's calendar is: an ICS file or URL, or a CalDAV URL with its account."""

    url: str
    username: str | None = None
    password: str | None = None
    kind: CalendarKind = "auto"

    def effective_kind(self) -> Literal["ics", "caldav"]:
        """``auto``: a file path, a webcal:// address or a URL ending in .ics is ICS; any
        other http(s) URL is CalDAV."""
        if self.kind != "auto":
            return self.kind
        parts = urlsplit(self.url)
        if parts.scheme.lower() not in ("http", "https"):
            return "ics"
        return "ics" if parts.path.lower().endswith(".ics") else "caldav"

    @classmethod
    def of(cls, settings: Settings) -> CalendarConfig | None:
        """The calendar of ``PRAESENT_CALENDAR_*`` (a laptop's, without accounts), if set."""
        if settings.calendar_url is None:
            return None
        return cls(
            settings.calendar_url,
            settings.calendar_user,
            settings.calendar_password,
            settings.calendar_kind,
        )


def own_emails(settings: Settings) -> list[str]:
    """The seller's own addresses (``PRAESENT_CALENDAR_EMAIL``, comma-separated): colleagues
    on an event share their domain and are not the customer."""
    return [e.strip() for e in settings.calendar_email.split(",") if "@" in e]


def source_for(
    config: CalendarConfig,
    *,
    timeout_s: float,
    floating: tzinfo = UTC,
    check: Callable[[str], None] | None = None,
    public_only: bool = False,
) -> CalendarSource:
    """The source that reads ``config``'s calendar; ``check`` vets each URL before it is read,
    ``public_only`` refuses every connection to an address that is not public."""
    if config.effective_kind() == "caldav":
        return CalDavSource(
            config.url,
            username=config.username,
            password=config.password,
            timeout_s=timeout_s,
            floating=floating,
            check=check,
            public_only=public_only,
        )
    auth = (config.username, config.password or "") if config.username else None
    return IcsSource(
        config.url,
        timeout_s=timeout_s,
        auth=auth,
        floating=floating,
        check=check,
        public_only=public_only,
    )


def context_now(
    source: CalendarSource, started_at: datetime, seller_emails: Iterable[str]
) -> CallContext | None:
    """Read the calendar around ``started_at`` and match the call (blocking)."""
    events = source.events(started_at - LOOKBACK, started_at + MATCH_BEFORE_START)
    return match_call(events, started_at, seller_emails)


async def lookup_call(
    source: CalendarSource,
    started_at: datetime,
    seller_emails: Iterable[str],
    *,
    timeout_s: float,
) -> CallContext | None:
    """``context_now`` in a thread, given up after ``timeout_s``; None (and a line in the log)
    whenever the calendar cannot say."""
    emails = tuple(seller_emails)
    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(
                context_now, source, started_at, emails, abandon_on_cancel=True
            )
    except TimeoutError:
        log.warning(
            "the calendar did not answer within %.1f s; the call goes on without it", timeout_s
        )
    except CalendarError as error:
        log.warning("the calendar could not be read (%s); the call goes on without it", error)
    except Exception as error:  # noqa: BLE001 - a calendar's odd content never breaks a call
        log.warning("the calendar failed (%s); the call goes on without it", type(error).__name__)
    return None
