"""substring search that answers at a million rows: SQLite FTS5 (trigram), PostgreSQL pg_trgm

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-01 00:30:00

Chinese has no spaces, so words are no use: both indexes work on trigrams (any three
characters), which serve ``%fragment%`` searches of three characters or more.

SQLite: one FTS5 table per searched table (``search_<table>``), external content (the
text is not stored twice), kept in step by triggers — every write path, the import, the
grid, an undo and a restore alike. PostgreSQL: a GIN trigram index on the searched
columns joined by a newline (a fragment from one search box holds none, so no hit
spans two columns); the query repeats the same expression (``data_access.search``).

The column lists below are this migration's; a later migration that searches more
columns replaces the index and the triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCHED = {
    "tickets": ("ticket_no", "serial_no", "contact_name", "contact_phone", "fault_description"),
    "customers": ("code", "name", "contact_name", "phone"),
    "devices": ("serial_no", "location"),
}


def _pg_expression(columns: Sequence[str]) -> str:
    return " || E'\\n' || ".join(f"coalesce({c}, '')" for c in columns)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # one extension per database, whatever the schema; a lock so that two
        # migrations at once (app instances, test workers) do not both create it
        op.execute("SELECT pg_advisory_xact_lock(7216001)")
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
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
