"""Whisper's failure modes, judged per decoded utterance: repetition loops and impossible rates.

On overlapping or unclear speech Whisper can loop ("yeah, yeah, yeah, …" a hundred times) or
write more words than the audio could hold. Whisper's own guard, the compression ratio of a
30 s segment, cannot be used on a pack of several utterances (repeated short answers across
utterances are normal there), so every utterance is judged on its own once the pack is decoded.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True, slots=True)
class QualityOptions:
    # Whisper's own threshold (``compression_ratio_threshold``): text that zlib compresses
    # better than this is repetitive.
    max_compression_ratio: float = 2.4
    # The same word (or the same phrase of up to four words) more often in a row is a loop.
    max_repeats: int = 4
    max_phrase_words: int = 4
    # Fast speech is 4-5 words a second; short utterances get two words of slack for timing.
    max_words_per_second: float = 7.0
    slack_words: int = 2


def compression_ratio(text: str) -> float:
    """Whisper's measure: bytes of the text over bytes of its zlib compression."""
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def words_of(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def longest_repeat(words: list[str], max_phrase_words: int = 4) -> int:
    """How many times in a row the most repeated word or phrase (up to ``max_phrase_words``
    words) occurs: "yeah yeah yeah" -> 3, "I know I know" -> 2, "a b c" -> 1."""
    best = 1 if words else 0
    for size in range(1, max_phrase_words + 1):
        for start in range(size):
            run = 1
            position = start + size
            while position + size <= len(words):
                if words[position : position + size] == words[position - size : position]:
                    run += 1
                    best = max(best, run)
                else:
                    run = 1
                position += size
    return best


def failure(text: str, duration_s: float, options: QualityOptions | None = None) -> str | None:
    """Why a decoded utterance cannot be trusted, or None when it can."""
    options = options or QualityOptions()
    words = words_of(text)
    if not words:
        return None
    ratio = compression_ratio(text)
    if ratio > options.max_compression_ratio:
        return f"compression ratio {ratio:.2f}"
    repeats = longest_repeat(words, options.max_phrase_words)
    if repeats > options.max_repeats:
        return f"a word or phrase {repeats} times in a row"
    allowed = options.max_words_per_second * max(duration_s, 0.0) + options.slack_words
    if len(words) > allowed:
        return f"{len(words)} words in {duration_s:.1f} s"
    return None
