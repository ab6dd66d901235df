"""Interruptions and backchannels of ``praesent analyze`` (the file analysis: voice activity,
speech-to-text, the core) against events labelled by hand (``tests/fixtures/events``): the real
phone call, a call built from noisy-speech recordings and one built from German recordings.

The references were written from the recordings' timings and DESIGN's definitions, not by
praesent's code (``LABELLING.md`` says how). An event counts as found when the run has one of the
same kind, by the same role, within 0.5 s."""

from __future__ import annotations

from typing import Any

import pytest

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.core.facts import Role
from praesent.engines import Engines
from praesent.evaluation import match_events
from praesent.evaluation.scoring import MatchScore
from tests.evaluation.hand_labelled import CHANNELS, Labelled, build, load
from tests.support import Figure

TOLERANCE_S = 0.5
BUILT = ("en-noisy", "de-read")
KINDS = {"interruption": "interruptions", "backchannel": "backchannels"}
# Measured over the three calls: interruptions P 0.75 (6 of 8; the two invented are early starts
# of 0.15-0.20 s heard as interruptions), R 1.00; backchannels P 1.00, R 0.80 (4 of 5; Whisper
# heard "I believe" as "I believe it", three words: no longer a backchannel).
BARS = {"interruption": (0.70, 0.83), "backchannel": (0.80, 0.80)}  # precision, recall


def _timed(run: dict[str, Any], kind: str) -> list[tuple[Role, float]]:
    return [(e["by"], float(e["at_s"])) for e in run[KINDS[kind]]]


@pytest.fixture(scope="module")
def runs(
    engines: Engines,
    phonecall_stereo_analysis: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Labelled, dict[str, Any]]]:
    directory = tmp_path_factory.mktemp("labelled")
    found = {"en-phonecall": (load("en-phonecall"), phonecall_stereo_analysis)}
    for name in BUILT:
        call = load(name)
        path = build(call, directory / f"{name}.wav")
        request = AnalysisRequest(CHANNELS, language=call.language)
        found[name] = (call, analyse_file(path, request, engines))
    return found


def test_each_labelled_event_lies_in_its_speakers_speech() -> None:
    """The labels agree with the pieces the calls are built from: an event starts with a stretch
    of its speaker's speech (±0.05 s), and every listed speech stretch lies inside its piece."""
    for name in BUILT:
        call = load(name)
        speech: dict[str, list[tuple[float, float]]] = {role: [] for role in CHANNELS}
        for piece in call.pieces:
            begin = piece["at_s"]
            end = begin + piece["to_s"] - piece["from_s"]
            for a, b in piece["speech_s"]:
                assert begin <= a < b <= end + 1e-9, (name, piece["file"])
                speech[piece["role"]].append((a, b))
        for event in call.events + call.not_events:
            starts = [a for a, _ in speech[event["by"]]]
            assert any(abs(a - event["at_s"]) <= 0.05 for a in starts), (name, event)
            assert event["why"], (name, event)


def test_the_phone_call_every_event_found_none_invented(
    runs: dict[str, tuple[Labelled, dict[str, Any]]], figure: Figure
) -> None:
    call, run = runs["en-phonecall"]
    for kind in KINDS:
        score = match_events(call.timed(kind), _timed(run, kind), TOLERANCE_S)
        assert score.found == score.matched == score.reference, (kind, score, _timed(run, kind))
        figure(f"hand-labelled {kind}s, phone call, F1", score.f1, "== 1")


@pytest.mark.parametrize("kind", list(KINDS))
def test_precision_and_recall_over_the_three_calls(
    runs: dict[str, tuple[Labelled, dict[str, Any]]], figure: Figure, kind: str
) -> None:
    scores = [
        match_events(call.timed(kind), _timed(run, kind), TOLERANCE_S)
        for call, run in runs.values()
    ]
    pooled = MatchScore(
        sum(s.reference for s in scores),
        sum(s.found for s in scores),
        sum(s.matched for s in scores),
    )
    per_call = {
        name: (s.reference, s.found, s.matched) for name, s in zip(runs, scores, strict=True)
    }
    precision_bar, recall_bar = BARS[kind]
    figure(f"hand-labelled {kind}s, precision", pooled.precision, f">= {precision_bar}")
    figure(f"hand-labelled {kind}s, recall", pooled.recall, f">= {recall_bar}")
    assert pooled.reference == {"interruption": 6, "backchannel": 5}[kind]
    assert pooled.precision >= precision_bar, per_call
    assert pooled.recall >= recall_bar, per_call
