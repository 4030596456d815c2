"""Import/export speed against bare baselines (run by hand, not a test).

    python bench/import_export.py --rows 100000

Generates a devices register (the largest domain available) as .xlsx, then times:
bare python-calamine parse, bare Core executemany into a fresh SQLite file, our full
validated import, a bare xlsxwriter constant_memory write, and our styled export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import python_calamine as pc  # noqa: E402
import xlsxwriter  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from data_access import db  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Customer, Device, ProductModel  # noqa: E402
from data_access.registers import iter_rows  # noqa: E402
from imports.engine import import_file  # noqa: E402
from imports.writer import export_register  # noqa: E402

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
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def bare_parse(path: Path) -> list[list]:
    return pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def bare_insert(engine, rows: list[list]) -> None:
    params = [
        {
            "serial_no": r[0],
            "customer_id": 1,
            "model_id": None,
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
    with db.write(engine) as s:
        s.execute(insert(Device.__table__), params)


def bare_write(path: Path, rows: list[list]) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    for i, r in enumerate(rows):
        ws.write_row(i, 0, r)
    wb.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    n = ap.parse_args().rows
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        src = tmp / "devices.xlsx"
        generate(src, n)
        t_parse, rows = timed(lambda: bare_parse(src))
        bare_engine = fresh_db(tmp, "bare.db")
        t_insert, _ = timed(lambda: bare_insert(bare_engine, rows))
        ours_engine = fresh_db(tmp, "ours.db")

        def ours_import():
            with db.write(ours_engine) as s:
                return import_file(s, "devices", src, file_name=src.name, now=NOW)

        t_import, report = timed(ours_import)
        assert report.ok and report.inserted == n, report.summary("en")
        with db.read(ours_engine) as s:
            display = [list(r.values()) for r in iter_rows(s, "devices", today=NOW.date())]
        t_write, _ = timed(lambda: bare_write(tmp / "bare.xlsx", display))

        def ours_export():
            with db.read(ours_engine) as s:
                return export_register(s, "devices", tmp / "ours.xlsx", lang="zh", today=NOW.date())

        t_export, written = timed(ours_export)
        assert written == n
    base_import = t_parse + t_insert
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"parse_s={t_parse:.2f} insert_s={t_insert:.2f} import_s={t_import:.2f}")
    print(
        f"RESULT import rows={n} ours_s={t_import:.2f} baseline_s={base_import:.2f} "
        f"ratio={t_import / base_import:.2f}"
    )
    print(
        f"RESULT export rows={n} ours_s={t_export:.2f} baseline_s={t_write:.2f} "
        f"ratio={t_export / t_write:.2f}"
    )
    print(f"RESULT peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
