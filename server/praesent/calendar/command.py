"""``praesent calendar``: which event a call starting now (or at ``--at``) would be named after,
from the calendar PRAESENT_CALENDAR_* sets; for checking the setting before a call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from praesent.calendar.events import CalendarError
from praesent.calendar.matching import MATCH_BEFORE_START, match_call
from praesent.cli_common import load_settings, reported
from praesent.errors import InputError


class CalendarUnreadableError(InputError):
    code = "calendar_unreadable"


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"--at is a date and time like 2026-03-02T10:00, not {text!r}") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def calendar_command(
    at: Annotated[
        str | None,
        typer.Option(help="A call's start, e.g. 2026-03-02T10:00 (your time zone); default now."),
    ] = None,
) -> None:
    """Which event of your calendar (PRAESENT_CALENDAR_URL) a call that starts now would take
    its title and customer from."""
    # Here, not at the top: caldav and lxml load only for this command.
    from praesent.calendar.lookup import LOOKBACK, CalendarConfig, own_emails, source_for

    with reported():
        settings = load_settings()
        config = CalendarConfig.of(settings)
        if config is None:
            raise InputError("no calendar set: PRAESENT_CALENDAR_URL (see docs/calendar.md)")
        started_at = _moment(at)
        local = datetime.now().astimezone().tzinfo or UTC
        source = source_for(config, timeout_s=max(settings.calendar_timeout_s, 10), floating=local)
        try:
            events = source.events(started_at - LOOKBACK, started_at + MATCH_BEFORE_START)
        except CalendarError as error:
            raise CalendarUnreadableError(str(error)) from None
        emails = own_emails(settings)
        found = match_call(events, started_at, emails)
        typer.echo(f"{len(events)} event(s) read ({config.effective_kind()})")
        if found is None:
            typer.echo(f"no event names a call at {started_at.isoformat(timespec='minutes')}")
            return
        typer.echo(f"title:    {found.title}")
        customer = found.customer_name or found.customer_email
        if customer:
            typer.echo(f"customer: {customer} <{found.customer_email}>")
        typer.echo(f"company:  {found.company or '-'}")
        if found.meeting_url:
            typer.echo(f"meeting:  {found.meeting_url}")
        if not emails:
            typer.echo("set PRAESENT_CALENDAR_EMAIL to your address: colleagues are not customers")
