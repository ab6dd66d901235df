"""Shared helpers for tests: where the real recordings are, and calls built from them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import wave
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PRAESENT_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE_RATE = 16_000
# The `figure` fixture: record a measured accuracy figure (name, value, bar) for the summary.
Figure = Callable[[str, float, str], None]


def shared(relative: str) -> Path:
    """A file of the shared recordings; a missing one fails the test loudly, it never skips."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.fail(f"shared test data missing: {path} (set PRAESENT_SHARED_DATA)", pytrace=False)
    return path


def rttm_turns(path: Path) -> list[tuple[str, float, float]]:
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append((fields[7], start, start + duration))
    return turns


def stm_words(path: Path, speaker: str | None = None) -> str:
    texts = []
    for line in path.read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and (speaker is None or fields[2] == speaker):
            texts.append(fields[5])
    return " ".join(texts)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as handle:
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
        return data.reshape(-1, handle.getnchannels())


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """``samples`` is (n, channels) int16."""
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(samples.shape[1])
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(np.ascontiguousarray(samples, dtype=np.int16).tobytes())
    return path


def two_channel_call(mono: Path, rttm: Path, left: str, right: str, target: Path) -> Path:
    """Each speaker's reference turns on that speaker's channel, silence elsewhere."""
    audio = read_wav(mono)[:, 0]
    stereo = np.zeros((audio.shape[0], 2), dtype=np.int16)
    for speaker, start, end in rttm_turns(rttm):
        channel = {left: 0, right: 1}.get(speaker)
        if channel is None:
            continue
        a, b = round(start * SAMPLE_RATE), min(round(end * SAMPLE_RATE), audio.shape[0])
        stereo[a:b, channel] = audio[a:b]
    return write_wav(target, stereo)


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    total, last_end = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end <= last_end:
            continue
        total += end - max(start, last_end)
        last_end = end
    return total


_normalise = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.SubstituteRegexes({r"[^\w\s']": " "}),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


def wer(reference: str, hypothesis: str) -> float:
    return pooled_wer([reference], [hypothesis])


def pooled_wer(references: list[str], hypotheses: list[str]) -> float:
    """Word error rate over several recordings with their words pooled, not averaged per file."""
    return float(
        jiwer.wer(
            references,
            hypotheses,
            reference_transform=_normalise,
            hypothesis_transform=_normalise,
        )
    )


def one_line(text: str) -> bool:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return len(lines) == 1 and "Traceback" not in text and re.search(r"error", lines[0]) is not None


_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def json_log_lines(text: str) -> list[dict[str, Any]]:
    """A process's log with PRAESENT_LOG_FORMAT=json: every line one JSON object with the fields
    every line has (a line that is not fails the test)."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"log line {number} is not JSON: {line!r}")
        assert isinstance(item, dict), line
        assert item["level"] in _LOG_LEVELS, line
        assert isinstance(item["logger"], str) and isinstance(item["message"], str), line
        assert item["time"].endswith("Z"), line
        assert datetime.fromisoformat(item["time"]).utcoffset() == UTC.utcoffset(None), line
        lines.append(item)
    return lines


def wait_until(
    condition: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` (the awaited event) after
    ``timeout_s``. A wait for an event, never a sleep that hopes it has happened."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}", pytrace=False)
        time.sleep(every_s)


async def await_until(
    condition: Callable[[], bool],
    timeout_s: float,
    what: str,
    every_s: float = 0.05,
    watch: asyncio.Task[Any] | None = None,
) -> None:
    """``wait_until`` in an event loop. With ``watch``, a task that must still be running
    while the wait lasts (the call being streamed): its end, or its error, fails the wait."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if watch is not None and watch.done():
            error = None if watch.cancelled() else watch.exception()
            pytest.fail(f"{watch.get_name()} ended while waiting for {what}: {error!r}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:g} s waiting for {what}", pytrace=False)
        await asyncio.sleep(every_s)
