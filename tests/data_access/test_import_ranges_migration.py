"""Migration 0028 on SQLite and PostgreSQL: a journal row for a range of inserted ids,
and its downgrade, which gives one row per id back (the undo of 0027 reads those)."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from data_access import db

NOW = dt.datetime(2026, 12, 1)


def test_0028_range_rows_become_one_row_per_id_on_downgrade(migration_db):
    url, cfg = migration_db
    command.upgrade(cfg, "0028")
    engine = db.make_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO import_batches (id, register, file_name, sha256, inserted, "
                       "updated, unchanged, rejected, created_at) "
                       "VALUES (1, 'customers', 'f.xlsx', 'x', 5, 0, 0, 0, :n)"), {"n": NOW})  # fmt: skip
        c.execute(text("INSERT INTO import_changes (batch_id, table_name, row_id, row_id_last, "
                       "action, created_at) VALUES (1, 'customers', 10, 13, 'insert', :n), "
                       "(1, 'customers', 20, NULL, 'insert', :n)"), {"n": NOW})  # fmt: skip
    command.downgrade(cfg, "0027")
    with engine.connect() as c:
        rows = c.execute(text("SELECT row_id, action FROM import_changes ORDER BY row_id")).all()
        columns = {r[0] for r in c.execute(text("SELECT * FROM import_changes")).cursor.description}
    engine.dispose()
    assert [tuple(r) for r in rows] == [(i, "insert") for i in (10, 11, 12, 13, 20)]
    assert "row_id_last" not in columns
