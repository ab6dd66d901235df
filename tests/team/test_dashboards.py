"""Dashboards against the real analysis of the phone call and variants of it with figures of
their own: a seller's trends by week, the coach's team view from shared calls only, the CSV
value for value against the API and the page, screenshots (de, en)."""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from praesent.report import find_chromium
from tests.report.helpers import need
from tests.support import ROOT
from tests.team.world import World

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)  # ISO week 2026-W41


def _variant(real: dict[str, Any], n: int) -> dict[str, Any]:
    """The real analysis with figures of its own for the ``n``-th call (0: the real one as it
    is): longer, more of the seller's talk, interruptions, backchannels, questions and cues, a
    longer monologue. Two calls of a week differ in every figure, so a mean, a sum, a maximum
    and "the first call" give different weeks."""
    if n == 0:
        return real
    analysis = copy.deepcopy(real)
    duration = float(real["duration_s"])
    analysis["duration_s"] = duration * (1 + 0.5 * n)
    analysis["seller_share"] = min(0.95, float(real["seller_share"]) + 0.07 * n)
    analysis["monologue_longest_s"] = float(real["monologue_longest_s"]) + 3.0 * n
    analysis["customer_story_longest_s"] = float(real["customer_story_longest_s"]) + 2.0 * n

    def more(kind: str, count: int, **fields: Any) -> None:
        items = analysis.get(kind) or []
        model = dict(items[0]) if items else {}
        analysis[kind] = [
            *items,
            *({**model, **fields, "at_s": duration * (i + 1) / (count + 1)} for i in range(count)),
        ]

    more("interruptions", n, by="seller")
    more("backchannels", 2 * n, by="seller")
    more("questions", n, open=True)
    more("questions", 1, open=False)
    more("cues", n, acted_on=n % 2 == 0)
    return analysis


@pytest.fixture(scope="module")
def calls(team_server: tuple[TestClient, World]) -> dict[str, list[str]]:
    _client, world = team_server
    made: dict[str, list[str]] = {"ada": [], "ben": []}
    for week in range(4):
        for n in range(2 if week % 2 else 1):
            started = MONDAY + timedelta(weeks=week, days=n)
            analysis = _variant(world.analysis, len(made["ada"]))
            ANALYSES[len(made["ada"])] = analysis
            made["ada"].append(
                world.session(
                    "ada",
                    shared=week < 3,
                    started_at=started,
                    title=f"ACME {week}.{n}",
                    analysis=analysis,
                )
            )
    made["ben"].append(world.session("ben", shared=True, started_at=MONDAY, title="Globex"))
    world.session("ben", shared=False, started_at=MONDAY, title="private")
    return made


# ada's calls' analyses, in the order they were made (weeks 41, 42, 42, 43, 44, 44).
ANALYSES: dict[int, dict[str, Any]] = {}


def _expected(label: str, analyses: list[dict[str, Any]]) -> dict[str, Any]:
    """What a page row must show for these calls, from the analyses (written out here: rates
    per 10 minutes of call, questions per call, talk share the mean of the calls', longest
    monologue and story the longest of any call, cues summed)."""
    seconds = sum(a["duration_s"] for a in analyses)
    tens = seconds / 600

    def by_seller(kind: str) -> int:
        return sum(1 for a in analyses for item in a.get(kind) or [] if item["by"] == "seller")

    def questions(open_: bool) -> int:
        return sum(
            1 for a in analyses for q in a.get("questions") or [] if bool(q.get("open")) is open_
        )

    return {
        "label": label,
        "calls": len(analyses),
        "minutes": round(seconds / 60, 1),
        "seller_pct": round(sum(100 * a["seller_share"] for a in analyses) / len(analyses), 1),
        "interruptions_per_10min": round(by_seller("interruptions") / tens, 2),
        "backchannels_per_10min": round(by_seller("backchannels") / tens, 2),
        "open_questions_per_call": round(questions(True) / len(analyses), 2),
        "closed_questions_per_call": round(questions(False) / len(analyses), 2),
        "monologue_longest_s": round(max(a["monologue_longest_s"] for a in analyses), 1),
        "customer_story_longest_s": round(max(a["customer_story_longest_s"] for a in analyses), 1),
        "cues_shown": sum(len(a.get("cues") or []) for a in analyses),
        "cues_acted_on": sum(1 for a in analyses for c in a.get("cues") or [] if c.get("acted_on")),
    }


def _same(shown: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """The figures of ``shown`` that differ from ``expected`` (0.06 for the rounding of a
    mean of rounded shares)."""
    return [
        f"{key}: {shown[key]} != {value}"
        for key, value in expected.items()
        if not (
            shown[key] == value
            if isinstance(value, str)
            else shown[key] == pytest.approx(value, abs=0.06)
        )
    ]


def _page_rows(html: str) -> list[list[str]]:
    """The cells of the first table of a page (its figures, as the page writes them)."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body is not None, html[:500]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def _check_csv(text: str, first: str, rows: list[dict[str, Any]], page: list[list[str]]) -> None:
    """Every CSV value is the API's figure, and the figure the page shows (which rounds)."""
    table = list(csv.reader(io.StringIO(text)))
    assert rows, "no rows to compare"
    assert table[0] == [first, *(c for c in rows[0] if c != "label")], table[0]
    assert len(table) - 1 == len(rows) == len(page), (table, rows, page)
    for line, row, cells in zip(table[1:], rows, page, strict=True):
        assert len(line) == len(table[0]) == len(cells), (line, cells)
        for column, value, cell in zip(table[0], line, cells, strict=True):
            figure = row["label" if column == first else column]
            where = (row["label"], column, value, figure, cell)
            if column == first:
                assert value == figure == cell, where
            elif figure is None:
                assert value == "" and cell == "\u2013", where  # the page writes an en dash
            else:
                assert float(value) == pytest.approx(figure, abs=1e-9), where
                assert float(cell) == pytest.approx(figure, abs=0.051), where


def test_my_trends_by_week_match_the_analysis(
    team_server: tuple[TestClient, World],
    calls: dict[str, list[str]],
    call_analysis: dict[str, Any],
) -> None:
    client, world = team_server
    client.cookies.clear()
    data = client.get("/v1/me/trends", headers=world.headers("ada")).json()
    weeks = data["weeks"]
    labels = ["2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    ada_weeks = [w for w in weeks if w["label"] in labels]
    assert [w["calls"] for w in ada_weeks] == [1, 2, 1, 2]
    # Week 41's one call is the real call: the page shows its figures.
    share = round(100 * call_analysis["seller_share"], 1)
    minutes = call_analysis["duration_s"] / 60
    interruptions = sum(1 for i in call_analysis["interruptions"] if i["by"] == "seller")
    per_10 = interruptions / (minutes / 10)
    assert ada_weeks[0]["seller_pct"] == pytest.approx(share, abs=0.05), ada_weeks[0]
    assert ada_weeks[0]["interruptions_per_10min"] == pytest.approx(per_10, abs=0.01)
    assert ada_weeks[0]["monologue_longest_s"] == pytest.approx(
        call_analysis["monologue_longest_s"], abs=0.1
    )
    # Every week against its calls' own figures (the calls of a week differ in every one).
    groups = [[0], [1, 2], [3], [4, 5]]
    assert ANALYSES[1]["duration_s"] != ANALYSES[2]["duration_s"]
    for week, group in zip(ada_weeks, groups, strict=True):
        expected = _expected(week["label"], [ANALYSES[n] for n in group])
        assert not _same(week, expected), (week["label"], _same(week, expected))
    overall = _expected(data["overall"]["label"], [ANALYSES[n] for n in range(6)])
    assert not _same(data["overall"], overall), _same(data["overall"], overall)
    assert data["reference"] == {"seller_pct": 43, "band_halfwidth_pct": 5}
    print(f"talk share {share} %, seller interruptions per 10 min {per_10:.2f}")

    page = client.get("/v1/me/trends?format=html&lang=de", headers=world.headers("ada"))
    assert page.status_code == 200 and "<svg" in page.text and "Redeanteil" in page.text
    assert "Referenzband" in page.text
    csv_text = client.get("/v1/me/trends?format=csv", headers=world.headers("ada")).text
    _check_csv(csv_text, "week", weeks, _page_rows(page.text))


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
    csv_text = client.get(
        f"/v1/teams/{team}/dashboard?format=csv", headers=world.headers("cleo")
    ).text
    overall = [s["overall"] for s in data["sellers"]]
    _check_csv(csv_text, "seller", overall, _page_rows(page.text))
    assert {row["label"] for row in overall} == set(sellers)
    # ada's row: her shared calls only (weeks 41 to 43), against their own figures.
    ada = _expected("ada@example.com", [ANALYSES[n] for n in range(4)])
    assert not _same(sellers["ada@example.com"]["overall"], ada)
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
