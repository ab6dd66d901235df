"""Events and the summary as JSON; errors for facts out of order."""

from __future__ import annotations

import json

import pytest

from praesent.core import Conversation, FactOrderError, FinishedError, SpeechStarted, Tick
from praesent.core.events import Activity, Interruption, Turn
from tests.core.helpers import of_type, run, s, utt

SUMMARY_KEYS = {
    "roles",
    "seller_share",
    "overlap_s",
    "interruptions",
    "early_starts",
    "backchannels",
    "questions",
    "monologue_longest_s",
    "monologues_over_cue",
    "customer_story_longest_s",
    "customer_stories_over_20s",
    "patience_median_s",
    "short_answers",
    "misunderstandings",
    "cues",
    "turns",
}


def test_every_event_and_the_summary_are_json() -> None:
    segments = [("customer", 0, 4.8), ("seller", 4.0, 8.5), ("customer", 9, 12)]
    events, summary = run(segments, 13, [utt("seller", 4.0, 8.5, "Sorry, what do you use?")])
    for event in events:
        data = event.to_dict()
        assert data["type"] == event.type and data["at_s"] == round(event.at_s, 3)
        json.dumps(data)
    assert set(summary.to_dict()) >= SUMMARY_KEYS
    json.dumps(summary.to_dict())


def test_seconds_are_rounded_to_milliseconds() -> None:
    turn = Turn(sample=12345, role="seller", end_sample=99999, speech_s=5.4321)
    assert turn.to_dict() == {
        "type": "turn",
        "at_s": 0.772,
        "role": "seller",
        "end_s": 6.25,
        "speech_s": 5.432,
        "duration_s": 5.478,
    }
    cut = Interruption(
        sample=s(1.5),
        contribution_id=3,
        by="seller",
        of="customer",
        overlap_s=0.41234,
        recovered=None,
        source="timing",
    )
    assert cut.to_dict()["overlap_s"] == 0.412 and cut.at_s == 1.5


def test_activity_before_audio_already_fed_is_refused() -> None:
    conversation = Conversation()
    conversation.feed(Tick(s(2)))
    with pytest.raises(FactOrderError) as caught:
        conversation.feed(SpeechStarted("seller", s(1)))
    assert caught.value.horizon == s(2)


def test_a_finished_conversation_takes_no_more_facts() -> None:
    conversation = Conversation()
    conversation.finish(s(1))
    with pytest.raises(FinishedError):
        conversation.feed(Tick(s(2)))


def test_finish_closes_open_speech() -> None:
    conversation = Conversation()
    conversation.feed(SpeechStarted("seller", s(1)))
    events = conversation.finish(s(5))
    assert [(a.role, a.speaking, a.at_s) for a in of_type(events, Activity)] == [
        ("seller", False, 5.0)
    ]
    assert [(t.at_s, t.end_sample) for t in of_type(events, Turn)] == [(1.0, s(5))]


def test_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        SpeechStarted("agent", 0)  # type: ignore[arg-type]
