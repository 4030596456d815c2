"""Migrations give exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from data_access import db, migrate, setup
from data_access.migrate import upgrade
from data_access.models import Base, in_models


def test_upgrade_head_matches_models(db_engine):
    with db_engine.connect() as conn:
        opts = {"compare_type": True, "include_name": in_models}
        ctx = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_every_model_table_exists(db_engine):
    tables = set(inspect(db_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_sqlite_pragmas(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_upgrade_says_what_it_did(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    first = upgrade(engine)
    assert first.before is None and first.after and first.changed
    assert "created and migrated to head" in first.describe()
    again = upgrade(engine)
    assert (again.before, again.changed) == (first.after, False)
    assert "already up to date" in again.describe()
    engine.dispose()


def test_migrate_does_not_load_the_demo(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    assert migrate.main([]) == 0
    assert "created and migrated to head" in capsys.readouterr().out
    assert setup.main(["--no-demo"]) == 0
    assert "already up to date" in capsys.readouterr().out
    engine = db.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    assert setup.is_empty(engine)
    engine.dispose()


def test_setup_loads_demo_into_a_configured_database_only_when_asked(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert setup.main([]) == 0
    assert "demo data not loaded (add --demo" in capsys.readouterr().out
    engine = db.make_engine(url)
    assert setup.is_empty(engine)
    assert setup.main(["--demo"]) == 0
    assert "demo data loaded" in capsys.readouterr().out
    assert not setup.is_empty(engine)
    engine.dispose()


def test_the_search_index_is_kept_by_every_write(db_engine):
    """Insert, update and delete through plain SQL (what an import, a grid save, an undo
    and a restore all come down to): the trigram index follows each one."""
    from sqlalchemy import select

    from data_access import search
    from data_access.models import Customer

    def found(fragment: str) -> list[str]:
        with db.read(db_engine) as s:
            q = select(Customer.code).where(search.matches("customers", fragment))
            return list(s.scalars(q))

    with db.write(db_engine) as s:
        s.add(Customer(code="C7", name="苏州精密机械", grade="A", phone="0512-6688"))
    assert found("精密机") == ["C7"] and found("6688") == ["C7"]
    with db.write(db_engine) as s:
        s.get(Customer, s.scalar(select(Customer.id))).name = "无锡电子"
    assert found("精密机") == [] and found("锡电子") == ["C7"]
    with db.write(db_engine) as s:
        s.delete(s.get(Customer, s.scalar(select(Customer.id))))
    assert found("锡电子") == []


def test_sqlite_search_triggers_exist_at_head(sqlite_engine):
    """A later SQLite batch migration that rebuilds tickets, customers or devices (copy
    and rename) drops their triggers: this fails until it creates them again."""
    with sqlite_engine.connect() as conn:
        names = set(
            conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").scalars()
        )
    for table in ("tickets", "customers", "devices", "parts", "complaints"):
        assert {f"search_{table}_{s}" for s in ("ai", "ad", "au")} <= names
