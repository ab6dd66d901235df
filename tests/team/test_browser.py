"""The team server in real headless Chromium: an admin invites a seller and a coach and sets a
team webhook; the seller signs in, runs the demo call in the overlay and shares it; the team's
receiver gets the call's results and the admin page shows the delivery and sends it again; the
coach sees the report and the team dashboard; the seller stops sharing and the coach gets 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from praesent.store import EventStore
from praesent.team.credentials import hash_password
from tests.live_server import ServerProcess, free_port
from tests.overlay.conftest import CHROMIUM, require
from tests.support import wait_until
from tests.webhooks.receiver import Receiver

ADMIN_PASSWORD = "admin password 2026"
SELLER_PASSWORD = "pebbles on the shore 2026"
COACH_PASSWORD = "lighthouse keeper at dawn"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("browser")
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_team("Team A")
        store.people.create_user(
            "admin@example.com", "admin", password_hash=hash_password(ADMIN_PASSWORD)
        )
    # The retention job every 0.5 s instead of every hour: its loop in `serve` is under test.
    # The team's webhook receiver runs in the test, on 127.0.0.1 over http.
    process = ServerProcess(
        data_dir,
        PRAESENT_RETENTION_INTERVAL_S="0.5",
        PRAESENT_WEBHOOKS_ALLOW_PRIVATE="true",
        PRAESENT_WEBHOOKS_ALLOW_HTTP="true",
        PRAESENT_WEBHOOK_POLL_S="0.2",
    ).start()
    yield process
    process.stop()


def _sign_in(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/app/")
    page.fill("#signin-form input[name=email]", email)
    page.fill("#signin-form input[name=password]", password)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#view-calls:not([hidden])")


def _invite(page: Any, email: str, role: str) -> str:
    page.goto(page.url.split("#")[0] + "#admin")
    page.wait_for_selector("#view-admin:not([hidden])")
    page.fill("#invite-create input[name=email]", email)
    page.select_option("#invite-create select[name=role]", role)
    page.select_option("#invite-team", "Team A")
    page.click("#invite-create button[type=submit]")
    page.wait_for_selector("#invite-link:not([hidden])")
    return str(page.get_attribute("#invite-link", "data-url"))


def _accept(page: Any, url: str, password: str) -> None:
    page.goto(url)
    page.wait_for_selector("#view-invite:not([hidden])")
    page.fill("#invite-form input[name=password]", password)
    page.click("#invite-form button[type=submit]")
    page.wait_for_selector("#view-calls:not([hidden])")


def test_invite_share_coach_and_unshare(server: ServerProcess, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base = server.http
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=require(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        admin = browser.new_context(locale="en-US").new_page()
        _sign_in(admin, base, "admin@example.com", ADMIN_PASSWORD)
        seller_link = _invite(admin, "seller@example.com", "seller")
        coach_link = _invite(admin, "coach@example.com", "coach")
        assert "/app/#invite=" in seller_link and seller_link != coach_link
        receiver = Receiver(free_port()).start()
        admin.fill("#webhook-create input[name=url]", receiver.url)
        admin.click("#webhook-create button[type=submit]")
        admin.wait_for_selector("#webhook-secret:not([hidden])")
        secret = str(admin.get_attribute("#webhook-secret", "data-secret"))
        admin.wait_for_selector("#webhooks-body tr")

        # The seller accepts, signs in (the invitation signs them in), runs the demo call.
        seller = browser.new_context(locale="en-US").new_page()
        _accept(seller, seller_link, SELLER_PASSWORD)
        assert "seller@example.com (seller)" in seller.inner_text("#who")
        seller.goto(f"{base}/?lang=en")
        seller.check("#informed")  # the demo is marked as the box says
        seller.click("#demo")
        seller.wait_for_function(
            "() => (document.getElementById('status')?.textContent ?? '').length > 0"
            " && document.querySelector('#live') && !document.querySelector('#live').hidden",
            timeout=20_000,
        )
        seller.wait_for_timeout(6_000)  # a few seconds of the call
        seller.click("#stop")
        seller.wait_for_function(
            "() => document.getElementById('status')?.textContent === 'Call ended'", timeout=60_000
        )
        # The team's receiver gets the call's results, signed; the admin page shows the last
        # delivery and sends it again with the same id.
        wait_until(lambda: len(receiver.accepted()) >= 2, 30, "the call's results at the team's")
        results = receiver.verified(secret)
        assert [p["type"] for p in results] == ["session.finished", "report.ready"]
        admin.reload()
        admin.wait_for_selector("#webhooks-body tr td:has-text('report.ready: delivered')")
        admin.locator("#webhooks-body tr").first.locator("button", has_text="Send again").click()
        wait_until(lambda: len(receiver.accepted()) >= 3, 30, "the results sent again")
        assert receiver.accepted()[2].headers["webhook-id"] == results[1]["_id"]
        receiver.stop()

        seller.goto(f"{base}/app/#calls")
        row = seller.locator("#calls-body tr").first
        row.wait_for()
        session_id = str(row.get_attribute("data-session"))
        assert "Demo" in row.inner_text() and "no" in row.inner_text()
        row.locator("button", has_text="Share").click()
        seller.wait_for_function(
            "() => document.querySelector('#calls-body tr td:nth-child(3)').textContent === 'yes'"
        )

        # The coach accepts, sees the shared call, its report and the team dashboard.
        coach = browser.new_context(locale="en-US").new_page()
        _accept(coach, coach_link, COACH_PASSWORD)
        coach.wait_for_selector("#shared-body tr")
        assert "Demo" in coach.inner_text("#shared-body")
        report = coach.request.get(f"{base}/v1/sessions/{session_id}/report?lang=en")
        assert report.status == 200 and "Customer informed" in report.text()
        coach.click("#team-links a")
        frame = coach.frame_locator("#team-frame")
        frame.locator("text=seller@example.com").first.wait_for()
        assert frame.locator("a", has_text="Demo").count() == 1
        coach.screenshot(path=str(tmp_path / "coach-team.png"), full_page=True)

        # The seller stops sharing: the coach gets 404 at once.
        seller.locator("#calls-body tr").first.locator("button", has_text="Unshare").click()
        seller.wait_for_function(
            "() => document.querySelector('#calls-body tr td:nth-child(3)').textContent === 'no'"
        )
        gone = coach.request.get(f"{base}/v1/sessions/{session_id}/report?lang=en")
        assert gone.status == 404 and gone.json()["error"]["code"] == "not_found"
        assert coach.request.get(f"{base}/v1/sessions/{session_id}").status == 404

        # The seller's audit log shows the coach's read.
        audit = seller.request.get(f"{base}/v1/me/audit").json()
        assert any(e["reader"] == "coach@example.com" for e in audit), audit
        browser.close()


def test_the_retention_loop_of_serve_deletes_expired_calls(server: ServerProcess) -> None:
    """A call past the server's 90 days, stored after `serve` started, is gone at the loop's next
    run; a fresh one stays."""
    with EventStore(f"sqlite:///{server.data_dir / 'praesent.db'}") as store:
        seller = store.people.create_user("old-calls@example.com", "seller", ["Team A"])
        now = datetime.now(UTC)
        ids = []
        for days_old in (91, 1):
            record = store.create_session(
                f"{days_old} days old",
                "en",
                True,
                owner_id=seller.id,
                started_at=now - timedelta(days=days_old),
            )
            store.finalise(record.id, "finished", {"roles": {}}, now - timedelta(days=days_old))
            ids.append(record.id)
        expired, fresh = ids
        wait_until(
            lambda: store.get_session(expired) is None,
            30,
            "the retention loop of `praesent serve` to delete the 91-day-old call",
        )
        assert store.get_session(fresh) is not None
