"""Dashboard figures over a large database: the data layer vs a bare SQL GROUP BY.

    .venv/bin/python bench/dashboard.py [--tickets 1000000] [--db PATH] [--postgres URL]

The database is made once with the demo generator (every domain at matching scale:
follow-ups, complaints, maintenance visits, parts, training) and reused when it already
holds the tickets. Timed, each the median of ``--repeat`` runs in a fresh session:

- ``first``: what the page's first render asks for — :func:`figures` (this period and
  the previous one) + the service-type breakdown + the weekly trend;
- ``filter``: the same with a region filter (a filter change);
- ``breakdowns``: all six dimensions; ``engineers``; ``figures`` over a year;
- ``baseline``: a bare ``SELECT priority, count(*), avg(...) … GROUP BY priority`` over the
  same period's tickets, in the same run.

Prints ``RESULT dashboard db=… tickets=… first_s=… filter_s=… baseline_s=… ratio=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from bench.timing import median_time  # noqa: E402
from data_access import dashboard as DB  # noqa: E402
from data_access import db  # noqa: E402
from data_access.models import Ticket  # noqa: E402
from rules.access import Actor, Role  # noqa: E402
from rules.dashboard import DIMENSIONS  # noqa: E402

MANAGER = Actor(None, Role.MANAGER)
BASELINE = (
    "SELECT priority, count(*), avg(response_business_s), avg(resolution_business_s) "
    "FROM tickets WHERE received_at >= :a AND received_at < :b GROUP BY priority"
)


def ensure_database(url: str, tickets: int) -> None:
    engine = db.make_engine(url)
    from data_access.migrate import upgrade

    upgrade(engine)
    with db.read(engine) as s:
        have = s.scalar(select(func.count(Ticket.id))) or 0
    if have < tickets:
        from data_access.demo import load

        t0 = time.perf_counter()
        load(engine, tickets=tickets, customers=max(200, tickets // 500), reset=True)
        print(f"generated {tickets:,} tickets in {time.perf_counter() - t0:.1f} s", flush=True)
    # what the page does once a minute: fold the writes into the dashboard's rollup
    from data_access.dashboard_rollup import refresh_now

    t0 = time.perf_counter()
    days = refresh_now(engine)
    print(f"dashboard rollup refreshed ({days} days) in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--postgres", default=None, help="a PostgreSQL URL instead of SQLite")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    url = args.postgres or f"sqlite:///{args.db or f'/tmp/bench_dashboard_{args.tickets}.db'}"
    ensure_database(url, args.tickets)
    engine = db.make_engine(url)
    with db.read(engine) as s:
        last = s.scalar(select(func.max(Ticket.received_at)))
        n = s.scalar(select(func.count(Ticket.id)))
    now = last + dt.timedelta(minutes=1)
    end = last.date()
    period = DB.Period(end - dt.timedelta(days=args.days - 1), end)
    year = DB.Period(end - dt.timedelta(days=365), end)
    with db.read(engine) as s:
        region = s.execute(text("SELECT region FROM customers WHERE region IS NOT NULL LIMIT 1"))
        region = region.scalar()
    a, b = period.bounds()

    def render(filters: DB.Filters, p: DB.Period = period) -> None:
        with db.read(engine) as s:
            DB.figures(s, MANAGER, p, filters, now)
            DB.breakdown(s, MANAGER, p, filters, "service_type", now)
            DB.trend(s, MANAGER, p, filters, "week", now)

    def timed(fn) -> float:
        return median_time(fn, args.repeat)

    def only_figures(p: DB.Period) -> None:
        with db.read(engine) as s:
            DB.figures(s, MANAGER, p, DB.Filters(), now)

    def breakdowns() -> None:
        with db.read(engine) as s:
            for d in DIMENSIONS:
                DB.breakdown(s, MANAGER, period, DB.Filters(), d, now)

    def engineers() -> None:
        with db.read(engine) as s:
            DB.engineers(s, MANAGER, period, DB.Filters(), now)

    def baseline() -> None:
        with engine.connect() as conn:
            conn.execute(text(BASELINE), {"a": a, "b": b}).all()

    t0 = time.perf_counter()
    render(DB.Filters())  # the very first call: nothing warm in this process
    cold = time.perf_counter() - t0
    results = {
        "first": timed(lambda: render(DB.Filters())),
        "filter": timed(lambda: render(DB.Filters(region=region))),
        "figures": timed(lambda: only_figures(period)),
        "figures_year": timed(lambda: only_figures(year)),
        "breakdowns": timed(breakdowns),
        "engineers": timed(engineers),
        "baseline": timed(baseline),
    }
    base = results["baseline"]
    with db.read(engine) as s:
        in_period = s.scalar(
            select(func.count(Ticket.id)).where(Ticket.received_at >= a, Ticket.received_at < b)
        )
    print(f"tickets={n:,} period={args.days} days ({in_period:,} tickets) db={url.split(':')[0]}")
    print(f"  first render, cold process: {cold:.3f} s")
    for key, value in results.items():
        print(f"  {key:<13} {value:.3f} s   ×{value / base:.1f} of the bare GROUP BY")
    print(
        f"RESULT dashboard db={url.split(':')[0]} tickets={n} first_s={results['first']:.3f} "
        f"filter_s={results['filter']:.3f} baseline_s={base:.3f} "
        f"ratio={results['first'] / base:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
