"""A transcript that says when it became known takes effect at that audio time, at a Tick too,
and feeding the facts one by one, in one batch or with extra Ticks gives the same events."""

from __future__ import annotations

from praesent.core import Conversation, SpeechStarted, SpeechStopped, Tick, Utterance
from praesent.core.events import Event, Transcript
from praesent.core.facts import Fact, to_samples


def _facts(known_s: float) -> list[Fact]:
    return [
        SpeechStarted("customer", 0),
        SpeechStopped("customer", to_samples(3.0)),
        Utterance(
            "customer",
            0,
            to_samples(3.0),
            "We roll out in March.",
            known_sample=to_samples(known_s),
        ),
        Tick(to_samples(4.0)),
        Tick(to_samples(5.0)),
        SpeechStarted("seller", to_samples(8.0)),
        SpeechStopped("seller", to_samples(9.0)),
    ]


def _events(facts: list[Fact], one_by_one: bool) -> list[Event]:
    conversation = Conversation()
    if one_by_one:
        events = [e for fact in facts for e in conversation.feed(fact)]
    else:
        events = conversation.feed_many(facts)
    return events + conversation.finish(to_samples(10.0))


def test_a_known_transcript_takes_effect_at_its_tick() -> None:
    conversation = Conversation()
    facts = _facts(known_s=3.6)
    early = conversation.feed_many(facts[:4])  # up to the Tick at 4 s, before the seller speaks
    assert [e.text for e in early if isinstance(e, Transcript)] == ["We roll out in March."]


def test_batches_streams_and_extra_ticks_agree() -> None:
    facts = _facts(known_s=4.5)
    batch = _events(facts, one_by_one=False)
    stream = _events(facts, one_by_one=True)
    ticked = [*facts[:4], Tick(to_samples(4.2)), Tick(to_samples(4.5)), *facts[4:]]
    assert batch == stream == _events(ticked, one_by_one=True)


def test_without_known_time_it_waits_for_activity() -> None:
    facts = [
        f if not isinstance(f, Utterance) else Utterance(f.role, 0, f.end_sample, f.text)
        for f in _facts(known_s=0)
    ]
    conversation = Conversation()
    early = conversation.feed_many(facts[:5])
    assert not [e for e in early if isinstance(e, Transcript)]
