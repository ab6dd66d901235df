"""The webhook outbox on both backends: rows written with the change they report, one
delivery per endpoint at a time in order, one process per delivery, a dead process's claim
taken over, a delivery given up after its day, and deletions by the retention job reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from praesent.store import EventStore, StoredEvent

HOLD = timedelta(seconds=30)
ANALYSIS = {"language": "en", "duration_s": 10.0}


def _seller_and_endpoint(store: EventStore) -> tuple[str, str]:
    user = store.people.create_user("ada@example.com", "seller")
    endpoint, _secret = store.webhooks.create_endpoint(
        "https://hooks.example.com/",
        ["session.finished", "session.deleted"],
        owner_id=user.id,
        team_id=None,
    )
    return user.id, endpoint.id


def _finished_call(store: EventStore, owner_id: str) -> str:
    record = store.create_session("call", "en", True, owner_id=owner_id)
    store.append(record.id, [StoredEvent(1, "ready", 0.0, {})])
    store.finalise(record.id, "finished", ANALYSIS, datetime.now(UTC))
    return record.id


def test_one_delivery_per_endpoint_at_a_time_in_order_and_by_one_process(store: EventStore) -> None:
    owner, endpoint = _seller_and_endpoint(store)
    calls = [_finished_call(store, owner) for _ in range(3)]
    # Only the events the endpoint asked for: session.finished, not report.ready.
    log = list(reversed(store.webhooks.deliveries(endpoint)))
    assert [(d.event, d.session_id) for d in log] == [("session.finished", c) for c in calls]
    now = datetime.now(UTC)
    other = EventStore(store.engine.url)  # a second process on the same database
    try:
        [first] = store.webhooks.claim_due(now, HOLD)
        assert first.id == log[0].id and first.attempts == 1
        assert other.webhooks.claim_due(now, HOLD) == []  # held, and the others wait behind it
        store.webhooks.delivered(first.id, 204)
        [second] = other.webhooks.claim_due(now, HOLD)
        assert second.id == log[1].id
        # The process holding it dies: after the hold, another takes it over (at least once).
        assert store.webhooks.claim_due(now, HOLD) == []
        [again] = store.webhooks.claim_due(now + HOLD + timedelta(seconds=1), HOLD)
        assert (again.id, again.message_id, again.attempts) == (second.id, second.message_id, 2)
    finally:
        other.close()


def test_a_failed_delivery_waits_its_backoff_and_is_given_up_after_its_day(
    store: EventStore,
) -> None:
    owner, endpoint = _seller_and_endpoint(store)
    _finished_call(store, owner)
    now = datetime.now(UTC)
    [claim] = store.webhooks.claim_due(now, HOLD)
    store.webhooks.attempt_failed(claim.id, 503, "the receiver answered 503", now + HOLD)
    assert store.webhooks.claim_due(now, HOLD) == []
    [retry] = store.webhooks.claim_due(now + HOLD, HOLD)
    store.webhooks.attempt_failed(retry.id, None, "ConnectError", None)  # the day is over
    [given_up] = store.webhooks.deliveries(endpoint)
    assert (given_up.status, given_up.attempts, given_up.last_status) == ("failed", 2, None)
    assert store.webhooks.claim_due(now + timedelta(days=2), HOLD) == []
    # Send again: the same id, pending once more.
    resent = store.webhooks.send_again(endpoint, given_up.id)
    assert resent is not None and resent.message_id == given_up.message_id
    assert resent.status == "pending"


def test_deletions_are_reported_and_survive_the_session(store: EventStore) -> None:
    owner, endpoint = _seller_and_endpoint(store)
    by_seller, by_retention = _finished_call(store, owner), _finished_call(store, owner)
    assert store.delete_session(by_seller)
    assert store.delete_sessions([by_retention]) == 1
    deleted = [d for d in store.webhooks.deliveries(endpoint) if d.event == "session.deleted"]
    assert [d.session_id for d in reversed(deleted)] == [by_seller, by_retention]
    payloads = []
    for _ in range(10):  # a relay's passes: one delivery per endpoint each
        for claim in store.webhooks.claim_due(datetime.now(UTC), HOLD):
            payloads.append(claim.payload)
            store.webhooks.delivered(claim.id, 200)
    assert [p["type"] for p in payloads] == ["session.finished"] * 2 + ["session.deleted"] * 2
    reasons = [(p["data"]["session"]["id"], p["data"]["reason"]) for p in payloads[2:]]
    assert reasons == [(by_seller, "seller"), (by_retention, "retention")]


def test_a_session_of_the_local_owner_or_a_call_kept_in_praesent_writes_nothing(
    store: EventStore,
) -> None:
    owner, endpoint = _seller_and_endpoint(store)
    local = store.create_session("laptop call", "en", True)
    store.finalise(local.id, "finished", ANALYSIS, datetime.now(UTC))
    kept = store.create_session("kept", "en", True, owner_id=owner)
    assert store.set_send_results(kept.id, False)
    store.finalise(kept.id, "finished", ANALYSIS, datetime.now(UTC))
    assert store.webhooks.deliveries(endpoint) == []


def test_the_retention_job_forgets_finished_deliveries_after_30_days(store: EventStore) -> None:
    from praesent.jobs.retention import run_retention

    owner, endpoint = _seller_and_endpoint(store)
    for _ in range(2):
        _finished_call(store, owner)
    now = datetime.now(UTC)
    [claim] = store.webhooks.claim_due(now, HOLD)
    store.webhooks.delivered(claim.id, 200)
    run_retention(store, 90, now + timedelta(days=29))
    assert len(store.webhooks.deliveries(endpoint)) == 2
    run_retention(store, 90, now + timedelta(days=31))
    # The delivered one is gone; the pending one stays, whatever its age.
    [left] = store.webhooks.deliveries(endpoint)
    assert left.status == "pending"
