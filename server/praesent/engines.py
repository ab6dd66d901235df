"""The models, loaded once per process and shared by every analysis and session."""

from __future__ import annotations

from dataclasses import dataclass

from praesent.asr.models import resolve_model_dir
from praesent.asr.transcriber import AsrOptions, Transcriber
from praesent.audio.vad import SileroVad
from praesent.settings import Settings


@dataclass(frozen=True, slots=True)
class Engines:
    vad: SileroVad
    transcriber: Transcriber


def load_engines(settings: Settings, model: str | None = None) -> Engines:
    options = AsrOptions(
        compute_type=settings.compute_type,
        cpu_threads=settings.cpu_threads,
        beam_size=settings.beam_size,
    )
    transcriber = Transcriber(resolve_model_dir(settings, model), options)
    return Engines(vad=SileroVad(), transcriber=transcriber)
