"""A seller's calendar on a team server is read from public addresses only, also when its host's
name resolves elsewhere a moment after it was checked (DNS rebinding). Before, the URL was
checked and then read by name: a name that answered a public address to the check and
127.0.0.1 to the read had the server fetch the calendar from inside its own network.

The name server is the attacker's here, emulated by answering ``socket.getaddrinfo`` for one
name (every other name resolves as usual): a public address the first time, 127.0.0.1 after.
What answers at 127.0.0.1 is a real local web server, which notes every request it gets; the
calendar sources, the checks and the connections are the real ones.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from praesent.calendar import CalendarError
from praesent.calendar.caldav_source import CalDavSource
from praesent.calendar.ics import IcsSource
from praesent.webhooks.addresses import resolve
from praesent.webhooks.connections import public_addresses_only
from tests.calendar.test_sources import Site, acme_ics

REBOUND = "calendar.rebind.example"
PUBLIC = "93.184.215.14"  # a global address; nothing connects to it in these tests
NOW = datetime.now(UTC).replace(microsecond=0)


class Rebinding:
    """``REBOUND`` resolves to ``PUBLIC`` for its first ``public_answers`` look-ups, then to
    127.0.0.1; ``lookups`` counts them."""

    def __init__(self, public_answers: int = 1) -> None:
        self.public_answers = public_answers
        self.lookups = 0


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rebinding]:
    state = Rebinding()
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != REBOUND:
            return real(host, port, *args, **kwargs)
        state.lookups += 1
        address = PUBLIC if state.lookups <= state.public_answers else "127.0.0.1"
        return real(address, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield state


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()
    served.pages["/cal.ics"] = (200, "text/calendar", acme_ics(NOW).encode())
    yield served
    served.close()


def team_check(url: str) -> None:
    """The team server's check of a calendar URL (``api.calendar.url_check``), with http
    allowed: the local web server speaks no TLS."""
    resolve(url, allow_http=True, allow_private=False)


def rebound_url(site: Site, path: str) -> str:
    return f"http://{REBOUND}:{site.server.server_address[1]}{path}"


def test_the_emulated_name_server_does_reach_the_local_server(
    site: Site, rebinding: Rebinding
) -> None:
    """Checked, then read by name (as before): the read lands on 127.0.0.1."""
    source = IcsSource(rebound_url(site, "/cal.ics"), check=team_check)
    assert source.events(NOW, NOW + timedelta(minutes=1))
    assert [path for path, _q, _h in site.seen] == ["/cal.ics"]
    assert rebinding.lookups == 2


def test_an_ics_calendar_is_read_from_the_address_that_was_checked(
    site: Site, rebinding: Rebinding
) -> None:
    source = IcsSource(rebound_url(site, "/cal.ics"), check=team_check, public_only=True)
    with pytest.raises(CalendarError, match=r"refused: .*127\.0\.0\.1, a loopback"):
        source.events(NOW, NOW + timedelta(minutes=1))
    assert site.seen == []


def test_a_caldav_calendar_connects_to_public_addresses_only(
    site: Site, rebinding: Rebinding
) -> None:
    url = rebound_url(site, "/dav/")
    with pytest.raises(CalendarError, match="cannot be read"):
        CalDavSource(url, check=team_check, public_only=True).events(NOW, NOW)
    assert site.seen == []
    # The same calendar unguarded (the laptop's own setting) is asked at 127.0.0.1.
    rebinding.lookups = 0
    with pytest.raises(CalendarError):
        CalDavSource(url, check=team_check).events(NOW, NOW)
    assert site.seen and site.seen[0][0] == "/dav/"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "127.1", "0.0.0.0"]
)
def test_a_guarded_session_opens_no_connection_inside_the_network(site: Site, host: str) -> None:
    """Whatever URL the library is handed (a CalDAV server names the calendars' home, a
    Salesforce token names its instance), the connection is checked as it opens."""
    session = public_addresses_only(requests.Session())
    port = site.server.server_address[1]
    with pytest.raises(requests.ConnectionError, match="refused"):
        session.get(f"http://{host}:{port}/cal.ics", timeout=5)
    assert site.seen == []
    # Unguarded, the same session kind reaches it.
    assert requests.get(f"{site.url}/cal.ics", timeout=5).status_code == 200
