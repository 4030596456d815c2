"""The caller's queue and the complaints list at scale, and queue generation.

    .venv/bin/python bench/followups_queue.py [--followups 200000] [--complaints 20000]
        [--customers 5000] [--db /tmp/bench_followups.db]

A synthetic SQLite database (made once, reused while it holds the rows): customers
(grade A/B/C), one device each, ``--followups`` follow-ups over two years (a few hundred
planned ones due up to today) and ``--complaints`` complaints. Measured, medians:

- the AppTest script time of the follow-ups page (an agent: today's calls, overdue
  first) and of the complaints page (a quality officer: open complaints, the first
  one's detail) against a bare ``SELECT … LIMIT 100`` of follow-ups (target: ≤ 0.3 s);
- queue generation for every customer for a year (:func:`data_access.followups.
  generate_queue`, idempotent) against a bare Core executemany of the same number of
  rows (both rolled back).

Prints ``RESULT followups_queue …`` lines with the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from bench.timing import median_time  # noqa: E402
from data_access import db  # noqa: E402
from data_access import followups as FU  # noqa: E402
from data_access.models import Complaint, Customer, Device, FollowUp  # noqa: E402
from data_access.users import create_user  # noqa: E402
from rules.access import Actor, Role  # noqa: E402

TODAY = dt.date(2026, 11, 23)
CLOCK = dt.datetime(2026, 11, 23, 10, 0)
PASSWORD = "bench-password-1"
USERS = {"bench_agent": "agent", "bench_quality": "quality"}
BASELINE_SQL = (
    "SELECT f.id, f.followup_no, f.due_date, f.reason, c.name FROM followups f "
    "JOIN customers c ON c.id = f.customer_id WHERE f.status = 'planned' LIMIT 100"
)


def ensure_database(url: str, n_cust: int, n_fu: int, n_cp: int) -> None:
    engine = db.make_engine(url)
    from data_access.migrate import upgrade

    upgrade(engine)
    with db.read(engine) as s:
        have = s.scalar(select(func.count(FollowUp.id))) or 0
    if have >= n_fu:
        engine.dispose()
        return
    rng = random.Random(7)
    t0 = time.perf_counter()
    now = CLOCK
    with db.write(engine) as s:
        for name, role in USERS.items():
            create_user(s, name, PASSWORD, role, name)
        s.execute(
            insert(Customer),
            [{"code": f"C{i:05d}", "name": f"客户{i}", "grade": rng.choice("ABBC"), "version": 1,
              "created_at": now, "updated_at": now} for i in range(1, n_cust + 1)],
        )  # fmt: skip
        s.execute(
            insert(Device),
            [{"serial_no": f"SN{i:06d}", "customer_id": i, "version": 1, "created_at": now,
              "updated_at": now, "install_date": TODAY - dt.timedelta(days=rng.randint(0, 900))}
             for i in range(1, n_cust + 1)],
        )  # fmt: skip
        rows = []
        for i in range(1, n_fu + 1):
            due = TODAY - dt.timedelta(days=rng.randint(-60, 700))
            late = due <= TODAY
            status = "planned" if not late or rng.random() < 0.002 else "done"
            rows.append({"followup_no": f"HF-B-{i:07d}", "customer_id": rng.randint(1, n_cust),
                         "reason": rng.choice(("ticket", "periodic", "install")), "mode": "phone",
                         "due_date": due, "status": status, "attempts": 0 if status == "planned" else 1,
                         "version": 1, "created_at": now, "updated_at": now})  # fmt: skip
            if len(rows) == 20_000:
                s.execute(insert(FollowUp), rows)
                rows = []
        if rows:
            s.execute(insert(FollowUp), rows)
        s.execute(
            insert(Complaint),
            [{"complaint_no": f"TS-B-{i:06d}", "customer_id": rng.randint(1, n_cust),
              "complainant": "张", "channel": "hotline", "content": "慢",
              "received_at": now - dt.timedelta(hours=rng.randint(1, 17000)),
              "severity": "low", "urgency": "low", "priority": "low",
              "status": "closed" if rng.random() < 0.95 else "handling", "tier": 1, "rounds": 1,
              "version": 1, "created_at": now, "updated_at": now}
             for i in range(1, n_cp + 1)],
        )  # fmt: skip
    print(f"generated in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def page_time(user: str, page: str, repeat: int) -> float:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "zh"
    at.session_state["clock"] = CLOCK
    at.run()
    at.text_input[0].input(user)
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    assert at.dataframe, "the page shows no table"
    return median_time(lambda: at.run(), repeat)


def generation(engine, repeat: int) -> tuple[int, float, float]:
    """generate_queue for a year vs a bare executemany of as many rows, both rolled back."""
    with db.read(engine) as s:
        n_cust = s.scalar(select(func.count(Customer.id)))
    times, n = [], 0
    for _ in range(repeat):
        with db.write(engine) as s:
            t0 = time.perf_counter()
            n = FU.generate_queue(s, 2027, actor=Actor(None, Role.AGENT), now=CLOCK)
            times.append(time.perf_counter() - t0)
            s.rollback()
    ours = statistics.median(times)
    rows = [{"followup_no": f"X-{i}", "customer_id": 1 + i % n_cust, "reason": "periodic",
             "mode": "phone", "due_date": TODAY, "status": "planned", "attempts": 0, "version": 1,
             "created_at": CLOCK, "updated_at": CLOCK} for i in range(n)]  # fmt: skip
    bare = []
    for _ in range(repeat):
        with db.write(engine) as s:
            t0 = time.perf_counter()
            s.execute(insert(FollowUp), rows)
            bare.append(time.perf_counter() - t0)
            s.rollback()
    return n, ours, statistics.median(bare)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--followups", type=int, default=200_000)
    parser.add_argument("--complaints", type=int, default=20_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--db", default="/tmp/bench_followups.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-generation", action="store_true")
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.db}"
    ensure_database(url, args.customers, args.followups, args.complaints)
    os.environ["DATABASE_URL"] = url
    engine = db.make_engine(url)
    with engine.connect() as conn:
        n_fu = conn.execute(text("SELECT count(*) FROM followups")).scalar()
        n_cp = conn.execute(text("SELECT count(*) FROM complaints")).scalar()
        baseline = median_time(lambda: conn.execute(text(BASELINE_SQL)).all(), args.repeat)
    queue_s = page_time("bench_agent", "followups", args.repeat)
    list_s = page_time("bench_quality", "complaints", args.repeat)
    print(
        f"RESULT followups_queue followups={n_fu} complaints={n_cp} caller_page_s={queue_s:.4f} "
        f"complaints_page_s={list_s:.4f} baseline_s={baseline:.4f} "
        f"ratio_caller={queue_s / baseline:.1f} ratio_complaints={list_s / baseline:.1f}"
    )
    if args.no_generation:
        engine.dispose()
        return 0
    n, ours, bare = generation(engine, max(1, args.repeat // 2))
    print(
        f"RESULT followups_generation customers={args.customers} rows={n} ours_s={ours:.3f} "
        f"bare_insert_s={bare:.3f} ratio={ours / bare:.1f}"
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
