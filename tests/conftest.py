"""Shared fixtures: migrated databases on SQLite and PostgreSQL.

``db_engine`` is parametrized over both back-ends. PostgreSQL comes from
``TEST_DATABASE_URL``; without it those cases skip with the reason printed, and with
``REQUIRE_ALL_TESTS=1`` (set by ``.ci/run``) they fail instead.
Each pytest-xdist worker gets its own PostgreSQL schema.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

# no background escalation in tests: they fix the clock (tests/data_access/test_jobs.py
# starts the ticker itself); the browser tests' app servers inherit this too
os.environ["AFTERSALES_JOBS"] = "0"
# cheap argon2 parameters (read when data_access.users is first imported, so set before
# any import of the app): hashing costs microseconds instead of ~0.1 s per password
os.environ["AFTERSALES_TEST_CHEAP_HASH"] = "1"

from data_access import db  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Base  # noqa: E402
from tests.helpers import copy_sqlite  # noqa: E402

REQUIRE_ALL = os.environ.get("REQUIRE_ALL_TESTS") == "1"
PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
CHROMIUM = Path("/usr/bin/chromium")


def missing(reason: str) -> None:
    """Skip with a printed reason, or fail when the run must prove everything."""
    if REQUIRE_ALL:
        pytest.fail(f"required test could not run: {reason}")
    pytest.skip(reason)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Make ``xdist_group`` marks group again under ``--dist loadgroup``.

    pytest-xdist (3.8) tells the scheduler a test's group by appending ``@group`` to
    ``item._nodeid``; pytest 9 reads the id from ``item._id`` instead, so the suffix was
    lost and grouped tests (the escalation-lock ones, which must not run beside each
    other) were spread over the workers. Where xdist's own suffix took, nothing to do."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default"))
            for m in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            from _pytest.nodeid import NodeId  # pytest >= 9

            item._id = NodeId.parse(item.nodeid + suffix)


@pytest.fixture(scope="session", autouse=True)
def _one_sqlite_dialect():
    """SQLite engines made by ``db.make_engine`` in this process share one dialect and
    one compiled-statement cache.

    SQLAlchemy caches compiled SQL per engine, keyed by the dialect object, and nearly
    every SQLite test makes its own engine (its own copy of the template), so each test
    compiled every statement it ran again (a fifth of the page tests' CPU). The engines
    differ only in the file (same driver, same options, same SQLite library), so the
    SQL compiled for one is the SQL for all. Engines made with extra arguments keep
    their own."""
    make = db.create_engine
    shared = make("sqlite://", query_cache_size=5000)  # in memory: makes no file
    with shared.connect():  # initialises the dialect (SQLite version etc.)
        pass

    def create_engine(url, **kwargs):
        engine = make(url, **kwargs)
        if not kwargs and str(url).startswith("sqlite"):
            engine.dialect = shared.dialect
            engine._compiled_cache = shared._compiled_cache
        return engine

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(db, "create_engine", create_engine)
        yield
    shared.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def load_demo(tmp_path_factory, sqlite_template):
    """``load_demo(engine, **sizes)``: ``demo.load`` into a new, empty test database.

    On SQLite each set of arguments is loaded once per session and every later test
    gets a copy of that file (the demo is deterministic: test_demo proves the same seed
    gives the same rows); the engine must not have connected yet. On PostgreSQL it loads.
    """
    from data_access import demo

    built: dict[tuple, tuple[Path, dict]] = {}

    def load(engine: Engine, **kwargs) -> dict:
        if engine.dialect.name != "sqlite":
            return demo.load(engine, **kwargs)
        key = tuple(sorted(kwargs.items()))
        if key not in built:
            path = tmp_path_factory.mktemp("demo") / "demo.db"
            source = copy_sqlite(sqlite_template, path)
            counts = demo.load(source, **kwargs)
            with source.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            source.dispose()
            built[key] = (path, counts)
        path, counts = built[key]
        engine.dispose()
        shutil.copy(path, engine.url.database)
        return dict(counts)

    return load


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def pg_engine_session() -> Iterator[Engine]:
    if not PG_URL:
        yield None  # type: ignore[misc]
        return
    # unique per process: parallel runs on one server must not share tables
    schema = f"t_{_worker()}_{os.getpid()}"
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    # one compiled-SQL cache for every PostgreSQL test of this process, as large as the
    # SQLite tests' shared one (the default 500 thrashed: the dashboard tests alone run
    # about 600 distinct statements)
    engine = db.make_engine(
        PG_URL, connect_args={"options": f"-csearch_path={schema}"}, query_cache_size=5000
    )
    upgrade(engine)
    yield engine
    engine.dispose()
    admin = db.make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


# Emptying the schema between tests: TRUNCATE of every table makes new files for each
# table, index and TOAST table (0.3 s quiet, 2-3 s on a loaded machine, per test). A test
# fills a handful of tables, so delete the rows of those (triggers and foreign-key checks
# off: the order does not matter, nothing fires) and restart the sequences that were used,
# which leaves what TRUNCATE ... RESTART IDENTITY left. Without the superuser's
# session_replication_role, TRUNCATE as before.
_NONEMPTY = " UNION ALL ".join(
    f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
    for t in Base.metadata.sorted_tables
)
_RESTART_SEQUENCES = (
    "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass, "
    "start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)
_ROLLUP_STATE = "INSERT INTO dashboard_rollup_state(id, ftf_repeat_days) VALUES (1, 7)"


def _truncate_pg(engine: Engine) -> None:
    """Every table empty but the dashboard's state row (1, 7 days) and every sequence at
    its start: what the TRUNCATE and its trigger left, the same on every PostgreSQL test."""
    with engine.begin() as conn:
        if conn.exec_driver_sql("SELECT current_setting('is_superuser')").scalar() != "on":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        filled = conn.exec_driver_sql(_NONEMPTY).scalars().all()
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for name in filled:
            conn.exec_driver_sql(f'DELETE FROM "{name}"')
        conn.exec_driver_sql(_RESTART_SEQUENCES).all()
        # what the dashboard's AFTER TRUNCATE trigger (migration 0017) leaves: the state row
        conn.exec_driver_sql(_ROLLUP_STATE)


# the postgres case carries the ``postgres`` marker: ``-m "not postgres"`` deselects it
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request, tmp_path, sqlite_template) -> Iterator[Engine]:
    """A migrated, empty database on each back-end."""
    if request.param == "sqlite":
        engine = copy_sqlite(sqlite_template, tmp_path / "test.db")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("pg_engine_session")
    if engine is None:
        missing("TEST_DATABASE_URL is not set (PostgreSQL tests)")
    _truncate_pg(engine)
    yield engine


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_template) -> Iterator[Engine]:
    """A migrated SQLite database only (for tests that do not depend on the back-end)."""
    engine = copy_sqlite(sqlite_template, tmp_path / "test.db")
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    path = tmp_path / "app.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"
