"""The shared fixtures themselves: what each PostgreSQL test starts from."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from data_access import db
from data_access.models import Base, DashboardDirty, Part, Ticket
from rules.access import Actor, Role
from tests.conftest import _truncate_pg, missing
from tests.helpers import copy_sqlite, one_open_ticket

ADMIN = Actor(None, Role.ADMIN)
MON = dt.datetime(2026, 11, 23, 10, 0)


def _rows(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in Base.metadata.sorted_tables
        }


@pytest.mark.postgres
def test_the_postgres_cleanup_leaves_what_truncate_restart_identity_left(request):
    engine = request.getfixturevalue("pg_engine_session")
    if engine is None:
        missing("TEST_DATABASE_URL is not set (PostgreSQL tests)")
    _truncate_pg(engine)
    one_open_ticket(engine, MON, ADMIN)  # customers, tickets, events; triggers fire
    with pytest.raises(RuntimeError), db.write(engine) as s:  # a sequence used, no row kept
        s.add(Part(part_no="P1", name="x"))
        s.flush()
        raise RuntimeError
    assert sum(_rows(engine).values()) > 3

    _truncate_pg(engine)
    assert {n: c for n, c in _rows(engine).items() if c} == {"dashboard_rollup_state": 1}
    with engine.connect() as conn:
        state = conn.exec_driver_sql("SELECT id, ftf_repeat_days FROM dashboard_rollup_state")
        assert state.all() == [(1, 7)]  # as the AFTER TRUNCATE trigger makes it
    with engine.connect() as conn:
        used = conn.exec_driver_sql(
            "SELECT sequencename FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        ).all()
        assert used == []
        # the cleanup's switch is off again on the pool's connections
        assert conn.execute(text("SHOW session_replication_role")).scalar() == "origin"

    one_open_ticket(engine, MON, ADMIN)
    with db.read(engine) as s:
        assert s.scalar(select(Ticket.id)) == 1  # identities restarted
        assert s.scalar(select(func.count(DashboardDirty.id))) > 0  # the triggers fire again


@pytest.mark.xdist_group("conftest-probe")
def test_an_xdist_group_reaches_the_scheduler(request):
    """Under ``--dist loadgroup`` the scheduler groups by the ``@group`` end of the id."""
    grouped = bool(getattr(request.config.option, "loadgroup", False))
    assert request.node.nodeid.endswith("@conftest-probe") == grouped


def test_sqlite_engines_share_compiled_sql(sqlite_template, tmp_path):
    """Two test databases: SQL compiled on the first is served from the cache on the
    second, and each engine still reads and writes its own file."""
    a = copy_sqlite(sqlite_template, tmp_path / "a.db")
    b = copy_sqlite(sqlite_template, tmp_path / "b.db")
    stmt = select(func.count(Part.id)).where(Part.part_no == "P1")
    try:
        assert a.dialect is b.dialect and a._compiled_cache is b._compiled_cache
        with db.write(a) as s:
            s.add(Part(part_no="P1", name="x"))
        with a.connect() as conn:
            assert conn.execute(stmt).scalar() == 1
        with b.connect() as conn:
            result = conn.execute(stmt)
            assert result.scalar() == 0  # its own file
            assert result.context.cache_hit == b.dialect.CACHE_HIT
    finally:
        a.dispose()
        b.dispose()
