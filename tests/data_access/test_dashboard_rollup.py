"""The dashboard's rollup gives exactly the figures of the direct queries: every figure,
breakdown, trend and the engineer table (CSAT, the share satisfied and the key parts
within 72 h included), under no, one and two filters, on a generated data set, after
inserts, updates, status changes, device and customer changes, a deletion, raw SQL, an
import and its undo, new ratings superseding earlier ones and deleted ratings, key-part
lines added, issued, re-timed and un-keyed — both before the rollup is refreshed (dirty
days computed live) and after. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, text, update

from data_access import backup, db
from data_access import dashboard as DB
from data_access import dashboard_rollup as R
from data_access.followups import latest_scores
from data_access.models import (
    Customer,
    DashboardDaily,
    DashboardDirty,
    Device,
    FollowUp,
    FollowUpRating,
    Part,
    ProductModel,
    ServiceReport,
    Setting,
    StockMovement,
    Ticket,
    TicketPart,
    User,
    Warehouse,
)
from imports.engine import undo_last_import
from rules.access import Actor, Role
from rules.dashboard import DIMENSIONS, share
from rules.followups import satisfaction, satisfaction_rate
from tests.imports.test_ticket_register import (  # noqa: F401 (the fixture)
    CLOSED,
    HEAD,
    ON_SITE,
    RECEIVED,
    run,
    seeded,
    xlsx,
)

D = dt.datetime
ADMIN = Actor(None, Role.ADMIN)
PERIOD = DB.Period(dt.date(2025, 3, 1), dt.date(2025, 5, 31))
SHORT = DB.Period(dt.date(2025, 4, 1), dt.date(2025, 4, 30))
NOW = D(2025, 6, 2, 9, 0)
STATUSES = ("closed", "closed", "accepted", "repaired", "cancelled", "dispatched", "received")
TYPES = ("repair", "repair", "maintenance", "consultation", None)
CHANNELS = ("phone", "email", "online")


def _generate(engine) -> None:
    """120 tickets over March–May 2025 on four devices (so later tickets on a device
    undo an earlier first-time fix), two models, three regions, two engineers."""
    rnd = random.Random(17)
    with db.write(engine) as s:
        m1, m2 = ProductModel(code="M1", name="车床"), ProductModel(code="M2", name="铣床")
        c3 = Customer(code="C3", name="客户三", grade="B", region="华南")
        s.add_all([m1, m2, c3, User(username="li", display_name="李工", role="engineer",
                                    password_hash="x")])  # fmt: skip
        s.flush()
        s.execute(update(Customer).where(Customer.code == "C1").values(region="华东"))
        s.execute(update(Device).where(Device.serial_no == "SN1").values(model_id=m1.id))
        s.execute(update(Device).where(Device.serial_no == "SN2").values(model_id=m2.id))
        s.add(Device(serial_no="SN3", customer_id=c3.id, model_id=m1.id))
        s.add(Device(serial_no="SN4", customer_id=c3.id))
        s.flush()
        devices = s.execute(select(Device.id, Device.customer_id)).all()
        engineers = [*s.scalars(select(User.id)), None]
        for i in range(120):
            device_id, customer_id = rnd.choice([*devices, (None, c3.id)])
            received = D(2025, 3, 1, 8) + dt.timedelta(minutes=rnd.randrange(0, 92 * 24 * 60))
            status = rnd.choice(STATUSES)
            done = status in ("closed", "accepted", "repaired")
            responded = received + dt.timedelta(minutes=rnd.randrange(1, 600))
            resolved = received + dt.timedelta(hours=rnd.randrange(1, 200)) if done else None
            t = Ticket(
                ticket_no=f"G{i:03d}", customer_id=customer_id, device_id=device_id,
                channel=rnd.choice(CHANNELS), priority="high", status=status,
                service_type=rnd.choice(TYPES), fault_description="x",
                engineer_id=rnd.choice(engineers), received_at=received,
                responded_at=responded if rnd.random() < 0.9 else None,
                resolved_at=resolved, respond_due=received + dt.timedelta(hours=2),
                resolve_due=received + dt.timedelta(hours=48),
                response_business_s=float(rnd.randrange(60, 30000)) / 7,
                resolution_business_s=float(rnd.randrange(600, 400000)) / 3 if done else None,
                first_time_fix=rnd.random() < 0.7 if done else None,
            )  # fmt: skip
            s.add(t)
            s.flush()
            if rnd.random() < 0.6:
                s.add(ServiceReport(
                    ticket_id=t.id, work_done=rnd.choice(["换轴承", " ", None]),
                    diagnosis="磨损", result=rnd.choice(["fixed", "not_fixed", None]),
                    labour_hours=Decimal(rnd.randrange(1, 40)) / 4, accepted_by="王",
                    accepted_at=received + dt.timedelta(days=1),
                    corrected_at=received + dt.timedelta(days=2) if rnd.random() < 0.2 else None,
                ))  # fmt: skip
        _rate(s, rnd)
        _lines(s, rnd)


def _lines(s, rnd: random.Random, n: int = 30) -> None:
    """Part lines on ``n`` random tickets: a key part issued 1–120 h after the request
    (or the receipt when none was recorded), a key part not issued, a plain part."""
    key, plain = s.scalar(select(Part).where(Part.part_no == "K1")), None
    if key is None:
        key, plain = Part(part_no="K1", name="主板", is_key=True), Part(part_no="P1", name="螺丝")
        s.add_all([key, plain, Warehouse(code="W1", name="总库", kind="central")])
        s.flush()
    wh = s.scalar(select(Warehouse.id))
    tickets = s.execute(select(Ticket.id, Ticket.received_at)).all()
    for ticket_id, received in rnd.sample(tickets, min(n, len(tickets))):
        part = plain if plain is not None and rnd.random() < 0.2 else key
        movement = None
        if rnd.random() < 0.8:
            asked = received + dt.timedelta(hours=5) if rnd.random() < 0.5 else None
            no = f"I{rnd.randrange(10**9)}"
            m = StockMovement(entry=f"{no}/1", doc_no=no, line_no=1, part_id=part.id,
                              warehouse_id=wh, kind="issue", qty=-1, requested_at=asked,
                              at=(asked or received) + dt.timedelta(hours=rnd.randrange(1, 120)))  # fmt: skip
            s.add(m)
            s.flush()
            movement = m.id
        line = 1 + (s.scalar(select(func.max(TicketPart.line_no)).where(
            TicketPart.ticket_id == ticket_id)) or 0)  # fmt: skip
        s.add(TicketPart(ticket_id=ticket_id, line_no=line, part_id=part.id,
                         part_no=part.part_no, qty=1, movement_id=movement))  # fmt: skip
        s.flush()


def _rate(s, rnd: random.Random, n: int = 90) -> None:
    """Ratings on ``n`` random tickets (and one without a ticket): a third rated again,
    some of those a third time, now and then rated "before" the earlier rating (the
    latest is the highest id all the same), across the periods' bounds."""
    tickets = s.execute(select(Ticket.id, Ticket.customer_id, Ticket.received_at)).all()
    picked = [*rnd.sample(tickets, min(n, len(tickets))), (None, tickets[0][1], D(2025, 4, 9))]
    for ticket_id, customer_id, received in picked:
        fu = FollowUp(followup_no=f"F{rnd.randrange(10**9)}", customer_id=customer_id,
                      ticket_id=ticket_id, reason="ticket", mode="phone",
                      due_date=received.date(), status="done")  # fmt: skip
        s.add(fu)
        s.flush()
        at = received + dt.timedelta(hours=rnd.randrange(1, 40 * 24))
        for _ in range(rnd.choice((1, 1, 2, 3))):
            q, a, e = (rnd.choice((5, 5, 4, 3, 2)) for _ in range(3))
            s.add(FollowUpRating(followup_id=fu.id, ticket_id=ticket_id, rated_at=at,
                                 quality=q, attitude=a, efficiency=e,
                                 score=satisfaction(q, a, e)))  # fmt: skip
            s.flush()
            at += dt.timedelta(hours=rnd.randrange(-100, 30 * 24))


def _filters(engine) -> list[DB.Filters]:
    with db.read(engine) as s:
        wang = s.scalar(select(User.id).where(User.username == "wang"))
    return [
        DB.Filters(),
        DB.Filters(region="华东"),
        DB.Filters(engineer_id=wang),
        DB.Filters(customer_grade="B"),
        DB.Filters(product_model="M1"),
        DB.Filters(service_type="repair"),
        DB.Filters(channel="email"),
        DB.Filters(region="华南", product_model="M1"),
        DB.Filters(engineer_id=wang, service_type="repair"),
        DB.Filters(region="华东", channel="phone", service_type="repair"),  # three
        DB.Filters(region="华东", customer_grade="B", service_type="repair",
                   channel="phone"),  # four: direct
    ]  # fmt: skip


def _everything(engine, filters: list[DB.Filters]) -> dict:
    out: dict = {}
    with db.read(engine) as s:
        for p in (PERIOD, SHORT):
            for f in filters:
                out["fig", p, f] = DB.figures(s, ADMIN, p, f, NOW)
                for grain in ("week", "month"):
                    out["trend", p, f, grain] = DB.trend(s, ADMIN, p, f, grain, NOW)
            for f in (*filters[:3], filters[7]):  # none, one and two filters
                for d in DIMENSIONS:
                    out["by", p, f, d] = DB.breakdown(s, ADMIN, p, f, d, NOW)
                out["eng", p, f] = DB.engineers(s, ADMIN, p, f, NOW)
    return out


def _same(a, b, where="") -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dataclass_fields__"):
        for k in a.__dataclass_fields__:
            _same(getattr(a, k), getattr(b, k), f"{where}.{k}")
    else:
        assert a == b, where


def _direct(engine, filters, monkeypatch) -> dict:
    with monkeypatch.context() as m:
        m.setattr(R, "sums", lambda *a, **k: None)
        return _everything(engine, filters)


def _served(engine) -> bool:
    """Whether the rollup answers (the comparison would prove nothing otherwise)."""
    with db.read(engine) as s:
        f = DB.Filters(region="华东", channel="phone")
        return R.sums(s, PERIOD, f, "service_type") is not None


def _flags_hold(engine) -> None:
    """``superseded`` is what the triggers say it is: a later rating of the ticket exists;
    and the 85 % rule's rate (follow-ups) is the rollup's."""
    r = FollowUpRating
    with db.read(engine) as s:
        rows = s.execute(select(r.id, r.ticket_id, r.superseded)).all()
        for p in (PERIOD, SHORT):
            got = R.sums(s, p, DB.Filters())
            if got is None:
                continue
            start, end = p.bounds()
            sums = got.get(None)
            rate = share(sums.ratings_satisfied, sums.ratings) if sums else None
            assert rate == satisfaction_rate(list(latest_scores(s, start, end).values()))
    last: dict = {}
    for rid, ticket_id, _ in rows:
        last[ticket_id] = max(rid, last.get(ticket_id, 0))
    for rid, ticket_id, flag in rows:
        if ticket_id is not None:
            assert bool(flag) == (rid < last[ticket_id]), rid


def _check(engine, monkeypatch) -> None:
    """Rollup equals direct, with the dirty days live, then after a refresh."""
    _flags_hold(engine)
    filters = _filters(engine)
    direct = _direct(engine, filters, monkeypatch)
    assert _served(engine)
    _same(_everything(engine, filters), direct, "live")
    with db.write(engine) as s:
        R.refresh(s)
    with db.read(engine) as s:
        assert s.scalar(select(func.count(DashboardDirty.id))) == 0
        assert s.scalar(select(func.count(DashboardDaily.id))) > 0
    assert _served(engine)
    _same(_everything(engine, filters), direct, "refreshed")
    assert direct["fig", PERIOD, DB.Filters()]["tickets_received"].value > 0
    assert direct["fig", PERIOD, DB.Filters()]["csat"].value is not None
    assert 0 < direct["fig", PERIOD, DB.Filters()]["key_parts_72h"].value < 100
    _flags_hold(engine)


@pytest.fixture(autouse=True)
def _live_days(monkeypatch):
    # the data span 92 days: compute them all live before a refresh
    monkeypatch.setattr(R, "MAX_LIVE_DAYS", 1000)


def test_rollup_equals_direct_through_every_write_path(seeded, monkeypatch):  # noqa: F811
    engine = seeded
    _generate(engine)
    _check(engine, monkeypatch)

    # ORM updates: statuses, a resolution, a ticket moved to another device and day
    with db.write(engine) as s:
        tickets = s.scalars(select(Ticket).order_by(Ticket.id)).all()
        tickets[0].status = "closed"
        tickets[1].status = "dispatched"
        tickets[2].resolved_at = tickets[2].received_at + dt.timedelta(hours=3)
        tickets[3].device_id, tickets[3].received_at = tickets[4].device_id, D(2025, 4, 2, 10)
        tickets[5].first_time_fix = not tickets[5].first_time_fix
        tickets[6].engineer_id = None
    _check(engine, monkeypatch)

    # a new ticket on a device soon after an earlier one was resolved (its first-time
    # fix falls), a report changed, a ticket deleted
    with db.write(engine) as s:
        first = s.scalars(
            select(Ticket).where(Ticket.first_time_fix.is_(True), Ticket.device_id.is_not(None),
                                 Ticket.resolved_at.is_not(None)).order_by(Ticket.id)
        ).first()  # fmt: skip
        s.add(Ticket(ticket_no="NEW1", customer_id=first.customer_id, device_id=first.device_id,
                     channel="phone", priority="high", status="received", fault_description="x",
                     received_at=first.resolved_at + dt.timedelta(days=2)))  # fmt: skip
        report = s.scalars(select(ServiceReport).order_by(ServiceReport.id)).first()
        report.result = "fixed" if report.result != "fixed" else "not_fixed"
        report.labour_hours = Decimal("7.25")
        s.delete(s.scalars(select(Ticket).order_by(Ticket.id.desc())).first())
    _check(engine, monkeypatch)

    # customers' region and grade, a device's model, raw SQL
    with db.write(engine) as s:
        s.execute(update(Customer).where(Customer.code == "C2").values(region="华东", grade="B"))
        s.execute(update(Device).where(Device.serial_no == "SN4").values(
            model_id=select(ProductModel.id).where(ProductModel.code == "M2").scalar_subquery()))  # fmt: skip
        s.execute(text("UPDATE tickets SET status = 'closed' WHERE status = 'received'"))
        s.execute(delete(ServiceReport).where(ServiceReport.result.is_(None)))
    _check(engine, monkeypatch)

    # ratings: new ones superseding earlier ones, a follow-up deleted with its ratings, a
    # score changed by raw SQL, a rated ticket deleted, a rated ticket's values changed
    with db.write(engine) as s:
        _rate(s, random.Random(4), n=25)
        s.delete(s.scalars(select(FollowUp).where(FollowUp.ticket_id.is_not(None))
                           .order_by(FollowUp.id)).first())  # fmt: skip
        s.execute(text("UPDATE followup_ratings SET score = 1.00 WHERE id % 7 = 0"))
        rated = s.scalars(select(FollowUpRating.ticket_id).where(
            FollowUpRating.superseded == True)).all()  # noqa: E712  # fmt: skip
        s.delete(s.get(Ticket, rated[0]))
        s.execute(update(Ticket).where(Ticket.id.in_(rated[1:4])).values(
            channel="email", engineer_id=None, service_type="repair"))  # fmt: skip
        s.execute(update(Customer).where(Customer.code == "C3").values(region="西北"))
    _check(engine, monkeypatch)

    # key-part lines: new ones, one issued, an issue re-timed and one deleted by raw SQL,
    # a part no longer key
    with db.write(engine) as s:
        _lines(s, random.Random(5), n=8)
        unissued = s.scalars(select(TicketPart).where(TicketPart.movement_id.is_(None))
                             .order_by(TicketPart.id)).first()  # fmt: skip
        issue = StockMovement(entry="LATE/1", doc_no="LATE", line_no=1, kind="issue", qty=-1,
                              part_id=unissued.part_id, warehouse_id=s.scalar(select(Warehouse.id)),
                              at=D(2025, 4, 20, 9))  # fmt: skip
        s.add(issue)
        s.flush()
        unissued.movement_id = issue.id
        s.flush()
        issued = s.scalars(select(TicketPart.movement_id).where(
            TicketPart.movement_id.is_not(None)).order_by(TicketPart.id)).all()  # fmt: skip
        s.execute(text("UPDATE stock_movements SET at = at + interval '3 days' WHERE id = :i"
                       if s.get_bind().dialect.name == "postgresql" else
                       "UPDATE stock_movements SET at = datetime(at, '+3 days') WHERE id = :i"),
                  {"i": issued[1]})  # fmt: skip
        s.execute(text("DELETE FROM stock_movements WHERE id = :i"), {"i": issued[2]})
    _check(engine, monkeypatch)
    with db.write(engine) as s:
        s.execute(update(Part).where(Part.part_no == "K1").values(is_key=False))
        s.execute(update(Part).where(Part.part_no == "P1").values(is_key=True))
    _check(engine, monkeypatch)

    # an import, then its undo
    report = run(engine, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    assert report.committed and report.inserted == 3
    _check(engine, monkeypatch)
    with db.write(engine) as s:
        undone = undo_last_import(s, "tickets", ADMIN, now=NOW)
    assert undone.deleted == 3
    _check(engine, monkeypatch)


def test_a_restored_backup_is_not_read_from_a_stale_rollup(seeded, monkeypatch, tmp_path):  # noqa: F811
    engine = seeded
    _generate(engine)
    done = backup.create_backup(engine, tmp_path, role=Role.ADMIN, now=NOW)
    with db.write(engine) as s:  # after the backup: other figures, folded in
        s.execute(update(Ticket).values(status="closed", service_type="repair"))
        s.execute(delete(ServiceReport))
        R.refresh(s)
    backup.restore_backup(engine, done.path, role=Role.ADMIN, force=True, now=NOW)
    _check(engine, monkeypatch)


def test_a_new_first_time_fix_window_rebuilds(seeded, monkeypatch):  # noqa: F811
    engine = seeded
    _generate(engine)
    with db.write(engine) as s:
        R.refresh(s)
        s.add(Setting(key="dashboard.ftf_repeat_days", value=30))
    with db.read(engine) as s:  # made with 7 days: not trusted
        assert R.sums(s, PERIOD, DB.Filters()) is None
    with db.write(engine) as s:
        assert R.refresh(s) == -1  # rebuilt
    _check(engine, monkeypatch)


def test_up_to_three_dimensions_are_served_and_four_fall_back(seeded):  # noqa: F811
    with db.read(seeded) as s:
        f = DB.Filters(region="华东", channel="phone")
        assert R.sums(s, PERIOD, f) is not None
        assert R.sums(s, PERIOD, f, "service_type") is not None
        assert R.sums(s, PERIOD, f, "channel", by_day=True) is not None
        three = DB.Filters(region="华东", channel="phone", service_type="repair")
        assert R.sums(s, PERIOD, three) is not None
        assert R.sums(s, PERIOD, three, "engineer") is None
        assert R.sums(s, PERIOD, DB.Filters(region="华东"), "region") is not None


def test_a_long_dirty_log_is_read_directly_and_rebuilt_in_one_pass(seeded, monkeypatch):  # noqa: F811
    engine = seeded
    _generate(engine)
    monkeypatch.setattr(R, "MAX_LOG", 50)  # the 120 tickets wrote more rows than that
    with db.read(engine) as s:
        assert R.sums(s, PERIOD, DB.Filters()) is None
    with db.write(engine) as s:
        assert R.refresh(s) == -1
    _check(engine, monkeypatch)


def test_a_refresh_leaves_the_compiled_sql_cache_alone(seeded):  # noqa: F811
    """The fill's shape follows the dirty days' ranges and each shape held about 5 MB
    in the engine's compiled-SQL cache: it runs uncached."""
    engine = seeded
    _generate(engine)

    def fills() -> int:
        return sum("INSERT INTO dashboard_daily" in str(getattr(c, "string", ""))
                   for c in list(engine._compiled_cache.values()))  # fmt: skip

    with db.write(engine) as s:
        assert R.refresh(s) != 0  # days folded, or rebuilt
        s.execute(update(Ticket).where(Ticket.id % 5 == 0).values(channel="email"))
    with db.write(engine) as s:
        assert R.refresh(s) > 0
        R.rebuild(s)
    assert fills() == 0
    with db.read(engine) as s:
        assert s.scalar(select(func.count(DashboardDaily.id))) > 0


def test_a_refresh_gives_way_to_another_writer_at_once(sqlite_engine):
    """A long import holds SQLite's write lock: the page's refresh does not wait the
    busy timeout for it (readers compute the dirty days live meanwhile)."""

    ticket = Ticket(ticket_no="W1", customer_id=None, channel="phone", priority="high",
                             status="received", fault_description="x",
                             received_at=D(2025, 4, 1, 9))  # fmt: skip
    with db.write(sqlite_engine) as s:
        c = Customer(code="W", name="W")
        s.add(c)
        s.flush()
        ticket.customer_id = c.id
        s.add(ticket)
    holder = sqlite_engine.execution_options(sqlite_write=True).connect()
    holder.exec_driver_sql("UPDATE customers SET name = 'X'")  # BEGIN IMMEDIATE: locked
    try:
        t0 = time.perf_counter()
        assert R.refresh_now(sqlite_engine) is None
        assert time.perf_counter() - t0 < 2
    finally:
        holder.rollback()
        holder.close()
    assert R.refresh_now(sqlite_engine) == 1  # the day of W1
    with sqlite_engine.connect() as conn:  # the pool's connection waits as usual again
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS


def test_the_triggers_are_there_at_head(db_engine):
    """A later migration that rebuilds tickets, service_reports, customers or devices
    on SQLite (batch_alter_table copies the table) drops their triggers: it must make
    them again."""
    with db_engine.connect() as conn:
        if db_engine.dialect.name == "sqlite":
            sql = "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
        else:
            # this test's schema only: other tests migrate schemas of their own meanwhile
            sql = ("SELECT c.relname, t.tgname FROM pg_trigger t "
                   "JOIN pg_class c ON c.oid = t.tgrelid "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE NOT t.tgisinternal AND n.nspname = current_schema()")  # fmt: skip
        found = {(t, n) for t, n in conn.exec_driver_sql(sql) if n.startswith("dashboard_")}
    tables = {t for t, _ in found}
    assert tables == {"tickets", "service_reports", "customers", "devices", "followup_ratings",
                      "ticket_parts", "parts", "stock_movements"}  # fmt: skip
    # SQLite: insert, delete, update (+ a ticket's ratings on update and delete; a part's
    # key flag; an issue's update and delete); PostgreSQL: rows, TRUNCATE (+ the same two
    # on tickets)
    assert len(found) == 19 if db_engine.dialect.name == "sqlite" else 18


def test_the_ticker_vacuums_the_rollup_after_a_bulk_load(db_engine, monkeypatch):
    """PostgreSQL: a refresh after a bulk load deletes the whole dirty log, and every read
    of the log steps over the dead rows until they are vacuumed (autovacuum may be off or
    behind): the ticker's tidy round vacuums a rollup table with more than DEAD_ROWS.

    What VACUUM can remove depends on the oldest snapshot of every session on the server
    (another test process's open transaction keeps the rows), so the test counts the
    vacuums of the table, not the rows left."""
    from data_access import jobs

    monkeypatch.setattr(R, "DEAD_ROWS", 20)
    postgres = db_engine.dialect.name == "postgresql"

    def stats() -> tuple[int, int]:
        with db_engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return tuple(conn.execute(text(
                "SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables "
                "WHERE schemaname = current_schema() AND relname = 'dashboard_dirty'")).one())  # fmt: skip

    def settles(want) -> tuple[int, int]:
        for _ in range(50):  # statistics reach the shared counters within about a second
            got = stats()
            if want(*got):
                return got
            time.sleep(0.1)
        return got

    with db.write(db_engine) as s:
        s.execute(text("INSERT INTO dashboard_dirty(day) VALUES ('2025-04-01')"))
        for _ in range(6):
            s.execute(text("INSERT INTO dashboard_dirty(day) SELECT day FROM dashboard_dirty"))
        s.execute(delete(DashboardDirty))  # 64 rows: what a refresh does to the log
        if postgres:
            s.execute(text("SELECT pg_stat_force_next_flush()"))
    if not postgres:
        assert R.vacuum(db_engine) == []  # SQLite: its own pages are reused
        return
    dead, vacuums = settles(lambda dead, _: dead >= 64)
    assert dead >= 64
    monkeypatch.setattr(R, "DEAD_ROWS", 10**9)
    assert R.vacuum(db_engine) == []  # under the threshold: left to autovacuum
    monkeypatch.setattr(R, "DEAD_ROWS", 20)
    assert jobs.index_round(db_engine) is not None
    assert settles(lambda _, n: n > vacuums)[1] == vacuums + 1
