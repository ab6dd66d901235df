"""A second opinion on speech per channel: pyannote's segmentation-3.0, fused with Silero.

Silero decides each 32 ms frame from a short context and misses a quiet speaker in room noise
and the lower-energy middle of long turns. Segmentation-3.0 (the diarizer's model, trained on
meetings) sees seconds of context; its speech probability is 1 - P(no speaker) of its powerset
output. ``SegmentationStream`` computes it live on a fixed grid: every ``hop_s`` of a channel's
audio, the model runs once on the last ``window_s`` and decides the 32 ms frames that end at
least ``lookahead_s`` before the window's end (so each frame has that much audio after it). The
grid is in samples, so what is decided never depends on how the audio arrived in blocks.

``FusedStream`` pairs each frame's Silero probability with the segmentation one and the frame's
level (``FrameLevels``) and passes a logistic regression over a few features of them
(``Fusion``: coefficients fitted by ``python -m praesent.evaluation.fusion fit`` on a training
split and committed as ``fusion.json``). Its cost: the model once per hop on ``window_s`` of
audio; its latency: a frame is decided up to ``hop_s + lookahead_s`` after its audio arrived.
Held-out figures against Silero alone: docs/accuracy.md.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE
from praesent.audio.vad import FRAME_SAMPLES, FrameSplitter

Floats = npt.NDArray[np.float32]

# The model's frames: a stride of 270 samples over a receptive field of 721 (SincNet + pooling);
# a window of n samples gives (n - 721) // 270 frames, the frame i centred on 270 i + 360.
_STEP = 270
_FIELD = 721
_MIN_WINDOW = _FIELD + 4 * _STEP
COEFFICIENTS = Path(__file__).with_name("fusion.json")


@dataclass(frozen=True, slots=True)
class SegmentationOptions:
    window_s: float = 3.0
    hop_s: float = 0.5
    lookahead_s: float = 0.25

    @property
    def window(self) -> int:
        return round(self.window_s * SAMPLE_RATE)

    @property
    def hop(self) -> int:
        return round(self.hop_s * SAMPLE_RATE)

    @property
    def lookahead(self) -> int:
        return round(self.lookahead_s * SAMPLE_RATE)


class SegmentationSpeech:
    """The ONNX session, loaded once per process and shared by every channel."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        from praesent.speakers.onnx import open_session

        self._session = open_session(path, "segmentation model", threads)
        self._input = self._session.get_inputs()[0].name

    def speech(self, audio: Floats) -> Floats:
        """Per model frame of ``audio`` (any length of at least ~0.1 s): P(anyone speaks)."""
        batch = np.asarray(audio, np.float32).reshape(1, 1, -1)
        log_probs = np.asarray(self._session.run(None, {self._input: batch})[0][0], np.float32)
        speech: Floats = (1.0 - np.exp(log_probs[:, 0])).astype(np.float32)
        return speech


def frame_centres(count: int) -> npt.NDArray[np.float64]:
    """The sample (from the window's start) each of ``count`` model frames stands for."""
    return np.arange(count, dtype=np.float64) * _STEP + (_FIELD - 1) / 2


class SegmentationStream:
    """One channel's segmentation speech probability per 32 ms frame, in frame order."""

    def __init__(self, model: SegmentationSpeech, options: SegmentationOptions) -> None:
        self._model = model
        self._options = options
        self._audio = np.zeros(0, np.float32)
        self._audio_start = 0  # the sample index of ``_audio[0]``
        self._received = 0
        self._next_run = options.hop  # the grid point of the next window's end
        self._next_frame = 0  # the next 32 ms frame to decide

    def push(self, samples: Floats) -> Floats:
        self._audio = np.concatenate([self._audio, samples.astype(np.float32, copy=False)])
        self._received += samples.shape[0]
        decided: list[Floats] = []
        while self._received >= self._next_run:
            end = self._next_run
            self._next_run += self._options.hop
            last = (end - self._options.lookahead) // FRAME_SAMPLES  # frames ending by then
            decided.append(self._decide(end, last))
        # Keep what the next window needs.
        keep_from = self._next_run - self._options.window
        if keep_from > self._audio_start:
            cut = min(keep_from - self._audio_start, self._audio.shape[0])
            self._audio = self._audio[cut:]
            self._audio_start += cut
        return np.concatenate(decided) if decided else np.zeros(0, np.float32)

    def finish(self) -> Floats:
        """The frames left, up to the last (partial) frame of the audio."""
        frames = -(-self._received // FRAME_SAMPLES)
        return self._decide(self._received, frames)

    def _decide(self, end: int, last: int) -> Floats:
        """Runs the model on the window ending at sample ``end``; the frames up to ``last``."""
        if last <= self._next_frame:
            return np.zeros(0, np.float32)
        begin = max(self._audio_start, end - self._options.window)
        window = self._audio[begin - self._audio_start : end - self._audio_start]
        frames = np.arange(self._next_frame, last)
        self._next_frame = last
        if window.shape[0] < _MIN_WINDOW:
            window = np.concatenate([window, np.zeros(_MIN_WINDOW - window.shape[0], np.float32)])
        speech = self._model.speech(window)
        centres = (frames * FRAME_SAMPLES + FRAME_SAMPLES / 2) - begin
        decided: Floats = np.interp(centres, frame_centres(speech.shape[0]), speech).astype(
            np.float32
        )
        return decided


# The features of a frame, in the order of ``Fusion.weights``.
FEATURES = (
    "silero",
    "segmentation",
    "silero max 256 ms",
    "segmentation max 256 ms",
    "segmentation mean 1 s",
    "silero x segmentation",
    "level above floor dB",
    "level below loud dB",
)
_MAX_FRAMES = 8
_MEAN_FRAMES = 32
_LOUD_FRAMES = 625  # 20 s


class FrameLevels:
    """Per raw 32 ms frame of a channel: its level above the noise floor (followed down at once,
    up by 3 dB/s) and below the channel's loud frames (the 95th percentile of the last 20 s).
    Both models hear background voices as speech; a voice louder than the babble around it is
    the channel's own."""

    def __init__(self) -> None:
        self._floor: float | None = None
        self._recent: deque[float] = deque(maxlen=_LOUD_FRAMES)
        self._rise = 3.0 * FRAME_SAMPLES / SAMPLE_RATE

    def push(self, frames: Floats) -> Floats:
        out = np.zeros((frames.shape[0], 2), np.float32)
        power = np.mean(frames.astype(np.float64) ** 2, axis=1)
        levels = 10 * np.log10(np.maximum(power, 1e-10))
        for index, level in enumerate(levels.tolist()):
            floor = level if self._floor is None else min(level, self._floor + self._rise)
            self._floor = floor
            self._recent.append(level)
            values = np.fromiter(self._recent, float, len(self._recent))
            rank = int(0.95 * (values.shape[0] - 1))
            loud = float(np.partition(values, rank)[rank])
            out[index] = (min(level - floor, 40.0), max(level - loud, -40.0))
        return out


def features(frames: Floats, history: Floats | None = None) -> Floats:
    """(n, len(FEATURES)) from (n, 4) frames: Silero's and segmentation's probabilities and
    the two levels of ``FrameLevels``; ``history``: the frames before them (the recent maxima
    and means look back over them), oldest first."""
    past = np.zeros((0, 4), np.float32) if history is None else history
    joined = np.concatenate([past, frames]).astype(np.float32)
    offset = past.shape[0]
    n = frames.shape[0]
    out = np.zeros((n, len(FEATURES)), np.float32)
    out[:, 0:2] = frames[:, 0:2]
    out[:, 6:8] = frames[:, 2:4]
    for i in range(n):
        at = offset + i + 1
        recent = joined[max(0, at - _MAX_FRAMES) : at]
        out[i, 2], out[i, 3] = recent[:, 0:2].max(axis=0)
        out[i, 4] = joined[max(0, at - _MEAN_FRAMES) : at, 1].mean()
    out[:, 5] = out[:, 0] * out[:, 1]
    return out


@dataclass(frozen=True, slots=True)
class Fusion:
    """A logistic regression over ``FEATURES``; the thresholds are the tracker's on its output."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]  # the features are standardised before the weights
    scale: tuple[float, ...]
    threshold: float
    neg_threshold: float
    segmentation: SegmentationOptions

    def probabilities(self, values: Floats) -> Floats:
        z = (values - np.asarray(self.mean, np.float32)) / np.asarray(self.scale, np.float32)
        logit = z @ np.asarray(self.weights, np.float32) + np.float32(self.bias)
        return (1.0 / (1.0 + np.exp(-logit))).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": list(self.weights),
            "bias": self.bias,
            "mean": list(self.mean),
            "scale": list(self.scale),
            "threshold": self.threshold,
            "neg_threshold": self.neg_threshold,
            "segmentation": {
                "window_s": self.segmentation.window_s,
                "hop_s": self.segmentation.hop_s,
                "lookahead_s": self.segmentation.lookahead_s,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fusion:
        if list(data["features"]) != list(FEATURES):
            raise ValueError(f"fusion coefficients for other features: {data['features']}")
        return cls(
            tuple(float(w) for w in data["weights"]),
            float(data["bias"]),
            tuple(float(m) for m in data["mean"]),
            tuple(float(s) for s in data["scale"]),
            float(data["threshold"]),
            float(data["neg_threshold"]),
            SegmentationOptions(**data["segmentation"]),
        )

    @classmethod
    def load(cls, path: Path = COEFFICIENTS) -> Fusion:
        return cls.from_dict(json.loads(path.read_text()))


@dataclass(frozen=True, slots=True)
class FusedSpeech:
    """What every channel shares: the model and the fitted fusion."""

    model: SegmentationSpeech
    fusion: Fusion

    def stream(self) -> FusedStream:
        return FusedStream(self)


class FusedStream:
    """One channel: Silero's frame probabilities in, fused ones out once segmentation has
    decided the same frames (in order, a little later)."""

    def __init__(self, fused: FusedSpeech) -> None:
        self._fusion = fused.fusion
        self._segmentation = SegmentationStream(fused.model, fused.fusion.segmentation)
        self._splitter = FrameSplitter()
        self._levels = FrameLevels()
        self._silero = np.zeros(0, np.float32)  # Silero frames segmentation has not reached
        self._level = np.zeros((0, 2), np.float32)  # and their levels
        self._second = np.zeros(0, np.float32)  # segmentation frames Silero has not reached
        self._history = np.zeros((0, 4), np.float32)
        self.recorded: list[Floats] | None = None  # set to a list to keep each frame's features

    def push(self, samples: Floats, silero: Floats) -> Floats:
        levels = self._levels.push(self._splitter.push(samples))
        return self._pair(silero, levels, self._segmentation.push(samples))

    def finish(self, silero: Floats) -> Floats:
        levels = self._levels.push(self._splitter.flush())
        return self._pair(silero, levels, self._segmentation.finish())

    def _pair(self, silero: Floats, levels: Floats, second: Floats) -> Floats:
        self._silero = np.concatenate([self._silero, silero])
        self._level = np.concatenate([self._level, levels])
        self._second = np.concatenate([self._second, second])
        n = min(self._silero.shape[0], self._second.shape[0])
        if n == 0:
            return np.zeros(0, np.float32)
        frames = np.concatenate(
            [self._silero[:n, None], self._second[:n, None], self._level[:n]], axis=1
        )
        values = features(frames, self._history)
        self._history = np.concatenate([self._history, frames])[-_MEAN_FRAMES:]
        self._silero, self._second = self._silero[n:], self._second[n:]
        self._level = self._level[n:]
        if self.recorded is not None:
            self.recorded.append(values)
        return self._fusion.probabilities(values)
