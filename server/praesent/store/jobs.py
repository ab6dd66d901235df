"""JobStore: background jobs' rows. Every change is one conditional UPDATE, so a job that a
queue delivers twice (a worker killed after its work, before its acknowledgement) changes state
once and produces one session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from praesent.store.errors import InvalidRecordError, translate_errors
from praesent.store.models import (
    LANGUAGE_MAX,
    NAME_MAX,
    TITLE_MAX,
    Job,
    Session,
    User,
    utc_now,
)
from praesent.store.records import JOB_STATUSES, JobRecord, JobStatus, JobSummary
from praesent.store.webhooks import write_outbox

ERROR_MAX = 2000
_OPEN = ("queued", "running")


class JobStore:
    def __init__(self, engine: Engine, *, links: str = "") -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._links = links

    def create(
        self,
        job_id: str,
        kind: str,
        owner_id: str | None,
        options: dict[str, Any],
        filename: str,
        key: str,
    ) -> JobRecord:
        row = Job(
            id=job_id,
            kind=kind,
            owner_id=owner_id,
            status="queued",
            options=options,
            filename=filename[:NAME_MAX],
            object_key=key,
            progress=0.0,
            attempts=0,
            created_at=utc_now(),
        )
        with self._transaction() as db:
            db.add(row)
        return _record(row)

    def open_count(self, owner_id: str) -> int:
        """How many of this user's jobs are queued or running."""
        stmt = select(func.count()).where(Job.owner_id == owner_id, Job.status.in_(_OPEN))
        with self._transaction() as db:
            return int(db.scalar(stmt) or 0)

    def get(self, job_id: str) -> JobRecord | None:
        with self._transaction() as db:
            row = db.get(Job, job_id)
            return None if row is None else _record(row)

    def start(self, job_id: str, worker: str) -> JobRecord | None:
        """A worker begins an attempt; None when the job is finished (or unknown): skip it."""
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.status.in_(_OPEN))
            .values(
                status="running",
                attempts=Job.attempts + 1,
                started_at=utc_now(),
                worker=worker[:NAME_MAX],
                progress=0.0,
            )
        )
        with self._transaction() as db:
            if db.connection().execute(stmt).rowcount != 1:
                return None
            row = db.get(Job, job_id)
            return None if row is None else _record(row)

    def set_progress(self, job_id: str, progress: float) -> None:
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(progress=min(max(progress, 0.0), 1.0))
        )
        with self._transaction() as db:
            db.connection().execute(stmt)

    def retry_later(self, job_id: str, error: str) -> None:
        """The attempt failed for a passing reason: back to queued, with its error."""
        self._close(job_id, "queued", error)

    def fail(self, job_id: str, error: str) -> bool:
        """No more attempts: failed with its error (a finished job stays as it is)."""
        return self._close(job_id, "failed", error, finished=True)

    def summary(self) -> JobSummary:
        """How many jobs are in each state, and when the oldest queued one was created."""
        counts = select(Job.status, func.count()).group_by(Job.status)
        oldest = select(func.min(Job.created_at)).where(Job.status == "queued")
        with self._transaction() as db:
            found = {str(status): int(n) for status, n in db.execute(counts).all()}
            oldest_queued = db.execute(oldest).scalar_one_or_none()
        by_status = {status: found.get(status, 0) for status in JOB_STATUSES}
        return JobSummary(by_status, oldest_queued)

    def forget_object(self, job_id: str) -> None:
        """The upload was deleted from the object store."""
        with self._transaction() as db:
            db.connection().execute(update(Job).where(Job.id == job_id).values(object_key=None))

    def complete(
        self, job_id: str, analysis: dict[str, Any], *, title: str, audio_kept: bool
    ) -> str | None:
        """Store the analysis as a finished session of the job's owner and mark the job done, in
        one transaction; the job's session id. A second completion of a done job stores nothing
        and returns the first one's session."""
        now = utc_now()
        claim = (
            update(Job)
            .where(Job.id == job_id, Job.status != "done")
            .values(status="done", progress=1.0, error=None, finished_at=now)
        )
        with self._transaction() as db:
            connection = db.connection()
            if connection.execute(claim).rowcount != 1:
                row = db.get(Job, job_id)
                return None if row is None else row.session_id
            job = db.get(Job, job_id)
            assert job is not None
            owner = db.get(User, job.owner_id) if job.owner_id is not None else None
            session = Session(
                id=uuid4().hex,
                title=title[:TITLE_MAX],
                started_at=job.created_at,
                ended_at=now,
                status="finished",
                language=str(analysis.get("language", "unknown"))[:LANGUAGE_MAX],
                seller_id=None,
                customer_informed=False,
                audio_kept=audio_kept,
                analysis=analysis,
                last_seq=0,
                owner_id=job.owner_id,
                shared=owner is not None and owner.share_by_default,
                send_results=None,
            )
            db.add(session)
            db.flush()
            job.session_id = session.id
            write_outbox(db, session, ["report.ready"], links=self._links)
            return session.id

    def _close(self, job_id: str, status: JobStatus, error: str, finished: bool = False) -> bool:
        stmt = (
            update(Job)
            .where(Job.id == job_id, Job.status != "done")
            .values(
                status=status, error=error[:ERROR_MAX], finished_at=utc_now() if finished else None
            )
        )
        with self._transaction() as db:
            return db.connection().execute(stmt).rowcount == 1

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        with translate_errors(), self._sessions.begin() as db:
            yield db


def _status(value: str) -> JobStatus:
    for status in JOB_STATUSES:
        if status == value:
            return status
    raise InvalidRecordError(f"unknown job status {value!r} in the database")


def _record(row: Job) -> JobRecord:
    return JobRecord(
        id=row.id,
        kind=row.kind,
        owner_id=row.owner_id,
        status=_status(row.status),
        options=row.options,
        filename=row.filename,
        object_key=row.object_key,
        progress=row.progress,
        attempts=row.attempts,
        error=row.error,
        worker=row.worker,
        session_id=row.session_id,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
