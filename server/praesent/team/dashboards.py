"""The dashboards' figures: a seller's calls by ISO week, and a team's sellers side by side.
Pure functions of stored analyses (no I/O); the pages and the CSV show exactly these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Any

REFERENCE_SELLER_PCT = 43  # top performers' talk share (Gong Labs, 25,537 B2B calls)
BAND_HALFWIDTH_PCT = 5  # the report's band "in balance" around the reference


@dataclass(frozen=True, slots=True)
class CallFigures:
    """One call's coaching figures, as the report counts them."""

    session_id: str
    title: str
    started_at: datetime
    duration_s: float
    seller_pct: float | None
    interruptions: int
    backchannels: int
    open_questions: int
    closed_questions: int
    monologue_longest_s: float
    customer_story_longest_s: float
    cues_shown: int
    cues_acted_on: int
    customer_informed: bool
    # The customer's company (the calendar's or the seller's word); None: unknown.
    company: str | None = None

    @property
    def week(self) -> str:
        year, week, _ = self.started_at.isocalendar()
        return f"{year}-W{week:02d}"


def call_figures(
    session_id: str,
    title: str,
    started_at: datetime,
    analysis: dict[str, Any],
    customer_informed: bool,
    company: str | None = None,
) -> CallFigures:
    share = analysis.get("seller_share")
    cues = analysis.get("cues") or []
    questions = analysis.get("questions") or []
    return CallFigures(
        session_id=session_id,
        title=title,
        company=company,
        started_at=started_at,
        duration_s=float(analysis.get("duration_s") or 0.0),
        seller_pct=None if share is None else round(100 * float(share), 1),
        interruptions=sum(
            1 for i in analysis.get("interruptions") or [] if i.get("by") == "seller"
        ),
        backchannels=sum(1 for b in analysis.get("backchannels") or [] if b.get("by") == "seller"),
        open_questions=sum(1 for q in questions if q.get("open")),
        closed_questions=sum(1 for q in questions if not q.get("open")),
        monologue_longest_s=float(analysis.get("monologue_longest_s") or 0.0),
        customer_story_longest_s=float(analysis.get("customer_story_longest_s") or 0.0),
        cues_shown=len(cues),
        cues_acted_on=sum(1 for c in cues if c.get("acted_on")),
        customer_informed=customer_informed,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """Figures over a set of calls: rates per 10 minutes of call, means per call."""

    label: str
    calls: int
    minutes: float
    seller_pct: float | None
    interruptions_per_10min: float
    backchannels_per_10min: float
    open_questions_per_call: float
    closed_questions_per_call: float
    monologue_longest_s: float
    customer_story_longest_s: float
    cues_shown: int
    cues_acted_on: int

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SUMMARY_COLUMNS}


SUMMARY_COLUMNS: tuple[str, ...] = (
    "label",
    "calls",
    "minutes",
    "seller_pct",
    "interruptions_per_10min",
    "backchannels_per_10min",
    "open_questions_per_call",
    "closed_questions_per_call",
    "monologue_longest_s",
    "customer_story_longest_s",
    "cues_shown",
    "cues_acted_on",
)


def summarise(label: str, calls: Sequence[CallFigures]) -> Summary:
    seconds = sum(c.duration_s for c in calls)
    tens = seconds / 600 if seconds > 0 else 0.0
    shares = [c.seller_pct for c in calls if c.seller_pct is not None]
    count = len(calls)
    return Summary(
        label=label,
        calls=count,
        minutes=round(seconds / 60, 1),
        seller_pct=round(mean(shares), 1) if shares else None,
        interruptions_per_10min=round(sum(c.interruptions for c in calls) / tens, 2)
        if tens
        else 0.0,
        backchannels_per_10min=round(sum(c.backchannels for c in calls) / tens, 2) if tens else 0.0,
        open_questions_per_call=round(sum(c.open_questions for c in calls) / count, 2)
        if count
        else 0.0,
        closed_questions_per_call=round(sum(c.closed_questions for c in calls) / count, 2)
        if count
        else 0.0,
        monologue_longest_s=round(max((c.monologue_longest_s for c in calls), default=0.0), 1),
        customer_story_longest_s=round(
            max((c.customer_story_longest_s for c in calls), default=0.0), 1
        ),
        cues_shown=sum(c.cues_shown for c in calls),
        cues_acted_on=sum(c.cues_acted_on for c in calls),
    )


def by_week(calls: Iterable[CallFigures]) -> list[Summary]:
    """One summary per ISO week that has calls, oldest first."""
    weeks: dict[str, list[CallFigures]] = {}
    for call in sorted(calls, key=lambda c: c.started_at):
        weeks.setdefault(call.week, []).append(call)
    return [summarise(week, items) for week, items in weeks.items()]


@dataclass(frozen=True, slots=True)
class SellerTrend:
    email: str
    overall: Summary
    weeks: list[Summary]
    calls: list[CallFigures]


def seller_trend(email: str, calls: Sequence[CallFigures]) -> SellerTrend:
    ordered = sorted(calls, key=lambda c: c.started_at)
    return SellerTrend(email, summarise(email, ordered), by_week(ordered), ordered)


def trend_json(trend: SellerTrend) -> dict[str, Any]:
    return {
        "seller": trend.email,
        "reference": {"seller_pct": REFERENCE_SELLER_PCT, "band_halfwidth_pct": BAND_HALFWIDTH_PCT},
        "overall": trend.overall.fields(),
        "weeks": [week.fields() for week in trend.weeks],
        "calls": [
            {
                "session_id": c.session_id,
                "title": c.title,
                "company": c.company,
                "started_at": c.started_at.isoformat(),
                "week": c.week,
                "seller_pct": c.seller_pct,
                "customer_informed": c.customer_informed,
            }
            for c in trend.calls
        ],
    }
