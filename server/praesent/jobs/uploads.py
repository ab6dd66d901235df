"""The analysis of an uploaded recording as a job: what a worker does with a job id.

Idempotent: a job that is done or failed is skipped, and its result is stored once
(``JobStore.complete``), so a message delivered twice produces one session."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from praesent.analysis import AnalysisRequest, analyse_file, parse_channels
from praesent.asr.language import language_prior
from praesent.engines import Engines
from praesent.errors import InputError, PraesentError
from praesent.jobs.objects import ObjectStore
from praesent.settings import Settings
from praesent.speakers.setup import speaker_attribution
from praesent.store import EventStore, JobRecord
from praesent.summaries_llm import options_from_settings, with_abstractive_summaries

log = logging.getLogger(__name__)

KIND = "analysis"
# Progress is written to the database in steps of this much of the recording.
_PROGRESS_STEP = 0.05


def analysis_request(settings: Settings, options: dict[str, Any]) -> AnalysisRequest:
    """The request ``praesent analyze`` would build from the same options."""
    mono = bool(options.get("mono"))
    roles = () if mono else parse_channels(str(options.get("channels") or "seller,customer"))
    attribution = None
    if mono:
        attribution = speaker_attribution(
            settings,
            diarizer=options.get("diarizer"),
            seller_id=options.get("seller"),
            seller_rule=str(options.get("seller_speaker") or "first"),
            num_speakers=options.get("speakers"),
        )
    return AnalysisRequest(
        channel_roles=roles,
        mono=mono,
        language=str(options.get("language") or settings.language),
        language_prior=language_prior(
            str(options.get("language_prior") or "") or None, settings.language
        ),
        speakers=attribution,
        max_duration_s=settings.max_upload_hours * 3600,
    )


def object_key(job_id: str, filename: str) -> str:
    return f"{job_id}{Path(filename).suffix[:10].lower()}"


def _message(error: BaseException) -> str:
    if isinstance(error, PraesentError):
        return error.message
    return f"{type(error).__name__}: {error}"


@dataclass
class UploadJobs:
    """Runs analysis jobs in one worker process, with its once-loaded models."""

    settings: Settings
    store: EventStore
    objects: ObjectStore
    engines: Engines
    worker: str

    @property
    def max_attempts(self) -> int:
        # Retries after errors, plus room for workers killed in the middle (a job that kills
        # every worker that takes it must end some time).
        return self.settings.job_retries + 3

    def run(self, job_id: str, retries_so_far: int = 0) -> None:
        job = self.store.jobs.start(job_id, self.worker)
        if job is None:
            self._after_finished(job_id)
            return
        if job.attempts > self.max_attempts:
            self._give_up(job, f"a worker stopped during each of {job.attempts - 1} attempts")
            return
        log.info("job %s: attempt %d on %s", job.id, job.attempts, self.worker)
        try:
            result = self._analyse(job)
            session_id = self.store.jobs.complete(
                job.id, result, title=job.filename, audio_kept=self.settings.keep_audio
            )
            if session_id is not None:
                # A team that keeps figures only keeps no words of the call from here on.
                self.store.keep_figures_only_if_due(session_id)
        except InputError as error:
            self._give_up(job, error.message)
            raise
        except Exception as error:
            if retries_so_far >= self.settings.job_retries:
                self._give_up(job, _message(error))
            else:
                self.store.jobs.retry_later(job.id, _message(error))
            raise
        except BaseException:
            # The queue's time limit interrupts the thread with a BaseException.
            self._give_up(job, f"the analysis took longer than {self.settings.job_time_limit_s} s")
            raise
        self._drop_audio(job)
        log.info("job %s: done", job.id)

    def _analyse(self, job: JobRecord) -> dict[str, Any]:
        if job.object_key is None:
            raise InputError("the upload of this job is gone")
        request = analysis_request(self.settings, job.options)
        step = [0.0]

        def progress(done_s: float, total_s: float) -> None:
            fraction = done_s / total_s if total_s > 0 else 0.0
            if fraction - step[0] >= _PROGRESS_STEP:
                step[0] = fraction
                self.store.jobs.set_progress(job.id, fraction)

        with tempfile.TemporaryDirectory(prefix="praesent-job-") as directory:
            path = Path(directory) / f"upload{Path(job.object_key).suffix}"
            self.objects.get(job.object_key, path)
            result = analyse_file(path, request, self.engines, progress)
        return with_abstractive_summaries(result, options_from_settings(self.settings))

    def _after_finished(self, job_id: str) -> None:
        """A delivery of a finished job (a worker died before its acknowledgement): at most the
        audio is left to delete."""
        job = self.store.jobs.get(job_id)
        if job is None:
            log.warning("job %s: not in the database; dropped", job_id)
            return
        log.info("job %s: already %s; skipped", job.id, job.status)
        self._drop_audio(job)

    def _give_up(self, job: JobRecord, error: str) -> None:
        log.warning("job %s failed: %s", job.id, error)
        self.store.jobs.fail(job.id, error)
        self._drop_audio(job)

    def _drop_audio(self, job: JobRecord) -> None:
        if job.object_key is None or self.settings.keep_audio:
            return
        self.objects.delete(job.object_key)
        self.store.jobs.forget_object(job.id)
