"""A call with less speech than the language rule's 6 s still gets the right language: one
detection over all of its speech decides when Whisper is as sure as faster-whisper requires
(0.5), else the seller's saved language. The real base model on real short recordings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.engines import Engines
from tests.support import shared


def _analyse(engines: Engines, path: Path, prior: str | None) -> dict[str, Any]:
    request = AnalysisRequest(channel_roles=(), mono=True, language_prior=prior)
    return analyse_file(path, request, engines)


def _decided_short(result: dict[str, Any]) -> dict[str, Any]:
    speech_s = sum(u["end_s"] - u["start_s"] for u in result["utterances"])
    [change] = result["language_changes"]
    assert change["source"] == "detected"
    # Decided on all the call's speech at its end (less than the rule's 6 s).
    assert change["speech_s"] < 6.0
    assert change["speech_s"] == pytest.approx(speech_s, abs=0.6)
    return change


@pytest.mark.parametrize("prior", [None, "en"])
def test_a_short_german_call_comes_out_german(engines: Engines, prior: str | None) -> None:
    # 5.3 s of audio, 4 s of speech: one German sentence; a seller who saved English does not
    # turn a German call English.
    result = _analyse(engines, shared("de-read-1spk/test_de.wav"), prior)
    assert result["language"] == "de"
    assert _decided_short(result)["language"] == "de"
    assert "leichenhalle" in " ".join(u["text"] for u in result["utterances"]).lower()


def test_a_short_english_call_stays_english_for_a_german_seller(engines: Engines) -> None:
    # 5.1 s of audio, 3.9 s of speech, English (VCTK p232_006); the seller saved German.
    result = _analyse(engines, shared("noisy-speech/clean/p232_006.wav"), "de")
    assert result["language"] == "en"
    assert _decided_short(result)["language"] == "en"
    assert "sunlight" in " ".join(u["text"] for u in result["utterances"]).lower()
