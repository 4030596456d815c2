"""``python -m data_access.demo``: load the demo data and print what was written."""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from collections.abc import Iterable

from sqlalchemy import func, select

from data_access import db
from data_access.demo.base import DEMO_NOW, DEMO_PASSWORD, DEMO_SEED, T
from data_access.demo.generator import NotEmptyError, load
from data_access.migrate import upgrade


def _parse_now(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    if value == "now":
        return dt.datetime.now().replace(second=0, microsecond=0)
    return dt.datetime.fromisoformat(value)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print_counts(counts: dict[str, int], out: Iterable[str] = ()) -> None:
    width = max(len(k) for k in counts)
    for name, n in counts.items():
        print(f"  {name:<{width}} {n:>10,}")
    for line in out:
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_access.demo",
        description="Load deterministic demo data (Chinese + English) into an empty database.",
    )
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or data/aftersales.db)")
    parser.add_argument("--now", help=f"reference time, ISO or 'now' (default {DEMO_NOW})")
    parser.add_argument("--reset", action="store_true", help="delete existing data first")
    args = parser.parse_args(argv)

    engine = db.make_engine(args.url)
    started = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter()
    try:
        counts = load(engine, customers=args.customers, tickets=args.tickets, seed=args.seed,
                      now=_parse_now(args.now), reset=args.reset)  # fmt: skip
    except NotEmptyError:
        print(
            "The database already holds data; nothing was loaded. "
            "Use --reset to delete it and load the demo data (数据库非空，使用 --reset 清空后重新生成).",
            file=sys.stderr,
        )
        engine.dispose()
        return 2
    loaded = time.perf_counter()
    with engine.connect() as conn:
        tickets = conn.execute(select(func.count()).select_from(T["tickets"])).scalar()
    engine.dispose()
    print(f"demo data loaded into {engine.url.render_as_string(hide_password=True)}")
    _print_counts(
        counts,
        [
            f"  {'total rows':<20} {sum(counts.values()):>10,}",
            f"migrate {migrated - started:.2f} s, load {loaded - migrated:.2f} s, "
            f"peak RSS {_peak_rss_mb():.0f} MB, tickets in database {tickets:,}",
            f"demo log-ins: admin, manager, agent, engineer, parts, trainer, quality "
            f"(password {DEMO_PASSWORD})",
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
