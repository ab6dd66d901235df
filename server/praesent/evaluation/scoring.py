"""Scores of a run against references: talk time and share, event precision/recall/F1, WER, DER.

Events are matched one-to-one when they are by the same role and within ``tolerance_s`` of each
other; in time order a greedy match is a maximum one (points on a line with a distance bound).
With no reference events and none found, precision, recall and F1 are 1 (nothing to find, nothing
wrongly found).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiwer

from praesent.core.batch import analyse
from praesent.core.events import JsonValue
from praesent.core.facts import ROLES, Role
from praesent.core.lexicon import tokens
from praesent.core.options import CoreOptions
from praesent.core.summary import CallSummary
from praesent.evaluation.references import (
    ReferenceFileError,
    RttmTurn,
    StmSegment,
    parse_rttm,
    parse_stm,
    reference_facts,
    stm_roles,
)

TimedEvent = tuple[Role, float]  # by whom, at what second


@dataclass(frozen=True, slots=True)
class MatchScore:
    reference: int
    found: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.reference if self.reference else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "reference": self.reference,
            "found": self.found,
            "matched": self.matched,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def match_events(
    reference: Iterable[TimedEvent], found: Iterable[TimedEvent], tolerance_s: float = 0.5
) -> MatchScore:
    refs, hyps = list(reference), list(found)
    matched = 0
    for role in ROLES:
        r = sorted(t for who, t in refs if who == role)
        h = sorted(t for who, t in hyps if who == role)
        i = j = 0
        while i < len(r) and j < len(h):
            if abs(r[i] - h[j]) <= tolerance_s + 1e-9:
                matched += 1
                i += 1
                j += 1
            elif h[j] < r[i]:
                j += 1
            else:
                i += 1
    return MatchScore(len(refs), len(hyps), matched)


def normalise_words(text: str) -> str:
    """Lower case, no punctuation: what WER compares."""
    return " ".join(tokens(text))


def word_error_rate(reference: Sequence[str], hypothesis: Sequence[str]) -> float | None:
    """Corpus WER over paired texts; None when the reference has no words."""
    pairs = [
        (normalise_words(r), normalise_words(h)) for r, h in zip(reference, hypothesis, strict=True)
    ]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        return None
    return float(jiwer.wer([r for r, _ in pairs], [h for _, h in pairs]))


@dataclass(frozen=True, slots=True)
class RoleTalk:
    run_s: float
    reference_s: float

    @property
    def error_s(self) -> float:
        return abs(self.run_s - self.reference_s)

    def to_dict(self) -> dict[str, JsonValue]:
        return {
            "run_s": round(self.run_s, 3),
            "reference_s": round(self.reference_s, 3),
            "error_s": round(self.error_s, 3),
        }


@dataclass(frozen=True, slots=True)
class EvalScores:
    duration_s: float
    talk: dict[Role, RoleTalk]
    share_run: float | None
    share_reference: float | None
    interruptions: MatchScore
    backchannels: MatchScore
    wer: dict[str, float | None] | None  # per role and "overall"; None without an STM
    der: float | None
    der_note: str | None = None
    tolerance_s: float = 0.5
    notes: tuple[str, ...] = field(default=())

    @property
    def share_error_points(self) -> float | None:
        if self.share_run is None or self.share_reference is None:
            return None
        return abs(self.share_run - self.share_reference) * 100

    def to_dict(self) -> dict[str, JsonValue]:
        points = self.share_error_points
        return {
            "duration_s": round(self.duration_s, 3),
            "talk": {role: self.talk[role].to_dict() for role in ROLES},
            "share": {
                "run": self.share_run,
                "reference": self.share_reference,
                "error_points": None if points is None else round(points, 2),
            },
            "tolerance_s": self.tolerance_s,
            "interruptions": self.interruptions.to_dict(),
            "backchannels": self.backchannels.to_dict(),
            "wer": None
            if self.wer is None
            else {k: None if v is None else round(v, 4) for k, v in self.wer.items()},
            "der": None if self.der is None else round(self.der, 4),
            "der_note": self.der_note,
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        lines = [f"praesent eval ({self.duration_s:.1f} s of audio)"]
        for role in ROLES:
            t = self.talk[role]
            lines.append(
                f"talk time {role:<8}  run {t.run_s:7.2f} s  reference {t.reference_s:7.2f} s"
                f"  error {t.error_s:5.2f} s"
            )
        points = self.share_error_points
        lines.append(
            f"seller share        run {_pct(self.share_run)}  reference "
            f"{_pct(self.share_reference)}  error "
            + ("n/a" if points is None else f"{points:.1f} points")
        )
        for name, score in (
            ("interruptions", self.interruptions),
            ("backchannels", self.backchannels),
        ):
            lines.append(
                f"{name:<19} precision {score.precision:.2f}  recall {score.recall:.2f}"
                f"  F1 {score.f1:.2f}  (reference {score.reference}, found {score.found},"
                f" matched {score.matched}, within {self.tolerance_s} s)"
            )
        if self.wer is None:
            lines.append("word error rate     not scored (no --stm)")
        else:
            parts = [f"{k} {_pct(v)}" for k, v in self.wer.items()]
            lines.append("word error rate     " + "  ".join(parts))
        if self.der is None:
            lines.append(f"diarization error   {self.der_note or 'n/a'}")
        else:
            lines.append(f"diarization error   {self.der * 100:.1f} %")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "  n/a  " if value is None else f"{value * 100:5.1f} %"


def _timed(items: Any) -> list[TimedEvent]:
    out: list[TimedEvent] = []
    for item in items or []:
        by = item.get("by")
        if by in ROLES:
            out.append((by, float(item["at_s"])))
    return out


def _summary_timed(summary: CallSummary, kind: str) -> list[TimedEvent]:
    if kind == "interruptions":
        return [(i.by, i.at_s) for i in summary.interruptions]
    return [(b.by, b.at_s) for b in summary.backchannels]


def _wer(
    run: Mapping[str, Any], stm: list[StmSegment], mapping: dict[str, Role]
) -> dict[str, float | None]:
    utterances = sorted(run.get("utterances") or [], key=lambda u: float(u["start_s"]))
    refs: dict[str, str] = {}
    hyps: dict[str, str] = {}
    for role in ROLES:
        refs[role] = " ".join(s.text for s in stm if mapping.get(s.speaker) == role)
        hyps[role] = " ".join(str(u.get("text", "")) for u in utterances if u.get("role") == role)
    scores: dict[str, float | None] = {}
    if any(u.get("role") in ROLES for u in utterances):
        for role in ROLES:
            scores[role] = word_error_rate([refs[role]], [hyps[role]])
        scores["overall"] = word_error_rate([refs[r] for r in ROLES], [hyps[r] for r in ROLES])
    else:
        # No roles in the transcript (one channel, no attribution): one text against one text.
        scores["overall"] = word_error_rate(
            [" ".join(s.text for s in stm)], [" ".join(str(u.get("text", "")) for u in utterances)]
        )
    return scores


def _der(
    run: Mapping[str, Any], turns: list[RttmTurn], roles: Mapping[str, Role], duration_s: float
) -> tuple[float | None, str | None]:
    if run.get("roles_from") != "attribution":
        how = run.get("roles_from") or "nowhere (no roles)"
        return None, f"not applicable: roles come from {how}, not from attribution"
    try:
        from pyannote.core import Annotation, Segment
        from pyannote.metrics.diarization import DiarizationErrorRate
    except ImportError:
        return None, "not scored: pyannote.metrics is not installed (pip install 'praesent[eval]')"
    reference, hypothesis = Annotation(), Annotation()
    segments = run.get("segments") or []
    # Segments that name their speaker are scored speaker against speaker; else role against role.
    by_speaker = any("speaker" in seg for seg in segments)
    for n, t in enumerate(turns):
        label = t.speaker if by_speaker else roles.get(t.speaker, t.speaker)
        reference[Segment(t.start_s, t.end_s), n] = label
    for n, seg in enumerate(segments):
        label = seg.get("speaker") or seg.get("role") or "speech"
        hypothesis[Segment(float(seg["start_s"]), float(seg["end_s"])), n] = label
    # A collar of ±0.25 s around reference boundaries; overlapped speech is scored.
    metric = DiarizationErrorRate(collar=0.5, skip_overlap=False)
    value = metric(reference, hypothesis, uem=Segment(0.0, duration_s))
    return float(value), None


def run_eval(
    run_json: Path,
    rttm: Path,
    stm: Path | None,
    roles: Mapping[str, Role],
    options: CoreOptions | None = None,
    tolerance_s: float = 0.5,
) -> EvalScores:
    """Score the JSON of ``praesent analyze --format json`` against reference files. Reference
    events come from the same core fed with the reference turns as speech activity."""
    try:
        run: dict[str, Any] = json.loads(run_json.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ReferenceFileError(f"cannot read the run {run_json}: {error}") from error
    turns = parse_rttm(rttm)
    if not any(t.speaker in roles for t in turns):
        raise ReferenceFileError(f"--roles names none of the speakers in {rttm.name}")
    notes: list[str] = []
    duration_s = float(run.get("duration_s") or max((t.end_s for t in turns), default=0.0))
    _, reference = analyse(reference_facts(turns, roles, options), duration_s, options)

    run_roles = run.get("roles") or {}
    talk = {
        role: RoleTalk(
            float((run_roles.get(role) or {}).get("talk_s") or 0.0), reference.talk_s(role)
        )
        for role in ROLES
    }
    share_run = run.get("seller_share")
    if "interruptions" not in run:
        notes.append("the run has no interruptions/backchannels (roles missing?)")
    interruptions = match_events(
        _summary_timed(reference, "interruptions"), _timed(run.get("interruptions")), tolerance_s
    )
    backchannels = match_events(
        _summary_timed(reference, "backchannels"), _timed(run.get("backchannels")), tolerance_s
    )
    wer: dict[str, float | None] | None = None
    if stm is not None:
        segments = parse_stm(stm)
        mapping = stm_roles(segments, turns, roles)
        unmapped = sorted({s.speaker for s in segments} - set(mapping))
        if unmapped:
            notes.append(f"STM speakers without a role: {', '.join(unmapped)}")
        wer = _wer(run, segments, mapping)
    der, der_note = _der(run, turns, roles, duration_s)
    return EvalScores(
        duration_s=duration_s,
        talk=talk,
        share_run=None if share_run is None else float(share_run),
        share_reference=reference.seller_share,
        interruptions=interruptions,
        backchannels=backchannels,
        wer=wer,
        der=der,
        der_note=der_note,
        tolerance_s=tolerance_s,
        notes=tuple(notes),
    )
