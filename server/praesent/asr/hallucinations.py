"""Whisper's known inventions: text it produces from silence or noise, not from speech."""

from __future__ import annotations

import re

# Phrases Whisper learnt from subtitle credits; they never occur as real call speech.
_INVENTED = (
    "amara.org",
    "untertitel im auftrag",
    "untertitel der",
    "untertitelung",
    "subtitles by",
    "thanks for watching",
    "thank you for watching",
    "please subscribe",
    "like and subscribe",
    "vielen dank fürs zuschauen",
    "danke fürs zuschauen",
    "bis zum nächsten mal",
    "copyright",
    "www.",
)
_ONLY_SYMBOLS = re.compile(r"^[\W_♪]*$")


def is_invented(text: str, no_speech_prob: float = 0.0, avg_logprob: float = 0.0) -> bool:
    """True for a segment that should be dropped."""
    lowered = text.strip().lower()
    if _ONLY_SYMBOLS.match(lowered):
        return True
    if any(phrase in lowered for phrase in _INVENTED):
        return True
    # faster-whisper's own silence rule, applied per segment.
    return no_speech_prob > 0.6 and avg_logprob < -1.0
