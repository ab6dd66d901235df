"""Silero VAD for many channels in one inference.

``BatchedVad`` runs faster-whisper's Silero model as ``vad_graph.batched_graph`` rewrites it:
every frame of every stream of a round goes through the encoder at once, and the LSTM steps
the streams side by side, each for its own number of frames, from its own ``VadStream`` (the
same state ``SileroVad`` keeps, so a stream can move between the two). Each stream's
probabilities are those of ``SileroVad`` on that stream alone, within 2e-6 (tests/test_vad.py).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from praesent.audio import vad_graph
from praesent.audio.vad import CONTEXT_SAMPLES, FRAME_SAMPLES, VadStream, silero_model_path

Frames = npt.NDArray[np.float32]
# A channel's frames (n, 512) and the stream they continue.
VadRequest = tuple[Frames, VadStream]


class BatchedVad:
    """One inference for the frames of many streams, each continuing its own ``VadStream``."""

    def __init__(self, path: Path | None = None, cache_dir: Path | None = None) -> None:
        """``cache_dir``: where the rewritten graph is kept for the next process (rewriting
        needs the ``onnx`` package, whose import alone takes a second of CPU)."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        options.log_severity_level = 4
        source = path or silero_model_path()

        def session(graph: bytes) -> onnxruntime.InferenceSession:
            return onnxruntime.InferenceSession(
                graph, providers=["CPUExecutionProvider"], sess_options=options
            )

        try:
            self._session = session(_graph(source, cache_dir))
        except Exception:  # onnxruntime's own errors: a damaged kept graph is rewritten
            if cache_dir is None:
                raise
            self._session = session(_graph(source, cache_dir, rewrite=True))

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


def _graph(source: Path, cache_dir: Path | None, rewrite: bool = False) -> bytes:
    """The batched graph of ``source``, from ``cache_dir`` where it was kept for the same source
    and rewrite, else rewritten (and kept there where it can be written)."""
    original = source.read_bytes()
    key = hashlib.sha256(original + Path(vad_graph.__file__).read_bytes()).hexdigest()[:24]
    kept = cache_dir / f"silero-batched-{key}.onnx" if cache_dir is not None else None
    if kept is not None and kept.is_file() and not rewrite:
        return kept.read_bytes()
    import onnx

    graph: bytes = vad_graph.batched_graph(onnx.load_from_string(original)).SerializeToString()
    if kept is not None:
        _keep(graph, kept)
    return graph


def _keep(graph: bytes, kept: Path) -> None:
    """Whole or not at all: servers starting together may write it at once."""
    partial: str | None = None
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=kept.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(graph)
        os.replace(partial, kept)
    except OSError:
        # A read-only models folder, a full disk: rewritten again next time.
        if partial is not None and os.path.exists(partial):
            os.unlink(partial)
