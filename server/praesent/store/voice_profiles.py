"""Sellers' voice profiles: speaker embeddings (never audio) per seller, kept beside the sessions.

A profile is the speech-weighted mean of a seller's samples; each sample came from an enrolment
clip or from the seller's own channel of a call, where the role is known."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import sessionmaker

from praesent.store.errors import InvalidRecordError
from praesent.store.models import SELLER_ID_MAX, VoiceSample, utc_now

SAMPLE_SOURCES = ("enrolment", "call")


@dataclass(frozen=True, slots=True)
class VoiceProfile:
    seller_id: str
    model: str
    embedding: tuple[float, ...]
    samples: int
    speech_s: float
    updated_at: datetime


class VoiceProfiles:
    """Reads and writes ``voice_samples`` through an engine the caller owns (and migrated)."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add_sample(
        self,
        seller_id: str,
        embedding: Sequence[float],
        speech_s: float,
        source: str,
        model: str,
    ) -> None:
        if not seller_id or len(seller_id) > SELLER_ID_MAX:
            raise InvalidRecordError(f"seller id must be 1 to {SELLER_ID_MAX} characters")
        if source not in SAMPLE_SOURCES:
            raise InvalidRecordError(f"unknown voice sample source {source!r}")
        values = [float(v) for v in embedding]
        norm = math.sqrt(sum(v * v for v in values))
        if not values or not math.isfinite(norm) or norm == 0.0:
            raise InvalidRecordError("a voice sample needs a finite, non-zero embedding")
        values = [v / norm for v in values]
        row = VoiceSample(
            seller_id=seller_id,
            source=source,
            model=model,
            embedding=values,
            speech_s=float(speech_s),
            created_at=utc_now(),
        )
        with self._sessions.begin() as db:
            db.add(row)

    def profile(self, seller_id: str, model: str) -> VoiceProfile | None:
        """The seller's profile for one embedding model, or None when there is no sample."""
        stmt = select(VoiceSample).where(
            VoiceSample.seller_id == seller_id, VoiceSample.model == model
        )
        with self._sessions.begin() as db:
            rows = list(db.scalars(stmt))
        if not rows:
            return None
        total = sum(row.speech_s for row in rows) or 1.0
        size = len(rows[0].embedding)
        mean = [sum(row.embedding[i] * row.speech_s for row in rows) / total for i in range(size)]
        norm = math.sqrt(sum(v * v for v in mean)) or 1.0
        return VoiceProfile(
            seller_id=seller_id,
            model=model,
            embedding=tuple(v / norm for v in mean),
            samples=len(rows),
            speech_s=round(sum(row.speech_s for row in rows), 3),
            updated_at=max(row.created_at for row in rows),
        )

    def list_profiles(self) -> list[tuple[str, str, int, float, datetime]]:
        """(seller id, model, samples, seconds of speech, last update) per profile."""
        stmt = (
            select(
                VoiceSample.seller_id,
                VoiceSample.model,
                func.count(),
                func.sum(VoiceSample.speech_s),
                func.max(VoiceSample.created_at),
            )
            .group_by(VoiceSample.seller_id, VoiceSample.model)
            .order_by(VoiceSample.seller_id)
        )
        with self._sessions.begin() as db:
            return [
                (seller, model, int(count), round(float(speech), 3), _utc(updated))
                for seller, model, count, speech, updated in db.execute(stmt)
            ]

    def delete(self, seller_id: str) -> int:
        """Deletes every sample of the seller; returns how many there were."""
        with self._sessions.begin() as db:
            result = db.execute(delete(VoiceSample).where(VoiceSample.seller_id == seller_id))
            return int(getattr(result, "rowcount", 0) or 0)


def _utc(value: datetime) -> datetime:
    # max() over the column returns the raw stored value on SQLite (naive UTC wall time).
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
