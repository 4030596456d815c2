"""dashboard rollup of the key parts: the key-parts-within-72-h figure from dashboard_daily

Revision ID: 0026
Revises: 0020
Create Date: 2026-12-14 00:00:00

- ``dashboard_daily.key_parts_72h__d`` / ``key_parts_72h__n``: per day of the ticket's
  receipt and its breakdown values, the key-part lines and those issued from stock
  within 72 h of being asked for (``data_access.dashboard_rollup``).
- More dirty marks, on every write path: a ticket line added, deleted or changed (its
  ticket, part or issue) marks its ticket's day; a part whose key flag changes marks
  the days of the tickets with its lines; an issue changed or deleted marks the days of
  the tickets whose lines it served. PostgreSQL: a TRUNCATE of these tables resets the
  rollup as the other source tables do.
- ``ix_ticket_parts_part_id`` and ``ix_ticket_parts_movement_id``: those marks find the
  lines of a part or an issue with one seek (and a deleted issue's ``SET NULL`` too).

The rollup is rebuilt by 0027 (neither 0020 nor this one builds it: the rollup code is
today's, which fills 0027's column too).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("key_parts_72h__d", "key_parts_72h__n")
LINE_COLUMNS = ("ticket_id", "part_id", "movement_id")
MOVEMENT_COLUMNS = ("at", "qty", "requested_at")


def _sqlite_mark(where: str) -> str:
    """Mark the days of receipt of the tickets whose lines ``where`` selects."""
    return (
        "INSERT INTO dashboard_dirty(day) SELECT DISTINCT date(t.received_at) "
        f"FROM ticket_parts tp JOIN tickets t ON t.id = tp.ticket_id WHERE {where}; "
    )


_SQLITE = [
    "CREATE TRIGGER dashboard_ticket_parts_ai AFTER INSERT ON ticket_parts BEGIN "
    "INSERT INTO dashboard_dirty(day) SELECT date(received_at) FROM tickets "
    "WHERE id = new.ticket_id; END",
    "CREATE TRIGGER dashboard_ticket_parts_ad AFTER DELETE ON ticket_parts BEGIN "
    "INSERT INTO dashboard_dirty(day) SELECT date(received_at) FROM tickets "
    "WHERE id = old.ticket_id; END",
    f"CREATE TRIGGER dashboard_ticket_parts_au AFTER UPDATE OF {', '.join(LINE_COLUMNS)} "
    "ON ticket_parts BEGIN "
    "INSERT INTO dashboard_dirty(day) SELECT date(received_at) FROM tickets "
    "WHERE id IN (old.ticket_id, new.ticket_id); END",
    "CREATE TRIGGER dashboard_parts_au AFTER UPDATE OF is_key ON parts "
    f"WHEN old.is_key IS NOT new.is_key BEGIN {_sqlite_mark('tp.part_id = new.id')}END",
    f"CREATE TRIGGER dashboard_movements_au AFTER UPDATE OF {', '.join(MOVEMENT_COLUMNS)} "
    f"ON stock_movements BEGIN {_sqlite_mark('tp.movement_id = new.id')}END",
    # before: the lines still name the issue (the foreign key sets them NULL)
    "CREATE TRIGGER dashboard_movements_bd BEFORE DELETE ON stock_movements BEGIN "
    f"{_sqlite_mark('tp.movement_id = old.id')}END",
]
_SQLITE_NAMES = ("dashboard_ticket_parts_ai", "dashboard_ticket_parts_ad",
                 "dashboard_ticket_parts_au", "dashboard_parts_au", "dashboard_movements_au",
                 "dashboard_movements_bd")  # fmt: skip


def _pg_mark(where: str) -> str:
    return (
        "  INSERT INTO dashboard_dirty(day) SELECT DISTINCT t.received_at::date\n"
        f"    FROM ticket_parts tp JOIN tickets t ON t.id = tp.ticket_id WHERE {where};\n"
    )


_PG = [
    """CREATE FUNCTION dashboard_mark_ticket_part() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO dashboard_dirty(day)
      SELECT received_at::date FROM tickets WHERE id = OLD.ticket_id;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO dashboard_dirty(day)
      SELECT received_at::date FROM tickets WHERE id = NEW.ticket_id;
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER dashboard_ticket_parts_mark AFTER INSERT OR DELETE OR UPDATE OF "
    f"{', '.join(LINE_COLUMNS)} ON ticket_parts FOR EACH ROW "
    "EXECUTE FUNCTION dashboard_mark_ticket_part()",
    f"""CREATE FUNCTION dashboard_mark_part() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.is_key IS DISTINCT FROM NEW.is_key THEN
{_pg_mark("tp.part_id = NEW.id")}  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER dashboard_parts_mark AFTER UPDATE OF is_key ON parts "
    "FOR EACH ROW EXECUTE FUNCTION dashboard_mark_part()",
    f"""CREATE FUNCTION dashboard_mark_movement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{_pg_mark("tp.movement_id = OLD.id")}  IF TG_OP = 'DELETE' THEN
    RETURN OLD;  -- BEFORE: go on with the delete
  END IF;
  RETURN NEW;  -- and with the update as asked
END $$""",
    # before: the lines still name the issue (the foreign key sets them NULL)
    f"CREATE TRIGGER dashboard_movements_mark BEFORE DELETE OR UPDATE OF "
    f"{', '.join(MOVEMENT_COLUMNS)} ON stock_movements FOR EACH ROW "
    "EXECUTE FUNCTION dashboard_mark_movement()",
    *(
        f"CREATE TRIGGER dashboard_{t}_truncate AFTER TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION dashboard_rollup_reset()"
        for t in ("ticket_parts", "parts", "stock_movements")
    ),
]
_PG_FUNCTIONS = ("dashboard_mark_ticket_part", "dashboard_mark_part",
                 "dashboard_mark_movement")  # fmt: skip


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column(
            "dashboard_daily", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
    op.create_index("ix_ticket_parts_part_id", "ticket_parts", ["part_id"])
    op.create_index("ix_ticket_parts_movement_id", "ticket_parts", ["movement_id"])
    bind = op.get_bind()
    for statement in _PG if bind.dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for t in ("ticket_parts", "parts", "stock_movements"):
            op.execute(f"DROP TRIGGER IF EXISTS dashboard_{t}_truncate ON {t}")
        op.execute("DROP TRIGGER IF EXISTS dashboard_ticket_parts_mark ON ticket_parts")
        op.execute("DROP TRIGGER IF EXISTS dashboard_parts_mark ON parts")
        op.execute("DROP TRIGGER IF EXISTS dashboard_movements_mark ON stock_movements")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in _SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_ticket_parts_movement_id", table_name="ticket_parts")
    op.drop_index("ix_ticket_parts_part_id", table_name="ticket_parts")
    with op.batch_alter_table("dashboard_daily", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
