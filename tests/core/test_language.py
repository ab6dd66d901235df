"""A conversation started with language "auto" takes the language of its first transcript; a
transcript in another language changes the call's language from then on."""

from __future__ import annotations

from praesent.core import Conversation, SpeechStarted, SpeechStopped, Tick, Utterance
from praesent.core.events import Cue, Question
from praesent.core.facts import Fact, to_samples


def _call(language: str | None) -> list[Fact]:
    return [
        SpeechStarted("seller", 0),
        SpeechStopped("seller", to_samples(2.0)),
        Utterance("seller", 0, to_samples(2.0), "Wie läuft die Einführung?", (), language),
        SpeechStarted("customer", to_samples(2.3)),
        SpeechStarted("seller", to_samples(6.0)),
        SpeechStopped("customer", to_samples(6.5)),
        SpeechStopped("seller", to_samples(9.0)),
        Tick(to_samples(30.0)),
    ]


def _run(start_language: str, utterance_language: str | None) -> tuple[list[Cue], list[Question]]:
    conversation = Conversation(language=start_language)
    events = conversation.feed_many(_call(utterance_language)) + conversation.finish(
        to_samples(30.0)
    )
    cues = [e for e in events if isinstance(e, Cue)]
    questions = [e for e in events if isinstance(e, Question)]
    return cues, questions


def test_auto_takes_the_first_transcripts_language() -> None:
    cues, questions = _run("auto", "de")
    assert [(c.kind, c.language, c.text) for c in cues] == [
        ("let_finish", "de", "Lass den Kunden ausreden")
    ]
    assert [(q.text, q.open) for q in questions] == [("Wie läuft die Einführung?", True)]


def test_a_transcripts_language_changes_the_calls() -> None:
    # The call's language was corrected or pinned anew: what follows speaks it.
    cues, _ = _run("en", "de")
    assert [(c.language, c.text) for c in cues] == [("de", "Lass den Kunden ausreden")]


def test_a_transcript_without_a_language_keeps_the_calls() -> None:
    cues, _ = _run("de", None)
    assert [c.language for c in cues] == ["de"]


def test_auto_without_a_known_language_speaks_english() -> None:
    cues, _ = _run("auto", None)
    assert [c.language for c in cues] == ["en"]
