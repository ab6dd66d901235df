"""Loading the speaker models' ONNX files: CPU, a fixed thread count, one error type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from praesent.errors import ModelError


def open_session(path: Path, what: str, threads: int = 1) -> Any:
    """An onnxruntime session for ``path``; a file it cannot load is a ModelError naming it."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # noqa: BLE001 - onnxruntime raises its own untyped errors
        raise ModelError(f"cannot load the {what} {path}: {error}") from None
