"""The coaching report as a typed model of exactly what is shown.

Every number a renderer prints comes from here, already at the precision it is shown with:
percentages are whole numbers, moments in the call (``at_s``, ``start_s`` ...) are whole seconds,
durations are seconds with one decimal below a minute and whole seconds above. So the HTML, the
PDF and the JSON can only agree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Lang = Literal["de", "en"]
RoleName = Literal["seller", "customer"]
Status = Literal["ok", "no_speech", "no_roles"]
Verdict = Literal[
    "in_band", "edge_high", "edge_low", "seller_high", "seller_low", "no_speech", "one_side"
]
TipKind = Literal["let_finish", "backchannel", "summarise", "open_questions", "clarify"]
SCHEMA = "praesent.report/1"


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """The reference figures the report compares against (the coaching spec's defaults)."""

    reference_seller_pct: int = 43  # top performers (Gong Labs, 25,537 B2B calls)
    band_halfwidth_pct: int = 5  # the band around the reference counted as "in balance"
    # A share this close to a band edge gets the edge's own verdict, so that figures within the
    # measurement's error read the same: the demo call moved by a few ms (where a live capture
    # happens to start) gives shares up to 2.45 points apart (docs/coaching.md).
    verdict_margin_pct: int = 3
    questions_low: int = 11  # best discovery calls ask 11-14 questions (Gong)
    questions_high: int = 14
    long_customer_turn_s: int = 20  # a customer turn this long deserves a backchannel
    story_goal_s: int = 240  # long customer stories go with won deals (Gong: ~4 min)
    timeline_unbinned_max_s: int = 20 * 60  # longer calls get an aggregated timeline
    timeline_max_bins: int = 150
    transcript_max_lines: int = 1500
    history_max: int = 12


@dataclass(frozen=True, slots=True)
class TalkRatio:
    seller_s: float
    customer_s: float
    overlap_s: float
    seller_pct: int | None
    customer_pct: int | None
    reference_seller_pct: int
    reference_customer_pct: int
    band_low_pct: int
    band_high_pct: int
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Span:
    role: RoleName
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Mark:
    kind: Literal["interruption", "backchannel"]
    by: RoleName
    at_s: float


@dataclass(frozen=True, slots=True)
class Bin:
    start_s: float
    end_s: float
    seller_frac: float
    customer_frac: float
    interruptions: int
    backchannels: int


@dataclass(frozen=True, slots=True)
class TimelineRow:
    start_s: int
    end_s: int
    ticks_s: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """Who spoke when. Short calls keep every span (in rows of a few minutes); long calls are
    aggregated into ``bins`` of ``bin_s`` seconds (share of each bin spoken by each role)."""

    duration_s: int
    binned: bool
    bin_s: int | None
    rows: tuple[TimelineRow, ...]
    spans: tuple[Span, ...]
    marks: tuple[Mark, ...]
    bins: tuple[Bin, ...]


@dataclass(frozen=True, slots=True)
class Moment:
    """A longest monologue or customer story: how long, when, and how it began."""

    duration_s: float
    start_s: int | None
    end_s: int | None
    excerpt: str | None


@dataclass(frozen=True, slots=True)
class Counts:
    interruptions_by_seller: int
    interruptions_by_customer: int
    interrupted_recovered: int
    early_starts_by_seller: int
    backchannels_by_seller: int
    backchannels_by_customer: int
    short_answers: int
    misunderstandings: int
    customer_stories_over_goal: int


@dataclass(frozen=True, slots=True)
class LanguageShift:
    """The call's language changed at ``at_s``: ``source`` detected (from ``speech_s`` of
    speech), corrected by later speech, pinned by the seller, or handed back to detection
    (auto)."""

    at_s: int
    language: str | None
    previous: str | None
    source: str
    speech_s: float


@dataclass(frozen=True, slots=True)
class Warned:
    """A stretch of a live call with a warning up: ``echo`` (the seller's microphone heard the
    call) or ``voices`` (it heard people talking around the seller: talk times read high)."""

    kind: str
    start_s: int
    end_s: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class Unheard:
    """A stretch of the call no server heard (a lost connection): the figures leave it out."""

    start_s: int
    end_s: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class InterruptionRow:
    at_s: int
    by: RoleName
    of: RoleName
    overlap_s: float
    recovered: bool | None
    interrupted_text: str | None  # what the interrupted side was saying
    interrupting_text: str | None  # what the interrupter said


@dataclass(frozen=True, slots=True)
class Patience:
    median_s: float | None
    early_starts_by_seller: int


@dataclass(frozen=True, slots=True)
class QuestionRow:
    at_s: int
    text: str
    open: bool


@dataclass(frozen=True, slots=True)
class Questions:
    open: int
    closed: int
    total: int
    reference_low: int
    reference_high: int
    items: tuple[QuestionRow, ...]


@dataclass(frozen=True, slots=True)
class TopicRow:
    start_s: int
    end_s: int
    title: str
    summary: tuple[str, ...]
    key_phrases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CueRow:
    at_s: int
    kind: str
    text: str
    acted_on: bool | None


@dataclass(frozen=True, slots=True)
class Cues:
    shown: int
    acted_on: int
    items: tuple[CueRow, ...]


@dataclass(frozen=True, slots=True)
class Tip:
    """A coaching tip and the findings that chose it; ``evidence`` holds the numbers its reason
    quotes (rendered into the reason's sentence)."""

    kind: TipKind
    score: float
    evidence: dict[str, int | float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    role: RoleName | None
    at_s: int
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    total: int
    shown: int
    lines: tuple[TranscriptLine, ...]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    label: str  # the call's date (or title) as shown
    current: bool
    seller_pct: int | None
    interruptions: int
    questions: int
    open_questions: int


@dataclass(frozen=True, slots=True)
class SentTo:
    """Where the call's results went (a webhook endpoint's host, or a CRM: "HubSpot",
    "Salesforce") and how that went."""

    host: str
    status: Literal["delivered", "pending", "failed"]


@dataclass(frozen=True, slots=True)
class CallCustomer:
    """Whom the call was with (from the seller's calendar, or typed); any part may be unknown."""

    name: str | None
    email: str | None
    company: str | None


@dataclass(frozen=True, slots=True)
class Report:
    schema: str
    language: Lang
    status: Status
    title: str | None
    session_id: str | None
    started_at: str | None
    call_language: str
    duration_s: float
    silent: tuple[RoleName, ...]  # roles that never spoke (when the other did)
    has_transcript: bool
    talk: TalkRatio
    timeline: Timeline
    monologue: Moment
    customer_story: Moment
    counts: Counts
    interruptions: tuple[InterruptionRow, ...]
    patience: Patience
    questions: Questions
    topics: tuple[TopicRow, ...] | None  # None: the analysis has no topic detection
    cues: Cues
    tips: tuple[Tip, ...]
    transcript: Transcript
    trend: tuple[TrendPoint, ...]
    options: ReportOptions
    # Whether the seller said at the live start that the customer was told (None: unknown,
    # e.g. a recording); shown on every report, and so on every shared one.
    customer_informed: bool | None = None
    # Stretches of a live call that no server heard (lost connections), in call order.
    unheard: tuple[Unheard, ...] = ()
    # Stretches of a live call with a warning up, in call order.
    warned: tuple[Warned, ...] = ()
    # How the call's language was decided and changed during the call, in call order.
    language_changes: tuple[LanguageShift, ...] = ()
    # Where the call's results were sent (webhooks), one entry per receiving host.
    sent_to: tuple[SentTo, ...] = ()
    # Whom the call was with; None: unknown.
    customer: CallCustomer | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
