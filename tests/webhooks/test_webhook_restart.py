"""A `praesent serve` killed (SIGKILL) after an event was committed and before it was delivered
delivers it after the restart, with the same id: the outbox is in the database."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from standardwebhooks import Webhook

from praesent.store import EventStore, StoredEvent
from praesent.team.accounts import issue_token
from tests.live_server import ServerProcess, free_port
from tests.support import wait_until
from tests.webhooks.receiver import Receiver

ENV = {
    "PRAESENT_WEBHOOKS_ALLOW_PRIVATE": "true",
    "PRAESENT_WEBHOOKS_ALLOW_HTTP": "true",
    "PRAESENT_WEBHOOK_MIN_BACKOFF_S": "0.05",
    "PRAESENT_WEBHOOK_MAX_BACKOFF_S": "0.2",
    "PRAESENT_WEBHOOK_POLL_S": "0.05",
    # No live call here: the smallest model, no previews, no speaker models, for a quick start.
    "PRAESENT_MODEL": "tiny.en",
    "PRAESENT_PREVIEW_MODEL": "",
    "PRAESENT_DIARIZER": "none",
    "PRAESENT_LIVE_VOICE_PROFILES": "false",
}


def _seller_with_a_call(data_dir: Path) -> tuple[str, str]:
    """A seller's token and a finished call of theirs, made in the server's database."""
    with EventStore(f"sqlite:///{data_dir / 'praesent.db'}") as store:
        store.migrate()
        store.people.create_team("Team A")
        user = store.people.create_user("ada@example.com", "seller", ["Team A"])
        token = issue_token(store.people, user, "tests").token
        record = store.create_session(
            "call",
            "en",
            customer_informed=True,
            owner_id=user.id,
            started_at=datetime.now(UTC) - timedelta(hours=1),
        )
        store.append(record.id, [StoredEvent(1, "ready", 0.0, {"session_id": record.id})])
        store.finalise(record.id, "finished", {"language": "en"}, datetime.now(UTC))
    return token, record.id


def test_a_server_killed_between_commit_and_delivery_delivers_after_the_restart(
    tmp_path: Path,
) -> None:
    token, session_id = _seller_with_a_call(tmp_path)
    auth = {"Authorization": f"Bearer {token}"}
    receiver = Receiver(free_port())  # down while the first server runs
    server = ServerProcess(tmp_path, **ENV).start()
    try:
        made = httpx.post(f"{server.http}/v1/webhooks", json={"url": receiver.url}, headers=auth)
        assert made.status_code == 201, made.text
        endpoint = made.json()
        shared = httpx.put(
            f"{server.http}/v1/sessions/{session_id}/sharing", json={"shared": True}, headers=auth
        )
        assert shared.status_code == 200  # committed with its delivery

        def tried() -> list[dict[str, object]]:
            log = httpx.get(
                f"{server.http}/v1/webhooks/{endpoint['id']}/deliveries", headers=auth
            ).json()
            return [d for d in log if isinstance(d["attempts"], int) and d["attempts"] >= 1]

        wait_until(lambda: bool(tried()), 30, "a first failed try while the receiver is down")
        [pending] = tried()
        assert pending["status"] == "pending"
        assert server.stop(signal.SIGKILL) == -signal.SIGKILL
        receiver.start()
        server = ServerProcess(tmp_path, port=server.port, **ENV).start()
        wait_until(lambda: bool(receiver.accepted()), 60, "the delivery after the restart")
        log = httpx.get(
            f"{server.http}/v1/webhooks/{endpoint['id']}/deliveries", headers=auth
        ).json()
    finally:
        receiver.stop()
        if server.process is not None and server.process.poll() is None:
            server.stop()
    [request] = receiver.accepted()
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "session.shared"
    assert payload["data"]["session"] == {**payload["data"]["session"], "id": session_id}
    assert payload["data"]["session"]["shared"] is True
    assert request.headers["webhook-id"] == pending["webhook_id"]
    assert [d["status"] for d in log] == ["delivered"]
    # The endpoint's URL may hold the receiver's token: the server's log never shows it.
    assert f":{receiver.port}/hooks" not in server.log.read_text()
