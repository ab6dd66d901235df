"""The analysis of real recordings with the real base model, against their references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import Engines
from tests.support import rttm_turns, shared, stm_words, union_seconds, wer


def _text(result: dict[str, Any], role: str | None) -> str:
    return " ".join(u["text"] for u in result["utterances"] if u["role"] == role)


@pytest.fixture(scope="module")
def stereo(engines: Engines) -> dict[str, Any]:
    return analyse_file(shared("en-stereo-2ch/stereo_diarization.wav"), AnalysisRequest(), engines)


@pytest.fixture(scope="module")
def phonecall_mono(engines: Engines) -> dict[str, Any]:
    request = AnalysisRequest(channel_roles=(), mono=True)
    return analyse_file(shared("en-phonecall-2spk/sample.wav"), request, engines)


def test_stereo_channels_are_transcribed_per_role(stereo: dict[str, Any]) -> None:
    references = {}
    for line in (
        shared("en-stereo-2ch/stereo_diarization.channel_transcripts.tsv")
        .read_text()
        .splitlines()[1:]
    ):
        channel, text = line.split("\t")
        references["seller" if channel.startswith("left") else "customer"] = text
    assert wer(references["seller"], _text(stereo, "seller")) <= 0.10
    assert wer(references["customer"], _text(stereo, "customer")) <= 0.10
    customer_end = max(s["end_s"] for s in stereo["segments"] if s["role"] == "customer")
    assert customer_end == pytest.approx(2.6, abs=0.3)
    assert stereo["language"] == "en"
    for utterance in stereo["utterances"]:
        for word in utterance["words"]:
            assert utterance["start_s"] <= word["start_s"] <= word["end_s"] <= utterance["end_s"]


def test_mono_phonecall_activity_and_words(phonecall_mono: dict[str, Any]) -> None:
    frame = 0.01
    found = np.zeros(3000, dtype=bool)
    for segment in phonecall_mono["segments"]:
        assert segment["role"] is None
        found[round(segment["start_s"] / frame) : round(segment["end_s"] / frame)] = True
    expected = np.zeros(3000, dtype=bool)
    for _, start, end in rttm_turns(shared("en-phonecall-2spk/sample.rttm")):
        expected[round(start / frame) : round(end / frame)] = True
    hits = (found & expected).sum()
    precision, recall = hits / found.sum(), hits / expected.sum()
    assert 2 * precision * recall / (precision + recall) >= 0.9
    reference = stm_words(shared("en-phonecall-2spk/sample.stm"))
    assert wer(reference, _text(phonecall_mono, None)) <= 0.25


def test_two_channel_talk_times_match_the_reference(
    engines: Engines, phonecall_stereo: Path
) -> None:
    result = analyse_file(phonecall_stereo, AnalysisRequest(), engines)
    turns = rttm_turns(shared("en-phonecall-2spk/sample.rttm"))
    for speaker, role in (("speaker90", "seller"), ("speaker91", "customer")):
        reference = union_seconds([(s, e) for who, s, e in turns if who == speaker])
        assert result["roles"][role]["talk_s"] == pytest.approx(reference, abs=1.0)
    total = result["roles"]["seller"]["talk_s"] + result["roles"]["customer"]["talk_s"]
    assert result["seller_share"] == pytest.approx(
        result["roles"]["seller"]["talk_s"] / total, abs=1e-3
    )
    assert result["duration_s"] == pytest.approx(30.0, abs=0.01)


def test_german_is_detected_and_transcribed(engines: Engines) -> None:
    request = AnalysisRequest(channel_roles=(), mono=True)
    result = analyse_file(shared("de-read-1spk/test_de.wav"), request, engines)
    assert result["language"] == "de"
    reference = shared("de-read-1spk/test_de.txt").read_text()
    assert wer(reference, _text(result, None)) <= 0.20
