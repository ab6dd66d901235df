"""The embedded diarizer, in the shape of pyannote's pipeline: sliding 10 s windows of
segmentation with 50 % overlap -> local speakers per window -> an embedding per local speaker
from its frames without overlap -> clustering across windows -> overlap-aware reconstruction.

It is fed audio block by block and keeps only the current window's audio; what it keeps per
window is a few kilobytes (local activity, one embedding per local speaker), so a two-hour call
costs about as much memory as a short one."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from praesent.speakers.clustering import ClusteringOptions, assign, cluster
from praesent.speakers.encoder import SpeakerEncoder
from praesent.speakers.reconstruction import (
    SpeakerTurn,
    WindowActivity,
    frames_for_samples,
    speaker_frames,
    turns_from_frames,
)
from praesent.speakers.segmentation import (
    FRAME_STEP_SAMPLES,
    LOCAL_SPEAKERS,
    SAMPLE_RATE,
    WINDOW_SAMPLES,
    Segmentation,
    frame_start_sample,
)

# 296 frames: the hop closest to 5 s that keeps every window on the global frame grid.
_STEP_FRAMES = 296
STEP_SAMPLES = _STEP_FRAMES * FRAME_STEP_SAMPLES
# Embeddings are computed in batches of this many queued local speakers.
_EMBED_BATCH = 24


@dataclass(frozen=True, slots=True)
class DiarizerOptions:
    clustering: ClusteringOptions = field(default_factory=ClusteringOptions)
    # A local speaker needs this much speech of its own in a window to be embedded.
    embed_min_s: float = 0.25
    # At most this much of it (the middle) is embedded: two partials of the voice encoder.
    embed_max_s: float = 3.2
    # Gaps of one speaker shorter than this are bridged; turns shorter than this are dropped.
    min_gap_s: float = 0.1
    min_turn_s: float = 0.1
    num_speakers: int | None = None


@dataclass(frozen=True, slots=True)
class Diarization:
    """Who spoke when: turns with speaker indices 0..n-1 (in order of first speech), and each
    speaker's centroid embedding (for matching voice profiles)."""

    turns: tuple[SpeakerTurn, ...]
    centroids: np.ndarray
    duration_samples: int

    @property
    def speakers(self) -> int:
        return int(self.centroids.shape[0])


@dataclass(slots=True)
class _Pending:
    window: int
    local: int
    audio: np.ndarray
    speech_s: float


def _clean_sample_mask(activity: np.ndarray, local: int) -> np.ndarray:
    """Samples of a window where only this local speaker is active."""
    alone = activity[:, local] & (activity.sum(axis=1) == 1)
    mask = np.zeros(WINDOW_SAMPLES, bool)
    for frame in np.flatnonzero(alone):
        start = int(frame_start_sample(int(frame)))
        mask[start : start + FRAME_STEP_SAMPLES] = True
    return mask


class Diarizer:
    def __init__(
        self,
        segmentation: Segmentation,
        encoder: SpeakerEncoder,
        options: DiarizerOptions | None = None,
    ) -> None:
        self._segmentation = segmentation
        self._encoder = encoder
        self.options = options or DiarizerOptions()
        self._buffer = np.zeros(0, np.float32)
        self._buffer_start = 0  # sample index of the buffer's first sample = next window start
        self._received = 0
        self._windows: list[WindowActivity] = []
        self._pending: list[_Pending] = []
        self._owners: list[int] = []
        self._locals: list[int] = []
        self._speech_s: list[float] = []
        self._embeddings: list[np.ndarray] = []

    def push(self, audio: np.ndarray) -> None:
        """Mono 16 kHz float32 samples, in order."""
        self._buffer = np.concatenate([self._buffer, np.asarray(audio, np.float32)])
        self._received += audio.shape[0]
        while self._buffer.shape[0] >= WINDOW_SAMPLES:
            self._run_window(self._buffer[:WINDOW_SAMPLES], WINDOW_SAMPLES)
            self._buffer = self._buffer[STEP_SAMPLES:]
            self._buffer_start += STEP_SAMPLES

    def _run_window(self, audio: np.ndarray, valid: int) -> None:
        window = np.zeros(WINDOW_SAMPLES, np.float32)
        window[:valid] = audio[:valid]
        activity = self._segmentation(window)
        valid_frames = min(activity.shape[0], frames_for_samples(valid))
        activity[valid_frames:] = False
        index = len(self._windows)
        first_frame = index * _STEP_FRAMES
        self._windows.append(WindowActivity(first_frame, activity, valid_frames))
        for local in range(LOCAL_SPEAKERS):
            mask = _clean_sample_mask(activity, local)
            speech_s = float(mask.sum()) / SAMPLE_RATE
            if speech_s >= self.options.embed_min_s:
                clean = window[mask]
                keep = round(self.options.embed_max_s * SAMPLE_RATE)
                start = max(0, (clean.shape[0] - keep) // 2)
                self._pending.append(_Pending(index, local, clean[start : start + keep], speech_s))
        if len(self._pending) >= _EMBED_BATCH:
            self._embed_pending()

    def _embed_pending(self) -> None:
        if not self._pending:
            return
        vectors = self._encoder.embed([p.audio for p in self._pending])
        for pending, vector in zip(self._pending, vectors, strict=True):
            self._owners.append(pending.window)
            self._locals.append(pending.local)
            self._speech_s.append(pending.speech_s)
            self._embeddings.append(vector)
        self._pending = []

    def finish(self) -> Diarization:
        covered_until = self._buffer_start + WINDOW_SAMPLES - STEP_SAMPLES
        if not self._windows or self._received > covered_until:
            self._run_window(self._buffer, min(self._buffer.shape[0], WINDOW_SAMPLES))
        self._embed_pending()
        total_frames = frames_for_samples(self._received)
        if not self._embeddings:
            return Diarization((), np.zeros((0, self._encoder.dimension), np.float32), 0)
        embeddings = np.stack(self._embeddings)
        owners = np.asarray(self._owners)
        centroids = cluster(
            embeddings,
            np.asarray(self._speech_s),
            self.options.clustering,
            self.options.num_speakers,
        )
        labels, _ = assign(embeddings, owners, centroids)
        mapping = [[-1] * LOCAL_SPEAKERS for _ in self._windows]
        for owner, local, label in zip(owners, self._locals, labels, strict=True):
            mapping[owner][local] = int(label)
        frames = speaker_frames(self._windows, mapping, centroids.shape[0], total_frames)
        step_s = FRAME_STEP_SAMPLES / SAMPLE_RATE
        turns = turns_from_frames(
            frames,
            round(self.options.min_gap_s / step_s),
            round(self.options.min_turn_s / step_s),
        )
        return _in_order_of_first_speech(turns, centroids, self._received)


def _in_order_of_first_speech(
    turns: list[SpeakerTurn], centroids: np.ndarray, duration: int
) -> Diarization:
    """Speakers renumbered by when they first speak; speakers left with no turn are dropped."""
    order: list[int] = []
    for turn in turns:
        if turn.speaker not in order:
            order.append(turn.speaker)
    renumber = {old: new for new, old in enumerate(order)}
    renamed = tuple(
        SpeakerTurn(renumber[t.speaker], t.start_sample, min(t.end_sample, duration))
        for t in turns
        if t.start_sample < duration
    )
    return Diarization(renamed, centroids[order], duration)
