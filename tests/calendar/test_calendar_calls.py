"""Live calls named by the seller's calendar, end to end: a real CalDAV server (Radicale) holds
"ACME — discovery" with Grace Hopper of acme.com at the call's start; a live call without a
title gets that title and customer, and the report names them. On the team server each seller
stores their own calendar (never a private address), and whom a call was with can be corrected;
a calendar that cannot be read never stops a call."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from praesent.live.player import stream_file
from praesent.store import EventStore
from praesent.team.accounts import issue_token
from tests.calendar.radicale import PASSWORD, USER, Radicale, running_radicale
from tests.calendar.test_sources import SELLER, acme_ics
from tests.live_server import ServerProcess
from tests.support import read_wav, write_wav

ROLES = ("seller", "customer")
# No transcripts in these calls: the smallest model, no previews, no speaker models.
QUICK = {
    "PRAESENT_MODEL": "tiny.en",
    "PRAESENT_PREVIEW_MODEL": "",
    "PRAESENT_DIARIZER": "none",
    "PRAESENT_LIVE_VOICE_PROFILES": "false",
}
# A public address (no DNS needed to check it); never reached from here.
PUBLIC_ICS = "https://93.184.216.34/calendar/ical/secret-token-123/basic.ics"


@pytest.fixture(scope="module")
def clip(phonecall_stereo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 12 s of the two-channel phone call."""
    samples = read_wav(phonecall_stereo)[: 12 * 16000]
    return write_wav(tmp_path_factory.mktemp("clip") / "call-12s.wav", samples)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    with running_radicale(tmp_path_factory.mktemp("radicale")) as server:
        now = datetime.now(UTC).replace(microsecond=0)
        # Began a minute ago, as a call that starts a little late.
        server.add_events(acme_ics(now - timedelta(minutes=1)))
        yield server


@pytest.fixture(scope="module")
def server(radicale: Radicale, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One `praesent serve` for the module (a server costs seconds to start): first without
    accounts, its calendar set by PRAESENT_CALENDAR_*, as on a laptop; the ``team`` fixture then
    adds accounts, as `praesent admin` does while a server runs. Private calendar addresses are
    refused on it (the default)."""
    process = ServerProcess(
        tmp_path_factory.mktemp("server"),
        PRAESENT_CALENDAR_URL=radicale.calendar_url,
        PRAESENT_CALENDAR_USER=USER,
        PRAESENT_CALENDAR_PASSWORD=PASSWORD,
        PRAESENT_CALENDAR_EMAIL=SELLER,
        # Generous for a busy machine: the named call waits for the calendar.
        PRAESENT_CALENDAR_TIMEOUT_S="20",
        **QUICK,
    ).start()
    yield process
    process.stop()


def _call(
    server: ServerProcess,
    clip: Path,
    title: str,
    token: str | None = None,
    events: list[dict[str, Any]] | None = None,
) -> str:
    heard = events if events is not None else []
    final = asyncio.run(
        stream_file(
            clip,
            ROLES,
            server.ws,
            speed=0,
            title=title,
            token=token,
            transcribe=False,
            on_event=heard.append,
        )
    )
    assert final["status"] == "finished", final
    return str(final["session_id"])


def _get(server: ServerProcess, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{server.http}{path}", headers=headers, timeout=30)


def test_a_call_at_an_events_start_is_named_by_the_caldav_calendar(
    server: ServerProcess, clip: Path
) -> None:
    events: list[dict[str, Any]] = []
    session_id = _call(server, clip, title="", events=events)
    session = _get(server, f"/v1/sessions/{session_id}").json()["session"]
    assert session["title"] == "ACME — discovery"
    # The client hears it at once, in the ready event.
    [ready] = [e for e in events if e["type"] == "ready"]
    assert (ready["title"], ready["customer"]) == (session["title"], session["customer"])
    assert session["customer"] == {
        "name": "Grace Hopper",
        "email": "grace@acme.com",
        "company": "ACME",
    }
    english = _get(server, f"/v1/sessions/{session_id}/report?lang=en").text
    assert "ACME — discovery</span>" in english
    assert (
        "<p class='customer'>with <span class=\"q\">Grace Hopper</span>, "
        '<span class="q">ACME</span></p>'
    ) in english
    german = _get(server, f"/v1/sessions/{session_id}/report?lang=de").text
    assert "<p class='customer'>mit <span class=\"q\">Grace Hopper</span>" in german
    report = json.loads(_get(server, f"/v1/sessions/{session_id}/report?format=json").text)
    assert report["customer"] == session["customer"]
    assert report["title"] == "ACME — discovery"
    listed = _get(server, "/v1/sessions").json()
    assert [s["customer"]["company"] for s in listed if s["id"] == session_id] == ["ACME"]


def test_a_title_the_seller_typed_is_kept(server: ServerProcess, clip: Path) -> None:
    events: list[dict[str, Any]] = []
    session_id = _call(server, clip, title="Pricing follow-up", events=events)
    session = _get(server, f"/v1/sessions/{session_id}").json()["session"]
    assert session["title"] == "Pricing follow-up" and session["customer"] is None
    [ready] = [e for e in events if e["type"] == "ready"]
    assert "title" not in ready and "customer" not in ready


def test_without_accounts_the_calendar_is_a_setting_not_a_route(server: ServerProcess) -> None:
    answer = httpx.put(f"{server.http}/v1/me/calendar", json={"url": PUBLIC_ICS})
    assert answer.status_code == 403
    assert "PRAESENT_CALENDAR_URL" in answer.json()["error"]["message"]


@pytest.fixture(scope="module")
def team(server: ServerProcess, radicale: Radicale) -> tuple[ServerProcess, dict[str, str]]:
    """The server with accounts from now on: sellers ada and ben. Ben's stored calendar points
    at the local Radicale, as if its name had since come to resolve inside the network: it must
    be refused when it is read, too."""
    tokens = {}
    with EventStore(f"sqlite:///{server.data_dir / 'praesent.db'}") as store:
        store.people.create_team("Team A")
        for name in ("ada", "ben"):
            user = store.people.create_user(f"{name}@praesent.example", "seller", ["Team A"])
            tokens[name] = issue_token(store.people, user, "tests").token
            if name == "ben":
                private = radicale.calendar_url.replace("http://", "https://")
                store.calendars.put(user.id, private, "caldav", USER, PASSWORD)
    return server, tokens


def test_a_calendar_refused_or_unreachable_never_stops_the_call(
    team: tuple[ServerProcess, dict[str, str]], clip: Path
) -> None:
    server, tokens = team
    session_id = _call(server, clip, title="", token=tokens["ben"])
    session = _get(server, f"/v1/sessions/{session_id}", tokens["ben"]).json()["session"]
    assert session["title"] == "" and session["customer"] is None
    log = server.log.read_text()
    refused = [line for line in log.splitlines() if "the call goes on without it" in line]
    assert len(refused) == 1 and "resolves to 127.0.0.1" in refused[0], refused
    assert PASSWORD not in log


def test_a_seller_sets_reads_and_deletes_their_calendar(
    team: tuple[ServerProcess, dict[str, str]],
) -> None:
    server, tokens = team
    auth = {"Authorization": f"Bearer {tokens['ada']}"}
    url = f"{server.http}/v1/me/calendar"
    assert httpx.get(url, headers=auth).status_code == 404
    body = {"url": PUBLIC_ICS, "username": "ada", "password": "hunter2-calendar"}
    stored = httpx.put(url, json=body, headers=auth)
    assert stored.status_code == 200, stored.text
    shown = httpx.get(url, headers=auth).json()
    assert shown == {
        "kind": "ics",
        "host": "93.184.216.34",
        "username": "ada",
        "has_password": True,
    }
    # The secret address and the password are never shown back, to the seller either.
    assert "secret-token" not in stored.text + json.dumps(shown)
    assert "hunter2" not in stored.text + json.dumps(shown)
    # Ben's calendar is his: ada's delete leaves it.
    assert httpx.delete(url, headers=auth).status_code == 204
    assert httpx.delete(url, headers=auth).status_code == 404
    ben = httpx.get(url, headers={"Authorization": f"Bearer {tokens['ben']}"}).json()
    assert ben["kind"] == "caldav" and ben["host"].startswith("127.0.0.1:")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "https://127.0.0.1/cal.ics"}, 422, "endpoint_refused"),
        ({"url": "https://10.1.2.3/dav/"}, 422, "endpoint_refused"),
        ({"url": "http://93.184.216.34/cal.ics"}, 422, "endpoint_refused"),
        ({"url": "https://user:pw@93.184.216.34/cal.ics"}, 422, "endpoint_refused"),
        ({"url": "file:///etc/passwd"}, 422, "endpoint_refused"),
        ({"url": "/home/ada/calendar.ics"}, 422, "endpoint_refused"),
        ({"url": "https://93.184.216.34/" + "a" * 2100}, 422, "invalid_request"),
        ({"url": PUBLIC_ICS, "kind": "exchange"}, 422, "invalid_request"),
        ({"url": PUBLIC_ICS, "token": "x"}, 422, "invalid_request"),
        ({"url": PUBLIC_ICS, "password": "p" * 2000}, 422, "invalid_request"),
        ({"url": 7}, 422, "invalid_request"),
        ({"url": "https://93.184.216.34/" + "a" * 70_000}, 413, "too_large"),
    ],
)
def test_hostile_calendar_settings_are_refused(
    team: tuple[ServerProcess, dict[str, str]], body: dict[str, Any], status: int, code: str
) -> None:
    server, tokens = team
    answer = httpx.put(
        f"{server.http}/v1/me/calendar",
        json=body,
        headers={"Authorization": f"Bearer {tokens['ada']}"},
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def test_the_seller_corrects_whom_the_call_was_with(
    team: tuple[ServerProcess, dict[str, str]], clip: Path
) -> None:
    server, tokens = team
    session_id = _call(server, clip, title="Intro", token=tokens["ada"])
    url = f"{server.http}/v1/sessions/{session_id}/customer"
    ada = {"Authorization": f"Bearer {tokens['ada']}"}
    customer = {"name": "Ada Lovelace", "email": "ada@analytical.example", "company": "Babbage"}
    # Another seller's session does not exist for them; nothing changes.
    ben = {"Authorization": f"Bearer {tokens['ben']}"}
    assert httpx.put(url, json=customer, headers=ben).status_code == 404
    assert httpx.put(url, json=customer).status_code == 401
    for bad, status in (
        ({"email": "not an address"}, 422),
        ({"name": "n" * 201}, 422),
        ({"company": ""}, 422),
        ({"name": ["Ada"]}, 422),
        ({"name": "Ada", "phone": "1"}, 422),
        ({"name": "n" * 70_000}, 413),
    ):
        answer = httpx.put(url, json=bad, headers=ada)
        assert answer.status_code == status, (bad, answer.text)
    assert (
        _get(server, f"/v1/sessions/{session_id}", tokens["ada"]).json()["session"]["customer"]
        is None
    )
    answer = httpx.put(url, json=customer, headers=ada)
    assert answer.status_code == 200 and answer.json()["customer"] == customer
    report = _get(server, f"/v1/sessions/{session_id}/report?lang=en", tokens["ada"]).text
    assert 'with <span class="q">Ada Lovelace</span>, <span class="q">Babbage</span>' in report
    trends = _get(server, "/v1/me/trends?format=json", tokens["ada"]).json()
    assert [c["company"] for c in trends["calls"] if c["session_id"] == session_id] == ["Babbage"]
    cleared = httpx.put(url, json={"name": None}, headers=ada)
    assert cleared.status_code == 200 and cleared.json()["customer"] is None
    missing = f"{server.http}/v1/sessions/{'0' * 32}/customer"
    assert httpx.put(missing, json=customer, headers=ada).status_code == 404
