"""Voice activity per channel: Silero VAD (the ONNX model faster-whisper ships) on 32 ms frames.

``SileroVad`` turns frames into speech probabilities; with the recurrent state and 64 samples of
context carried from call to call, streaming frame by frame gives exactly what a batch gives.
``SpeechTracker`` is pure: probabilities in, speech start/stop edges (in samples) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE

FRAME_SAMPLES = 512  # 32 ms at 16 kHz, the frame Silero VAD is trained on
CONTEXT_SAMPLES = 64  # samples before each frame that Silero hears with it
_STATE_SHAPE = (1, 1, 128)


@dataclass(frozen=True, slots=True)
class VadOptions:
    """A gap under ~150 ms does not end speech (coaching spec). The thresholds sit below Silero's
    0.5 so that quiet telephone speech and short backchannels ("hello?", "mhm") still count."""

    threshold: float = 0.2
    neg_threshold: float = 0.12
    min_speech_ms: int = 150
    min_silence_ms: int = 150
    speech_pad_ms: int = 30


def silero_model_path() -> Path:
    from faster_whisper.utils import get_assets_path

    return Path(get_assets_path()) / "silero_vad_v6.onnx"


class SileroVad:
    """The ONNX session, loaded once per process and shared by every channel and session."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(path or silero_model_path()),
            providers=["CPUExecutionProvider"],
            sess_options=options,
        )

    def probabilities(
        self, frames: npt.NDArray[np.float32], stream: VadStream
    ) -> npt.NDArray[np.float32]:
        """Speech probability per frame of ``frames`` (n, 512), continuing ``stream``."""
        if frames.shape[0] == 0:
            return np.zeros(0, dtype=np.float32)
        previous = np.concatenate([stream.context[None, :], frames[:-1, -CONTEXT_SAMPLES:]], axis=0)
        batch = np.concatenate([previous, frames], axis=1).astype(np.float32, copy=False)
        output, stream.h, stream.c = self._session.run(
            None, {"input": batch, "h": stream.h, "c": stream.c}
        )
        stream.context = frames[-1, -CONTEXT_SAMPLES:].copy()
        return np.asarray(output, dtype=np.float32).reshape(-1)


class VadStream:
    """What Silero carries from one call to the next on one channel."""

    def __init__(self) -> None:
        self.h = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self.c = np.zeros(_STATE_SHAPE, dtype=np.float32)
        self.context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)


class FrameSplitter:
    """Cuts a stream of samples into whole 32 ms frames."""

    def __init__(self) -> None:
        self._rest = np.zeros(0, dtype=np.float32)

    def push(self, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        joined = np.concatenate([self._rest, samples])
        whole = joined.shape[0] // FRAME_SAMPLES * FRAME_SAMPLES
        self._rest = joined[whole:]
        return joined[:whole].reshape(-1, FRAME_SAMPLES)

    def flush(self) -> npt.NDArray[np.float32]:
        """The last partial frame, zero-padded (or no frame)."""
        if self._rest.shape[0] == 0:
            return np.zeros((0, FRAME_SAMPLES), dtype=np.float32)
        padded = np.zeros(FRAME_SAMPLES, dtype=np.float32)
        padded[: self._rest.shape[0]] = self._rest
        self._rest = np.zeros(0, dtype=np.float32)
        return padded[None, :]


@dataclass(frozen=True, slots=True)
class SpeechEdge:
    kind: Literal["start", "stop"]
    sample: int


def _frames(ms: int) -> int:
    return max(1, round(ms * SAMPLE_RATE / 1000 / FRAME_SAMPLES))


class SpeechTracker:
    """Hysteresis over frame probabilities, in the manner of Silero's own speech timestamps.

    A start is reported once speech has lasted ``min_speech_ms`` (so it is never taken back),
    a stop once silence has lasted ``min_silence_ms``; both carry the sample where they happened.
    """

    def __init__(self, options: VadOptions | None = None) -> None:
        self.options = options or VadOptions()
        self._pad = round(self.options.speech_pad_ms * SAMPLE_RATE / 1000)
        self._min_speech = _frames(self.options.min_speech_ms)
        self._min_silence = _frames(self.options.min_silence_ms)
        self._frame = 0
        self._in_speech = False
        self._reported = False
        self._start = 0
        self._silence_from: int | None = None
        self._last_stop_sample = 0

    @property
    def in_speech(self) -> bool:
        return self._in_speech and self._reported

    def _start_sample(self) -> int:
        return max(self._last_stop_sample, self._start * FRAME_SAMPLES - self._pad)

    def _stop_sample(self, frame: int) -> int:
        return frame * FRAME_SAMPLES + self._pad

    def watermark(self) -> int:
        """No edge reported later will carry a sample before this one."""
        if self._in_speech and not self._reported:
            return self._start_sample()
        if self._in_speech and self._silence_from is not None:
            return self._stop_sample(self._silence_from)
        if self._in_speech:
            return self._stop_sample(self._frame)
        return max(self._last_stop_sample, self._frame * FRAME_SAMPLES - self._pad)

    def push(self, probabilities: npt.NDArray[np.float32]) -> list[SpeechEdge]:
        edges: list[SpeechEdge] = []
        options = self.options
        for probability in probabilities.tolist():
            frame = self._frame
            self._frame += 1
            if probability >= options.threshold:
                self._silence_from = None
                if not self._in_speech:
                    self._in_speech, self._reported, self._start = True, False, frame
            elif probability < options.neg_threshold and self._in_speech:
                if self._silence_from is None:
                    self._silence_from = frame
                if self._frame - self._silence_from >= self._min_silence:
                    edges.extend(self._close(self._silence_from))
                    continue
            if (
                self._in_speech
                and not self._reported
                and self._silence_from is None
                and self._frame - self._start >= self._min_speech
            ):
                self._reported = True
                edges.append(SpeechEdge("start", self._start_sample()))
        return edges

    def _close(self, end_frame: int) -> list[SpeechEdge]:
        edges: list[SpeechEdge] = []
        if self._reported:
            stop = self._stop_sample(end_frame)
            edges.append(SpeechEdge("stop", stop))
            self._last_stop_sample = stop
        self._in_speech, self._reported, self._silence_from = False, False, None
        return edges

    def finish(self, end_sample: int) -> list[SpeechEdge]:
        """Close open speech at the end of the audio."""
        if not self._in_speech:
            return []
        end_frame = self._silence_from if self._silence_from is not None else self._frame
        if not self._reported and end_frame - self._start >= self._min_speech:
            self._reported = True
            start = SpeechEdge("start", self._start_sample())
            stop = min(self._stop_sample(end_frame), end_sample)
            self._in_speech = False
            return [start, SpeechEdge("stop", stop)]
        if self._reported:
            stop = min(self._stop_sample(end_frame), end_sample)
            self._in_speech, self._reported = False, False
            return [SpeechEdge("stop", stop)]
        self._in_speech = False
        return []
