"""Bring a database to the current schema (``python -m data_access.migrate``).

``alembic upgrade head`` on ``DATABASE_URL`` or the SQLite default, then one line saying
what happened: created, migrated from a revision, or already up to date. Demo data is
not this module's business: ``python -m data_access.setup`` (what ``make run`` calls)
migrates and then loads the demo into an empty database.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine

from data_access import db

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Upgraded:
    """Schema revision before and after an upgrade (``None``: no schema yet)."""

    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def describe(self) -> str:
        if not self.changed:
            return f"database already up to date (revision {self.after})"
        if self.before is None:
            return f"database created and migrated to head (revision {self.after})"
        return f"database migrated from revision {self.before} to head (revision {self.after})"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> Upgraded:
    """Run every pending migration on ``engine``'s database."""
    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    with engine.connect() as conn:
        before = _revision(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        after = _revision(conn)
    return Upgraded(before, after)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    # kept so existing scripts still run: migrating never loads demo data
    parser.add_argument("--no-demo", action="store_true", help=argparse.SUPPRESS)
    parser.parse_args(argv)
    engine = db.make_engine()
    done = upgrade(engine)
    print(f"{done.describe()}: {engine.url.render_as_string(hide_password=True)}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
