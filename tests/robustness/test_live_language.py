"""``language: auto`` live: the call's language is decided from several seconds of speech of
both channels, corrected by confident later speech, and the live session agrees with
``praesent analyze`` of the same file. The first words are not held for the decision: they go
out at once in the best guess, provisional, and the decision names them if it differs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from praesent.analysis import AnalysisRequest
from praesent.audio import SAMPLE_RATE
from praesent.evaluation.corpus import (
    BuiltCall,
    clip_call,
    german_clips,
    german_first,
    phonecall,
    read_audio,
)
from praesent.evaluation.scoring import word_error_rate
from praesent.live.player import stream_file
from tests.analyses import Analyses
from tests.live_server import ServerProcess
from tests.support import SHARED_DATA, shared

ROLES = ("seller", "customer")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("live-language")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def german_call(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuiltCall, Path]:
    shared("de-read-1spk/test_de.wav")
    call = clip_call("de-call", "de", german_clips(SHARED_DATA, limit=6))
    return call, call.write_wav(tmp_path_factory.mktemp("de") / "de-call.wav")


def _clip(relative: str) -> tuple[np.ndarray, str]:
    path = shared(relative)
    return read_audio(path)[0], path.with_suffix(".txt").read_text().strip()


@pytest.fixture(scope="module")
def german_then_english(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuiltCall, Path]:
    """The English phone call after 7.5 s of German from the seller (two German recordings):
    German is decided first, then the English call must correct it."""
    shared("en-phonecall-2spk/sample.wav")
    clips = [_clip("de-read-1spk/test_de.wav"), _clip("de-thorsten-read/gt_sample01.wav")]
    call = german_first(phonecall(SHARED_DATA), clips)
    return call, call.write_wav(tmp_path_factory.mktemp("de-en") / "de-then-en.wav")


@pytest.fixture(scope="module")
def short_german_then_english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4.4 s of German from the seller, then 11.5 s of the English phone call (its first words):
    the first detection says German, the call is English. 17 s in all."""
    shared("en-phonecall-2spk/sample.wav")
    english = phonecall(SHARED_DATA)
    start, end = round(6.5 * SAMPLE_RATE), round(18.0 * SAMPLE_RATE)
    short = BuiltCall(english.name, "en", english.audio[:, start:end])
    call = german_first(short, [_clip("de-read-1spk/test_de.wav")])
    return call.write_wav(tmp_path_factory.mktemp("short") / "short-de-then-en.wav")


def _changes(analysis: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(c["language"], c["source"]) for c in analysis["language_changes"]]


def _pairs(items: list[dict[str, Any]]) -> list[tuple[str, float]]:
    return [(item["by"], item["at_s"]) for item in items]


def _live(server: ServerProcess, path: Path, speed: float) -> tuple[dict[str, Any], list[Any]]:
    events: list[dict[str, Any]] = []
    final = asyncio.run(
        stream_file(path, ROLES, server.ws, speed=speed, language="auto", on_event=events.append)
    )
    assert final["status"] == "finished"
    response = httpx.get(f"{server.http}/v1/sessions/{final['session_id']}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json(), events


def _agree(live: dict[str, Any], offline: dict[str, Any]) -> None:
    assert live["language"] == offline["language"]
    for role in ROLES:
        assert live["roles"][role]["talk_s"] == pytest.approx(
            offline["roles"][role]["talk_s"], abs=0.1
        )
    assert _pairs(live["interruptions"]) == _pairs(offline["interruptions"])
    assert _pairs(live["backchannels"]) == _pairs(offline["backchannels"])


def test_english_call_auto_at_speed_4(
    server: ServerProcess, phonecall_stereo: Path, analyses: Analyses
) -> None:
    live, events = _live(server, phonecall_stereo, speed=4.0)
    offline = analyses(phonecall_stereo, AnalysisRequest(language="auto"))
    assert offline["language"] == "en"
    _agree(live, offline)
    transcripts = [e["text"] for e in events if e["type"] == "transcript"]
    assert transcripts
    # Detected, so the first transcripts are provisional until a later batch confirms English;
    # from then on they are final.
    flags = [e["provisional"] for e in events if e["type"] == "transcript"]
    assert flags[0] and not flags[-1], flags
    assert flags == sorted(flags, reverse=True), flags
    reference = " ".join(
        line.split(maxsplit=5)[5]
        for line in shared("en-phonecall-2spk/sample.stm").read_text().splitlines()
    )
    wer = word_error_rate([reference], [" ".join(transcripts)])
    # Measured 0.20 (the file path's figure); German words would put it near 1.
    assert wer is not None and wer <= 0.3, f"live English WER {wer:.2f}"


def test_german_call_auto_at_speed_4(
    server: ServerProcess, german_call: tuple[BuiltCall, Path], analyses: Analyses
) -> None:
    call, path = german_call
    live, events = _live(server, path, speed=4.0)
    offline = analyses(path, AnalysisRequest(language="auto"))
    assert offline["language"] == "de"
    _agree(live, offline)
    transcripts = [e["text"] for e in events if e["type"] == "transcript"]
    wer = word_error_rate([" ".join(s.text for s in call.words)], [" ".join(transcripts)])
    assert wer is not None and wer <= 0.4, f"live German WER {wer:.2f}"


def test_a_short_german_mumble_first_does_not_make_the_call_german(
    analyses: Analyses, tmp_path: Path
) -> None:
    """The issue's case: 4.4 s of German from the seller, then the English call. The first
    seconds alone would say German; the rule waits until one language clearly leads."""
    shared("en-phonecall-2spk/sample.wav")
    call = german_first(phonecall(SHARED_DATA), [_clip("de-read-1spk/test_de.wav")])
    result = analyses(call.write_wav(tmp_path / "mumble.wav"), AnalysisRequest())
    assert result["language"] == "en"
    # Measured: decided English once 13.8 s of speech were heard (at 19.9 s), no correction.
    assert _changes(result) == [("en", "detected")]
    # The customer's words are English. (The seller's channel packs the German sentence with
    # her English ones into one decoder window, where Whisper loses the English either way,
    # pinned "en" too: measured 0 of 7 seller utterances.)
    heard = [u["text"] for u in result["utterances"] if u["role"] == "customer"]
    reference = " ".join(s.text for s in call.words if s.speaker == "customer")
    wer = word_error_rate([reference], [" ".join(heard)])
    assert wer is not None and wer <= 0.35, f"customer WER {wer:.2f} after a German mumble"


def test_a_confident_later_detection_corrects_live_and_in_the_file(
    server: ServerProcess, german_then_english: tuple[BuiltCall, Path], analyses: Analyses
) -> None:
    call, path = german_then_english
    offline = analyses(path, AnalysisRequest(language="auto"))
    # Measured: German decided at 7.8 s (7.5 s of speech), corrected to English at 26.7 s by
    # the first 10 s review batch (English 0.99).
    assert _changes(offline) == [("de", "detected"), ("en", "corrected")]
    assert offline["language"] == "en"
    corrected_s = offline["language_changes"][1]["at_s"]
    live, events = _live(server, path, speed=4.0)
    # The session says so as it happens, and its analysis lists the same changes.
    announced = [e for e in events if e["type"] == "language"]
    assert [(e["language"], e["source"]) for e in announced] == _changes(offline)
    assert _changes(live) == _changes(offline)
    for mine, theirs in zip(live["language_changes"], offline["language_changes"], strict=True):
        assert mine["at_s"] == pytest.approx(theirs["at_s"], abs=0.5)
    _agree(live, offline)
    # Every transcript sent before the correction was marked provisional, and the correction
    # names them all.
    correction = next(e for e in announced if e["source"] == "corrected")
    before = [e for e in events if e["type"] == "transcript" and e["seq"] < correction["seq"]]
    assert before and all(e["provisional"] for e in before), before
    assert correction["revises"] == [e["seq"] for e in before]
    # What follows the correction is transcribed in English.
    after = [e["text"] for e in events if e["type"] == "transcript" and e["at_s"] > corrected_s]
    reference = " ".join(s.text for s in call.words if s.start_s > corrected_s)
    wer = word_error_rate([reference], [" ".join(after)])
    # Measured 0.37 (two utterances, "there isn't" heard as "there's not"); German near 1.
    assert after and wer is not None and wer <= 0.5, f"WER after the correction {wer:.2f}"


def test_the_first_words_go_out_before_the_decision_and_a_differing_one_names_them(
    server: ServerProcess, short_german_then_english: Path
) -> None:
    """The seller's German sentence is shown at once in German (the first detection's guess),
    provisional, before the call is decided English; the decision lists it in ``revises``."""
    # In real time: faster, the English utterances can all reach the language rule (which hears
    # every waiting utterance before the oldest is decoded) before the German one is decoded,
    # and then the call is decided before any transcript is due.
    _, events = _live(server, short_german_then_english, speed=1.0)
    decisions = [e for e in events if e["type"] == "language"]
    assert [(e["language"], e["source"]) for e in decisions][:1] == [("en", "detected")]
    decision = decisions[0]
    transcripts = [e for e in events if e["type"] == "transcript"]
    before = [e for e in transcripts if e["seq"] < decision["seq"]]
    assert before, "every transcript waited for the decision"
    assert all(e["provisional"] for e in before), before
    # The German sentence went out first, in German, and the English decision overrules it.
    german = before[0]
    assert german["role"] == "seller" and german["at_s"] < 5.5, german
    reference = _clip("de-read-1spk/test_de.wav")[1]
    wer = word_error_rate([reference], [german["text"]])
    # In German, not in English words: English would put it near 1.
    assert wer is not None and wer <= 0.5, f"German guess WER {wer:.2f}: {german['text']}"
    assert german["seq"] in decision["revises"], (german, decision)
    # Only guesses in German are named: transcripts after the decision are not.
    assert all(seq < decision["seq"] for seq in decision["revises"]), decision
