"""Scripted calls for the topic tests, and the check every summary must pass: each of its words was
spoken by the customer in that topic."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from praesent.core import Conversation, CoreOptions, analyse, fact_order, facts_from_segments
from praesent.core.events import Cue, Event, Topic, Transcript
from praesent.core.facts import Fact, Role, Utterance, to_samples
from praesent.core.lexicon import tokens
from praesent.core.summaries import content_terms
from praesent.core.summary import CallSummary
from praesent.evaluation import parse_rttm, reference_facts
from praesent.evaluation.references import parse_stm
from tests.core.helpers import role_of, utt

WORD_S = 0.4  # speaking time per word in scripted calls
GAP_S = 0.4  # silence between scripted utterances

Line = tuple[str, str] | float  # (role, text), or a pause in seconds


@dataclass(frozen=True)
class Script:
    facts: list[Fact]
    utterances: list[Utterance]
    duration_s: float

    def starts(self, text_start: str) -> float:
        """Where the utterance that begins with ``text_start`` starts, in seconds."""
        for u in self.utterances:
            if u.text.startswith(text_start):
                return u.start_sample / 16000
        raise KeyError(text_start)


def script(lines: Iterable[Line], start_s: float = 1.0) -> Script:
    """A call from lines said one after another, each at ``WORD_S`` per word and ``GAP_S`` apart;
    a number is extra silence."""
    t = start_s
    segments: list[tuple[Role, int, int]] = []
    utterances: list[Utterance] = []
    for line in lines:
        if isinstance(line, float | int):
            t += float(line)
            continue
        role, text = line
        end = t + WORD_S * len(text.split())
        utterances.append(utt(role, t, end, text))
        segments.append((role_of(role), to_samples(t), to_samples(end)))
        t = end + GAP_S
    facts = [*facts_from_segments(segments), *utterances]
    return Script(sorted(facts, key=fact_order), utterances, t + 1.0)


def customer_words(events: Sequence[Event], start: int, end: int) -> set[str]:
    """The words the customer said in [start, end): transcripts by their start."""
    words: set[str] = set()
    for e in events:
        if isinstance(e, Transcript) and e.role == "customer" and start <= e.sample < end:
            words.update(tokens(e.text))
    return words


def assert_summary_words_spoken(events: Sequence[Event]) -> None:
    """Every word of every topic's summary lines and key phrases, and of every summarise cue, was
    spoken by the customer in that topic."""
    for topic in (e for e in events if isinstance(e, Topic)):
        spoken = customer_words(events, topic.sample, topic.end_sample)
        for line in (*topic.summary, *topic.key_phrases):
            unspoken = set(tokens(line)) - spoken
            assert not unspoken, f"{line!r} has words the customer did not say: {unspoken}"
        assert len(topic.summary) <= 3
        assert topic.summary or not content_terms(spoken)
    summaries = {"\n".join(t.summary) for t in events if isinstance(t, Topic)}
    for cue in (e for e in events if isinstance(e, Cue) and e.kind == "summarise"):
        assert cue.detail in summaries


def run_script(
    s: Script, language: str = "en", options: CoreOptions | None = None
) -> tuple[list[Event], CallSummary]:
    events, summary = analyse(s.facts, s.duration_s, options, language)
    assert_summary_words_spoken(events)
    return events, summary


def topics(events: Sequence[Event]) -> list[Topic]:
    """The topics as a view of the log shows them (last event per id), in order."""
    latest: dict[int, Topic] = {}
    for e in events:
        if isinstance(e, Topic):
            latest[e.topic_id] = e
    return sorted(latest.values(), key=lambda t: t.sample)


def live(facts: Sequence[Fact], end_s: float, language: str = "en") -> list[tuple[int, Event]]:
    """Feed facts one by one; each event with the audio time (sample) at which it came out."""
    conversation = Conversation(language=language)
    out: list[tuple[int, Event]] = []
    horizon = 0
    for fact in facts:
        if not isinstance(fact, Utterance):
            horizon = fact.sample
        out += [(horizon, e) for e in conversation.feed(fact)]
    end = to_samples(end_s)
    out += [(end, e) for e in conversation.finish(end)]
    assert_summary_words_spoken([e for _, e in out])
    return out


PHONECALL_ROLES: dict[str, Role] = {"speaker90": "seller", "speaker91": "customer"}
PHONECALL_NAMES: dict[str, Role] = {"Diane": "seller", "Sheila": "customer"}


def phonecall_facts(rttm: Path, stm: Path) -> list[Fact]:
    """The phone call: activity from the RTTM, one utterance per STM line, each arriving at its
    end (Diane = seller, Sheila = customer)."""
    facts = reference_facts(parse_rttm(rttm), PHONECALL_ROLES)
    for seg in parse_stm(stm):
        role = PHONECALL_NAMES[seg.speaker]
        facts.append(Utterance(role, to_samples(seg.start_s), to_samples(seg.end_s), seg.text))
    return sorted(facts, key=fact_order)
