"""fault-code library, knowledge articles, scan-to-report tokens and the public request log

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-01 00:30:00

The skeleton ``fault_codes`` and ``knowledge_articles`` tables of 0001 held demo data
only: fault codes gain models, symptoms, causes, fix steps, parts, labour hours,
severity and their reviewer (``description`` goes: symptoms and causes say it);
articles become bilingual (``title``/``body`` → ``title_zh``/``body_zh``), name their
models, fault codes (text, several), tags, owner, status and the ticket they came from.
``device_tokens`` carries each device's scan-to-report link; ``public_requests`` logs
every public request for the rate limits and duplicate folding.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("models", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("symptoms", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("causes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("fix_steps", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("parts", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("labour_hours", sa.Numeric(precision=8, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("severity", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_fault_codes_reviewed_by_id_users"),
            "users",
            ["reviewed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute("UPDATE fault_codes SET symptoms = description")
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.drop_column("description")

    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.alter_column(
            "title", new_column_name="title_zh", existing_type=sa.String(length=300)
        )
        batch_op.alter_column("body", new_column_name="body_zh", existing_type=sa.Text())
        batch_op.add_column(sa.Column("title_en", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("body_en", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("models", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("fault_codes", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="draft")
        )
        batch_op.add_column(sa.Column("source_ticket_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_knowledge_articles_owner_id_users"),
            "users",
            ["owner_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_knowledge_articles_source_ticket_id_tickets"),
            "tickets",
            ["source_ticket_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        "UPDATE knowledge_articles SET fault_codes = "
        "(SELECT code FROM fault_codes WHERE fault_codes.id = knowledge_articles.fault_code_id)"
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_knowledge_articles_fault_code_id_fault_codes"), type_="foreignkey"
        )
        batch_op.drop_column("fault_code_id")

    op.create_table(
        "device_tokens",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_device_tokens_device_id_devices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("device_id", name=op.f("uq_device_tokens_device_id")),
        sa.UniqueConstraint("token", name=op.f("uq_device_tokens_token")),
    )
    op.create_table(
        "public_requests",
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("photo", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_public_requests_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_requests")),
    )
    with op.batch_alter_table("public_requests", schema=None) as batch_op:
        batch_op.create_index("ix_public_requests_client_at", ["client", "at"], unique=False)
        batch_op.create_index("ix_public_requests_token_at", ["token", "at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_public_requests_fingerprint"), ["fingerprint"], unique=False
        )


def downgrade() -> None:
    op.drop_table("public_requests")
    op.drop_table("device_tokens")
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fault_code_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_knowledge_articles_fault_code_id_fault_codes"),
            "fault_codes",
            ["fault_code_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_knowledge_articles_source_ticket_id_tickets"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_knowledge_articles_owner_id_users"), type_="foreignkey"
        )
        for name in ("source_ticket_id", "status", "owner_id", "tags", "fault_codes", "models"):
            batch_op.drop_column(name)
        batch_op.drop_column("body_en")
        batch_op.drop_column("title_en")
        batch_op.alter_column("body_zh", new_column_name="body", existing_type=sa.Text())
        batch_op.alter_column(
            "title_zh", new_column_name="title", existing_type=sa.String(length=300)
        )
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("fk_fault_codes_reviewed_by_id_users"), type_="foreignkey"
        )
        for name in (
            "reviewed_by_id", "severity", "labour_hours", "parts", "fix_steps", "causes",
            "symptoms", "models",
        ):
            batch_op.drop_column(name)
