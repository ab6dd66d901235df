"""Recordings for the speaker tests, built from the shared data with their reference turns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faster_whisper.audio import decode_audio
from faster_whisper.vad import VadOptions, get_speech_timestamps

from tests.support import SAMPLE_RATE, read_wav, rttm_turns, shared, write_wav

# The phone call is quiet between Diane's "…New Jersey now though." (21.49 s) and Sheila's next
# turn (21.78 s): the third voice goes in there.
INSERT_AT_S = 21.63
PAUSE_S = 0.4

Turn = tuple[str, float, float]


def _speech_turns(audio: np.ndarray, speaker: str, offset_s: float) -> list[Turn]:
    """The inserted voice's reference turns: its speech regions (Silero VAD, 0.3 s gaps kept)."""
    found = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300, speech_pad_ms=30))
    return [
        (speaker, offset_s + s["start"] / SAMPLE_RATE, offset_s + s["end"] / SAMPLE_RATE)
        for s in found
    ]


def write_rttm(path: Path, uri: str, turns: list[Turn]) -> Path:
    lines = [
        f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {speaker} <NA> <NA>"
        for speaker, start, end in sorted(turns, key=lambda t: t[1])
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def three_speaker_call(folder: Path) -> tuple[Path, Path]:
    """The phone call (Diane = speaker90, Sheila = speaker91) with JFK's address inserted in a
    pause, on one channel, at the call's level; returns the WAV and its reference RTTM."""
    call = read_wav(shared("en-phonecall-2spk/sample.wav"))[:, 0].astype(np.float32) / 32768
    jfk = decode_audio(str(shared("en-jfk/jfk.flac")), sampling_rate=SAMPLE_RATE)
    speech = np.abs(call) > 0.01
    gain = np.sqrt(np.mean(call[speech] ** 2) / np.mean(jfk[np.abs(jfk) > 0.01] ** 2))
    jfk = (jfk * gain).astype(np.float32)
    cut = round(INSERT_AT_S * SAMPLE_RATE)
    pause = np.zeros(round(PAUSE_S * SAMPLE_RATE), np.float32)
    mixed = np.concatenate([call[:cut], pause, jfk, pause, call[cut:]])
    shift_s = (2 * pause.shape[0] + jfk.shape[0]) / SAMPLE_RATE
    turns: list[Turn] = []
    for speaker, start, end in rttm_turns(shared("en-phonecall-2spk/sample.rttm")):
        moved = shift_s if start >= INSERT_AT_S else 0.0
        turns.append((speaker, start + moved, end + moved))
    turns += _speech_turns(jfk, "jfk", INSERT_AT_S + PAUSE_S)
    pcm = np.clip(np.round(mixed * 32767), -32768, 32767).astype(np.int16)[:, None]
    wav = write_wav(folder / "three-speakers.wav", pcm)
    return wav, write_rttm(folder / "three-speakers.rttm", "three-speakers", turns)


def speaker_clip(folder: Path, speaker: str, name: str) -> Path:
    """One speaker's reference turns of the phone call, back to back: the seller's own channel
    of the two-channel version with the silences left out."""
    call = read_wav(shared("en-phonecall-2spk/sample.wav"))[:, 0]
    turns = rttm_turns(shared("en-phonecall-2spk/sample.rttm"))
    others = [(s, e) for who, s, e in turns if who != speaker]
    pieces = []
    for who, start, end in turns:
        if who != speaker:
            continue
        keep = np.ones(call.shape[0], bool)
        for s, e in others:  # the other voice's overlaps are not on this speaker's channel
            keep[round(s * SAMPLE_RATE) : round(e * SAMPLE_RATE)] = False
        a, b = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        pieces.append(call[a:b][keep[a:b]])
    return write_wav(folder / name, np.concatenate(pieces)[:, None])
