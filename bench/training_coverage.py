"""Training coverage over a large database: the coverage query and page vs a bare GROUP BY.

    .venv/bin/python bench/training_coverage.py [--customers 5000] [--devices 20000]
        [--attendance 100000] [--db /tmp/bench_training.db] [--repeat 7]

The database is made once (synthetic rows written with Core executemany: customers,
16 product models, devices, courses covering models, sessions of ten attendees with
results and certificates from the pure rules) and reused when it already holds the
attendance rows. Measured, median of ``--repeat``:

- ``coverage_s``: :func:`data_access.training.coverage` (customers trained, the
  customer × model certified-operator gaps, the staff matrix, expiring certificates);
- ``page_first_s`` / ``page_s``: AppTest script time of the training page for a user
  who sees the coverage tab only (an agent without a region: every customer), on the
  first run (figures computed) and the median rerun (figures from the page's
  one-minute cache);
- ``full_page_first_s`` / ``full_page_s``: the same for a manager (every tab:
  sessions, coverage, grids, feedback);
- ``baseline_s``: ``SELECT customer_id, count(*) FROM training_attendance GROUP BY
  customer_id``, the bare scan the coverage figures cannot beat.

Prints ``RESULT training_coverage … ratio=coverage/baseline page_ratio=page/baseline``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from bench.timing import median_time  # noqa: E402
from data_access import db  # noqa: E402
from data_access import training as data  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import (  # noqa: E402
    Customer,
    Device,
    ProductModel,
    Setting,
    TrainingAttendance,
    TrainingCourse,
    TrainingCourseModel,
    TrainingSession,
    User,
)
from data_access.users import create_user  # noqa: E402
from rules import training as tr  # noqa: E402
from rules.access import Actor, Role  # noqa: E402

TODAY = dt.date(2026, 11, 23)
PASSWORD = "bench-password-1"
BASELINE_SQL = "SELECT customer_id, count(*) FROM training_attendance GROUP BY customer_id"
REGIONS = ["华东", "华北", "华南", "西南", "华中"]


def _stamp(row: dict) -> dict:
    row.setdefault("created_at", dt.datetime(2025, 1, 1))
    if "version" not in row:
        row["version"] = 1
        row["updated_at"] = row["created_at"]
    return row


def build(url: str, customers: int, devices: int, attendance: int) -> None:
    engine = db.make_engine(url)
    upgrade(engine)
    with db.read(engine) as s:
        have = s.scalar(select(func.count(TrainingAttendance.id))) or 0
    if have >= attendance:
        engine.dispose()
        return
    rng = random.Random(7)
    t0 = time.perf_counter()
    with db.write(engine) as s:
        for table in (TrainingAttendance, TrainingSession, TrainingCourseModel, TrainingCourse,
                      Device, ProductModel, Customer, Setting):  # fmt: skip
            s.execute(table.__table__.delete())
        s.execute(User.__table__.delete())

        def put(model, rows):
            for k in range(0, len(rows), 10_000):
                s.execute(insert(model.__table__), [_stamp(r) for r in rows[k : k + 10_000]])

        put(Customer, [{"id": i, "code": f"C{i:05d}", "name": f"客户{i:05d}", "grade": "B",
                        "region": REGIONS[i % 5]} for i in range(1, customers + 1)])  # fmt: skip
        put(ProductModel, [{"id": m, "code": f"M{m:02d}", "name": f"型号{m}", "warranty_months": 12,
                            "critical": False} for m in range(1, 17)])  # fmt: skip
        put(Device, [{"id": d, "serial_no": f"SN{d:07d}", "customer_id": rng.randint(1, customers),
                      "model_id": rng.randint(1, 16)} for d in range(1, devices + 1)])  # fmt: skip
        courses = []
        for k in range(4):  # each operation course covers four models
            courses.append({"id": k + 1, "code": f"OP-{k}", "title_zh": f"操作{k}",
                            "topic": "operation", "delivery": "online_live",
                            "audience": "operators", "pass_mark": Decimal(70),
                            "validity_months": 12, "models": None, "active": True})  # fmt: skip
        put(TrainingCourse, courses)
        put(TrainingCourseModel, [{"course_id": m % 4 + 1, "model_id": m}
                                  for m in range(1, 17)])  # fmt: skip
        for username, role, region in (("bench_agent", "agent", None),
                                       ("bench_manager", "manager", None)):  # fmt: skip
            create_user(s, username, PASSWORD, role, username, region=region)
        s.flush()
        trainer = s.scalar(select(User.id).where(User.username == "bench_manager"))
        sessions, lines = [], []
        n_sessions = attendance // 10
        start = dt.datetime(2025, 11, 1, 9)
        for sid in range(1, n_sessions + 1):
            starts = start + dt.timedelta(hours=rng.randint(0, 24 * 380))
            course = rng.randint(1, 4)
            customer = rng.randint(1, customers) if rng.random() < 0.97 else None
            sessions.append({"id": sid, "session_no": f"PX-{sid:07d}", "course_id": course,
                             "customer_id": customer, "trainer_id": trainer,
                             "starts_at": starts, "capacity": 20, "status": "held"})  # fmt: skip
            for line in range(1, 11):
                presence = rng.choice(("present", "present", "present", "late", "absent"))
                score = Decimal(rng.randint(40, 100)) if presence != "absent" else None
                result = tr.result_of(presence, score, None, Decimal(70))
                passed = result == tr.Result.PASSED
                lines.append({
                    "session_id": sid, "line_no": line, "kind": "contact" if customer else "guest",
                    "name": f"学员{sid % 900}-{line}", "customer_id": customer,
                    "presence": presence, "test_score": score,
                    "rating": rng.randint(1, 5) if presence != "absent" else None,
                    "result": result and str(result),
                    "certificate_no": tr.certificate_no(f"PX-{sid:07d}", line) if passed else None,
                    "certificate_expires": tr.certificate_expiry(starts.date(), 12) if passed else None,
                })  # fmt: skip
        put(TrainingSession, sessions)
        put(TrainingAttendance, lines)
    if not db.is_sqlite(engine):
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"built {customers:,} customers, {devices:,} devices, {len(lines):,} attendance rows "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    engine.dispose()


def page_time(username: str, repeat: int) -> tuple[float, float]:
    """(first run of the page: figures computed, median rerun: figures from the page's
    one-minute cache)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["lang"] = "zh"
    at.session_state["clock"] = dt.datetime.combine(TODAY, dt.time(10))
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("pages/training.py")
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    assert at.metric, "no coverage figures shown"
    return first, median_time(lambda: at.run(), repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--devices", type=int, default=20_000)
    parser.add_argument("--attendance", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/bench_training.db")
    parser.add_argument("--url", help="a database URL instead of --db (PostgreSQL)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///{args.db}"
    build(url, args.customers, args.devices, args.attendance)
    os.environ["DATABASE_URL"] = url
    # the page's script time only: the app's job ticker (escalation, notifications,
    # here a first burst of "certificate expiring" messages) would share the CPU
    os.environ.setdefault("AFTERSALES_JOBS", "0")
    engine = db.make_engine(url)
    with engine.connect() as conn:
        baseline = median_time(lambda: conn.execute(text(BASELINE_SQL)).all(), args.repeat)
    actor = Actor(None, Role.MANAGER)
    with db.read(engine) as s:
        coverage_s = median_time(lambda: data.coverage(s, actor, TODAY), args.repeat)
        cov = data.coverage(s, actor, TODAY)
        parts = {  # where the time goes
            "trained": lambda: s.execute(
                select(func.count(Customer.id)).where(data._trained_exists())
            ).all(),
            "operators": lambda: data.operator_coverage(s, TODAY, None),
            "expiring": lambda: data.expiring_certificates(s, TODAY, None),
        }
        for name, fn in parts.items():
            print(f"  {name}: {median_time(fn, args.repeat) * 1000:.0f} ms")
    engine.dispose()
    print(
        f"customers {cov.customers:,}, trained {cov.trained:,} "
        f"({tr.shown_ratio(cov.customer_ratio)}); sites {cov.sites:,}, covered "
        f"{cov.sites_covered:,}; expiring {len(cov.expiring)}"
    )
    page_first, page = page_time("bench_agent", args.repeat)
    full_first, full = page_time("bench_manager", args.repeat)
    print(
        f"RESULT training_coverage customers={args.customers} devices={args.devices} "
        f"attendance={args.attendance} coverage_s={coverage_s:.4f} "
        f"page_first_s={page_first:.4f} page_s={page:.4f} full_page_first_s={full_first:.4f} "
        f"full_page_s={full:.4f} baseline_s={baseline:.4f} ratio={coverage_s / baseline:.1f} "
        f"page_first_ratio={page_first / baseline:.1f} page_ratio={page / baseline:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
