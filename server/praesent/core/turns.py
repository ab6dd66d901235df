"""The floor and its turns, and what the listener's speech inside the other's turn was.

The model (Jaffe & Feldstein's floor, with the coaching spec's thresholds):

- The first to speak takes the floor. The holder keeps it through its own pauses, however long,
  until the other takes it: a turn ends only when the other takes over (a long pause inside one
  turn stays inside it). So a monologue is the seller's stretch that the customer never took.
- When the listener speaks, that speech is a *challenge*, decided once audio far enough ahead is
  known:
  * a backchannel when it lasts at most ``backchannel_max_ms`` and the holder carries on (is
    speaking when it ends, or resumes before its own pause reaches ``turn_hold_ms`` and before
    the listener speaks again);
  * otherwise the listener takes the floor, at the first moment it speaks alone; if the holder
    talks over all of it, the attempt "failed" and the holder keeps the floor. Once the holder
    has paused ``turn_hold_ms``, anything the listener says takes the floor ("pauses of the
    holder shorter than ~1 s do not end [the turn] unless the other role takes over").
- A floor change that began in overlap (the listener started while the holder spoke) is an early
  start when the holder stopped within ``early_start_ms`` of the listener's start, an
  interruption when it stopped within ``yield_within_ms`` and the listener spoke longer than a
  backchannel, "contested" when the holder held on longer, "short_takeover" when the listener's
  speech was short. Starts within ``simultaneous_start_ms`` of each other interrupt nobody.
- The old holder's sounds after the listener began speaking alone are judged again inside the new
  holder's turn (a short one is a backchannel; one still going becomes a challenge itself).

The tracker is fed activity in sample order and deadlines from the scheduler; it appends notes
(``FloorTaken``, ``Decided``, ``Revised``, ``Closed``) that the conversation turns into events.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from praesent.core.events import OverlapKind, Source
from praesent.core.facts import Role, ms_to_samples, to_samples
from praesent.core.options import CoreOptions
from praesent.core.schedule import Due, HoldDue, LabelDue, LongDue, RecoveryDue, Scheduler
from praesent.core.timeline import SpeechTimeline

ContributionKind: TypeAlias = (
    Literal["backchannel", "interruption", "early_start", "pending"] | OverlapKind
)


@dataclass(slots=True)
class ContributionRecord:
    """The listener's speech inside the holder's turn, as currently judged."""

    id: int
    by: Role
    of: Role
    start: int
    end: int | None
    kind: ContributionKind
    overlap: int  # samples of overlapping speech at the onset
    text: str | None = None
    source: Source = "timing"
    recovered: bool | None = None
    judged: bool = False


@dataclass(frozen=True, slots=True)
class TurnRecord:
    id: int
    role: Role
    start: int


@dataclass(frozen=True, slots=True)
class EndedTurn:
    id: int
    role: Role
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class FloorTaken:
    turn: TurnRecord
    ended: EndedTurn | None
    at: int


@dataclass(frozen=True, slots=True)
class Decided:
    record: ContributionRecord
    at: int


@dataclass(frozen=True, slots=True)
class Revised:
    record: ContributionRecord
    at: int


@dataclass(frozen=True, slots=True)
class Closed:
    """The contribution's speech has ended: its words can be looked up now."""

    record: ContributionRecord
    at: int


Note: TypeAlias = FloorTaken | Decided | Revised | Closed


@dataclass(slots=True)
class _Retro:
    start: int
    end: int | None = None


@dataclass(slots=True)
class Challenge:
    id: int
    role: Role
    holder: Role
    start: int
    end: int | None = None
    overlap_onset: bool = False
    simultaneous: bool = False
    solo_at: int | None = None  # first moment the challenger spoke while the holder was silent
    holder_turn_end: int | None = None  # the holder's last speech end up to solo_at
    long: bool = False  # longer than a backchannel and not yet alone
    retro: list[_Retro] = field(default_factory=list)


class FloorTracker:
    def __init__(
        self,
        options: CoreOptions,
        scheduler: Scheduler,
        timelines: dict[Role, SpeechTimeline],
    ) -> None:
        o = options
        self._hold = ms_to_samples(o.turns.turn_hold_ms)
        self._simultaneous = ms_to_samples(o.turns.simultaneous_start_ms)
        self._backchannel = ms_to_samples(o.overlaps.backchannel_max_ms)
        self._interrupter = max(self._backchannel, ms_to_samples(o.overlaps.interruption_min_ms))
        self._early = ms_to_samples(o.overlaps.early_start_ms)
        self._yield = ms_to_samples(o.overlaps.yield_within_ms)
        self._recover = to_samples(o.overlaps.recovered_within_s)
        self._scheduler = scheduler
        self._timelines = timelines
        self.holder: Role | None = None
        self.turn: TurnRecord | None = None
        self.challenge: Challenge | None = None
        self.notes: list[Note] = []
        self._open: dict[Role, ContributionRecord] = {}
        self._pending_label: dict[int, ContributionRecord] = {}
        self._pending_recovery: dict[int, ContributionRecord] = {}
        self._recovery_waiting: set[int] = set()
        self._next_challenge = 0
        self._next_contribution = 0
        self._next_turn = 0
        # Where each role's turns started, for interruptions whose recovery is judged late.
        self._turn_starts: dict[Role, list[int]] = {"seller": [], "customer": []}

    # -- activity -------------------------------------------------------------------------

    def on_start(self, role: Role, t: int) -> None:
        holder, ch = self.holder, self.challenge
        if holder is None:
            self._new_turn(role, t, None, t)
            return
        if role == holder:
            if ch is None:
                return
            if ch.end is None:
                if t == ch.start:
                    # Both started at this very sample: as if the holder's fact had come first.
                    ch.simultaneous = True
                    ch.solo_at = ch.holder_turn_end = None
                elif ch.solo_at is not None:
                    ch.retro.append(_Retro(t))
            else:
                # The challenger's short sound has ended and the holder carries on in time.
                self._resolve(ch, "backchannel", t)
            return
        if ch is not None:
            # The challenger speaks again before the holder carried on: it has the floor.
            self._give_floor(ch, t)
            return
        self._next_challenge += 1
        ch = Challenge(self._next_challenge, role, holder, t)
        h = self._timelines[holder]
        self.challenge = ch
        if h.open_start is not None:
            ch.overlap_onset = t - h.open_start > self._simultaneous
            ch.simultaneous = not ch.overlap_onset
        else:
            pause_start = h.last_end if h.last_end is not None else t
            ch.solo_at, ch.holder_turn_end = t, pause_start
            if t - pause_start >= self._hold:
                self._give_floor(ch, t)
                return
            self._scheduler.add(pause_start + self._hold, HoldDue(ch.id, pause_start))
        self._scheduler.add(t + self._backchannel + 1, LongDue(ch.id))

    def on_stop(self, role: Role, t: int) -> None:
        record = self._open.pop(role, None)
        if record is not None:
            record.end = t
            self._closed(record, t)
        holder, ch = self.holder, self.challenge
        if holder is None or ch is None:
            return
        if role == holder:
            if ch.end is not None:
                return
            if ch.solo_at is None:
                ch.solo_at = ch.holder_turn_end = t
                if ch.long:
                    self._give_floor(ch, t)
                    return
            elif ch.retro and ch.retro[-1].end is None:
                ch.retro[-1].end = t
            self._scheduler.add(t + self._hold, HoldDue(ch.id, t))
            return
        ch.end = t
        if ch.long:
            self._resolve(ch, "failed", t)
        elif self._timelines[holder].speaking:
            self._resolve(ch, "backchannel", t)
        # Otherwise wait: the holder may still carry on within its hold (HoldDue is scheduled).

    def on_due(self, due: Due, at: int, finishing: bool = False) -> None:
        ch = self.challenge
        if isinstance(due, LongDue):
            if ch is None or ch.id != due.challenge_id or ch.end is not None:
                return
            if ch.solo_at is not None:
                self._give_floor(ch, at)
            else:
                ch.long = True
        elif isinstance(due, HoldDue):
            if ch is None or ch.id != due.challenge_id:
                return
            h = self._timelines[ch.holder]
            if h.speaking or h.last_end != due.pause_start:
                return
            self._give_floor(ch, at)
        elif isinstance(due, LabelDue):
            record = self._pending_label.pop(due.contribution_id, None)
            if record is not None and record.kind == "pending":
                record.kind = "interruption"
                self._decide(record, at)
        elif isinstance(due, RecoveryDue):
            record = self._pending_recovery.get(due.contribution_id)
            if record is None:
                return
            if (
                not finishing
                and ch is not None
                and ch.role == record.of
                and ch.start <= record.start + self._recover
            ):
                # The interrupted side is trying to come back: its challenge decides.
                self._recovery_waiting.add(record.id)
                return
            self._set_recovered(record, False, at)

    def final_turn(self) -> EndedTurn | None:
        """The holder's open turn, once all speech has stopped (at finish)."""
        if self.holder is None or self.turn is None:
            return None
        last = self._timelines[self.holder].last_end
        end = last if last is not None and last >= self.turn.start else self.turn.start
        return EndedTurn(self.turn.id, self.holder, self.turn.start, end)

    def pending_recoveries(self) -> list[ContributionRecord]:
        return list(self._pending_recovery.values())

    def set_recovered(self, record: ContributionRecord, recovered: bool, at: int) -> None:
        self._set_recovered(record, recovered, at)

    def register_interruption(self, record: ContributionRecord, at: int) -> None:
        """Track whether the interrupted side holds the floor again in time. An interruption found
        late (by its words) may already have its answer in the floor's history."""
        window_end = record.start + self._recover
        starts = self._turn_starts[record.of]
        i = bisect_right(starts, record.start)
        if i < len(starts):
            self._set_recovered(record, starts[i] <= window_end, at)
            return
        self._pending_recovery[record.id] = record
        self._scheduler.add(max(window_end + 1, at + 1), RecoveryDue(record.id))

    # -- decisions --------------------------------------------------------------------------

    def _record(
        self, by: Role, of: Role, start: int, end: int | None, kind: ContributionKind, overlap: int
    ) -> ContributionRecord:
        self._next_contribution += 1
        return ContributionRecord(self._next_contribution, by, of, start, end, kind, overlap)

    def _decide(self, record: ContributionRecord, at: int) -> None:
        self.notes.append(Decided(record, at))
        if record.kind == "interruption":
            self.register_interruption(record, at)

    def _closed(self, record: ContributionRecord, at: int) -> None:
        if record.kind == "pending":
            self._pending_label.pop(record.id, None)
            assert record.end is not None
            long_enough = record.end - record.start > self._interrupter
            record.kind = "interruption" if long_enough else "short_takeover"
            self._decide(record, at)
        self.notes.append(Closed(record, at))

    def _resolve(self, ch: Challenge, kind: ContributionKind, at: int) -> None:
        """The holder keeps the floor; the challenge was a backchannel or a failed attempt."""
        self.challenge = None
        overlap = 0 if ch.end is None else self._timelines[ch.holder].talk_between(ch.start, ch.end)
        record = self._record(ch.role, ch.holder, ch.start, ch.end, kind, overlap)
        self._decide(record, at)
        self._closed(record, at)
        for rid in sorted(self._recovery_waiting):
            waiting = self._pending_recovery.get(rid)
            if waiting is not None and waiting.of == ch.role:
                self._set_recovered(waiting, False, at)

    def _give_floor(self, ch: Challenge, at: int) -> None:
        challenger, holder = ch.role, ch.holder
        assert self.turn is not None and ch.solo_at is not None and ch.holder_turn_end is not None
        ended = EndedTurn(self.turn.id, holder, self.turn.start, ch.holder_turn_end)
        self.challenge = None
        self._new_turn(challenger, ch.start, ended, at)
        overlap = ch.solo_at - ch.start
        kind: ContributionKind | None = None
        if ch.overlap_onset:
            if overlap <= self._early:
                kind = "early_start"
            elif overlap <= self._yield:
                spoken = (ch.end if ch.end is not None else at) - ch.start
                if spoken > self._interrupter:
                    kind = "interruption"
                elif ch.end is not None:
                    kind = "short_takeover"
                else:
                    kind = "pending"
            else:
                kind = "contested"
        elif ch.simultaneous:
            kind = "simultaneous"
        if kind is not None:
            record = self._record(challenger, holder, ch.start, ch.end, kind, overlap)
            if ch.end is None:
                self._open[challenger] = record
            if kind == "pending":
                self._pending_label[record.id] = record
                self._scheduler.add(ch.start + self._interrupter + 1, LabelDue(record.id))
            else:
                self._decide(record, at)
                if ch.end is not None:
                    self._closed(record, at)
        for retro in ch.retro:
            if retro.end is not None:
                short = retro.end - retro.start <= self._backchannel
                record = self._record(
                    holder,
                    challenger,
                    retro.start,
                    retro.end,
                    "backchannel" if short else "failed",
                    self._timelines[challenger].talk_between(retro.start, retro.end),
                )
                self._decide(record, at)
                self._closed(record, at)
            else:
                self._rechallenge(holder, retro.start, at)

    def _rechallenge(self, role: Role, start: int, at: int) -> None:
        """The old holder is still talking after losing the floor: now it challenges."""
        self._next_challenge += 1
        ch = Challenge(self._next_challenge, role, self.holder or role, start)
        self.challenge = ch
        h = self._timelines[ch.holder]
        if h.open_start is not None:
            ch.overlap_onset = start - h.open_start > self._simultaneous
            ch.simultaneous = not ch.overlap_onset
        else:
            pause_start = h.last_end if h.last_end is not None else start
            ch.solo_at, ch.holder_turn_end = max(start, pause_start), pause_start
            if at - pause_start >= self._hold:
                self._give_floor(ch, at)
                return
            self._scheduler.add(pause_start + self._hold, HoldDue(ch.id, pause_start))
        self._scheduler.add(max(start + self._backchannel + 1, at + 1), LongDue(ch.id))

    def _new_turn(self, role: Role, start: int, ended: EndedTurn | None, at: int) -> None:
        self._next_turn += 1
        self.holder = role
        self.turn = TurnRecord(self._next_turn, role, start)
        self._turn_starts[role].append(start)
        self.notes.append(FloorTaken(self.turn, ended, at))
        for record in list(self._pending_recovery.values()):
            if record.of == role:
                self._set_recovered(record, start <= record.start + self._recover, at)

    def _set_recovered(self, record: ContributionRecord, recovered: bool, at: int) -> None:
        self._pending_recovery.pop(record.id, None)
        self._recovery_waiting.discard(record.id)
        record.recovered = recovered
        self.notes.append(Revised(record, at))
