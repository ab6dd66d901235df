"""Overlap-aware reconstruction of who speaks when from the windows' local activity and the
local speakers' assignment to the call's speakers (pyannote's way: the number of speakers at a
frame comes from the segmentation, which speakers from the clustered activity). Pure."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from praesent.speakers.segmentation import FRAME_STEP_SAMPLES, frame_start_sample


@dataclass(frozen=True, slots=True)
class WindowActivity:
    """One segmentation window: its first global frame, its (frames, 3) local activity and the
    number of frames that lie inside the audio (the last window may be padded)."""

    first_frame: int
    activity: np.ndarray
    valid_frames: int


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    speaker: int
    start_sample: int
    end_sample: int


def speaker_frames(
    windows: Sequence[WindowActivity],
    local_to_speaker: Sequence[Sequence[int]],
    speakers: int,
    total_frames: int,
) -> np.ndarray:
    """(frames, speakers) bool: at each frame the k most active speakers, k being the rounded
    mean number of active local speakers over the windows that cover the frame."""
    count_sum = np.zeros(total_frames, np.float32)
    score = np.zeros((total_frames, max(speakers, 1)), np.float32)
    covered = np.zeros(total_frames, np.float32)
    for window, mapping in zip(windows, local_to_speaker, strict=True):
        frames = min(window.valid_frames, total_frames - window.first_frame)
        if frames <= 0:
            continue
        span = slice(window.first_frame, window.first_frame + frames)
        active = window.activity[:frames]
        covered[span] += 1.0
        count_sum[span] += active.sum(axis=1)
        for local, speaker in enumerate(mapping):
            if speaker >= 0:
                score[span, speaker] += active[:, local]
    seen = np.maximum(covered, 1.0)
    count = np.rint(count_sum / seen).astype(int)
    mean_score = score / seen[:, None]
    order = np.argsort(-mean_score, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(order.shape[1])[None, :], axis=1)
    chosen = (ranks < count[:, None]) & (mean_score > 0)
    return chosen[:, :speakers]


def _fill(row: np.ndarray, value: bool, max_frames: int) -> np.ndarray:
    """Runs of ``value`` no longer than ``max_frames`` between runs of the other value flip."""
    row = row.copy()
    edges = np.flatnonzero(np.diff(row.astype(np.int8))) + 1
    bounds = np.concatenate([[0], edges, [row.size]])
    for start, stop in itertools.pairwise(bounds):
        inside = start > 0 and stop < row.size
        if row[start] == value and stop - start <= max_frames and (inside or not value):
            row[start:stop] = not value
    return row


def turns_from_frames(
    frames: np.ndarray, min_gap_frames: int, min_turn_frames: int
) -> list[SpeakerTurn]:
    """Each speaker's frames as turns in samples; short gaps are bridged, then blips dropped."""
    turns: list[SpeakerTurn] = []
    for speaker in range(frames.shape[1]):
        row = _fill(frames[:, speaker], False, min_gap_frames)
        row = _fill(row, True, min_turn_frames)
        padded = np.concatenate([[0], row.astype(np.int8), [0]])
        starts = np.flatnonzero(np.diff(padded) == 1)
        stops = np.flatnonzero(np.diff(padded) == -1)
        for start, stop in zip(starts, stops, strict=True):
            begin = int(frame_start_sample(int(start))) if start > 0 else 0
            end = int(frame_start_sample(int(stop)))
            turns.append(SpeakerTurn(speaker, begin, end))
    return sorted(turns, key=lambda t: (t.start_sample, t.speaker))


def frames_for_samples(samples: int) -> int:
    """How many global frames cover ``samples`` of audio."""
    first = int(frame_start_sample(0))
    return max(0, -(-(samples - first) // FRAME_STEP_SAMPLES))
