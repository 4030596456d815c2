"""Visit generation for many plans vs a bare insert of the same rows; the manager's
figures (overdue ageing, month view, completion rate) over the visits it made.

    .venv/bin/python bench/maintenance.py [--plans 20000] [--url sqlite:///...] [--page]

A fresh database (SQLite file in a temporary folder unless ``--url``) gets one customer,
one engineer, the 2026 Spring Festival calendar and ``--plans`` plans (monthly,
quarterly, every 2 months and every 3 weeks, in turn). "ours" is
:func:`data_access.maintenance.generate_visits` for twelve months (schedule rule per
plan, holiday shift, the register write path, next-due refresh) in one transaction;
"baseline" is a bare Core ``INSERT`` executemany of exactly the rows it wrote, after
deleting them, in one transaction. Then, half a year later with nine in ten visits due
by then done (the rest overdue): the median time of the ageing, month-view and completion queries, and with
``--page`` the AppTest script time of the page's month and ageing views as a manager
(first run, figures not yet cached; median of later reruns).

Prints ``RESULT maintenance_generate plans=… rows=… ours_s=… rows_per_s=… baseline_s=… ratio=…``
``RESULT maintenance_figures visits=… ageing_s=… month_s=… month_region_s=… completion_s=…
group_by_s=…`` (the month view's data: calendar counts and completion; the baseline a bare
``GROUP BY due_date, status`` over the month's visits) and
``RESULT maintenance_page month_first_s=… month_s=… ageing_first_s=… ageing_s=…``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import DateTime, cast, delete, func, insert, select, update  # noqa: E402

from bench.timing import median_time as median  # noqa: E402
from data_access import db, sla_config  # noqa: E402
from data_access import maintenance as dm  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import (  # noqa: E402
    Customer,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    User,
)
from data_access.users import create_user  # noqa: E402
from rules.access import SYSTEM_ACTOR  # noqa: E402
from rules.sla import DEFAULT_WEEKLY  # noqa: E402

TODAY = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 1, 5, 9, 0)
LATER = dt.date(2026, 7, 6)
BENCH_USER, BENCH_PASSWORD = "bench_manager", "bench-password-1"
FREQUENCIES = (("monthly", None), ("quarterly", None), ("every_n_months", 2), ("every_n_weeks", 3))


def setup(url: str, plans: int) -> int:
    engine = db.make_engine(url)
    upgrade(engine)
    with db.write(engine) as s:
        sla_config.save_calendar(s, weekly=DEFAULT_WEEKLY)
        for i in range(9):
            sla_config.set_calendar_day(s, dt.date(2026, 2, 15) + dt.timedelta(days=i), "holiday")
        for day in (dt.date(2026, 2, 14), dt.date(2026, 2, 28)):
            sla_config.set_calendar_day(s, day, "workday")
        customer = Customer(code="B1", name="Bench", grade="A", region="华东")
        package = MaintenancePackage(code="basic", name_zh="基础保养", name_en="Basic")
        engineer = User(username="eng", display_name="工程师", role="engineer", password_hash="x")
        s.add_all([customer, package, engineer])
        s.flush()
        create_user(s, BENCH_USER, BENCH_PASSWORD, "manager", "Bench")
        rows = []
        for i in range(plans):
            freq, n = FREQUENCIES[i % len(FREQUENCIES)]
            rows.append({
                "plan_no": f"MP-{i:06d}", "name": f"plan {i}", "customer_id": customer.id,
                "package_id": package.id, "frequency": freq, "every_n": n, "mode": "fixed",
                "kind": "inspection", "start_date": TODAY + dt.timedelta(days=i % 28),
                "window_days": 7, "responsible_id": engineer.id, "active": True,
                "no_contract_confirmed": True, "version": 1, "created_at": NOW,
                "updated_at": NOW,
            })  # fmt: skip
        s.execute(insert(MaintenancePlan.__table__), rows)
    engine.dispose()
    return plans


def generate(url: str) -> tuple[int, float, list[dict]]:
    engine = db.make_engine(url)
    t0 = time.perf_counter()
    with db.write(engine) as s:
        added = dm.generate_visits(s, today=TODAY, actor=SYSTEM_ACTOR, now=NOW)
    ours = time.perf_counter() - t0
    with db.read(engine) as s:
        t = MaintenanceVisit.__table__
        cols = [c for c in t.c if c.name != "id"]
        written = [dict(r) for r in s.execute(select(*cols)).mappings()]
    engine.dispose()
    return added, ours, written


def baseline(url: str, rows: list[dict]) -> float:
    engine = db.make_engine(url)
    table = MaintenanceVisit.__table__
    with db.write(engine) as s:
        s.execute(delete(table))
    t0 = time.perf_counter()
    with db.write(engine) as s:
        s.execute(insert(table), rows)
    took = time.perf_counter() - t0
    engine.dispose()
    return took


def work_done(url: str) -> None:
    """Half a year on, nine in ten visits due by then are done (on their due day)."""
    engine = db.make_engine(url)
    v = MaintenanceVisit.__table__
    sqlite = engine.dialect.name == "sqlite"
    done_at = func.datetime(v.c.due_date) if sqlite else cast(v.c.due_date, DateTime)
    with db.write(engine) as s:
        s.execute(
            update(v)
            .where(v.c.due_date < LATER, v.c.id % 10 != 0)
            .values(status="done", done_at=done_at)
        )
    engine.dispose()


def figures(url: str) -> dict[str, float]:
    engine = db.make_engine(url)
    first, last = dt.date(2026, 7, 1), dt.date(2026, 7, 31)
    out = {}
    with db.read(engine) as s:
        out["visits"] = s.scalar(select(func.count(MaintenanceVisit.id)))
        out["ageing_s"] = median(lambda: dm.overdue_ageing(s, LATER, by="engineer"))
        out["month_s"] = median(lambda: dm.month_view(s, first, LATER))
        region = dm.MonthFilter(region="华东")
        out["month_region_s"] = median(lambda: dm.month_view(s, first, LATER, region))
        out["completion_s"] = median(lambda: dm.completion_rate(s, first, last))
        v = MaintenanceVisit
        bare = select(v.due_date, v.status, func.count(v.id)).where(
            v.due_date >= first, v.due_date <= last
        )  # the baseline: a bare GROUP BY over the month's visits, no join, no rule
        out["group_by_s"] = median(lambda: s.execute(bare.group_by(v.due_date, v.status)).all())
    engine.dispose()
    return out


def page_times(url: str, repeat: int = 3) -> dict[str, float]:
    """AppTest script time of the month view and the ageing view as a manager: the
    first run of each (figures not cached yet) and the median of later reruns."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    os.environ["AFTERSALES_JOBS"] = "0"  # the background jobs would write beside the timing
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["lang"] = "zh"
    at.session_state["clock"] = dt.datetime.combine(LATER, dt.time(10))
    at.run()
    at.text_input[0].input(BENCH_USER)
    at.text_input[1].input(BENCH_PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page(str(ROOT / "pages" / "maintenance.py")).run()
    assert not at.exception, at.exception
    out = {}
    for view in ("month", "ageing"):
        t0 = time.perf_counter()
        at.radio(key="maint.view").set_value(view).run()
        out[f"{view}_first_s"] = time.perf_counter() - t0
        out[f"{view}_s"] = median(lambda: at.run(), repeat)
        assert not at.exception, at.exception
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plans", type=int, default=20_000)
    parser.add_argument("--url")
    parser.add_argument("--page", action="store_true", help="also time the page (AppTest)")
    parser.add_argument(
        "--reuse", action="store_true", help="--url holds a database this bench built: time only"
    )
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench_maintenance.db"
    if not args.reuse:
        setup(url, args.plans)
        added, ours, rows = generate(url)
        base = baseline(url, rows)
        print(
            f"RESULT maintenance_generate plans={args.plans} rows={added} ours_s={ours:.2f} "
            f"rows_per_s={added / ours:,.0f} baseline_s={base:.2f} ratio={ours / base:.1f}"
        )
        work_done(url)
    got = figures(url)
    print(
        f"RESULT maintenance_figures visits={got['visits']} ageing_s={got['ageing_s']:.3f} "
        f"month_s={got['month_s']:.3f} month_region_s={got['month_region_s']:.3f} "
        f"completion_s={got['completion_s']:.3f} "
        f"group_by_s={got['group_by_s']:.3f}"
    )
    if args.page:
        page = page_times(url)
        print("RESULT maintenance_page " + " ".join(f"{k}={v:.2f}" for k, v in page.items()))


if __name__ == "__main__":
    main()
