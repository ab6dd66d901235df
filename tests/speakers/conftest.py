from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from praesent.settings import Settings
from praesent.speakers.attribution import SpeakerModels, load_speaker_models
from praesent.speakers.diarizer import Diarization, Diarizer, DiarizerOptions
from tests.speakers.calls import speaker_clip, three_speaker_call
from tests.support import read_wav, shared


@pytest.fixture(scope="session")
def speaker_models(settings: Settings) -> SpeakerModels:
    """The packaged segmentation and voice encoder (`praesent models pull speakers`)."""
    return load_speaker_models(settings)


@pytest.fixture(scope="session")
def speaker_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speakers")
    three_speaker_call(folder)
    speaker_clip(folder, "speaker90", "diane.wav")
    return folder


def diarize(models: SpeakerModels, path: Path, num_speakers: int | None = None) -> Diarization:
    audio = read_wav(path)[:, 0].astype(np.float32) / 32768
    options = DiarizerOptions(num_speakers=num_speakers)
    diarizer = Diarizer(models.segmentation, models.encoder, options)
    for start in range(0, audio.shape[0], 8 * 16_000):  # as decoded: 8 s blocks
        diarizer.push(audio[start : start + 8 * 16_000])
    return diarizer.finish()


@pytest.fixture(scope="session")
def phonecall_diarization(speaker_models: SpeakerModels) -> Diarization:
    return diarize(speaker_models, shared("en-phonecall-2spk/sample.wav"))
