"""fee documents for tickets and maintenance visits; customers' travel zone and distance

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-01 00:00:00

A fee document (``fee_quotes``) is now a ticket's or a maintenance visit's (outside a
contract), numbered by the ticket's or the visit's number; fee lines belong to a
document (``doc_id``, unique with the line no.) and repeat its ticket or visit. Every
ticket with fee lines gets its document (a draft where it had no quote). Customers get
the rate card's travel zone and their distance in km. (A visit's statement names its
visit through its lines: ``settlements`` is not rebuilt, which SQLite would refuse under
the payments and fee lines that refer to it.)
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _fk(table: str, column: str, target: str, ondelete: str, batch) -> None:
    batch.create_foreign_key(
        op.f(f"fk_{table}_{column}_{target}"), target, [column], ["id"], ondelete=ondelete
    )


def upgrade() -> None:
    op.add_column("customers", sa.Column("travel_zone", sa.String(length=40), nullable=True))
    op.add_column(
        "customers", sa.Column("travel_km", sa.Numeric(precision=8, scale=1), nullable=True)
    )
    with op.batch_alter_table("fee_quotes", schema=None) as batch:
        batch.add_column(sa.Column("doc_no", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO fee_quotes (ticket_id, status, version, created_at, updated_at) "
        "SELECT DISTINCT f.ticket_id, 'draft', 1, t.created_at, t.created_at "
        "FROM fee_lines f JOIN tickets t ON t.id = f.ticket_id "
        "WHERE NOT EXISTS (SELECT 1 FROM fee_quotes q WHERE q.ticket_id = f.ticket_id)"
    )
    op.execute(
        "UPDATE fee_quotes SET doc_no = "
        "(SELECT t.ticket_no FROM tickets t WHERE t.id = fee_quotes.ticket_id)"
    )
    with op.batch_alter_table("fee_quotes", schema=None) as batch:
        batch.alter_column("doc_no", existing_type=sa.String(length=60), nullable=False)
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.create_unique_constraint(op.f("uq_fee_quotes_doc_no"), ["doc_no"])
        batch.create_unique_constraint(op.f("uq_fee_quotes_visit_id"), ["visit_id"])
        _fk("fee_quotes", "visit_id", "maintenance_visits", "CASCADE", batch)

    with op.batch_alter_table("fee_lines", schema=None) as batch:
        batch.add_column(sa.Column("doc_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("doc_no", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE fee_lines SET "
        "doc_id = (SELECT q.id FROM fee_quotes q WHERE q.ticket_id = fee_lines.ticket_id), "
        "doc_no = (SELECT t.ticket_no FROM tickets t WHERE t.id = fee_lines.ticket_id)"
    )
    with op.batch_alter_table("fee_lines", schema=None) as batch:
        batch.drop_constraint("uq_fee_lines_ticket_id", type_="unique")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=True)
        batch.create_unique_constraint(op.f("uq_fee_lines_doc_id"), ["doc_id", "line_no"])
        _fk("fee_lines", "doc_id", "fee_quotes", "CASCADE", batch)
        _fk("fee_lines", "visit_id", "maintenance_visits", "CASCADE", batch)
        batch.create_index(batch.f("ix_fee_lines_doc_id"), ["doc_id"], unique=False)
        batch.create_index(batch.f("ix_fee_lines_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM fee_lines WHERE ticket_id IS NULL")
    op.execute("DELETE FROM fee_quotes WHERE ticket_id IS NULL")
    with op.batch_alter_table("fee_lines", schema=None) as batch:
        batch.drop_index(batch.f("ix_fee_lines_visit_id"))
        batch.drop_index(batch.f("ix_fee_lines_doc_id"))
        batch.drop_constraint("fk_fee_lines_visit_id_maintenance_visits", type_="foreignkey")
        batch.drop_constraint("fk_fee_lines_doc_id_fee_quotes", type_="foreignkey")
        batch.drop_constraint("uq_fee_lines_doc_id", type_="unique")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_fee_lines_ticket_id", ["ticket_id", "line_no"])
        batch.drop_column("visit_id")
        batch.drop_column("doc_no")
        batch.drop_column("doc_id")
    with op.batch_alter_table("fee_quotes", schema=None) as batch:
        batch.drop_constraint("fk_fee_quotes_visit_id_maintenance_visits", type_="foreignkey")
        batch.drop_constraint("uq_fee_quotes_visit_id", type_="unique")
        batch.drop_constraint("uq_fee_quotes_doc_no", type_="unique")
        batch.alter_column("ticket_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("visit_id")
        batch.drop_column("doc_no")
    # no batch rebuild of customers: it would drop the search triggers (0014)
    op.drop_column("customers", "travel_km")
    op.drop_column("customers", "travel_zone")
