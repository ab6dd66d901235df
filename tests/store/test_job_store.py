"""Job rows on both backends: every transition once, one session per job however often a
queue delivers it."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy import func, select

from praesent.store import EventStore
from praesent.store.models import Session

ANALYSIS: dict[str, Any] = {"duration_s": 5.0, "language": "en", "utterances": []}


def _job(store: EventStore, owner_id: str | None = None) -> str:
    job_id = uuid4().hex
    store.jobs.create(job_id, "analysis", owner_id, {"mono": False}, "call.wav", f"{job_id}.wav")
    return job_id


def _sessions(store: EventStore) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Session)).scalar_one())


def test_a_job_delivered_twice_gives_one_session(store: EventStore) -> None:
    seller = store.people.create_user("ada@example.com", "seller")
    store.people.set_share_by_default(seller.id, True)
    job_id = _job(store, seller.id)
    assert store.jobs.get(job_id) is not None
    first = store.jobs.start(job_id, "w1")
    assert first is not None and first.status == "running" and first.attempts == 1
    # The first worker dies; the queue hands the job to a second one.
    again = store.jobs.start(job_id, "w2")
    assert again is not None and again.attempts == 2 and again.worker == "w2"
    session_id = store.jobs.complete(job_id, ANALYSIS, title="call.wav", audio_kept=False)
    # The first worker was only slow: its late result changes nothing.
    assert store.jobs.complete(job_id, ANALYSIS, title="call.wav", audio_kept=False) == session_id
    assert _sessions(store) == 1
    assert store.jobs.start(job_id, "w3") is None
    assert store.jobs.fail(job_id, "late error") is False
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "done" and job.error is None
    assert job.session_id == session_id and job.progress == 1.0
    assert session_id is not None
    record = store.get_session(session_id)
    assert record is not None and record.status == "finished"
    assert record.owner_id == seller.id and record.shared is True
    assert record.analysis == ANALYSIS and record.title == "call.wav"


def test_retry_then_failure_keeps_the_error(store: EventStore) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, "w1")
    store.jobs.set_progress(job_id, 0.4)
    store.jobs.retry_later(job_id, "the database went away")
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "queued" and job.error == "the database went away"
    store.jobs.start(job_id, "w1")
    assert store.jobs.fail(job_id, "bad_audio: not a recording") is True
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "failed" and job.attempts == 2
    assert job.error == "bad_audio: not a recording" and job.finished_at is not None
    assert store.jobs.start(job_id, "w2") is None
    store.jobs.forget_object(job_id)
    gone = store.jobs.get(job_id)
    assert gone is not None and gone.object_key is None
    assert _sessions(store) == 0


def test_deleting_the_session_leaves_the_job(store: EventStore) -> None:
    job_id = _job(store)
    store.jobs.start(job_id, "w1")
    session_id = store.jobs.complete(job_id, ANALYSIS, title="call.wav", audio_kept=False)
    assert session_id is not None and store.delete_session(session_id)
    job = store.jobs.get(job_id)
    assert job is not None and job.status == "done" and job.session_id is None


def test_the_summary_counts_jobs_by_state_and_dates_the_oldest_queued(store: EventStore) -> None:
    empty = store.jobs.summary()
    assert empty.by_status == {"queued": 0, "running": 0, "done": 0, "failed": 0}
    assert empty.oldest_queued_at is None
    first, second, third, fourth = (_job(store) for _ in range(4))
    store.jobs.start(second, "w1")
    store.jobs.fail(third, "bad upload")
    store.jobs.start(fourth, "w1")
    store.jobs.complete(fourth, ANALYSIS, title="call.wav", audio_kept=False)
    summary = store.jobs.summary()
    assert summary.by_status == {"queued": 1, "running": 1, "done": 1, "failed": 1}
    oldest = store.jobs.get(first)
    assert oldest is not None and summary.oldest_queued_at == oldest.created_at
