"""pyannote's segmentation-3.0 in onnxruntime: a 10 s window in, per ~17 ms frame the powerset
of up to three local speakers out (no one, one of three, or a pair)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from praesent.speakers.onnx import open_session

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 10 * SAMPLE_RATE
# The model's frames: a stride of 270 samples (SincNet + pooling), 721 samples of receptive field.
FRAME_STEP_SAMPLES = 270
FRAME_FIELD_SAMPLES = 721
FRAMES_PER_WINDOW = 589
LOCAL_SPEAKERS = 3
# Powerset classes in the model's order: {}, {1}, {2}, {3}, {1,2}, {1,3}, {2,3}.
_POWERSET = np.array(
    [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=bool
)


def powerset_to_speakers(log_probs: np.ndarray) -> np.ndarray:
    """(frames, 7) log-probabilities -> (frames, 3) activity of each local speaker (the most
    likely class per frame, as pyannote decodes it)."""
    result: np.ndarray = _POWERSET[np.argmax(log_probs, axis=-1)]
    return result


def frame_start_sample(frame: int | np.ndarray) -> int | np.ndarray:
    """The first sample a frame stands for: the middle of its receptive field, half a stride
    back, so consecutive frames tile the audio."""
    return frame * FRAME_STEP_SAMPLES + (FRAME_FIELD_SAMPLES - FRAME_STEP_SAMPLES) // 2


class Segmentation:
    def __init__(self, path: Path, threads: int = 1) -> None:
        self._session = open_session(path, "segmentation model", threads)
        self._input = self._session.get_inputs()[0].name

    def __call__(self, window: np.ndarray) -> np.ndarray:
        """A window of exactly 10 s (zero-padded by the caller) -> (589, 3) local activity."""
        batch = np.asarray(window, np.float32).reshape(1, 1, WINDOW_SAMPLES)
        log_probs = self._session.run(None, {self._input: batch})[0][0]
        return powerset_to_speakers(log_probs)
