"""pyannote.audio's own ``SpeakerDiarization`` pipeline as the accurate backend, loaded from a
local directory the user supplies (nothing is downloaded). Install with
``pip install 'praesent[pyannote]'`` (it brings torch).

pyannote.audio works on the whole recording, so this backend holds the call's audio in memory
(64 kB per second of audio); the embedded diarizer streams. The voice profiles are matched with
praesent's own voice encoder on each speaker's speech, so a profile works with either backend."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from praesent.errors import InputError, ModelError
from praesent.speakers.diarizer import Diarization
from praesent.speakers.encoder import SpeakerEncoder
from praesent.speakers.reconstruction import SpeakerTurn
from praesent.speakers.segmentation import SAMPLE_RATE

# At most this much of a speaker's speech (without overlap) goes into their centroid.
_CENTROID_SPEECH_S = 60.0


def _pipeline_file(directory: Path) -> Path:
    if directory.is_file():
        return directory
    config = directory / "config.yaml"
    if not config.is_file():
        raise InputError(f"{directory}: not a pyannote.audio pipeline (no config.yaml)")
    return config


@dataclass(frozen=True, slots=True)
class PyannoteBackend:
    """A loaded pipeline, shared by calls; :meth:`start` begins one call."""

    pipeline: Any
    encoder: SpeakerEncoder
    num_speakers: int | None

    @classmethod
    def load(
        cls, directory: Path, encoder: SpeakerEncoder, num_speakers: int | None = None
    ) -> PyannoteBackend:
        config = _pipeline_file(directory.expanduser())
        # Nothing is fetched at run time: a pipeline that names a hub model fails here.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from pyannote.audio import Pipeline
        except ImportError:
            raise ModelError(
                "the pyannote backend needs pyannote.audio: pip install 'praesent[pyannote]'"
            ) from None
        try:
            pipeline = Pipeline.from_pretrained(config)
        except Exception as error:  # noqa: BLE001 - pyannote raises whatever its loaders raise
            raise ModelError(f"cannot load the pyannote pipeline {config}: {error}") from None
        if pipeline is None:
            raise ModelError(f"cannot load the pyannote pipeline {config}")
        return cls(pipeline, encoder, num_speakers)

    def start(self) -> PyannoteCall:
        return PyannoteCall(self)


class PyannoteCall:
    def __init__(self, backend: PyannoteBackend) -> None:
        self._backend = backend
        self._blocks: list[np.ndarray] = []

    def push(self, audio: np.ndarray) -> None:
        self._blocks.append(np.asarray(audio, np.float32).copy())

    def finish(self) -> Diarization:
        import torch

        audio = np.concatenate(self._blocks) if self._blocks else np.zeros(0, np.float32)
        self._blocks = []
        options = (
            {}
            if self._backend.num_speakers is None
            else {"num_speakers": self._backend.num_speakers}
        )
        waveform = torch.from_numpy(audio)[None, :]
        output = self._backend.pipeline(
            {"waveform": waveform, "sample_rate": SAMPLE_RATE}, **options
        )
        # pyannote.audio 4 returns an object holding the annotation; 3 the annotation itself.
        annotation = getattr(output, "speaker_diarization", output)
        labelled = [
            (segment.start, segment.end, str(label))
            for segment, _, label in annotation.itertracks(yield_label=True)
        ]
        return diarization_from_labels(labelled, audio, self._backend.encoder)


def diarization_from_labels(
    labelled: list[tuple[float, float, str]], audio: np.ndarray, encoder: SpeakerEncoder
) -> Diarization:
    """Turns in seconds with any labels -> speakers numbered by first speech, each with a
    centroid from praesent's encoder over their speech that no one else overlaps."""
    labelled = sorted(labelled)
    order: list[str] = []
    for _, _, label in labelled:
        if label not in order:
            order.append(label)
    turns = tuple(
        SpeakerTurn(
            order.index(label),
            round(start * SAMPLE_RATE),
            min(round(end * SAMPLE_RATE), audio.shape[0]),
        )
        for start, end, label in labelled
    )
    busy = np.zeros(audio.shape[0], np.int16)
    for turn in turns:
        busy[turn.start_sample : turn.end_sample] += 1
    speech: list[np.ndarray] = []
    limit = round(_CENTROID_SPEECH_S * SAMPLE_RATE)
    for speaker in range(len(order)):
        mask = np.zeros(audio.shape[0], bool)
        for turn in turns:
            if turn.speaker == speaker:
                mask[turn.start_sample : turn.end_sample] = True
        alone = audio[mask & (busy == 1)]
        speech.append((alone if alone.shape[0] else audio[mask])[:limit])
    centroids = encoder.embed(speech) if speech else np.zeros((0, encoder.dimension), np.float32)
    return Diarization(turns, centroids, int(audio.shape[0]))
