"""The repository API on SQLite and PostgreSQL: real databases, concrete numbers, no mocks."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from praesent.store import (
    Customer,
    DuplicateSequenceError,
    EventStore,
    InvalidRecordError,
    SequenceError,
    SessionClosedError,
    SessionNotFoundError,
    StoredEvent,
    StoreError,
    StoreUnavailableError,
)
from praesent.store.models import Event, Session


def _events(first: int, count: int, kind: str = "activity") -> list[StoredEvent]:
    return [
        StoredEvent(seq, kind, seq * 0.25, {"seq": seq, "role": "customer", "text": "Grüße"})
        for seq in range(first, first + count)
    ]


def _rows(store: EventStore, model: type[Event] | type[Session]) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def test_create_and_get_session(store: EventStore) -> None:
    started = datetime(2025, 3, 4, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    record = store.create_session(
        "Discovery call", "de", customer_informed=True, seller_id="s-17", started_at=started
    )
    assert len(record.id) == 32
    assert record.status == "live"
    assert record.last_seq == 0
    assert record.audio_kept is False
    assert record.analysis is None
    fetched = store.get_session(record.id)
    assert fetched == record
    assert fetched.started_at == datetime(2025, 3, 4, 8, 0, 0, 123456, tzinfo=UTC)
    assert fetched.started_at.tzinfo is UTC
    assert store.get_session("0" * 32) is None


def test_resume_after_seq_misses_nothing_and_repeats_nothing(store: EventStore) -> None:
    record = store.create_session("resume", "en", customer_informed=True)
    batch_sizes = [1, 7, 3, 1, 12, 5, 2, 9]  # 40 events
    seen: list[int] = []
    next_seq = 1
    for size in batch_sizes:
        store.append(record.id, _events(next_seq, size))
        next_seq += size
        # A reader that pages with a small limit, resuming after the last seq it saw.
        while page := store.events_after(record.id, seen[-1] if seen else 0, limit=4):
            assert len(page) <= 4
            seen.extend(e.seq for e in page)
    assert seen == list(range(1, 41))
    assert store.events_after(record.id, 40) == []
    assert [e.seq for e in store.events_after(record.id, 37)] == [38, 39, 40]
    assert store.events_after(record.id, 0, limit=0) == []
    event = store.events_after(record.id, 10, limit=1)[0]
    assert event == StoredEvent(
        11, "activity", 2.75, {"seq": 11, "role": "customer", "text": "Grüße"}
    )
    session = store.get_session(record.id)
    assert session is not None
    assert session.last_seq == 40
    assert _rows(store, Event) == 40


def test_duplicate_and_out_of_order_seqs_are_rejected(store: EventStore) -> None:
    record = store.create_session("seqs", "en", customer_informed=True)
    store.append(record.id, _events(1, 5))

    with pytest.raises(DuplicateSequenceError) as duplicate:
        store.append(record.id, _events(5, 2))  # 5 is stored, 6 would be new
    assert (duplicate.value.session_id, duplicate.value.seq, duplicate.value.last_seq) == (
        record.id,
        5,
        5,
    )
    assert duplicate.value.code == "duplicate_sequence"

    store.append(record.id, _events(8, 1))  # gaps are allowed; only the order is enforced
    with pytest.raises(SequenceError) as behind:
        store.append(record.id, _events(6, 1))  # never stored, but behind last_seq 8
    assert not isinstance(behind.value, DuplicateSequenceError)
    assert (behind.value.seq, behind.value.last_seq) == (6, 8)

    for bad_batch in (
        [StoredEvent(9, "a", 0.0), StoredEvent(9, "a", 0.0)],
        [StoredEvent(10, "a", 0.0), StoredEvent(9, "a", 0.0)],
        [StoredEvent(0, "a", 0.0)],
        [StoredEvent(-1, "a", 0.0)],
    ):
        with pytest.raises(SequenceError):
            store.append(record.id, bad_batch)

    # Nothing of a rejected batch was stored, not even its valid first events.
    assert [e.seq for e in store.events_after(record.id, 0)] == [1, 2, 3, 4, 5, 8]
    session = store.get_session(record.id)
    assert session is not None
    assert session.last_seq == 8


def test_a_batch_is_stored_whole_or_not_at_all(store: EventStore) -> None:
    record = store.create_session("atomic", "en", customer_informed=True)
    store.append(record.id, _events(1, 3))
    with pytest.raises(InvalidRecordError):
        store.append(record.id, [*_events(4, 3), StoredEvent(7, "x", 1.0, {"bad": math.nan})])
    with pytest.raises(InvalidRecordError):
        store.append(record.id, [StoredEvent(4, "x", math.inf, {})])
    with pytest.raises(InvalidRecordError):
        store.append(record.id, [StoredEvent(4, "x" * 65, 1.0, {})])
    assert _rows(store, Event) == 3
    store.append(record.id, _events(4, 3))
    assert [e.seq for e in store.events_after(record.id, 0)] == [1, 2, 3, 4, 5, 6]


def test_several_sessions_in_one_transaction_all_or_none(store: EventStore) -> None:
    a = store.create_session("a", "en", customer_informed=True)
    b = store.create_session("b", "en", customer_informed=True)
    store.append_many([(a.id, _events(1, 2)), (b.id, _events(1, 3)), (a.id, _events(3, 1))])
    assert [e.seq for e in store.events_after(a.id, 0)] == [1, 2, 3]
    assert [e.seq for e in store.events_after(b.id, 0)] == [1, 2, 3]
    # b's batch repeats a seq: a's batch before it is not stored either.
    with pytest.raises(DuplicateSequenceError):
        store.append_many([(a.id, _events(4, 2)), (b.id, _events(3, 1))])
    assert _rows(store, Event) == 6
    stored = store.get_session(a.id)
    assert stored is not None and stored.last_seq == 3
    store.append_many([(a.id, _events(4, 2)), (b.id, [])])
    assert [e.seq for e in store.events_after(a.id, 3)] == [4, 5]


def test_unknown_session(store: EventStore) -> None:
    missing = "f" * 32
    with pytest.raises(SessionNotFoundError) as error:
        store.append(missing, _events(1, 1))
    assert error.value.session_id == missing
    with pytest.raises(SessionNotFoundError):
        store.events_after(missing, 0)
    with pytest.raises(SessionNotFoundError):
        store.finalise(missing, "finished", {}, datetime.now(UTC))
    assert store.delete_session(missing) is False
    assert _rows(store, Event) == 0


def test_finalise_stores_the_analysis_and_closes_the_log(store: EventStore) -> None:
    record = store.create_session("finalise", "de", customer_informed=False)
    other = store.create_session("still running", "en", customer_informed=True)
    store.append(record.id, _events(1, 4))
    analysis = {
        "talk_s": {"seller": 61.25, "customer": 80.5},
        "interruptions": [{"at_s": 12.5, "by": "seller"}],
        "summary": "Kunde möchte Angebot bis Freitag",
        "questions": 11,
    }
    ended = datetime(2025, 3, 4, 11, 30, tzinfo=timezone(timedelta(hours=1)))
    assert {s.id for s in store.unfinished_sessions()} == {record.id, other.id}

    store.finalise(record.id, "finished", analysis, ended)

    done = store.get_session(record.id)
    assert done is not None
    assert done.status == "finished"
    assert done.analysis == analysis
    assert done.ended_at == datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    assert done.last_seq == 4
    assert [s.id for s in store.unfinished_sessions()] == [other.id]

    with pytest.raises(SessionClosedError) as closed:
        store.append(record.id, _events(5, 1))
    assert closed.value.status == "finished"
    with pytest.raises(SessionClosedError):
        store.finalise(record.id, "interrupted", {}, ended)
    assert _rows(store, Event) == 4
    finished = store.get_session(record.id)
    assert finished is not None
    assert finished.status == "finished"


def test_finalise_rejects_bad_input(store: EventStore) -> None:
    record = store.create_session("bad finalise", "en", customer_informed=True)
    with pytest.raises(InvalidRecordError):
        store.finalise(record.id, "finished", {}, datetime(2025, 1, 1))  # naive
    with pytest.raises(InvalidRecordError):
        store.finalise(record.id, "live", {}, datetime.now(UTC))  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError):
        store.finalise(record.id, "finished", {"ratio": math.nan}, datetime.now(UTC))
    with pytest.raises(InvalidRecordError):
        store.finalise(record.id, "finished", {"when": datetime.now(UTC)}, datetime.now(UTC))
    still = store.get_session(record.id)
    assert still is not None
    assert still.status == "live"
    assert still.analysis is None


def test_create_rejects_text_the_database_cannot_hold(store: EventStore) -> None:
    for title, language in (("nul\x00", "en"), ("x" * 501, "en"), ("ok", "x" * 36)):
        with pytest.raises(InvalidRecordError):
            store.create_session(title, language, customer_informed=True)
    with pytest.raises(InvalidRecordError):
        store.create_session("t", "en", True, started_at=datetime(2025, 1, 1))
    assert _rows(store, Session) == 0


def test_the_customer_is_kept_and_checked(store: EventStore) -> None:
    acme = Customer(name="Ada Lovelace", email="ada@acme.example", company="ACME")
    record = store.create_session("ACME — discovery", "en", True, customer=acme)
    assert record.customer == acme
    assert record.fields()["customer"] == {
        "name": "Ada Lovelace",
        "email": "ada@acme.example",
        "company": "ACME",
    }
    assert store.set_customer(record.id, Customer(company="Initech"))
    stored = store.get_session(record.id)
    assert stored is not None and stored.customer == Customer(company="Initech")
    assert store.set_customer(record.id, None)
    cleared = store.get_session(record.id)
    assert cleared is not None and cleared.customer is None
    assert cleared.fields()["customer"] is None
    assert not store.set_customer("0" * 32, acme)
    for bad in (Customer(email="a" * 321), Customer(name="nul\x00"), Customer(company="x" * 201)):
        with pytest.raises(InvalidRecordError):
            store.set_customer(record.id, bad)
        with pytest.raises(InvalidRecordError):
            store.create_session("t", "en", True, customer=bad)
    assert _rows(store, Session) == 1


def test_list_sessions_newest_first(store: EventStore) -> None:
    base = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    # Given in other zones: the order is by instant, not by wall time.
    tokyo = timezone(timedelta(hours=9))
    ids = {
        "oldest": store.create_session("a", "en", True, started_at=base).id,
        "newest": store.create_session(
            "c", "en", True, started_at=(base + timedelta(hours=2)).astimezone(tokyo)
        ).id,
        "middle": store.create_session(
            "b", "en", True, started_at=(base + timedelta(minutes=1)).astimezone(tokyo)
        ).id,
    }
    now = store.create_session("now", "en", True)
    listed = store.list_sessions()
    assert [s.id for s in listed] == [now.id, ids["newest"], ids["middle"], ids["oldest"]]
    assert [s.title for s in listed] == ["now", "c", "b", "a"]
    assert all(s.started_at.tzinfo is UTC for s in listed)
    assert [s.id for s in store.list_sessions(limit=2)] == [now.id, ids["newest"]]
    assert [s.id for s in store.unfinished_sessions()] == [
        ids["oldest"],
        ids["middle"],
        ids["newest"],
        now.id,
    ]


def test_delete_removes_the_session_and_all_its_events(store: EventStore) -> None:
    doomed = store.create_session("delete me", "en", customer_informed=True)
    kept = store.create_session("keep me", "en", customer_informed=True)
    store.append(doomed.id, _events(1, 30))
    store.append(kept.id, _events(1, 12))
    store.finalise(kept.id, "finished", {"talk_s": 1.0}, datetime.now(UTC))
    assert (_rows(store, Session), _rows(store, Event)) == (2, 42)

    assert store.delete_session(doomed.id) is True

    assert (_rows(store, Session), _rows(store, Event)) == (1, 12)
    assert store.get_session(doomed.id) is None
    with pytest.raises(SessionNotFoundError):
        store.events_after(doomed.id, 0)
    assert [s.id for s in store.list_sessions()] == [kept.id]
    assert len(store.events_after(kept.id, 0)) == 12
    assert store.delete_session(doomed.id) is False


def test_threads_appending_to_their_own_sessions(store: EventStore) -> None:
    sessions = [store.create_session(f"call {i}", "en", True).id for i in range(4)]

    def feed(session_id: str) -> None:
        for batch in range(25):
            store.append(session_id, _events(batch * 4 + 1, 4))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for done in [pool.submit(feed, sid) for sid in sessions]:
            done.result()  # re-raises a writer's error here
    assert _rows(store, Event) == 400
    for sid in sessions:
        assert [e.seq for e in store.events_after(sid, 0)] == list(range(1, 101))


def _race(store: EventStore, session_id: str) -> list[str]:
    """Two threads append seqs 1-3 to one session at the same moment; what each got."""
    barrier = threading.Barrier(2)

    def write() -> str:
        barrier.wait()
        try:
            store.append(session_id, _events(1, 3))
        except StoreError as exc:
            return type(exc).__name__
        return "stored"

    with ThreadPoolExecutor(max_workers=2) as pool:
        return sorted(pool.map(lambda _: write(), range(2)))


def test_two_writers_racing_for_the_same_seqs(store: EventStore) -> None:
    for _ in range(5):
        record = store.create_session("race", "en", customer_informed=True)
        assert _race(store, record.id) == ["DuplicateSequenceError", "stored"]
        assert [e.seq for e in store.events_after(record.id, 0)] == [1, 2, 3]


def test_a_database_that_cannot_be_used_raises_a_store_error(db_url: str) -> None:
    # Not migrated: no tables yet.
    with EventStore(db_url) as store, pytest.raises(StoreUnavailableError) as error:
        store.list_sessions()
    assert error.value.message == "the database is unavailable or not migrated"
    with (
        EventStore("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2") as nowhere,
        pytest.raises(StoreUnavailableError),
    ):
        nowhere.get_session("x")
