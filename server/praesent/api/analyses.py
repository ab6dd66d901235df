"""POST /v1/analyses: analyse an uploaded recording, the same JSON as ``praesent analyze``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Form, Request, UploadFile

from praesent.analysis import AnalysisRequest, analyse_file, parse_channels
from praesent.api.auth import Access, guard
from praesent.api.docs import errors
from praesent.api.state import AppState, app_state
from praesent.asr.language import call_setting
from praesent.audio.decode import probe
from praesent.errors import InputError, TooLargeError
from praesent.speakers.setup import speaker_attribution
from praesent.summaries_llm import options_from_settings, with_abstractive_summaries
from praesent.team.access import Rule

router = APIRouter(prefix="/v1", tags=["analyses"])
_COPY_CHUNK = 1 << 20


def _limit_bytes(state: AppState) -> int:
    return state.settings.max_upload_mb * 1024 * 1024


def _check_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise TooLargeError(f"the upload is over the limit of {limit // (1024 * 1024)} MB")


async def _save(upload: UploadFile, target: Path, limit: int) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := await upload.read(_COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                raise TooLargeError(f"the upload is over the limit of {limit // (1024 * 1024)} MB")
            out.write(chunk)


@router.post("/analyses", responses=errors(401, 403, 413, 422, 503))
async def create_analysis(
    request: Request,
    access: Annotated[Access, guard(Rule.USER)],
    file: Annotated[
        UploadFile, File(description="The recording", json_schema_extra={"minLength": 1})
    ],
    channels: Annotated[str, Form()] = "seller,customer",
    mono: Annotated[bool, Form()] = False,
    language: Annotated[
        str | None, Form(description="auto, de, en; default: your setting, else the server's")
    ] = None,
    seller: Annotated[str | None, Form(description="mono: the seller's voice profile")] = None,
    seller_speaker: Annotated[str, Form(description="mono: first, most or S2")] = "first",
    speakers: Annotated[int | None, Form(description="mono: how many speakers")] = None,
    diarizer: Annotated[str | None, Form(description="mono: embedded, pyannote, none")] = None,
) -> dict[str, Any]:
    state = app_state(request)
    user = access.principal.user
    limit = _limit_bytes(state)
    _check_declared_size(request, limit)
    roles = () if mono else parse_channels(channels)
    attribution = None
    if mono:
        attribution = await anyio.to_thread.run_sync(
            lambda: speaker_attribution(
                state.settings,
                diarizer=diarizer,
                seller_id=seller,
                seller_rule=seller_speaker,
                num_speakers=speakers,
            )
        )
    analysis = AnalysisRequest(
        channel_roles=roles,
        mono=mono,
        language=call_setting(
            language, user.call_language if user else None, state.settings.language
        ),
        speakers=attribution,
    )
    directory = Path(tempfile.mkdtemp(prefix="praesent-upload-"))
    try:
        suffix = Path(file.filename or "upload").suffix[:10]
        target = directory / f"upload{suffix}"
        await _save(file, target, limit)
        if target.stat().st_size == 0:
            raise InputError("the uploaded file is empty")

        def run() -> dict[str, Any]:
            probe(target)
            result = analyse_file(target, analysis, state.engines)
            return with_abstractive_summaries(result, options_from_settings(state.settings))

        return await anyio.to_thread.run_sync(run, limiter=state.inference_limiter)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
