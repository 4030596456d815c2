"""Engine factory behaviour that the app relies on."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from data_access import db
from data_access.models import Setting


def test_concurrent_read_then_write_transactions_do_not_fail(sqlite_engine):
    """BEGIN IMMEDIATE: writers queue on the lock instead of dying with SQLITE_BUSY."""
    with db.write(sqlite_engine) as s:
        s.add(Setting(key="counter", value=0))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(20):
                with db.write(sqlite_engine) as s:
                    row = s.scalars(select(Setting).where(Setting.key == "counter")).one()
                    row.value = row.value + 1
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.read(sqlite_engine) as s:
        assert s.scalars(select(Setting.value).where(Setting.key == "counter")).one() == 80


def test_write_rolls_back_on_error(db_engine):
    with pytest.raises(RuntimeError), db.write(db_engine) as s:
        s.add(Setting(key="half", value=1))
        s.flush()
        raise RuntimeError("boom")
    with db.read(db_engine) as s:
        assert s.scalars(select(Setting)).all() == []


def test_database_url_accepts_plain_postgres_scheme(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/d")
    assert db.database_url() == "postgresql+psycopg://u@h/d"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    assert db.database_url() == "postgresql+psycopg://u@h/d"


def test_a_write_kept_waiting_by_an_import_is_told_what_it_waits_for(sqlite_url, monkeypatch):
    """SQLite's one writer: a write that waited the busy timeout gets a message (naming
    the import that holds the lock), not "database is locked", and writes nothing."""
    from data_access.errors import Refused

    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    holder, waiter = db.make_engine(sqlite_url), db.make_engine(sqlite_url)
    marker = db._marker(holder)
    with db.write(holder) as s:
        with db.import_running(s.get_bind(), ("工单", "Tickets"), "王建华"):
            s.add(Setting(key="held", value=1))
            s.flush()
            assert marker.exists()
            with pytest.raises(Refused) as err, db.write(waiter) as w:
                w.add(Setting(key="waiting", value=1))
            assert err.value.code == "db.busy_import"
            assert err.value.params["register_zh"] == "工单"
            assert err.value.params["user"] == "王建华"
        assert not marker.exists()  # the import is done: the next waiter is told in general
        with pytest.raises(Refused) as err, db.write(waiter) as w:
            w.add(Setting(key="waiting", value=1))
        assert err.value.code == "db.busy"
    with db.write(waiter) as w:  # the lock released: writes go through again
        w.add(Setting(key="after", value=1))
    with db.read(waiter) as r:
        assert sorted(r.scalars(select(Setting.key))) == ["after", "held"]
    holder.dispose()
    waiter.dispose()


def test_an_import_marks_the_database_while_it_writes(sqlite_engine):
    from imports.engine import import_file
    from tests.actors import ADMIN

    seen: list[bool] = []
    marker = db._marker(sqlite_engine)
    csv = "客户编号,客户名称,客户等级\n".encode() + b"".join(
        f"C{i:04d},客户{i},A\n".encode() for i in range(600)
    )
    with db.write(sqlite_engine) as s:
        import_file(s, "customers", csv, file_name="c.csv", now=dt.datetime(2026, 11, 30),
                    actor=ADMIN, on_progress=lambda done, total: seen.append(marker.exists()))  # fmt: skip
    assert seen and all(seen)
    assert not marker.exists()
