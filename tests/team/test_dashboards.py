"""Dashboards against the real analysis of the phone call: a seller's trends by week, the
coach's team view from shared calls only, CSV of what a page shows, screenshots (de, en)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from praesent.report import find_chromium
from tests.report.helpers import need
from tests.support import ROOT
from tests.team.world import World

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # ISO week 2026-W41


@pytest.fixture(scope="module")
def calls(team_server: tuple[TestClient, World]) -> dict[str, list[str]]:
    _client, world = team_server
    made: dict[str, list[str]] = {"ada": [], "ben": []}
    for week in range(4):
        for n in range(2 if week % 2 else 1):
            started = MONDAY + timedelta(weeks=week, days=n)
            made["ada"].append(
                world.session("ada", shared=week < 3, started_at=started, title=f"ACME {week}.{n}")
            )
    made["ben"].append(world.session("ben", shared=True, started_at=MONDAY, title="Globex"))
    world.session("ben", shared=False, started_at=MONDAY, title="private")
    return made


def test_my_trends_by_week_match_the_analysis(
    team_server: tuple[TestClient, World],
    calls: dict[str, list[str]],
    call_analysis: dict[str, Any],
) -> None:
    client, world = team_server
    client.cookies.clear()
    data = client.get("/v1/me/trends", headers=world.headers("ada")).json()
    weeks = data["weeks"]
    ada_weeks = [w for w in weeks if w["label"] in {"2026-W41", "2026-W42", "2026-W43", "2026-W44"}]
    assert [w["calls"] for w in ada_weeks] == [1, 2, 1, 2]
    share = round(100 * call_analysis["seller_share"], 1)
    minutes = call_analysis["duration_s"] / 60
    interruptions = sum(1 for i in call_analysis["interruptions"] if i["by"] == "seller")
    per_10 = interruptions / (minutes / 10)
    for week in ada_weeks:
        # Every call is the same real call: each week shows its figures.
        assert week["seller_pct"] == pytest.approx(share, abs=0.05), week
        assert week["interruptions_per_10min"] == pytest.approx(per_10, abs=0.01), week
        assert week["monologue_longest_s"] == pytest.approx(
            call_analysis["monologue_longest_s"], abs=0.1
        )
    assert data["reference"] == {"seller_pct": 43, "band_halfwidth_pct": 5}
    print(f"talk share {share} %, seller interruptions per 10 min {per_10:.2f}")

    page = client.get("/v1/me/trends?format=html&lang=de", headers=world.headers("ada"))
    assert page.status_code == 200 and "<svg" in page.text and "Redeanteil" in page.text
    assert "Referenzband" in page.text
    table = list(csv.reader(io.StringIO(client.get(
        "/v1/me/trends?format=csv", headers=world.headers("ada")
    ).text)))  # fmt: skip
    assert table[0][0] == "week" and "seller_pct" in table[0]
    assert [row[0] for row in table[1:]] == [w["label"] for w in weeks]


def test_the_team_view_is_built_only_from_shared_calls(
    team_server: tuple[TestClient, World], calls: dict[str, list[str]]
) -> None:
    client, world = team_server
    client.cookies.clear()
    team = world.teams["A"]
    data = client.get(f"/v1/teams/{team}/dashboard", headers=world.headers("cleo")).json()
    sellers = {s["seller"]: s for s in data["sellers"]}
    assert set(sellers) == {"ada@example.com", "ben@example.com"}
    shown = {c["session_id"] for s in data["sellers"] for c in s["calls"]}
    shared = {r.id for r in world.store.list_sessions() if r.shared and r.owner_id in {
        world.users["ada"].id, world.users["ben"].id}}  # fmt: skip
    assert shown == shared and set(calls["ada"][:4]) <= shown
    assert not set(calls["ada"][4:]) & shown  # week 4 is not shared
    page = client.get(f"/v1/teams/{team}/dashboard?format=html", headers=world.headers("cleo"))
    assert page.status_code == 200 and "customer informed" in page.text
    drill = client.get(
        f"/v1/sessions/{calls['ada'][0]}/report?format=json", headers=world.headers("cleo")
    )
    assert drill.status_code == 200 and drill.json()["customer_informed"] is True
    shared_report = client.get(
        f"/v1/sessions/{calls['ada'][0]}/report?format=html&lang=de", headers=world.headers("cleo")
    )
    assert "Kunde informiert" in shared_report.text
    rows = list(csv.reader(io.StringIO(client.get(
        f"/v1/teams/{team}/dashboard?format=csv", headers=world.headers("cleo")
    ).text)))  # fmt: skip
    assert rows[0][0] == "seller" and {r[0] for r in rows[1:]} == set(sellers)
    # Neither a seller of the team nor the admin sees it.
    for name in ("ada", "eve"):
        answer = client.get(f"/v1/teams/{team}/dashboard", headers=world.headers(name))
        assert answer.status_code == 404
    # The coach's look is in the sellers' audit logs.
    audit = client.get("/v1/me/audit", headers=world.headers("ada")).json()
    assert any(e["action"] == "team dashboard" and e["reader"] == "cleo@example.com" for e in audit)


def test_dashboard_screenshots(
    team_server: tuple[TestClient, World], calls: dict[str, list[str]], tmp_path: Path
) -> None:
    """PRAESENT_UPDATE_SCREENSHOTS=1 writes them to docs/."""
    client, world = team_server
    client.cookies.clear()
    update = os.environ.get("PRAESENT_UPDATE_SCREENSHOTS") == "1"
    docs = ROOT / "docs" if update else tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    browser = find_chromium() or need("chromium")
    pages = {
        "dashboard-trends": ("/v1/me/trends", "ada"),
        "dashboard-team": (f"/v1/teams/{world.teams['A']}/dashboard", "cleo"),
    }
    for name, (path, who) in pages.items():
        for lang in ("en", "de"):
            html = client.get(f"{path}?format=html&lang={lang}", headers=world.headers(who))
            page = tmp_path / f"{name}-{lang}.html"
            page.write_text(html.text, encoding="utf-8")
            shot = docs / f"{name}-{lang}.png"
            subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1300",
                 f"--screenshot={shot}", page.as_uri()],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            assert shot.stat().st_size > 10_000


def test_my_calls_search_by_title_and_date(
    team_server: tuple[TestClient, World], calls: dict[str, list[str]]
) -> None:
    client, world = team_server
    client.cookies.clear()
    ada = world.headers("ada")
    found = client.get(
        "/v1/sessions",
        params={"q": "acme 1", "from": "2026-10-12T00:00:00Z", "to": "2026-10-14T00:00:00Z"},
        headers=ada,
    ).json()
    assert sorted(s["title"] for s in found) == ["ACME 1.0", "ACME 1.1"]
    assert client.get("/v1/sessions?to=0.5", headers=ada).status_code == 422
    # Nobody else's calls in a seller's list; a coach's shared list holds only shared calls.
    assert all(s["owner_id"] == world.users["ada"].id for s in client.get(
        "/v1/sessions", headers=ada).json())  # fmt: skip
    shared = client.get("/v1/sessions?shared=true", headers=world.headers("cleo")).json()
    assert shared and all(s["shared"] for s in shared)
    assert "private" not in {s["title"] for s in shared}
