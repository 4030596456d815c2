"""The demo generator (one mixin per domain, one random stream) and :func:`load`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Engine, select, text

from data_access.audit import cleared
from data_access.demo.base import DEMO_NOW, DEMO_SEED, TABLE_ORDER, T
from data_access.demo.complaints import ComplaintsDemo
from data_access.demo.customers import CustomersDemo
from data_access.demo.faultcodes import FaultcodesDemo
from data_access.demo.fees import FeesDemo
from data_access.demo.followups import FollowupsDemo
from data_access.demo.maintenance import MaintenanceDemo
from data_access.demo.notifications import NotificationsDemo
from data_access.demo.parts import PartsDemo
from data_access.demo.sla_settings import SlaSettingsDemo
from data_access.demo.tickets import TicketsDemo
from data_access.demo.training import TrainingDemo
from data_access.demo.users import UsersDemo


class NotEmptyError(Exception):
    """The database already holds data; pass ``reset=True`` (``--reset``) to replace it."""


class Generator(
    SlaSettingsDemo,
    UsersDemo,
    CustomersDemo,
    TicketsDemo,
    PartsDemo,
    FeesDemo,
    FollowupsDemo,
    MaintenanceDemo,
    ComplaintsDemo,
    TrainingDemo,
    FaultcodesDemo,
    NotificationsDemo,
):
    """All domains on one random stream: the order of :meth:`run` fixes the data."""

    def run(self) -> dict[str, int]:
        self.calendar()
        self.users()
        self.customers()
        self.models_and_devices()
        self.sla()
        self.faults()
        self.parts_master()
        self.fault_parts()
        self.rate_card()
        self.settings()
        self.tickets()
        self.finish_fees()
        self.maintenance()
        self.stock_extras()
        self.stock_take()
        self.complaints()
        self.periodic_followups()
        self.satisfaction_reviews()
        self.training()
        self.report_links()
        self.flush()
        self.finish_parts()
        self.reorder_suggestions()
        self.notifications()  # reads the tickets written above
        self.flush()
        return {k: v for k, v in self.counts.items()}


def is_empty(conn: Connection) -> bool:
    return not any(conn.execute(select(t.c.id).limit(1)).first() for t in T.values())


def _clear(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{n}"' for n in TABLE_ORDER)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    with cleared(conn):  # audit_log refuses DELETE otherwise
        for name in reversed(TABLE_ORDER):
            conn.execute(T[name].delete())


def _fix_sequences(conn: Connection) -> None:
    """PostgreSQL: explicit ids do not advance the id sequences; move them past the data."""
    if conn.dialect.name != "postgresql":
        return
    for name in TABLE_ORDER:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{name}"), 0) + 1, false)'
            )
        )


def load(
    engine: Engine,
    *,
    customers: int = 200,
    tickets: int = 3000,
    seed: int = DEMO_SEED,
    now: dt.datetime | None = None,
    reset: bool = False,
) -> dict[str, int]:
    """Fill the database with demo data in one transaction; returns rows per table.

    Raises :class:`NotEmptyError` when any table holds rows, unless ``reset`` (which
    deletes everything first, in the same transaction).
    """
    now = (now or DEMO_NOW).replace(microsecond=0)
    bound = engine.execution_options(sqlite_write=True)
    with bound.connect() as conn, conn.begin():
        if not is_empty(conn):
            if not reset:
                raise NotEmptyError("database is not empty")
            _clear(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-131072")  # 128 MB while loading
        gen = Generator(conn, customers=customers, tickets=tickets, seed=seed, now=now)
        counts = gen.run()
        gen.orm.close()  # releases the Inserter's session; the transaction stays the caller's
        _fix_sequences(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
    return counts
