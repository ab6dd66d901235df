"""Sellers' voice profiles: enrol from an uploaded clip, list, delete (embeddings, never audio)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Request, UploadFile

from praesent.api.analyses import _limit_bytes, _save
from praesent.api.state import app_state
from praesent.audio.decode import probe
from praesent.speakers.attribution import load_speaker_models
from praesent.speakers.profiles import open_profiles, sample_from_clip

router = APIRouter(prefix="/v1/voice-profiles", tags=["voice profiles"])


@router.get("")
async def list_profiles(request: Request) -> list[dict[str, Any]]:
    settings = app_state(request).settings

    def run() -> list[dict[str, Any]]:
        with open_profiles(settings) as profiles:
            return [
                {
                    "seller_id": seller,
                    "model": model,
                    "samples": samples,
                    "speech_s": speech_s,
                    "updated_at": updated.isoformat(),
                }
                for seller, model, samples, speech_s, updated in profiles.list_profiles()
            ]

    return await anyio.to_thread.run_sync(run)


@router.post("/{seller_id}")
async def enrol(
    request: Request,
    seller_id: str,
    file: Annotated[UploadFile, File(description="A clip of the seller's voice alone")],
) -> dict[str, Any]:
    state = app_state(request)
    directory = Path(tempfile.mkdtemp(prefix="praesent-voice-"))
    try:
        target = directory / f"clip{Path(file.filename or 'clip').suffix[:10]}"
        await _save(file, target, _limit_bytes(state))

        def run() -> dict[str, Any]:
            probe(target)
            models = load_speaker_models(state.settings)
            sample = sample_from_clip(models, target)
            with open_profiles(state.settings) as profiles:
                profiles.add_sample(
                    seller_id,
                    sample.embedding,
                    sample.speech_s,
                    "enrolment",
                    models.embedding_model,
                )
                profile = profiles.profile(seller_id, models.embedding_model)
            samples = profile.samples if profile else 1
            return {"seller_id": seller_id, "speech_s": sample.speech_s, "samples": samples}

        return await anyio.to_thread.run_sync(run, limiter=state.inference_limiter)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@router.delete("/{seller_id}")
async def delete(request: Request, seller_id: str) -> dict[str, Any]:
    settings = app_state(request).settings

    def run() -> int:
        with open_profiles(settings) as profiles:
            return profiles.delete(seller_id)

    return {"seller_id": seller_id, "deleted_samples": await anyio.to_thread.run_sync(run)}
