"""complaints handled until satisfied; follow-up calls, ratings and reviews

Revision ID: 0008
Revises: 0010
Create Date: 2026-12-01 00:00:47

Complaints get the engineer, product model and fault code they concern, a handling
group, the customer's confirmation and the CAPA verification; their actions become
numbered lines; a history table keeps the customer-informed log, rounds and
escalations. Follow-ups get outcome, attempts and next try, suggestions, a rating
comment and the ticket an issue opened; every rating is kept in ``followup_ratings``;
``satisfaction_reviews`` holds the periods that fell below the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "satisfaction_reviews",
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("satisfaction", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("threshold", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_satisfaction_reviews_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_reviews")),
        sa.UniqueConstraint("period_start", name=op.f("uq_satisfaction_reviews_period_start")),
    )
    op.create_table(
        "complaint_events",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("person", sa.String(length=100), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_complaint_events_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_events_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "followup_ratings",
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("engineer_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("quality", sa.Integer(), nullable=False),
        sa.Column("attitude", sa.Integer(), nullable=False),
        sa.Column("efficiency", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["users.id"],
            name=op.f("fk_followup_ratings_engineer_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["followup_id"],
            ["followups.id"],
            name=op.f("fk_followup_ratings_followup_id_followups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_followup_ratings_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_followup_ratings_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_ratings")),
    )
    with op.batch_alter_table("followup_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_followup_ratings_followup_id"), ["followup_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followup_ratings_rated_at"), ["rated_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_followup_ratings_ticket_id"), ["ticket_id"], unique=False
        )

    with op.batch_alter_table("complaint_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_no", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="open")
        )
    # existing actions: numbered by id (unique, so unique per complaint too)
    op.execute("UPDATE complaint_actions SET line_no = id")
    op.execute("UPDATE complaint_actions SET status = 'done' WHERE done_at IS NOT NULL")
    with op.batch_alter_table("complaint_actions", schema=None) as batch_op:
        batch_op.alter_column("line_no", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("status", existing_type=sa.String(length=20), server_default=None)
        batch_op.create_unique_constraint(
            batch_op.f("uq_complaint_actions_complaint_id"), ["complaint_id", "line_no"]
        )

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("engineer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("model_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("fault_code_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("handling_group", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("manager_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cause_category", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("confirm_channel", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("confirm_person", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("confirm_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("capa_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("capa_criterion", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("capa_verify_by", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("capa_verified_at", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("capa_verifier_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("capa_result", sa.Text(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_complaints_engineer_id"), ["engineer_id"], unique=False
        )
        batch_op.create_index(
            "ix_complaints_model_fault", ["model_id", "fault_code_id"], unique=False
        )
        batch_op.create_index(
            "ix_complaints_status_received_at", ["status", "received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_model_id_product_models"),
            "product_models",
            ["model_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_manager_id_users"),
            "users",
            ["manager_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_fault_code_id_fault_codes"),
            "fault_codes",
            ["fault_code_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_capa_verifier_id_users"),
            "users",
            ["capa_verifier_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_engineer_id_users"),
            "users",
            ["engineer_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("engineer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_try_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("suggestions", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("issue_ticket_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_followups_status_due_date", ["status", "due_date"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_followups_issue_ticket_id_tickets"),
            "tickets",
            ["issue_ticket_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_followups_engineer_id_users"),
            "users",
            ["engineer_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_followups_engineer_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_followups_issue_ticket_id_tickets"), type_="foreignkey"
        )
        batch_op.drop_index("ix_followups_status_due_date")
        batch_op.drop_column("issue_ticket_id")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("suggestions")
        batch_op.drop_column("next_try_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("outcome")
        batch_op.drop_column("engineer_id")

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_complaints_engineer_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_complaints_capa_verifier_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_complaints_fault_code_id_fault_codes"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_complaints_manager_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_complaints_model_id_product_models"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_complaints_ticket_id"))
        batch_op.drop_index("ix_complaints_status_received_at")
        batch_op.drop_index("ix_complaints_model_fault")
        batch_op.drop_index(batch_op.f("ix_complaints_engineer_id"))
        batch_op.drop_column("capa_result")
        batch_op.drop_column("capa_verifier_id")
        batch_op.drop_column("capa_verified_at")
        batch_op.drop_column("capa_verify_by")
        batch_op.drop_column("capa_criterion")
        batch_op.drop_column("capa_status")
        batch_op.drop_column("confirm_at")
        batch_op.drop_column("confirm_person")
        batch_op.drop_column("confirm_channel")
        batch_op.drop_column("cause_category")
        batch_op.drop_column("manager_id")
        batch_op.drop_column("handling_group")
        batch_op.drop_column("fault_code_id")
        batch_op.drop_column("model_id")
        batch_op.drop_column("engineer_id")

    with op.batch_alter_table("complaint_actions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_complaint_actions_complaint_id"), type_="unique")
        batch_op.drop_column("status")
        batch_op.drop_column("line_no")

    with op.batch_alter_table("followup_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followup_ratings_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_followup_ratings_rated_at"))
        batch_op.drop_index(batch_op.f("ix_followup_ratings_followup_id"))

    op.drop_table("followup_ratings")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_events_complaint_id"))

    op.drop_table("complaint_events")
    op.drop_table("satisfaction_reviews")
