"""Silero VAD for many channels in one inference.

``BatchedVad`` runs faster-whisper's Silero model as ``vad_graph.batched_graph`` rewrites it:
every frame of every stream of a round goes through the encoder at once, and the LSTM steps
the streams side by side, each for its own number of frames, from its own ``VadStream`` (the
same state ``SileroVad`` keeps, so a stream can move between the two). Each stream's
probabilities are those of ``SileroVad`` on that stream alone, within 2e-6 (tests/test_vad.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from praesent.audio.vad import CONTEXT_SAMPLES, FRAME_SAMPLES, VadStream, silero_model_path
from praesent.audio.vad_graph import batched_graph

Frames = npt.NDArray[np.float32]
# A channel's frames (n, 512) and the stream they continue.
VadRequest = tuple[Frames, VadStream]


class BatchedVad:
    """One inference for the frames of many streams, each continuing its own ``VadStream``."""

    def __init__(self, path: Path | None = None) -> None:
        import onnx
        import onnxruntime

        model = batched_graph(onnx.load(str(path or silero_model_path())))
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            model.SerializeToString(), providers=["CPUExecutionProvider"], sess_options=options
        )

    def probabilities(self, frames: Frames, stream: VadStream) -> Frames:
        """Speech probability per frame of ``frames`` (n, 512), continuing ``stream``."""
        return self.probabilities_many([(frames, stream)])[0]

    def probabilities_many(self, items: Sequence[VadRequest]) -> list[Frames]:
        """Per item, the speech probability of each of its frames (n, 512), continuing its
        stream: what ``SileroVad.probabilities`` gives for each alone."""
        counts = [frames.shape[0] for frames, _ in items]
        active = [index for index, count in enumerate(counts) if count > 0]
        result = [np.zeros(0, dtype=np.float32) for _ in items]
        if not active:
            return result
        total = sum(counts)
        rows = np.empty((total, CONTEXT_SAMPLES + FRAME_SAMPLES), dtype=np.float32)
        lengths = np.array([counts[i] for i in active], dtype=np.int32)
        # steps[t, b]: the row of stream b's frame t; ``total`` (the zero row) once it has none.
        steps = np.full((int(lengths.max()), len(active)), total, dtype=np.int64)
        starts = []
        row = 0
        for column, index in enumerate(active):
            frames, stream = items[index]
            count = counts[index]
            # Each frame is heard with the 64 samples before it, as Silero streams.
            rows[row : row + count, CONTEXT_SAMPLES:] = frames
            rows[row, :CONTEXT_SAMPLES] = stream.context
            rows[row + 1 : row + count, :CONTEXT_SAMPLES] = frames[:-1, -CONTEXT_SAMPLES:]
            steps[:count, column] = np.arange(row, row + count)
            starts.append(row)
            row += count
        h = np.concatenate([items[i][1].h for i in active], axis=1)
        c = np.concatenate([items[i][1].c for i in active], axis=1)
        output, hn, cn = self._session.run(
            None, {"input": rows, "steps": steps, "lengths": lengths, "h": h, "c": c}
        )
        probabilities = np.asarray(output, dtype=np.float32).reshape(len(active), -1)
        for column, index in enumerate(active):
            frames, stream = items[index]
            stream.h = hn[:, column : column + 1].copy()
            stream.c = cn[:, column : column + 1].copy()
            stream.context = frames[-1, -CONTEXT_SAMPLES:].copy()
            result[index] = probabilities[column, : counts[index]].copy()
        return result
