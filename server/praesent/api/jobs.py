"""POST /v1/jobs and GET /v1/jobs/{id}: an upload analysed in the background by `praesent
worker`, the result stored as a session of the uploader. Needs a queue (PRAESENT_REDIS_URL);
without one POST answers 503 and POST /v1/analyses analyses in the request instead."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any
from uuid import uuid4

import anyio
from fastapi import APIRouter, Depends, Request, Response

from praesent.api.auth import Access, NotFoundError, guard
from praesent.api.docs import errors
from praesent.api.state import AppState, app_state
from praesent.api.uploads import AnalysisUpload, analysis_upload, save
from praesent.asr.language import call_setting, language_prior
from praesent.audio.decode import check_duration, probe
from praesent.errors import ChannelError, InputError, QueueUnavailableError, QuotaError
from praesent.jobs.uploads import KIND, object_key
from praesent.store import JobRecord
from praesent.team.access import Rule

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def _view(state: AppState, job: JobRecord) -> dict[str, Any]:
    view = job.fields()
    if job.status == "done" and job.session_id is not None:
        record = state.sessions.store.get_session(job.session_id)
        view["analysis"] = None if record is None else record.analysis
        view["session_url"] = f"/v1/sessions/{job.session_id}"
        view["report_url"] = f"/v1/sessions/{job.session_id}/report"
    return view


def _enqueue(state: AppState, job: JobRecord, upload: Path) -> None:
    """Blocking: the upload into the object store, the job's row, then its message."""
    queue = state.job_queue
    assert queue is not None and job.object_key is not None
    state.objects.put(job.object_key, upload)
    try:
        queue.send(job.id)
    except QueueUnavailableError:
        state.sessions.store.jobs.fail(job.id, "the queue was unavailable when it was uploaded")
        state.objects.delete(job.object_key)
        raise


async def _check_quota(state: AppState, user_id: str) -> None:
    """A user has at most ``max_queued_jobs`` uploads queued or running at once: the queue is
    first come, first served, so this bounds how long one user's uploads hold up another's."""
    open_now = await anyio.to_thread.run_sync(state.sessions.store.jobs.open_count, user_id)
    if open_now >= state.settings.max_queued_jobs:
        raise QuotaError(
            f"you already have {open_now} uploads waiting or under way, the most one person "
            "may have at once; wait for one to finish"
        )


@router.post("", status_code=202, responses=errors(401, 403, 413, 422, 429, 503))
async def create_job(
    request: Request,
    response: Response,
    access: Annotated[Access, guard(Rule.USER)],
    upload: Annotated[AnalysisUpload, Depends(analysis_upload)],
) -> dict[str, Any]:
    """Queue the analysis of a recording (the options of `praesent analyze`); 202 with the
    job's id and its address in ``Location``. The upload is checked first (it decodes, its
    channels fit), so a bad file fails here and not later in a worker."""
    upload.check_seller(access.principal)
    state = app_state(request)
    filename = Path(upload.file.filename or "upload").name or "upload"
    directory = Path(tempfile.mkdtemp(prefix="praesent-upload-"))
    try:
        target = directory / "upload"
        await save(upload.file, target, upload.limit)
        if target.stat().st_size == 0:
            raise InputError("the uploaded file is empty")
        info = await anyio.to_thread.run_sync(probe, target)
        check_duration(info, state.settings.max_upload_hours * 3600)
        if not upload.mono and info.channels != len(upload.roles):
            raise ChannelError(
                f"{filename} has {info.channels} channel(s) but channels names "
                f"{len(upload.roles)}; name every channel (- skips one) or use mono"
            )
        # Bad attribution options (a diarizer, a seller without a profile) fail here too.
        await anyio.to_thread.run_sync(upload.attribution, state.settings)
        if state.job_queue is None:
            raise QueueUnavailableError(
                "background jobs need a queue (PRAESENT_REDIS_URL) and `praesent worker`; "
                "POST /v1/analyses analyses a recording in the request"
            )
        user = access.principal.user
        if user is not None:
            await _check_quota(state, user.id)
        # The language as POST /v1/analyses takes it: the upload's, else the seller's setting.
        language = call_setting(
            upload.language, user.call_language if user else None, state.settings.language
        )
        prior = language_prior(user.call_language if user else None, state.settings.language)
        options = {**upload.options(), "language": language, "language_prior": prior}
        job_id = uuid4().hex
        store = state.sessions.store
        job = await anyio.to_thread.run_sync(
            lambda: store.jobs.create(
                job_id, KIND, access.user_id, options, filename, object_key(job_id, filename)
            )
        )
        await anyio.to_thread.run_sync(_enqueue, state, job, target)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job.fields()


@router.get("/{job_id}", responses=errors(401, 403, 404, 503))
async def get_job(
    request: Request, job_id: str, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    """The job's ``status`` (queued, running, done, failed), ``progress`` (0 to 1 of the
    recording), ``attempts``, the ``error`` of its last attempt, and when done the
    ``analysis`` with the session that holds it. Only the uploader sees a job."""
    state = app_state(request)
    store = state.sessions.store
    job = await anyio.to_thread.run_sync(store.jobs.get, job_id)
    if job is None or job.owner_id != access.user_id:
        raise NotFoundError(f"no job {job_id}")
    return await anyio.to_thread.run_sync(_view, state, job)
