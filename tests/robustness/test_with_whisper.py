"""Whisper's loops never reach the output, and echo never puts the customer's words into the
seller's transcript: the real base model on the shared recordings and degraded versions.

Loops are judged against the recordings' reference texts, not with the transcriber's own
checks (compression ratio, repeats in a row): no word or phrase may occur in the output more
often than in what was said, and a re-decoded span must read like its reference.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.asr.transcriber import Span, TimedWord
from praesent.audio import SAMPLE_RATE
from praesent.engines import Engines
from praesent.evaluation import degrade
from praesent.evaluation.corpus import BuiltCall, all_calls, clip_call, german_clips
from praesent.evaluation.robustness import analyse_condition
from tests.support import SHARED_DATA, shared, wer


def _words(text: str) -> list[str]:
    """Lower case, no punctuation (the shared data's README scores German this way too)."""
    return re.findall(r"[\w']+", text.lower())


def _over_said(output: str, reference: str, slack: int = 2) -> list[tuple[str, int, int]]:
    """The words and phrases (1 to 4 words) the output holds more often than the reference
    does, beyond ``slack`` (misheard words): (phrase, in the output, in the reference)."""
    said, heard = _words(reference), _words(output)
    over = []
    for size in range(1, 5):
        expected = Counter(tuple(said[i : i + size]) for i in range(len(said) - size + 1))
        found = Counter(tuple(heard[i : i + size]) for i in range(len(heard) - size + 1))
        for phrase, count in found.items():
            # Whisper may mishear a word as a common one: a quarter more of those, plus slack.
            allowed = expected[phrase] + slack + (expected[phrase] // 4 if size == 1 else 0)
            if count > allowed:
                over.append((" ".join(phrase), count, expected[phrase]))
    return over


def _reference_text(call: BuiltCall, start_s: float = 0.0, end_s: float = float("inf")) -> str:
    return " ".join(s.text for s in call.words if start_s <= s.start_s and s.end_s <= end_s)


def _span(call: BuiltCall, channel: int, start_s: float, end_s: float) -> Span:
    begin, end = round(start_s * SAMPLE_RATE), round(end_s * SAMPLE_RATE)
    return Span(begin, end, call.audio[channel, begin:end].copy(), begin)


def test_a_looping_decode_is_decoded_again(engines: Engines, call: BuiltCall) -> None:
    """The seller's 10.6-14.9 s; as if the packed decode had looped on it."""
    span = _span(call, 0, 10.56, 14.85)
    loop = [TimedWord("yeah,", span.start_sample, span.start_sample, 0.5)] * 120
    decoded = engines.transcriber.checked(span, loop, "en")
    text = " ".join(word.text for word in decoded.words)
    assert decoded.retried and not decoded.rejected
    # Said here (the STM): "Okay, then I thought you know, I heard a beep. This is Diane in
    # New Jersey." The decode again must read like it, and hold no "yeah" loop.
    reference = _reference_text(call, 10.5, 14.9)
    assert "New Jersey" in reference, reference  # the span is the one the STM says
    error = wer(reference, text)
    assert error <= 0.35, (error, text, reference)
    assert not _over_said(text, reference, slack=1), (text, reference)


def test_a_loop_on_noise_is_dropped(engines: Engines) -> None:
    noise = degrade.pink_noise(3 * SAMPLE_RATE, seed=3) * np.float32(0.003)
    span = Span(0, noise.shape[0], noise, 0)
    loop = [TimedWord("Ja,", 0, 0, 0.5)] * 50
    decoded = engines.transcriber.checked(span, loop, "de")
    text = " ".join(word.text for word in decoded.words)
    # Nothing was said: whatever the transcriber does with the loop, no word reaches the output.
    assert decoded.retried, text
    assert decoded.words == [], text


def _texts(result: dict[str, Any]) -> list[tuple[str, float]]:
    """Every text of an analysis with the seconds it covers: utterances and topic summaries."""
    texts = [
        (str(u["text"]), float(u["end_s"]) - float(u["start_s"])) for u in result["utterances"]
    ]
    for topic in result.get("topics") or []:
        summary = topic.get("summary") or ""
        if isinstance(summary, list):
            summary = " ".join(summary)
        texts.append((str(summary), float(topic["end_s"]) - float(topic["start_s"])))
    return texts


def _calls() -> list[BuiltCall]:
    shared("en-phonecall-2spk/sample.wav")
    calls = [call for call in all_calls(SHARED_DATA) if call.name != "de-read"]
    # German: the first eight recordings (every folder), to keep the test short.
    return [*calls, clip_call("de-read", "de", german_clips(SHARED_DATA, limit=8))]


@pytest.fixture(scope="module")
def calls() -> list[BuiltCall]:
    return _calls()


DEGRADED = ["echo -12 dB 120 ms", "customer -20 dB", "noise 10 dB SNR", "channels swapped"]


@pytest.mark.parametrize("condition", ["clean", *DEGRADED])
def test_no_output_loops(engines: Engines, calls: list[BuiltCall], condition: str) -> None:
    """Every recording clean; the phone call (overlapping speech) in every kind of degradation.
    ``make eval`` runs every recording in every condition."""
    chosen = calls if condition == "clean" else calls[:1]
    with tempfile.TemporaryDirectory() as directory:
        for call in chosen:
            result = analyse_condition(call, degrade.condition(condition), engines, Path(directory))
            reference = _reference_text(call)
            assert _words(reference), call.name  # every call has its reference text
            texts = _texts(result)
            # The whole transcript against everything said in the call (a loop spread over
            # several utterances counts too), then each text on its own.
            transcript = " ".join(text for text, _ in texts[: len(result["utterances"])])
            over = _over_said(transcript, reference)
            assert not over, (call.name, condition, over, transcript)
            for text, _seconds in texts:
                assert not _over_said(text, reference), (call.name, condition, text)


@pytest.fixture(scope="module")
def clean_analysis(engines: Engines, call: BuiltCall) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        return analyse_condition(call, degrade.condition("clean"), engines, Path(directory))


def _seller_reference(call: BuiltCall) -> list[tuple[float, float]]:
    return [(t.start_s, t.end_s) for t in call.turns if t.speaker == "seller"]


@pytest.mark.parametrize(("level_db", "delay_ms"), [(-18, 60), (-12, 120)])
def test_echo_keeps_the_customers_words_out(
    engines: Engines,
    call: BuiltCall,
    clean_analysis: dict[str, Any],
    level_db: float,
    delay_ms: float,
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = call.write_wav(
            Path(directory) / "echo.wav", degrade.echo(call.audio, level_db, delay_ms)
        )
        result = analyse_file(path, AnalysisRequest(), engines)
    reference = _seller_reference(call)
    for utterance in result["utterances"]:
        if utterance["role"] != "seller":
            continue
        for word in utterance["words"]:
            middle = (word["start_s"] + word["end_s"]) / 2
            inside = any(a - 0.3 <= middle <= b + 0.3 for a, b in reference)
            assert inside, (
                f"{word['text']!r} at {middle:.2f} s is the customer's, heard as the seller's"
            )
    # Measured: +0.06 s at both (before: +0.06 s and -0.20 s).
    moved = result["roles"]["seller"]["talk_s"] - clean_analysis["roles"]["seller"]["talk_s"]
    assert abs(moved) <= 0.3, f"seller talk time moved {moved:+.2f} s with echo"
    # No interruption, early start or backchannel that the clean call does not have, and none
    # of its own lost: each the same kind by the same role within 0.1 s (measured: within 64 ms;
    # before, the customer's early start at 14.6 s became an interruption and the seller's
    # interruption at 28.2 s an early start).
    for kind in ("interruptions", "early_starts", "backchannels"):
        found = sorted((e["by"], e["at_s"]) for e in result[kind])
        clean = sorted((e["by"], e["at_s"]) for e in clean_analysis[kind])
        assert len(found) == len(clean), (kind, found, clean)
        for (by, at), (clean_by, clean_at) in zip(found, clean, strict=True):
            assert by == clean_by and abs(at - clean_at) <= 0.1, (kind, found, clean)
