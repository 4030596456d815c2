"""The SLA state in SQL (list filter, counts, dashboard) equals the rule
(``rules.tickets.sla_state``) on every case of the table, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data_access import db
from data_access import tickets as T
from data_access.dashboard import kpis
from data_access.models import Customer, Ticket
from rules.tickets import DUE_SOON, SlaState, sla_state

NOW = dt.datetime(2026, 11, 23, 12, 0)
H = dt.timedelta(hours=1)
SOON = NOW + DUE_SOON

# status, responded_at, respond_due, resolve_due, expected
CASES = [
    ("received", None, NOW + 5 * H, NOW + 30 * H, SlaState.ON_TRACK),
    ("received", None, NOW + H, NOW + 30 * H, SlaState.DUE_SOON),
    ("received", None, SOON, NOW + 30 * H, SlaState.ON_TRACK),  # due exactly at the edge
    ("received", None, NOW, NOW + 30 * H, SlaState.DUE_SOON),  # due this very moment
    ("received", None, NOW - H, NOW + 30 * H, SlaState.OVERDUE),  # respond-by passed
    ("diagnosing", NOW - 9 * H, NOW - H, NOW + 30 * H, SlaState.ON_TRACK),  # responded: no matter
    ("diagnosing", NOW - 9 * H, NOW - H, NOW + 2 * H, SlaState.DUE_SOON),
    ("on_site", NOW - 9 * H, NOW - 8 * H, NOW - H, SlaState.OVERDUE),
    ("dispatched", NOW - 9 * H, NOW - 8 * H, None, SlaState.ON_TRACK),  # no deadline stored
    ("waiting_parts", NOW - 9 * H, NOW - 8 * H, None, SlaState.PAUSED),
    (
        "waiting_customer",
        NOW - 9 * H,
        NOW - 8 * H,
        NOW - H,
        SlaState.OVERDUE,
    ),  # breached, then paused
    ("waiting_customer", NOW - 9 * H, NOW - 8 * H, NOW + H, SlaState.PAUSED),
    ("reopened", NOW - 9 * H, NOW - 8 * H, NOW + H, SlaState.DUE_SOON),
    ("repaired", NOW - 9 * H, NOW - 8 * H, NOW - H, SlaState.DONE),  # late but finished
    ("closed", NOW - 9 * H, NOW - 8 * H, NOW + 9 * H, SlaState.DONE),
    ("cancelled", None, NOW - 8 * H, NOW - H, SlaState.DONE),
]


def _insert(engine, status, responded_at, respond_due, resolve_due) -> int:
    with db.write(engine) as s:
        c = Customer(code="C1", name="客户一", grade="A")
        s.add(c)
        s.flush()
        t = Ticket(
            ticket_no="SR-1",
            customer_id=c.id,
            channel="phone",
            priority="standard",
            status=status,
            fault_description="x",
            received_at=NOW - 10 * H,
            responded_at=responded_at,
            respond_due=respond_due,
            resolve_due=resolve_due,
            escalation_level=1,
        )
        s.add(t)
        s.flush()
        return t.id


@pytest.mark.parametrize(("status", "responded", "respond_due", "resolve_due", "expected"), CASES)
def test_sql_and_rule_agree(db_engine, status, responded, respond_due, resolve_due, expected):
    assert sla_state(status, responded, respond_due, resolve_due, NOW) is expected
    tid = _insert(db_engine, status, responded, respond_due, resolve_due)
    with db.read(db_engine) as s:
        in_sql = {
            state
            for state in SlaState
            if s.scalar(select(func.count(Ticket.id)).where(T.sla_state_is(state, NOW)))
        }
        assert in_sql == {expected}
        # the list filter and its count, the row's flag and the dashboard say the same
        for state in T.SLA_STATES:
            f = T.TicketFilter(sla_state=state)
            listed = [r["id"] for r in T.list_tickets(s, f, now=NOW)]
            assert (listed, T.count_tickets(s, f, NOW)) == (
                ([tid], 1) if state is expected else ([], 0)
            )
        (row,) = T.list_tickets(s, T.TicketFilter(), now=NOW)
        assert row["sla_state"] is expected
        assert row["overdue"] is (expected is SlaState.OVERDUE)
        overdue = kpis(s, NOW - 100 * H, NOW + H, NOW)["tickets_overdue"]
        assert overdue == (expected is SlaState.OVERDUE)
