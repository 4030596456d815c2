"""How long an import holds SQLite's one write lock, as another user feels it (run by
hand, not a test).

    python bench/import_lock.py --rows 200000

A customer register import of ``--rows`` rows runs in one thread; another thread
(another user saving a grid row) tries a one-row write every 0.2 s with a busy
timeout longer than the import, and records how long each write waited. The longest
wait is the lock hold the other user feels; the baseline is the same writer's wait
while nothing else writes, measured in the same run. With the default 10 s busy
timeout, a write waiting longer is refused with the "an import is running" message
(``db.busy_import``) instead of "database is locked".
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from data_access import db  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from data_access.models import Setting  # noqa: E402
from imports.engine import import_file  # noqa: E402
from rules.access import SYSTEM_ACTOR  # noqa: E402


def sheet(rows: int) -> bytes:
    head = "客户编号,客户名称,客户等级,区域\n"
    body = "".join(f"C{i:07d},客户{i},{'ABC'[i % 3]},华东\n" for i in range(rows))
    return (head + body).encode()


def writer(engine, stop: threading.Event, waits: list[float]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        with db.write(engine) as s:
            s.merge(Setting(id=1, key="bench.tick", value=n))
        waits.append(time.perf_counter() - started)
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    db.BUSY_TIMEOUT_MS = 600_000  # measure the whole wait, do not give up
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'lock.db'}"
        engine = db.make_engine(url)
        upgrade(engine)
        data = sheet(args.rows)
        idle: list[float] = []
        stop = threading.Event()
        t = threading.Thread(target=writer, args=(db.make_engine(url), stop, idle))
        t.start()
        time.sleep(2)
        stop.set()
        t.join()
        busy: list[float] = []
        stop = threading.Event()
        t = threading.Thread(target=writer, args=(db.make_engine(url), stop, busy))
        t.start()
        time.sleep(0.5)
        started = time.perf_counter()
        with db.write(engine) as s:
            report = import_file(s, "customers", data, file_name="c.csv",
                                 now=dt.datetime(2026, 12, 1), actor=SYSTEM_ACTOR)  # fmt: skip
        took = time.perf_counter() - started
        time.sleep(0.5)
        stop.set()
        t.join()
    base = statistics.median(idle)
    print(f"import of {args.rows:,} customers: {took:.1f} s ({report.inserted:,} inserted)")
    print(f"other writer, idle:   median {base * 1000:.1f} ms, max {max(idle) * 1000:.1f} ms")
    print(f"other writer, import: max wait {max(busy):.1f} s "
          f"= {max(busy) / base:,.0f}x its idle write; {sum(w > 10 for w in busy)} writes "
          f"would have waited past the 10 s busy timeout")  # fmt: skip


if __name__ == "__main__":
    main()
