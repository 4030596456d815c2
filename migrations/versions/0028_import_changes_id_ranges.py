"""import journal rows for a range of inserted ids

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01 00:00:00

- ``import_changes.row_id_last``: an import's inserts on SQLite take consecutive ids,
  so one journal row names a chunk's whole range (``row_id`` … ``row_id_last``) instead
  of one row per inserted row (100,000 ledger rows: 100,000 journal rows became 6).
  Existing rows keep NULL: one row each, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("row_id_last", sa.Integer(), nullable=True))


def downgrade() -> None:
    # a range row becomes one row per id again, then the column goes
    conn = op.get_bind()
    ranges = conn.execute(
        sa.text(
            "SELECT id, batch_id, table_name, row_id, row_id_last, action, created_at "
            "FROM import_changes WHERE row_id_last IS NOT NULL"
        )
    ).all()
    for rid, batch, table, first, last, action, created in ranges:
        conn.execute(
            sa.text(
                "INSERT INTO import_changes (batch_id, table_name, row_id, action, created_at) "
                "VALUES (:b, :t, :r, :a, :c)"
            ),
            [
                {"b": batch, "t": table, "r": i, "a": action, "c": created}
                for i in range(first + 1, last + 1)
            ],
        )
        conn.execute(sa.text("UPDATE import_changes SET row_id_last = NULL WHERE id = :i"), {"i": rid})
    with op.batch_alter_table("import_changes", schema=None) as batch_op:
        batch_op.drop_column("row_id_last")
