"""Spare parts over a large stock ledger on SQLite.

    .venv/bin/python bench/parts_ledger.py [--rows 1000000] [--receipts 100000] [--db PATH]

1. Page: the parts page as a parts keeper, a rerun with each tab open (only the
   open tab runs): stock by warehouse, the card of one part typed in (its ledger
   page and chart), the ledger's first keyset page — median AppTest script time —
   beside the same rerun of a page that does next to nothing ("shell": the app's
   log-in check, menu and sidebar, and AppTest's own work), against a bare
   ``SELECT part_id, warehouse_id, SUM(qty) … GROUP BY`` over the same ledger,
   measured in the same run.
2. Import: ``--receipts`` receipt lines through the import engine (sandboxed parse,
   validation, the ledger's hooks, balances, journal for undo) against a bare parse of
   the same file with python-calamine (the engine's reader, in process) plus one
   executemany INSERT of the same rows into the same ``stock_movements`` table, its
   indexes and million rows included (see :func:`bare_import`). Rounds of bare and
   ours back to back; wall and CPU (this process and the ended parser child).

The ledger is generated straight into the tables (receipts, then issues that never
overdraw; balances = ledger sums) and reused by later runs of the same size.
Prints ``RESULT parts_page …`` and ``RESULT parts_import …`` lines with the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xlsxwriter  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from bench.timing import median_time as median  # noqa: E402
from data_access import db  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Part, StockMovement, User, Warehouse  # noqa: E402
from data_access.users import create_user  # noqa: E402
from imports.engine import import_file  # noqa: E402
from rules.access import Actor, Role  # noqa: E402

USER, PASSWORD = "bench_keeper", "bench-password-1"
PARTS, WAREHOUSES = 2000, 10
START = dt.datetime(2025, 1, 1, 8, 0)
CARD_PART = "P00042"
BASELINE_SQL = "SELECT part_id, warehouse_id, SUM(qty) FROM stock_movements GROUP BY 1, 2"


def build(url: str, rows: int) -> None:
    engine = db.make_engine(url)
    upgrade(engine)
    with db.read(engine) as s:
        have = s.scalar(select(func.count(StockMovement.id))) or 0
    if have >= rows:
        engine.dispose()
        return
    t0 = time.perf_counter()
    rng = random.Random(7)
    with engine.begin() as conn:
        for t in ("stock_balances", "stock_movements", "warehouses", "parts"):
            conn.execute(text(f"DELETE FROM {t}"))
        now = START
        conn.execute(
            text("INSERT INTO warehouses (id, code, name, kind, active, version, created_at, "
                 "updated_at) VALUES (:i, :c, :n, :k, 1, 1, :t, :t)"),
            [{"i": w, "c": f"WH{w:02d}", "n": f"仓库{w}", "k": "central" if w == 1 else "regional",
              "t": now} for w in range(1, WAREHOUSES + 1)],
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO parts (id, part_no, name, uom, unit_cost, price, is_key, "
                 "reorder_point, reorder_qty, on_hand, is_wear, active, version, created_at, "
                 "updated_at) VALUES (:i, :no, :n, '个', :c, :p, :k, 5, 20, 0, 0, 1, 1, :t, :t)"),
            [{"i": p, "no": f"P{p:05d}", "n": f"配件{p}", "c": 10 + p % 90, "p": 20 + p % 90,
              "k": p % 7 == 0, "t": now} for p in range(1, PARTS + 1)],
        )  # fmt: skip
        balance: dict[tuple[int, int], int] = {}
        batch = []
        step = dt.timedelta(seconds=max(1, int(3600 * 24 * 600 / rows)))
        for i in range(1, rows + 1):
            p, w = rng.randint(1, PARTS), rng.randint(1, WAREHOUSES)
            have = balance.get((p, w), 0)
            issue = have > 0 and rng.random() < 0.45
            qty = -rng.randint(1, have) if issue else rng.randint(1, 20)
            balance[(p, w)] = have + qty
            doc = f"{'LY' if issue else 'RK'}-B{i:07d}"
            batch.append({"i": i, "e": f"{doc}/1", "d": doc, "p": p, "w": w, "at": now,
                          "k": "issue" if issue else "receipt", "q": qty, "c": 10 + p % 90})  # fmt: skip
            now += step
            if len(batch) == 50_000 or i == rows:
                conn.execute(
                    text("INSERT INTO stock_movements (id, version, entry, doc_no, line_no, "
                         "part_id, warehouse_id, at, kind, qty, unit_cost, created_at) VALUES "
                         "(:i, 1, :e, :d, 1, :p, :w, :at, :k, :q, :c, :at)"),
                    batch,
                )  # fmt: skip
                batch = []
        conn.execute(
            text("INSERT INTO stock_balances (part_id, warehouse_id, qty) VALUES (:p, :w, :q)"),
            [{"p": p, "w": w, "q": q} for (p, w), q in sorted(balance.items())],
        )
        conn.execute(
            text("UPDATE parts SET on_hand = (SELECT COALESCE(SUM(qty), 0) FROM stock_balances "
                 "WHERE part_id = parts.id)")
        )  # fmt: skip
    with db.write(engine) as s:
        if not s.scalar(select(User.id).where(User.username == USER)):
            create_user(s, USER, PASSWORD, "parts_keeper", "Bench")
    print(f"generated {rows:,} ledger rows in {time.perf_counter() - t0:.1f} s")
    engine.dispose()


def page_time(repeat: int) -> dict[str, float]:
    """Median script time of a rerun of the parts page with each measured tab open:
    stock by warehouse (the first tab), a part's card (typed in) and the ledger."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["lang"] = "zh"
    at.run()
    at.text_input[0].input(USER)
    at.text_input[1].input(PASSWORD)
    at.button[0].click()
    at.run()
    # the floor: the same rerun of the app on a page that does next to nothing (the
    # search page, nothing typed): log-in check, menu, sidebar, and AppTest itself
    at.switch_page("pages/search.py").run()
    out = {"shell": median(lambda: at.run(), repeat)}
    at.switch_page("pages/parts.py").run()
    for tab in ("stock", "card", "ledger"):
        at.session_state["parts.open_tab"] = tab
        at.run()
        if tab == "card":
            at.text_input(key="parts.card.part_no").input(CARD_PART).run()
        assert not at.exception, at.exception
        out[tab] = median(lambda: at.run(), repeat)
    return out


def receipts_book(n: int) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True})
    ws = wb.add_worksheet("入库")
    ws.write_row(0, 0, ["单据行", "日期", "类型", "配件编号", "仓库", "数量", "单位成本", "供应商"])
    for i in range(1, n + 1):
        ws.write_row(i, 0, [f"RK-IMP-{i // 100:05d}/{i % 100 + 1}", "2026-11-20 10:00", "入库",
                            f"P{i % PARTS + 1:05d}", f"WH{i % WAREHOUSES + 1:02d}", 5, 12.5,
                            "原厂"])  # fmt: skip
    wb.close()
    return buf.getvalue()


KINDS = {"入库": "receipt"}  # the one kind of the receipts book


def bare_import(engine, data: bytes) -> None:
    """The same rows into the same table, and nothing else: parse with the engine's
    reader library (python-calamine, in process), then one executemany of tuples into
    the real ``stock_movements`` (its key, its unique entry and its three indexes, over
    the same million rows) on a connection with the import's page cache. Only what the
    table needs to take the rows is done: part and warehouse ids by one dict each, the
    entry split at its ``/``, the kind label to its value, each distinct date parsed
    once. No validation, hooks, balances or journal. Rolled back, like ours.

    (Until now the baseline inserted into an index-free temporary table, so the ratio
    charged the ledger's index upkeep — which any insert of these rows pays — to the
    import.)"""
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = wb.get_sheet_by_index(0).to_python()[1:]
    with db.write(engine) as s, db.bulk_cache(s):
        parts = dict(s.execute(select(Part.part_no, Part.id)).all())
        houses = dict(s.execute(select(Warehouse.code, Warehouse.id)).all())
        dates: dict[str, dt.datetime] = {}
        params = []
        for entry, at, kind, part, house, qty, cost, supplier in rows:
            doc, _, line = entry.rpartition("/")
            when = dates.get(at) or dates.setdefault(at, dt.datetime.fromisoformat(at))
            params.append((entry, doc, int(line), parts[part], houses[house], when,
                           KINDS[kind], int(qty), cost, supplier, START))  # fmt: skip
        s.connection().exec_driver_sql(
            "INSERT INTO stock_movements (entry, doc_no, line_no, part_id, warehouse_id, at, "
            "kind, qty, unit_cost, supplier, created_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            params,
        )  # fmt: skip
        s.rollback()


def engine_import(engine, data: bytes) -> None:
    with db.write(engine) as s:
        report = import_file(s, "stock", data, file_name="rk.xlsx", now=START,
                             actor=Actor(None, Role.ADMIN))  # fmt: skip
        assert report.problems == [], report.problems[:3]
        assert report.inserted > 0
        s.rollback()  # the next run imports the same rows again


def cpu_time() -> float:
    """CPU seconds of this process and of its ended children (the sandboxed parser)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def import_rounds(engine, data: bytes, repeat: int) -> dict[str, float]:
    """Bare and ours back to back, ``repeat`` rounds: medians of wall and CPU seconds
    and of the per-round ratios (other work shares the machine; CPU is steadier)."""
    rounds = []
    for _ in range(repeat):
        t = {}
        for name, fn in (("bare", bare_import), ("ours", engine_import)):
            w0, c0 = time.perf_counter(), cpu_time()
            fn(engine, data)
            t[name] = (time.perf_counter() - w0, cpu_time() - c0)
        rounds.append(t)
    out = {}
    for i, what in ((0, "wall"), (1, "cpu")):
        for name in ("bare", "ours"):
            out[f"{name}_{what}"] = statistics.median(r[name][i] for r in rounds)
        out[f"ratio_{what}"] = statistics.median(r["ours"][i] / r["bare"][i] for r in rounds)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--receipts", type=int, default=100_000)
    ap.add_argument("--db", default=None)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--import-repeat", type=int, default=3)
    ap.add_argument("--no-page", action="store_true", help="the import only")
    args = ap.parse_args(argv)
    path = Path(args.db or f"/tmp/bench_parts_{args.rows}.db")
    url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = url  # the app under AppTest opens this database
    os.environ.setdefault("AFTERSALES_JOBS", "0")
    build(url, args.rows)
    engine = db.make_engine(url)
    if not args.no_page:
        with engine.connect() as conn:
            baseline = median(lambda: conn.execute(text(BASELINE_SQL)).all(), args.repeat)
        for tab, ours in page_time(args.repeat).items():
            print(f"RESULT parts_page tab={tab} rows={args.rows} ours_s={ours:.3f} "
                  f"baseline_s={baseline:.3f} ratio={ours / baseline:.2f}")  # fmt: skip
    if args.receipts:
        data = receipts_book(args.receipts)
        r = import_rounds(engine, data, args.import_repeat)
        for what in ("wall", "cpu"):
            print(f"RESULT parts_import receipts={args.receipts} {what} "
                  f"ours_s={r[f'ours_{what}']:.2f} baseline_s={r[f'bare_{what}']:.2f} "
                  f"ratio={r[f'ratio_{what}']:.2f}")  # fmt: skip
    engine.dispose()


if __name__ == "__main__":
    main()
