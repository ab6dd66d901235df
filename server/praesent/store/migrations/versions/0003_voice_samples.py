"""Sellers' voice profiles: speaker embeddings, never audio.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("embedding", sa.JSON(), nullable=False),
        sa.Column("speech_s", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('enrolment', 'call')", name="ck_voice_samples_source"),
        sa.PrimaryKeyConstraint("id", name="pk_voice_samples"),
    )
    op.create_index("ix_voice_samples_seller_id", "voice_samples", ["seller_id"])


def downgrade() -> None:
    op.drop_index("ix_voice_samples_seller_id", table_name="voice_samples")
    op.drop_table("voice_samples")
