"""The dashboard page's script time over a large database, against a bare SQL GROUP BY.

    .venv/bin/python bench/dashboard_page.py [--tickets 1000000] [--db PATH] [--postgres URL]

The database is the one ``bench/dashboard.py`` makes (the demo generator, every domain at
matching scale; reused when it already holds the tickets). The page runs in AppTest as
the demo manager, its clock one minute after the newest ticket (the default period: the
90 days up to then). Timed, each the median of ``--repeat`` rounds:

- ``first``: the first render with every cache cleared (cache cold);
- ``filter``: a region filter chosen (the period's filter choices stay cached);
- ``warm``: the same render again (served from the page's short-lived cache);
- ``two``: a second filter (channel) on top, with the region breakdown the page shows
  (two filters and a breakdown: three dimensions);
- ``three``: a third filter (service type) on top;
- ``monthly``: the monthly service report of the last full month, built by the page's
  data function (``monthly_workbook``);
- ``baseline``: ``SELECT priority, count(*), avg(…) … GROUP BY priority`` over the same
  period's tickets.

Each render's wall time and the CPU time of the page's script thread (``*_cpu_s``: on a
loaded machine the wall time counts other processes' turns, the CPU time does not).
``--profile FILE`` writes the cProfile statistics of the last round's region-filter
rerun (the script thread's) to FILE.

Prints ``RESULT dashboard_page db=… tickets=… first_s=… filter_s=… warm_s=… two_s=…
three_s=… monthly_s=… baseline_s=… first_ratio=… filter_ratio=…`` and the CPU times.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# the page's script time is measured, not the background ticker's first escalation round
# over the demo data (a long write at 1M tickets that can hold the log-in's write lock)
os.environ.setdefault("AFTERSALES_JOBS", "0")

import streamlit as st  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from bench.timing import median_time  # noqa: E402
from data_access import db  # noqa: E402
from data_access.models import Ticket  # noqa: E402
from data_access.reports import monthly_workbook  # noqa: E402
from rules.access import Actor, Role  # noqa: E402
from rules.i18n import t  # noqa: E402

BASELINE = (
    "SELECT priority, count(*), avg(response_business_s), avg(resolution_business_s) "
    "FROM tickets WHERE received_at >= :a AND received_at < :b GROUP BY priority"
)
PASSWORD = "demo123"  # data_access.demo's users


def ensure_database(url: str, tickets: int) -> None:
    from data_access.demo import load
    from data_access.migrate import upgrade

    engine = db.make_engine(url)
    upgrade(engine)
    with db.read(engine) as s:
        have = s.scalar(select(func.count(Ticket.id))) or 0
    if have < tickets:
        t0 = time.perf_counter()
        load(engine, tickets=tickets, customers=max(200, tickets // 500), reset=True)
        print(f"generated {tickets:,} tickets in {time.perf_counter() - t0:.1f} s", flush=True)
        if not db.is_sqlite(engine):
            # the planner's statistics, as autovacuum would gather them on a live server
            # (just loaded, without them: one direct ratings query took 7.4 s, then 0.25 s)
            with engine.connect() as conn:
                conn.execute(text("ANALYZE"))
                conn.commit()
    # what the page does once a minute: fold the writes into the dashboard's rollup
    from data_access.dashboard_rollup import refresh_now

    t0 = time.perf_counter()
    days = refresh_now(engine)
    print(f"dashboard rollup refreshed ({days} days) in {time.perf_counter() - t0:.1f} s")
    # and what the ticker's next round does after a bulk load (PostgreSQL)
    from data_access.dashboard_rollup import vacuum

    t0 = time.perf_counter()
    print(f"vacuumed {vacuum(engine) or 'nothing'} in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def page(clock: dt.datetime) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["lang"] = "en"
    at.session_state["clock"] = clock
    at.run()
    at.text_input[0].input("manager")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()  # the log-in lands on the dashboard: not timed
    return at


SCRIPT_THREAD = "ScriptRunner.scriptThread"  # the thread AppTest runs the page in
_script_cpu: list[float] = []
_profiling: dict[str, cProfile.Profile | None] = {"next": None}


def _measure_script_threads() -> None:
    """Record the CPU time of each run of the page's script thread (and profile it when
    asked): AppTest starts one such thread per run."""
    run = threading.Thread.run

    def measured(self: threading.Thread) -> None:
        if self.name != SCRIPT_THREAD:
            return run(self)
        profile, _profiling["next"] = _profiling["next"], None
        t0 = time.thread_time()
        try:
            if profile is not None:
                profile.runcall(run, self)
            else:
                run(self)
        finally:
            _script_cpu.append(time.thread_time() - t0)

    threading.Thread.run = measured  # type: ignore[method-assign]


def timed_run(at: AppTest, profile: cProfile.Profile | None = None) -> tuple[float, float]:
    """Wall and script-thread CPU seconds of one rerun."""
    _script_cpu.clear()
    _profiling["next"] = profile
    t0 = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise SystemExit(f"the page failed: {at.exception[0].message}")
    return elapsed, sum(_script_cpu)


def _choose(at: AppTest, dimension: str) -> None:
    (box,) = [s for s in at.selectbox if s.label == t(f"dashboard.dim.{dimension}", "en")]
    box.select(next(o for o in box.options if o != t("ui.all", "en")))


def one_round(clock: dt.datetime, profile: cProfile.Profile | None) -> list[tuple[float, float]]:
    """(wall, cpu) of: first, filter, warm, two, three."""
    at = page(clock)
    st.cache_data.clear()
    at.switch_page("pages/dashboard.py")
    first = timed_run(at)
    _choose(at, "region")
    changed = timed_run(at, profile)
    warm = timed_run(at)
    _choose(at, "channel")  # with the region breakdown shown: three dimensions
    two = timed_run(at)
    _choose(at, "service_type")
    three = timed_run(at)
    return [first, changed, warm, two, three]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--postgres", default=None, help="a PostgreSQL URL instead of SQLite")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", default=None, help="write the filter rerun's cProfile here")
    args = ap.parse_args(argv)
    url = args.postgres or f"sqlite:///{args.db or f'/tmp/bench_dashboard_{args.tickets}.db'}"
    ensure_database(url, args.tickets)
    os.environ["DATABASE_URL"] = url
    engine = db.make_engine(url)
    with db.read(engine) as s:
        last = s.scalar(select(func.max(Ticket.received_at)))
        n = s.scalar(select(func.count(Ticket.id)))
    clock = (last + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)
    end = clock.date()
    start = end - dt.timedelta(days=89)
    bounds = {"a": dt.datetime.combine(start, dt.time()),
              "b": dt.datetime.combine(end + dt.timedelta(days=1), dt.time())}  # fmt: skip
    _measure_script_threads()
    # CPU time, not wall: the machine may be busy with other work
    profile = cProfile.Profile(time.thread_time) if args.profile else None
    rounds = [one_round(clock, profile if i == args.repeat - 1 else None)
              for i in range(args.repeat)]  # fmt: skip
    names = ("first", "filter", "warm", "two", "three")
    wall = {k: statistics.median(r[i][0] for r in rounds) for i, k in enumerate(names)}
    cpu = {k: statistics.median(r[i][1] for r in rounds) for i, k in enumerate(names)}
    if profile is not None:
        profile.dump_stats(args.profile)
    first, changed = wall["first"], wall["filter"]
    month = (end.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")

    def workbook() -> None:
        with db.read(engine) as s:
            monthly_workbook(s, Actor(None, Role.MANAGER), month, clock, "zh")

    monthly = median_time(workbook, 1)

    def baseline() -> None:
        with db.read(engine) as s:
            s.execute(text(BASELINE), bounds).all()

    base = median_time(baseline, args.repeat)
    engine.dispose()
    kind = "postgresql" if args.postgres else "sqlite"
    print(
        f"RESULT dashboard_page db={kind} tickets={n} "
        + "".join(f"{k}_s={v:.3f} " for k, v in wall.items())
        + f"monthly_s={monthly:.3f} baseline_s={base:.4f} first_ratio={first / base:.1f} "
        f"filter_ratio={changed / base:.1f} "
        + " ".join(f"{k}_cpu_s={v:.3f}" for k, v in cpu.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
