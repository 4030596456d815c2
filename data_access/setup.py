"""First start in one command (``python -m data_access.setup``, what ``make run`` calls).

Migrates the database to head, then loads the demo data when the database has no
customers and no users — into the default SQLite file only: a ``DATABASE_URL``
database (a team's) gets demo data only when asked with ``--demo``; ``--no-demo``
never loads it. The two steps stay in their own modules
(``data_access.migrate`` knows nothing of the demo).
"""

from __future__ import annotations

import argparse
import os
import sys

from sqlalchemy import Engine, func, select

from data_access import db, demo
from data_access.migrate import upgrade
from data_access.models import Customer, User


def is_empty(engine: Engine) -> bool:
    with db.read(engine) as s:
        return not s.scalar(select(func.count(Customer.id))) and not s.scalar(
            select(func.count(User.id))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-demo", action="store_true", help="never load demo data")
    parser.add_argument(
        "--demo", action="store_true", help="load demo data into an empty DATABASE_URL database"
    )
    args = parser.parse_args(argv)
    engine = db.make_engine()
    where = engine.url.render_as_string(hide_password=True)
    print(f"{upgrade(engine).describe()}: {where}")
    configured = bool(os.environ.get("DATABASE_URL", "").strip())
    if args.no_demo:
        print("demo data not loaded (--no-demo)")
    elif configured and not args.demo:
        print("DATABASE_URL is set: demo data not loaded (add --demo to load it)")
    elif is_empty(engine):
        counts = demo.load(engine)
        print("demo data loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    else:
        print("database holds data: demo not loaded")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
