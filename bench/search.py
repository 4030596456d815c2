"""Search by fragment at a million tickets: the trigram index vs the LIKE scan it replaced.

    .venv/bin/python bench/search.py [--tickets 1000000] [--db /tmp/bench_search_1m.db]
                                     [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                     [--schema NAME] [--build-only]

``--db -`` skips SQLite; ``--schema`` names the PostgreSQL schema (default
``bench_search_<tickets>``); ``--build-only`` builds (or migrates) and measures nothing.

Builds (once, then reuses) a database of synthetic tickets whose descriptions are
Chinese fault phrases, phones and serials, through the migrations — so the SQLite FTS5
triggers index every row as an import would. Then, per fragment kind (a rare number
fragment, a common Chinese phrase, a phrase found nowhere, a two-character prefix):

- ours: ``data_access.search.search`` (tickets + customers + devices, 10 hits each), and
  the ticket list's text filter (count + first page), as the pages run them;
- baseline: the ``%fragment% LIKE`` scan over the same columns that the list ran before.

Prints ``RESULT search db=… tickets=… kind=… ours_ms=… baseline_ms=… ratio=…``
(ratio < 1: faster than the scan). Target: ours ≤ 50 ms at 1,000,000 tickets.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402

from bench.timing import median_time  # noqa: E402
from data_access import db, search  # noqa: E402
from data_access import tickets as T  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Customer, Device, Ticket  # noqa: E402

PHRASES = ["主轴异响", "刀库卡刀", "液压站漏油", "伺服报警", "冷却液泄漏", "触摸屏无显示", "激光功率下降",
           "空压机排气温度高", "机器人示教器死机", "注塑机温控失灵", "编码器故障", "润滑泵不出油"]  # fmt: skip
BATCH = 20_000
AT = dt.datetime(2026, 11, 23, 10, 0)


def build(url: str, tickets: int, schema: str | None = None) -> None:
    engine = _engine(url, schema)
    upgrade(engine)
    with db.read(engine) as s:
        have = s.scalar(select(func.count(Ticket.id))) or 0
    if have >= tickets:
        engine.dispose()
        return
    rng = random.Random(7)
    t0 = time.perf_counter()
    n_cust = max(200, tickets // 500)
    with engine.begin() as conn:
        conn.execute(
            insert(Customer),
            [
                dict(
                    code=f"C{i:06d}",
                    name=f"客户{i}精密机械",
                    grade="ABC"[i % 3],
                    phone=f"0512-{i:06d}",
                    version=1,
                    created_at=AT,
                    updated_at=AT,
                )
                for i in range(n_cust)
            ],  # fmt: skip
        )
        conn.execute(
            insert(Device),
            [
                dict(
                    serial_no=f"SN{i:08d}",
                    customer_id=1 + i % n_cust,
                    location=f"{i % 9}号车间",
                    version=1,
                    created_at=AT,
                    updated_at=AT,
                )
                for i in range(n_cust * 4)
            ],  # fmt: skip
        )
    for start in range(have, tickets, BATCH):
        rows = []
        for i in range(start, min(tickets, start + BATCH)):
            received = AT - dt.timedelta(minutes=(tickets - i) * 3)
            rows.append(dict(
                ticket_no=f"SR{received:%Y%m%d}{i:07d}", customer_id=1 + i % n_cust,
                serial_no=f"SN{rng.randrange(n_cust * 4):08d}", channel="phone",
                priority="standard", status="closed" if i < tickets * 0.97 else "received",
                contact_name=f"联系人{i % 997}", contact_phone=f"138{rng.randrange(10**8):08d}",
                fault_description=f"{rng.choice(PHRASES)}，{rng.choice(PHRASES)}，代码 E{rng.randrange(999)}",
                received_at=received, escalation_level=1, remote_resolved=False,
                version=1, created_at=AT, updated_at=AT,
            ))  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(Ticket), rows)
    if engine.dialect.name == "postgresql":  # the planner's row counts, as autovacuum keeps them
        with engine.begin() as conn:
            conn.execute(text("ANALYZE tickets, customers, devices"))
    print(f"built {tickets:,} tickets in {time.perf_counter() - t0:.1f} s", flush=True)
    engine.dispose()


def _engine(url: str, schema: str | None):
    if schema is None:
        return db.make_engine(url)
    admin = db.make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    return db.make_engine(url, connect_args={"options": f"-csearch_path={schema},public"})


def median_ms(fn, repeat: int) -> float:
    fn()  # warm
    return median_time(fn, repeat) * 1000


def like_scan(session, fragment: str) -> list:
    """What the ticket list ran before the index: ILIKE over the columns, customers too."""
    like = f"%{fragment}%"
    cols = (Ticket.ticket_no, Ticket.serial_no, Ticket.contact_name, Ticket.contact_phone,
            Ticket.fault_description)  # fmt: skip
    named = select(Customer.id).where(Customer.name.ilike(like) | Customer.code.ilike(like))
    q = (
        select(Ticket.id)
        .where(
            cols[0].ilike(like)
            | cols[1].ilike(like)
            | cols[2].ilike(like)
            | cols[3].ilike(like)
            | cols[4].ilike(like)
            | Ticket.customer_id.in_(named)
        )  # fmt: skip
        .order_by(Ticket.received_at.desc())
        .limit(10)
    )
    return session.execute(q).all()


def run(label: str, url: str, schema: str | None, repeat: int) -> None:
    engine = _engine(url, schema)
    with db.read(engine) as s:
        n = s.scalar(select(func.count(Ticket.id)))
        some = s.scalar(select(Ticket.ticket_no).order_by(Ticket.id).offset(n // 2).limit(1))
        fragments = {
            "number": some[-8:],  # a fragment from the middle of one ticket's number
            "phrase": "液压站漏油",  # about one ticket in six
            "nothing": "不存在的故障",
            "prefix2": "SR",  # two characters: a number's start
        }
        kinds = ("ticket", "customer", "device")
        if (
            engine.dialect.name == "sqlite"
        ):  # merged by the job ticker (python -m data_access.jobs index)
            print("segments", {t: search.segments(s, t) for t in search.FTS_TABLES[:3]}, flush=True)
        for kind, frag in fragments.items():
            ours = median_ms(lambda f=frag: search.search(s, f, kinds=kinds), repeat)
            s.rollback()  # the search's statement timeout ends with its transaction
            try:
                listed = median_ms(
                    lambda f=frag: (
                        T.count_tickets(s, T.TicketFilter(text=f), AT),
                        T.list_tickets(s, T.TicketFilter(text=f), now=AT),
                    ),
                    max(3, repeat // 2),
                )
            except OperationalError:  # a timeout set by an earlier statement
                s.rollback()
                listed = float("nan")
            base = median_ms(lambda f=frag: like_scan(s, f), max(3, repeat // 2))
            hits = len(search.search(s, frag, kinds=kinds))
            print(
                f"RESULT search db={label} tickets={n} kind={kind} fragment={frag!r} hits={hits} "
                f"ours_ms={ours:.1f} list_count_and_page_ms={listed:.1f} "
                f"baseline_ms={base:.1f} ratio={ours / base:.3f}",
                flush=True,
            )
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--db", default="/tmp/bench_search_1m.db")
    parser.add_argument("--pg", default="")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--schema", default="", help="PostgreSQL schema (default bench_search_N)")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.db}"
    if args.db != "-":
        build(url, args.tickets)
        if not args.build_only:
            run("sqlite", url, None, args.repeat)
    if args.pg:
        schema = args.schema or f"bench_search_{args.tickets}"
        build(args.pg, args.tickets, schema)
        if not args.build_only:
            run("postgresql", args.pg, schema, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
