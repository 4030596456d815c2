"""Business-time durations stored on the ticket where its deadlines are stored: intake,
status changes, SLA recompute, the migration's backfill; and the service report's
confirmed fault code and correction stamp. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from data_access import db
from data_access import ticket_reports as R
from data_access import tickets as T
from data_access.backfill_durations import backfill_business_durations
from data_access.errors import InvalidInput
from data_access.models import FaultCode, ServiceReport, Ticket
from data_access.sla_config import save_calendar
from tests.actors import ADMIN
from tests.data_access.test_tickets import move, new_ticket

FRI_5PM = dt.datetime(2026, 11, 27, 17, 0)  # a Friday
MON_9AM = dt.datetime(2026, 11, 30, 9, 0)
MON_TO_FRI = {str(wd): [["08:30", "18:00"]] for wd in range(5)}


def _durations(engine, tid):
    with db.read(engine) as s:
        t = s.get(Ticket, tid)
        return t.response_business_s, t.resolution_business_s


def test_friday_evening_to_monday_morning_is_business_minutes(world):
    engine, ids = world
    with db.write(engine) as s:
        save_calendar(s, weekly=MON_TO_FRI)
    tid = new_ticket(engine, ids, received=FRI_5PM)
    assert _durations(engine, tid) == (None, None)
    move(engine, tid, "dispatched", MON_9AM, ids)
    response, resolution = _durations(engine, tid)
    # 17:00–18:00 Friday and 08:30–09:00 Monday: 90 minutes, not 64 hours
    assert response == pytest.approx(90 * 60)
    assert resolution is None  # still open


def test_resolution_excludes_pauses_and_reopen_clears_it(world):
    engine, ids = world
    mon = dt.datetime(2026, 11, 23, 9, 0)
    tid = new_ticket(engine, ids, received=mon)
    move(engine, tid, "dispatched", mon.replace(hour=10), ids)
    move(engine, tid, "waiting_parts", mon.replace(hour=11), ids)
    move(engine, tid, "on_site", mon.replace(day=24, hour=11), ids)
    move(engine, tid, "repaired", mon.replace(day=24, hour=12), ids)
    # Mon 09–11 running, waiting for parts until Tue 11 (paused), Tue 11–12 running
    assert _durations(engine, tid) == (pytest.approx(3600), pytest.approx(3 * 3600))
    move(engine, tid, "reopened", mon.replace(day=25, hour=9), ids)
    assert _durations(engine, tid)[1] is None
    move(engine, tid, "repaired", mon.replace(day=25, hour=10), ids)
    assert _durations(engine, tid)[1] == pytest.approx(4 * 3600)


def test_cancelled_ticket_has_no_resolution_time(world):
    engine, ids = world
    mon = dt.datetime(2026, 11, 23, 9, 0)
    tid = new_ticket(engine, ids, received=mon)
    move(engine, tid, "cancelled", mon.replace(hour=12), ids)
    assert _durations(engine, tid) == (pytest.approx(3 * 3600), None)


def test_sla_recompute_and_backfill_restore_the_durations(world):
    engine, ids = world
    tid = new_ticket(engine, ids, received=FRI_5PM)
    move(engine, tid, "dispatched", MON_9AM, ids)
    # default calendar Mon–Sat: Friday 1 h + Saturday 9.5 h + Monday 0.5 h
    assert _durations(engine, tid)[0] == pytest.approx(11 * 3600)
    with db.write(engine) as s:
        save_calendar(s, weekly=MON_TO_FRI)
        T.recompute_open_deadlines(s, MON_9AM)
    assert _durations(engine, tid)[0] == pytest.approx(90 * 60)
    with db.write(engine) as s:
        s.execute(update(Ticket).values(response_business_s=None, resolution_business_s=None))
    with engine.begin() as conn:
        assert backfill_business_durations(conn, MON_9AM) == 1
    assert _durations(engine, tid)[0] == pytest.approx(90 * 60)


def test_report_fault_code_and_correction_after_acceptance(world):
    engine, ids = world
    mon = dt.datetime(2026, 11, 23, 9, 0)
    tid = new_ticket(engine, ids, received=mon)
    with db.write(engine) as s:
        code = FaultCode(code="E01", name_zh="主轴")
        s.add(code)
        s.flush()
        code_id = code.id
    with db.write(engine) as s, pytest.raises(InvalidInput) as e:
        R.save_report(s, tid, actor=ADMIN, now=mon, fault_code_id=code_id + 999)
    assert [p.field for p in e.value.problems] == ["fault_code_id"]
    with db.write(engine) as s:
        R.save_report(s, tid, actor=ADMIN, now=mon, work_done="换轴承", labour_hours=2,
                      fault_code_id=code_id)  # fmt: skip
    with db.write(engine) as s:
        r = s.query(ServiceReport).filter_by(ticket_id=tid).one()
        assert r.fault_code_id == code_id and r.corrected_at is None
        # accepted by the customer, and saved again unchanged: not a correction
        R.save_report(s, tid, actor=ADMIN, now=mon, expected_version=r.version,
                      accepted_by="李", accepted_at=mon, labour_hours=Decimal("2.00"))  # fmt: skip
    later = mon + dt.timedelta(hours=2)
    with db.write(engine) as s:
        r = s.query(ServiceReport).filter_by(ticket_id=tid).one()
        assert r.corrected_at is None
        R.save_report(s, tid, actor=ADMIN, now=later, expected_version=r.version,
                      labour_hours=3)  # fmt: skip
    with db.read(engine) as s:
        assert s.query(ServiceReport).filter_by(ticket_id=tid).one().corrected_at == later


def test_demo_durations_equal_the_sla_clock(sqlite_engine):
    """The demo generator's stored durations (worked out without a clock per ticket)
    equal what :func:`rules.sla.sla_clock` gives through the backfill."""
    from data_access.demo import DEMO_NOW, load

    load(sqlite_engine, customers=30, tickets=400)
    cols = (Ticket.id, Ticket.response_business_s, Ticket.resolution_business_s)
    with db.read(sqlite_engine) as s:
        demo = s.execute(select(*cols).order_by(Ticket.id)).all()
    with sqlite_engine.begin() as conn:
        backfill_business_durations(conn, DEMO_NOW)
    with db.read(sqlite_engine) as s:
        clock = s.execute(select(*cols).order_by(Ticket.id)).all()
    assert sum(r[2] is not None for r in demo) > 100
    assert [(i, r, pytest.approx(v)) for i, r, v in demo] == [
        (i, pytest.approx(r), v) for i, r, v in clock
    ]
