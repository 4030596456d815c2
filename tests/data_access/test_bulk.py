"""The bulk insert path binds values exactly as SQLAlchemy's own processors do."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from data_access import db
from data_access.bulk import _sqlite_datetimes, insert_rows
from data_access.models import AuditLog

MOMENTS = [
    dt.datetime(2025, 3, 3, 9, 30),
    dt.datetime(2025, 3, 3, 9, 30, 0, 1),
    dt.datetime(999, 1, 2, 3, 4, 5, 600_000),
    dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC),
    dt.date(2025, 3, 3),
    None,
]


def test_sqlite_datetimes_bind_as_the_dialect_does():
    impl = sqlite.DATETIME()
    proc = impl.bind_processor(sqlite.dialect())
    assert _sqlite_datetimes(impl, proc)(MOMENTS) == [proc(v) for v in MOMENTS]
    # another storage format keeps the dialect's own processor
    assert _sqlite_datetimes(sqlite.DATETIME(truncate_microseconds=True), proc) is None


@pytest.mark.parametrize("n", [1, 3])
def test_inserted_datetimes_read_back(db_engine, n):
    at = [dt.datetime(2025, 3, 3, 9, 30, 0, 5 * i) for i in range(n)]
    columns = {
        "at": at,
        "entity": ["t"] * n,
        "entity_key": [str(i) for i in range(n)],
        "action": ["insert"] * n,
    }
    with db.write(db_engine) as s:
        insert_rows(s, AuditLog.__table__, columns)
    with db.read(db_engine) as s:
        assert s.scalars(select(AuditLog.at).order_by(AuditLog.at)).all() == at
