"""The seller's calendar: where it is (PUT/GET/DELETE /v1/me/calendar on the team server,
PRAESENT_CALENDAR_URL without accounts), and the look-up that names a call when it starts."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from praesent.api.auth import Access, ForbiddenError, NotFoundError, guard
from praesent.api.docs import errors
from praesent.api.state import AppState, app_state
from praesent.calendar.events import CalendarError
from praesent.calendar.lookup import CalendarConfig, lookup_call, own_emails, source_for
from praesent.calendar.matching import CallContext
from praesent.settings import Settings
from praesent.store import Customer, UserRecord
from praesent.store.models import EMAIL_MAX, NAME_MAX
from praesent.team.access import Rule
from praesent.webhooks.addresses import URL_MAX, EndpointRefusedError, resolve

router = APIRouter(prefix="/v1/me/calendar", tags=["account"])
log = logging.getLogger(__name__)

# Titles a client sends when the seller typed none: the calendar's title replaces them.
DEFAULT_TITLES = frozenset({"", "praesent capture"})
PASSWORD_MAX = 1024
_NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")


class CalendarSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=URL_MAX,
        description="An ICS address (https://…/basic.ics, webcal://…) or a CalDAV URL",
    )
    kind: Literal["auto", "ics", "caldav"] = Field(
        default="auto", description="auto: a URL ending in .ics or webcal:// is ICS, else CalDAV"
    )
    username: str | None = Field(
        default=None, min_length=1, max_length=EMAIL_MAX, pattern=_NO_CONTROLS
    )
    password: str | None = Field(
        default=None, min_length=1, max_length=PASSWORD_MAX, pattern=_NO_CONTROLS
    )


def _user(access: Access) -> UserRecord:
    if access.principal.user is None:
        raise ForbiddenError(
            "a calendar per seller needs accounts; without them set PRAESENT_CALENDAR_URL"
        )
    return access.principal.user


def _https(url: str) -> str:
    return "https://" + url[len("webcal://") :] if url.lower().startswith("webcal://") else url


def url_check(settings: Settings) -> Callable[[str], None]:
    """The team server's check of a seller's calendar URL, before it is stored and again
    before each read (a name may resolve elsewhere later): https and public addresses only,
    unless the admin allows addresses inside the network."""
    allow = settings.calendar_allow_private

    def check(url: str) -> None:
        resolve(url, allow_http=allow, allow_private=allow)

    return check


def _read_check(settings: Settings) -> Callable[[str], None]:
    """``url_check`` at read time: a refusal is the calendar's failure, logged with its reason."""
    check = url_check(settings)

    def read_check(url: str) -> None:
        try:
            check(url)
        except EndpointRefusedError as error:
            raise CalendarError(f"refused: {error.message}") from None

    return read_check


def _shown(kind: str, url: str, username: str | None, password: str | None) -> dict[str, Any]:
    # An ICS address is itself a secret (whoever has it reads the calendar): only its host.
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return {"kind": kind, "host": host, "username": username, "has_password": bool(password)}


@router.put("", responses=errors(401, 403, 413, 422))
async def set_calendar(
    request: Request, body: CalendarSetting, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """Your calendar, read when your calls start to name them (the event's title, whom the
    call is with and their company). The address and password are not shown again."""
    user = _user(access)
    state = app_state(request)
    url = _https(body.url.strip())
    if not url.lower().startswith(("https://", "http://")):
        raise EndpointRefusedError("a calendar on the server is an https address")
    await anyio.to_thread.run_sync(url_check(state.settings), url)
    kind = CalendarConfig(url, kind=body.kind).effective_kind()
    await anyio.to_thread.run_sync(
        state.sessions.store.calendars.put, user.id, url, kind, body.username, body.password
    )
    return _shown(kind, url, body.username, body.password)


@router.get("", responses=errors(401, 403, 404))
async def get_calendar(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """Which calendar names your calls: its kind, host and user name (never the address or the
    password)."""
    user = _user(access)
    found = await anyio.to_thread.run_sync(app_state(request).sessions.store.calendars.get, user.id)
    if found is None:
        raise NotFoundError("no calendar set")
    return _shown(found.kind, found.url, found.username, found.password)


@router.delete("", status_code=204, responses=errors(401, 403, 404))
async def delete_calendar(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> Response:
    """Forget your calendar; calls are no longer named from it."""
    user = _user(access)
    if not await anyio.to_thread.run_sync(
        app_state(request).sessions.store.calendars.delete, user.id
    ):
        raise NotFoundError("no calendar set")
    return Response(status_code=204)


def _config_of(state: AppState, user: UserRecord | None) -> tuple[CalendarConfig, bool] | None:
    """The calendar of ``user`` (stored; checked against private addresses) or, without
    accounts, the server's setting (the owner's own: not checked)."""
    settings = state.settings
    if user is None:
        config = CalendarConfig.of(settings)
        return None if config is None else (config, False)
    stored = state.sessions.store.calendars.get(user.id)
    if stored is None:
        return None
    kind: Literal["ics", "caldav"] = "caldav" if stored.kind == "caldav" else "ics"
    return CalendarConfig(stored.url, stored.username, stored.password, kind), True


def seller_emails(settings: Settings, user: UserRecord | None) -> list[str]:
    if user is not None:
        return [user.email]
    return own_emails(settings)


async def call_context(
    state: AppState, user: UserRecord | None, started_at: datetime
) -> CallContext | None:
    """What the seller's calendar says about a call starting now; None when there is no
    calendar, no event, or the calendar fails or is slow (logged, never raised)."""
    settings = state.settings
    try:
        found = await anyio.to_thread.run_sync(_config_of, state, user)
    except Exception as error:  # noqa: BLE001 - the store is down: the call will say so
        log.warning("the calendar setting could not be read (%s)", type(error).__name__)
        return None
    if found is None:
        return None
    config, guarded = found
    source = source_for(
        config,
        timeout_s=settings.calendar_timeout_s,
        floating=datetime.now().astimezone().tzinfo or UTC,
        check=_read_check(settings) if guarded else None,
        public_only=guarded and not settings.calendar_allow_private,
    )
    return await lookup_call(
        source,
        started_at,
        seller_emails(settings, user),
        timeout_s=settings.calendar_timeout_s,
    )


def clean(text: str | None, limit: int) -> str | None:
    """A calendar's text as a session keeps it: one line, no control characters, cut."""
    if not text:
        return None
    return " ".join(_CONTROLS.sub(" ", text).split())[:limit] or None


def customer_of(context: CallContext) -> Customer | None:
    """The session's customer from the calendar, cut to what the store keeps."""
    name = clean(context.customer_name, NAME_MAX)
    email = clean(context.customer_email, EMAIL_MAX)
    company = clean(context.company, NAME_MAX)
    if not (email or company):
        return None
    return Customer(name=name, email=email, company=company)
