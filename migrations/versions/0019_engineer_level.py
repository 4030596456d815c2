"""an engineer's rate-card level on the user record

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 00:00:00

``users.engineer_level``: the labour variant of the rate card an engineer is billed at
(junior, standard, senior …), edited on the users grid and imported with the users
register; before, it was a setting keyed by username that no page edited.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("engineer_level", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("engineer_level")
