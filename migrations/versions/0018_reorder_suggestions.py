"""stored reorder suggestions (补货建议)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 00:00:00

- ``reorder_suggestions``: one row a suggestion, keeping the figures that triggered it;
  a partial unique index allows at most one open (or ordered) suggestion per part and
  warehouse; a receipt closes it (``data_access.parts_register``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('open', 'ordered')")


def upgrade() -> None:
    op.create_table(
        "reorder_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("on_order", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("projected", sa.Integer(), nullable=False),
        sa.Column("reorder_point", sa.Integer(), nullable=False),
        sa.Column("reorder_qty", sa.Integer(), nullable=False),
        sa.Column("suggested", sa.Integer(), nullable=False),
        sa.Column("purchase_ref", sa.String(length=100), nullable=True),
        sa.Column("ordered_at", sa.DateTime(), nullable=True),
        sa.Column("ordered_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_doc", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_reorder_suggestions_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"],
            name=op.f("fk_reorder_suggestions_warehouse_id_warehouses"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_id"], ["users.id"],
            name=op.f("fk_reorder_suggestions_ordered_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reorder_suggestions")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_reorder_suggestions_part_id"), "reorder_suggestions", ["part_id"]
    )
    op.create_index(op.f("ix_reorder_suggestions_status"), "reorder_suggestions", ["status"])
    op.create_index(
        "ux_reorder_open", "reorder_suggestions", ["part_id", "warehouse_id"], unique=True,
        sqlite_where=OPEN, postgresql_where=OPEN,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ux_reorder_open", table_name="reorder_suggestions")
    op.drop_index(op.f("ix_reorder_suggestions_status"), table_name="reorder_suggestions")
    op.drop_index(op.f("ix_reorder_suggestions_part_id"), table_name="reorder_suggestions")
    op.drop_table("reorder_suggestions")
