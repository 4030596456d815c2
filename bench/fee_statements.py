"""Monthly statements (月结) over a large database: time vs a bare SQL sum.

    .venv/bin/python bench/fee_statements.py [--customers 2000] [--tickets 100000]
                                             [--db /tmp/bench_fees.db]

The database is made once with Core inserts (customers, tickets spread over twelve
months, three fee lines each; the eleven earlier months already settled, most of them
paid) and reused when it holds the tickets. Timed in the same run:

- ``baseline``: a bare ``SELECT customer_id, SUM(amount) … GROUP BY customer_id`` over
  the last month's fee lines;
- ``monthly_totals``: the same figure through :func:`data_access.fees.monthly_totals`;
- ``settle_months``: a statement for every customer with fee lines that month
  (:func:`data_access.fees.settle_months`: numbering, locking the lines, audit), in one
  transaction, then rolled back; with ``--per-customer`` also the page's one-customer
  command :func:`data_access.fees.settle_month` called for each customer;
- ``receivables``: the ageing query of the receivables tab over every statement.

Prints ``RESULT fee_statements customers=… tickets=… baseline_s=… settle_s=… ratio=…``.

Measured here (SQLite, 2 shared cores, 2026-12-01), 2,000 customers, 100,000 tickets,
300,000 fee lines, 21,660 earlier statements: bare sum 0.29–0.46 s; ``monthly_totals``
ratio 1.1–1.6; ``settle_months`` 1,969 statements 3.2–3.7 s (ratio 8–11); the
one-customer command in a loop 139 s before ``settle_months`` shared its set-based
writes; receivables query 0.16 s; receivables page script time 0.19 s (≤ 0.3 s);
statements page 0.17–0.31 s. With fee documents and the visits' lines as a second source
(migration 0021), minutes apart on the same loaded machine: ``settle_months`` 1.70 s
(1.71 s before), ``monthly_totals`` ratio 1.11 (1.09), receivables page 0.19 s (0.23 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.timing import median_time  # noqa: E402
from data_access import db  # noqa: E402
from data_access import fees as fees_da  # noqa: E402
from data_access.models import (  # noqa: E402
    Customer,
    FeeLine,
    FeeQuote,
    Payment,
    Settlement,
    Ticket,
)
from rules.access import Actor, Role  # noqa: E402

NOW = dt.datetime(2026, 12, 5, 10, 0)
MONTHS = [dt.date(2025 + (m + 11) // 12, (m + 11) % 12 + 1, 1) for m in range(12)]  # Dec..Nov
LAST = MONTHS[-1]  # November 2026
ACTOR = Actor(None, Role.MANAGER)
BASELINE_SQL = (
    "SELECT t.customer_id, SUM(f.amount) FROM fee_lines f JOIN tickets t ON t.id = f.ticket_id "
    "WHERE t.received_at >= :a AND t.received_at < :b GROUP BY t.customer_id"
)


def build(url: str, customers: int, tickets: int) -> None:
    engine = db.make_engine(url)
    from data_access.migrate import upgrade

    upgrade(engine)
    with db.read(engine) as s:
        if (s.scalar(select(func.count(Ticket.id))) or 0) >= tickets:
            return
    rng = random.Random(7)
    t0 = time.perf_counter()
    with db.write(engine) as s:
        stamp = {"version": 1, "created_at": NOW, "updated_at": NOW}
        s.execute(insert(Customer.__table__), [
            {"id": i, "code": f"C{i:05d}", "name": f"客户{i}", "region": "华东", **stamp}
            for i in range(1, customers + 1)
        ])  # fmt: skip
        rows, lines, docs = [], [], []
        for i in range(1, tickets + 1):
            month = MONTHS[i * 12 // (tickets + 1)]
            at = dt.datetime.combine(month, dt.time(9)) + dt.timedelta(days=rng.randint(0, 27))
            rows.append({"id": i, "ticket_no": f"SR{i:09d}", "customer_id": rng.randint(1, customers),
                         "priority": "standard", "received_at": at, "channel": "phone",
                         "status": "closed", "fault_description": "故障", **stamp})  # fmt: skip
            docs.append({"id": i, "doc_no": f"SR{i:09d}", "ticket_id": i, "status": "confirmed",
                         **stamp})  # fmt: skip
            for k, (kind, amount) in enumerate((("diagnosis", "300"), ("labour", "560"),
                                                ("parts", str(rng.randint(0, 2000))))):  # fmt: skip
                lines.append({"doc_id": i, "doc_no": f"SR{i:09d}", "ticket_id": i,
                              "line_no": k + 1, "kind": kind, "qty": Decimal(1),
                              "unit_price": Decimal(amount), "list_amount": Decimal(amount),
                              "rule": "rate_card", "discount_pct": 0, "discount": 0,
                              "amount": Decimal(amount), **stamp})  # fmt: skip
        s.execute(insert(Ticket.__table__), rows)
        s.execute(insert(FeeQuote.__table__), docs)
        s.execute(insert(FeeLine.__table__), lines)
        _settle_history(s, rng)
    print(f"built {customers:,} customers, {tickets:,} tickets in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def _settle_history(s, rng: random.Random) -> None:
    """The eleven months before the last one: one statement per customer and month,
    set-based, most paid (the receivables tab then ages the rest)."""
    sums = s.execute(
        text(
            "SELECT t.customer_id, strftime('%Y-%m', t.received_at), SUM(f.amount) FROM fee_lines f "
            "JOIN tickets t ON t.id = f.ticket_id WHERE t.received_at < :b GROUP BY 1, 2"
        ),
        {"b": dt.datetime.combine(LAST, dt.time())},
    ).all()
    stamp = {"version": 1, "created_at": NOW, "updated_at": NOW}
    heads, pays = [], []
    for n, (cid, ym, total) in enumerate(sums, 1):
        start = dt.date.fromisoformat(f"{ym}-01")
        at = dt.datetime.combine(start + dt.timedelta(days=33), dt.time(10))
        total = Decimal(str(total))
        heads.append({"id": n, "settlement_no": f"YJ{ym.replace('-', '')}-B{n:07d}",
                      "kind": "monthly", "customer_id": cid, "period_start": start,
                      "period_end": start + dt.timedelta(days=27), "status": "settled",
                      "total": total, "settled_at": at, **stamp})  # fmt: skip
        if rng.random() < 0.85:
            heads[-1]["status"] = "paid"
            pays.append({"payment_no": f"P{n:08d}", "settlement_id": n, "kind": "payment",
                         "paid_on": at.date(), "amount": total, "method": "bank_transfer",
                         **stamp})  # fmt: skip
    s.execute(insert(Settlement.__table__), heads)
    s.execute(insert(Payment.__table__), pays)
    s.execute(
        text(
            "UPDATE fee_lines SET settlement_id = (SELECT s.id FROM settlements s JOIN tickets t "
            "ON t.customer_id = s.customer_id WHERE t.id = fee_lines.ticket_id AND "
            "s.period_start = date(strftime('%Y-%m-01', t.received_at))) "
            "WHERE ticket_id IN (SELECT id FROM tickets WHERE received_at < :b)"
        ),
        {"b": dt.datetime.combine(LAST, dt.time())},
    )


BENCH_USER, BENCH_PASSWORD = "bench_fees_manager", "bench-password-1"


def page_script_time(url: str, section: str, repeat: int = 5) -> float:
    """Median AppTest script time of the fees page showing ``section`` (``ageing``: the
    receivables page) as a manager."""
    import os

    from streamlit.testing.v1 import AppTest

    from data_access.models import User
    from data_access.users import create_user

    engine = db.make_engine(url)
    with db.write(engine) as s:
        if not s.scalar(select(User.id).where(User.username == BENCH_USER)):
            create_user(s, BENCH_USER, BENCH_PASSWORD, "manager", "Bench")
    engine.dispose()
    os.environ["DATABASE_URL"] = url
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "zh"
    at.session_state["clock"] = NOW
    at.run()
    at.text_input[0].input(BENCH_USER)
    at.text_input[1].input(BENCH_PASSWORD)
    at.button[0].click()
    at.run()
    at.switch_page("pages/fees.py").run()
    at.radio(key="fees.section").set_value(section).run()
    assert not at.exception, at.exception
    assert at.dataframe, "the section shows no table"
    return median_time(lambda: at.run(), repeat)


def rolled_back(engine, fn):
    """Time ``fn(session)`` in one write transaction, then roll it back (the database
    stays as built for the next run)."""
    from sqlalchemy.orm import Session

    with Session(engine.execution_options(sqlite_write=True)) as s, s.begin():
        t0 = time.perf_counter()
        out = fn(s)
        elapsed = time.perf_counter() - t0
        s.rollback()
    return elapsed, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--db", default="/tmp/bench_fees.db")
    ap.add_argument(
        "--per-customer", action="store_true", help="also time settle_month per customer"
    )
    args = ap.parse_args()
    url = f"sqlite:///{args.db}"
    build(url, args.customers, args.tickets)
    engine = db.make_engine(url)
    end = dt.date(2026, 11, 30)
    bounds = {"a": dt.datetime.combine(LAST, dt.time()), "b": dt.datetime(2026, 12, 1)}
    with db.read(engine) as s:
        base = median_time(lambda: s.execute(text(BASELINE_SQL), bounds).all())
        ours_sum = median_time(lambda: fees_da.monthly_totals(s, LAST, end))
        bare = dict(s.execute(text(BASELINE_SQL), bounds).all())
        mine = dict(fees_da.monthly_totals(s, LAST, dt.date(2026, 11, 30)))
        assert {k: round(Decimal(str(v)), 2) for k, v in bare.items()} == mine
        codes = [c for (c,) in s.execute(
            select(Customer.code).where(Customer.id.in_(list(mine))).order_by(Customer.code))]  # fmt: skip
        recv = median_time(lambda: fees_da.receivables(s, NOW.date()))
        n_statements = s.scalar(select(func.count(Settlement.id)))
    settle, made = rolled_back(
        engine, lambda s: len(fees_da.settle_months(s, LAST, actor=ACTOR, now=NOW))
    )
    loop = None
    if args.per_customer:
        loop, _ = rolled_back(engine, lambda s: [
            fees_da.settle_month(s, code, LAST, actor=ACTOR, now=NOW) for code in codes
        ])  # fmt: skip
    print(f"baseline (bare SQL sum, one month):      {base * 1000:8.1f} ms")
    print(f"monthly_totals (same figure):            {ours_sum * 1000:8.1f} ms  "
          f"ratio {ours_sum / base:.2f}")  # fmt: skip
    print(f"settle_months: {made} statements:         {settle:8.2f} s   ratio {settle / base:.0f}")
    if loop is not None:
        print(f"settle_month one customer at a time:     {loop:8.2f} s   ratio {loop / base:.0f} "
              f"({loop / max(made, 1) * 1000:.1f} ms a statement)")  # fmt: skip
    print(f"receivables over {n_statements:,} statements:  {recv * 1000:8.1f} ms")
    page = page_script_time(url, "ageing")
    print(f"receivables page script time:            {page * 1000:8.1f} ms")
    statements_page = page_script_time(url, "statements")
    print(f"statements page script time:             {statements_page * 1000:8.1f} ms")
    print(f"RESULT fee_statements customers={args.customers} tickets={args.tickets} "
          f"baseline_s={base:.4f} totals_s={ours_sum:.4f} settle_s={settle:.2f} "
          f"statements={made} ratio={settle / base:.0f} receivables_s={recv:.3f} page_s={page:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
