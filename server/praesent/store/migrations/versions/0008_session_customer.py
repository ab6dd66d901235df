"""Whom a call was with: the customer's name, e-mail address and company (NULL: unknown).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("customer_name", "customer_email", "customer_company")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("sessions", sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
