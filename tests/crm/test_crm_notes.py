"""CRM notes after a call, against local stand-ins of HubSpot and Salesforce that check each
request against the vendors' published schemas: one note per call on the right person, the
report's figures in it and never a word of the call, written once despite retries, nothing
when the seller keeps the call, failures in the delivery log, and the admin routes' refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from praesent.report.texts import t
from tests.crm.conftest import HUBSPOT_TOKEN, SALESFORCE_TOKEN, CrmWorld
from tests.support import wait_until
from tests.webhooks.conftest import PUBLIC_URL


def _connect(crm: CrmWorld, team: str, body: dict[str, Any]) -> dict[str, Any]:
    team_id = crm.world.teams[team]
    answer = crm.client.put(f"/v1/admin/teams/{team_id}/crm", json=body, headers=_admin(crm))
    assert answer.status_code == 200, answer.text
    shown: dict[str, Any] = answer.json()
    return shown


def _admin(crm: CrmWorld) -> dict[str, str]:
    return crm.world.headers("eve")


def _log(crm: CrmWorld, team: str) -> list[dict[str, Any]]:
    team_id = crm.world.teams[team]
    answer = crm.client.get(f"/v1/admin/teams/{team_id}/crm/deliveries", headers=_admin(crm))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def _settled(crm: CrmWorld, team: str, session_id: str) -> dict[str, Any]:
    """The note's delivery of this call once it is no longer pending."""

    def mine() -> list[dict[str, Any]]:
        return [d for d in _log(crm, team) if d["session_id"] == session_id]

    wait_until(lambda: bool(mine()) and mine()[0]["status"] != "pending", 30, "the CRM note")
    [delivery] = mine()
    return delivery


@pytest.fixture
def hubspot_team(crm: CrmWorld) -> Iterator[str]:
    """Team A connected to the HubSpot stand-in, for one test."""
    crm.hubspot.clear()
    _connect(crm, "A", {"kind": "hubspot", "token": HUBSPOT_TOKEN})
    yield "A"
    crm.client.delete(f"/v1/admin/teams/{crm.world.teams['A']}/crm", headers=_admin(crm))
    assert crm.hubspot.violations == []


@pytest.fixture
def salesforce_team(crm: CrmWorld) -> Iterator[str]:
    """Team B connected to the Salesforce stand-in, for one test."""
    crm.salesforce.clear()
    body = {"kind": "salesforce", "instance_url": crm.salesforce.url, "token": SALESFORCE_TOKEN}
    _connect(crm, "B", body)
    yield "B"
    crm.client.delete(f"/v1/admin/teams/{crm.world.teams['B']}/crm", headers=_admin(crm))
    assert crm.salesforce.violations == []


def _report(crm: CrmWorld, owner: str, session_id: str) -> dict[str, Any]:
    answer = crm.client.get(
        f"/v1/sessions/{session_id}/report?format=json", headers=crm.world.headers(owner)
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def _shown_figures(text: str) -> dict[str, float]:
    """The figures a note shows, read back from its text (HTML paragraphs or plain lines)."""
    plain = re.sub(r"</p><p>|<p>|</p>", "\n", text)
    found = {}
    for label, value in re.findall(r"^- ([^:\n]+): (-?[\d.]+)", plain, flags=re.M):
        found[label] = float(value)
    return found


def _assert_report_figures(text: str, report: dict[str, Any]) -> None:
    """The note's numbers are the report's (each to the note's precision)."""
    shown = _shown_figures(text)
    assert shown["Duration"] == pytest.approx(report["duration_s"], abs=0.51)
    assert shown["Seller talk share"] == pytest.approx(report["talk"]["seller_pct"], abs=0.051)
    assert shown["Customer talk share"] == pytest.approx(report["talk"]["customer_pct"], abs=0.051)
    assert shown["Questions asked"] == report["questions"]["total"]
    assert shown["Open questions"] == report["questions"]["open"]
    assert shown["Interruptions by the seller"] == report["counts"]["interruptions_by_seller"]
    assert shown["Longest seller monologue"] == pytest.approx(
        report["monologue"]["duration_s"], abs=0.051
    )
    assert report["questions"]["total"] > 0 and report["duration_s"] > 120  # a real call


def _assert_no_words_of_the_call(
    text: str, analysis: dict[str, Any], report: dict[str, Any]
) -> None:
    """No sentence of the call's transcript, and no word of it beyond those of the note's
    fixed texts (its figures' labels and the report's tip titles)."""
    lines = [str(u.get("text", "")) for u in analysis.get("utterances") or []]
    assert lines, "the generated call has a transcript"
    for line in set(lines):
        assert line not in text
    plain = re.sub(r"</p><p>|<p>|</p>", "\n", text)
    fixed_texts = re.findall(r"^- ([^:\n]+):", plain, flags=re.M)
    fixed_texts += [t(f"tip_{tip['kind']}", "en") for tip in report["tips"]]
    fixed = {w for f in fixed_texts for w in re.findall(r"[a-z]+", f.lower())}
    spoken = {w for line in lines for w in re.findall(r"[a-z]{4,}", line.lower())}
    leaked = spoken & set(re.findall(r"[a-z]+", text.lower())) - fixed
    assert not leaked, f"words of the call in the note: {sorted(leaked)}"


def test_hubspot_gets_one_meeting_on_the_contact_with_the_reports_figures(
    crm: CrmWorld, hubspot_team: str
) -> None:
    contact = crm.hubspot.add_contact("grace@navy.example", "Grace", "Hopper")
    crm.hubspot.add_contact("someone.else@navy.example", "Someone", "Else")
    session_id = crm.call("ada", "Grace@Navy.example")
    delivery = _settled(crm, hubspot_team, session_id)
    assert delivery["status"] == "delivered", delivery
    assert delivery["last_response_status"] == 201
    [meeting] = crm.hubspot.meetings.values()
    assert meeting["contacts"] == [contact]
    properties = meeting["properties"]
    report_url = f"{PUBLIC_URL}/v1/sessions/{session_id}/report"
    assert properties["hs_meeting_external_url"] == report_url
    assert properties["hs_meeting_outcome"] == "COMPLETED"
    assert session_id[:12] in properties["hs_meeting_title"]
    assert properties["hs_meeting_start_time"] < properties["hs_meeting_end_time"]
    report = _report(crm, "ada", session_id)
    _assert_report_figures(properties["hs_meeting_body"], report)
    # And the stored analysis's own numbers, where the report shows them unchanged.
    stored = crm.world.store.get_session(session_id)
    assert stored is not None and stored.analysis is not None
    shown = _shown_figures(properties["hs_meeting_body"])
    assert shown["Duration"] == pytest.approx(stored.analysis["duration_s"], abs=0.51)
    assert shown["Questions asked"] == len(stored.analysis["questions"])
    assert shown["Longest seller monologue"] == pytest.approx(
        stored.analysis["monologue_longest_s"], abs=0.051
    )
    titles = [t(f"tip_{tip['kind']}", "en") for tip in report["tips"]][:3]
    assert titles and all(title in properties["hs_meeting_body"] for title in titles)
    _assert_no_words_of_the_call(properties["hs_meeting_body"], crm.world.analysis, report)
    # The report says where the results went; the admin sees how the last note went.
    assert {"host": "HubSpot", "status": "delivered"} in report["sent_to"]
    html = crm.client.get(f"/v1/sessions/{session_id}/report", headers=crm.world.headers("ada"))
    assert "Results sent to HubSpot (delivered)" in html.text
    shown = crm.client.get(
        f"/v1/admin/teams/{crm.world.teams['A']}/crm", headers=_admin(crm)
    ).json()
    assert shown["kind"] == "hubspot" and shown["status"] == "delivered"
    assert HUBSPOT_TOKEN not in str(shown)


def test_hubspot_retries_write_once_after_a_server_error_and_a_lost_answer(
    crm: CrmWorld, hubspot_team: str
) -> None:
    crm.hubspot.add_contact("ada.lovelace@engine.example", "Ada", "Lovelace")
    crm.hubspot.fail_next.append(500)  # the first request fails before HubSpot does anything
    crm.hubspot.lose_next_create = True  # the meeting is made, its answer is a 500
    session_id = crm.call("ben", "ada.lovelace@engine.example")
    delivery = _settled(crm, hubspot_team, session_id)
    assert delivery["status"] == "delivered", delivery
    assert delivery["attempts"] == 3
    mine = [
        m
        for m in crm.hubspot.meetings.values()
        if session_id[:12] in m["properties"]["hs_meeting_title"]
    ]
    assert len(mine) == 1
    creates = [r for r in crm.hubspot.requests if r.path == "/crm/v3/objects/meetings"]
    assert len(creates) == 1  # the third try found the meeting and wrote nothing


def test_no_contact_no_email_and_a_bad_token_show_in_the_log(
    crm: CrmWorld, hubspot_team: str
) -> None:
    team_id = crm.world.teams["A"]
    unknown = crm.call("ada", "nobody@nowhere.example")
    delivery = _settled(crm, hubspot_team, unknown)
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == "no HubSpot contact with e-mail nobody@nowhere.example"
    assert delivery["attempts"] == 1  # not tried again and again
    before = len(crm.hubspot.requests)
    anonymous = crm.call("ada", None)
    [logged] = [d for d in _log(crm, hubspot_team) if d["session_id"] == anonymous]
    assert logged["status"] == "failed" and logged["attempts"] == 0
    assert "no customer e-mail" in logged["last_error"]
    assert len(crm.hubspot.requests) == before  # nothing went to HubSpot
    assert _report(crm, "ada", anonymous)["sent_to"] == []
    # A wrong token: HubSpot's 401 in the log and the connection's status; fixed and sent
    # again, the note arrives.
    crm.hubspot.add_contact("turing@bletchley.example", "Alan", "Turing")
    _connect(crm, "A", {"kind": "hubspot", "token": "pat-eu1-wrong-token"})
    session_id = crm.call("ada", "turing@bletchley.example")
    refused = _settled(crm, hubspot_team, session_id)
    assert refused["status"] == "failed" and refused["last_response_status"] == 401
    assert "token" in refused["last_error"]
    status = crm.client.get(f"/v1/admin/teams/{team_id}/crm", headers=_admin(crm)).json()
    assert status["status"] == "failed" and "401" in status["last_error"]
    assert _report(crm, "ada", session_id)["sent_to"] == [{"host": "HubSpot", "status": "failed"}]
    _connect(crm, "A", {"kind": "hubspot", "token": HUBSPOT_TOKEN})
    again = crm.client.post(
        f"/v1/admin/teams/{team_id}/crm/deliveries/{refused['id']}/retry", headers=_admin(crm)
    )
    assert again.status_code == 202, again.text
    assert _settled(crm, hubspot_team, session_id)["status"] == "delivered"
    assert _report(crm, "ada", session_id)["sent_to"] == [
        {"host": "HubSpot", "status": "delivered"}
    ]


def test_the_seller_keeping_a_call_sends_nothing(crm: CrmWorld, hubspot_team: str) -> None:
    crm.hubspot.add_contact("kept@private.example", "Kept", "Private")
    kept = crm.call("ada", "kept@private.example", send_results=False)
    sent = crm.call("ada", "kept@private.example")
    _settled(crm, hubspot_team, sent)
    assert [d for d in _log(crm, hubspot_team) if d["session_id"] == kept] == []
    titles = [m["properties"]["hs_meeting_title"] for m in crm.hubspot.meetings.values()]
    assert not any(kept[:12] in title for title in titles)
    assert any(sent[:12] in title for title in titles)
    assert _report(crm, "ada", kept)["sent_to"] == []


def test_salesforce_gets_one_task_on_the_contact_else_the_lead_figures_only(
    crm: CrmWorld, salesforce_team: str
) -> None:
    admin = _admin(crm)
    team_b = f"/v1/admin/teams/{crm.world.teams['B']}"
    figures_only = {"retention_days": None, "keep_transcripts": False}
    assert crm.client.put(team_b, json=figures_only, headers=admin).status_code == 200
    try:
        contact = crm.salesforce.add_contact("o'brien@acme.example")
        lead = crm.salesforce.add_lead("new.lead@prospect.example")
        crm.salesforce.lose_next_create = True  # the task is made, its answer is a 500
        on_contact = crm.call("dan", "o'brien@acme.example")
        on_lead = crm.call("dan", "new.lead@prospect.example")
        for session_id in (on_contact, on_lead):
            assert _settled(crm, salesforce_team, session_id)["status"] == "delivered"
    finally:
        crm.client.put(team_b, json={}, headers=admin)
    written = list(crm.salesforce.tasks.values())
    # One each: the retry after the lost answer found the task and wrote nothing.
    assert sorted(t["WhoId"] for t in written) == sorted([contact, lead])
    tasks = {t["WhoId"]: t for t in written}
    task = tasks[contact]
    assert task["Status"] == "Completed" and task["TaskSubtype"] == "Call"
    assert task["Subject"].endswith(f"[praesent {on_contact[:12]}]")
    assert on_lead[:12] in tasks[lead]["Subject"]
    report = _report(crm, "dan", on_contact)
    assert report["transcript"]["lines"] == []  # the team keeps figures only
    _assert_report_figures(task["Description"], report)
    _assert_no_words_of_the_call(task["Description"], crm.world.analysis, report)
    started = crm.world.store.get_session(on_contact)
    assert started is not None
    assert task["ActivityDate"] == started.started_at.date().isoformat()
    assert {"host": "Salesforce", "status": "delivered"} in report["sent_to"]
    bad = crm.client.put(
        f"{team_b}/crm",
        json={"kind": "salesforce", "instance_url": crm.salesforce.url, "token": "00Dexpired!x"},
        headers=admin,
    )
    assert bad.status_code == 200
    expired = crm.call("dan", "o'brien@acme.example")
    delivery = _settled(crm, salesforce_team, expired)
    assert delivery["status"] == "failed" and delivery["last_response_status"] == 401
    assert "INVALID_SESSION_ID" in delivery["last_error"]


def test_the_admin_routes_refuse_what_they_must(crm: CrmWorld) -> None:
    client, world = crm.client, crm.world
    team = f"/v1/admin/teams/{world.teams['A']}/crm"
    hubspot = {"kind": "hubspot", "token": HUBSPOT_TOKEN}
    # Only an admin: a seller or coach is refused, nobody signed in is asked to sign in.
    for who in ("ada", "cleo"):
        for method, path in (("PUT", team), ("GET", team), ("DELETE", team)):
            answer = client.request(method, path, json=hubspot, headers=world.headers(who))
            assert answer.status_code == 403, (who, method, answer.text)
        log = client.get(f"{team}/deliveries", headers=world.headers(who))
        assert log.status_code == 403
    assert client.put(team, json=hubspot).status_code == 401
    admin = _admin(crm)
    assert (
        client.put("/v1/admin/teams/" + "0" * 32 + "/crm", json=hubspot, headers=admin).status_code
        == 404
    )
    assert client.get(team, headers=admin).status_code == 404  # not connected
    assert client.get(f"{team}/deliveries", headers=admin).status_code == 404
    assert client.post(f"{team}/deliveries/1/retry", headers=admin).status_code == 404
    assert client.get("/v1/admin/teams/" + "x" * 40 + "/crm", headers=admin).status_code == 422
    # Malformed and oversized input: 4xx with a reason, never a 500.
    private = "https://127.0.0.1:9/"
    for bad in (
        {},
        [],
        {"kind": "pipedrive", "token": HUBSPOT_TOKEN},
        {"kind": "hubspot"},
        {"kind": "hubspot", "token": "short"},
        {"kind": "hubspot", "token": "has spaces in it"},
        {"kind": "hubspot", "token": "x" * 2001},
        {"kind": "hubspot", "token": HUBSPOT_TOKEN, "instance_url": "https://x.example"},
        {"kind": "salesforce", "token": SALESFORCE_TOKEN},
        {
            "kind": "salesforce",
            "instance_url": "https://" + "a" * 300 + ".example",
            "token": SALESFORCE_TOKEN,
        },
        {
            "kind": "salesforce",
            "instance_url": "http://acme.my.salesforce.com",
            "token": SALESFORCE_TOKEN,
        },
        {
            "kind": "salesforce",
            "instance_url": "https://user:pw@acme.example",
            "token": SALESFORCE_TOKEN,
        },
        {"kind": "salesforce", "instance_url": 7, "token": SALESFORCE_TOKEN},
    ):
        answer = client.put(team, json=bad, headers=admin)
        assert answer.status_code == 422, (bad, answer.text)
        assert "Traceback" not in answer.text
    huge = client.put(
        team,
        content=b'{"kind": "hubspot", "token": "' + b"x" * 2_000_000 + b'"}',
        headers={**admin, "content-type": "application/json"},
    )
    assert huge.status_code in (413, 422)
    not_json = client.put(
        team, content=b"{kind", headers={**admin, "content-type": "application/json"}
    )
    assert not_json.status_code == 422
    # An instance URL inside the network is refused unless the admin allows it.
    crm.settings.webhooks_allow_private = False
    try:
        refused = client.put(
            team,
            json={"kind": "salesforce", "instance_url": private, "token": SALESFORCE_TOKEN},
            headers=admin,
        )
    finally:
        crm.settings.webhooks_allow_private = True
    assert refused.status_code == 422, refused.text
    assert "private" in refused.text
    assert client.get(team, headers=admin).status_code == 404  # nothing was stored
    # A team's CRM is not among the webhooks, nor managed through them.
    _connect(crm, "A", hubspot)
    try:
        listed = client.get("/v1/webhooks", headers=admin).json()
        assert all(e["team_id"] != world.teams["A"] for e in listed)
        shown = client.get(team, headers=admin)
        assert shown.status_code == 200 and HUBSPOT_TOKEN not in shown.text
        assert set(shown.json()) == {
            "team_id",
            "kind",
            "created_at",
            "status",
            "last_error",
            "last_note_at",
        }
    finally:
        assert client.delete(team, headers=admin).status_code == 204
    assert client.delete(team, headers=admin).status_code == 404
