"""Where Whisper runs: the CPU (the default) or an NVIDIA GPU through CTranslate2's CUDA build.

``cuda`` needs CUDA 12 and cuDNN 9 where the server or the worker runs (CTranslate2 loads them);
``auto`` takes the GPU when CTranslate2 sees one, else the CPU. Each device has the compute
types CTranslate2 offers on it; one that is not offered is refused at start with one line
rather than when the first call is transcribed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from praesent.errors import InputError

Device = Literal["cpu", "cuda"]
DeviceSetting = Literal["cpu", "cuda", "auto"]

COMPUTE_TYPES: dict[Device, tuple[str, ...]] = {
    "cpu": ("int8", "int8_float32", "int16", "float32"),
    "cuda": (
        "float16",
        "int8_float16",
        "int8",
        "int8_float32",
        "bfloat16",
        "int8_bfloat16",
        "float32",
    ),
}
# int8 on the CPU is what the accuracy figures were measured with; float16 is the GPU's native
# type (int8_float16 halves its memory again).
DEFAULT_COMPUTE_TYPE: dict[Device, str] = {"cpu": "int8", "cuda": "float16"}


class DeviceError(InputError):
    """The configured device cannot run Whisper here (no CUDA device, or a compute type the
    device does not offer)."""

    code = "device_unavailable"


@dataclass(frozen=True, slots=True)
class WhisperDevice:
    device: Device
    compute_type: str


def compute_type_problem(device: Device, compute_type: str) -> str | None:
    """Why ``compute_type`` cannot run on ``device``; None when it can."""
    offered = COMPUTE_TYPES[device]
    if compute_type in offered:
        return None
    choices = ", ".join(offered)
    return f"compute type {compute_type!r} is not offered on {device} (one of: {choices})"


def cuda_device_count() -> int:
    """CUDA devices CTranslate2 can use (0 where its CUDA libraries or a GPU are missing)."""
    import ctranslate2

    try:
        return int(ctranslate2.get_cuda_device_count())
    except RuntimeError:
        return 0


def resolve_device(setting: DeviceSetting, compute_type: str | None) -> WhisperDevice:
    """The device and compute type Whisper loads with; ``compute_type`` None: the device's
    default. Raises ``DeviceError`` with a line that says what to change."""
    device: Device
    if setting == "auto":
        device = "cuda" if cuda_device_count() > 0 else "cpu"
    else:
        device = setting
        if device == "cuda" and cuda_device_count() == 0:
            raise DeviceError(
                "PRAESENT_DEVICE=cuda, but CTranslate2 sees no CUDA device (it needs an NVIDIA "
                "GPU with CUDA 12 and cuDNN 9); set PRAESENT_DEVICE=cpu or auto"
            )
    chosen = compute_type or DEFAULT_COMPUTE_TYPE[device]
    problem = compute_type_problem(device, chosen)
    if problem is not None:
        raise DeviceError(f"PRAESENT_COMPUTE_TYPE: {problem}")
    return WhisperDevice(device, chosen)
