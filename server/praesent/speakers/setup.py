"""From the user's options to a ready speaker attribution: the backend, the models, the profile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from praesent.errors import InputError
from praesent.settings import Settings
from praesent.speakers.attribution import (
    AttributionOptions,
    SpeakerAttribution,
    load_speaker_models,
)
from praesent.speakers.clustering import MAX_SPEAKERS
from praesent.speakers.profiles import open_profiles, require_profile
from praesent.speakers.roles import check_seller_rule

DIARIZERS = ("embedded", "pyannote", "none")


def speaker_attribution(
    settings: Settings,
    *,
    diarizer: str | None = None,
    seller_id: str | None = None,
    seller_rule: str = "first",
    num_speakers: int | None = None,
    pipeline: Path | None = None,
) -> Callable[[], SpeakerAttribution] | None:
    """A factory of one call's attribution, checked and loaded now (a bad option fails before
    any audio is read); None when attribution is turned off."""
    kind = diarizer or settings.diarizer
    if kind not in DIARIZERS:
        raise InputError(f"--diarizer must be one of {', '.join(DIARIZERS)}, not {kind!r}")
    if kind == "none":
        return None
    check_seller_rule(seller_rule)
    if num_speakers is not None and not 1 <= num_speakers <= MAX_SPEAKERS:
        raise InputError(f"--speakers must be 1 to {MAX_SPEAKERS}")
    models = load_speaker_models(settings)
    profile = None
    if seller_id is not None:
        with open_profiles(settings) as profiles:
            profile = require_profile(profiles, seller_id, models.embedding_model).embedding
    options = AttributionOptions(seller_rule, num_speakers, seller_id, profile)
    if kind == "pyannote":
        from praesent.speakers.pyannote_backend import PyannoteBackend

        directory = pipeline or settings.pyannote_pipeline
        if directory is None:
            raise InputError(
                "--diarizer pyannote needs --pipeline DIR (or PRAESENT_PYANNOTE_PIPELINE)"
            )
        backend = PyannoteBackend.load(directory, models.encoder, num_speakers)
        return lambda: SpeakerAttribution(backend.start(), options)
    return lambda: SpeakerAttribution.embedded(models, options)
