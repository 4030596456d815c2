"""the search index covers parts and complaints too (as 0014 made it for tickets,
customers and devices)

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01 01:45:00

Same shape: an FTS5 table with triggers on SQLite, a GIN trigram index on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = {
    "parts": ("part_no", "name", "name_en", "spec", "compatible_models"),
    "complaints": ("complaint_no", "complainant", "contact", "content"),
}


def _pg_expression(columns: Sequence[str]) -> str:
    return " || E'\\n' || ".join(f"coalesce({c}, '')" for c in columns)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # the extension is there since 0014
        schema = op.get_bind().exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        ).scalar_one()
        for table, columns in SEARCHED.items():
            op.execute(
                f"CREATE INDEX ix_{table}_search ON {table} "
                f'USING gin (({_pg_expression(columns)}) "{schema}".gin_trgm_ops)'
            )
        return
    for table, columns in SEARCHED.items():
        fts = f"search_{table}"
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        op.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
        )
        op.execute(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN "
            f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"
        )
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
        return
    for table in SEARCHED:
        fts = f"search_{table}"
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {fts}")
