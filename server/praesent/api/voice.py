"""Sellers' voice profiles: enrol from an uploaded clip, list, delete (embeddings, never audio).

On a server with accounts a voice profile is personal: a user reaches only the profile kept under
their own id or email; any other answers 404, like another person's session.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, File, Request, UploadFile

from praesent.api.auth import Access, guard
from praesent.api.docs import errors
from praesent.api.state import app_state
from praesent.api.uploads import check_filename, limit_bytes, own_profile_ids, save
from praesent.audio.decode import check_duration, probe
from praesent.speakers.attribution import load_speaker_models
from praesent.speakers.profiles import CLIP_MAX_S, open_profiles, sample_from_clip
from praesent.store.errors import UnknownRecordError
from praesent.team.access import Rule

router = APIRouter(prefix="/v1/voice-profiles", tags=["voice profiles"])


def _own_ids(access: Access) -> tuple[str, ...] | None:
    """The seller ids this user may reach; None on a laptop without accounts (all of them)."""
    user = access.principal.user
    return None if user is None else own_profile_ids(user)


def _checked(access: Access, seller_id: str) -> str:
    own = _own_ids(access)
    if own is not None and seller_id not in own:
        raise UnknownRecordError(f"no voice profile {seller_id}")
    return seller_id


@router.get("", responses=errors(401, 403))
async def list_profiles(
    request: Request, access: Annotated[Access, guard(Rule.USER)]
) -> list[dict[str, Any]]:
    settings = app_state(request).settings
    own = _own_ids(access)

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
                if own is None or seller in own
            ]

    return await anyio.to_thread.run_sync(run)


@router.post("/{seller_id}", responses=errors(401, 403, 404, 413, 422, 503))
async def enrol(
    request: Request,
    seller_id: str,
    file: Annotated[UploadFile, File(description="A clip of the seller's voice alone")],
    access: Annotated[Access, guard(Rule.USER)],
) -> dict[str, Any]:
    _checked(access, seller_id)
    check_filename(file)
    state = app_state(request)
    directory = Path(tempfile.mkdtemp(prefix="praesent-voice-"))
    try:
        target = directory / f"clip{Path(file.filename or 'clip').suffix[:10]}"
        await save(file, target, limit_bytes(state))

        def run() -> dict[str, Any]:
            check_duration(probe(target), CLIP_MAX_S)
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


@router.delete("/{seller_id}", responses=errors(401, 403, 404))
async def delete(
    request: Request, seller_id: str, access: Annotated[Access, guard(Rule.USER)]
) -> dict[str, Any]:
    _checked(access, seller_id)
    settings = app_state(request).settings

    def run() -> int:
        with open_profiles(settings) as profiles:
            return profiles.delete(seller_id)

    return {"seller_id": seller_id, "deleted_samples": await anyio.to_thread.run_sync(run)}
