"""The dashboard's API of before the KPI catalogue (issue 17): ``kpis``, ``by_priority``,
``status_counts``, ``daily_volume``. Callers use :mod:`data_access.dashboard`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Float,
    cast,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from data_access.dashboard_figures import _compute
from data_access.dashboard_measures import (
    Filters,
    Period,
)
from data_access.models import (
    ServiceReport,
    Ticket,
)
from rules import dashboard as K
from rules.dashboard import share


# ---------------------------------------------------------------- before issue 17
# The page of before the KPI catalogue reads these until it is replaced.
def _mean_rating() -> ColumnElement[float]:
    return (
        cast(ServiceReport.rating_quality, Float)
        + ServiceReport.rating_attitude
        + ServiceReport.rating_efficiency
    ) / 3.0


def kpis(
    session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[str, float | None]:
    """The old page's figures for tickets received in [start, end) (kept for its page)."""
    period = Period(start.date(), (end - dt.timedelta(microseconds=1)).date())
    f = Filters()
    out = _compute(session, {k.key for k in K.KPIS}, period, f, now)
    return {k: v.value for k, v in out.items()}


def by_priority(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Seed 000 §5.1.1's table: per priority the count, share, mean resolution hours and
    mean satisfaction."""
    resolution_h = Ticket.resolution_business_s / 3600.0
    rows = session.execute(
        select(
            Ticket.priority, func.count(Ticket.id), func.avg(resolution_h), func.avg(_mean_rating())
        )
        .outerjoin(ServiceReport, ServiceReport.ticket_id == Ticket.id)
        .where(Ticket.received_at >= start, Ticket.received_at < end)
        .group_by(Ticket.priority)
    ).all()
    total = sum(r[1] for r in rows)
    return [
        {
            "priority": p,
            "count": n,
            "share": share(n, total),
            "resolution_h": None if h is None else float(h),
            "satisfaction": None if s is None else float(s),
        }
        for p, n, h, s in rows
    ]


def status_counts(session: Session) -> dict[str, int]:
    return dict(
        session.execute(select(Ticket.status, func.count(Ticket.id)).group_by(Ticket.status)).all()
    )


def daily_volume(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Tickets received per day of [start, end), a day without tickets included as 0
    (a chart would otherwise draw straight across the gap)."""
    day = func.date(Ticket.received_at)
    rows = session.execute(
        select(day, func.count(Ticket.id))
        .where(Ticket.received_at >= start, Ticket.received_at < end)
        .group_by(day)
    ).all()
    counts = {str(d): n for d, n in rows}  # SQLite gives 'YYYY-MM-DD', PostgreSQL a date
    first, last = start.date(), (end - dt.timedelta(microseconds=1)).date()
    days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return [{"day": d.isoformat(), "count": counts.get(d.isoformat(), 0)} for d in days]
