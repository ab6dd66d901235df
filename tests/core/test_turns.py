"""Turns, floor changes and overlaps on hand-built timelines, edges included."""

from __future__ import annotations

import pytest

from praesent.core import Conversation, SpeechStarted, SpeechStopped
from praesent.core.events import (
    Backchannel,
    Balance,
    EarlyStart,
    Event,
    Floor,
    Interruption,
    Overlap,
    Turn,
)
from praesent.core.facts import Fact, Role
from tests.core.helpers import latest, of_type, run, s


def turns(events: list[Event]) -> list[tuple[Role, float, float]]:
    return [(t.role, t.at_s, t.end_sample / 16000) for t in of_type(events, Turn)]


def test_overlap_that_ends_a_turn_is_an_early_start_not_an_interruption() -> None:
    # The seller starts 0.2 s before the customer finishes and goes on.
    events, summary = run([("customer", 0, 5), ("seller", 4.8, 8)], 10)
    assert latest(events, Interruption) == []
    [early] = latest(events, EarlyStart)
    assert (early.by, early.of, early.at_s, early.overlap_s) == ("seller", "customer", 4.8, 0.2)
    assert turns(events) == [("customer", 0, 5), ("seller", 4.8, 8)]
    assert summary.patience_median_s == pytest.approx(-0.2)
    assert summary.early_starts[0].to_dict() == {"by": "seller", "at_s": 4.8, "overlap_s": 0.2}


def test_seller_interrupts_customer_who_gets_the_floor_back() -> None:
    events, summary = run([("customer", 0, 4.8), ("seller", 4.0, 8.5), ("customer", 9, 12)], 13)
    [cut] = latest(events, Interruption)
    assert (cut.by, cut.of, cut.at_s, cut.overlap_s, cut.recovered) == (
        "seller",
        "customer",
        4.0,
        0.8,
        True,
    )
    # Live, the interruption comes first with recovered unknown, then again once it is known.
    first = of_type(events, Interruption)[0]
    assert first.recovered is None and first.contribution_id == cut.contribution_id
    assert summary.interruptions[0].to_dict() == {
        "by": "seller",
        "of": "customer",
        "at_s": 4.0,
        "overlap_s": 0.8,
        "recovered": True,
    }


def test_interrupted_side_that_does_not_come_back_in_time_did_not_recover() -> None:
    events, _ = run([("customer", 0, 4.8), ("seller", 4.0, 14.5), ("customer", 15, 18)], 20)
    [cut] = latest(events, Interruption)
    assert cut.recovered is False


def test_customer_interrupts_seller() -> None:
    events, summary = run([("seller", 0, 3.5), ("customer", 3.0, 9)], 10)
    [cut] = latest(events, Interruption)
    assert (cut.by, cut.of, cut.at_s, cut.overlap_s) == ("customer", "seller", 3.0, 0.5)
    assert cut.recovered is False  # the call ends before the seller speaks again
    assert turns(events) == [("seller", 0, 3.5), ("customer", 3.0, 9)]
    assert summary.interruptions[0].by == "customer"


def test_holder_that_holds_on_past_the_yield_window_was_not_interrupted() -> None:
    events, _ = run([("seller", 0, 6), ("customer", 3.0, 9)], 10)
    assert latest(events, Interruption) == []
    [overlap] = latest(events, Overlap)
    assert (overlap.kind, overlap.by, overlap.overlap_s) == ("contested", "customer", 3.0)


@pytest.mark.parametrize(
    ("length", "backchannel"),
    [(0.99, True), (1.0, True), (1.01, False), (1.2, False)],
)
def test_backchannel_at_the_one_second_boundary(length: float, backchannel: bool) -> None:
    events, summary = run([("seller", 0, 10), ("customer", 3.0, 3.0 + length)], 12)
    assert turns(events) == [("seller", 0, 10)]  # the seller keeps the floor either way
    if backchannel:
        [bc] = latest(events, Backchannel)
        assert (bc.by, bc.of, bc.at_s, bc.text) == ("customer", "seller", 3.0, None)
        assert bc.duration_s == pytest.approx(length)
        assert summary.backchannels[0].to_dict() == {"by": "customer", "at_s": 3.0, "text": None}
    else:
        assert latest(events, Backchannel) == []
        [failed] = latest(events, Overlap)
        assert failed.kind == "failed"
    assert latest(events, Interruption) == []


def test_short_sound_in_a_short_pause_is_a_backchannel_in_a_long_one_a_turn() -> None:
    # The seller pauses 0.9 s around the customer's "mhm" and carries on: a backchannel.
    events, _ = run([("seller", 0, 5), ("customer", 5.3, 5.6), ("seller", 5.9, 10)], 11)
    assert [b.at_s for b in latest(events, Backchannel)] == [5.3]
    assert turns(events) == [("seller", 0, 10)]
    # The seller's pause reaches 1 s: the customer's short reply took the floor.
    events, summary = run([("seller", 0, 5), ("customer", 5.3, 5.6), ("seller", 6.2, 10)], 11)
    assert latest(events, Backchannel) == []
    assert turns(events) == [("seller", 0, 5), ("customer", 5.3, 5.6), ("seller", 6.2, 10)]
    assert summary.patience_median_s == pytest.approx(0.6)


def test_long_pauses_stay_inside_one_turn() -> None:
    events, summary = run([("seller", 0, 5), ("seller", 8, 12), ("seller", 20, 25)], 30)
    assert turns(events) == [("seller", 0, 25)]
    [turn] = of_type(events, Turn)
    assert turn.speech_s == pytest.approx(14)
    assert summary.monologue_longest_s == 25


def _feed(facts: list[Fact], end: float) -> list[Event]:
    conversation = Conversation()
    return conversation.feed_many(facts) + conversation.finish(s(end))


@pytest.mark.parametrize("seller_first", [True, False])
def test_simultaneous_starts_at_call_start(seller_first: bool) -> None:
    starts: list[Fact] = [SpeechStarted("seller", 0), SpeechStarted("customer", 0)]
    if not seller_first:
        starts.reverse()
    events = _feed([*starts, SpeechStopped("customer", s(0.3)), SpeechStopped("seller", s(5))], 6)
    assert latest(events, Interruption) == [] and latest(events, EarlyStart) == []
    assert of_type(events, Turn)[-1].role == "seller"
    assert of_type(events, Turn)[-1].end_sample == s(5)


@pytest.mark.parametrize("seller_first", [True, False])
def test_simultaneous_starts_mid_call(seller_first: bool) -> None:
    # The seller pauses 0.5 s; both start at 5.5 s; the seller drops out, the customer goes on.
    starts: list[Fact] = [SpeechStarted("seller", s(5.5)), SpeechStarted("customer", s(5.5))]
    if not seller_first:
        starts.reverse()
    facts: list[Fact] = [
        SpeechStarted("seller", 0),
        SpeechStopped("seller", s(5)),
        *starts,
        SpeechStopped("seller", s(5.9)),
        SpeechStopped("customer", s(9)),
    ]
    events = _feed(facts, 10)
    assert latest(events, Interruption) == [] and latest(events, EarlyStart) == []
    [overlap] = latest(events, Overlap)
    assert (overlap.kind, overlap.by, overlap.at_s) == ("simultaneous", "customer", 5.5)
    assert turns(events) == [("seller", 0, 5.9), ("customer", 5.5, 9)]


def test_silence_only() -> None:
    events, summary = run([], 60)
    balances = of_type(events, Balance)
    assert len(balances) == 61 and balances[-1].final
    assert all(b.seller_s == b.customer_s == 0 and b.seller_share is None for b in balances)
    assert of_type(events, Turn) == [] and of_type(events, Floor) == []
    d = summary.to_dict()
    assert d["roles"] == {"seller": {"talk_s": 0.0}, "customer": {"talk_s": 0.0}}
    assert d["seller_share"] is None and d["overlap_s"] == 0.0
    assert d["patience_median_s"] is None and d["turns"] == [] and d["cues"] == []
    assert d["monologue_longest_s"] == 0.0 and d["customer_story_longest_s"] == 0.0


def test_one_side_silent() -> None:
    events, summary = run([("seller", 0, 20), ("seller", 21, 40), ("seller", 42, 70)], 75)
    assert summary.customer_talk_s == 0 and summary.seller_talk_s == pytest.approx(67)
    assert summary.seller_share == 1.0
    assert turns(events) == [("seller", 0, 70)]
    assert summary.monologue_longest_s == 70 and summary.monologues_over_cue == 1
    assert summary.patience_median_s is None and summary.customer_story_longest_s == 0
    assert [c.kind for c in summary.cues] == ["monologue"]


def test_balance_over_the_call_and_the_sliding_window() -> None:
    events, summary = run([("seller", 0, 100), ("customer", 100.5, 400)], 401)
    at = {round(b.at_s): b for b in of_type(events, Balance) if not b.final}
    assert at[50].seller_s == 50 and at[50].seller_share == 1.0
    b200 = at[200]
    assert (b200.seller_s, b200.customer_s) == (100, 99.5)
    assert (b200.window_s, b200.window_seller_s, b200.window_customer_s) == (200, 100, 99.5)
    b400 = at[400]
    assert b400.window_s == 300 and b400.window_seller_s == 0
    assert b400.window_customer_s == 299.5 and b400.window_seller_share == 0
    assert b400.seller_share == pytest.approx(100 / 399.5, abs=1e-4)
    assert summary.seller_share == pytest.approx(100 / 399.5, abs=1e-4)


def test_overlap_time_counts_both_speaking() -> None:
    _, summary = run([("seller", 0, 10), ("customer", 3, 3.5), ("customer", 9, 12)], 12)
    assert summary.overlap_s == pytest.approx(1.5)
    assert summary.seller_talk_s == 10 and summary.customer_talk_s == 3.5


def test_patience_is_the_median_gap_before_the_seller_answers() -> None:
    segments = [
        ("seller", 0, 5),
        ("customer", 5.4, 10),
        ("seller", 10.2, 15),  # 0.2 s
        ("customer", 15.5, 20),
        ("seller", 20.9, 25),  # 0.9 s
        ("customer", 25.5, 30),
        ("seller", 29.8, 35),  # early start: -0.2 s
    ]
    _, summary = run(segments, 36)
    assert summary.patience_median_s == pytest.approx(0.2)
    assert [e.at_s for e in summary.early_starts] == [29.8]


def test_customer_story_and_monologue_lengths() -> None:
    segments = [("seller", 0, 30), ("customer", 30.5, 55), ("seller", 55.5, 60)]
    _, summary = run(segments, 61)
    assert summary.customer_story_longest_s == 24.5 and summary.customer_stories_over_20s == 1
    assert summary.monologue_longest_s == 30 and summary.monologues_over_cue == 0
