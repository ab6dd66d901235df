"""Cues: the catalogue, its texts in German and English, the cue budget, and whether the seller
acted on each cue.

The budget keeps the overlay quiet: at most one cue per ``cue_min_interval_s``, the same cue at
most every ``same_cue_interval_s``, and none while the seller speaks unless the cue is about the
seller's own speech (let_finish, monologue, balance). Other cues wait up to ``cue_wait_s`` for the
seller to fall silent and are dropped after that; "listen" is dropped at once when the seller is
speaking, since speaking is engaging.

Acted on (decided once, logged as ``CueOutcome``): a seller backchannel within
``listen_outcome_s`` of "listen"; a seller question within ``question_outcome_s`` of "deepen",
"balance", "short_answers" or "summarise"; the customer taking the floor within
``floor_outcome_s`` of "let_finish" or "monologue"; the seller speaking within ``floor_outcome_s``
of "clarify"; the call page focused again within ``focus_outcome_s`` of "stay_present". The "no"
waits ``outcome_grace_s`` longer for late decisions and transcripts.

A cue may carry a ``detail``: the ended topic's summary lines for "summarise", the suggested
question naming what the customer raised for "deepen", and a ``quote``: the customer's words
that question names, so a client can say it in the seller's own language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from praesent.core.events import Cue, CueKind, CueOutcome, Event
from praesent.core.facts import to_samples
from praesent.core.options import CueOptions
from praesent.core.schedule import CueWaitDue, OutcomeDue, Scheduler

CUE_TEXTS: dict[str, dict[CueKind, str]] = {
    "en": {
        "listen": "Show you are listening: 'I see', a nod",
        "deepen": "Go deeper: 'Interesting point, can you tell me more?'",
        "let_finish": "Let the customer finish",
        "balance": "You are talking a lot: ask an open question",
        "monologue": "Pause and bring the customer in",
        "summarise": "Summarise and check: did I get that right?",
        "short_answers": "Short answers: check interest, ask what matters to them",
        "clarify": "Clear it up now, by voice",
        "stay_present": "The customer is speaking: stay present",
    },
    "de": {
        "listen": "Zeig, dass du zuhörst: \u201aAha\u2018, nicken",
        "deepen": "Vertiefen: \u201aInteressanter Punkt, kannst du das näher erläutern?\u2018",
        "let_finish": "Lass den Kunden ausreden",
        "balance": "Du redest viel: stell eine offene Frage",
        "monologue": "Pause: hol den Kunden ins Gespräch",
        "summarise": "Fasse zusammen und prüfe das Verständnis",
        "short_answers": "Kurze Antworten: Interesse prüfen, fragen, was wichtig ist",
        "clarify": "Missverständnis jetzt klären",
        "stay_present": "Der Kunde spricht: bleib präsent",
    },
}
# Cues about the seller's own speech may show while the seller speaks.
SELLER_SPEECH_CUES: frozenset[CueKind] = frozenset({"let_finish", "monologue", "balance"})

Evidence: TypeAlias = Literal[
    "seller_backchannel", "seller_question", "customer_floor", "seller_speech", "focus"
]
EVIDENCE: dict[CueKind, Evidence] = {
    "listen": "seller_backchannel",
    "deepen": "seller_question",
    "balance": "seller_question",
    "short_answers": "seller_question",
    "summarise": "seller_question",
    "let_finish": "customer_floor",
    "monologue": "customer_floor",
    "clarify": "seller_speech",
    "stay_present": "focus",
}


def cue_language(language: str) -> str:
    """Which texts: "de" for German, "en" for every language without texts of its own."""
    code = language.lower().replace("_", "-").split("-")[0]
    return code if code in CUE_TEXTS else "en"


def cue_text(kind: CueKind, language: str) -> str:
    return CUE_TEXTS[cue_language(language)][kind]


@dataclass(slots=True)
class _Waiting:
    token: int
    kind: CueKind
    at: int
    detail: str | None
    quote: str | None


@dataclass(slots=True)
class _Pending:
    cue: Cue
    window_end: int


class CueBook:
    def __init__(self, options: CueOptions, language: str, scheduler: Scheduler) -> None:
        self._o = options
        self._language = cue_language(language)
        self._scheduler = scheduler
        self._min_interval = to_samples(options.cue_min_interval_s)
        self._same_interval = to_samples(options.same_cue_interval_s)
        self._wait = to_samples(options.cue_wait_s)
        self._windows: dict[Evidence, int] = {
            "seller_backchannel": to_samples(options.listen_outcome_s),
            "seller_question": to_samples(options.question_outcome_s),
            "customer_floor": to_samples(options.floor_outcome_s),
            "seller_speech": to_samples(options.floor_outcome_s),
            "focus": to_samples(options.focus_outcome_s),
        }
        self._grace = to_samples(options.outcome_grace_s)
        self._last_any: int | None = None
        self._last_kind: dict[CueKind, int] = {}
        self._waiting: _Waiting | None = None
        self._tokens = 0
        self._pending: dict[str, _Pending] = {}

    def set_language(self, language: str) -> None:
        self._language = cue_language(language)

    def propose(
        self,
        kind: CueKind,
        at: int,
        seller_speaking: bool,
        detail: str | None = None,
        quote: str | None = None,
    ) -> list[Event]:
        if kind in SELLER_SPEECH_CUES or not seller_speaking:
            return self._show(kind, at, detail, quote)
        if kind == "listen":
            return []
        self._tokens += 1
        self._waiting = _Waiting(self._tokens, kind, at, detail, quote)
        self._scheduler.add(at + self._wait + 1, CueWaitDue(self._tokens))
        return []

    def seller_stopped(self, at: int) -> list[Event]:
        waiting = self._waiting
        if waiting is None or at > waiting.at + self._wait:
            return []
        self._waiting = None
        return self._show(waiting.kind, at, waiting.detail, waiting.quote)

    def wait_over(self, token: int) -> None:
        if self._waiting is not None and self._waiting.token == token:
            self._waiting = None

    def evidence(self, what: Evidence, sample: int) -> list[Event]:
        out: list[Event] = []
        for cue_id, pending in list(self._pending.items()):
            cue = pending.cue
            if EVIDENCE[cue.kind] == what and cue.sample < sample <= pending.window_end:
                del self._pending[cue_id]
                out.append(self._outcome(cue, sample))
        return out

    def outcome_due(self, cue_id: str) -> list[Event]:
        pending = self._pending.pop(cue_id, None)
        return [] if pending is None else [self._outcome(pending.cue, None)]

    def finish(self) -> list[Event]:
        out: list[Event] = [self._outcome(p.cue, None) for p in self._pending.values()]
        self._pending.clear()
        self._waiting = None
        return out

    def _show(
        self, kind: CueKind, at: int, detail: str | None = None, quote: str | None = None
    ) -> list[Event]:
        if self._last_any is not None and at - self._last_any < self._min_interval:
            return []
        last = self._last_kind.get(kind)
        if last is not None and at - last < self._same_interval:
            return []
        self._last_any = self._last_kind[kind] = at
        cue = Cue(
            sample=at,
            cue_id=f"{kind}-{at}",
            kind=kind,
            text=CUE_TEXTS[self._language][kind],
            language=self._language,
            detail=detail,
            quote=quote,
        )
        window_end = at + self._windows[EVIDENCE[kind]]
        self._pending[cue.cue_id] = _Pending(cue, window_end)
        self._scheduler.add(window_end + self._grace + 1, OutcomeDue(cue.cue_id))
        return [cue]

    @staticmethod
    def _outcome(cue: Cue, evidence: int | None) -> CueOutcome:
        return CueOutcome(
            sample=cue.sample,
            cue_id=cue.cue_id,
            kind=cue.kind,
            acted_on=evidence is not None,
            evidence_sample=evidence,
        )
