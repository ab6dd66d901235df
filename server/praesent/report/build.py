"""``build_report``: a pure function from an analysis (and earlier calls) to the report model."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from praesent.report.model import (
    SCHEMA,
    Bin,
    CallCustomer,
    Counts,
    CueRow,
    Cues,
    InterruptionRow,
    Lang,
    LanguageShift,
    Mark,
    Moment,
    Patience,
    QuestionRow,
    Questions,
    Report,
    ReportOptions,
    RoleName,
    SentTo,
    Span,
    Status,
    TalkRatio,
    Timeline,
    TimelineRow,
    Tip,
    TopicRow,
    Transcript,
    TranscriptLine,
    TrendPoint,
    Unheard,
    Verdict,
    Warned,
)

_ROLES: tuple[RoleName, RoleName] = ("seller", "customer")
_TICK_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_BIN_STEPS_S = (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_ROW_S = 300  # unbinned timelines are drawn in rows of five minutes
_EXCERPT_WORDS = 24
# Live warnings the report repeats (each has its ``warned_<kind>`` text).
WARNED_KINDS = ("voices", "echo")


def _num(value: Any, default: float = 0.0) -> float:
    """A finite float from whatever the analysis holds (None, NaN and inf become ``default``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    number = float(value)
    return number if math.isfinite(number) else default


def duration(value: float) -> float:
    """Seconds at display precision: one decimal below a minute, whole seconds above."""
    value = max(0.0, value)
    return round(value, 1) if value < 60 else float(round(value))


def moment(value: float) -> int:
    return max(0, round(value))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _role(value: Any) -> RoleName | None:
    return value if value in _ROLES else None


def _list(analysis: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = analysis.get(key)
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _pct(part: float, whole: float) -> int | None:
    return round(100 * part / whole) if whole > 0 else None


# -- sections --------------------------------------------------------------------------------


def _talk(analysis: Mapping[str, Any], options: ReportOptions) -> TalkRatio:
    roles = analysis.get("roles") if isinstance(analysis.get("roles"), dict) else {}
    assert isinstance(roles, dict)
    seller = _num((roles.get("seller") or {}).get("talk_s"))
    customer = _num((roles.get("customer") or {}).get("talk_s"))
    seller_pct = _pct(seller, seller + customer)
    customer_pct = None if seller_pct is None else 100 - seller_pct
    low = options.reference_seller_pct - options.band_halfwidth_pct
    high = options.reference_seller_pct + options.band_halfwidth_pct
    verdict: Verdict
    if seller_pct is None:
        verdict = "no_speech"
    elif seller == 0 or customer == 0:
        verdict = "one_side"
    else:
        verdict = _verdict(seller_pct, low, high, options.verdict_margin_pct)
    return TalkRatio(
        seller_s=duration(seller),
        customer_s=duration(customer),
        overlap_s=duration(_num(analysis.get("overlap_s"))),
        seller_pct=seller_pct,
        customer_pct=customer_pct,
        reference_seller_pct=options.reference_seller_pct,
        reference_customer_pct=100 - options.reference_seller_pct,
        band_low_pct=low,
        band_high_pct=high,
        verdict=verdict,
    )


def _verdict(seller_pct: int, low: int, high: int, margin: int) -> Verdict:
    """Within ``margin`` of a band edge, on either side: that edge's verdict. Two measurements
    of one call that differ by less than the margin never get opposite messages."""
    if seller_pct > high + margin:
        return "seller_high"
    if seller_pct >= high - margin:
        return "edge_high"
    if seller_pct < low - margin:
        return "seller_low"
    if seller_pct <= low + margin:
        return "edge_low"
    return "in_band"


def _nice(steps: Sequence[int], span_s: float, most: int) -> int:
    for step in steps:
        if span_s / step <= most:
            return step
    return steps[-1] * math.ceil(span_s / (steps[-1] * most))


def _ticks(start: int, end: int, most: int = 10) -> tuple[int, ...]:
    step = _nice(_TICK_STEPS_S, max(end - start, 1), most)
    first = math.ceil(start / step) * step
    return tuple(range(first, end + 1, step))


def _speech_spans(analysis: Mapping[str, Any], end_s: float) -> list[Span]:
    spans: list[Span] = []
    for segment in _list(analysis, "segments"):
        role = _role(segment.get("role"))
        start = min(max(0.0, _num(segment.get("start_s"))), end_s)
        stop = min(max(0.0, _num(segment.get("end_s"))), end_s)
        if role is not None and stop > start:
            spans.append(Span(role, round(start, 2), round(stop, 2)))
    return sorted(spans, key=lambda s: (s.start_s, s.role))


def _marks(analysis: Mapping[str, Any]) -> list[Mark]:
    marks: list[Mark] = []
    for key, kind in (("interruptions", "interruption"), ("backchannels", "backchannel")):
        for item in _list(analysis, key):
            by = _role(item.get("by"))
            if by is not None:
                marks.append(Mark(kind, by, round(_num(item.get("at_s")), 2)))  # type: ignore[arg-type]
    return sorted(marks, key=lambda m: (m.at_s, m.kind))


def _timeline(analysis: Mapping[str, Any], duration_s: float, options: ReportOptions) -> Timeline:
    end = max(1, math.ceil(duration_s))
    spans = _speech_spans(analysis, float(end))
    marks = _marks(analysis)
    if end <= options.timeline_unbinned_max_s:
        rows = tuple(
            TimelineRow(start, min(start + _ROW_S, end), _ticks(start, min(start + _ROW_S, end)))
            for start in range(0, end, _ROW_S)
        )
        return Timeline(end, False, None, rows, tuple(spans), tuple(marks), ())
    bin_s = _nice(_BIN_STEPS_S, end, options.timeline_max_bins)
    count = math.ceil(end / bin_s)
    spoken = {role: [0.0] * count for role in _ROLES}
    for span in spans:
        index = int(span.start_s // bin_s)
        while index < count and index * bin_s < span.end_s:
            lo, hi = max(span.start_s, index * bin_s), min(span.end_s, (index + 1) * bin_s)
            spoken[span.role][index] += max(0.0, hi - lo)
            index += 1
    events = {kind: [0] * count for kind in ("interruption", "backchannel")}
    for mark in marks:
        events[mark.kind][min(count - 1, int(mark.at_s // bin_s))] += 1
    bins = tuple(
        Bin(
            start_s=i * bin_s,
            end_s=min((i + 1) * bin_s, end),
            seller_frac=round(
                min(1.0, spoken["seller"][i] / (min((i + 1) * bin_s, end) - i * bin_s)), 3
            ),
            customer_frac=round(
                min(1.0, spoken["customer"][i] / (min((i + 1) * bin_s, end) - i * bin_s)), 3
            ),
            interruptions=events["interruption"][i],
            backchannels=events["backchannel"][i],
        )
        for i in range(count)
    )
    rows = (TimelineRow(0, end, _ticks(0, end, 12)),)
    return Timeline(end, True, bin_s, rows, (), tuple(marks), bins)


def _utterances(analysis: Mapping[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        (u for u in _list(analysis, "utterances") if str(u.get("text") or "").strip()),
        key=lambda u: _num(u.get("start_s")),
    )


def _excerpt(
    utterances: Iterable[dict[str, Any]], role: RoleName, start: float, end: float
) -> str | None:
    words: list[str] = []
    for utterance in utterances:
        if utterance.get("role") != role:
            continue
        if _num(utterance.get("end_s")) <= start or _num(utterance.get("start_s")) >= end:
            continue
        words += str(utterance.get("text") or "").split()
        if len(words) > _EXCERPT_WORDS:
            return " ".join(words[:_EXCERPT_WORDS]) + " …"
    return " ".join(words) or None


def _longest(
    analysis: Mapping[str, Any], role: RoleName, key: str, utterances: list[dict[str, Any]]
) -> Moment:
    turns = [t for t in _list(analysis, "turns") if t.get("role") == role]
    best = max(turns, key=lambda t: _num(t.get("end_s")) - _num(t.get("start_s")), default=None)
    if best is None:
        return Moment(duration(_num(analysis.get(key))), None, None, None)
    start, end = _num(best.get("start_s")), _num(best.get("end_s"))
    return Moment(
        duration(end - start), moment(start), moment(end), _excerpt(utterances, role, start, end)
    )


def _text_at(
    utterances: list[dict[str, Any]], role: RoleName, at: float, after: bool
) -> str | None:
    """The ``role``'s utterance around ``at`` (or, with ``after``, the first one from ``at``)."""
    for utterance in utterances:
        if utterance.get("role") != role:
            continue
        start, end = _num(utterance.get("start_s")), _num(utterance.get("end_s"))
        if (after and start >= at - 0.5) or (not after and start <= at <= end + 0.5):
            return str(utterance.get("text")).strip()
    return None


def _interruptions(
    analysis: Mapping[str, Any], utterances: list[dict[str, Any]]
) -> list[InterruptionRow]:
    rows: list[InterruptionRow] = []
    for item in _list(analysis, "interruptions"):
        by, of = _role(item.get("by")), _role(item.get("of"))
        if by is None or of is None:
            continue
        at = _num(item.get("at_s"))
        recovered = item.get("recovered")
        rows.append(
            InterruptionRow(
                at_s=moment(at),
                by=by,
                of=of,
                overlap_s=duration(_num(item.get("overlap_s"))),
                recovered=recovered if isinstance(recovered, bool) else None,
                interrupted_text=_text_at(utterances, of, at, after=False),
                interrupting_text=_text_at(utterances, by, at, after=True),
            )
        )
    return rows


def _count(items: Iterable[dict[str, Any]], **match: Any) -> int:
    return sum(1 for item in items if all(item.get(k) == v for k, v in match.items()))


def _questions(analysis: Mapping[str, Any], options: ReportOptions) -> Questions:
    items = tuple(
        QuestionRow(
            moment(_num(q.get("at_s"))), str(q.get("text") or "").strip(), bool(q.get("open"))
        )
        for q in _list(analysis, "questions")
    )
    open_count = sum(1 for q in items if q.open)
    return Questions(
        open=open_count,
        closed=len(items) - open_count,
        total=len(items),
        reference_low=options.questions_low,
        reference_high=options.questions_high,
        items=items,
    )


def _topics(analysis: Mapping[str, Any]) -> tuple[TopicRow, ...] | None:
    if "topics" not in analysis:
        return None
    rows = []
    for topic in _list(analysis, "topics"):
        summary = topic.get("summary")
        lines = summary if isinstance(summary, list) else [summary] if summary else []
        phrases = topic.get("key_phrases") if isinstance(topic.get("key_phrases"), list) else []
        assert isinstance(phrases, list)
        rows.append(
            TopicRow(
                start_s=moment(_num(topic.get("start_s"))),
                end_s=moment(_num(topic.get("end_s"))),
                title=str(topic.get("title") or "").strip(),
                summary=tuple(str(line).strip() for line in lines if str(line).strip()),
                key_phrases=tuple(str(p) for p in phrases),
            )
        )
    return tuple(rows)


def _cues(analysis: Mapping[str, Any]) -> Cues:
    items = tuple(
        CueRow(
            at_s=moment(_num(c.get("at_s"))),
            kind=str(c.get("kind") or ""),
            text=str(c.get("text") or ""),
            acted_on=c.get("acted_on") if isinstance(c.get("acted_on"), bool) else None,
        )
        for c in _list(analysis, "cues")
    )
    return Cues(len(items), sum(1 for c in items if c.acted_on), items)


def _seller_backchannels_in_long_customer_turns(
    analysis: Mapping[str, Any], long_s: float
) -> tuple[int, int]:
    """(customer turns of at least ``long_s``, how many of them got a seller backchannel)."""
    long_turns = [
        (_num(t.get("start_s")), _num(t.get("end_s")))
        for t in _list(analysis, "turns")
        if t.get("role") == "customer" and _num(t.get("end_s")) - _num(t.get("start_s")) >= long_s
    ]
    heard = [
        _num(b.get("at_s")) for b in _list(analysis, "backchannels") if b.get("by") == "seller"
    ]
    with_backchannel = sum(1 for a, b in long_turns if any(a <= at <= b for at in heard))
    return len(long_turns), with_backchannel


def _tips(
    analysis: Mapping[str, Any],
    talk: TalkRatio,
    counts: Counts,
    questions: Questions,
    topics: tuple[TopicRow, ...] | None,
    cues: Cues,
    interruptions: list[InterruptionRow],
    options: ReportOptions,
) -> tuple[Tip, ...]:
    """Score each of the five tips from the findings; the best three (with any finding) win."""
    if talk.seller_pct is None:
        return ()
    candidates: list[Tip] = []
    by_seller = [row for row in interruptions if row.by == "seller"]
    if by_seller or counts.early_starts_by_seller:
        candidates.append(
            Tip(
                "let_finish",
                3.0 * len(by_seller) + counts.early_starts_by_seller,
                {
                    "interruptions": len(by_seller),
                    "early_starts": counts.early_starts_by_seller,
                    "first_at_s": (by_seller[0].at_s if by_seller else 0),
                },
            )
        )
    long_turns, heard = _seller_backchannels_in_long_customer_turns(
        analysis, options.long_customer_turn_s
    )
    listen_cues = sum(1 for c in cues.items if c.kind == "listen")
    customer_spoke = talk.customer_s > 0
    if customer_spoke:
        candidates.append(
            Tip(
                "backchannel",
                2.0 * (long_turns - heard)
                + listen_cues
                + (0.5 if counts.backchannels_by_seller == 0 else 0.0),
                {
                    "backchannels": counts.backchannels_by_seller,
                    "long_s": options.long_customer_turn_s,
                    "long_turns": long_turns,
                    "with_backchannel": heard,
                },
            )
        )
    summarise_missed = sum(
        1 for c in cues.items if c.kind == "summarise" and c.acted_on is not True
    )
    if customer_spoke:
        score = 1.5 + summarise_missed if topics else 0.3
        candidates.append(Tip("summarise", score, {"topics": len(topics or ())}))
    if talk.seller_s > 0:
        score = max(0, questions.closed - questions.open) + max(
            0, (talk.seller_pct - talk.band_high_pct) / 5
        )
        score += 0.5 * max(0, options.questions_low - questions.total) / options.questions_low
        candidates.append(
            Tip(
                "open_questions",
                round(score + 0.4, 2),
                {
                    "open": questions.open,
                    "closed": questions.closed,
                    "seller_pct": talk.seller_pct,
                },
            )
        )
    if counts.misunderstandings:
        candidates.append(
            Tip(
                "clarify",
                4.0 * counts.misunderstandings,
                {"misunderstandings": counts.misunderstandings},
            )
        )
    ranked = sorted(candidates, key=lambda tip: -tip.score)
    return tuple(Tip(tip.kind, round(tip.score, 2), tip.evidence) for tip in ranked[:3])


def _transcript(utterances: list[dict[str, Any]], options: ReportOptions) -> Transcript:
    lines = tuple(
        TranscriptLine(
            _role(u.get("role")), moment(_num(u.get("start_s"))), str(u.get("text")).strip()
        )
        for u in utterances[: options.transcript_max_lines]
    )
    return Transcript(len(utterances), len(lines), lines)


def _date_label(session: Mapping[str, Any] | None, index: int) -> str:
    if session:
        started = session.get("started_at")
        if isinstance(started, str) and started:
            return started[:10]
        title = session.get("title")
        if isinstance(title, str) and title:
            return title[:24]
    return f"#{index + 1}"


def _trend_point(analysis: Mapping[str, Any], label: str, current: bool) -> TrendPoint:
    roles = analysis.get("roles") if isinstance(analysis.get("roles"), dict) else {}
    assert isinstance(roles, dict)
    seller = _num((roles.get("seller") or {}).get("talk_s"))
    customer = _num((roles.get("customer") or {}).get("talk_s"))
    questions = _list(analysis, "questions")
    return TrendPoint(
        label=label,
        current=current,
        seller_pct=_pct(seller, seller + customer),
        interruptions=_count(_list(analysis, "interruptions"), by="seller"),
        questions=len(questions),
        open_questions=sum(1 for q in questions if q.get("open")),
    )


def _trend(
    analysis: Mapping[str, Any], history: Sequence[Mapping[str, Any]] | None, options: ReportOptions
) -> tuple[TrendPoint, ...]:
    if not history:
        return ()
    earlier = list(history)[-options.history_max :]
    points = [
        _trend_point(item, _date_label(_session(item), i), current=False)
        for i, item in enumerate(earlier)
    ]
    points.append(_trend_point(analysis, _date_label(_session(analysis), len(earlier)), True))
    return tuple(points)


def _session(analysis: Mapping[str, Any]) -> Mapping[str, Any] | None:
    session = analysis.get("session")
    return session if isinstance(session, dict) else None


# -- the report ------------------------------------------------------------------------------


def _sent_to(session: Mapping[str, Any] | None) -> tuple[SentTo, ...]:
    found = []
    for item in (session or {}).get("sent_to") or ():
        status = item.get("status") if isinstance(item, Mapping) else None
        if status in ("delivered", "pending", "failed"):
            found.append(SentTo(str(item.get("host") or "?"), status))
    return tuple(found)


def _customer(session: Mapping[str, Any] | None) -> CallCustomer | None:
    found = (session or {}).get("customer")
    if not isinstance(found, Mapping):
        return None
    parts = [found.get(key) for key in ("name", "email", "company")]
    name, email, company = (str(p).strip() or None if p else None for p in parts)
    if not (name or email or company):
        return None
    return CallCustomer(name=name, email=email, company=company)


def build_report(
    analysis: Mapping[str, Any],
    *,
    language: Lang,
    history: Sequence[Mapping[str, Any]] | None = None,
    options: ReportOptions | None = None,
) -> Report:
    """The report of one call. ``analysis`` is what ``praesent analyze`` prints (or what
    ``GET /v1/sessions/{id}`` returns, with its ``session``); ``history`` holds the same seller's
    earlier calls, oldest first."""
    o = options or ReportOptions()
    if language not in ("de", "en"):
        raise ValueError(f"report language must be de or en, not {language!r}")
    duration_s = _num(analysis.get("duration_s"))
    talk = _talk(analysis, o)
    utterances = _utterances(analysis)
    status: Status = "ok"
    # A one-channel call has roles once speaker attribution gave them (``roles_from``).
    if "roles" not in analysis:
        status = "no_roles"
    elif talk.seller_pct is None:
        status = "no_speech"
    silent: tuple[RoleName, ...] = ()
    if talk.verdict == "one_side":
        silent = ("seller",) if talk.seller_s == 0 else ("customer",)
    interruptions = _interruptions(analysis, utterances)
    backchannels = _list(analysis, "backchannels")
    misunderstandings = _list(analysis, "misunderstandings")
    counts = Counts(
        interruptions_by_seller=sum(1 for r in interruptions if r.by == "seller"),
        interruptions_by_customer=sum(1 for r in interruptions if r.by == "customer"),
        interrupted_recovered=sum(1 for r in interruptions if r.recovered),
        early_starts_by_seller=_count(_list(analysis, "early_starts"), by="seller"),
        backchannels_by_seller=_count(backchannels, by="seller"),
        backchannels_by_customer=_count(backchannels, by="customer"),
        short_answers=int(_num(analysis.get("short_answers"))),
        misunderstandings=len(misunderstandings),
        customer_stories_over_goal=sum(
            1
            for t in _list(analysis, "turns")
            if t.get("role") == "customer"
            and _num(t.get("end_s")) - _num(t.get("start_s")) >= o.story_goal_s
        ),
    )
    patience = analysis.get("patience_median_s")
    questions = _questions(analysis, o)
    topics = _topics(analysis)
    cues = _cues(analysis)
    session = _session(analysis)
    return Report(
        schema=SCHEMA,
        language=language,
        status=status,
        title=str(session.get("title")) if session and session.get("title") else None,
        session_id=str(session.get("id")) if session and session.get("id") else None,
        started_at=str(session.get("started_at"))
        if session and session.get("started_at")
        else None,
        call_language=str(analysis.get("language") or "unknown"),
        language_changes=tuple(
            LanguageShift(
                moment(_num(change.get("at_s"))),
                _text(change.get("language")),
                _text(change.get("previous")),
                str(change.get("source") or ""),
                duration(_num(change.get("speech_s"))),
            )
            for change in _list(analysis, "language_changes")
        ),
        unheard=tuple(
            Unheard(
                moment(_num(gap.get("from_s"))),
                moment(_num(gap.get("to_s"))),
                duration(_num(gap.get("to_s")) - _num(gap.get("from_s"))),
            )
            for gap in _list(analysis, "gaps")
            if _num(gap.get("to_s")) - _num(gap.get("from_s")) >= 0.5
        ),
        warned=tuple(
            Warned(
                str(span.get("kind")),
                moment(_num(span.get("from_s"))),
                moment(_num(span.get("to_s"))),
                duration(_num(span.get("to_s")) - _num(span.get("from_s"))),
            )
            for span in _list(analysis, "warnings")
            if span.get("kind") in WARNED_KINDS
        ),
        sent_to=_sent_to(session),
        customer=_customer(session),
        customer_informed=bool(session["customer_informed"])
        if session and session.get("customer_informed") is not None
        else None,
        duration_s=duration(duration_s),
        silent=silent,
        has_transcript=bool(utterances),
        talk=talk,
        timeline=_timeline(analysis, duration_s, o),
        monologue=_longest(analysis, "seller", "monologue_longest_s", utterances),
        customer_story=_longest(analysis, "customer", "customer_story_longest_s", utterances),
        counts=counts,
        interruptions=tuple(interruptions),
        patience=Patience(
            median_s=None if patience is None else round(_num(patience), 1),
            early_starts_by_seller=counts.early_starts_by_seller,
        ),
        questions=questions,
        topics=topics,
        cues=cues,
        tips=_tips(analysis, talk, counts, questions, topics, cues, interruptions, o),
        transcript=_transcript(utterances, o),
        trend=_trend(analysis, history, o),
        options=o,
    )
