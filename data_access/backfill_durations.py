"""Fill ``tickets.response_business_s`` / ``resolution_business_s`` of existing tickets
(migration 0016) from their status histories, by :func:`rules.sla.sla_clock`.

Reads with Core and lightweight table stubs naming only the columns it needs, so a
later change of the models cannot break this upgrade. Streams the tickets in id order,
a chunk at a time, and writes one executemany UPDATE a chunk.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa

from rules import sla

CHUNK = 5_000

_tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer),
    sa.column("priority", sa.String),
    sa.column("received_at", sa.DateTime),
    sa.column("customer_id", sa.Integer),
    sa.column("response_business_s", sa.Float),
    sa.column("resolution_business_s", sa.Float),
)
_events = sa.table(
    "ticket_events",
    sa.column("ticket_id", sa.Integer),
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime),
    sa.column("kind", sa.String),
    sa.column("to_status", sa.String),
)
_customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("grade", sa.String))
_policies = sa.table(
    "sla_policies",
    sa.column("priority", sa.String),
    sa.column("customer_grade", sa.String),
    sa.column("respond_hours", sa.Numeric),
    sa.column("resolve_hours", sa.Numeric),
    sa.column("round_the_clock", sa.Boolean),
)
_calendars = sa.table(
    "working_calendars",
    sa.column("id", sa.Integer),
    sa.column("weekly", sa.JSON),
    sa.column("is_default", sa.Boolean),
)
_days = sa.table(
    "calendar_days",
    sa.column("calendar_id", sa.Integer),
    sa.column("day", sa.Date),
    sa.column("kind", sa.String),
)


def _calendar(conn: sa.Connection) -> sla.WorkingCalendar:
    row = conn.execute(
        sa.select(_calendars.c.id, _calendars.c.weekly)
        .order_by(_calendars.c.is_default.desc(), _calendars.c.id)
        .limit(1)
    ).first()
    if row is None:
        return sla.DEFAULT_CALENDAR
    days = conn.execute(
        sa.select(_days.c.day, _days.c.kind).where(_days.c.calendar_id == row.id)
    ).all()
    weekly = row.weekly if isinstance(row.weekly, dict) else __import__("json").loads(row.weekly)
    return sla.WorkingCalendar(
        weekly=weekly,
        holidays={_date(d) for d, k in days if k == "holiday"},
        extra_workdays={_date(d) for d, k in days if k == "workday"},
    )


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _policies_of(conn: sa.Connection) -> tuple[sla.Policy, ...]:
    rows = conn.execute(sa.select(_policies)).all()
    if not rows:
        return sla.DEFAULT_POLICIES
    return tuple(
        sla.Policy(r.priority, float(r.respond_hours), float(r.resolve_hours),
                   r.customer_grade or "*", None, bool(r.round_the_clock))
        for r in rows
    )  # fmt: skip


def _policy(policies, priority: str, grade: str | None) -> sla.Policy:
    try:
        return sla.policy_for(policies, priority, grade)
    except sla.NoPolicy:
        return sla.policy_for(sla.DEFAULT_POLICIES, priority, grade)


def backfill_business_durations(conn: sa.Connection, now: dt.datetime | None = None) -> int:
    """Store both durations of every ticket; returns how many were written."""
    now = now or dt.datetime.now().replace(microsecond=0)
    calendar, policies = _calendar(conn), _policies_of(conn)
    grades = dict(conn.execute(sa.select(_customers.c.id, _customers.c.grade)).all())
    update = (
        sa.update(_tickets)
        .where(_tickets.c.id == sa.bindparam("b_id"))
        .values(
            response_business_s=sa.bindparam("v_response"),
            resolution_business_s=sa.bindparam("v_resolution"),
        )
    )
    last, written = 0, 0
    while True:
        rows = conn.execute(
            sa.select(_tickets.c.id, _tickets.c.priority, _tickets.c.received_at,
                      _tickets.c.customer_id)
            .where(_tickets.c.id > last).order_by(_tickets.c.id).limit(CHUNK)
        ).all()  # fmt: skip
        if not rows:
            return written
        last = rows[-1].id
        events: dict[int, list] = defaultdict(list)
        for tid, at, to_status in conn.execute(
            sa.select(_events.c.ticket_id, _events.c.at, _events.c.to_status)
            .where(_events.c.ticket_id >= rows[0].id, _events.c.ticket_id <= last,
                   _events.c.kind == "status")
            .order_by(_events.c.at, _events.c.id)
        ):  # fmt: skip
            events[tid].append((at, to_status))
        params = []
        for r in rows:
            policy = _policy(policies, r.priority, grades.get(r.customer_id))
            clock = sla.sla_clock(r.received_at, policy, calendar, events.get(r.id, []), now)
            params.append({"b_id": r.id, "v_response": clock.response_seconds,
                           "v_resolution": clock.resolution_seconds})  # fmt: skip
        conn.execute(update, params)
        written += len(params)
