"""Speaker attribution of a one-channel call: diarize while the audio streams by, then give every
speaker a role, split the transcript at speaker changes and hand the analysis role timelines, as
if the call had come on two channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from praesent.asr.models import installed_model_dir
from praesent.asr.transcriber import Span, TimedWord
from praesent.audio.vad import SpeechEdge
from praesent.core.facts import Role
from praesent.settings import Settings
from praesent.speakers.diarizer import Diarization, Diarizer, DiarizerOptions
from praesent.speakers.encoder import SpeakerEncoder, VoiceEncoder
from praesent.speakers.reconstruction import SpeakerTurn
from praesent.speakers.roles import SellerChoice, choose_seller, speaker_name
from praesent.speakers.segmentation import SAMPLE_RATE, Segmentation

SPEAKER_MODEL = "speakers"
# The name stored with each voice sample: profiles of another encoder are not comparable.
EMBEDDING_MODEL = "resemblyzer-ge2e-0.1.4"


@dataclass(frozen=True, slots=True)
class SpeakerModels:
    segmentation: Segmentation
    encoder: SpeakerEncoder
    embedding_model: str


@cache
def _load(directory: Path) -> SpeakerModels:
    return SpeakerModels(
        Segmentation(directory / "segmentation-3.0.onnx"),
        VoiceEncoder(directory / "voice-encoder.pt"),
        EMBEDDING_MODEL,
    )


def load_speaker_models(settings: Settings) -> SpeakerModels:
    """The packaged segmentation and voice encoder, loaded once per process."""
    return _load(installed_model_dir(settings, SPEAKER_MODEL))


class DiarizationBackend(Protocol):
    def push(self, audio: np.ndarray) -> None: ...

    def finish(self) -> Diarization: ...


@dataclass(frozen=True, slots=True)
class AttributionOptions:
    seller_rule: str = "first"
    num_speakers: int | None = None
    seller_id: str | None = None
    profile: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class AttributedCall:
    diarization: Diarization
    roles: tuple[Role, ...]  # per speaker
    choice: SellerChoice
    seller_id: str | None

    def role_of(self, speaker: int) -> Role:
        return self.roles[speaker]

    def talk_s(self) -> list[float]:
        return _talk_s(self.diarization)

    def role_edges(self) -> list[tuple[Role, list[SpeechEdge]]]:
        """Each role's speech as start/stop edges: the union of its speakers' turns."""
        result: list[tuple[Role, list[SpeechEdge]]] = []
        for role in ("seller", "customer"):
            spans = sorted(
                (t.start_sample, t.end_sample)
                for t in self.diarization.turns
                if self.roles[t.speaker] == role
            )
            edges: list[SpeechEdge] = []
            for start, end in spans:
                if edges and start <= edges[-1].sample:
                    last = edges.pop()
                    edges.append(SpeechEdge("stop", max(last.sample, end)))
                else:
                    edges += [SpeechEdge("start", start), SpeechEdge("stop", end)]
            result.append((role, edges))
        return result

    def speaker_at(self, start: int, end: int) -> int | None:
        """The speaker who speaks most of [start, end); the nearest turn's when nobody does."""
        turns = self.diarization.turns
        if not turns:
            return None
        overlap = np.zeros(self.diarization.speakers)
        for turn in turns:
            overlap[turn.speaker] += max(
                0, min(end, turn.end_sample) - max(start, turn.start_sample)
            )
        if overlap.max() > 0:
            return int(np.argmax(overlap))
        middle = (start + end) / 2
        nearest = min(
            turns, key=lambda t: min(abs(t.start_sample - middle), abs(t.end_sample - middle))
        )
        return nearest.speaker

    def split_utterances(
        self, utterances: Sequence[tuple[Span, Sequence[TimedWord]]]
    ) -> list[tuple[Role, Span, list[TimedWord]]]:
        """Each transcribed span cut where the speaker changes between its words."""
        result: list[tuple[Role, Span, list[TimedWord]]] = []
        for span, words in utterances:
            pieces: list[tuple[int, list[TimedWord]]] = []
            for word in words:
                speaker = self.speaker_at(word.start_sample, word.end_sample)
                if speaker is None:
                    continue
                if pieces and pieces[-1][0] == speaker:
                    pieces[-1][1].append(word)
                else:
                    pieces.append((speaker, [word]))
            for speaker, piece in pieces:
                start = piece[0].start_sample if len(pieces) > 1 else span.start_sample
                end = piece[-1].end_sample if len(pieces) > 1 else span.end_sample
                empty = np.zeros(0, np.float32)
                result.append((self.roles[speaker], Span(start, end, empty, start), piece))
        return result

    def annotate(self, result: dict[str, Any]) -> dict[str, Any]:
        """The two-role analysis, marked as attributed: speakers, their turns and roles."""
        talk = self.talk_s()
        speakers = []
        for index, seconds in enumerate(talk):
            entry: dict[str, Any] = {
                "speaker": speaker_name(index),
                "role": self.roles[index],
                "talk_s": round(seconds, 3),
            }
            if self.choice.similarities is not None:
                entry["profile_similarity"] = self.choice.similarities[index]
            speakers.append(entry)
        result["mode"] = "mono"
        result["roles_from"] = "attribution"
        result["seller_from"] = self.choice.seller_from
        if self.seller_id is not None:
            result["seller_id"] = self.seller_id
        result["speakers"] = speakers
        result["segments"] = [
            {
                "speaker": speaker_name(turn.speaker),
                "role": self.roles[turn.speaker],
                "start_s": round(turn.start_sample / SAMPLE_RATE, 3),
                "end_s": round(turn.end_sample / SAMPLE_RATE, 3),
            }
            for turn in self.diarization.turns
        ]
        for utterance in result.get("utterances", []):
            start = round(utterance["start_s"] * SAMPLE_RATE)
            end = round(utterance["end_s"] * SAMPLE_RATE)
            speaker = self._speaker_in_role(start, end, utterance["role"])
            if speaker is not None:
                utterance["speaker"] = speaker_name(speaker)
        return result

    def _speaker_in_role(self, start: int, end: int, role: str) -> int | None:
        candidates = [i for i, r in enumerate(self.roles) if r == role]
        if len(candidates) == 1:
            return candidates[0]
        speaker = self.speaker_at(start, end)
        return speaker if speaker in candidates else (candidates[0] if candidates else None)


def _talk_s(diarization: Diarization) -> list[float]:
    talk = [0.0] * diarization.speakers
    for turn in diarization.turns:
        talk[turn.speaker] += (turn.end_sample - turn.start_sample) / SAMPLE_RATE
    return talk


class SpeakerAttribution:
    """One call's attribution: fed the mono audio as it is decoded, finished once."""

    def __init__(
        self,
        backend: DiarizationBackend,
        options: AttributionOptions,
    ) -> None:
        self._backend = backend
        self.options = options

    @classmethod
    def embedded(cls, models: SpeakerModels, options: AttributionOptions) -> SpeakerAttribution:
        diarizer = Diarizer(
            models.segmentation,
            models.encoder,
            DiarizerOptions(num_speakers=options.num_speakers),
        )
        return cls(diarizer, options)

    def push(self, audio: np.ndarray) -> None:
        self._backend.push(audio)

    def finish(self) -> AttributedCall:
        diarization = self._backend.finish()
        talk = _talk_s(diarization)
        profile = None if self.options.profile is None else np.asarray(self.options.profile)
        choice = choose_seller(diarization.centroids, talk, self.options.seller_rule, profile)
        roles: tuple[Role, ...] = tuple(
            "seller" if index == choice.seller else "customer" for index in range(len(talk))
        )
        return AttributedCall(diarization, roles, choice, self.options.seller_id)


__all__ = [
    "AttributedCall",
    "AttributionOptions",
    "SpeakerAttribution",
    "SpeakerModels",
    "SpeakerTurn",
    "load_speaker_models",
]
