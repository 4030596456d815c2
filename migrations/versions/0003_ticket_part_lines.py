"""service report parts become a lines register: (ticket, line no.) is their key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 21:00:00

Existing lines are numbered 1, 2, … per ticket in the order they were written.
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
    with op.batch_alter_table("ticket_parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_no", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE ticket_parts SET line_no = (SELECT COUNT(*) FROM ticket_parts AS earlier "
        "WHERE earlier.ticket_id = ticket_parts.ticket_id AND earlier.id <= ticket_parts.id)"
    )
    with op.batch_alter_table("ticket_parts", schema=None) as batch_op:
        batch_op.alter_column("line_no", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_ticket_parts_ticket_id"), ["ticket_id", "line_no"]
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_parts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ticket_parts_ticket_id"), type_="unique")
        batch_op.drop_column("line_no")
