"""The call's language rule (``CallLanguage``), the one ``analyze`` and the live socket share:
decided from several seconds of speech, not from the first mumble; corrected by a confident
later batch; pinned by the seller."""

from __future__ import annotations

import numpy as np
import pytest

from praesent.asr.language import CallLanguage, LanguageOptions, call_setting, language_prior

RATE = 16_000


def _speech(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def _hear(call: CallLanguage, probabilities: dict[str, float], seconds: float, at_s: float):
    """One finished utterance, with the probabilities Whisper would give what is detected."""
    detection = call.listen(_speech(seconds), round(at_s * RATE))
    if detection is None:
        return None
    return call.add(probabilities, detection.speech_s, detection.sample)


def test_a_short_first_mumble_does_not_decide() -> None:
    call = CallLanguage()
    # The first, short, mumbled utterance sounds German to Whisper ...
    assert _hear(call, {"de": 0.62, "en": 0.30, "nl": 0.08}, 0.8, 1.0) is None
    # ... the next seconds are clearly English.
    assert _hear(call, {"en": 0.95, "de": 0.03}, 2.5, 4.0) is None
    change = _hear(call, {"en": 0.91, "de": 0.05}, 3.0, 8.0)
    assert change is not None and (change.language, change.source) == ("en", "detected")
    assert change.sample == 8 * RATE and call.language == "en"


def test_a_split_vote_waits_for_more_speech() -> None:
    # 4.4 s of German, then English: at 7.7 s German still holds more than a third, so the
    # language is not fixed yet (the recorded case: it was German from the first mumble on).
    call = CallLanguage()
    assert _hear(call, {"de": 1.0}, 4.4, 5.0) is None
    assert _hear(call, {"en": 0.75}, 1.1, 13.0) is None
    assert _hear(call, {"en": 0.98}, 2.2, 15.0) is None
    assert call.language is None
    change = _hear(call, {"en": 0.99}, 6.1, 20.0)
    assert change is not None and change.language == "en"


def test_fifteen_seconds_decide_even_a_split_vote() -> None:
    call = CallLanguage()
    for at_s in (4.0, 8.0, 12.0):
        assert _hear(call, {"de": 0.5, "en": 0.5}, 4.0, at_s) is None
    change = _hear(call, {"de": 0.6, "en": 0.4}, 4.0, 16.0)
    assert change is not None and change.language == "de" and change.speech_s == 16.0


def test_candidates_only() -> None:
    call = CallLanguage(options=LanguageOptions(min_speech_s=1.0))
    # Dutch is not a language of praesent: the mass goes to the nearer candidate.
    change = _hear(call, {"nl": 0.7, "de": 0.2, "en": 0.02}, 1.5, 2.0)
    assert change is not None and change.language == "de"


def test_a_call_with_little_speech_decides_at_its_end() -> None:
    call = CallLanguage()
    # 1.5 s of speech: less than a group, not detected yet ...
    assert call.listen(_speech(1.5), 2 * RATE) is None
    assert call.language is None
    # ... until the call ends: then what was heard is detected, and decides.
    pending = call.pending(5 * RATE)
    assert pending is not None and pending.speech_s == 1.5 and pending.sample == 5 * RATE
    change = call.add({"en": 0.8, "de": 0.2}, pending.speech_s, pending.sample)
    assert change is not None and change.language == "en" and change.source == "detected"
    assert call.finish(5 * RATE) is None
    assert call.pending(6 * RATE) is None


def _short_call(prior: str | None, first: dict[str, float], whole: dict[str, float]):
    """A call with 4.4 s of speech in two utterances: the first (3.9 s) detected as a group,
    then, at the call's end, one detection over all 4.4 s."""
    call = CallLanguage(prior=prior)
    group = call.listen(_speech(3.9), 4 * RATE)
    assert group is not None and group.speech_s == pytest.approx(3.9)
    assert call.add(first, group.speech_s, group.sample) is None
    assert call.listen(_speech(0.5), 6 * RATE) is None
    whole_call = call.pending(8 * RATE)
    # All the speech there is, not only what is left after the last group.
    assert whole_call is not None and whole_call.speech_s == pytest.approx(4.4)
    assert whole_call.audio.shape[0] == round(4.4 * RATE)
    change = call.add(whole, whole_call.speech_s, whole_call.sample)
    assert change is not None and call.finish(8 * RATE) is None
    assert change.speech_s == pytest.approx(4.4) and change.sample == 8 * RATE
    return change


def test_a_short_call_is_decided_by_one_detection_over_all_its_speech() -> None:
    # The group alone leaned English; all 4.4 s together are German with faster-whisper's
    # confidence (0.5): German, whatever the prior.
    for prior in (None, "en"):
        change = _short_call(prior, {"en": 0.55, "de": 0.4}, {"de": 0.62, "en": 0.3})
        assert change.language == "de"


def test_a_short_unsure_call_takes_the_sellers_language() -> None:
    # German leads but below 0.5 (Dutch takes a share): the seller's saved language decides.
    unsure = {"de": 0.45, "en": 0.40, "nl": 0.15}
    assert _short_call("en", {"de": 0.5, "en": 0.5}, unsure).language == "en"
    assert _short_call("de", {"de": 0.5, "en": 0.5}, unsure).language == "de"
    # Without a saved language what leads decides.
    assert _short_call(None, {"de": 0.5, "en": 0.5}, unsure).language == "de"
    # A confident English call stays English for a German-speaking seller.
    assert _short_call("de", {"en": 0.9}, {"en": 0.93, "de": 0.02}).language == "en"


def test_a_call_without_speech_takes_the_sellers_language() -> None:
    call = CallLanguage(prior="de")
    assert call.pending(5 * RATE) is None
    change = call.finish(5 * RATE)
    assert change is not None and change.language == "de"
    # A prior that is not one of praesent's languages is none.
    assert CallLanguage(prior="auto").prior is None


def test_a_call_with_enough_speech_ignores_the_prior() -> None:
    # Seven seconds of speech: the groups decide as before; the prior plays no part.
    call = CallLanguage(prior="de")
    assert _hear(call, {"en": 0.8, "de": 0.2}, 3.5, 4.0) is None
    change = _hear(call, {"en": 0.7, "de": 0.3}, 3.5, 8.0)
    assert change is not None and change.language == "en"


def test_utterances_are_detected_in_groups() -> None:
    """Each detection is an encoder pass over a 30 s window, however short its audio: short
    utterances are joined into groups of at least 3 s of speech."""
    call = CallLanguage()
    assert call.listen(_speech(1.0), 1 * RATE) is None
    assert call.listen(_speech(1.2), 3 * RATE) is None
    group = call.listen(_speech(0.9), 4 * RATE)
    assert group is not None and group.speech_s == pytest.approx(3.1)
    assert group.audio.shape[0] == round(3.1 * RATE) and group.sample == 4 * RATE


def test_a_confirming_batch_ends_the_review() -> None:
    call = CallLanguage(options=LanguageOptions(min_speech_s=1.0))
    _hear(call, {"en": 0.9}, 3.0, 3.0)
    assert call.language == "en" and call.listening
    # The first 10 s after the decision say English again: no more detections.
    assert _hear(call, {"en": 0.97, "de": 0.02}, 10.0, 15.0) is None
    assert not call.listening
    assert call.listen(_speech(10.0), 30 * RATE) is None


def test_a_confident_later_batch_corrects_the_language() -> None:
    call = CallLanguage()
    # Seven seconds of German decide ...
    assert _hear(call, {"de": 1.0}, 4.4, 5.0) is None
    decided = _hear(call, {"de": 1.0}, 3.1, 8.0)
    assert decided is not None and decided.language == "de"
    # ... then English: joined into a batch of 10 s, detected once.
    assert call.listen(_speech(4.0), 12 * RATE) is None
    assert call.listen(_speech(3.0), 15 * RATE) is None
    batch = call.listen(_speech(3.5), 19 * RATE)
    assert batch is not None and batch.speech_s == pytest.approx(10.5)
    assert batch.audio.shape[0] == round(10.5 * RATE) and batch.sample == 19 * RATE
    change = call.add({"en": 0.97, "de": 0.01}, batch.speech_s, batch.sample)
    assert change is not None
    assert (change.language, change.previous, change.source) == ("en", "de", "corrected")
    assert change.to_dict() == {
        "at_s": 19.0,
        "language": "en",
        "previous": "de",
        "source": "corrected",
        "speech_s": 18.0,
    }
    assert [c.source for c in call.changes] == ["detected", "corrected"]


def test_a_mixed_batch_does_not_correct() -> None:
    # A bilingual stretch (the customer answers in English) is no evidence against German.
    call = CallLanguage(options=LanguageOptions(min_speech_s=1.0))
    _hear(call, {"de": 0.9}, 2.0, 2.0)
    batch = call.listen(_speech(12.0), 20 * RATE)
    assert batch is not None
    assert call.add({"en": 0.7, "de": 0.3}, batch.speech_s, batch.sample) is None
    assert call.language == "de"


def test_the_review_ends() -> None:
    call = CallLanguage(options=LanguageOptions(min_speech_s=1.0))
    _hear(call, {"de": 0.9}, 2.0, 2.0)
    for n in range(3):
        # Neither confirmed nor corrected (a bilingual stretch): the review goes on ...
        assert call.listening
        assert _hear(call, {"de": 0.7, "en": 0.3}, 10.0, 20.0 + 10 * n) is None
    # ... for 30 s of speech: no more detections, whatever is said.
    assert not call.listening
    assert call.listen(_speech(20.0), 90 * RATE) is None
    assert call.add({"en": 1.0}, 20.0, 90 * RATE) is None
    assert call.language == "de"


def test_a_pinned_language_is_neither_detected_nor_corrected() -> None:
    call = CallLanguage("de")
    assert call.language == "de" and call.setting == "de" and not call.listening
    assert call.listen(_speech(30.0), 30 * RATE) is None
    assert call.add({"en": 1.0}, 30.0, 30 * RATE) is None
    assert call.changes == []  # given at the start: not a change


def test_pinning_mid_call_and_handing_back() -> None:
    call = CallLanguage()
    # Pinned while still undecided: held utterances go out in the pinned language.
    change = call.pin("en", 3 * RATE)
    assert change is not None and (change.language, change.previous, change.source) == (
        "en",
        None,
        "pinned",
    )
    assert call.setting == "en" and not call.listening
    # Back to "auto": the same rule reviews English against what follows.
    back = call.pin("auto", 10 * RATE)
    assert back is not None and (back.language, back.source) == ("en", "auto")
    assert call.setting == "auto" and call.listening
    assert call.pin("auto", 11 * RATE) is None  # nothing changed
    batch = call.listen(_speech(10.0), 25 * RATE)
    assert batch is not None
    corrected = call.add({"de": 0.95}, batch.speech_s, batch.sample)
    assert corrected is not None and corrected.language == "de"
    assert [c.source for c in call.changes] == ["pinned", "auto", "corrected"]


def test_the_first_choice_made_wins() -> None:
    # The call's own choice, then the seller's setting, then the server's default.
    assert call_setting("en", "de", "auto") == "en"
    assert call_setting(None, "de", "auto") == "de"
    assert call_setting(None, None, "de") == "de"
    assert call_setting(None, None, None) == "auto"
    assert call_setting(None, "auto", "de") == "auto"


def test_the_prior_is_the_first_language_named() -> None:
    # The seller's saved language, else the server's default; "auto" names none.
    assert language_prior("de", "en") == "de"
    assert language_prior(None, "en") == "en"
    assert language_prior("auto", "de") == "de"
    assert language_prior("auto", "auto") is None
    assert language_prior(None, None) is None


def test_the_guess_shows_the_first_words_before_the_decision() -> None:
    """Until the language is decided a live call shows its words in the best guess: a hint
    from the first utterance alone, then the language leading the detections; the hint is
    never counted, so the decision is the one ``analyze`` makes without it."""
    hinted, plain = CallLanguage(), CallLanguage()
    assert hinted.guess is None
    # The first, short utterance is too short for a detection: its own probabilities hint.
    hinted.hint({"en": 0.7, "de": 0.2, "nl": 0.1})
    assert hinted.guess == "en" and hinted.language is None and hinted.speech_s == 0.0
    for call in (hinted, plain):
        assert _hear(call, {"en": 0.1, "de": 0.9}, 0.8, 1.0) is None
        # 3.8 s of speech detected German: the detections lead, not the hint.
        assert _hear(call, {"de": 0.9, "en": 0.1}, 3.0, 4.0) is None
    assert hinted.guess == plain.guess == "de"
    for call in (hinted, plain):
        change = _hear(call, {"en": 0.99, "de": 0.01}, 9.0, 14.0)
        assert change is not None and change.language == "en"
        # Decided: the guess is the call's language.
        assert call.guess == "en"
    assert hinted.changes == plain.changes
    # A pinned call needs no guess.
    assert CallLanguage("de").guess == "de"
