"""Transcripts: questions, short answers, and words confirming or overturning short overlaps;
the same final verdict whether the transcript comes before or after the timed decision."""

from __future__ import annotations

import pytest

from praesent.core import Conversation, SpeechStarted, SpeechStopped, Tick, summarise
from praesent.core.events import (
    Backchannel,
    Event,
    Interruption,
    Overlap,
    Question,
    ShortAnswer,
    Transcript,
)
from praesent.core.facts import Fact, Utterance
from tests.core.helpers import latest, of_type, run, s, utt


def test_transcript_confirms_a_backchannel_and_names_it() -> None:
    events, summary = run(
        [("seller", 0, 10), ("customer", 3.0, 3.5)], 12, [utt("customer", 3.0, 3.5, "Mm-hmm.")]
    )
    [bc] = latest(events, Backchannel)
    assert (bc.text, bc.source) == ("Mm-hmm.", "words")
    assert summary.backchannels[0].text == "Mm-hmm."


def test_transcript_overturns_a_short_overlap_with_content() -> None:
    events, summary = run(
        [("seller", 0, 10), ("customer", 3.0, 3.9)],
        12,
        [utt("customer", 3.0, 3.9, "no that is wrong")],
    )
    assert latest(events, Backchannel) == []
    [overlap] = latest(events, Overlap)
    assert (overlap.kind, overlap.source, overlap.text) == (
        "interjection",
        "words",
        "no that is wrong",
    )
    # The timed backchannel was emitted first, live, with the same id.
    [timed] = of_type(events, Backchannel)
    assert timed.contribution_id == overlap.contribution_id and timed.source == "timing"
    assert summary.backchannels == ()


def test_one_or_two_words_of_content_leave_timing_as_it_is() -> None:
    events, _ = run(
        [("seller", 0, 10), ("customer", 3.0, 3.5)], 12, [utt("customer", 3.0, 3.5, "Hello?")]
    )
    [bc] = latest(events, Backchannel)
    assert (bc.text, bc.source) == (None, "timing")


def test_longer_overlap_of_backchannel_words_is_a_backchannel() -> None:
    events, summary = run(
        [("seller", 0, 10), ("customer", 3.0, 4.5)],
        12,
        [utt("customer", 3.0, 4.5, "yeah yeah right")],
    )
    [bc] = latest(events, Backchannel)
    assert (bc.at_s, bc.text, bc.source) == (3.0, "yeah yeah right", "words")
    assert [b.by for b in summary.backchannels] == ["customer"]


def _short_takeover() -> list[tuple[str, float, float]]:
    # The seller says something short over the customer's end; the customer stops 0.5 s after
    # the seller's start, then comes back at 8 s.
    return [("customer", 0, 5.5), ("seller", 5.0, 5.9), ("customer", 8.0, 12)]


def test_short_takeover_with_three_words_or_more_is_an_interruption() -> None:
    events, summary = run(_short_takeover(), 13)
    [overlap] = latest(events, Overlap)
    assert overlap.kind == "short_takeover"
    events, summary = run(
        _short_takeover(),
        13,
        [utt("seller", 5.0, 5.9, "wait that is not right")],
    )
    [cut] = latest(events, Interruption)
    assert (cut.by, cut.at_s, cut.overlap_s, cut.source, cut.recovered) == (
        "seller",
        5.0,
        0.5,
        "words",
        True,
    )
    assert [c.kind for c in summary.cues] == ["let_finish"]


def _facts_with_utterance_at(position: int) -> list[Fact]:
    facts: list[Fact] = [
        SpeechStarted("seller", 0),
        SpeechStarted("customer", s(3.0)),
        SpeechStopped("customer", s(3.9)),
        SpeechStopped("seller", s(10)),
        SpeechStarted("customer", s(11)),
        SpeechStopped("customer", s(14)),
        SpeechStarted("seller", s(15)),
        SpeechStopped("seller", s(16)),
    ]
    facts.insert(position, utt("customer", 3.0, 3.9, "no that is wrong"))
    return facts


@pytest.mark.parametrize("position", [3, 4, 5, 6, 7, 8])
def test_same_verdict_whether_the_transcript_comes_early_or_late(position: int) -> None:
    conversation = Conversation()
    events = conversation.feed_many(_facts_with_utterance_at(position))
    events += conversation.finish(s(17))
    [overlap] = latest(events, Overlap)
    assert overlap.kind == "interjection"
    summary = summarise(events, 17)
    reference = summarise(_events_at(3), 17)
    assert summary == reference


def _events_at(position: int) -> list[Event]:
    conversation = Conversation()
    return conversation.feed_many(_facts_with_utterance_at(position)) + conversation.finish(s(17))


def test_transcript_takes_effect_at_the_next_activity_fact_not_at_a_tick() -> None:
    conversation = Conversation()
    conversation.feed_many([SpeechStarted("seller", 0), SpeechStopped("seller", s(2))])
    assert conversation.feed(utt("seller", 0, 2, "How are you?")) == []
    ticked = conversation.feed(Tick(s(3.5)))
    assert [type(e).__name__ for e in ticked] == ["Balance"]  # at 3 s; no transcript yet
    events = conversation.feed(SpeechStarted("customer", s(4)))
    # Deadlines up to the fact first (the balance at 4 s), then the transcript, then the fact.
    assert [type(e).__name__ for e in events] == [
        "Balance",
        "Transcript",
        "Question",
        "Activity",
        "Turn",  # the seller paused 2 s: the customer takes the floor at once
        "Floor",
    ]


def test_questions_from_an_utterance_with_their_times() -> None:
    text = "So what matters most to you? Do you use SAP?"
    events, summary = run([("seller", 0, 4)], 5, [utt("seller", 0, 4, text)])
    questions = of_type(events, Question)
    assert [(q.text, q.open) for q in questions] == [
        ("So what matters most to you?", True),
        ("Do you use SAP?", False),
    ]
    # Ten words over 4 s: the second question starts at its seventh word.
    assert questions[1].at_s == pytest.approx(2.4)
    assert [q.to_dict() for q in summary.questions] == [
        {"at_s": 0.0, "text": "So what matters most to you?", "open": True},
        {"at_s": 2.4, "text": "Do you use SAP?", "open": False},
    ]
    [transcript] = of_type(events, Transcript)
    assert transcript.to_dict()["words"][0] == {  # type: ignore[index]
        "text": "So",
        "start_s": 0.0,
        "end_s": 0.4,
        "probability": 0.9,
    }


def test_customer_questions_are_events_but_not_the_sellers_questions() -> None:
    events, summary = run([("customer", 0, 2)], 3, [utt("customer", 0, 2, "What does it cost?")])
    assert [q.role for q in of_type(events, Question)] == ["customer"]
    assert summary.questions == ()


def test_utterance_without_word_times() -> None:
    u = Utterance("seller", s(0), s(3), "Wie sieht das bei Ihnen aus?")
    events, summary = run([("seller", 0, 3)], 4, [u], language="de")
    assert [(q.text, q.open) for q in summary.questions] == [("Wie sieht das bei Ihnen aus?", True)]
    assert of_type(events, Question)[0].at_s == 0


def test_short_answers_need_words_and_follow_a_seller_turn() -> None:
    segments = [
        ("seller", 0, 5),
        ("customer", 5.5, 6.0),
        ("seller", 6.5, 11.5),
        ("customer", 12.0, 14.5),
        ("seller", 15.0, 20),
    ]
    utterances = [
        utt("seller", 0, 5, "Do you use SAP today?"),
        utt("customer", 5.5, 6.0, "Yes."),
        utt("seller", 6.5, 11.5, "And are you happy with it?"),
        utt("customer", 12.0, 14.5, "Well it depends on the team"),
    ]
    events, summary = run(segments, 21, utterances)
    [short] = of_type(events, ShortAnswer)
    assert (short.at_s, short.text, short.word_count) == (5.5, "Yes.", 1)
    assert summary.short_answers == 1
