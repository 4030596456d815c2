"""spare parts: warehouses, a keyed stock ledger (document no. + line), balances per
part and warehouse, the parts master's English name and active flag, non-catalogue
report part lines

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-01 00:20:00

Existing ledger rows (demo data before this revision) move to the central store
``WH01``; each becomes its own document ``MIG-<id>`` line 1. ``stock_balances`` is
filled from the ledger. ``from_bin`` / ``to_bin`` give way to the warehouse column.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_warehouses_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouses_code")),
    )
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_en", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("entry", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("doc_no", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("line_no", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("warehouse_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("supplier", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reverses", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("requested_at", sa.DateTime(), nullable=True))
        batch_op.drop_column("from_bin")
        batch_op.drop_column("to_bin")

    conn = op.get_bind()
    if conn.execute(sa.text("SELECT COUNT(*) FROM stock_movements")).scalar():
        conn.execute(
            sa.text(
                "INSERT INTO warehouses (code, name, kind, active, version, created_at, "
                "updated_at) VALUES ('WH01', '中心库', 'central', :t, 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"t": True},
        )
        conn.execute(
            sa.text(
                "UPDATE stock_movements SET "
                "warehouse_id = (SELECT id FROM warehouses WHERE code = 'WH01'), "
                "doc_no = 'MIG-' || CAST(id AS VARCHAR(20)), line_no = 1, "
                "entry = 'MIG-' || CAST(id AS VARCHAR(20)) || '/1'"
            )
        )

    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.alter_column("entry", existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column("doc_no", existing_type=sa.String(length=50), nullable=False)
        batch_op.alter_column("line_no", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("warehouse_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_stock_movements_entry"), ["entry"])
        batch_op.create_index("ix_stock_movements_doc_no", ["doc_no"], unique=False)
        batch_op.create_index(
            "ix_stock_movements_warehouse_part_at",
            ["warehouse_id", "part_id", "at"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_movements_warehouse_id_warehouses"),
            "warehouses",
            ["warehouse_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_movements_visit_id_maintenance_visits"),
            "maintenance_visits",
            ["visit_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "stock_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
            name=op.f("fk_stock_balances_part_id_parts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_balances_warehouse_id_warehouses"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_balances")),
        sa.UniqueConstraint("part_id", "warehouse_id", name=op.f("uq_stock_balances_part_id")),
    )
    op.execute(
        "INSERT INTO stock_balances (part_id, warehouse_id, qty) "
        "SELECT part_id, warehouse_id, SUM(qty) FROM stock_movements GROUP BY part_id, warehouse_id"
    )

    with op.batch_alter_table("ticket_parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("non_catalogue", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("non_catalogue_reason", sa.String(length=200), nullable=True))
    # lines written before the catalogue rule: their unknown part numbers stay, marked
    op.get_bind().execute(
        sa.text(
            "UPDATE ticket_parts SET non_catalogue = :t, non_catalogue_reason = '历史数据' "
            "WHERE part_id IS NULL"
        ),
        {"t": True},
    )

    with op.batch_alter_table("stock_takes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("stock_take_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warehouse_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_stock_take_lines_take_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_stock_take_lines_take_id"), ["take_id", "part_id", "warehouse_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_take_lines_warehouse_id_warehouses"),
            "warehouses",
            ["warehouse_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_take_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stock_take_lines_warehouse_id_warehouses"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_stock_take_lines_take_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_stock_take_lines_take_id"), ["take_id", "part_id"]
        )
        batch_op.drop_column("warehouse_id")
    with op.batch_alter_table("stock_takes", schema=None) as batch_op:
        batch_op.drop_column("snapshot_at")
    op.drop_table("stock_balances")
    with op.batch_alter_table("ticket_parts", schema=None) as batch_op:
        batch_op.drop_column("non_catalogue_reason")
        batch_op.drop_column("non_catalogue")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stock_movements_visit_id_maintenance_visits"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_stock_movements_warehouse_id_warehouses"), type_="foreignkey"
        )
        batch_op.drop_index("ix_stock_movements_warehouse_part_at")
        batch_op.drop_index("ix_stock_movements_doc_no")
        batch_op.drop_constraint(batch_op.f("uq_stock_movements_entry"), type_="unique")
        batch_op.add_column(sa.Column("to_bin", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("from_bin", sa.String(length=40), nullable=True))
        for name in (
            "requested_at",
            "reverses",
            "reason",
            "supplier",
            "visit_id",
            "warehouse_id",
            "line_no",
            "doc_no",
            "entry",
            "version",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("name_en")
    op.drop_table("warehouses")
