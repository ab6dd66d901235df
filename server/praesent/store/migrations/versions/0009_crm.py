"""A team's CRM connection (HubSpot or Salesforce): a kind of outbox endpoint whose ``url`` is
the API's base address and ``token`` its access token; its notes go through the webhooks'
outbox and relay.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), server_default=sa.text("'webhook'"), nullable=False)
        )
        batch.add_column(sa.Column("token", sa.Text(), nullable=True))
        batch.create_check_constraint(
            "ck_webhook_endpoints_kind", "kind IN ('webhook', 'hubspot', 'salesforce')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM webhook_endpoints WHERE kind <> 'webhook'")
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_constraint("ck_webhook_endpoints_kind", type_="check")
        batch.drop_column("token")
        batch.drop_column("kind")
