"""Ticket register import/export speed against bare baselines (run by hand, not a test).

    python bench/ticket_import.py --rows 20000 [--repeat 3]

A ticket import does more per row than a device import: it resolves four references
(customer, device, engineer, fault code), stores the cover status, writes the
ratings to the service report, rebuilds each ticket's status history (3–5 events)
and works out its SLA deadlines. The baseline is what any import must do at least:
parse the file with python-calamine and executemany the ticket rows with their
referenced ids looked up in dicts, into a fresh SQLite file. "history" adds the bare
INSERT of the same events the import writes, so the ratio against it shows what the
validation, the history and the clocks cost beyond writing the rows.
Each round times baseline and ours back to back on fresh files; medians are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
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
from data_access.models import Customer, Device, FaultCode, Ticket, TicketEvent, User  # noqa: E402
from imports.engine import import_file  # noqa: E402
from imports.writer import export_register  # noqa: E402
from rules.access import SYSTEM_ACTOR  # noqa: E402
from rules.tickets import imported_history  # noqa: E402

HEAD = ["工单编号", "客户", "设备序列号", "受理渠道", "优先级", "状态", "故障描述", "故障代码",
        "受理时间", "响应时间", "解决时间", "关闭时间", "服务工程师",
        "服务质量评分", "服务态度评分", "服务效率评分"]  # fmt: skip
CUSTOMERS, ENGINEERS = 500, 20
STATUS = [("已关闭", "closed"), ("现场处理中", "on_site"), ("已受理", "received"),
          ("待备件", "waiting_parts"), ("已修复", "repaired")]  # fmt: skip
PRIORITY = [("紧急", "emergency"), ("高", "high"), ("标准", "standard"), ("低", "low")]
NOW = dt.datetime(2026, 6, 1)


def fresh_db(tmp: Path, name: str):
    engine = db.make_engine(f"sqlite:///{tmp / name}")
    upgrade(engine)
    with db.write(engine) as s:
        s.execute(
            insert(Customer.__table__),
            [{"code": f"C{i:04}", "name": f"客户{i}", "grade": "ABC"[i % 3], "version": 1}
             for i in range(CUSTOMERS)],
        )  # fmt: skip
        ids = dict(s.execute(select(Customer.code, Customer.id)).all())
        s.execute(
            insert(Device.__table__),
            [{"serial_no": f"SN{i:05}", "customer_id": ids[f"C{i % CUSTOMERS:04}"], "version": 1,
              "warranty_end": dt.date(2026, 1, 1)} for i in range(CUSTOMERS * 4)],
        )  # fmt: skip
        s.execute(
            insert(User.__table__),
            [{"username": f"eng{i}", "display_name": f"工程师{i}", "role": "engineer",
              "password_hash": "-", "version": 1} for i in range(ENGINEERS)],
        )  # fmt: skip
        s.execute(
            insert(FaultCode.__table__),
            [{"code": f"E{i:02}", "name_zh": f"故障{i}", "version": 1} for i in range(30)],
        )
    return engine


def row(i: int) -> list:
    received = dt.datetime(2024, 1, 1, 9) + dt.timedelta(hours=7 * i % 20000, minutes=i % 60)
    status = STATUS[i % len(STATUS)]
    closed = status[1] == "closed"
    done = closed or status[1] == "repaired"
    rated = [5, 4, 4 + i % 2] if closed else [None, None, None]
    return [
        f"SR-{i:07}", f"C{i % CUSTOMERS:04}",
        f"SN{i % (CUSTOMERS * 4):05}" if i % 7 else f"UNREG-{i}",
        "电话", PRIORITY[i % 4][0], status[0], "主轴异响，运行中停机", f"E{i % 30:02}",
        received, received + dt.timedelta(hours=1),
        received + dt.timedelta(hours=20) if done else None,
        received + dt.timedelta(days=2) if closed else None,
        f"eng{i % ENGINEERS}", *rated,
    ]  # fmt: skip


def generate(path: Path, n: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("工单台账")
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, HEAD)
    for i in range(n):
        for c, v in enumerate(row(i)):
            if isinstance(v, dt.datetime):
                ws.write_datetime(i + 1, c, v, when)
            elif v is not None:
                ws.write(i + 1, c, v)
    wb.close()


def timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def bare_import(engine, src: Path, history: bool) -> None:
    rows = pc.CalamineWorkbook.from_path(str(src)).get_sheet_by_index(0).to_python()[1:]
    with db.write(engine) as s:
        customers = dict(s.execute(select(Customer.code, Customer.id)).all())
        devices = dict(s.execute(select(Device.serial_no, Device.id)).all())
        users = dict(s.execute(select(User.username, User.id)).all())
        codes = dict(s.execute(select(FaultCode.code, FaultCode.id)).all())
        status = dict(STATUS)
        priority = dict(PRIORITY)
        params = [
            {
                "ticket_no": r[0], "customer_id": customers[r[1]], "device_id": devices.get(r[2]),
                "serial_no": r[2], "channel": "phone", "priority": priority[r[4]],
                "status": status[r[5]], "fault_description": r[6], "fault_code_id": codes[r[7]],
                "received_at": r[8], "responded_at": r[9] or None, "resolved_at": r[10] or None,
                "closed_at": r[11] or None, "engineer_id": users[r[12]], "escalation_level": 1,
                "remote_resolved": False, "version": 1, "created_at": NOW, "updated_at": NOW,
            }
            for r in rows
        ]  # fmt: skip
        s.execute(insert(Ticket.__table__), params)
        if not history:
            return
        ids = dict(s.execute(select(Ticket.ticket_no, Ticket.id)).all())
        events = [
            {"ticket_id": ids[p["ticket_no"]], "at": at, "kind": "status", "to_status": str(st),
             "created_at": NOW}
            for p in params
            for at, st in imported_history(
                p["status"], p["received_at"], p["responded_at"], p["resolved_at"], p["closed_at"]
            )
        ]  # fmt: skip
        s.execute(insert(TicketEvent.__table__), events)


def ours(engine, src: Path, n: int) -> None:
    with db.write(engine) as s:
        report = import_file(s, "tickets", src, file_name=src.name, now=NOW, actor=SYSTEM_ACTOR)
    assert report.committed and report.inserted == n, report.problems[:3]


def export(engine, out: Path) -> None:
    with db.read(engine) as s:
        export_register(s, "tickets", out, lang="zh", today=NOW.date())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.rows
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "tickets.xlsx"
        generate(src, n)
        rounds = []
        for k in range(args.repeat):
            bare = fresh_db(tmp, f"bare{k}.db")
            hist = fresh_db(tmp, f"hist{k}.db")
            mine = fresh_db(tmp, f"ours{k}.db")
            rounds.append(
                {
                    "bare": timed(lambda e=bare: bare_import(e, src, False)),
                    "history": timed(lambda e=hist: bare_import(e, src, True)),
                    "ours": timed(lambda e=mine: ours(e, src, n)),
                    "export": timed(lambda e=mine, k=k: export(e, tmp / f"out{k}.xlsx")),
                }
            )
    med = {k: statistics.median(r[k][0] for r in rounds) for k in rounds[0]}
    cpu = {k: statistics.median(r[k][1] for r in rounds) for k in rounds[0]}
    print(f"ticket register, {n:,} rows, {args.repeat} rounds (medians, wall / CPU seconds)")
    for k in ("bare", "history", "ours", "export"):
        print(f"  {k:8} {med[k]:7.2f} s  {cpu[k]:7.2f} s CPU  {n / med[k]:9,.0f} rows/s")
    print(f"  import / bare rows     {med['ours'] / med['bare']:.2f}")
    print(f"  import / bare history  {med['ours'] / med['history']:.2f}")
    print(f"  export / import        {med['export'] / med['ours']:.2f}")


if __name__ == "__main__":
    main()
