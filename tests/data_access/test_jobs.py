"""Automatic escalation in the background: one round, the ticker, the instance lock."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text

from data_access import db, jobs
from data_access.models import Ticket
from tests.data_access.test_tickets import at, new_ticket, world  # noqa: F401  (fixture)

# PostgreSQL advisory locks span the whole database, not one test schema: the tests that
# take the round's lock run on one worker, one after another
pytestmark = pytest.mark.xdist_group("escalation-lock")


def level(engine, tid: int) -> int:
    with db.read(engine) as s:
        return s.scalar(select(Ticket.escalation_level).where(Ticket.id == tid))


def test_round_escalates_due_tickets(world):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids)
    assert round_done(engine, at(0.5, days=1)) == ["SR-20261123-0001"]
    assert level(engine, tid) == 2
    assert round_done(engine, at(0.5, days=1)) == []


def round_done(engine, now, tries: int = 50) -> list[str] | None:
    """A round that ran: on a PostgreSQL server shared by parallel test runs another
    process may hold the round's lock for a moment (None means "not this time")."""
    for _ in range(tries):
        done = jobs.escalate_round(engine, now)
        if done is not None:
            return done
        time.sleep(0.1)
    return None


def test_another_instance_holding_the_round_skips_it(world):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids)
    if engine.dialect.name != "postgresql":  # SQLite serialises writers: no lock to take
        assert round_done(engine, at(0.5, days=1)) == ["SR-20261123-0001"]
        return
    with engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": jobs.LOCK_KEY})
        try:
            assert jobs.escalate_round(engine, at(0.5, days=1)) is None
            assert level(engine, tid) == 1
        finally:
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": jobs.LOCK_KEY})
    assert round_done(engine, at(0.5, days=1)) == ["SR-20261123-0001"]


def test_ticker_runs_rounds_until_stopped(world, monkeypatch):  # noqa: F811
    engine, ids = world
    tid = new_ticket(engine, ids, received=at(days=-30))
    monkeypatch.setenv("AFTERSALES_JOBS", "1")
    monkeypatch.setenv("AFTERSALES_ESCALATE_SECONDS", "0.05")
    ticker = jobs.start(engine)
    assert ticker is not None
    try:
        deadline = time.monotonic() + 20
        while ticker.rounds < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ticker.stop()
        ticker.join(5)
    assert ticker.rounds >= 2 and not ticker.is_alive()
    assert level(engine, tid) == 4 and ticker.escalated == ["SR-20261024-0001"]


def test_jobs_can_be_turned_off(world, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AFTERSALES_JOBS", "0")
    assert jobs.start(world[0]) is None


def test_the_round_moves_overdue_complaints_up_too(world):  # noqa: F811
    """A complaint past its investigation deadline goes a tier up in the ticker's round."""
    from data_access.complaint_register import Intake, log_complaint
    from data_access.models import Complaint, Customer
    from tests.actors import ADMIN

    engine, _ = world
    with db.write(engine) as s:
        code = s.scalar(select(Customer.code))
        no = log_complaint(
            s,
            Intake(customer=code, complainant="张伟", channel="hotline", content="又坏了",
                      severity="high", urgency="high", received_at=at(0)),
            actor=ADMIN,
            now=at(0),
        )  # fmt: skip
    round_done(engine, at(0, days=10))
    with db.read(engine) as s:
        assert s.scalar(select(Complaint.tier).where(Complaint.complaint_no == no)) > 1
