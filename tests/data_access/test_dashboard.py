"""KPI figures from SQL match hand-computed values, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import db
from data_access.dashboard import by_priority, daily_volume, kpis, status_counts
from data_access.models import Complaint, Customer, ServiceReport, Ticket

T0 = dt.datetime(2026, 3, 2, 9, 0)
NOW = dt.datetime(2026, 3, 10, 12, 0)


def _ticket(no: str, customer: Customer, **kw) -> Ticket:
    base = dict(
        ticket_no=no,
        customer=customer,
        channel="phone",
        priority="high",
        status="closed",
        fault_description="停机",
        received_at=T0,
        respond_due=T0 + dt.timedelta(hours=8),
        resolve_due=T0 + dt.timedelta(hours=48),
    )
    return Ticket(**{**base, **kw})


@pytest.fixture
def seeded(db_engine):
    with db.write(db_engine) as s:
        c = Customer(code="C1", name="恒达", grade="A")
        s.add(c)
        # responded after 10 and 30 min; resolved after 20 h (on time) and 60 h (late)
        a = _ticket(
            "T1",
            c,
            responded_at=T0 + dt.timedelta(minutes=10),
            resolved_at=T0 + dt.timedelta(hours=20),
            first_time_fix=True,
        )
        b = _ticket(
            "T2",
            c,
            priority="emergency",
            responded_at=T0 + dt.timedelta(minutes=30),
            resolved_at=T0 + dt.timedelta(hours=60),
            first_time_fix=False,
        )
        # open and overdue at NOW
        o = _ticket(
            "T3", c, status="dispatched", priority="low", resolve_due=NOW - dt.timedelta(hours=1)
        )
        s.add_all([a, b, o])
        s.flush()
        s.add(
            ServiceReport(ticket_id=a.id, rating_quality=5, rating_attitude=5, rating_efficiency=5)
        )
        s.add(
            ServiceReport(ticket_id=b.id, rating_quality=3, rating_attitude=3, rating_efficiency=3)
        )
        s.add(
            Complaint(
                complaint_no="CP1",
                customer_id=c.id,
                complainant="王",
                channel="hotline",
                received_at=T0,
                content="慢",
                severity="high",
                urgency="high",
                priority="high",
                status="open",
            )
        )
    return db_engine


def test_kpis(seeded):
    with db.read(seeded) as s:
        k = kpis(s, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=30), NOW)
    assert k["tickets_received"] == 3
    assert k["tickets_open"] == 1
    assert k["tickets_overdue"] == 1
    assert k["first_response_min"] == pytest.approx(20.0, abs=0.01)
    assert k["resolution_h"] == pytest.approx(40.0, abs=0.01)
    assert k["response_compliance"] == pytest.approx(100.0)
    assert k["on_time_repair"] == pytest.approx(50.0)
    assert k["first_time_fix"] == pytest.approx(50.0)
    assert k["csat"] == pytest.approx(4.0)
    assert k["satisfaction_rate"] == pytest.approx(50.0)
    assert k["complaint_rate"] == pytest.approx(100.0 / 3)
    assert k["maintenance_completion"] is None  # no visits due: no figure, not 0 %
    assert k["training_coverage"] == pytest.approx(0.0)


def test_period_excludes_other_tickets(seeded):
    with db.read(seeded) as s:
        k = kpis(s, T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2), NOW)
    assert k["tickets_received"] == 0
    assert k["first_response_min"] is None
    assert k["tickets_open"] == 1  # open-now counts are not limited to the period


def test_by_priority_and_status_counts(seeded):
    with db.read(seeded) as s:
        rows = {r["priority"]: r for r in by_priority(s, T0 - dt.timedelta(days=1), NOW)}
        counts = status_counts(s)
    assert rows["high"]["count"] == 1
    assert rows["emergency"]["resolution_h"] == pytest.approx(60.0, abs=0.01)
    assert rows["emergency"]["satisfaction"] == pytest.approx(3.0)
    assert rows["low"]["share"] == pytest.approx(100 / 3)
    assert counts == {"closed": 2, "dispatched": 1}


def test_daily_volume_counts_days_without_tickets_as_zero(seeded):
    # the page passes [first day 00:00, day after the last 00:00)
    with db.read(seeded) as s:
        rows = daily_volume(s, dt.datetime(2026, 2, 28), dt.datetime(2026, 3, 5))
    assert [(r["day"], r["count"]) for r in rows] == [
        ("2026-02-28", 0),
        ("2026-03-01", 0),
        ("2026-03-02", 3),  # the three tickets of the fixture
        ("2026-03-03", 0),
        ("2026-03-04", 0),
    ]
