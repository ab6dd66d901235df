"""The call's language: decided from enough speech, corrected by confident later speech, or
pinned by the seller.

Whisper's language probabilities are accumulated over the call's utterances (both channels,
in the order their speech ended), detected in groups of at least ``detect_s`` of speech (the
utterances joined, one Whisper encoder pass each), each group weighted by its seconds of speech;
the language is decided after ``min_speech_s`` of speech once one
language holds ``decide_share`` of the probability mass, after ``decide_by_s`` whatever holds
the most. Then the call's first ``review_s`` of speech is reviewed in batches of ``batch_s``: a
batch in which another language holds ``correct_share`` corrects the call's language for what
follows, one in which the call's language holds it confirms it and ends the review. A pinned
language (``de``, ``en``) is neither detected nor corrected; handing the choice back ("auto")
mid-call reviews the current language by the same rule. The file path and the live path feed
the same utterances in the same order, so they decide the same. Until the decision, a live call
shows its words in ``guess``: the language leading the detections so far, or before the first
one the ``hint`` of the first utterance alone (a guess only, never counted by the rule).

A call that ends with less than ``min_speech_s`` of speech is decided by one detection over all
of its speech: the language Whisper gives at least ``confident_probability`` (faster-whisper's
own threshold), else the ``prior`` (the seller's saved language), else what leads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from praesent.audio import SAMPLE_RATE

# "auto": the seller handed the choice back to detection.
ChangeSource = Literal["detected", "corrected", "pinned", "auto"]
Samples = npt.NDArray[np.float32]
_WINDOW = 30 * SAMPLE_RATE  # Whisper detects from its first 30 s window


def call_setting(*choices: str | None) -> str:
    """The first choice made, in order: the call's own (a start message, an upload, a command
    line), the seller's setting, the server's default; else "auto"."""
    return next((choice for choice in choices if choice), "auto")


def language_prior(*choices: str | None) -> str | None:
    """The first of the seller's setting and the server's default that names a language (not
    "auto"): what a call on "auto" with too little speech to be sure of is taken to speak."""
    return next((choice for choice in choices if choice and choice != "auto"), None)


@dataclass(frozen=True, slots=True)
class LanguageOptions:
    # praesent speaks German and English; a mumble heard as Dutch is one of the two.
    candidates: tuple[str, ...] = ("de", "en")
    # A short "hello?" says little; six seconds of speech from the call say enough when they
    # agree, ...
    min_speech_s: float = 6.0
    # Utterances are detected in groups of this much speech: each detection is an encoder pass
    # of a whole 30 s window, whatever the length of its audio.
    detect_s: float = 3.0
    decide_share: float = 2 / 3
    # ... and fifteen seconds decide even when they do not.
    decide_by_s: float = 15.0
    # Review: batches of this much later speech, ...
    batch_s: float = 10.0
    # ... one in which another language holds this share corrects the call's language, ...
    correct_share: float = 0.85
    # ... for the call's first seconds of speech after the decision (each batch costs an
    # encoder pass), or until a batch confirms the language with that share.
    review_s: float = 30.0
    # A short call's one detection over all its speech decides when its language has this
    # probability: faster-whisper's ``language_detection_threshold``.
    confident_probability: float = 0.5


@dataclass(frozen=True, slots=True)
class Detection:
    """Audio whose language probabilities are wanted: ``speech_s`` of speech that ended at
    ``sample`` (one utterance, or a review batch of several joined)."""

    audio: Samples
    speech_s: float
    sample: int


@dataclass(frozen=True, slots=True)
class LanguageChange:
    """The call's language from ``sample`` on (the end of the speech that decided, or the
    moment of a pin). ``language`` is None only for "auto" handed back before any decision."""

    sample: int
    language: str | None
    previous: str | None
    source: ChangeSource
    speech_s: float

    def to_dict(self) -> dict[str, str | float | None]:
        return {
            "at_s": round(self.sample / SAMPLE_RATE, 3),
            "language": self.language,
            "previous": self.previous,
            "source": self.source,
            "speech_s": round(self.speech_s, 1),
        }


class CallLanguage:
    """Pure: finished utterances and their language probabilities (or a pin) in, the call's
    language out. ``changes`` lists every change during the call (not a language given at the
    start)."""

    def __init__(
        self,
        setting: str = "auto",
        options: LanguageOptions | None = None,
        prior: str | None = None,
    ) -> None:
        self.options = o = options or LanguageOptions()
        # The seller's saved language: a short call's language where detection is not sure.
        self.prior = prior if prior in o.candidates else None
        self.language: str | None = None
        self.changes: list[LanguageChange] = []
        self.speech_s = 0.0
        self._auto = True
        self._mass = dict.fromkeys(o.candidates, 0.0)
        self._batch: list[Samples] = []
        self._batch_s = 0.0
        self._review_left_s = o.review_s
        # All speech heard while undecided (its first 30 s), for a short call's last detection.
        self._heard: list[Samples] = []
        self._heard_samples = 0
        self._whole_pending = False
        self._hint: str | None = None
        if setting != "auto":
            # Pinned from the start: not a change.
            self._auto = False
            self.language = setting

    @property
    def setting(self) -> str:
        """ "auto" while detection decides, else the pinned language."""
        return "auto" if self._auto else self.language or "auto"

    @property
    def listening(self) -> bool:
        """Whether finished utterances go to ``listen``."""
        return self._auto and (self.language is None or self._review_left_s > 0)

    @property
    def guess(self) -> str | None:
        """The language to show words in now: the call's, else (undecided) the one leading the
        detections so far, else the hint; None while there is neither."""
        if self.language is not None:
            return self.language
        if self.speech_s > 0:
            return self.best()
        return self._hint

    def hint(self, probabilities: Mapping[str, float]) -> None:
        """Language probabilities of speech heard before any detection counted: the guess until
        one does. Not counted by the rule, so the decision stays the file path's."""
        candidates = self.options.candidates
        if any(probabilities.get(c, 0.0) > 0 for c in candidates):
            self._hint = max(candidates, key=lambda c: probabilities.get(c, 0.0))

    def listen(self, audio: Samples, sample: int) -> Detection | None:
        """A finished utterance (ended at ``sample``): what to detect the language of now, if
        anything (a group of ``detect_s`` while undecided; a full review batch after)."""
        if not self.listening:
            return None
        if self.language is None and self._heard_samples < _WINDOW:
            self._heard.append(audio)
            self._heard_samples += audio.shape[0]
        self._batch.append(audio)
        self._batch_s += audio.shape[0] / SAMPLE_RATE
        o = self.options
        if self.language is None:
            # The last group before ``decide_by_s`` is not left waiting for more.
            due = min(o.detect_s, o.min_speech_s, max(o.decide_by_s - self.speech_s, 0.0))
        else:
            due = o.batch_s
        if self._batch_s < due:
            return None
        return self._detection(sample)

    def pending(self, sample: int) -> Detection | None:
        """At the call's end, before ``finish``: the speech still waiting for a detection while
        the language is undecided; for a call shorter than ``min_speech_s`` of speech, all of
        its speech at once."""
        if not self.listening or self.language is not None:
            return None
        heard_s = self.speech_s + self._batch_s
        if self._heard and heard_s < self.options.min_speech_s:
            self._whole_pending = True
            joined = np.concatenate(self._heard)[:_WINDOW]
            return Detection(joined, heard_s, sample)
        if not self._batch:
            return None
        return self._detection(sample)

    def _detection(self, sample: int) -> Detection:
        joined = np.concatenate(self._batch)[:_WINDOW]
        detection = Detection(joined, self._batch_s, sample)
        self._batch, self._batch_s = [], 0.0
        return detection

    def add(
        self, probabilities: Mapping[str, float], speech_s: float, sample: int
    ) -> LanguageChange | None:
        """Count one detection (``speech_s`` of speech that ended at ``sample``); a change of
        the call's language, if it decided or corrected it."""
        if not self.listening:
            return None
        o = self.options
        total = sum(probabilities.get(c, 0.0) for c in o.candidates)
        if total <= 0:
            return None
        shares = {c: probabilities.get(c, 0.0) / total for c in o.candidates}
        if self._whole_pending:
            return self._decide_short(probabilities, shares, speech_s, sample)
        self.speech_s += speech_s
        if self.language is None:
            for candidate in o.candidates:
                self._mass[candidate] += speech_s * shares[candidate]
            best = self.best()
            if self.speech_s >= o.decide_by_s or (
                self.speech_s >= o.min_speech_s
                and self._mass[best] >= o.decide_share * self.speech_s
            ):
                return self._change(best, "detected", sample)
            return None
        self._review_left_s -= speech_s
        if shares.get(self.language, 0.0) >= o.correct_share:
            # Confirmed by speech after the decision: no more encoder passes on it.
            self._review_left_s = 0.0
            return None
        other = max((c for c in o.candidates if c != self.language), key=lambda c: shares[c])
        if shares[other] >= o.correct_share:
            return self._change(other, "corrected", sample)
        return None

    def _decide_short(
        self,
        probabilities: Mapping[str, float],
        shares: Mapping[str, float],
        speech_s: float,
        sample: int,
    ) -> LanguageChange:
        """A short call's one detection over all its speech (``speech_s``, counted once)."""
        self._whole_pending = False
        self.speech_s = speech_s
        o = self.options
        leading = max(o.candidates, key=lambda c: shares[c])
        if probabilities.get(leading, 0.0) >= o.confident_probability:
            return self._change(leading, "detected", sample)
        return self._change(self.prior or leading, "detected", sample)

    def best(self) -> str:
        return max(self.options.candidates, key=lambda c: self._mass[c])

    def finish(self, sample: int) -> LanguageChange | None:
        """The call ended before enough speech: fix the best guess from what was heard (the
        prior where nothing was heard)."""
        if self.language is not None:
            return None
        if self.speech_s <= 0 and self.prior is not None:
            return self._change(self.prior, "detected", sample)
        return self._change(self.best(), "detected", sample)

    def pin(self, setting: str, sample: int) -> LanguageChange | None:
        """The seller's choice from ``sample`` on: a language, or "auto" (detection reviews the
        current language again, by the same rule)."""
        if setting != "auto":
            self._auto = False
            return self._change(setting, "pinned", sample)
        if self._auto:
            return None
        self._auto = True
        self._review_left_s = self.options.review_s
        change = LanguageChange(sample, self.language, self.language, "auto", self.speech_s)
        self.changes.append(change)
        return change

    def _change(self, language: str, source: ChangeSource, sample: int) -> LanguageChange:
        change = LanguageChange(sample, language, self.language, source, self.speech_s)
        self.language = language
        self._batch, self._batch_s = [], 0.0
        self._heard, self._heard_samples = [], 0
        self.changes.append(change)
        return change
