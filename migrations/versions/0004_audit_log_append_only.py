"""audit_log is append-only: triggers refuse UPDATE and DELETE (inserts stay allowed)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 22:00:00

The database enforces it, so no code path (nor a stray SQL console) can rewrite
history. PostgreSQL's TRUNCATE fires no row trigger: wiping a whole database (a
restore over it, the test fixtures) still works there. SQLite has no TRUNCATE: code
that clears a whole SQLite database first drops the two triggers in the same
transaction and recreates them (``data_access.audit.cleared``).

A later migration that rebuilds audit_log in SQLite batch mode (copy and rename)
loses the two triggers and must create them again; tests/data_access/test_audit.py
fails if it does not.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_log is append-only"

SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_log_no_{op_name.lower()} BEFORE {op_name} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for op_name in ("UPDATE", "DELETE")
)

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
END
$$
"""

POSTGRES_TRIGGER = (
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
        return
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
