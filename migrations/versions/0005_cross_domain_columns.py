"""columns several domains read: a part's own warranty, wear parts, maintenance packages

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 00:10:00

The spare-parts work owns ``parts``; the fees work reads a part's warranty months and
wear flag (三包: key parts vs wear parts). The maintenance work owns the packages; the
fees work reads their repair discount for contract customers. Created here, before
either, so both build on one schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warranty_months", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("is_wear", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "maintenance_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("visits_per_year", sa.Integer(), nullable=True),
        sa.Column(
            "repair_discount_pct",
            sa.Numeric(precision=5, scale=2),
            nullable=False,
            server_default="0",
        ),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_packages")),
        sa.UniqueConstraint("code", name=op.f("uq_maintenance_packages_code")),
    )


def downgrade() -> None:
    op.drop_table("maintenance_packages")
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.drop_column("is_wear")
        batch_op.drop_column("warranty_months")
