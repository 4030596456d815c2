"""fault-code library, knowledge articles, scan-to-report tokens and the public request log

Revision ID: 0011
Revises: 0014
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
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # fault_codes is referred to by tickets and articles (ON DELETE SET NULL): a SQLite
    # batch rebuild (copy, drop, rename) would empty their fault codes, so on SQLite
    # they are kept aside and put back (the rebuild keeps the ids)
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in (
        sa.Column("models", sa.String(length=500), nullable=True),
        sa.Column("symptoms", sa.Text(), nullable=True),
        sa.Column("causes", sa.Text(), nullable=True),
        sa.Column("fix_steps", sa.Text(), nullable=True),
        sa.Column("parts", sa.String(length=500), nullable=True),
        sa.Column("labour_hours", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
    ):
        op.add_column("fault_codes", column)
    op.execute("UPDATE fault_codes SET symptoms = description")
    if sqlite:
        _keep_fault_codes(("tickets", "knowledge_articles"))
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_fault_codes_reviewed_by_id_users"),
            "users",
            ["reviewed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.drop_column("description")
    if sqlite:
        _restore_fault_codes(("tickets", "knowledge_articles"))

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
    sqlite = op.get_bind().dialect.name == "sqlite"  # see upgrade: keep fault codes aside
    if sqlite:
        _keep_fault_codes(("tickets",))
    with op.batch_alter_table("fault_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        if not sqlite:  # SQLite: the rebuild leaves the constraint out with its column
            batch_op.drop_constraint(
                batch_op.f("fk_fault_codes_reviewed_by_id_users"), type_="foreignkey"
            )
        for name in (
            "reviewed_by_id", "severity", "labour_hours", "parts", "fix_steps", "causes",
            "symptoms", "models",
        ):
            batch_op.drop_column(name)
    if sqlite:
        _restore_fault_codes(("tickets",))
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fault_code_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_knowledge_articles_fault_code_id_fault_codes"),
            "fault_codes",
            ["fault_code_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        "UPDATE knowledge_articles SET fault_code_id = (SELECT id FROM fault_codes "
        "WHERE fault_codes.code = knowledge_articles.fault_codes)"
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
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


def _keep_fault_codes(tables: tuple[str, ...]) -> None:
    for table in tables:
        op.execute(
            f"CREATE TEMP TABLE _keep_{table} AS "
            f"SELECT id, fault_code_id FROM {table} WHERE fault_code_id IS NOT NULL"
        )


def _restore_fault_codes(tables: tuple[str, ...]) -> None:
    for table in tables:
        op.execute(
            f"UPDATE {table} SET fault_code_id = (SELECT k.fault_code_id FROM _keep_{table} k "
            f"WHERE k.id = {table}.id) WHERE id IN (SELECT id FROM _keep_{table})"
        )
        op.execute(f"DROP TABLE _keep_{table}")
