"""Each cue kind, the cue budget, texts per language, and whether the seller acted on a cue."""

from __future__ import annotations

import pytest

from praesent.core import Conversation, CoreOptions, FocusChanged, SpeechStarted, SpeechStopped
from praesent.core.events import Cue, CueOutcome, Event
from praesent.core.facts import Fact
from tests.core.helpers import of_type, run, run_facts, s, utt


def cues(events: list[Event]) -> list[tuple[str, float]]:
    return [(c.kind, round(c.at_s, 3)) for c in of_type(events, Cue)]


def outcomes(events: list[Event]) -> dict[str, bool]:
    return {o.kind: o.acted_on for o in of_type(events, CueOutcome)}


def test_listen_after_30_s_of_customer_without_seller_backchannel() -> None:
    events, summary = run([("customer", 0, 40), ("seller", 33.0, 33.4)], 45)
    assert cues(events) == [("listen", 30.0)]
    [outcome] = of_type(events, CueOutcome)
    assert outcome.acted_on and outcome.evidence_sample == s(33.0)
    assert summary.cues[0].to_dict() == {
        "cue_id": "listen-480000",
        "kind": "listen",
        "at_s": 30.0,
        "text": "Show you are listening: 'I see', a nod",
        "acted_on": True,
    }


def test_listen_waits_20_s_after_the_last_seller_backchannel_and_is_not_acted_on() -> None:
    events, _ = run([("customer", 0, 60), ("seller", 15.0, 15.4)], 61)
    assert cues(events) == [("listen", 35.0)]
    assert outcomes(events) == {"listen": False}


def test_deepen_after_a_long_customer_turn_waits_for_the_seller_to_pause() -> None:
    segments = [("customer", 0, 25), ("seller", 25.5, 30), ("seller", 31, 33)]
    asks = utt("seller", 31, 33, "Can you tell me more about that?")
    events, _ = run(segments, 40, [asks])
    assert cues(events) == [("deepen", 30.0)]
    assert outcomes(events) == {"deepen": True}


def test_let_finish_after_a_seller_interruption() -> None:
    events, _ = run([("customer", 0, 4.8), ("seller", 4.0, 8.5), ("customer", 9, 12)], 13)
    # Decided when the seller's speech passes a backchannel's length: 4.0 s + 1.0 s.
    assert cues(events) == [("let_finish", 5.0)]
    assert outcomes(events) == {"let_finish": True}  # the customer had the floor again at 9 s


def test_let_finish_not_acted_on() -> None:
    events, _ = run([("customer", 0, 4.8), ("seller", 4.0, 30)], 31)
    assert outcomes(events) == {"let_finish": False}


def _lecture(periods: int) -> list[tuple[str, float, float]]:
    """The seller talks 10 s, the customer 2 s, again and again."""
    segments: list[tuple[str, float, float]] = []
    for k in range(periods):
        t = 13.0 * k
        segments += [("seller", t, t + 10), ("customer", t + 10.5, t + 12.5)]
    return segments


def test_balance_when_the_seller_talks_most_of_the_window() -> None:
    question = utt("seller", 66, 67, "What matters most to you?")
    events, _ = run(_lecture(6), 78, [question])
    # 60 s of speech in the window at 65 s, 50 of them the seller's.
    assert cues(events) == [("balance", 65.0)]
    assert outcomes(events) == {"balance": True}


def test_monologue_after_60_s_of_seller_turn() -> None:
    events, _ = run([("seller", 0, 70), ("customer", 70.5, 80)], 81)
    # At 80 s the window holds 79.5 s of speech, 88 % the seller's: balance too.
    assert cues(events) == [("monologue", 60.0), ("balance", 80.0)]
    assert outcomes(events) == {"monologue": True, "balance": False}


def test_short_answers_after_three_short_answers_in_a_row() -> None:
    segments: list[tuple[str, float, float]] = []
    utterances = []
    for k in range(3):
        t = 10.0 * k
        segments += [("seller", t, t + 5), ("customer", t + 5.5, t + 6.0)]
        utterances += [
            utt("seller", t, t + 5, "Do you use SAP today?"),
            utt("customer", t + 5.5, t + 6.0, "Yes."),
        ]
    segments += [("seller", 30, 35), ("seller", 36, 38)]
    utterances += [utt("seller", 36, 38, "What matters most to you?")]
    events, summary = run(segments, 40, utterances)
    assert summary.short_answers == 3
    # Decided at 27.5 s (the seller's reply passes 1 s) while the seller speaks: shown at 35 s.
    assert cues(events) == [("short_answers", 35.0)]
    assert outcomes(events) == {"short_answers": True}


def test_clarify_when_the_customer_signals_a_misunderstanding() -> None:
    segments = [("seller", 0, 5), ("customer", 5.5, 7), ("seller", 7.5, 12)]
    confused = utt("customer", 5.5, 7, "Sorry, what do you mean?")
    events, summary = run(segments, 13, [confused])
    assert cues(events) == [("clarify", 7.5)]
    assert outcomes(events) == {"clarify": False}  # the seller started at 7.5, not after the cue
    assert [m.to_dict() for m in summary.misunderstandings] == [
        {"by": "customer", "at_s": 5.5, "text": "Sorry, what do you mean?"}
    ]


def test_clarify_acted_on_when_the_seller_speaks_after_it() -> None:
    segments = [("seller", 0, 5), ("customer", 5.5, 7), ("customer", 7.5, 8), ("seller", 9, 12)]
    confused = utt("customer", 5.5, 7, "Wie meinen Sie das?")
    events, _ = run(segments, 13, [confused], language="de")
    [cue] = of_type(events, Cue)
    assert (cue.kind, cue.at_s, cue.text) == ("clarify", 7.5, "Missverständnis jetzt klären")
    assert outcomes(events) == {"clarify": True}


def _focus_facts(back_at: float | None) -> list[Fact]:
    facts: list[Fact] = [
        SpeechStarted("customer", 0),
        FocusChanged(s(5), False),
        SpeechStopped("customer", s(20)),
    ]
    if back_at is not None:
        facts.insert(2, FocusChanged(s(back_at), True))
    return facts


def test_stay_present_when_the_seller_looks_away_while_the_customer_speaks() -> None:
    events, _ = run_facts(_focus_facts(8), 21)
    assert cues(events) == [("stay_present", 5.0)]
    assert outcomes(events) == {"stay_present": True}
    events, _ = run_facts(_focus_facts(None), 21)
    assert outcomes(events) == {"stay_present": False}


def test_no_stay_present_while_the_seller_holds_the_floor() -> None:
    facts: list[Fact] = [SpeechStarted("seller", 0), FocusChanged(s(5), False)]
    events, _ = run_facts(facts, 10)
    assert cues(events) == []


def test_budget_one_cue_per_20_s() -> None:
    # A monologue cue at 60 s; the window reaches 60 s of speech at 60 s too, but waits 20 s.
    events, _ = run([("seller", 0, 90)], 91)
    assert cues(events) == [("monologue", 60.0), ("balance", 80.0)]


def test_budget_same_cue_at_most_every_two_minutes() -> None:
    segments = [
        ("customer", 0, 4.8),
        ("seller", 4.0, 8.5),
        ("customer", 9, 30),
        ("seller", 29.5, 40),  # interrupts again (yield 0.5 s), 25 s after the first
        ("customer", 41, 45),
    ]
    events, summary = run(segments, 46)
    assert len(summary.interruptions) == 2
    # The second let_finish (at 30.5 s) is suppressed; the long customer story before it
    # brings "deepen" once the seller pauses.
    assert cues(events) == [("let_finish", 5.0), ("deepen", 40.0)]


def test_cue_that_waits_for_silence_is_dropped_when_the_seller_goes_on() -> None:
    segments = [("customer", 0, 25), ("seller", 25.5, 45)]
    events, _ = run(segments, 46)
    assert cues(events) == []  # deepen proposed at 26 s, the seller spoke on past 36 s


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "Pause and bring the customer in"), ("de", "Pause: hol den Kunden ins Gespräch")],
)
def test_cue_texts_per_language(language: str, text: str) -> None:
    events, _ = run([("seller", 0, 65)], 66, language=language)
    [cue] = of_type(events, Cue)
    assert (cue.text, cue.language) == (text, language)


def test_other_languages_fall_back_to_english() -> None:
    conversation = Conversation(language="fr")
    events = conversation.feed_many([SpeechStarted("seller", 0)]) + conversation.finish(s(61))
    [cue] = of_type(events, Cue)
    assert (cue.language, cue.text) == ("en", "Pause and bring the customer in")


def test_thresholds_come_from_the_options() -> None:
    from dataclasses import replace

    options = CoreOptions()
    options = replace(options, measures=replace(options.measures, monologue_cue_s=30.0))
    events, summary = run([("seller", 0, 40)], 41, options=options)
    assert cues(events) == [("monologue", 30.0)]
    assert summary.monologues_over_cue == 1  # analyse() gives summarise() the same options
