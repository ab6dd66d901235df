"""Sellers' voice profiles: enrolment from a clip of one voice, samples from the seller's own
channel of two-channel calls, and the profile a mono analysis matches speakers against."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from praesent.audio.decode import iter_blocks
from praesent.errors import InputError
from praesent.settings import Settings
from praesent.speakers.attribution import SpeakerModels, load_speaker_models
from praesent.speakers.diarizer import Diarizer
from praesent.speakers.own_speech import without_overlap
from praesent.speakers.segmentation import SAMPLE_RATE
from praesent.store.engine import make_engine
from praesent.store.migrate import upgrade
from praesent.store.voice_profiles import VoiceProfile, VoiceProfiles

# Less speech than this gives no reliable profile.
MIN_ENROLMENT_SPEECH_S = 3.0
# A second voice with at least this much speech makes a clip unusable for enrolment.
SECOND_VOICE_S = 1.0
# At most this much speech is embedded per sample (the encoder averages 1.6 s partials).
MAX_SAMPLE_SPEECH_S = 60.0


class EnrolmentError(InputError):
    """A clip that cannot make a voice profile: no speech, too little, or more than one voice."""


class NoProfileError(InputError):
    """``--seller ID`` named a seller without a voice profile."""

    def __init__(self, seller_id: str) -> None:
        super().__init__(
            f"no voice profile for seller {seller_id!r}; enrol one with "
            f"`praesent voice enroll --seller {seller_id} CLIP` (a clip of their voice alone), "
            f"or analyse one of their two-channel calls with --seller {seller_id} (a live call "
            "adds to it too)"
        )


@dataclass(frozen=True, slots=True)
class VoiceSample:
    embedding: tuple[float, ...]
    speech_s: float


@contextmanager
def open_profiles(settings: Settings) -> Iterator[VoiceProfiles]:
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade(engine)
        yield VoiceProfiles(engine)
    finally:
        engine.dispose()


# An enrolment clip is held in memory whole: a few minutes of one voice are plenty.
CLIP_MAX_S = 600.0


def _mono(path: Path) -> np.ndarray:
    blocks = iter_blocks(path, max_s=CLIP_MAX_S)
    return np.concatenate([block.mean(axis=0) for block in blocks]).astype(np.float32)


def sample_from_speech(models: SpeakerModels, speech: Sequence[np.ndarray]) -> VoiceSample:
    """A voice sample from pieces of one known speaker's speech (a seller's own channel)."""
    limit = round(MAX_SAMPLE_SPEECH_S * SAMPLE_RATE)
    joined = np.concatenate([np.asarray(s, np.float32) for s in speech])[:limit]
    embedding = models.encoder.embed([joined])[0]
    return VoiceSample(tuple(float(v) for v in embedding), joined.shape[0] / SAMPLE_RATE)


def sample_from_clip(models: SpeakerModels, path: Path) -> VoiceSample:
    """A voice sample from an enrolment clip; refused when it holds no speech or two voices."""
    audio = _mono(path)
    diarizer = Diarizer(models.segmentation, models.encoder)
    for start in range(0, audio.shape[0], 8 * SAMPLE_RATE):
        diarizer.push(audio[start : start + 8 * SAMPLE_RATE])
    diarization = diarizer.finish()
    talk = [0.0] * diarization.speakers
    for turn in diarization.turns:
        talk[turn.speaker] += (turn.end_sample - turn.start_sample) / SAMPLE_RATE
    if sum(talk) == 0.0:
        raise EnrolmentError(f"{path.name}: no speech found; record the seller speaking alone")
    voices = [seconds for seconds in talk if seconds >= SECOND_VOICE_S]
    if len(voices) > 1:
        found = ", ".join(f"{s:.1f} s" for s in sorted(talk, reverse=True))
        raise EnrolmentError(
            f"{path.name}: {len(voices)} voices found ({found}); "
            "an enrolment clip must hold the seller's voice alone"
        )
    main = int(np.argmax(talk))
    if talk[main] < MIN_ENROLMENT_SPEECH_S:
        raise EnrolmentError(
            f"{path.name}: only {talk[main]:.1f} s of speech; "
            f"a profile needs at least {MIN_ENROLMENT_SPEECH_S:.0f} s"
        )
    pieces = [
        audio[turn.start_sample : turn.end_sample]
        for turn in diarization.turns
        if turn.speaker == main
    ]
    return sample_from_speech(models, pieces)


def _clean_seller_spans(result: dict[str, Any]) -> list[tuple[float, float]]:
    """The seller's speech with every stretch of customer speech cut out (echo, overlap)."""

    def spans(role: str) -> list[tuple[float, float]]:
        segments = result["segments"]
        return [(float(s["start_s"]), float(s["end_s"])) for s in segments if s["role"] == role]

    return without_overlap(spans("seller"), spans("customer"))


def sample_from_channel(
    models: SpeakerModels, path: Path, channel: int, result: dict[str, Any]
) -> VoiceSample | None:
    """A voice sample from the seller's own channel of an analysed two-channel call (the role is
    known there); None when the seller spoke too little on their own."""
    spans = _clean_seller_spans(result)
    if sum(end - start for start, end in spans) < MIN_ENROLMENT_SPEECH_S:
        return None
    pieces: list[np.ndarray] = []
    collected = 0
    block_start = 0
    limit = round(MAX_SAMPLE_SPEECH_S * SAMPLE_RATE)
    for block in iter_blocks(path):
        audio = block[channel]
        block_end = block_start + audio.shape[0]
        for start_s, end_s in spans:
            a = max(round(start_s * SAMPLE_RATE), block_start)
            b = min(round(end_s * SAMPLE_RATE), block_end)
            if a < b and collected < limit:
                pieces.append(audio[a - block_start : b - block_start].astype(np.float32))
                collected += b - a
        block_start = block_end
        if collected >= limit:
            break
    return sample_from_speech(models, pieces)


def learn_seller_voice(
    settings: Settings,
    models: SpeakerModels,
    path: Path,
    channel: int,
    result: dict[str, Any],
    seller_id: str,
) -> VoiceSample | None:
    """Adds the seller's voice from their own channel to their profile; None if too little."""
    sample = sample_from_channel(models, path, channel, result)
    if sample is not None:
        with open_profiles(settings) as profiles:
            profiles.add_sample(
                seller_id, sample.embedding, sample.speech_s, "call", models.embedding_model
            )
    return sample


def learn_live_voice(
    settings: Settings, seller_id: str, speech: Sequence[np.ndarray]
) -> VoiceSample | None:
    """Adds the seller's own speech of a live call (the customer's cut out, held in memory only)
    to their profile; None when there was too little. Blocking: run it in a worker thread."""
    if sum(piece.shape[0] for piece in speech) < MIN_ENROLMENT_SPEECH_S * SAMPLE_RATE:
        return None
    models = load_speaker_models(settings)
    sample = sample_from_speech(models, speech)
    with open_profiles(settings) as profiles:
        profiles.add_sample(
            seller_id, sample.embedding, sample.speech_s, "call", models.embedding_model
        )
    return sample


def require_profile(profiles: VoiceProfiles, seller_id: str, model: str) -> VoiceProfile:
    profile = profiles.profile(seller_id, model)
    if profile is None:
        raise NoProfileError(seller_id)
    return profile
