"""fees: a versioned rate card, fee lines with the coverage rule applied, quotes and
their confirmation, statements per ticket or per customer month, the payments ledger

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-01 00:20:00

The four fee tables of 0001 held demo data only: they are rebuilt in their new shape
(the rate card keyed by code and valid-from date; fee lines numbered per ticket; payments
numbered, with write-offs) and ``fee_quotes`` is new.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=14, scale=2)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    ]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    for name in ("payments", "fee_lines", "settlements", "rate_card"):
        op.drop_table(name)
    op.create_table(
        "rate_card",
        sa.Column("rate_key", sa.String(length=60), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=True),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("km_from", sa.Numeric(precision=8, scale=1), nullable=True),
        sa.Column("km_to", sa.Numeric(precision=8, scale=1), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("change_reason", sa.String(length=300), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_card")),
        sa.UniqueConstraint("rate_key", name=op.f("uq_rate_card_rate_key")),
        sa.UniqueConstraint("code", "valid_from", name=op.f("uq_rate_card_code")),
    )
    with op.batch_alter_table("rate_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_card_code"), ["code"], unique=False)
    op.create_table(
        "settlements",
        sa.Column("settlement_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("settled_by_id", sa.Integer(), nullable=True),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        *_stamps(),
        _fk("settlements", "customer_id", "customers", "RESTRICT"),
        _fk("settlements", "settled_by_id", "users", "SET NULL"),
        _fk("settlements", "ticket_id", "tickets", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("settlement_no", name=op.f("uq_settlements_settlement_no")),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlements_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_settlements_settled_at"), ["settled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_settlements_status"), ["status"], unique=False)
    op.create_table(
        "fee_quotes",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quoted_total", MONEY, nullable=True),
        sa.Column("quoted_by_id", sa.Integer(), nullable=True),
        sa.Column("quoted_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_via", sa.String(length=20), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        *_stamps(),
        _fk("fee_quotes", "quoted_by_id", "users", "SET NULL"),
        _fk("fee_quotes", "recorded_by_id", "users", "SET NULL"),
        _fk("fee_quotes", "ticket_id", "tickets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_quotes")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_fee_quotes_ticket_id")),
    )
    op.create_table(
        "fee_lines",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("rate_code", sa.String(length=40), nullable=True),
        sa.Column("part_id", sa.Integer(), nullable=True),
        sa.Column("part_no", sa.String(length=60), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("qty", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("unit_price", MONEY, nullable=True),
        sa.Column("list_amount", MONEY, nullable=False),
        sa.Column("rule", sa.String(length=20), nullable=True),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("discount", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("override_reason", sa.String(length=300), nullable=True),
        sa.Column("change_reason", sa.String(length=300), nullable=True),
        *_stamps(),
        _fk("fee_lines", "part_id", "parts", "RESTRICT"),
        _fk("fee_lines", "settlement_id", "settlements", "RESTRICT"),
        _fk("fee_lines", "ticket_id", "tickets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_lines")),
        sa.UniqueConstraint("ticket_id", "line_no", name=op.f("uq_fee_lines_ticket_id")),
    )
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fee_lines_settlement_id"), ["settlement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fee_lines_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column("payment_no", sa.String(length=60), nullable=False),
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        *_stamps(),
        _fk("payments", "settlement_id", "settlements", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("payment_no", name=op.f("uq_payments_payment_no")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_settlement_id"), ["settlement_id"], unique=False
        )


def downgrade() -> None:
    """Back to 0001's shape (empty: the fee data of this shape has nowhere to go)."""
    for name in ("payments", "fee_lines", "fee_quotes", "settlements", "rate_card"):
        op.drop_table(name)
    op.create_table(
        "rate_card",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("contract_discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_card")),
        sa.UniqueConstraint("code", name=op.f("uq_rate_card_code")),
    )
    op.create_table(
        "settlements",
        sa.Column("settlement_no", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("audited_by_id", sa.Integer(), nullable=True),
        sa.Column("audited_at", sa.DateTime(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        *_stamps(),
        _fk("settlements", "audited_by_id", "users", "SET NULL"),
        _fk("settlements", "customer_id", "customers", "RESTRICT"),
        _fk("settlements", "ticket_id", "tickets", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("settlement_no", name=op.f("uq_settlements_settlement_no")),
    )
    with op.batch_alter_table("settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_settlements_customer_id"), ["customer_id"], unique=False
        )
    op.create_table(
        "fee_lines",
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("settlement_id", sa.Integer(), nullable=True),
        sa.Column("rate_code", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("qty", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("waived", sa.Boolean(), nullable=False),
        *_stamps(),
        _fk("fee_lines", "settlement_id", "settlements", "SET NULL"),
        _fk("fee_lines", "ticket_id", "tickets", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_lines")),
    )
    with op.batch_alter_table("fee_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fee_lines_settlement_id"), ["settlement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fee_lines_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "payments",
        sa.Column("settlement_id", sa.Integer(), nullable=False),
        sa.Column("paid_at", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        *_stamps(),
        _fk("payments", "settlement_id", "settlements", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_settlement_id"), ["settlement_id"], unique=False
        )
