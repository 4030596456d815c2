"""Engine factory behaviour that the app relies on."""

from __future__ import annotations

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
