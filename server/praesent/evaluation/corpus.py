"""Two-channel calls built from the shared recordings, with their references.

- ``en-phonecall``: the real phone call, each speaker's reference turns on that speaker's channel
  (seller = Diane, customer = Sheila); references: its RTTM turns and STM words.
- ``en-stereo``: the two-channel read-speech file as it is (left seller, right customer);
  references: the channel transcripts, speech turns from the isolated channels' energy.
- ``en-read``, ``de-read``: the one-speaker recordings of each language as a call, seller and
  customer taking turns clip by clip with a pause between; references: each clip's text, and as
  turns the clip's speech (its frames within 35 dB of its loudest, short gaps bridged).
"""

from __future__ import annotations

import wave
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE
from praesent.audio.decode import iter_blocks
from praesent.core.facts import Role
from praesent.errors import InputError
from praesent.evaluation.references import RttmTurn, StmSegment, parse_rttm, parse_stm

_FRAME = 512
ROLES_OF_CHANNELS: tuple[Role, Role] = ("seller", "customer")


class MissingDataError(InputError):
    """The shared recordings are not where they were looked for."""


@dataclass(slots=True)
class BuiltCall:
    name: str
    language: str
    audio: npt.NDArray[np.float32]  # (2, n): seller, customer
    turns: list[RttmTurn] = field(default_factory=list)  # speakers "seller" / "customer"
    words: list[StmSegment] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return float(self.audio.shape[1] / SAMPLE_RATE)

    def write_wav(self, path: Path, audio: npt.NDArray[np.float32] | None = None) -> Path:
        samples = self.audio if audio is None else audio
        pcm = np.clip(np.round(samples.T * 32767), -32768, 32767).astype("<i2")
        with wave.open(str(path), "wb") as handle:
            handle.setnchannels(2)
            handle.setsampwidth(2)
            handle.setframerate(SAMPLE_RATE)
            handle.writeframes(pcm.tobytes())
        return path

    def write_references(self, directory: Path) -> tuple[Path, Path]:
        rttm = directory / f"{self.name}.rttm"
        rttm.write_text(
            "".join(
                f"SPEAKER {self.name} 1 {t.start_s:.3f} {t.duration_s:.3f} <NA> <NA> "
                f"{t.speaker} <NA> <NA>\n"
                for t in self.turns
            )
        )
        stm = directory / f"{self.name}.stm"
        stm.write_text(
            "".join(
                f"{self.name} 1 {s.speaker} {s.start_s:.3f} {s.end_s:.3f} {s.text}\n"
                for s in self.words
            )
        )
        return rttm, stm


def _require(path: Path) -> Path:
    if not path.exists():
        raise MissingDataError(f"shared recording missing: {path}")
    return path


def read_audio(path: Path) -> npt.NDArray[np.float32]:
    """Every channel of a file at 16 kHz, (channels, n)."""
    try:
        blocks = list(iter_blocks(_require(path)))
    except av.error.FFmpegError as error:  # pragma: no cover - the shared files are readable
        raise MissingDataError(f"{path}: {error}") from error
    return np.concatenate(blocks, axis=1).astype(np.float32)


def speech_extent(audio: npt.NDArray[np.float32], bridge_s: float = 0.3) -> list[tuple[int, int]]:
    """Where a clean one-speaker clip has speech: frames within 35 dB of its loudest (95th
    percentile) frames, gaps under ``bridge_s`` bridged; (start, end) samples."""
    frames = audio[: audio.shape[0] // _FRAME * _FRAME].reshape(-1, _FRAME)
    if frames.shape[0] == 0:
        return []
    power = np.mean(frames.astype(np.float64) ** 2, axis=1)
    loud = power >= np.percentile(power, 95) * 10 ** (-35 / 10)
    spans: list[tuple[int, int]] = []
    bridge = round(bridge_s * SAMPLE_RATE / _FRAME)
    for index in np.flatnonzero(loud).tolist():
        if spans and index - spans[-1][1] <= bridge:
            spans[-1] = (spans[-1][0], index + 1)
        else:
            spans.append((index, index + 1))
    return [(a * _FRAME, b * _FRAME) for a, b in spans if b - a >= 3]


def _turns_from_extent(
    role: str, audio: npt.NDArray[np.float32], offset: int, uri: str
) -> list[RttmTurn]:
    return [
        RttmTurn(uri, "1", role, (offset + a) / SAMPLE_RATE, (b - a) / SAMPLE_RATE)
        for a, b in speech_extent(audio)
    ]


def phonecall(data: Path) -> BuiltCall:
    folder = data / "en-phonecall-2spk"
    mono = read_audio(folder / "sample.wav")[0]
    roles = {"speaker90": "seller", "speaker91": "customer"}
    turns = [t for t in parse_rttm(_require(folder / "sample.rttm")) if t.speaker in roles]
    audio = np.zeros((2, mono.shape[0]), dtype=np.float32)
    for turn in turns:
        channel = ROLES_OF_CHANNELS.index(roles[turn.speaker])
        a = round(turn.start_s * SAMPLE_RATE)
        b = min(round(turn.end_s * SAMPLE_RATE), mono.shape[0])
        audio[channel, a:b] = mono[a:b]
    renamed = [
        RttmTurn("en-phonecall", "1", roles[t.speaker], t.start_s, t.duration_s) for t in turns
    ]
    speakers = {"Diane": "seller", "Sheila": "customer"}
    words = [
        StmSegment(
            "en-phonecall", "1", speakers.get(s.speaker, s.speaker), s.start_s, s.end_s, s.text
        )
        for s in parse_stm(_require(folder / "sample.stm"))
    ]
    return BuiltCall("en-phonecall", "en", audio, renamed, words)


def stereo(data: Path) -> BuiltCall:
    folder = data / "en-stereo-2ch"
    audio = read_audio(folder / "stereo_diarization.wav")
    texts: dict[str, str] = {}
    lines = _require(folder / "stereo_diarization.channel_transcripts.tsv").read_text()
    for line in lines.splitlines()[1:]:
        channel, text = line.split("\t")
        texts["seller" if channel.startswith("left") else "customer"] = text
    turns: list[RttmTurn] = []
    words: list[StmSegment] = []
    for index, role in enumerate(ROLES_OF_CHANNELS):
        role_turns = _turns_from_extent(role, audio[index], 0, "en-stereo")
        turns += role_turns
        if role_turns:
            words.append(
                StmSegment(
                    "en-stereo", "1", role, role_turns[0].start_s, role_turns[-1].end_s, texts[role]
                )
            )
    return BuiltCall("en-stereo", "en", audio, turns, words)


def clip_call(
    name: str,
    language: str,
    clips: Iterable[tuple[npt.NDArray[np.float32], str]],
    pause_s: float = 0.6,
) -> BuiltCall:
    """Clips of one speaker each, seller and customer taking turns, ``pause_s`` between the
    speech of one and the next (each clip's leading and trailing silence trimmed)."""
    placed: list[tuple[int, npt.NDArray[np.float32], str]] = []
    for number, (clip, text) in enumerate(clips):
        extent = speech_extent(clip)
        if not extent:
            continue
        begin = max(0, extent[0][0] - SAMPLE_RATE // 10)
        end = min(clip.shape[0], extent[-1][1] + SAMPLE_RATE // 10)
        placed.append((number % 2, clip[begin:end], text))
    pause = round(pause_s * SAMPLE_RATE)
    length = sum(clip.shape[0] + pause for _, clip, _ in placed) + pause
    audio = np.zeros((2, length), dtype=np.float32)
    turns: list[RttmTurn] = []
    words: list[StmSegment] = []
    position = pause
    for channel, clip, text in placed:
        role = ROLES_OF_CHANNELS[channel]
        audio[channel, position : position + clip.shape[0]] = clip
        clip_turns = _turns_from_extent(role, clip, position, name)
        turns += clip_turns
        if clip_turns:
            words.append(
                StmSegment(name, "1", role, clip_turns[0].start_s, clip_turns[-1].end_s, text)
            )
        position += clip.shape[0] + pause
    return BuiltCall(name, language, audio, turns, words)


def german_clips(data: Path, limit: int | None = None) -> list[tuple[npt.NDArray[np.float32], str]]:
    """Every German recording with its text: de-read-1spk, de-fleurs-read, de-thorsten-read."""
    paths = [_require(data / "de-read-1spk" / "test_de.wav")]
    for folder in ("de-fleurs-read", "de-thorsten-read"):
        found = sorted((data / folder).glob("*.wav"))
        if not found:
            raise MissingDataError(f"shared recordings missing: {data / folder}/*.wav")
        paths += found
    clips = []
    for path in paths[:limit]:
        text = _require(path.with_suffix(".txt")).read_text().strip()
        clips.append((read_audio(path).mean(axis=0).astype(np.float32), text))
    return clips


def english_clips(data: Path) -> list[tuple[npt.NDArray[np.float32], str]]:
    """The English one-speaker recordings: JFK's address and each channel of the stereo file."""
    jfk = read_audio(data / "en-jfk" / "jfk.flac").mean(axis=0).astype(np.float32)
    stereo_call = stereo(data)
    clips = [(jfk, _require(data / "en-jfk" / "jfk.txt").read_text().strip())]
    for index, segment in enumerate(stereo_call.words):
        clips.append((stereo_call.audio[index], segment.text))
    return clips


def all_calls(data: Path) -> list[BuiltCall]:
    """Every recording of the shared data, as the calls above."""
    return [
        phonecall(data),
        stereo(data),
        clip_call("en-read", "en", english_clips(data)),
        clip_call("de-read", "de", german_clips(data)),
    ]


def german_first(
    call: BuiltCall, clips: Iterable[tuple[npt.NDArray[np.float32], str]]
) -> BuiltCall:
    """``call`` with German speech of the seller before it (the clips one after another, each
    trimmed, 0.4 s apart): a call whose first seconds sound German though it goes on in English."""
    pieces: list[npt.NDArray[np.float32]] = [np.zeros(SAMPLE_RATE // 2, np.float32)]
    words: list[StmSegment] = []
    position = pieces[0].shape[0]
    for clip, text in clips:
        extent = speech_extent(clip)
        if not extent:
            continue
        trimmed = clip[max(0, extent[0][0] - SAMPLE_RATE // 10) : extent[-1][1] + SAMPLE_RATE // 10]
        words.append(
            StmSegment(
                call.name,
                "1",
                "seller",
                position / SAMPLE_RATE,
                (position + trimmed.shape[0]) / SAMPLE_RATE,
                text,
            )
        )
        pieces += [trimmed, np.zeros(round(0.4 * SAMPLE_RATE), np.float32)]
        position += trimmed.shape[0] + round(0.4 * SAMPLE_RATE)
    seller = np.concatenate(pieces)
    offset_s = seller.shape[0] / SAMPLE_RATE
    audio = np.concatenate([np.zeros((2, seller.shape[0]), np.float32), call.audio], axis=1)
    audio[0, : seller.shape[0]] = seller
    shifted = [
        StmSegment(s.uri, s.channel, s.speaker, s.start_s + offset_s, s.end_s + offset_s, s.text)
        for s in call.words
    ]
    turns = [
        RttmTurn(t.uri, t.channel, t.speaker, t.start_s + offset_s, t.duration_s)
        for t in call.turns
    ]
    return BuiltCall(f"de-then-{call.name}", call.language, audio, turns, words + shifted)
