"""Reference files: RTTM (who spoke when), STM (who said what), and the role mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from praesent.core.batch import facts_from_segments
from praesent.core.facts import ROLES, Fact, Role, ms_to_samples, to_samples
from praesent.core.options import CoreOptions
from praesent.errors import InputError


class ReferenceFileError(InputError):
    """A reference file or role mapping that cannot be read."""


@dataclass(frozen=True, slots=True)
class RttmTurn:
    uri: str
    channel: str
    speaker: str
    start_s: float
    duration_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True)
class StmSegment:
    uri: str
    channel: str
    speaker: str
    start_s: float
    end_s: float
    text: str


def parse_rttm(source: Path | str) -> list[RttmTurn]:
    """SPEAKER lines of an RTTM file: ``SPEAKER uri channel start duration <NA> <NA> who ...``."""
    text = source.read_text() if isinstance(source, Path) else source
    turns: list[RttmTurn] = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise ReferenceFileError(f"RTTM line {number}: expected at least 8 fields")
        try:
            start, duration = float(fields[3]), float(fields[4])
        except ValueError as error:
            raise ReferenceFileError(f"RTTM line {number}: bad start or duration") from error
        turns.append(RttmTurn(fields[1], fields[2], fields[7], start, duration))
    return turns


def parse_stm(source: Path | str) -> list[StmSegment]:
    """STM lines ``uri channel speaker start end words...``; ``;;`` comments are skipped."""
    text = source.read_text() if isinstance(source, Path) else source
    segments: list[StmSegment] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(";;"):
            continue
        fields = line.split(maxsplit=5)
        if len(fields) < 5:
            raise ReferenceFileError(f"STM line {number}: expected uri channel speaker start end")
        try:
            start, end = float(fields[3]), float(fields[4])
        except ValueError as error:
            raise ReferenceFileError(f"STM line {number}: bad start or end") from error
        words = fields[5] if len(fields) > 5 else ""
        segments.append(StmSegment(fields[0], fields[1], fields[2], start, end, words))
    return sorted(segments, key=lambda s: (s.start_s, s.end_s))


def parse_roles(spec: str) -> dict[str, Role]:
    """``"speaker90=seller,speaker91=customer"`` -> {"speaker90": "seller", ...}."""
    roles: dict[str, Role] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        speaker, sep, role = (s.strip() for s in item.partition("="))
        if not sep or not speaker:
            raise ReferenceFileError(f"--roles: {item!r} is not SPEAKER=ROLE")
        if role == "seller":
            roles[speaker] = "seller"
        elif role == "customer":
            roles[speaker] = "customer"
        else:
            raise ReferenceFileError(f"--roles: unknown role {role!r} (use seller or customer)")
    if not roles:
        raise ReferenceFileError("--roles names no speaker")
    return roles


def reference_facts(
    rttm_turns: Iterable[RttmTurn],
    roles: Mapping[str, Role],
    options: CoreOptions | None = None,
) -> list[Fact]:
    """Speech activity per role from reference turns: a role's turns are merged where they
    overlap or lie closer than ``min_gap_ms`` (as voice activity would bridge them); speakers
    without a role are left out."""
    min_gap = ms_to_samples((options or CoreOptions()).activity.min_gap_ms)
    segments = [
        (roles[t.speaker], to_samples(t.start_s), to_samples(t.end_s))
        for t in rttm_turns
        if t.speaker in roles
    ]
    return facts_from_segments(segments, min_gap)


def stm_roles(
    segments: Iterable[StmSegment],
    rttm_turns: Iterable[RttmTurn],
    roles: Mapping[str, Role],
) -> dict[str, Role]:
    """The role of each STM speaker: by name when ``roles`` names it, otherwise the role whose
    reference turns overlap that speaker's segments most (STM and RTTM often name people
    differently)."""
    turns = [(roles[t.speaker], t.start_s, t.end_s) for t in rttm_turns if t.speaker in roles]
    overlap: dict[str, dict[Role, float]] = {}
    for seg in segments:
        per_role = overlap.setdefault(seg.speaker, dict.fromkeys(ROLES, 0.0))
        for role, start, end in turns:
            per_role[role] += max(0.0, min(end, seg.end_s) - max(start, seg.start_s))
    mapped: dict[str, Role] = {}
    for speaker, per_role in overlap.items():
        if speaker in roles:
            mapped[speaker] = roles[speaker]
            continue
        best = max(ROLES, key=lambda r: per_role[r])
        if per_role[best] > 0:
            mapped[speaker] = best
    return mapped
