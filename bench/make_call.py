"""Build a long two-channel sales-call WAV from real recordings only.

Left channel = seller, right channel = customer (16 kHz, 16-bit PCM, stereo). The backbone is the
real telephone conversation in ``en-phonecall-2spk``: each speaker's reference turns (RTTM) go on
that speaker's channel with silence elsewhere, so the speech and the turn-taking stay real and only
the channel split is constructed (see ``../shared/data/README.md``). Other real recordings (JFK,
German read speech, the isolated-channel stereo sample) are interleaved so the call is not one loop.

The file is written piece by piece (each piece is at most ~30 s), so a 60-minute call never exists
as one array. A JSON manifest next to the WAV records every piece and the reference turns of the
phone-call pieces.

    python bench/make_call.py .cache/bench/call-10m.wav --minutes 10
"""

from __future__ import annotations

import argparse
import json
import os
import wave
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
# The phone call's first ~6.7 s are silent; repeating them would only pad the call with nothing.
PHONECALL_SKIP_S = 6.6
SELLER_SPEAKER = "speaker90"
CUSTOMER_SPEAKER = "speaker91"
# A short ramp at the edges of each masked turn avoids clicks where the mask cuts the waveform.
EDGE_RAMP_S = 0.005
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"

Int16Stereo = npt.NDArray[np.int16]  # shape (n_samples, 2)


@dataclass(frozen=True)
class Turn:
    speaker: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Piece:
    """One stretch of the built call: where it sits and what it is made of."""

    source: str
    start_s: float
    end_s: float
    # Which original channel or speaker went to the seller (left) and customer (right) channel.
    seller: str
    customer: str


@dataclass(frozen=True)
class RoleTurn:
    role: str
    start_s: float
    end_s: float


def parse_rttm(path: Path) -> list[Turn]:
    """The SPEAKER lines of an RTTM file (onset and duration in seconds, speaker in field 8)."""
    turns: list[Turn] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 8 or fields[0] != "SPEAKER":
            continue
        onset, duration = float(fields[3]), float(fields[4])
        turns.append(Turn(fields[7], onset, onset + duration))
    return turns


def _read_wav_int16(path: Path) -> npt.NDArray[np.int16]:
    """A small 16 kHz PCM16 WAV as (n_samples, n_channels) int16."""
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16 kHz 16-bit PCM")
        channels = wav.getnchannels()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    return data.reshape(-1, channels).astype(np.int16)


def _decode_to_int16_mono(path: Path) -> npt.NDArray[np.int16]:
    """Any format PyAV reads (FLAC at 44.1 kHz here), as 16 kHz mono int16."""
    from faster_whisper.audio import decode_audio  # heavy import, only needed for non-WAV input

    audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    return np.asarray(np.clip(audio * 32767.0, -32768, 32767), dtype=np.int16)


def _turn_mask(n_samples: int, turns: list[Turn], offset_s: float) -> npt.NDArray[np.float32]:
    """1.0 inside the turns (shifted by -offset_s), 0.0 elsewhere, with short ramps at the edges."""
    mask = np.zeros(n_samples, dtype=np.float32)
    ramp = max(1, round(EDGE_RAMP_S * SAMPLE_RATE))
    for turn in turns:
        start = max(0, round((turn.start_s - offset_s) * SAMPLE_RATE))
        end = min(n_samples, round((turn.end_s - offset_s) * SAMPLE_RATE))
        if end <= start:
            continue
        mask[start:end] = 1.0
        n = min(ramp, (end - start) // 2)
        if n > 0:
            mask[start : start + n] = np.minimum(mask[start : start + n], np.linspace(0, 1, n))
            mask[end - n : end] = np.minimum(mask[end - n : end], np.linspace(1, 0, n))
    return mask


class _Sources:
    """The real recordings, loaded once (all of them together are under a minute of audio)."""

    def __init__(self, data_dir: Path) -> None:
        call_dir = data_dir / "en-phonecall-2spk"
        skip = round(PHONECALL_SKIP_S * SAMPLE_RATE)
        mono = _read_wav_int16(call_dir / "sample.wav")[:, 0][skip:]
        turns = parse_rttm(call_dir / "sample.rttm")
        self.phonecall_turns = [
            Turn(t.speaker, max(0.0, t.start_s - PHONECALL_SKIP_S), t.end_s - PHONECALL_SKIP_S)
            for t in turns
            if t.end_s > PHONECALL_SKIP_S
        ]
        seller = [t for t in self.phonecall_turns if t.speaker == SELLER_SPEAKER]
        customer = [t for t in self.phonecall_turns if t.speaker == CUSTOMER_SPEAKER]
        left = mono * _turn_mask(len(mono), seller, 0.0)
        right = mono * _turn_mask(len(mono), customer, 0.0)
        self.phonecall = np.stack([left, right], axis=1).round().astype(np.int16)
        self.stereo = _read_wav_int16(data_dir / "en-stereo-2ch" / "stereo_diarization.wav")
        self.german = _read_wav_int16(data_dir / "de-read-1spk" / "test_de.wav")[:, 0]
        self.jfk = _decode_to_int16_mono(data_dir / "en-jfk" / "jfk.flac")


def _on_channel(mono: npt.NDArray[np.int16], channel: int) -> Int16Stereo:
    out = np.zeros((len(mono), 2), dtype=np.int16)
    out[:, channel] = mono
    return out


def _pieces(
    sources: _Sources, rng: np.random.Generator, interleave: bool
) -> Iterator[tuple[str, str, str, Int16Stereo]]:
    """An endless, seeded sequence of (source, seller, customer, audio) pieces."""
    first = True
    while True:
        kind = "phonecall"
        # The call opens with the real conversation, so a language detected on the first 30 s
        # (as plain Whisper does) sees the call's language, not the German read-speech insert.
        if interleave and not first:
            # Mostly the real two-party conversation; the rest breaks up the loop.
            kind = str(
                rng.choice(["phonecall", "jfk", "german", "stereo"], p=[0.6, 0.15, 0.1, 0.15])
            )
        if kind == "phonecall":
            yield "en-phonecall-2spk", SELLER_SPEAKER, CUSTOMER_SPEAKER, sources.phonecall
        elif kind == "stereo":
            if rng.random() < 0.5:
                yield "en-stereo-2ch", "left", "right", sources.stereo
            else:
                yield "en-stereo-2ch", "right", "left", sources.stereo[:, ::-1].copy()
        else:
            mono = sources.jfk if kind == "jfk" else sources.german
            channel = int(rng.integers(0, 2))
            name = "en-jfk" if kind == "jfk" else "de-read-1spk"
            seller, customer = (name, "silence") if channel == 0 else ("silence", name)
            yield name, seller, customer, _on_channel(mono, channel)
        first = False
        if interleave:
            # A real pause between pieces, as between topics of a call.
            gap = round(float(rng.uniform(0.3, 1.5)) * SAMPLE_RATE)
            yield "silence", "silence", "silence", np.zeros((gap, 2), dtype=np.int16)


def build_call(
    path: Path,
    minutes: float,
    seed: int = 0,
    *,
    interleave: bool = True,
    data_dir: Path = DEFAULT_DATA_DIR,
) -> Path:
    """Write a ``minutes``-long two-channel call to ``path`` (and ``path.json``); return ``path``.

    The same arguments give the same file. It is written to a temporary name and renamed at the
    end, so a half-written call is never mistaken for a finished one.
    """
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    total = round(minutes * 60 * SAMPLE_RATE)
    sources = _Sources(data_dir)
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    pieces: list[Piece] = []
    turns: list[RoleTurn] = []
    written = 0
    with wave.open(str(partial), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        for source, seller, customer, audio in _pieces(sources, rng, interleave):
            chunk = audio[: total - written]
            start_s = round(written / SAMPLE_RATE, 4)
            end_s = round((written + len(chunk)) / SAMPLE_RATE, 4)
            wav.writeframes(chunk.astype("<i2").tobytes())
            if source != "silence":
                pieces.append(Piece(source, start_s, end_s, seller, customer))
            if source == "en-phonecall-2spk":
                for t in sources.phonecall_turns:
                    role = "seller" if t.speaker == SELLER_SPEAKER else "customer"
                    if start_s + t.start_s < end_s:
                        turn_end = min(end_s, start_s + t.end_s)
                        turns.append(
                            RoleTurn(role, round(start_s + t.start_s, 3), round(turn_end, 3))
                        )
            written += len(chunk)
            if written >= total:
                break
    manifest = {
        "sample_rate": SAMPLE_RATE,
        "channels": ["seller", "customer"],
        "duration_s": written / SAMPLE_RATE,
        "seed": seed,
        "interleave": interleave,
        "pieces": [asdict(p) for p in pieces],
        # Reference turns exist only for the phone-call pieces; the others are one-speaker reads.
        "phonecall_turns": [asdict(t) for t in turns],
    }
    os.replace(partial, path)
    manifest_path = path.with_suffix(".json")
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the WAV file to write")
    parser.add_argument("--minutes", type=float, default=10.0, help="duration (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="order of the pieces (default 0)")
    parser.add_argument(
        "--phonecall-only",
        action="store_true",
        help="repeat only the phone call (every second then has reference turns)",
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    out = build_call(
        args.out,
        args.minutes,
        args.seed,
        interleave=not args.phonecall_only,
        data_dir=args.data_dir,
    )
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
