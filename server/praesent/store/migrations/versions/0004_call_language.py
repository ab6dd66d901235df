"""A seller's call language ("auto", "de", "en"); NULL leaves it to the server's default.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("call_language", sa.String(8), nullable=True))


def downgrade() -> None:
    # SQLite drops a column in place (3.35 and later), without rebuilding the table.
    op.drop_column("users", "call_language")
