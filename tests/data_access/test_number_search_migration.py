"""Migration 0024 on a database that holds tickets, on SQLite and PostgreSQL: the
numbers' indexes are filled from the rows already there, and the downgrade gives the
0014 index back (a number found before, after and after again)."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from data_access import db, search

NOW = dt.datetime(2026, 11, 1)
ROWS = [
    "INSERT INTO customers (id, code, name, grade, version, created_at, updated_at) "
    "VALUES (1, 'C1', '客户', 'A', 1, :n, :n)",
    "INSERT INTO tickets (id, ticket_no, customer_id, channel, priority, status, serial_no, "
    "contact_phone, fault_description, received_at, escalation_level, remote_resolved, "
    "version, created_at, updated_at) VALUES (1, 'SR202611010000042', 1, 'phone', 'high', "
    "'received', 'SN-00071234', '0512-66078812', '主轴异响', :n, 1, false, 1, :n, :n)",
]


def _found(engine, fragment: str) -> list[str]:
    with db.read(engine) as s:
        return [h.key for h in search.search(s, fragment, kinds=("ticket",))]


def test_0024_fills_the_number_index_and_goes_back(migration_db):
    url, cfg = migration_db
    command.upgrade(cfg, "0024-1")
    engine = db.make_engine(url)
    with engine.begin() as c:
        for sql in ROWS:
            c.execute(text(sql), {"n": NOW})
    command.upgrade(cfg, "0024")
    no = "SR202611010000042"
    for fragment in ("10000042", "0007123", "12-6607", "主轴异"):
        assert _found(engine, fragment) == [no], fragment
    command.downgrade(cfg, "0024-1")
    with engine.connect() as c:  # the 0014 index, searched as 0014 did
        if engine.dialect.name == "sqlite":
            hits = c.execute(text("SELECT rowid FROM search_tickets WHERE search_tickets "
                                  "MATCH '\"0007123\"'")).all()  # fmt: skip
        else:
            hits = c.execute(text("SELECT indexdef FROM pg_indexes WHERE schemaname = "
                                  "current_schema() AND indexname = 'ix_tickets_search' "
                                  "AND indexdef LIKE '%serial_no%'")).all()  # fmt: skip
    assert len(hits) == 1
    command.upgrade(cfg, "0024")
    assert _found(engine, "10000042") == [no]
    engine.dispose()
