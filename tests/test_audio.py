"""Decoding real recordings in every supported container, streamed, channels kept apart."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from praesent.audio.decode import iter_blocks, probe
from praesent.errors import AudioError
from tests.support import read_wav, shared


def _encode(source: Path, target: Path, codec: str, rate: int) -> Path:
    """Re-encode a real recording with PyAV into another container and codec."""
    samples = read_wav(source).T.astype(np.int16)
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    with av.open(str(target), "w") as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.T.reshape(1, -1)), format="s16", layout=layout
        )
        frame.sample_rate = 16_000
        resampler = av.AudioResampler(format=stream.codec_context.format, layout=layout, rate=rate)
        for converted in resampler.resample(frame):
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return target


@pytest.mark.parametrize(
    ("suffix", "codec", "rate"),
    [
        ("mp3", "libmp3lame", 44_100),
        ("m4a", "aac", 48_000),
        ("ogg", "libopus", 48_000),
        ("flac", "flac", 22_050),
    ],
)
def test_containers_decode_to_16khz_with_channels_apart(
    tmp_path: Path, suffix: str, codec: str, rate: int
) -> None:
    source = shared("en-stereo-2ch/stereo_diarization.wav")
    encoded = _encode(source, tmp_path / f"call.{suffix}", codec, rate)
    blocks = list(iter_blocks(encoded))
    audio = np.concatenate(blocks, axis=1)
    assert audio.shape[0] == 2
    assert audio.shape[1] / 16_000 == pytest.approx(5.0, abs=0.08)
    # The right channel is silent after ~2.6 s in the original; the left is not.
    right_tail = np.abs(audio[1, 48_000:]).max()
    left_tail = np.abs(audio[0, 48_000:]).max()
    assert right_tail < 0.02 < left_tail


def test_decoding_is_streamed_in_fixed_blocks() -> None:
    blocks = list(iter_blocks(shared("en-jfk/jfk.flac"), block_s=2.0))
    assert all(block.shape == (2, 32_000) for block in blocks[:-1])
    assert sum(block.shape[1] for block in blocks) == pytest.approx(176_000, abs=16)
    info = probe(shared("en-jfk/jfk.flac"))
    assert (info.channels, info.source_rate, info.codec) == (2, 44_100, "flac")


def test_bad_files_give_one_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "notes.wav"
    text.write_text("these are meeting notes, not audio\n" * 20)
    with pytest.raises(AudioError, match="empty"):
        probe(empty)
    with pytest.raises(AudioError, match="not a readable audio file"):
        probe(text)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(shared("de-read-1spk/test_de.wav").read_bytes()[:40_000])
    with pytest.raises(AudioError, match="truncated"):
        list(iter_blocks(truncated))
