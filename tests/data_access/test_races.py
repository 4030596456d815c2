"""Two people at once: the first service report and concurrent intakes (both back-ends;
on PostgreSQL the transactions really overlap)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from data_access import db
from data_access import ticket_reports as R
from data_access import tickets as T
from data_access.models import ServiceReport, Ticket
from tests.actors import agent
from tests.data_access.test_tickets import MON, at, new_ticket


def first_report(engine, tid, who, text):
    """Save a report as someone who saw none (the form had no version to send)."""
    with db.write(engine) as s:
        R.save_report(s, tid, actor=agent(who), now=at(1), expected_version=None, work_done=text)


def test_a_second_first_report_is_a_conflict_not_an_overwrite(world):
    engine, ids = world
    tid = new_ticket(engine, ids)
    first_report(engine, tid, ids["agent"], "换轴承")
    with pytest.raises(T.ConflictError):
        first_report(engine, tid, ids["agent"], "清洁主轴")
    with db.read(engine) as s:
        assert s.scalars(select(ServiceReport.work_done)).all() == ["换轴承"]


def test_two_first_reports_at_once_one_wins_the_other_conflicts(world):
    """The second save starts while the first is not committed: it cannot see that
    report yet, so the unique ticket (PostgreSQL) or the write lock (SQLite) decides."""
    engine, ids = world
    tid = new_ticket(engine, ids)
    got: list = []

    def second() -> None:
        try:
            first_report(engine, tid, ids["agent"], "清洁主轴")
            got.append("saved")
        except T.ConflictError as exc:
            got.append(exc)

    with db.write(engine) as s:
        R.save_report(s, tid, actor=agent(ids["agent"]), now=at(1), expected_version=None,
                      work_done="换轴承")  # fmt: skip
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # the second save is now waiting on the first
    thread.join(20)
    assert len(got) == 1 and isinstance(got[0], T.ConflictError), got
    with db.read(engine) as s:
        assert s.scalars(select(ServiceReport.work_done)).all() == ["换轴承"]


INTAKES = 50


def test_fifty_intakes_at_once_all_succeed_with_distinct_numbers(world):
    engine, ids = world
    start = threading.Barrier(INTAKES)
    got: list = []

    def intake() -> None:
        start.wait()
        try:
            got.append(new_ticket(engine, ids, fault_description="并发受理"))
        except Exception as exc:  # reported by the assertion below
            got.append(exc)

    threads = [threading.Thread(target=intake) for _ in range(INTAKES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    failed = [g for g in got if not isinstance(g, int)]
    assert not failed and len(got) == INTAKES, failed[:3]
    with db.read(engine) as s:
        numbers = sorted(s.scalars(select(Ticket.ticket_no)))
    day = MON.strftime("%Y%m%d")
    assert numbers == [f"SR-{day}-{n:04d}" for n in range(1, INTAKES + 1)]
