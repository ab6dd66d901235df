"""Silero VAD for many channels in one inference.

faster-whisper's ``silero_vad_v6.onnx`` runs the frames of ONE stream through its LSTM as the
time axis (state (1, 1, 128)). At load time the graph is rewritten so that the LSTM's batch axis
holds streams and its time axis the steps: the encoder (convolutions over each frame alone) runs
once over every stream's frames together, a ``Gather`` lays its output out as (steps, streams,
128) and the LSTM's ``sequence_lens`` stops each stream after its own frames, so a stream with
fewer frames this round keeps the state of its last one. The weights are the file's; each
stream's numbers are those of ``SileroVad`` on that stream alone (tests/test_vad.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from praesent.audio.vad import FRAME_SAMPLES, VadStream, silero_model_path

if TYPE_CHECKING:
    import onnx

_CONTEXT_SAMPLES = 64
_HIDDEN = 128
Frames = npt.NDArray[np.float32]
# A channel's frames (n, 512) and the stream they continue.
VadRequest = tuple[Frames, VadStream]


def batched_graph(model: onnx.ModelProto) -> onnx.ModelProto:
    """Silero's ONNX model (``onnx.ModelProto``) rewritten to step many streams: new inputs
    ``steps`` (int64 (T, B): each step's row of ``input`` per stream, or the row count for a
    stream already done) and ``lengths`` (int32 (B,)); ``h``/``c``/``hn``/``cn`` are (1, B, 128)
    and ``speech_probs`` is (B * T,), stream-major."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    lstm = next(node for node in graph.node if node.op_type == "LSTM")
    feeding = next(node for node in graph.node if lstm.input[0] in node.output)
    perm = next((list(a.ints) for a in feeding.attribute if a.name == "perm"), None)
    if feeding.op_type != "Transpose" or perm != [0, 2, 1]:
        raise ValueError(f"unexpected Silero graph: the LSTM is fed by {feeding.op_type} {perm}")
    encoded = feeding.input[0]  # (frames, 128, 1): one encoder vector per frame
    graph.initializer.extend(
        [
            numpy_helper.from_array(np.array([-1, _HIDDEN], np.int64), "batch/flat_shape"),
            numpy_helper.from_array(np.zeros((1, _HIDDEN), np.float32), "batch/done_row"),
        ]
    )
    replacement = [
        helper.make_node("Reshape", [encoded, "batch/flat_shape"], ["batch/flat"]),
        # One row of zeros after the frames: what a stream that has no frame left is fed.
        helper.make_node("Concat", ["batch/flat", "batch/done_row"], ["batch/rows"], axis=0),
        helper.make_node("Gather", ["batch/rows", "steps"], [lstm.input[0]], axis=0),
    ]
    index = list(graph.node).index(feeding)
    graph.node.remove(feeding)
    for offset, node in enumerate(replacement):
        graph.node.insert(index + offset, node)
    inputs = list(lstm.input) + [""] * (7 - len(lstm.input))
    inputs[4] = "lengths"
    del lstm.input[:]
    lstm.input.extend(inputs[:7])
    graph.input.extend(
        [
            helper.make_tensor_value_info("steps", TensorProto.INT64, ["steps", "streams"]),
            helper.make_tensor_value_info("lengths", TensorProto.INT32, ["streams"]),
        ]
    )
    for value in [*graph.input, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if value.name in ("h", "c", "hn", "cn"):
            dims[1].dim_param = "streams"
        elif value.name == "speech_probs":
            dims[0].dim_param = "stream_steps"
        elif value.name == "input":
            dims[0].dim_param = "frames"
    onnx.checker.check_model(model)
    return model


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
        rows = np.empty((total, _CONTEXT_SAMPLES + FRAME_SAMPLES), dtype=np.float32)
        lengths = np.array([counts[i] for i in active], dtype=np.int32)
        # steps[t, b]: the row of stream b's frame t; ``total`` (the zero row) once it has none.
        steps = np.full((int(lengths.max()), len(active)), total, dtype=np.int64)
        starts = []
        row = 0
        for column, index in enumerate(active):
            frames, stream = items[index]
            count = counts[index]
            # Each frame is heard with the 64 samples before it, as Silero streams.
            rows[row : row + count, _CONTEXT_SAMPLES:] = frames
            rows[row, :_CONTEXT_SAMPLES] = stream.context
            rows[row + 1 : row + count, :_CONTEXT_SAMPLES] = frames[:-1, -_CONTEXT_SAMPLES:]
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
            stream.context = frames[-1, -_CONTEXT_SAMPLES:].copy()
            result[index] = probabilities[column, : counts[index]].copy()
        return result
