"""First start in one command (``python -m data_access.setup``, what ``make run`` calls).

Migrates the database to head, then loads the demo data when the database has no
customers and no users, unless ``--no-demo``. The two steps stay in their own modules
(``data_access.migrate`` knows nothing of the demo).
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args(argv)
    engine = db.make_engine()
    where = engine.url.render_as_string(hide_password=True)
    print(f"{upgrade(engine).describe()}: {where}")
    if args.no_demo:
        print("demo data not loaded (--no-demo)")
    elif is_empty(engine):
        counts = demo.load(engine)
        print("demo data loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    else:
        print("database holds data: demo not loaded")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
