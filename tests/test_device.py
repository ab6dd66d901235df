"""``PRAESENT_DEVICE`` and ``PRAESENT_COMPUTE_TYPE``: checked when read, a missing GPU said in one
line by every command that would load Whisper (the server, a worker, ``analyze``), and the CPU
path as it always was. CI has no GPU: what runs on one is not tested here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from praesent.asr.device import DeviceError, WhisperDevice, cuda_device_count, resolve_device
from praesent.engines import Engines
from praesent.settings import Settings
from tests.live_server import free_port
from tests.support import one_line, write_wav

needs_no_gpu = pytest.mark.skipif(
    cuda_device_count() > 0, reason="this machine has a CUDA device: the error cannot happen"
)


def test_cpu_is_the_default_with_int8() -> None:
    settings = Settings()
    assert settings.device == "cpu" and settings.compute_type is None
    assert resolve_device(settings.device, settings.compute_type) == WhisperDevice("cpu", "int8")
    # An empty value (as in an .env file) is the default too.
    assert Settings(compute_type="").compute_type is None


@pytest.mark.parametrize(
    ("device", "compute_type"),
    [("cpu", "int8"), ("cpu", "float32"), ("cuda", "float16"), ("cuda", "int8_float16")],
)
def test_compute_types_offered_on_their_device(device: str, compute_type: str) -> None:
    settings = Settings(device=device, compute_type=compute_type)
    assert (settings.device, settings.compute_type) == (device, compute_type)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"device": "gpu"}, "device"),
        ({"device": "cpu", "compute_type": "float16"}, "'float16' is not offered on cpu"),
        ({"device": "cuda", "compute_type": "int16"}, "'int16' is not offered on cuda"),
        ({"compute_type": "fast"}, "'fast' is not offered on cpu"),
    ],
)
def test_a_device_or_compute_type_that_cannot_be_is_refused(
    values: dict[str, str], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(**values)


@needs_no_gpu
def test_cuda_without_a_cuda_device_is_a_clear_error() -> None:
    with pytest.raises(DeviceError, match="sees no CUDA device") as raised:
        resolve_device("cuda", "int8_float16")
    assert "PRAESENT_DEVICE=cpu" in raised.value.message


@needs_no_gpu
def test_auto_without_a_cuda_device_is_the_cpu() -> None:
    assert resolve_device("auto", None) == WhisperDevice("cpu", "int8")
    # A GPU-only compute type cannot follow "auto" onto the CPU.
    with pytest.raises(DeviceError, match="'float16' is not offered on cpu"):
        resolve_device("auto", "float16")


def test_the_cpu_model_loads_as_before(engines: Engines) -> None:
    assert engines.transcriber.options.device == "cpu"
    device, compute_type = engines.transcriber.loaded_on
    assert device == "cpu" and compute_type.startswith("int8"), (device, compute_type)


def _praesent(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PRAESENT_")}
    return subprocess.run(
        [sys.executable, "-m", "praesent", *args],
        capture_output=True,
        text=True,
        env={
            **clean,
            "PRAESENT_DATA_DIR": str(tmp_path),
            # The data dir holds the database only; the models stay where `make` put them.
            "PRAESENT_MODELS_DIR": str(Settings().model_root),
            **env,
        },
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


@needs_no_gpu
@pytest.mark.parametrize("command", ["analyze", "serve", "worker"])
def test_every_command_says_a_missing_gpu_in_one_line(command: str, tmp_path: Path) -> None:
    args: list[str] = [command]
    if command == "analyze":
        recording = tmp_path / "call.wav"
        write_wav(recording, np.zeros((16_000, 2), np.int16))
        args.append(str(recording))
    if command == "serve":
        args += ["--port", str(free_port())]
    # The worker fails before it reaches the queue.
    result = _praesent(
        *args, tmp_path=tmp_path, PRAESENT_DEVICE="cuda", PRAESENT_REDIS_URL="redis://127.0.0.1:1"
    )
    assert result.returncode == 2, result.stderr
    assert one_line(result.stderr), result.stderr
    assert "sees no CUDA device" in result.stderr, result.stderr


def test_a_bad_device_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    result = _praesent("analyze", "x.wav", tmp_path=tmp_path, PRAESENT_COMPUTE_TYPE="float16")
    assert result.returncode == 2, result.stderr
    assert one_line(result.stderr), result.stderr
    assert "'float16' is not offered on cpu" in result.stderr, result.stderr
