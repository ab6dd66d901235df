"""Topic segmentation, live: where a new topic starts, and the ended topic's summary.

Candidate boundaries are the starts of utterances (backchannels like "mhm" are none). In order,
each candidate is decided once, from the transcript heard so far:

- **cue phrase**: the utterance opens with a topic cue ("moving on", "next question", "let's talk
  about", "kommen wir zu", "noch eine Frage", "nächster Punkt" …, ``lexicon.TOPIC_CUE_PHRASES``)
  within ``cue_phrase_max_offset_words`` words. Decided as soon as the utterance is heard.
- **pause**: nobody said anything for ``topic_pause_s`` before it. Decided at once as well.
- **cohesion**: the TF-IDF cosine between the last ``cohesion_left_words`` content words of the
  current topic and the first ``cohesion_right_words`` from the candidate on is at most
  ``cohesion_max`` (TextTiling's lexical cohesion, with neighbouring windows of words instead of
  fixed blocks). Where the same role carries on (no floor change) the stricter
  ``cohesion_max_same_role`` applies. Decided once the right window is full, or earlier, once it
  holds ``cohesion_early_right_words`` words sharing nothing with the left window (live: usually
  at the new topic's first utterance, a few seconds after its start). A right window cut short by
  a cue-phrase or pause boundary, or by the end of the call, is decided with what it holds.

No boundary is taken while the current topic is shorter than ``topic_min_s``: very short topics
merge into the one they are part of. At the end of the call a too-short last topic joins the one
before (a ``Topic`` event with the earlier ``topic_id`` replaces it).

Determinism: the segmenter sees utterances only when the conversation applies them (at activity
facts and at the end, never at a Tick), and decides from them alone, so feeding facts one by one
or in batches gives the same topics at the same points of the event log.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from praesent.core.events import Topic
from praesent.core.facts import Role, Utterance, to_samples
from praesent.core.lexicon import TOPIC_CUE_PHRASES, is_backchannel, tokens
from praesent.core.options import TopicOptions
from praesent.core.summaries import (
    Idf,
    Sentence,
    content_terms,
    cosine,
    deepen_phrase,
    key_phrases,
    sentences,
    summary_lines,
)


def cue_phrase(words: list[str], max_offset: int) -> str | None:
    """The family of the topic cue phrase that starts within ``max_offset`` words, if any."""
    for i in range(min(len(words), max_offset + 1)):
        for family, phrases in TOPIC_CUE_PHRASES.items():
            for phrase in phrases:
                if tuple(words[i : i + len(phrase)]) == phrase:
                    return family
    return None


@dataclass(frozen=True, slots=True)
class _Unit:
    role: Role
    start: int
    end: int
    seq: int  # arrival order, to keep equal starts stable
    text: str
    terms: tuple[str, ...]
    cue: str | None
    backchannel: bool


@dataclass(frozen=True, slots=True)
class _Ended:
    topic_id: int
    start: int
    end: int
    units: tuple[_Unit, ...]


class TopicSegmenter:
    def __init__(self, options: TopicOptions, language: str) -> None:
        self._o = options
        self._language = language
        self._min = to_samples(options.topic_min_s)
        self._pause = to_samples(options.topic_pause_s)
        self._idf = Idf()
        self._units: list[_Unit] = []  # sorted by (start, seq), from the previous topic on
        self._keys: list[tuple[int, int]] = []
        self._seq = 0
        self._next = 0  # index of the next undecided candidate
        self._max_end: int | None = None  # latest end among units before ``_next``
        self._topic_id = 1
        self._start: int | None = None  # the current topic's start
        self._previous: _Ended | None = None

    def set_language(self, language: str) -> None:
        self._language = language

    # -- public -------------------------------------------------------------------------------

    def add(self, u: Utterance) -> list[Topic]:
        """Hear an utterance; returns the topics it ended (at most one per boundary decided)."""
        words = tokens(u.text)
        if not words:
            return []
        terms = tuple(content_terms(words))
        cue = cue_phrase(words, self._o.cue_phrase_max_offset_words)
        unit = _Unit(
            u.role,
            u.start_sample,
            u.end_sample,
            self._seq,
            u.text.strip(),
            terms,
            cue,
            is_backchannel(words),
        )
        self._seq += 1
        self._idf.add(terms)
        key = (unit.start, unit.seq)
        at = bisect_right(self._keys, key)
        self._keys.insert(at, key)
        self._units.insert(at, unit)
        if at < self._next:
            self._next += 1
            self._max_end = unit.end if self._max_end is None else max(self._max_end, unit.end)
        if self._start is None or (self._previous is None and unit.start < self._start):
            self._start = unit.start
        return self._decide(final=False)

    def finish(self, end: int) -> list[Topic]:
        """Decide what is left as if nothing followed, and end the last topic at ``end``."""
        out = self._decide(final=True)
        start = self._start
        if start is None:
            return out
        units = self._between(start, None)
        last = max((x.end for x in units), default=start)
        previous = self._previous
        if previous is not None and last - start < self._min:
            joined = [*previous.units, *units]
            out.append(self._topic(previous.topic_id, previous.start, end, joined, "end"))
        else:
            out.append(self._topic(self._topic_id, start, max(end, last), units, "end"))
        self._start = None
        return out

    def deepen_phrase(self, start: int, end: int) -> str | None:
        """What the customer raised in their turn from ``start`` to ``end``, in their words."""
        texts: list[Sentence] = []
        for unit in self._units:
            if unit.role == "customer" and unit.end > start and unit.start < end:
                texts += sentences(unit.text)
        return deepen_phrase(texts, self._idf)

    # -- deciding -----------------------------------------------------------------------------

    def _strong(self, i: int, max_end: int | None) -> str | None:
        """Whether unit ``i`` opens a topic by itself: its cue phrase or the pause before it."""
        unit = self._units[i]
        if unit.cue is not None:
            return "cue_phrase"
        if max_end is not None and unit.start - max_end >= self._pause:
            return "pause"
        return None

    def _decide(self, final: bool) -> list[Topic]:
        out: list[Topic] = []
        units = self._units
        while self._next < len(units):
            i = self._next
            unit = units[i]
            start = self._start
            assert start is not None
            reason: str | None = None
            if unit.start > start:
                reason = self._strong(i, self._max_end)
                if reason is None and unit.terms and not unit.backchannel:
                    verdict = self._cohesion(i, start, final)
                    if verdict is None:
                        break  # wait for more words
                    reason = verdict or None
                if reason is not None and unit.start - start < self._min:
                    reason = None  # too short a topic: merged
            if reason is not None:
                out.append(self._boundary(unit.start, reason))
                i = self._next  # the units list was pruned
            self._next = i + 1
            self._max_end = unit.end if self._max_end is None else max(self._max_end, unit.end)
        return out

    def _cohesion(self, i: int, start: int, final: bool) -> str | None:
        """ "cohesion" for a boundary, "" for none, None while more words are needed."""
        o, units = self._o, self._units
        left: list[str] = []
        for k in range(i - 1, -1, -1):
            if units[k].start < start or len(left) >= o.cohesion_left_words:
                break
            left = list(units[k].terms) + left
        left = left[-o.cohesion_left_words :]
        if len(left) < o.cohesion_min_left_words:
            return ""
        previous_role = units[i - 1].role if i > 0 else None
        limit = o.cohesion_max if previous_role != units[i].role else o.cohesion_max_same_role
        right: list[str] = []
        full = False
        max_end = self._max_end
        for j in range(i, len(units)):
            if j > i and self._strong(j, max_end) is not None:
                final = True  # a stronger boundary comes first: decide with what there is
                break
            right += units[j].terms
            if len(right) >= o.cohesion_right_words:
                full = True
                break
            max_end = units[j].end if max_end is None else max(max_end, units[j].end)
        if full:
            similarity = cosine(left, right[: o.cohesion_right_words], self._idf)
            return "cohesion" if similarity <= limit else ""
        if len(right) >= o.cohesion_early_right_words:
            similarity = cosine(left, right, self._idf)
            if similarity <= min(limit, o.cohesion_early_max):
                return "cohesion"
        return "" if final else None

    def _boundary(self, at: int, reason: str) -> Topic:
        start = self._start
        assert start is not None
        units = self._between(start, at)
        topic = self._topic(self._topic_id, start, at, units, reason)
        self._previous = _Ended(self._topic_id, start, at, tuple(units))
        self._topic_id += 1
        self._start = at
        # Keep units from the ended topic on (a too-short last topic may still join it).
        drop = 0
        while drop < len(self._units) and self._units[drop].start < start:
            drop += 1
        if drop:
            del self._units[:drop]
            del self._keys[:drop]
            self._next -= drop
        return topic

    def _between(self, start: int, end: int | None) -> list[_Unit]:
        return [u for u in self._units if u.start >= start and (end is None or u.start < end)]

    def _topic(
        self,
        topic_id: int,
        start: int,
        end: int,
        units: tuple[_Unit, ...] | list[_Unit],
        reason: str,
    ) -> Topic:
        o = self._o
        everyone: list[Sentence] = []
        customer: list[Sentence] = []
        for unit in units:
            said = sentences(unit.text)
            everyone += said
            if unit.role == "customer":
                customer += said
        phrases = key_phrases(customer, self._idf, o.key_phrases, o.key_phrase_max_words)
        titles = key_phrases(everyone, self._idf, 1, o.key_phrase_max_words)
        lines = summary_lines(customer, self._idf, o, phrases)
        return Topic(
            sample=start,
            topic_id=topic_id,
            end_sample=end,
            title=titles[0] if titles else "",
            summary=tuple(lines),
            key_phrases=tuple(phrases),
            reason=reason,
            language=self._language,
        )
