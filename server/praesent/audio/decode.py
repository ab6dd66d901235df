"""Decode any audio file PyAV (FFmpeg) reads into 16 kHz float blocks, channels kept apart.

The file is read as a stream: only one block lives in memory at a time, so a two-hour call
costs no more memory than a short one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE
from praesent.errors import AudioError, TooLongError

FloatBlock = npt.NDArray[np.float32]

# A file whose decodable audio is shorter than its header says by more than this is truncated.
_TRUNCATION_TOLERANCE_S = 0.5


@dataclass(frozen=True, slots=True)
class AudioInfo:
    channels: int
    source_rate: int
    # From the container header; None when the format does not say.
    declared_duration_s: float | None
    codec: str


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise AudioError(f"{path}: not a readable audio file ({_reason(error)})") from None


def _reason(error: Exception) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _riff_missing_bytes(path: Path) -> int:
    """How many bytes of a WAV file's data chunk its header promises but the file lacks.

    FFmpeg quietly clamps a WAV's duration to the file size, so truncation is checked here.
    """
    with path.open("rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return 0
        while chunk := handle.read(8):
            if len(chunk) < 8:
                return 0
            size = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                # 0 and 0xFFFFFFFF mean "unknown length" (streamed WAV).
                if size in (0, 0xFFFFFFFF):
                    return 0
                return max(0, handle.tell() + size - path.stat().st_size)
            handle.seek(size + (size & 1), 1)
    return 0


def probe(path: Path) -> AudioInfo:
    with _open(path) as container:
        if not container.streams.audio:
            raise AudioError(f"{path}: the file has no audio stream")
        stream = container.streams.audio[0]
        missing = _riff_missing_bytes(path)
        if missing > 0:
            raise AudioError(f"{path}: the file is truncated ({missing} bytes of audio missing)")
        declared: float | None = None
        if stream.duration is not None and stream.time_base is not None:
            declared = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            declared = container.duration / av.time_base
        return AudioInfo(
            channels=stream.codec_context.channels,
            source_rate=stream.codec_context.sample_rate,
            declared_duration_s=declared,
            codec=stream.codec_context.name,
        )


def _too_long(max_s: float) -> TooLongError:
    return TooLongError(
        f"the recording is longer than {max_s / 3600:g} h, the most one upload may hold"
    )


def check_duration(info: AudioInfo, max_s: float | None) -> None:
    """Refuse a file whose header declares more than ``max_s`` seconds, before any decoding."""
    declared = info.declared_duration_s
    if max_s is not None and declared is not None and declared > max_s:
        raise _too_long(max_s)


def iter_blocks(
    path: Path, block_s: float = 8.0, max_s: float | None = None
) -> Iterator[FloatBlock]:
    """Yield blocks of shape (channels, samples) at 16 kHz, float32 in [-1, 1].

    Every block but the last holds exactly ``block_s`` seconds. With ``max_s``, decoding stops
    with TooLongError once the audio goes past it (a header may not say, or lie).
    """
    info = probe(path)
    block_samples = round(block_s * SAMPLE_RATE)
    pending: list[FloatBlock] = []
    pending_samples = 0
    decoded = 0
    with _open(path) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=SAMPLE_RATE)
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    for out in resampler.resample(frame):
                        pending.append(out.to_ndarray().astype(np.float32, copy=False))
                        pending_samples += out.samples
                if max_s is not None and (decoded + pending_samples) / SAMPLE_RATE > max_s:
                    raise _too_long(max_s)
                while pending_samples >= block_samples:
                    joined = np.concatenate(pending, axis=1)
                    yield joined[:, :block_samples]
                    decoded += block_samples
                    rest = joined[:, block_samples:]
                    pending, pending_samples = [rest], rest.shape[1]
            for out in resampler.resample(None):
                pending.append(out.to_ndarray().astype(np.float32, copy=False))
        except av.error.FFmpegError as error:
            raise AudioError(f"{path}: the audio is damaged ({_reason(error)})") from None
    if pending:
        joined = np.concatenate(pending, axis=1)
        if joined.shape[1]:
            decoded += joined.shape[1]
            yield joined
    if decoded == 0:
        raise AudioError(f"{path}: the file holds no audio samples")
    declared = info.declared_duration_s
    if declared is not None and decoded / SAMPLE_RATE < declared - _TRUNCATION_TOLERANCE_S:
        raise AudioError(
            f"{path}: the file is truncated (header says {declared:.1f} s, "
            f"only {decoded / SAMPLE_RATE:.1f} s decode)"
        )
