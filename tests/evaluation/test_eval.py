"""``praesent eval`` logic on the real phone call: a run derived from the reference scores
perfectly; a perturbed one scores exactly as much lower as it was perturbed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from praesent.core import analyse
from praesent.core.facts import Fact, Role, Utterance, to_samples
from praesent.core.lexicon import tokens
from praesent.evaluation import (
    ReferenceFileError,
    match_events,
    parse_roles,
    parse_rttm,
    parse_stm,
    reference_facts,
    run_document,
    run_eval,
    stm_roles,
)
from tests.core.helpers import shared_file

ROLES: dict[str, Role] = {"speaker90": "seller", "speaker91": "customer"}


@pytest.fixture(scope="module")
def rttm() -> Path:
    return shared_file("en-phonecall-2spk/sample.rttm")


@pytest.fixture(scope="module")
def stm() -> Path:
    return shared_file("en-phonecall-2spk/sample.stm")


def _reference_run(rttm: Path, stm: Path, roles_from: str = "channels") -> dict[str, Any]:
    """A run whose speech is the reference turns and whose transcript is the STM."""
    turns = parse_rttm(rttm)
    segments = parse_stm(stm)
    speaker_roles = stm_roles(segments, turns, ROLES)
    facts: list[Fact] = list(reference_facts(turns, ROLES))
    facts += [
        Utterance(
            speaker_roles[seg.speaker], to_samples(seg.start_s), to_samples(seg.end_s), seg.text
        )
        for seg in segments
    ]
    _, summary = analyse(facts, 30.0)
    return run_document(summary, facts, "en", roles_from)  # type: ignore[arg-type]


def _write(tmp_path: Path, run: dict[str, Any]) -> Path:
    path = tmp_path / "run.json"
    path.write_text(json.dumps(run))
    return path


def test_parse_roles() -> None:
    assert parse_roles("speaker90=seller, speaker91=customer") == ROLES
    for bad in ("speaker90", "speaker90=boss", "", "=seller"):
        with pytest.raises(ReferenceFileError):
            parse_roles(bad)


def test_reference_files(rttm: Path, stm: Path) -> None:
    turns = parse_rttm(rttm)
    assert len(turns) == 10 and turns[0].speaker == "speaker90"
    assert turns[0].end_s == pytest.approx(7.12)
    segments = parse_stm(stm)
    assert len(segments) == 13 and segments[0].text == "Hello?"
    # The STM names people, the RTTM speakers: mapped by overlap in time.
    assert stm_roles(segments, turns, ROLES) == {"Diane": "seller", "Sheila": "customer"}


def test_run_derived_from_the_reference_scores_perfectly(
    tmp_path: Path, rttm: Path, stm: Path
) -> None:
    scores = run_eval(_write(tmp_path, _reference_run(rttm, stm)), rttm, stm, ROLES)
    for role in ("seller", "customer"):
        assert scores.talk[role].error_s == 0
    assert scores.talk["seller"].reference_s == pytest.approx(11.85)
    assert scores.share_error_points == pytest.approx(0, abs=0.01)
    assert (scores.interruptions.reference, scores.interruptions.f1) == (2, 1.0)
    assert (scores.backchannels.reference, scores.backchannels.f1) == (1, 1.0)
    assert scores.wer == {"seller": 0.0, "customer": 0.0, "overall": 0.0}
    assert scores.der is None and "not applicable" in (scores.der_note or "")
    text = scores.to_text()
    for needle in (
        "talk time seller",
        "seller share",
        "interruptions",
        "backchannels",
        "word error rate",
        "diarization",
    ):
        assert needle in text
    json.dumps(scores.to_dict())


def test_perturbed_run_scores_exactly_lower(tmp_path: Path, rttm: Path, stm: Path) -> None:
    run = _reference_run(rttm, stm)
    run["roles"]["seller"]["talk_s"] += 1.0
    run["seller_share"] = 0.5
    # Drop the interruption at 27.85 s, add one by the customer that the reference lacks.
    run["interruptions"] = [i for i in run["interruptions"] if i["at_s"] < 20]
    run["interruptions"].append(
        {"by": "customer", "at_s": 25.0, "overlap_s": 0.5, "recovered": True}
    )
    # Move the backchannel 0.4 s (still within 0.5 s) and add a seller backchannel at 12 s.
    run["backchannels"][0]["at_s"] += 0.4
    run["backchannels"].append({"by": "seller", "at_s": 12.0, "text": None})
    # One seller word wrong.
    first = next(u for u in run["utterances"] if u["role"] == "seller")
    first["text"] = "Goodbye?"
    scores = run_eval(_write(tmp_path, run), rttm, stm, ROLES)
    assert scores.talk["seller"].error_s == pytest.approx(1.0)
    assert scores.talk["customer"].error_s == 0
    assert scores.share_error_points == pytest.approx(abs(0.5 - 11.85 / 24.35) * 100, abs=0.01)
    i = scores.interruptions
    assert (i.reference, i.found, i.matched) == (2, 2, 1)
    assert (i.precision, i.recall, i.f1) == (0.5, 0.5, 0.5)
    b = scores.backchannels
    assert (b.reference, b.found, b.matched) == (1, 2, 1)
    assert b.precision == 0.5 and b.recall == 1.0 and b.f1 == pytest.approx(2 / 3)
    seller_words = sum(len(tokens(s.text)) for s in parse_stm(stm) if s.speaker == "Diane")
    all_words = sum(len(tokens(s.text)) for s in parse_stm(stm))
    assert seller_words == 46
    assert scores.wer is not None
    assert scores.wer["seller"] == pytest.approx(1 / 46)
    assert scores.wer["customer"] == 0
    assert scores.wer["overall"] == pytest.approx(1 / all_words)


def test_diarization_error_only_where_roles_come_from_attribution(
    tmp_path: Path, rttm: Path, stm: Path
) -> None:
    run = _reference_run(rttm, stm, roles_from="attribution")
    scores = run_eval(_write(tmp_path, run), rttm, None, ROLES)
    assert scores.der == pytest.approx(0.0, abs=1e-6) and scores.wer is None
    # Give the customer's 21.78-28.5 s turn to the seller: that speech is now confused.
    for segment in run["segments"]:
        if segment["start_s"] == 21.78:
            segment["role"] = "seller"
    scores = run_eval(_write(tmp_path, run), rttm, None, ROLES)
    assert scores.der is not None and scores.der > 0.1


def test_matching_is_one_to_one_by_role_within_tolerance() -> None:
    ref: list[tuple[Role, float]] = [("seller", 1.0), ("seller", 1.4), ("customer", 5.0)]
    found: list[tuple[Role, float]] = [("seller", 1.2), ("customer", 5.6), ("customer", 5.0)]
    score = match_events(ref, found, 0.5)
    assert (score.reference, score.found, score.matched) == (3, 3, 2)
    empty = match_events([], [])
    assert (empty.precision, empty.recall, empty.f1) == (1.0, 1.0, 1.0)


def test_bad_inputs_are_clear_errors(tmp_path: Path, rttm: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ReferenceFileError, match="cannot read the run"):
        run_eval(bad, rttm, None, ROLES)
    good = _write(tmp_path, {"duration_s": 30.0})
    with pytest.raises(ReferenceFileError, match="names none of the speakers"):
        run_eval(good, rttm, None, {"nobody": "seller"})
