"""training: course titles zh/en, pass mark, certificate validity, covered models;
session capacity and online link; attendee lines with kind, presence, scores,
feedback, result and certificate

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01 00:20:00

The training tables held demo data only; existing rows are carried over where the old
columns say the same thing (a course's name becomes its Chinese title, an attendee
marked attended is present, their score the test score; lines are numbered per session
in the order they were written). Results and certificates are derived by the app on the
next save of a line.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_course_models",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_course_models_course_id_training_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["product_models.id"],
            name=op.f("fk_training_course_models_model_id_product_models"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_course_models")),
        sa.UniqueConstraint(
            "course_id", "model_id", name=op.f("uq_training_course_models_course_id")
        ),
    )
    with op.batch_alter_table("training_course_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_course_models_model_id"), ["model_id"], unique=False
        )

    # ---- courses (other tables refer to it: altered in place, never rebuilt, so a
    # SQLite database with rows keeps its foreign keys satisfied)
    with op.batch_alter_table("training_courses", schema=None, recreate="never") as batch_op:
        batch_op.alter_column(
            "name",
            new_column_name="title_zh",
            existing_type=sa.String(length=200),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "pass_score",
            new_column_name="pass_mark",
            existing_type=sa.Numeric(precision=5, scale=1),
            existing_nullable=True,
        )
        batch_op.add_column(sa.Column("title_en", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("validity_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("models", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.execute(
        "UPDATE training_courses SET delivery = 'offline_seminar' WHERE delivery = 'classroom'"
    )
    op.execute("UPDATE training_courses SET audience = 'operators' WHERE audience = 'customer'")

    # ---- sessions
    # referred to by attendance (ON DELETE CASCADE): altered in place, never rebuilt
    with op.batch_alter_table("training_sessions", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("online_link", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_training_sessions_starts_at"), ["starts_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_sessions_trainer_id"), ["trainer_id"], unique=False
        )

    # ---- attendance
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_no", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("job", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("presence", sa.String(length=10), nullable=True))
        batch_op.add_column(
            sa.Column("test_score", sa.Numeric(precision=5, scale=1), nullable=True)
        )
        batch_op.add_column(sa.Column("practical", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("result", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("certificate_no", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("certificate_expires", sa.Date(), nullable=True))
    op.execute(
        "UPDATE training_attendance SET name = attendee_name, test_score = score, "
        "comment = feedback, "
        "presence = CASE WHEN attended THEN 'present' ELSE 'absent' END, "
        "kind = CASE WHEN user_id IS NOT NULL THEN 'staff' "
        "WHEN customer_id IS NOT NULL THEN 'contact' ELSE 'guest' END, "
        "line_no = (SELECT COUNT(*) FROM training_attendance AS earlier "
        "WHERE earlier.session_id = training_attendance.session_id "
        "AND earlier.id <= training_attendance.id)"
    )
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.alter_column("line_no", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("kind", existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column("name", existing_type=sa.String(length=100), nullable=False)
        batch_op.drop_constraint(batch_op.f("uq_training_attendance_session_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_training_attendance_session_id"), ["session_id", "line_no"]
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_certificate_expires"),
            ["certificate_expires"],
            unique=False,
        )
        batch_op.create_index(
            "ix_training_attendance_coverage",
            ["customer_id", "result", "session_id", "certificate_expires", "name", "presence"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_training_attendance_user_id"), ["user_id"], unique=False
        )
        batch_op.drop_column("assessment")
        batch_op.drop_column("completed")
        batch_op.drop_column("attended")
        batch_op.drop_column("feedback")
        batch_op.drop_column("attendee_name")
        batch_op.drop_column("score")


def downgrade() -> None:
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendee_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("attended", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("assessment", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("score", sa.Numeric(precision=5, scale=1), nullable=True))
        batch_op.add_column(sa.Column("completed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("feedback", sa.Text(), nullable=True))
    op.execute(
        "UPDATE training_attendance SET attendee_name = name, score = test_score, "
        "feedback = comment, attended = (presence IN ('present', 'late')), "
        "completed = (result = 'passed')"
    )
    op.execute("UPDATE training_attendance SET completed = false WHERE completed IS NULL")
    op.execute("UPDATE training_attendance SET attended = false WHERE attended IS NULL")
    with op.batch_alter_table("training_attendance", schema=None) as batch_op:
        batch_op.alter_column("attendee_name", existing_type=sa.String(length=100), nullable=False)
        batch_op.alter_column("attended", existing_type=sa.Boolean(), nullable=False)
        batch_op.alter_column("completed", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_training_attendance_user_id"))
        batch_op.drop_index("ix_training_attendance_coverage")
        batch_op.drop_index(batch_op.f("ix_training_attendance_certificate_expires"))
        batch_op.drop_constraint(batch_op.f("uq_training_attendance_session_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_training_attendance_session_id"), ["session_id", "attendee_name"]
        )
        for column in (
            "certificate_expires", "certificate_no", "result", "comment", "rating",
            "practical", "test_score", "presence", "job", "phone", "name", "kind", "line_no",
        ):  # fmt: skip
            batch_op.drop_column(column)
    # referred to by attendance (ON DELETE CASCADE): altered in place, never rebuilt
    with op.batch_alter_table("training_sessions", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_trainer_id"))
        batch_op.drop_index(batch_op.f("ix_training_sessions_starts_at"))
        batch_op.drop_column("capacity")
        batch_op.drop_column("online_link")
    with op.batch_alter_table("training_courses", schema=None, recreate="never") as batch_op:
        for column in ("active", "models", "validity_months", "title_en"):
            batch_op.drop_column(column)
        batch_op.alter_column(
            "pass_mark",
            new_column_name="pass_score",
            existing_type=sa.Numeric(precision=5, scale=1),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "title_zh",
            new_column_name="name",
            existing_type=sa.String(length=200),
            existing_nullable=False,
        )
    op.drop_table("training_course_models")
