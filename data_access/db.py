"""Engine and session factories.

SQLite file under ``data/`` by default (WAL, foreign keys on, busy timeout, write
transactions begin IMMEDIATE); ``DATABASE_URL`` selects PostgreSQL (psycopg 3).
Callers own their transactions: ``with session_factory(engine).begin() as s: ...``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = ROOT / "data" / "aftersales.db"
BUSY_TIMEOUT_MS = 10_000


def database_url() -> str:
    """The configured URL: DATABASE_URL, else the SQLite file under data/."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Accept the plain postgres forms people paste; we ship psycopg 3.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # A read-then-write transaction can hit SQLITE_BUSY despite busy_timeout
        # unless it takes the write lock up front; reads stay deferred so they
        # run beside the one writer under WAL.
        if conn.get_execution_options().get("sqlite_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for ``url`` (default: :func:`database_url`)."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write(engine: Engine) -> Iterator[Session]:
    """One write transaction: commits on success, rolls back on any error."""
    bound = engine.execution_options(sqlite_write=True)
    with Session(bound, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read(engine: Engine) -> Iterator[Session]:
    """A read-only session (rolled back at the end)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
