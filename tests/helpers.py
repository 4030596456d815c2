"""Helpers more than one test module uses (fixtures live in the conftest files)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from data_access import db


def copy_sqlite(template: Path, path: Path) -> Engine:
    """An engine on a copy of a migrated SQLite file (copying beats migrating again)."""
    shutil.copy(template, path)
    return db.make_engine(f"sqlite:///{path}")


def count(engine: Engine, model) -> int:
    """Rows of a model (or table) in the database."""
    with db.read(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


@contextmanager
def migration_url(kind: str, tmp_path: Path, schema: str) -> Iterator[str]:
    """A database to run migrations in by hand: a new SQLite file, or a PostgreSQL
    schema made for the test and dropped after it."""
    from tests.conftest import PG_URL, missing

    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'mig.db'}"
        return
    if not PG_URL:
        missing("TEST_DATABASE_URL is not set (PostgreSQL tests)")
    schema = f"{schema}_{os.getpid()}"
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


ROOT = Path(__file__).resolve().parents[1]


def cli(url: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m imports ARGS`` against the database at ``url``."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "imports", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def one_open_ticket(engine: Engine, received, actor) -> None:
    """One open standard ticket of a grade-A customer (恒达精密, code 007)."""
    from data_access import tickets as T
    from data_access.models import Customer

    with db.write(engine) as s:
        c = Customer(code="007", name="恒达精密", grade="A", region="华东")
        s.add(c)
        s.flush()
        T.create_ticket(
            s,
            customer_id=c.id,
            channel="phone",
            priority="standard",
            fault_description="主轴异响",
            received_at=received,
            actor=actor,
            now=received,
        )
