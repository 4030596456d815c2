"""preventive maintenance: checklist templates per package, plan scheduling, visit
states, arrival/departure, skip, upgrade fields, checklist results

Revision ID: 0007
Revises: 0009
Create Date: 2026-12-01 00:20:00

``checklist_items`` becomes the packages' checklist templates (it held per-plan demo
rows only, so it is rebuilt). Plans refer to ``maintenance_packages`` instead of a
package text. Visits get a natural key (``visit_no``) and keep the schedule's own date
(``planned_date``) beside the due date, unique per plan: generation matches by it, so a
visit moved by hand is never generated again. Existing visits get ``V<id>`` and their
due date; the old ``missed`` state becomes ``skipped`` (reason ``other``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checklist_items_plan_id"))
    op.drop_table("checklist_items")
    op.create_table(
        "checklist_items",
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("standard", sa.String(length=300), nullable=True),
        sa.Column("result_kind", sa.String(length=20), nullable=False),
        sa.Column("lower", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("upper", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["maintenance_packages.id"],
            name=op.f("fk_checklist_items_package_id_maintenance_packages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
        sa.UniqueConstraint("package_id", "seq", name=op.f("uq_checklist_items_package_id")),
    )

    with op.batch_alter_table("maintenance_plans", schema=None) as batch_op:
        batch_op.drop_column("package")
        batch_op.add_column(sa.Column("package_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("every_n", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("mode", sa.String(length=20), nullable=False, server_default="fixed")
        )
        batch_op.add_column(
            sa.Column(
                "no_contract_confirmed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.create_index(batch_op.f("ix_maintenance_plans_package_id"), ["package_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_maintenance_plans_package_id_maintenance_packages"),
            "maintenance_packages",
            ["package_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("maintenance_visits", schema=None) as batch_op:
        batch_op.drop_constraint("uq_maintenance_visits_plan_id", type_="unique")
        batch_op.add_column(sa.Column("visit_no", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="inspection")
        )
        batch_op.add_column(sa.Column("planned_date", sa.Date(), nullable=True))
        for name in ("arrived_at", "departed_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("skip_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("skipped_by_id", sa.Integer(), nullable=True))
        for name in ("skip_approved", "backup_done"):
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )
        batch_op.add_column(sa.Column("customer_rep", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("accepted", sa.Boolean(), nullable=True))
        for name in ("version_from", "version_to"):
            batch_op.add_column(sa.Column(name, sa.String(length=60), nullable=True))
        for name in ("risk_notes", "rollback_note", "note"):
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_maintenance_visits_skipped_by_id_users"),
            "users",
            ["skipped_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_maintenance_visits_engineer_id"), ["engineer_id"])

    op.execute(
        "UPDATE maintenance_visits SET visit_no = 'V' || CAST(id AS VARCHAR(20)), "
        "planned_date = due_date"
    )
    op.execute(
        "UPDATE maintenance_visits SET status = 'skipped', skip_reason = 'other' "
        "WHERE status = 'missed'"
    )
    with op.batch_alter_table("maintenance_visits", schema=None) as batch_op:
        batch_op.alter_column("visit_no", existing_type=sa.String(length=60), nullable=False)
        batch_op.alter_column("planned_date", existing_type=sa.Date(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_maintenance_visits_visit_no"), ["visit_no"]
        )
        batch_op.create_unique_constraint(
            "uq_maintenance_visits_plan_planned", ["plan_id", "planned_date"]
        )
        batch_op.create_index("ix_maintenance_visits_status_due", ["status", "due_date"])
        batch_op.create_index(
            "ix_maintenance_visits_plan_status_due", ["plan_id", "status", "due_date"]
        )

    op.create_table(
        "visit_results",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("standard", sa.String(length=300), nullable=True),
        sa.Column("result_kind", sa.String(length=20), nullable=False),
        sa.Column("lower", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("upper", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("measured", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("observation", sa.String(length=300), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["maintenance_visits.id"],
            name=op.f("fk_visit_results_visit_id_maintenance_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_results")),
        sa.UniqueConstraint("visit_id", "line_no", name=op.f("uq_visit_results_visit_id")),
    )


def downgrade() -> None:
    op.drop_table("visit_results")
    with op.batch_alter_table("maintenance_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenance_visits_plan_status_due")
        batch_op.drop_index("ix_maintenance_visits_status_due")
        batch_op.drop_constraint("uq_maintenance_visits_plan_planned", type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_maintenance_visits_visit_no"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_maintenance_visits_engineer_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_maintenance_visits_skipped_by_id_users"), type_="foreignkey"
        )
        for name in (
            "visit_no", "kind", "planned_date", "arrived_at", "departed_at", "skip_reason",
            "skipped_by_id", "skip_approved", "backup_done", "customer_rep", "accepted",
            "version_from", "version_to", "risk_notes", "rollback_note", "note",
        ):  # fmt: skip
            batch_op.drop_column(name)
        batch_op.create_unique_constraint("uq_maintenance_visits_plan_id", ["plan_id", "due_date"])
    with op.batch_alter_table("maintenance_plans", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_maintenance_plans_package_id_maintenance_packages"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_maintenance_plans_package_id"))
        for name in ("package_id", "every_n", "mode", "no_contract_confirmed"):
            batch_op.drop_column(name)
        batch_op.add_column(
            sa.Column("package", sa.String(length=20), nullable=False, server_default="basic")
        )
    op.drop_table("checklist_items")
    op.create_table(
        "checklist_items",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("standard", sa.String(length=300), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["maintenance_plans.id"],
            name=op.f("fk_checklist_items_plan_id_maintenance_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_items")),
    )
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checklist_items_plan_id"), ["plan_id"])
