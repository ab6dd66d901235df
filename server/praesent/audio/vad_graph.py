"""Silero VAD's ONNX graph (faster-whisper's ``silero_vad_v6.onnx``) rewritten for many streams.

The file's graph takes the frames of ONE stream: its encoder turns each frame (512 samples and
the 64 before them) into a vector through a short-time Fourier transform and four small
convolutions, and its LSTM runs over the frames as its time axis with state (1, 1, 128).
``batched_graph`` lays the LSTM out with streams on its batch axis instead, and computes the
encoder as a few matrix products over every frame of the round at once: onnxruntime runs a
convolution one frame at a time, a matrix product over all of them. Only the file's weights
are used, rearranged; nothing else is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import onnx

_HIDDEN = 128
# The encoder as the file has it: (kernel, padding, stride) of each convolution layer.
_LAYERS = ((3, 1, 1), (3, 1, 2), (3, 1, 2), (3, 1, 1))


class UnexpectedGraphError(ValueError):
    """The ONNX file is not the Silero graph this rewrite was written for."""


def _attribute(node: onnx.NodeProto, name: str) -> list[int]:
    return next((list(a.ints) for a in node.attribute if a.name == name), [])


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise UnexpectedGraphError(f"unexpected Silero graph: {what}")


def batched_graph(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model rewritten to step many streams in one run. Inputs: ``input`` (F, 576) every
    frame of the round with its 64 samples of context; ``steps`` (int64 (T, B)): each step's
    row of ``input`` per stream, or F where the stream has no frame left; ``lengths`` (int32
    (B,)); ``h``/``c`` (1, B, 128). Outputs: ``speech_probs`` (B * T,) stream-major, and
    ``hn``/``cn`` (1, B, 128), each stream's state after its last frame."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    lstm = next(node for node in graph.node if node.op_type == "LSTM")
    feeding = next(node for node in graph.node if lstm.input[0] in node.output)
    _check(
        feeding.op_type == "Transpose" and _attribute(feeding, "perm") == [0, 2, 1],
        f"the LSTM is fed by {feeding.op_type}",
    )
    encoder, constants = _matmul_encoder(graph, feeding.input[0])
    constants["batch/done_row"] = np.zeros((1, _HIDDEN), np.float32)
    batching = [
        # One row of zeros after the frames: what a stream with no frame left is fed.
        helper.make_node("Concat", ["encoded", "batch/done_row"], ["batch/rows"], axis=0),
        helper.make_node("Gather", ["batch/rows", "steps"], [lstm.input[0]], axis=0),
    ]
    inputs = list(lstm.input) + [""] * (7 - len(lstm.input))
    inputs[4] = "lengths"
    del lstm.input[:]
    lstm.input.extend(inputs[:7])
    # (Rebuilding the node list copies the nodes: every change to one is made before.)
    nodes = list(graph.node)
    first = next(i for i, node in enumerate(nodes) if node.op_type == "Pad") + 1
    last = nodes.index(feeding)
    del graph.node[:]
    graph.node.extend(nodes[:first] + encoder + batching + nodes[last + 1 :])
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in constants.items())
    used = {name for node in graph.node for name in node.input}
    kept = [tensor for tensor in graph.initializer if tensor.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
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


def _matmul_encoder(
    graph: onnx.GraphProto, encoded: str
) -> tuple[list[onnx.NodeProto], dict[str, npt.NDArray[np.generic]]]:
    """Nodes from the padded frames (the file's ``Pad``, (F, 832)) to ``encoded`` (F, 128),
    what the file's encoder computes into ``encoded`` (F, 128, 1), as matrix products."""
    from onnx import helper, numpy_helper

    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    by_output = {out: node for node in graph.node for out in node.output}
    pad = next(node for node in graph.node if node.op_type == "Pad")
    stft = next(node for node in graph.node if node.input[1:] == [_BASIS])
    basis = weights[_BASIS]  # (258, 1, 256): real and imaginary parts of 129 bins
    _check(
        basis.shape == (258, 1, 256)
        and _attribute(stft, "strides") == [128]
        and weights[pad.input[1]].tolist() == [0, 128, 0, 128],
        "its Fourier transform",
    )
    convs = [by_output[f"/encoder/conv_layers.{i}/Conv_output_0"] for i in range(4)]
    for conv, (kernel, padding, stride) in zip(convs, _LAYERS, strict=True):
        _check(
            _attribute(conv, "kernel_shape") == [kernel]
            and _attribute(conv, "pads") == [padding, padding]
            and _attribute(conv, "strides") == [stride],
            f"convolution {conv.name}",
        )
    _check(encoded == "/encoder/relu_3/Relu_output_0", "what the LSTM is fed")
    w = [weights[conv.input[1]] for conv in convs]
    b = [weights[conv.input[2]] for conv in convs]
    pow_ = next(node for node in graph.node if node.op_type == "Pow")
    constants: dict[str, npt.NDArray[np.generic]] = {
        # The transform's windows are 256 samples 128 apart; the file drops its first window
        # (the reflected padding before the context): four windows of samples 128 to 768.
        "e/stft": basis[:, 0, :].T.copy(),
        # A convolution of kernel 3 is a product with the (tap, channel)-flattened windows.
        "e/w0": w[0].transpose(2, 1, 0).reshape(-1, w[0].shape[0]).copy(),
        "e/w1": w[1].transpose(2, 1, 0).reshape(-1, w[1].shape[0]).copy(),
        # Two steps in, one out: the first tap only ever sees the zero padding.
        "e/w2": w[2][:, :, 1:].transpose(2, 1, 0).reshape(-1, w[2].shape[0]).copy(),
        # One step in, one out: only the middle tap sees it.
        "e/w3": w[3][:, :, 1].T.copy(),
        **{f"e/b{i}": bias for i, bias in enumerate(b)},
        "e/blocks": np.array([-1, 5, 128], np.int64),
        "e/pairs": np.array([-1, 128], np.int64),
        "e/pad_time": np.array([0, 1, 0, 0, 1, 0], np.int64),
    }
    nodes: list[onnx.NodeProto] = []

    def node(op: str, inputs: list[str], output: str, axis: int | None = None) -> str:
        made = helper.make_node(op, inputs, [output])
        if axis is not None:
            made.attribute.append(helper.make_attribute("axis", axis))
        nodes.append(made)
        return output

    def part(x: str, start: int, end: int, axis: int, step: int = 1) -> str:
        for value in (start, end, axis, step):
            constants[f"e/{value}"] = np.array([value], np.int64)
        inputs = [x, f"e/{start}", f"e/{end}", f"e/{axis}", f"e/{step}"]
        return node("Slice", inputs, f"{x}[{start}:{end}:{step}]@{axis}")

    def layer(x: str, i: int) -> str:
        product = node("MatMul", [x, f"e/w{i}"], f"e/product{i}")
        return node("Relu", [node("Add", [product, f"e/b{i}"], f"e/sum{i}")], f"e/out{i}")

    signal = part(pad.output[0], 128, 768, 1)
    blocks = node("Reshape", [signal, "e/blocks"], "e/blocks_of_128")
    windows = node("Concat", [part(blocks, 0, 4, 1), part(blocks, 1, 5, 1)], "e/win", axis=2)
    spectrum = node("MatMul", [windows, "e/stft"], "e/spectrum")  # (F, 4, 258)
    real = node("Pow", [part(spectrum, 0, 129, 2), pow_.input[1]], "e/real2")
    imaginary = node("Pow", [part(spectrum, 129, 258, 2), pow_.input[1]], "e/imaginary2")
    magnitude = node("Sqrt", [node("Add", [real, imaginary], "e/power")], "e/magnitude")
    x = node("Pad", [magnitude, "e/pad_time"], "e/x0")  # (F, 6, 129)
    x = node("Concat", [part(x, k, k + 4, 1) for k in range(3)], "e/taps0", axis=2)
    x = node("Pad", [layer(x, 0), "e/pad_time"], "e/x1")  # (F, 6, 128)
    x = node("Concat", [part(x, k, k + 4, 1, 2) for k in range(3)], "e/taps1", axis=2)
    x = node("Reshape", [layer(x, 1), "e/pairs"], "e/x2")  # (F, 2 * 64)
    layer(layer(x, 2), 3)
    nodes[-1].output[0] = "encoded"
    return nodes, constants


_BASIS = "encoder.feature_extractor.forward_basis_buffer"
