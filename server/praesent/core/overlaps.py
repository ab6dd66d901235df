"""What the words say about a short contribution, once a transcript covers it.

Timing decides first, at once (activity and interruption events never wait behind
speech-to-text). The transcript then confirms or overturns it, in a later event with the same
``contribution_id``:

- a backchannel whose words are backchannel phrases only ("mhm", "yeah yeah", "oh I see") is
  confirmed and gets its text; one with more than ``backchannel_max_words`` words that are not is
  overturned to an "interjection";
- speech over the holder longer than a backchannel that the holder talked through ("failed") is a
  backchannel after all when its words are backchannel phrases only ("yeah, yeah, right");
- a short takeover with more than ``backchannel_max_words`` words of content is an interruption
  ("more than ~1 s or 3 words").

Interruptions and early starts are not re-judged: the floor changed. One to two words that are not
backchannel phrases leave timing's verdict as it is.

Which words: those of the *first-arriving* utterance of that role that has words within the
contribution (± ``word_tolerance_ms``). Utterances take effect only at activity facts (see
``conversation``), so this is the same utterance whether the contribution was decided before the
transcript came or after: the live log and a batch run agree, and ``summarise`` only has to keep
the last event per contribution.
"""

from __future__ import annotations

from dataclasses import dataclass

from praesent.core.facts import Utterance
from praesent.core.lexicon import is_backchannel, tokens


@dataclass(frozen=True, slots=True)
class SpanWords:
    tokens: tuple[str, ...]
    text: str

    @property
    def backchannel(self) -> bool:
        return is_backchannel(self.tokens)

    def content(self, max_words: int) -> bool:
        """More words than a backchannel has, and not all backchannel phrases."""
        return len(self.tokens) > max_words and not self.backchannel


def words_in_span(utterance: Utterance, start: int, end: int, tolerance: int) -> SpanWords | None:
    """The utterance's words inside [start, end] (± tolerance), or None if it has none there.
    Without word times, the whole text counts when the utterance lies inside the span."""
    if utterance.words:
        inside = [
            w.text.strip()
            for w in utterance.words
            if w.end_sample > start - tolerance and w.start_sample < end + tolerance
        ]
        text = " ".join(t for t in inside if t)
    elif utterance.start_sample >= start - tolerance and utterance.end_sample <= end + tolerance:
        text = utterance.text.strip()
    else:
        return None
    found = tuple(tokens(text))
    return SpanWords(found, text) if found else None


def overlaps(utterance: Utterance, start: int, end: int, tolerance: int) -> bool:
    return utterance.end_sample > start - tolerance and utterance.start_sample < end + tolerance
