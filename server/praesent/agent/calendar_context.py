"""The agent's calendar: the event a call starts at names the prompt ("Call with ACME
started"), the session's title, and the series whose answer is remembered. The same settings as
the server's (PRAESENT_CALENDAR_*, docs/calendar.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from praesent.agent.detect import CallApp
from praesent.agent.runner import CallContext, ContextLookup, say
from praesent.calendar.events import CalendarSource
from praesent.calendar.lookup import CalendarConfig, context_now, source_for
from praesent.settings import Settings


def calendar_lookup(
    settings: Settings, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> ContextLookup | None:
    """What the configured calendar says of a call starting ``now()``; None without a calendar.
    A calendar that fails or is slow (``calendar_timeout_s``) gives no context: the prompt
    names the app instead."""
    if settings.calendar_url is None:
        return None
    config = CalendarConfig(
        settings.calendar_url,
        settings.calendar_user,
        settings.calendar_password,
        settings.calendar_kind,
    )
    local = datetime.now().astimezone().tzinfo or UTC
    source = source_for(config, timeout_s=settings.calendar_timeout_s, floating=local)
    emails = [e.strip() for e in settings.calendar_email.split(",") if "@" in e]
    return lambda app: _context(source, now(), emails, app)


def _context(
    source: CalendarSource, started_at: datetime, emails: list[str], app: CallApp
) -> CallContext | None:
    try:
        found = context_now(source, started_at, emails)
    except Exception as error:  # noqa: BLE001 - a calendar never keeps a call from its prompt
        say(f"the calendar could not be read ({type(error).__name__}); {app.label} goes unnamed")
        return None
    if found is None:
        return None
    return CallContext(
        title=found.title,
        customer=found.customer_name or found.customer_email,
        company=found.company,
        series=found.event_uid,
    )
