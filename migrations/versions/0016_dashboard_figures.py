"""dashboard figures: stored business-time durations, the report's confirmed fault code

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 00:00:00

- ``tickets.response_business_s`` / ``tickets.resolution_business_s``: business seconds
  of the first response and of the resolution clock (pauses excluded), stored with the
  deadlines by ``data_access.deadlines``; existing tickets are filled in here.
- ``service_reports.fault_code_id`` (the fault the engineer confirmed) and
  ``service_reports.corrected_at`` (first change after the customer's acceptance).
- indexes the dashboard reads at a million tickets.

Adding nullable columns with ``op.add_column`` does not rebuild ``tickets`` on SQLite,
so its search triggers (0014) stay; ``service_reports`` (not searched) is rebuilt for
its foreign key.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("response_business_s", sa.Float(), nullable=True))
    op.add_column("tickets", sa.Column("resolution_business_s", sa.Float(), nullable=True))
    op.create_index("ix_tickets_device_received", "tickets", ["device_id", "received_at"])
    op.create_index("ix_complaints_received_at", "complaints", ["received_at"])
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fault_code_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_service_reports_fault_code_id_fault_codes"),
            "fault_codes",
            ["fault_code_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Existing tickets' business durations, from their status histories."""
    from data_access.backfill_durations import backfill_business_durations

    backfill_business_durations(connection)


def downgrade() -> None:
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_service_reports_fault_code_id_fault_codes"), type_="foreignkey"
        )
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("fault_code_id")
    op.drop_index("ix_complaints_received_at", table_name="complaints")
    op.drop_index("ix_tickets_device_received", table_name="tickets")
    op.drop_column("tickets", "resolution_business_s")
    op.drop_column("tickets", "response_business_s")
