"""The real phone call (en-phonecall-2spk): its reference turns as speech activity,
speaker90 = seller, speaker91 = customer."""

from __future__ import annotations

from pathlib import Path

import pytest

from praesent.core import analyse
from praesent.core.events import Backchannel, Interruption
from praesent.core.facts import Role
from praesent.evaluation import parse_rttm, reference_facts
from tests.core.helpers import latest

ROLES: dict[str, Role] = {"speaker90": "seller", "speaker91": "customer"}


def _union_s(turns: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(turns):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def test_reference_turns_give_the_rttm_talk_times(phonecall_rttm: Path) -> None:
    turns = parse_rttm(phonecall_rttm)
    _, summary = analyse(reference_facts(turns, ROLES), 30.0)
    for speaker, role in ROLES.items():
        expected = _union_s([(t.start_s, t.end_s) for t in turns if t.speaker == speaker])
        assert summary.talk_s(role) == pytest.approx(expected, abs=0.05)
    assert summary.seller_talk_s == pytest.approx(11.85, abs=0.05)
    assert summary.customer_talk_s == pytest.approx(12.50, abs=0.05)
    assert summary.seller_share == pytest.approx(11.85 / 24.35, abs=0.001)


def test_short_overlap_at_18_15_is_a_customer_backchannel(phonecall_rttm: Path) -> None:
    events, summary = analyse(reference_facts(parse_rttm(phonecall_rttm), ROLES), 30.0)
    [bc] = latest(events, Backchannel)
    assert (bc.by, bc.of) == ("customer", "seller")
    assert bc.at_s == pytest.approx(18.15, abs=0.01)
    assert bc.duration_s == pytest.approx(0.44, abs=0.01)
    assert not any(abs(i.at_s - 18.15) < 1 for i in latest(events, Interruption))
    assert [(b.by, b.at_s) for b in summary.backchannels] == [("customer", 18.15)]


def test_reference_call_events_pinned(phonecall_rttm: Path) -> None:
    """What the coaching spec makes of the real turn-taking, pinned to catch regressions."""
    _, summary = analyse(reference_facts(parse_rttm(phonecall_rttm), ROLES), 30.0)
    assert [i.to_dict() for i in summary.interruptions] == [
        {"by": "seller", "of": "customer", "at_s": 10.57, "overlap_s": 0.46, "recovered": True},
        {"by": "seller", "of": "customer", "at_s": 27.85, "overlap_s": 0.65, "recovered": False},
    ]
    assert [(e.by, e.at_s, e.overlap_s) for e in summary.early_starts] == [
        ("seller", 8.32, 0.03),
        ("customer", 9.92, 0.1),
        ("customer", 14.49, 0.21),
    ]
    assert [(t.role, t.start_s, t.end_s) for t in summary.turns] == [
        ("seller", 6.69, 7.12),
        ("customer", 7.55, 8.35),
        ("seller", 8.32, 10.02),
        ("customer", 9.92, 11.03),
        ("seller", 10.57, 14.7),
        ("customer", 14.49, 17.92),
        ("seller", 18.05, 21.49),
        ("customer", 21.78, 28.5),
        ("seller", 27.85, 30.0),
    ]
    assert summary.monologue_longest_s == pytest.approx(4.13)
    assert summary.customer_story_longest_s == pytest.approx(6.72)
    # Customer-to-seller gaps: -0.03, -0.46, 0.13, -0.65.
    assert summary.patience_median_s == pytest.approx(-0.245)
    assert summary.overlap_s == pytest.approx(1.89, abs=0.005)
