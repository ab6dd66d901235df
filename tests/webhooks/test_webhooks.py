"""Webhooks with a real receiver on 127.0.0.1: signed per Standard Webhooks (checked with the
reference implementation), the call's figures as the report shows them, every event in order
with the same ids after the receiver was down, "send again", and the refusals (SSRF, input)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from praesent.settings import Settings
from praesent.store.models import utc_now
from praesent.store.webhooks import Claim
from praesent.webhooks.addresses import EndpointRefusedError, resolve
from praesent.webhooks.delivery import client as http_client
from praesent.webhooks.delivery import send
from tests.live_server import free_port
from tests.support import wait_until
from tests.team.world import World
from tests.webhooks.conftest import PUBLIC_URL
from tests.webhooks.receiver import Receiver

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "webhooks.schema.json").read_text(encoding="utf-8")
)


def _endpoint(client: TestClient, world: World, who: str, url: str, **more: Any) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": url, **more}, headers=world.headers(who))
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()
    assert endpoint["secret"].startswith("whsec_")
    return endpoint


def _log(client: TestClient, world: World, who: str, endpoint_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhooks/{endpoint_id}/deliveries", headers=world.headers(who))
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_a_finished_call_reaches_the_receiver_signed_with_the_reports_figures(
    hooks_server: tuple[TestClient, World],
) -> None:
    client, world = hooks_server
    receiver = Receiver(free_port()).start()
    try:
        endpoint = _endpoint(client, world, "ada", receiver.url)
        session_id = world.session("ada")
        wait_until(lambda: len(receiver.accepted()) >= 2, 30, "two deliveries")
        finished, ready = receiver.verified(endpoint["secret"])
    finally:
        receiver.stop()
        client.delete(f"/v1/webhooks/{endpoint['id']}", headers=world.headers("ada"))
    assert [finished["type"], ready["type"]] == ["session.finished", "report.ready"]
    for payload in (finished, ready):
        jsonschema.validate({k: v for k, v in payload.items() if k != "_id"}, SCHEMA)
    data = ready["data"]
    assert data["session"]["id"] == session_id
    assert data["seller"] == {"id": world.users["ada"].id, "email": "ada@example.com"}
    assert data["report_url"] == f"{PUBLIC_URL}/v1/sessions/{session_id}/report"
    assert "transcript" not in data  # team A did not opt in
    # The figures are the report's, as GET .../report?format=json shows them.
    report = client.get(
        f"/v1/sessions/{session_id}/report?format=json", headers=world.headers("ada")
    ).json()
    figures = data["figures"]
    assert figures["seller_talk_pct"] == report["talk"]["seller_pct"]
    assert figures["seller_talk_s"] == pytest.approx(report["talk"]["seller_s"], abs=1e-9)
    assert figures["questions"] == report["questions"]["total"]
    assert figures["interruptions_by_seller"] == report["counts"]["interruptions_by_seller"]
    assert figures["duration_s"] == pytest.approx(report["duration_s"], abs=1e-9)
    assert [tip["kind"] for tip in data["tips"]] == [tip["kind"] for tip in report["tips"]]
    assert data["tips"], "the phone call's report has tips"
    # The signature is over the exact body: one byte changed and the reference check fails.
    request = receiver.accepted()[0]
    from standardwebhooks import Webhook, WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body.replace(b"}", b" }", 1), request.headers)


def test_transcripts_only_where_the_team_opts_in_and_never_for_figures_only(
    hooks_server: tuple[TestClient, World],
) -> None:
    client, world = hooks_server
    admin = world.headers("eve")
    receivers = {team: Receiver(free_port()).start() for team in ("A", "B")}
    endpoints = {}
    try:
        for team, receiver in receivers.items():
            endpoints[team] = _endpoint(
                client, world, "eve", receiver.url, team_id=world.teams[team]
            )
        opt_in = {"retention_days": None, "keep_transcripts": True, "webhook_transcripts": True}
        put = client.put(f"/v1/admin/teams/{world.teams['A']}", json=opt_in, headers=admin)
        assert put.json()["webhook_transcripts"] is True
        figures_only = {**opt_in, "keep_transcripts": False}
        client.put(f"/v1/admin/teams/{world.teams['B']}", json=figures_only, headers=admin)
        ben = world.session("ben")
        dan = world.session("dan")
        for team, receiver in receivers.items():
            wait_until(lambda r=receiver: len(r.accepted()) >= 2, 30, f"team {team}'s deliveries")
        team_a, team_b = (receivers[t].verified(endpoints[t]["secret"]) for t in ("A", "B"))
    finally:
        for team, receiver in receivers.items():
            receiver.stop()
            client.delete(f"/v1/webhooks/{endpoints[team]['id']}", headers=admin)
            client.put(f"/v1/admin/teams/{world.teams[team]}", json={}, headers=admin)
    assert {p["data"]["session"]["id"] for p in team_a} == {ben}
    assert {p["data"]["session"]["id"] for p in team_b} == {dan}
    by_session = {ben: team_a[1], dan: team_b[1]}
    report = client.get(f"/v1/sessions/{ben}/report?format=json", headers=world.headers("ben"))
    lines = report.json()["transcript"]["lines"]
    assert lines, "the phone call has a transcript"
    assert by_session[ben]["data"]["transcript"] == lines
    # Team B keeps figures only: no word of the call goes out, transcripts opted in or not.
    dan_data = by_session[dan]["data"]
    assert "transcript" not in dan_data
    # The same call's figures as ben's (the same recording), words or not.
    assert dan_data["figures"] == by_session[ben]["data"]["figures"]
    assert dan_data["figures"]["seller_talk_s"] > 0
    words = {line["text"] for line in lines}
    assert not any(text in json.dumps(dan_data) for text in words)


def test_a_receiver_that_is_down_gets_every_event_afterwards_in_order_with_the_same_ids(
    hooks_server: tuple[TestClient, World],
) -> None:
    client, world = hooks_server
    receiver = Receiver(free_port())  # nothing listens on its port yet
    endpoint = _endpoint(client, world, "ben", receiver.url)
    ben = world.headers("ben")
    first = world.session("ben")
    assert client.put(f"/v1/sessions/{first}/sharing", json={"shared": True}, headers=ben)
    second = world.session("ben")
    assert client.delete(f"/v1/sessions/{first}", headers=ben).status_code == 204
    expected = [
        ("session.finished", first),
        ("report.ready", first),
        ("session.shared", first),
        ("session.finished", second),
        ("report.ready", second),
        ("session.deleted", first),
    ]

    def head_tried_thrice() -> bool:
        log = _log(client, world, "ben", endpoint["id"])
        return len(log) == len(expected) and log[-1]["attempts"] >= 3

    wait_until(head_tried_thrice, 30, "three failed tries of the first delivery")
    log = list(reversed(_log(client, world, "ben", endpoint["id"])))
    assert all(d["status"] == "pending" for d in log)
    assert "ConnectError" in log[0]["last_error"]
    assert all(d["attempts"] == 0 for d in log[1:]), "later events wait behind the first"
    try:
        receiver.start()
        wait_until(lambda: len(receiver.accepted()) >= len(expected), 30, "every event")
        payloads = receiver.verified(endpoint["secret"])
        after = list(reversed(_log(client, world, "ben", endpoint["id"])))
        # Send again: the same id and the same body once more.
        again = client.post(
            f"/v1/webhooks/{endpoint['id']}/deliveries/{log[0]['id']}/retry", headers=ben
        )
        assert again.status_code == 202 and again.json()["status"] == "pending"
        wait_until(lambda: len(receiver.accepted()) > len(expected), 30, "the delivery again")
        resent = receiver.accepted()[-1]
    finally:
        receiver.stop()
        client.delete(f"/v1/webhooks/{endpoint['id']}", headers=ben)
    assert [(p["type"], p["data"]["session"]["id"]) for p in payloads] == expected
    assert [p["_id"] for p in payloads] == [d["webhook_id"] for d in log]
    assert len(set(d["webhook_id"] for d in log)) == len(expected)
    assert [d["status"] for d in after] == ["delivered"] * len(expected)
    assert [d["last_response_status"] for d in after] == [200] * len(expected)
    assert after[0]["attempts"] >= 4 and payloads[-1]["data"]["reason"] == "seller"
    assert resent.headers["webhook-id"] == log[0]["webhook_id"]
    assert resent.body == receiver.accepted()[0].body


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hooks",
        "http://localhost:9/hooks",
        "http://[::1]:9/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_addresses_inside_the_network_are_refused(url: str) -> None:
    with pytest.raises(EndpointRefusedError, match="loopback, private or link-local"):
        resolve(url, allow_http=True, allow_private=False)
    assert resolve(url, allow_http=True, allow_private=True).port in (9, 80)


def test_https_is_required_unless_allowed() -> None:
    with pytest.raises(EndpointRefusedError, match="must be https"):
        resolve("http://93.184.216.34/hooks", allow_http=False, allow_private=False)
    target = resolve("https://93.184.216.34/hooks", allow_http=False, allow_private=False)
    assert (target.address, target.port) == ("93.184.216.34", 443)


def test_a_private_endpoint_is_refused_by_the_api_and_by_the_relay(
    hooks_server: tuple[TestClient, World],
) -> None:
    client, world = hooks_server
    state = client.app.state.praesent  # type: ignore[attr-defined]
    allowing = state.settings
    strict = allowing.model_copy(update={"webhooks_allow_private": False})
    receiver = Receiver(free_port()).start()
    state.settings = strict
    try:
        refused = client.post(
            "/v1/webhooks", json={"url": receiver.url}, headers=world.headers("ada")
        )
        # An endpoint saved while the admin allowed it is refused when that is taken back.
        claim = Claim(1, "msg_x", {"type": "t"}, receiver.url, "whsec_" + "A" * 44, 1, utc_now())
        with http_client(strict) as http:
            outcome = send(http, claim, strict)
    finally:
        state.settings = allowing
        receiver.stop()
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "endpoint_refused"
    assert outcome.status is None and outcome.error and outcome.error.startswith("refused")
    assert receiver.requests == []


BAD_BODIES: list[Any] = [
    {"url": "ftp://example.com/hooks"},
    {"url": "https://" + "a" * 2100 + ".example.com/"},
    {"url": "https://user:pw@example.com/hooks"},
    {"url": "https://example.com/\x00"},
    {"url": "not a url"},
    {"url": "https://example.com/", "events": ["session.exploded"]},
    {"url": "https://example.com/", "events": []},
    {"url": "https://example.com/", "team_id": "../../etc"},
    {"url": 5},
    ["https://example.com/"],
    {},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_malformed_endpoints_get_a_422(hooks_server: tuple[TestClient, World], body: Any) -> None:
    client, world = hooks_server
    response = client.post("/v1/webhooks", json=body, headers=world.headers("ada"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"]


def test_whose_endpoints_and_deliveries(hooks_server: tuple[TestClient, World]) -> None:
    client, world = hooks_server
    mine = _endpoint(client, world, "ada", "http://127.0.0.1:9/hooks")
    team = _endpoint(client, world, "eve", "http://127.0.0.1:9/t", team_id=world.teams["A"])
    try:
        # A seller cannot set a team's endpoint; an unknown team is 404.
        seller_team = {"url": "http://127.0.0.1:9/", "team_id": world.teams["A"]}
        assert (
            client.post("/v1/webhooks", json=seller_team, headers=world.headers("ada")).status_code
            == 403
        )
        unknown = {"url": "http://127.0.0.1:9/", "team_id": "0" * 32}
        assert (
            client.post("/v1/webhooks", json=unknown, headers=world.headers("eve")).status_code
            == 404
        )
        for who, endpoint, status in (
            ("ben", mine, 404),  # another seller's
            ("cleo", mine, 404),  # the coach of ada's team: not theirs either
            ("eve", mine, 404),  # an admin manages teams' endpoints, not a seller's
            ("ada", team, 404),  # a team's endpoint is an admin's
            ("ada", mine, 200),
            ("eve", team, 200),
        ):
            path = f"/v1/webhooks/{endpoint['id']}/deliveries"
            assert client.get(path, headers=world.headers(who)).status_code == status, who
        listed = client.get("/v1/webhooks", headers=world.headers("ada")).json()
        assert [e["id"] for e in listed] == [mine["id"]] and "secret" not in listed[0]
        assert team["id"] in {
            e["id"] for e in client.get("/v1/webhooks", headers=world.headers("eve")).json()
        }
        base = f"/v1/webhooks/{mine['id']}/deliveries"
        for bad in ("abc", "0", "99999999999999", "-1"):
            response = client.post(f"{base}/{bad}/retry", headers=world.headers("ada"))
            assert response.status_code == 422, bad
        missing = client.post(f"{base}/12345/retry", headers=world.headers("ada"))
        assert missing.status_code == 404
        assert client.get(f"{base}?limit=501", headers=world.headers("ada")).status_code == 422
        long_id = client.get(f"/v1/webhooks/{'f' * 300}/deliveries", headers=world.headers("ada"))
        assert long_id.status_code == 422
    finally:
        client.delete(f"/v1/webhooks/{mine['id']}", headers=world.headers("ada"))
        client.delete(f"/v1/webhooks/{team['id']}", headers=world.headers("eve"))
    gone = client.get(f"/v1/webhooks/{mine['id']}/deliveries", headers=world.headers("ada"))
    assert gone.status_code == 404


def test_no_more_than_ten_endpoints_each(hooks_server: tuple[TestClient, World]) -> None:
    client, world = hooks_server
    made = [_endpoint(client, world, "dan", f"http://127.0.0.1:9/{n}") for n in range(10)]
    try:
        eleventh = client.post(
            "/v1/webhooks", json={"url": "http://127.0.0.1:9/x"}, headers=world.headers("dan")
        )
        assert eleventh.status_code == 409
    finally:
        for endpoint in made:
            client.delete(f"/v1/webhooks/{endpoint['id']}", headers=world.headers("dan"))


def test_the_settings_bound_retries_to_a_day() -> None:
    from praesent.webhooks.relay import backoff_s

    settings = Settings()
    waits = [backoff_s(n, settings) for n in range(1, 14)]
    assert waits[:4] == [5.0, 10.0, 20.0, 40.0] and waits[-1] == 3600.0
    assert settings.webhook_retry_for_s == 86400.0


def test_the_documented_bodies_follow_the_schema() -> None:
    """Each JSON example in docs/webhooks.md is a valid body, and there is one per event."""
    page = (Path(__file__).parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    blocks = [block.split("```", 1)[0] for block in page.split("```json\n")[1:]]
    bodies = [json.loads(block) for block in blocks]
    for body in bodies:
        jsonschema.validate(body, SCHEMA)
    assert {body["type"] for body in bodies} == {
        "session.finished",
        "report.ready",
        "session.shared",
        "session.deleted",
    }
    # The schema is strict: a figure of another name, or figures on a deletion, are refused.
    wrong = json.loads(blocks[0])
    wrong["data"]["figures"]["talk_share"] = 0.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, SCHEMA)
    deleted = next(b for b in bodies if b["type"] == "session.deleted")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**deleted, "data": {**deleted["data"], "figures": {}}}, SCHEMA)


def test_the_seller_decides_per_call_and_the_report_shows_where_results_went(
    hooks_server: tuple[TestClient, World],
) -> None:
    client, world = hooks_server
    ada, admin = world.headers("ada"), world.headers("eve")
    team_a = f"/v1/admin/teams/{world.teams['A']}"
    receiver = Receiver(free_port()).start()
    endpoint = _endpoint(client, world, "ada", receiver.url)
    try:
        # The team keeps results in praesent by default: a finished call sends nothing ...
        off = client.put(team_a, json={"send_results_by_default": False}, headers=admin)
        assert off.json()["send_results_by_default"] is False
        kept = world.session("ada")
        assert _log(client, world, "ada", endpoint["id"]) == []
        # ... until the seller sends this call's results: they go out now, once.
        for _ in range(2):
            sent = client.put(
                f"/v1/sessions/{kept}/sending", json={"send_results": True}, headers=ada
            )
            assert sent.status_code == 200 and sent.json()["send_results"] is True
        wait_until(lambda: len(receiver.accepted()) >= 1, 30, "the results sent afterwards")
        [payload] = receiver.verified(endpoint["secret"])
        assert (payload["type"], payload["data"]["session"]["id"]) == ("report.ready", kept)
        # With the default on, a seller who says no for a call before it ends sends nothing.
        client.put(team_a, json={"send_results_by_default": True}, headers=admin)
        store = world.store
        record = store.create_session("private call", "en", True, owner_id=world.users["ada"].id)
        no = client.put(
            f"/v1/sessions/{record.id}/sending", json={"send_results": False}, headers=ada
        )
        assert no.status_code == 200
        store.append(record.id, [])
        store.finalise(record.id, "finished", world.analysis, utc_now())
        assert (
            client.put(
                f"/v1/sessions/{record.id}/sharing", json={"shared": True}, headers=ada
            ).status_code
            == 200
        )
        assert len(_log(client, world, "ada", endpoint["id"])) == 1
        # The report says where the results went, in the report's language; only the host.
        report = client.get(f"/v1/sessions/{kept}/report?format=json", headers=ada).json()
        assert report["sent_to"] == [{"host": "127.0.0.1", "status": "delivered"}]
        html = client.get(f"/v1/sessions/{kept}/report?lang=de", headers=ada).text
        assert "Ergebnisse gesendet an 127.0.0.1 (zugestellt)" in html
        private = client.get(f"/v1/sessions/{record.id}/report?format=json", headers=ada)
        assert private.json()["sent_to"] == []
        assert (
            "Results sent to"
            not in client.get(f"/v1/sessions/{record.id}/report", headers=ada).text
        )
    finally:
        receiver.stop()
        client.delete(f"/v1/webhooks/{endpoint['id']}", headers=ada)
        client.put(team_a, json={"send_results_by_default": True}, headers=admin)
    # Malformed choices are refused; another seller's call is not theirs to decide.
    for bad in ({"send_results": "yes"}, {"send_results": 1}, {}, []):
        response = client.put(f"/v1/sessions/{kept}/sending", json=bad, headers=ada)
        assert response.status_code == 422, bad
    other = client.put(
        f"/v1/sessions/{kept}/sending", json={"send_results": False}, headers=world.headers("ben")
    )
    assert other.status_code == 404
