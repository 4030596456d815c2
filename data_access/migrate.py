"""Bring a database to the current schema and, when it is empty, load demo data.

``python -m data_access.migrate`` (what ``make run`` calls):
- ``alembic upgrade head`` on ``DATABASE_URL`` or the SQLite default;
- demo data when the database has no customers and no users, unless ``--no-demo``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select

from data_access import db
from data_access.models import Customer, User

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Run every pending migration on ``engine``'s database."""
    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def is_empty(engine: Engine) -> bool:
    with db.read(engine) as s:
        return not s.scalar(select(func.count(Customer.id))) and not s.scalar(
            select(func.count(User.id))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="never load demo data")
    args = parser.parse_args(argv)
    engine = db.make_engine()
    upgrade(engine)
    print(f"schema up to date: {engine.url.render_as_string(hide_password=True)}")
    if not args.no_demo and is_empty(engine):
        from data_access import demo

        counts = demo.load(engine)
        print("demo data loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
