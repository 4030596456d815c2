"""a digit fragment of a ticket's number answered from an index of its own; devices by
customer and model for the training coverage

Revision ID: 0024
Revises: 0019
Create Date: 2026-12-01 06:30:00

The trigram index of 0014 holds the tickets' numbers (ticket no., serial, contact
phone) beside their text. Digits have only a thousand trigrams, and "000", "202" … are
in every ticket's number: a rare fragment of digits walked postings as long as the
table. Tickets' numbers now have an index of their own, in three parts:

- the text trigram index (``search_tickets`` / ``ix_tickets_search``) keeps only the
  contact name and the fault description, where digit trigrams are rare;
- a trigram index over the numbers alone (``search_ticket_numbers`` /
  ``ix_tickets_numbers_search``), exact for any fragment of three characters or more;
- the numbers' five-character grams (``search_ticket_grams``, contentless, rowids
  only / ``ix_tickets_grams_search``, a GIN index of a text array): a number-like
  fragment (letters, digits, "-") of five or more asks for the rows holding each of
  its grams (a hundred thousand digit grams instead of a thousand, and no positions), and
  the rows found are checked against the numbers themselves.

``devices (customer_id, model_id)``: the training coverage groups the devices by
customer and model; with this index it reads the index alone, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = ("contact_name", "fault_description")
NUMBERS = ("ticket_no", "serial_no", "contact_phone")
ALL = ("ticket_no", "serial_no", "contact_name", "contact_phone", "fault_description")  # 0014
NUMBER_LENGTH = {"ticket_no": 40, "serial_no": 80, "contact_phone": 40}  # the columns' sizes
GRAM = 5


def _pg_expression(columns: Sequence[str]) -> str:
    return " || E'\\n' || ".join(f"coalesce({c}, '')" for c in columns)


def sqlite_grams(row: str) -> str:
    """SQL for the five-character grams of ``row``'s numbers, separated by spaces (the
    triggers cannot loop: one ``substr`` per position up to the column's size; past a
    number's end they give its last four, three, two, one characters and then nothing)."""
    parts = []
    for c in NUMBERS:
        value = f"coalesce({row}.{c}, '')" if row else f"coalesce({c}, '')"
        parts += [f"substr({value}, {k}, {GRAM})" for k in range(1, NUMBER_LENGTH[c] - GRAM + 2)]
    return " || ' ' || ".join(parts)


# the PostgreSQL function the gram index and the queries share (IMMUTABLE: an index
# expression); lower case, as ILIKE compares
PG_GRAMS = f"""
CREATE OR REPLACE FUNCTION search_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, {GRAM})), '{{}}')
  FROM generate_series(1, length(value) - {GRAM - 1}) AS i
$$
"""


def _fts(name: str, columns: Sequence[str]) -> None:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='tickets', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON tickets BEGIN "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON tickets BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON tickets BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")


def _drop_fts(name: str) -> None:
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {name}")


def _trgm_schema() -> str:
    """The schema pg_trgm lives in (its operator classes are named with it)."""
    return (
        op.get_bind()
        .exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
        .scalar_one()
    )


def upgrade() -> None:
    op.create_index("ix_devices_customer_model", "devices", ["customer_id", "model_id"])
    if op.get_bind().dialect.name == "postgresql":
        schema = _trgm_schema()
        ops = f'"{schema}".gin_trgm_ops'
        op.execute(PG_GRAMS)
        op.execute("DROP INDEX IF EXISTS ix_tickets_search")
        op.execute(
            f"CREATE INDEX ix_tickets_search ON tickets USING gin (({_pg_expression(TEXT)}) {ops})"
        )
        op.execute(
            f"CREATE INDEX ix_tickets_numbers_search ON tickets "
            f"USING gin (({_pg_expression(NUMBERS)}) {ops})"
        )
        op.execute(
            f"CREATE INDEX ix_tickets_grams_search ON tickets "
            f"USING gin (search_grams({_pg_expression(NUMBERS)}))"
        )
        return
    _drop_fts("search_tickets")
    _fts("search_tickets", TEXT)
    _fts("search_ticket_numbers", NUMBERS)
    cols = ", ".join(NUMBERS)
    op.execute(
        "CREATE VIRTUAL TABLE search_ticket_grams USING fts5(grams, content='', detail=none, "
        "tokenize='unicode61 remove_diacritics 0 tokenchars ''-''')"
    )
    op.execute(
        "CREATE TRIGGER search_ticket_grams_ai AFTER INSERT ON tickets BEGIN "
        f"INSERT INTO search_ticket_grams(rowid, grams) VALUES (new.id, {sqlite_grams('new')}); END"
    )
    op.execute(
        "CREATE TRIGGER search_ticket_grams_ad AFTER DELETE ON tickets BEGIN "
        "INSERT INTO search_ticket_grams(search_ticket_grams, rowid, grams) "
        f"VALUES ('delete', old.id, {sqlite_grams('old')}); END"
    )
    op.execute(
        f"CREATE TRIGGER search_ticket_grams_au AFTER UPDATE OF {cols} ON tickets BEGIN "
        "INSERT INTO search_ticket_grams(search_ticket_grams, rowid, grams) "
        f"VALUES ('delete', old.id, {sqlite_grams('old')}); "
        f"INSERT INTO search_ticket_grams(rowid, grams) VALUES (new.id, {sqlite_grams('new')}); END"
    )
    op.execute(
        f"INSERT INTO search_ticket_grams(rowid, grams) SELECT id, {sqlite_grams('')} FROM tickets"
    )
    # a search of several grams seeks in every segment of the index: at a million rows
    # one merged segment answers in a millisecond where the segments of the fill took
    # fifty; later writes are merged as soon as two segments are at one level
    for fts in ("search_tickets", "search_ticket_numbers", "search_ticket_grams"):
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
    op.execute("INSERT INTO search_ticket_grams(search_ticket_grams, rank) VALUES ('automerge', 2)")


def downgrade() -> None:
    op.drop_index("ix_devices_customer_model", table_name="devices")
    if op.get_bind().dialect.name == "postgresql":
        schema = _trgm_schema()
        op.execute("DROP INDEX IF EXISTS ix_tickets_grams_search")
        op.execute("DROP INDEX IF EXISTS ix_tickets_numbers_search")
        op.execute("DROP INDEX IF EXISTS ix_tickets_search")
        op.execute("DROP FUNCTION IF EXISTS search_grams(text)")
        op.execute(
            f"CREATE INDEX ix_tickets_search ON tickets "
            f'USING gin (({_pg_expression(ALL)}) "{schema}".gin_trgm_ops)'
        )
        return
    _drop_fts("search_ticket_grams")
    _drop_fts("search_ticket_numbers")
    _drop_fts("search_tickets")
    _fts("search_tickets", ALL)
