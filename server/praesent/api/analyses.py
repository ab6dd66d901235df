"""POST /v1/analyses: analyse an uploaded recording, the same JSON as ``praesent analyze``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.api.auth import Access, guard
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.api.uploads import AnalysisUpload, analysis_upload, save
from praesent.asr.language import call_setting, language_prior
from praesent.audio.decode import check_duration, probe
from praesent.errors import InputError
from praesent.summaries_llm import options_from_settings, with_abstractive_summaries
from praesent.team.access import Rule

router = APIRouter(prefix="/v1", tags=["analyses"])


@router.post("/analyses", responses=errors(401, 403, 413, 422, 503))
async def create_analysis(
    request: Request,
    access: Annotated[Access, guard(Rule.USER)],
    upload: Annotated[AnalysisUpload, Depends(analysis_upload)],
) -> dict[str, Any]:
    upload.check_seller(access.principal)
    state = app_state(request)
    user = access.principal.user
    attribution = await anyio.to_thread.run_sync(upload.attribution, state.settings)
    analysis = AnalysisRequest(
        channel_roles=upload.roles,
        mono=upload.mono,
        language=call_setting(
            upload.language, user.call_language if user else None, state.settings.language
        ),
        language_prior=language_prior(
            user.call_language if user else None, state.settings.language
        ),
        speakers=attribution,
        max_duration_s=state.settings.max_upload_hours * 3600,
    )
    directory = Path(tempfile.mkdtemp(prefix="praesent-upload-"))
    try:
        suffix = Path(upload.file.filename or "upload").suffix[:10]
        target = directory / f"upload{suffix}"
        await save(upload.file, target, upload.limit)
        if target.stat().st_size == 0:
            raise InputError("the uploaded file is empty")

        # Too long by its header: refused before it waits for its turn.
        info = await anyio.to_thread.run_sync(probe, target)
        check_duration(info, analysis.max_duration_s)

        def run() -> dict[str, Any]:
            result = analyse_file(target, analysis, state.engines)
            return with_abstractive_summaries(result, options_from_settings(state.settings))

        # The local owner of a laptop is one user.
        async with state.uploads.turn(access.user_id or ""):
            return await anyio.to_thread.run_sync(run, limiter=state.inference_limiter)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
