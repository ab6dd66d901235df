"""The per-utterance checks on Whisper's output: loops and impossible rates are caught, and the
real transcripts of every shared recording pass."""

from __future__ import annotations

import pytest

from praesent.asr.quality import compression_ratio, failure, longest_repeat, words_of
from praesent.evaluation.references import parse_stm
from tests.support import SHARED_DATA, shared

LOOP = "Yeah, " * 120 + "yeah."


def test_loops_are_caught() -> None:
    assert compression_ratio(LOOP) > 2.4
    assert failure(LOOP, 30.0) is not None
    assert failure("Ja, ja, ja, ja, ja, ja.", 3.0) == "a word or phrase 6 times in a row"
    assert failure("I know, I know, I know, I know, I know, I know", 6.0) is not None


def test_repeats_are_counted_per_word_and_phrase() -> None:
    assert longest_repeat(words_of("yeah yeah yeah")) == 3
    assert longest_repeat(words_of("I know, I know.")) == 2
    assert longest_repeat(words_of("one two three")) == 1
    assert longest_repeat([]) == 0
    # Four in a row is speech ("no, no, no, no"); five is a loop.
    assert failure("No, no, no, no.", 2.0) is None
    assert failure("No, no, no, no, no.", 2.0) is not None


def test_more_words_than_the_audio_can_hold() -> None:
    text = "this is a sentence with far too many words for the time it took to say"
    assert failure(text, 0.6) == "16 words in 0.6 s"
    assert failure(text, 4.0) is None


def test_every_real_transcript_passes() -> None:
    """No real utterance of the shared recordings is taken for a loop (no false rejections)."""
    checked = 0
    for segment in parse_stm(shared("en-phonecall-2spk/sample.stm")):
        assert failure(segment.text, segment.end_s - segment.start_s) is None, segment
        checked += 1
    for text_file in sorted(SHARED_DATA.glob("*/*.txt")):
        text = text_file.read_text()
        # The clips are 2-15 s long; none of their texts is a loop at any plausible rate.
        assert failure(text, 15.0) is None, text_file
        checked += 1
    assert checked >= 30, f"only {checked} real transcripts found"


@pytest.mark.parametrize("text", ["", "   ", "…"])
def test_empty_text_is_not_a_failure(text: str) -> None:
    assert failure(text, 1.0) is None
