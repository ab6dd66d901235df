"""The models, loaded once per process and shared by every analysis and session."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from praesent.asr.device import resolve_device
from praesent.asr.models import installed_model_dir, packaged_models, resolve_model_dir
from praesent.asr.transcriber import AsrOptions, Transcriber
from praesent.audio.fused import FusedSpeech, Fusion, SegmentationSpeech
from praesent.audio.vad import SileroVad
from praesent.audio.vad_batch import BatchedVad
from praesent.errors import ModelError
from praesent.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Engines:
    vad: SileroVad
    transcriber: Transcriber
    # Cheaper models for live previews, by language (see Settings.preview_model).
    previews: dict[str, Transcriber] = field(default_factory=dict)
    # Speech decided by Silero and segmentation-3.0 together (None: Silero alone).
    fused: FusedSpeech | None = None
    # The same voice activity for many channels in one inference (a server's live rounds;
    # None: not loaded, reading its graph takes a second).
    vad_batch: BatchedVad | None = None


def load_engines(settings: Settings, model: str | None = None, previews: bool = False) -> Engines:
    """The models; ``previews``: also what a server's live calls use besides, the preview model
    and voice activity for many calls in one inference. Raises
    ``DeviceError`` where the configured device cannot run Whisper."""
    whisper = resolve_device(settings.device, settings.compute_type)
    options = AsrOptions(
        device=whisper.device,
        compute_type=whisper.compute_type,
        cpu_threads=settings.cpu_threads,
        beam_size=settings.beam_size,
    )
    transcriber = Transcriber(resolve_model_dir(settings, model), options)
    loaded = _preview_models(settings, options) if previews else {}
    fused = fused_or_none(settings)
    # Rewritten once per models folder (praesent/audio/vad_batch.py).
    batched = BatchedVad(cache_dir=settings.model_root / ".cache") if previews else None
    return Engines(
        vad=SileroVad(),
        transcriber=transcriber,
        previews=loaded,
        fused=fused,
        vad_batch=batched,
    )


def fused_or_none(settings: Settings) -> FusedSpeech | None:
    """The fused detector where ``PRAESENT_VAD=fused``."""
    if settings.vad != "fused":
        return None
    try:
        return load_fused(settings)
    except ModelError as error:
        if "vad" in settings.model_fields_set:
            raise
        # The default without the speaker models (a plain pip install): Silero alone.
        log.warning("voice activity by Silero alone: %s", error)
        return None


def segmentation_speech(settings: Settings) -> SegmentationSpeech:
    """Segmentation-3.0 from the packaged speaker models."""
    from praesent.speakers.attribution import SPEAKER_MODEL

    directory = installed_model_dir(settings, SPEAKER_MODEL)
    return SegmentationSpeech(directory / "segmentation-3.0.onnx")


def load_fused(settings: Settings) -> FusedSpeech:
    """Segmentation-3.0 with the committed fusion."""
    return FusedSpeech(segmentation_speech(settings), Fusion.load())


def _preview_models(settings: Settings, options: AsrOptions) -> dict[str, Transcriber]:
    name = settings.preview_model
    known = packaged_models(settings)
    if not name or name == settings.model or name not in known or known[name].multilingual:
        return {}
    try:
        preview = Transcriber(installed_model_dir(settings, name), options)
    except ModelError as error:
        # Previews fall back to the call's model: slower, but nothing is missing.
        log.info("live previews use %s: %s", settings.model, error)
        return {}
    return dict.fromkeys(known[name].languages, preview)
