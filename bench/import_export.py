"""Import/export speed against bare baselines (run by hand, not a test).

    python bench/import_export.py --rows 100000 [--repeat 3]

Generates a devices register (the largest domain available) as .xlsx, then times:
bare python-calamine parse, bare Core executemany into a fresh SQLite file, our full
validated import, a bare xlsxwriter constant_memory write, and our styled export.

Other work shares the machine, so each round times baseline and ours back to back
(fresh database files every round) and the ratio reported is the median of the
per-round ratios; CPU-time ratios are printed too (less sensitive to load). Peak
memory of our import and export alone is measured in fresh processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import python_calamine as pc  # noqa: E402
import xlsxwriter  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from data_access import db  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Customer, Device, ProductModel  # noqa: E402
from data_access.registers import iter_display  # noqa: E402
from imports.engine import import_file  # noqa: E402
from imports.writer import export_register  # noqa: E402
from rules.access import SYSTEM_ACTOR  # noqa: E402

HEAD = [
    "序列号",
    "客户",
    "产品型号",
    "安装日期",
    "保修到期日",
    "维保合同到期日",
    "安装地点",
    "备注",
]
CUSTOMERS = 1000
NOW = dt.datetime(2025, 6, 1)


def fresh_db(tmp: Path, name: str):
    engine = db.make_engine(f"sqlite:///{tmp / name}")
    upgrade(engine)
    with db.write(engine) as s:
        s.execute(
            insert(Customer.__table__),
            [
                {"code": f"C{i:05}", "name": f"客户{i}", "grade": "B", "version": 1}
                for i in range(CUSTOMERS)
            ],
        )
        s.execute(
            insert(ProductModel.__table__),
            [
                {"code": f"M{i}", "name": f"型号{i}", "warranty_months": 12, "version": 1}
                for i in range(20)
            ],
        )
    return engine


def generate(path: Path, n: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("设备台账")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEAD)
    base = dt.date(2020, 1, 1)
    for i in range(1, n + 1):
        install = base + dt.timedelta(days=i % 1500)
        ws.write_string(i, 0, f"SN{i:08}")
        ws.write_string(i, 1, f"C{i % CUSTOMERS:05}")
        ws.write_string(i, 2, f"M{i % 20}")
        ws.write_datetime(i, 3, install, date)
        ws.write_datetime(i, 4, install + dt.timedelta(days=365), date)
        if i % 3 == 0:
            ws.write_datetime(i, 5, install + dt.timedelta(days=730), date)
        ws.write_string(i, 6, f"{i % 50} 号车间")
        if i % 5 == 0:
            ws.write_string(i, 7, "定期巡检")
    wb.close()


def timed(fn):
    """(wall seconds, CPU seconds, value)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - start, time.process_time() - cpu, value


def bare_parse(path: Path) -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def bare_insert(engine, rows: list[list]) -> None:
    """The same rows our import writes, with no checks: references by a dict lookup.

    (An earlier version inserted customer 1 and no model on every row; with 1M rows
    the index on a constant customer_id is appended to, not spread over 1000
    customers, so the baseline did less database work than any real load.)
    """
    with db.write(engine) as s:
        customers = dict(s.execute(select(Customer.code, Customer.id)).all())
        models = dict(s.execute(select(ProductModel.code, ProductModel.id)).all())
        params = [
            {
                "serial_no": r[0],
                "customer_id": customers[r[1]],
                "model_id": models[r[2]],
                "install_date": r[3],
                "warranty_end": r[4],
                "contract_end": r[5] or None,
                "location": r[6],
                "notes": r[7] or None,
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for r in rows[1:]
        ]
        s.execute(insert(Device.__table__), params)


def bare_write(path: Path, rows: list[list]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    for i, r in enumerate(rows):
        ws.write_row(i, 0, r)
    wb.close()


def ours_import(engine, src: Path, n: int):
    with db.write(engine) as s:
        report = import_file(s, "devices", src, file_name=src.name, now=NOW, actor=SYSTEM_ACTOR)
    assert report.ok and report.inserted == n, report.summary("en")
    return report


def ours_export(engine, out: Path, n: int) -> None:
    with db.read(engine) as s:
        written = export_register(s, "devices", out, lang="zh", today=NOW.date())
    assert written == n


def one_round(tmp: Path, src: Path, n: int, k: int, display: list | None):
    """Times (wall, cpu) of each step in one round, and the display rows."""
    t = {}
    t["parse"] = timed(lambda: bare_parse(src))
    rows = t["parse"][2]
    bare_engine = fresh_db(tmp, f"bare{k}.db")
    t["insert"] = timed(lambda: bare_insert(bare_engine, rows))
    t["parse"] = t["parse"][:2]  # let the parsed sheet go before our import runs
    rows = None
    ours_engine = fresh_db(tmp, f"ours{k}.db")
    t["import"] = timed(lambda: ours_import(ours_engine, src, n))
    if display is None:
        with db.read(ours_engine) as s:
            display = [list(r) for r in iter_display(s, "devices", today=NOW.date())]
    t["write"] = timed(lambda: bare_write(tmp / "bare.xlsx", display))
    t["export"] = timed(lambda: ours_export(ours_engine, tmp / "ours.xlsx", n))
    bare_engine.dispose()
    ours_engine.dispose()
    (tmp / f"bare{k}.db").unlink()
    return {name: v[:2] for name, v in t.items()}, display


def probe(what: str, src: Path, db_path: Path, n: int) -> None:
    """Run only our import (or export of an imported file) and print this process's peak."""
    if what == "import":
        engine = fresh_db(db_path.parent, db_path.name)
        ours_import(engine, src, n)
    else:
        engine = db.make_engine(f"sqlite:///{db_path}")
        ours_export(engine, db_path.with_suffix(".xlsx"), n)
    # VmHWM, not ru_maxrss: Linux children start from their parent's ru_maxrss
    status = Path("/proc/self/status").read_text()
    hwm = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    print(f"PEAK {int(hwm) / 1024:.0f}")


def peak_of(what: str, src: Path, db_path: Path, n: int) -> str:
    args = [sys.executable, __file__, "--rows", str(n), "--probe", what, str(src), str(db_path)]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return out.split("PEAK ")[-1].strip()


def report(n: int, rounds: list[dict], peaks: dict[str, str]) -> None:
    def med(step: str, i: int) -> float:
        return statistics.median(r[step][i] for r in rounds)

    def ratio(ours: str, base: tuple[str, ...], i: int) -> float:
        return statistics.median(r[ours][i] / sum(r[b][i] for b in base) for r in rounds)

    for k, r in enumerate(rounds, start=1):
        print(f"round {k}: " + " ".join(f"{s}={w:.2f}s/cpu{c:.2f}s" for s, (w, c) in r.items()))
    print(
        f"parse_s={med('parse', 0):.2f} insert_s={med('insert', 0):.2f} "
        f"import_s={med('import', 0):.2f}"
    )
    for i, label in ((1, "cpu "), (0, "RESULT ")):
        base_import = med("parse", i) + med("insert", i)
        print(
            f"{label}import rows={n} ours_s={med('import', i):.2f} baseline_s={base_import:.2f} "
            f"ratio={ratio('import', ('parse', 'insert'), i):.2f}"
        )
        print(
            f"{label}export rows={n} ours_s={med('export', i):.2f} "
            f"baseline_s={med('write', i):.2f} ratio={ratio('export', ('write',), i):.2f}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"RESULT peak_rss_mb={peak:.0f} (this process: holds the baselines' whole sheet)")
    print(
        f"RESULT import_peak_rss_mb={peaks['import']} export_peak_rss_mb={peaks['export']} "
        "(ours alone, fresh processes)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--probe", nargs=3, metavar=("WHAT", "SRC", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    n = args.rows
    if args.probe:
        what, src, db_path = args.probe
        probe(what, Path(src), Path(db_path), n)
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = tmp / "devices.xlsx"
        generate(src, n)
        rounds, display = [], None
        for k in range(args.repeat):
            times, display = one_round(tmp, src, n, k, display)
            rounds.append(times)
        del display
        peaks = {"import": peak_of("import", src, tmp / "probe.db", n)}
        peaks["export"] = peak_of("export", src, tmp / "probe.db", n)
    report(n, rounds, peaks)


if __name__ == "__main__":
    main()
