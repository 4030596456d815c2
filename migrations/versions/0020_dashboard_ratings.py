"""dashboard rollup of the ratings: CSAT and the share satisfied from dashboard_daily

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-13 00:00:00

- ``followup_ratings.superseded``: a later rating (higher id) of the same ticket exists.
  Kept by triggers on every write path (a rating inserted, deleted or moved to another
  ticket recomputes its ticket's ratings); a partial index finds a period's superseded
  ratings (few).
- ``dashboard_daily.ratings`` / ``rating_score`` / ``ratings_satisfied``: per day rated
  and the ticket's breakdown values, the sums of the ratings not superseded. A period's
  latest rating per ticket is then those rows plus the period's superseded ratings that
  have no later rating within the period (computed live).
- More dirty marks: a rating written marks its day and its ticket's other ratings' days;
  a ticket whose breakdown values change (customer, device, engineer, service type,
  channel) or that is deleted marks its ratings' days; a customer's or device's change
  marks the days of their tickets' ratings (read from the log by
  ``data_access.dashboard_rollup.dirty_days``). PostgreSQL: a TRUNCATE of the ratings
  resets the rollup as the other source tables do.

Nothing is rebuilt by ``batch_alter_table`` (plain ``add_column``). The rollup of the
existing tickets is built by 0026 (its key-part columns are filled by today's rollup code,
which building it here would run before they exist).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the ticket columns a rating's breakdown values come from
TICKET_DIMS = ("customer_id", "device_id", "engineer_id", "service_type", "channel")


def _sqlite_rerate(ticket: str) -> str:
    """Recompute the superseded flags of ``ticket``'s ratings and mark their days."""
    return (
        "UPDATE followup_ratings SET superseded = (id < (SELECT max(r.id) FROM "
        f"followup_ratings r WHERE r.ticket_id = {ticket})) WHERE ticket_id = {ticket}; "
        "INSERT INTO dashboard_dirty(day) SELECT DISTINCT date(rated_at) FROM "
        f"followup_ratings WHERE ticket_id = {ticket}; "
    )


_SQLITE = [
    "CREATE TRIGGER dashboard_ratings_ai AFTER INSERT ON followup_ratings "
    f"WHEN new.ticket_id IS NOT NULL BEGIN {_sqlite_rerate('new.ticket_id')}END",
    "CREATE TRIGGER dashboard_ratings_ad AFTER DELETE ON followup_ratings "
    "WHEN old.ticket_id IS NOT NULL BEGIN "
    "INSERT INTO dashboard_dirty(day) VALUES (date(old.rated_at)); "
    f"{_sqlite_rerate('old.ticket_id')}END",
    "CREATE TRIGGER dashboard_ratings_au AFTER UPDATE OF ticket_id, rated_at, score "
    "ON followup_ratings BEGIN "
    "INSERT INTO dashboard_dirty(day) SELECT date(old.rated_at) "
    "WHERE old.ticket_id IS NOT NULL; "
    f"{_sqlite_rerate('old.ticket_id')}{_sqlite_rerate('new.ticket_id')}END",
    f"CREATE TRIGGER dashboard_tickets_ratings_au AFTER UPDATE OF {', '.join(TICKET_DIMS)} "
    "ON tickets BEGIN INSERT INTO dashboard_dirty(day) SELECT DISTINCT date(rated_at) "
    "FROM followup_ratings WHERE ticket_id = new.id; END",
    "CREATE TRIGGER dashboard_tickets_ratings_bd BEFORE DELETE ON tickets BEGIN "
    "INSERT INTO dashboard_dirty(day) SELECT DISTINCT date(rated_at) "
    "FROM followup_ratings WHERE ticket_id = old.id; END",
]
_SQLITE_NAMES = ("dashboard_ratings_ai", "dashboard_ratings_ad", "dashboard_ratings_au",
                 "dashboard_tickets_ratings_au", "dashboard_tickets_ratings_bd")  # fmt: skip

_RESET = """CREATE OR REPLACE FUNCTION dashboard_rollup_reset() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dashboard_daily;
  INSERT INTO dashboard_dirty(day) SELECT DISTINCT received_at::date FROM tickets;
{ratings}  -- an empty rollup holds for any first-time-fix window (a truncated state row too);
  -- 7 is the default, a refresh rebuilds under another
  INSERT INTO dashboard_rollup_state(id, ftf_repeat_days)
    SELECT 1, 7 WHERE NOT EXISTS (SELECT 1 FROM dashboard_rollup_state);
  RETURN NULL;
END $$"""
_RESET_RATINGS = (
    "  INSERT INTO dashboard_dirty(day) SELECT DISTINCT rated_at::date FROM followup_ratings;\n"
)

_PG = [
    """CREATE FUNCTION dashboard_rerate(t_id integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE followup_ratings SET superseded = (id < (SELECT max(r.id) FROM followup_ratings r
                                                  WHERE r.ticket_id = t_id))
    WHERE ticket_id = t_id;
  INSERT INTO dashboard_dirty(day)
    SELECT DISTINCT rated_at::date FROM followup_ratings WHERE ticket_id = t_id;
END $$""",
    """CREATE FUNCTION dashboard_mark_rating() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.ticket_id IS NOT NULL THEN
    INSERT INTO dashboard_dirty(day) VALUES (OLD.rated_at::date);
    PERFORM dashboard_rerate(OLD.ticket_id);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.ticket_id IS NOT NULL THEN
    PERFORM dashboard_rerate(NEW.ticket_id);
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER dashboard_ratings_mark AFTER INSERT OR DELETE OR UPDATE OF "
    "ticket_id, rated_at, score ON followup_ratings FOR EACH ROW "
    "EXECUTE FUNCTION dashboard_mark_rating()",
    """CREATE FUNCTION dashboard_mark_ticket_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dashboard_dirty(day)
    SELECT DISTINCT rated_at::date FROM followup_ratings WHERE ticket_id = OLD.id;
  RETURN OLD;  -- BEFORE DELETE: go on with the delete
END $$""",
    f"CREATE TRIGGER dashboard_tickets_ratings_au AFTER UPDATE OF {', '.join(TICKET_DIMS)} "
    "ON tickets FOR EACH ROW EXECUTE FUNCTION dashboard_mark_ticket_ratings()",
    "CREATE TRIGGER dashboard_tickets_ratings_bd BEFORE DELETE ON tickets "
    "FOR EACH ROW EXECUTE FUNCTION dashboard_mark_ticket_ratings()",
    _RESET.format(ratings=_RESET_RATINGS),
    "CREATE TRIGGER dashboard_followup_ratings_truncate AFTER TRUNCATE ON followup_ratings "
    "FOR EACH STATEMENT EXECUTE FUNCTION dashboard_rollup_reset()",
]


def upgrade() -> None:
    op.add_column(
        "followup_ratings",
        sa.Column("superseded", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    for name in ("ratings", "ratings_satisfied"):
        op.add_column(
            "dashboard_daily", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
    op.add_column("dashboard_daily", sa.Column("rating_score", sa.Float(), nullable=True))
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    op.execute(
        f"UPDATE followup_ratings SET superseded = {'true' if pg else '1'} "
        "WHERE ticket_id IS NOT NULL AND EXISTS (SELECT 1 FROM followup_ratings r "
        "WHERE r.ticket_id = followup_ratings.ticket_id AND r.id > followup_ratings.id)"
    )
    op.create_index(
        "ix_followup_ratings_superseded",
        "followup_ratings",
        ["rated_at"],
        sqlite_where=sa.text("superseded = 1"),
        postgresql_where=sa.text("superseded"),
    )
    for statement in _PG if pg else _SQLITE:
        op.execute(statement)
    # the rollup is rebuilt by 0026


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dashboard_followup_ratings_truncate ON followup_ratings")
        op.execute("DROP TRIGGER IF EXISTS dashboard_ratings_mark ON followup_ratings")
        op.execute("DROP TRIGGER IF EXISTS dashboard_tickets_ratings_au ON tickets")
        op.execute("DROP TRIGGER IF EXISTS dashboard_tickets_ratings_bd ON tickets")
        for name in ("dashboard_mark_rating()", "dashboard_mark_ticket_ratings()",
                     "dashboard_rerate(integer)"):  # fmt: skip
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
        op.execute(_RESET.format(ratings=""))
    else:
        for name in _SQLITE_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_followup_ratings_superseded", table_name="followup_ratings")
    with op.batch_alter_table("dashboard_daily", schema=None) as batch_op:
        for name in ("rating_score", "ratings_satisfied", "ratings"):
            batch_op.drop_column(name)
    with op.batch_alter_table("followup_ratings", schema=None) as batch_op:
        batch_op.drop_column("superseded")
