"""The agent's calendar: the event a call starts at names the prompt ("Call with ACME
started"), the session's title, and the series whose answer is remembered; a meeting with a call
link that is on now arms the detector (``detect.ARMED_MIC_S``). The same settings as the
server's (PRAESENT_CALENDAR_*, docs/calendar.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from praesent.agent.detect import CallApp
from praesent.agent.runner import CallContext, say
from praesent.calendar.events import CalendarSource
from praesent.calendar.lookup import CalendarConfig, context_now, own_emails, source_for
from praesent.calendar.matching import CallContext as Meeting
from praesent.settings import Settings

# Whether a meeting is on is read again after this long (the agent asks at every poll).
ARMED_REFRESH_S = 60.0


class CalendarWatch:
    """A :class:`~praesent.agent.runner.CallCalendar` over one calendar source. A calendar that
    fails or is slow (the source's timeout) says nothing: the prompt names the app instead."""

    def __init__(
        self,
        source: CalendarSource,
        seller_emails: list[str],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.seller_emails = seller_emails
        self.now = now
        self.monotonic = monotonic
        self._armed: tuple[float, bool] | None = None  # (when read, whether armed)

    def context(self, app: CallApp) -> CallContext | None:
        found = self._meeting(f"{app.label} goes unnamed")
        if found is None:
            return None
        return CallContext(
            title=found.title,
            customer=found.customer_name or found.customer_email,
            company=found.company,
            series=found.event_uid,
        )

    def armed(self) -> bool:
        if self._armed is None or self.monotonic() - self._armed[0] >= ARMED_REFRESH_S:
            found = self._meeting("calls are detected as without it")
            self._armed = (self.monotonic(), found is not None and found.meeting_url is not None)
        return self._armed[1]

    def _meeting(self, otherwise: str) -> Meeting | None:
        try:
            return context_now(self.source, self.now(), self.seller_emails)
        except Exception as error:  # noqa: BLE001 - a calendar never keeps a call from its prompt
            say(f"the calendar could not be read ({type(error).__name__}); {otherwise}")
            return None


def calendar_watch(settings: Settings) -> CalendarWatch | None:
    """The calendar of ``PRAESENT_CALENDAR_URL``; None without one."""
    config = CalendarConfig.of(settings)
    if config is None:
        return None
    local = datetime.now().astimezone().tzinfo or UTC
    source = source_for(config, timeout_s=settings.calendar_timeout_s, floating=local)
    return CalendarWatch(source, own_emails(settings))
