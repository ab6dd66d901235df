"""The call's language, decided from enough speech rather than from the first mumble.

Whisper's language probabilities are accumulated over the call's first utterances (both
channels, each weighted by its seconds of speech) until ``min_speech_s`` of speech was heard;
then the most probable language is fixed for the call. Until then transcripts are held. The
file path and the live path feed the same utterances in the same order (by the end of their
speech), so they decide the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LanguageOptions:
    # A short "hello?" says little; six seconds of speech from the call say enough.
    min_speech_s: float = 6.0
    # praesent speaks German and English; a mumble heard as Dutch is one of the two.
    candidates: tuple[str, ...] = ("de", "en")


class LanguageVote:
    """Pure: language probabilities per utterance in, the call's language out once decided."""

    def __init__(self, options: LanguageOptions | None = None) -> None:
        self.options = options or LanguageOptions()
        self._mass = dict.fromkeys(self.options.candidates, 0.0)
        self.speech_s = 0.0
        self.language: str | None = None

    def add(self, probabilities: Mapping[str, float], speech_s: float) -> str | None:
        """Count one utterance; returns the language once it is decided."""
        if self.language is not None:
            return self.language
        total = sum(probabilities.get(c, 0.0) for c in self.options.candidates)
        if total > 0:
            for candidate in self.options.candidates:
                self._mass[candidate] += speech_s * probabilities.get(candidate, 0.0) / total
            self.speech_s += speech_s
        if self.speech_s >= self.options.min_speech_s:
            self.decide()
        return self.language

    def best(self) -> str:
        return max(self.options.candidates, key=lambda c: self._mass[c])

    def decide(self) -> str:
        """Fix the language now (the end of a call with little speech)."""
        if self.language is None:
            self.language = self.best()
        return self.language
