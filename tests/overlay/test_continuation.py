"""A session that continues a lost one puts its own events on the call's time line, after the
old ones' ids; a new call is left as the core made it. Pure: no server, no model."""

from __future__ import annotations

from praesent.core.events import Cue, Interruption, Transcript
from praesent.core.facts import Word
from praesent.live.resume import Continuation

OFFSET = 16_000 * 12


def _interruption(contribution_id: int, sample: int) -> Interruption:
    return Interruption(
        sample=sample,
        contribution_id=contribution_id,
        by="seller",
        of="customer",
        overlap_s=0.4,
        recovered=None,
        source="timing",
    )


def test_a_continued_session_moves_times_and_ids_past_the_old_ones() -> None:
    history = [_interruption(3, 8_000)]
    continuation = Continuation.after(history, OFFSET)
    moved = continuation.shift(_interruption(0, 1_600))
    assert isinstance(moved, Interruption)
    assert (moved.sample, moved.contribution_id) == (OFFSET + 1_600, 4)
    cue = Cue(sample=1_600, cue_id="listen-1600", kind="listen", text="…", language="en")
    assert continuation.shift(cue).cue_id == f"listen-1600+{OFFSET}"
    words = (Word("hello", 100, 900),)
    said = Transcript(sample=100, role="seller", end_sample=900, text="hello", words=words)
    shifted = continuation.shift(said)
    assert isinstance(shifted, Transcript)
    assert shifted.end_sample == OFFSET + 900
    assert shifted.words[0] == Word("hello", OFFSET + 100, OFFSET + 900)


def test_a_new_call_keeps_the_cores_times_and_ids() -> None:
    continuation = Continuation.after([], 0)
    event = _interruption(2, 1_600)
    assert continuation.shift(event) == event
    cue = Cue(sample=1_600, cue_id="listen-1600", kind="listen", text="…", language="en")
    assert continuation.shift(cue) == cue
