"""The conversation engine: facts in, events out. Pure: no clock, no I/O; time is audio time.

Order and determinism. Activity facts (``SpeechStarted``, ``SpeechStopped``, ``FocusChanged``)
and ``Tick``s come in non-decreasing sample order (an earlier one raises ``FactOrderError``).
Decisions that need audio ahead (did the holder carry on? did it yield in time?) are deadlines:
a deadline at D is decided, in deadline order, once audio up to D is known (a Tick or activity
fact at D or later), before that fact is applied. An ``Utterance`` is staged when fed and takes
effect at the next activity fact (or at ``finish``), after that fact's deadlines and before the
fact itself. Ticks therefore only decide *earlier in the stream*, never differently: feeding the
same facts one by one, in one batch, or with extra Ticks anywhere gives the same events in the
same order. (Were a Tick to apply utterances, where a late transcript lands among timed decisions,
and so the cue budget, would depend on how often the caller ticks.) In a live call each side's
voice activity changes at every pause, so a transcript waits little for its activity fact.

Consistency of live log and summary. Timed decisions are emitted at once; words confirm or
overturn them later in an event with the same ``contribution_id`` (see ``overlaps``);
``summarise`` keeps the last event per id, which is what a live view shows as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from praesent.core.cues import CueBook
from praesent.core.events import (
    Activity,
    Backchannel,
    Balance,
    CueKind,
    EarlyStart,
    Event,
    Floor,
    Focus,
    Interruption,
    Misunderstanding,
    Overlap,
    Question,
    ShortAnswer,
    Transcript,
    Turn,
)
from praesent.core.facts import (
    SAMPLE_RATE,
    Fact,
    FocusChanged,
    Role,
    SpeechStarted,
    SpeechStopped,
    Tick,
    Utterance,
    ms_to_samples,
    other,
    to_samples,
)
from praesent.core.lexicon import MISUNDERSTANDINGS, find_phrase, tokens
from praesent.core.options import CoreOptions
from praesent.core.overlaps import SpanWords, overlaps, words_in_span
from praesent.core.questions import questions
from praesent.core.schedule import (
    CueWaitDue,
    Due,
    MonologueDue,
    OutcomeDue,
    RecoveryDue,
    Scheduler,
    TranscriptDue,
)
from praesent.core.summaries import deepen_question_for
from praesent.core.timeline import SpeechTimeline
from praesent.core.topics import TopicSegmenter
from praesent.core.turns import (
    Closed,
    ContributionRecord,
    Decided,
    EndedTurn,
    FloorTaken,
    FloorTracker,
    Revised,
)

# Kinds the words may still change (see ``overlaps``).
_JUDGED_KINDS = frozenset({"backchannel", "failed", "short_takeover"})


class CoreError(Exception):
    """Base of the core's errors."""


class FactOrderError(CoreError, ValueError):
    """An activity fact or Tick earlier than audio already fed."""

    def __init__(self, fact: Fact, horizon: int) -> None:
        name = type(fact).__name__
        super().__init__(f"{name} at sample {_sample_of(fact)} comes after sample {horizon}")
        self.fact = fact
        self.horizon = horizon


class FinishedError(CoreError, RuntimeError):
    """The conversation was finished; it takes no more facts."""


def _sample_of(fact: Fact) -> int:
    return fact.end_sample if isinstance(fact, Utterance) else fact.sample


@dataclass(slots=True)
class _Answer:
    """A customer turn that follows a seller turn."""

    index: int
    start: int
    end: int
    speech: int
    short: bool | None = None


class Conversation:
    def __init__(self, options: CoreOptions | None = None, language: str = "en") -> None:
        """``language`` "auto": English until the first transcript says which language it is.
        A transcript that names its language sets the call's language from then on: the call's
        language may be corrected, or pinned by the seller, mid-call."""
        self.options = o = options or CoreOptions()
        self.language = language = "en" if language == "auto" else language
        self._tl: dict[Role, SpeechTimeline] = {
            "seller": SpeechTimeline(),
            "customer": SpeechTimeline(),
        }
        self._both = SpeechTimeline()
        self._scheduler = Scheduler()
        self._tracker = FloorTracker(o, self._scheduler, self._tl)
        self._cues = CueBook(o.cues, language, self._scheduler)
        self._topics = TopicSegmenter(o.topics, language)
        self._out: list[Event] = []
        self._horizon = 0
        self._activity_horizon = 0
        self._finishing = False
        self._finished = False
        self._focused = True
        # Balance every ``balance_every_ms`` of audio.
        self._balance_every = max(1, ms_to_samples(o.balance.balance_every_ms))
        self._next_balance = self._balance_every
        self._window = to_samples(o.balance.balance_window_s)
        # Transcripts.
        self._staged: list[Utterance] = []
        self._heard: dict[Role, list[Utterance]] = {"seller": [], "customer": []}
        self._awaiting_words: dict[int, ContributionRecord] = {}
        self._tolerance = ms_to_samples(o.overlaps.word_tolerance_ms)
        self._wait = to_samples(o.overlaps.transcript_wait_s)
        self._max_words = o.overlaps.backchannel_max_words
        # Measures and cue state.
        self._before_current: Role | None = None  # who held the turn before the current one
        self._answers: list[_Answer] = []
        self._answers_awaiting: list[_Answer] = []
        self._short_streak_cued = -1
        self._last_seller_backchannel: int | None = None
        self._listen_turn = -1
        self._monologue = to_samples(o.measures.monologue_cue_s)
        self._deepen = to_samples(o.cues.deepen_after_s)
        self._listen_after = to_samples(o.cues.listen_after_s)
        self._listen_quiet = to_samples(o.cues.listen_quiet_s)
        self._balance_min = to_samples(o.cues.balance_min_talk_s)
        self._answer_max = to_samples(o.measures.short_answer_max_s)

    # -- public -------------------------------------------------------------------------------

    def feed(self, fact: Fact) -> list[Event]:
        if self._finished:
            raise FinishedError("the conversation is finished")
        out: list[Event] = []
        self._out = out
        if isinstance(fact, Utterance):
            self._staged.append(fact)
            if fact.known_sample is not None:
                self._scheduler.add(max(fact.known_sample, self._horizon), TranscriptDue())
            return out
        t = fact.sample
        if t < self._horizon:
            raise FactOrderError(fact, self._horizon)
        self._advance(t)
        if isinstance(fact, Tick):
            return out
        self._activity_horizon = t
        self._apply_staged(t)
        if isinstance(fact, SpeechStarted):
            self._start(fact.role, t)
        elif isinstance(fact, SpeechStopped):
            self._stop(fact.role, t)
        else:
            self._focus(fact, t)
        return out

    def feed_many(self, facts: Iterable[Fact]) -> list[Event]:
        out: list[Event] = []
        for fact in facts:
            out += self.feed(fact)
        return out

    def finish(self, end_sample: int) -> list[Event]:
        """Close open speech at ``end_sample`` (or the last audio fed, if later), decide what is
        pending as if silence followed, and emit the final turn and balance."""
        if self._finished:
            raise FinishedError("the conversation is finished")
        out: list[Event] = []
        self._out = out
        end = max(end_sample, self._horizon)
        self._advance(end)
        self._activity_horizon = end
        self._apply_staged(end)
        holder = self._tracker.holder
        for role in sorted(self._tl, key=lambda r: r == holder):  # the listener stops first
            self._stop(role, end)
        self._finishing = True
        while len(self._scheduler):
            sample, due = self._scheduler.pop()
            if isinstance(due, MonologueDue | CueWaitDue):
                continue
            self._dispatch(due, sample)
        ended = self._tracker.final_turn()
        if ended is not None:
            self._turn_ended(ended, end)
        out += self._topics.finish(end)
        self._emit_balance(end, final=True)
        out += self._cues.finish()
        self._finished = True
        return out

    @property
    def holder(self) -> Role | None:
        """Who holds the floor now (as far as decided)."""
        return self._tracker.holder

    # -- time -----------------------------------------------------------------------------------

    def _advance(self, t: int) -> None:
        """Decide every deadline up to ``t`` and emit the balance updates on the way."""
        scheduler = self._scheduler
        while True:
            due_at = scheduler.next_sample()
            balance_at = self._next_balance
            if due_at is not None and due_at <= t and due_at <= balance_at:
                sample, due = scheduler.pop()
                self._dispatch(due, sample)
            elif balance_at <= t:
                self._next_balance += self._balance_every
                self._emit_balance(balance_at)
            else:
                break
        self._horizon = t

    def _dispatch(self, due: Due, at: int) -> None:
        if isinstance(due, MonologueDue):
            turn = self._tracker.turn
            if turn is not None and turn.id == due.turn_id and turn.role == "seller":
                self._propose("monologue", at)
        elif isinstance(due, CueWaitDue):
            self._cues.wait_over(due.token)
        elif isinstance(due, OutcomeDue):
            self._out += self._cues.outcome_due(due.cue_id)
        elif isinstance(due, TranscriptDue):
            self._apply_staged(at)
        else:
            finishing = self._finishing and isinstance(due, RecoveryDue)
            self._tracker.on_due(due, at, finishing=finishing)
            self._drain(at)

    # -- activity -------------------------------------------------------------------------------

    def _start(self, role: Role, t: int) -> None:
        timeline = self._tl[role]
        if timeline.speaking:
            return
        timeline.start(t)
        if self._tl[other(role)].speaking:
            self._both.start(t)
        self._out.append(Activity(sample=t, role=role, speaking=True))
        if role == "seller":
            self._out += self._cues.evidence("seller_speech", t)
        self._tracker.on_start(role, t)
        self._drain(t)

    def _stop(self, role: Role, t: int) -> None:
        timeline = self._tl[role]
        if not timeline.speaking:
            return
        self._both.stop(t)
        timeline.stop(t)
        self._out.append(Activity(sample=t, role=role, speaking=False))
        self._tracker.on_stop(role, t)
        self._drain(t)
        if role == "seller" and not self._finishing:
            self._out += self._cues.seller_stopped(t)

    def _focus(self, fact: FocusChanged, t: int) -> None:
        if fact.focused == self._focused:
            return
        self._focused = fact.focused
        self._out.append(Focus(sample=t, focused=fact.focused))
        if fact.focused:
            self._out += self._cues.evidence("focus", t)
        elif self._tracker.holder == "customer":
            self._propose("stay_present", t)

    # -- what the floor tracker decided -------------------------------------------------------

    def _drain(self, at: int) -> None:
        notes = self._tracker.notes
        while notes:
            note = notes.pop(0)
            if isinstance(note, FloorTaken):
                if note.ended is not None:
                    self._turn_ended(note.ended, note.at)
                turn = note.turn
                self._out.append(Floor(sample=turn.start, role=turn.role))
                if turn.role == "seller":
                    self._scheduler.add(turn.start + self._monologue, MonologueDue(turn.id))
                else:
                    self._out += self._cues.evidence("customer_floor", turn.start)
                    if not self._focused:
                        self._propose("stay_present", note.at)
            elif isinstance(note, Decided):
                self._contribution_decided(note.record, note.at)
            elif isinstance(note, Revised):
                self._emit_contribution(note.record)
            elif isinstance(note, Closed):
                record = note.record
                if record.kind in _JUDGED_KINDS and not record.judged:
                    words = self._first_words(record.by, record.start, record.end)
                    if words is not None:
                        self._judge(record, words, note.at)
                    else:
                        self._awaiting_words[record.id] = record

    def _turn_ended(self, ended: EndedTurn, at: int) -> None:
        speech = self._tl[ended.role].talk_between(ended.start, ended.end)
        self._out.append(
            Turn(
                sample=ended.start,
                role=ended.role,
                end_sample=ended.end,
                speech_s=round(speech / SAMPLE_RATE, 3),
            )
        )
        if ended.role == "customer":
            if self._before_current == "seller":
                self._answer_ended(ended, speech, at)
            if ended.end - ended.start >= self._deepen and not self._finishing:
                phrase = self._topics.deepen_phrase(ended.start, ended.end)
                question = None if phrase is None else deepen_question_for(phrase, self.language)
                self._propose("deepen", at, question, quote=phrase)
        self._before_current = ended.role

    def _contribution_decided(self, record: ContributionRecord, at: int) -> None:
        self._emit_contribution(record)
        if record.kind == "backchannel" and record.by == "seller":
            self._seller_backchannel(record.start)
        elif record.kind == "interruption" and record.by == "seller":
            self._propose("let_finish", at)

    def _seller_backchannel(self, sample: int) -> None:
        last = self._last_seller_backchannel
        self._last_seller_backchannel = sample if last is None else max(last, sample)
        self._out += self._cues.evidence("seller_backchannel", sample)

    def _emit_contribution(self, r: ContributionRecord) -> None:
        overlap_s = round(r.overlap / SAMPLE_RATE, 3)
        event: Event
        if r.kind == "pending":
            return
        if r.kind == "backchannel":
            end = r.end if r.end is not None else r.start
            event = Backchannel(
                sample=r.start,
                contribution_id=r.id,
                by=r.by,
                of=r.of,
                end_sample=end,
                text=r.text,
                source=r.source,
            )
        elif r.kind == "interruption":
            event = Interruption(
                sample=r.start,
                contribution_id=r.id,
                by=r.by,
                of=r.of,
                overlap_s=overlap_s,
                recovered=r.recovered,
                source=r.source,
            )
        elif r.kind == "early_start":
            event = EarlyStart(
                sample=r.start, contribution_id=r.id, by=r.by, of=r.of, overlap_s=overlap_s
            )
        else:
            event = Overlap(
                sample=r.start,
                contribution_id=r.id,
                by=r.by,
                of=r.of,
                kind=r.kind,
                overlap_s=overlap_s,
                text=r.text,
                source=r.source,
            )
        self._out.append(event)

    # -- balance and cues -----------------------------------------------------------------------

    def _emit_balance(self, t: int, final: bool = False) -> None:
        seller, customer = self._tl["seller"], self._tl["customer"]
        s, c = seller.talk_until(t), customer.talk_until(t)
        since = max(0, t - self._window)
        ws, wc = s - seller.talk_until(since), c - customer.talk_until(since)
        window_share = ws / (ws + wc) if ws + wc else None
        self._out.append(
            Balance(
                sample=t,
                seller_s=round(s / SAMPLE_RATE, 3),
                customer_s=round(c / SAMPLE_RATE, 3),
                overlap_s=round(self._both.talk_until(t) / SAMPLE_RATE, 3),
                seller_share=round(s / (s + c), 4) if s + c else None,
                window_s=round((t - since) / SAMPLE_RATE, 3),
                window_seller_s=round(ws / SAMPLE_RATE, 3),
                window_customer_s=round(wc / SAMPLE_RATE, 3),
                window_seller_share=None if window_share is None else round(window_share, 4),
                final=final,
            )
        )
        if final:
            return
        if (
            window_share is not None
            and ws + wc >= self._balance_min
            and window_share > self.options.cues.balance_share_max
        ):
            self._propose("balance", t)
        turn = self._tracker.turn
        if (
            turn is not None
            and turn.role == "customer"
            and turn.id != self._listen_turn
            and t - turn.start >= self._listen_after
        ):
            last = self._last_seller_backchannel
            if last is None or t - last >= self._listen_quiet:
                self._listen_turn = turn.id
                self._propose("listen", t)

    def _propose(
        self, kind: CueKind, at: int, detail: str | None = None, quote: str | None = None
    ) -> None:
        if self._finishing:
            return
        self._out += self._cues.propose(kind, at, self._tl["seller"].speaking, detail, quote)

    # -- transcripts ----------------------------------------------------------------------------

    def _apply_staged(self, now: int) -> None:
        if not self._staged:
            return
        staged, self._staged = self._staged, []
        horizon = self._activity_horizon - self._wait
        for heard in self._heard.values():
            while heard and heard[0].end_sample < horizon:
                heard.pop(0)
        for rid in [r.id for r in self._awaiting_words.values() if (r.end or 0) < horizon]:
            del self._awaiting_words[rid]
        self._answers_awaiting = [a for a in self._answers_awaiting if a.end >= horizon]
        for utterance in staged:
            self._apply_utterance(utterance, now)

    def _apply_utterance(self, u: Utterance, now: int) -> None:
        if u.language and u.language != self.language:
            # Applied at an activity fact like every transcript, so batches and streams agree.
            self.language = u.language
            self._cues.set_language(u.language)
            self._topics.set_language(u.language)
        role = u.role
        self._out.append(
            Transcript(
                sample=u.start_sample,
                role=role,
                end_sample=u.end_sample,
                text=u.text.strip(),
                words=u.words,
            )
        )
        for sentence, kind in questions(u, self.language):
            self._out.append(
                Question(sample=sentence.sample, role=role, text=sentence.text, open=kind == "open")
            )
            if role == "seller":
                self._out += self._cues.evidence("seller_question", sentence.sample)
        phrase = find_phrase(tokens(u.text), MISUNDERSTANDINGS)
        if phrase is not None:
            self._out.append(
                Misunderstanding(sample=u.start_sample, by=role, text=u.text.strip(), phrase=phrase)
            )
            if role == "customer":
                self._propose("clarify", now)
        self._heard[role].append(u)
        for topic in self._topics.add(u):
            self._out.append(topic)
            if topic.summary:
                self._propose("summarise", now, "\n".join(topic.summary))
        for record in list(self._awaiting_words.values()):
            if record.by != role or record.end is None:
                continue
            words = words_in_span(u, record.start, record.end, self._tolerance)
            if words is not None:
                del self._awaiting_words[record.id]
                self._judge(record, words, now)
        if role == "customer":
            for answer in list(self._answers_awaiting):
                words = words_in_span(u, answer.start, answer.end, self._tolerance)
                if words is not None:
                    self._answers_awaiting.remove(answer)
                    self._judge_answer(answer, words, now)

    def _first_words(self, role: Role, start: int, end: int | None) -> SpanWords | None:
        """Words of the first utterance heard (in arrival order) that has words in the span."""
        if end is None:
            return None
        for u in self._heard[role]:
            if overlaps(u, start, end, self._tolerance):
                words = words_in_span(u, start, end, self._tolerance)
                if words is not None:
                    return words
        return None

    def _judge(self, r: ContributionRecord, words: SpanWords, at: int) -> None:
        r.judged = True
        if r.kind == "backchannel":
            if words.backchannel:
                r.text, r.source = words.text, "words"
            elif words.content(self._max_words):
                r.kind, r.text, r.source = "interjection", words.text, "words"
            else:
                return
            self._emit_contribution(r)
        elif r.kind == "failed":
            if words.backchannel:
                r.kind, r.text, r.source = "backchannel", words.text, "words"
                self._emit_contribution(r)
                if r.by == "seller":
                    self._seller_backchannel(r.start)
        elif r.kind == "short_takeover" and words.content(self._max_words):
            r.kind, r.text, r.source = "interruption", words.text, "words"
            self._emit_contribution(r)
            self._tracker.register_interruption(r, at)
            self._drain(at)
            if r.by == "seller":
                self._propose("let_finish", at)

    # -- short answers --------------------------------------------------------------------------

    def _answer_ended(self, ended: EndedTurn, speech: int, at: int) -> None:
        answer = _Answer(len(self._answers), ended.start, ended.end, speech)
        self._answers.append(answer)
        if speech > self._answer_max:
            answer.short = False
            return
        words = self._first_words("customer", ended.start, ended.end)
        if words is None:
            self._answers_awaiting.append(answer)
        else:
            self._judge_answer(answer, words, at)

    def _judge_answer(self, answer: _Answer, words: SpanWords, at: int) -> None:
        count = len(words.tokens)
        answer.short = count <= self.options.measures.short_answer_max_words
        if not answer.short:
            return
        self._out.append(
            ShortAnswer(
                sample=answer.start,
                role="customer",
                end_sample=answer.end,
                text=words.text,
                word_count=count,
            )
        )
        n = self.options.cues.short_answers_in_row
        for first in range(max(0, answer.index - n + 1), answer.index + 1):
            window = self._answers[first : first + n]
            last = first + n - 1
            if len(window) == n and last > self._short_streak_cued and all(a.short for a in window):
                self._short_streak_cued = last
                self._propose("short_answers", at)
                break
