"""The call's language is decided from several seconds of speech, not from the first mumble."""

from __future__ import annotations

from praesent.asr.language import LanguageOptions, LanguageVote


def test_a_short_first_mumble_does_not_decide() -> None:
    vote = LanguageVote()
    # The first, short, mumbled utterance sounds German to Whisper ...
    assert vote.add({"de": 0.62, "en": 0.30, "nl": 0.08}, 0.8) is None
    # ... the next seconds are clearly English.
    assert vote.add({"en": 0.95, "de": 0.03}, 2.5) is None
    assert vote.add({"en": 0.91, "de": 0.05}, 3.0) == "en"
    assert vote.language == "en"
    # Once decided, the language stays fixed for the call.
    assert vote.add({"de": 0.99}, 20.0) == "en"


def test_candidates_only() -> None:
    vote = LanguageVote(LanguageOptions(min_speech_s=1.0))
    # Dutch is not a language of praesent: the mass goes to the nearer candidate.
    assert vote.add({"nl": 0.7, "de": 0.2, "en": 0.1}, 1.5) == "de"


def test_a_call_with_little_speech_decides_at_its_end() -> None:
    vote = LanguageVote()
    vote.add({"de": 0.8, "en": 0.2}, 1.0)
    assert vote.language is None
    assert vote.decide() == "de"
