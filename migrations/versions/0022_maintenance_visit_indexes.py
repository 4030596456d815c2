"""maintenance visits: covering indexes for the month calendar and overdue ageing

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-01 00:00:00

The month view, the completion rate and the dashboard read a month of visits by due
date: ``ix_maintenance_visits_due_cover`` (due date, status, engineer, approved skip,
done at, plan) answers them from the index alone and replaces the due-date index. The
overdue ageing reads open visits past due by engineer:
``ix_maintenance_visits_status_due_engineer`` replaces ``(status, due_date)``. Measured
at 197,145 visits (bench/maintenance.py): month view 0.35 s → 0.09 s, ageing 0.15 s →
0.04 s on a loaded machine. Plain index changes: no table is rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "maintenance_visits"
COVER = ["due_date", "status", "engineer_id", "skip_approved", "done_at", "plan_id"]


def upgrade() -> None:
    op.create_index("ix_maintenance_visits_due_cover", TABLE, COVER)
    op.create_index(
        "ix_maintenance_visits_status_due_engineer", TABLE, ["status", "due_date", "engineer_id"]
    )
    op.drop_index("ix_maintenance_visits_due_date", table_name=TABLE)
    op.drop_index("ix_maintenance_visits_status_due", table_name=TABLE)


def downgrade() -> None:
    op.create_index("ix_maintenance_visits_status_due", TABLE, ["status", "due_date"])
    op.create_index("ix_maintenance_visits_due_date", TABLE, ["due_date"])
    op.drop_index("ix_maintenance_visits_status_due_engineer", table_name=TABLE)
    op.drop_index("ix_maintenance_visits_due_cover", table_name=TABLE)
