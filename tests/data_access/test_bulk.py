"""The bulk insert path binds values exactly as SQLAlchemy's own processors do, and a
large SQLite insert staged and moved on a thread stores what a direct one would."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from data_access import bulk, db
from data_access.bulk import _sqlite_datetimes, insert_rows
from data_access.models import AuditLog, Part

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


def _parts(n: int, first: int = 0) -> dict[str, list]:
    at = dt.datetime(2026, 11, 30, 9, 0)
    return {
        "part_no": [f"{i:06d}" for i in range(first, first + n)],  # leading zeros: text
        "name": [f"件{i}" for i in range(first, first + n)],
        "uom": ["个"] * n,
        "unit_cost": [Decimal("12.50"), None, Decimal("0.1")][:n] + [Decimal(7)] * (n - 3),
        "is_key": [i % 2 == 0 for i in range(n)],
        "reorder_point": [5] * n,
        "reorder_qty": [10] * n,
        "on_hand": [0] * n,
        "is_wear": [False] * n,
        "active": [True] * n,
        "version": [1] * n,
        "created_at": [at] * n,
        "updated_at": [at + dt.timedelta(microseconds=i) for i in range(n)],
    }


def _stored(session) -> list[tuple]:
    """Each part's values with SQLite's storage class of each (what a read gets back)."""
    names = ["part_no", "unit_cost", "is_key", "on_hand", "updated_at"]
    cols = ", ".join(f"{c}, typeof({c})" for c in names)
    return session.execute(text(f"SELECT {cols} FROM parts ORDER BY id")).all()


def test_a_staged_insert_stores_what_a_direct_one_does(sqlite_engine, monkeypatch):
    """Rows bound into the untyped staging table, then moved, keep the values and storage
    classes a direct INSERT gives them (the real table's affinities apply once), and
    take their ids in the order given — staged one statement a row, or several rows a
    statement with the rest in a last one."""
    got = []
    for stage_from, batch in ((10**9, 1), (1, 1), (1, 2)):  # direct, then staged
        monkeypatch.setattr(bulk, "STAGE_ROWS", stage_from)
        monkeypatch.setattr(bulk, "STAGE_BATCH", batch)
        with db.write(sqlite_engine) as s:
            inserter = bulk.Inserter(s, Part.__table__, list(_parts(5)))
            assert inserter.raw  # tuples to the driver: the path that stages
            inserter(_parts(5))
            got.append(_stored(s))
            assert s.scalars(select(Part.part_no).order_by(Part.id)).all() == _parts(5)["part_no"]
            s.rollback()
    assert got[2] == got[1] == got[0] and got[0][0][:2] == ("000000", "text")


def test_a_failed_move_is_raised_after_the_work_beside_it(sqlite_engine, monkeypatch):
    monkeypatch.setattr(bulk, "STAGE_ROWS", 1)
    done: list[bool] = []
    with db.write(sqlite_engine) as s:
        inserter = bulk.Inserter(s, Part.__table__, list(_parts(1)))
        inserter(_parts(3))
        with pytest.raises(IntegrityError):  # the same part numbers again
            inserter(_parts(3), meanwhile=lambda: done.append(True))
        assert done == [True]
        s.rollback()
