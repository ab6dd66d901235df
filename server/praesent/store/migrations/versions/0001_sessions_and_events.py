"""Sessions and their append-only event logs.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), server_default=sa.text("'live'"), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("seller_id", sa.String(64), nullable=True),
        sa.Column("customer_informed", sa.Boolean(), nullable=False),
        sa.Column("audio_kept", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("analysis", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("last_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "status IN ('live', 'finished', 'interrupted')", name="ck_sessions_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_started_at", "sessions", ["started_at"])
    op.create_index("ix_sessions_status", "sessions", ["status"])
    op.create_index("ix_sessions_seller_id", "sessions", ["seller_id"])
    op.create_table(
        "events",
        sa.Column("session_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at_s", sa.Double(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name="fk_events_session_id_sessions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "seq", name="pk_events"),
    )


def downgrade() -> None:
    op.drop_table("events")
    op.drop_index("ix_sessions_seller_id", table_name="sessions")
    op.drop_index("ix_sessions_status", table_name="sessions")
    op.drop_index("ix_sessions_started_at", table_name="sessions")
    op.drop_table("sessions")
