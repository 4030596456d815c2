"""KPI figures computed in SQL (never by loading tickets into pandas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, and_, case, cast, distinct, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from data_access.models import (
    Complaint,
    Customer,
    MaintenanceVisit,
    ServiceReport,
    Ticket,
    TrainingAttendance,
)
from data_access.ticket_queries import sla_state_is
from rules.dashboard import SATISFIED_AT, share
from rules.tickets import FINISHED, SlaState

DONE = tuple(sorted(FINISHED))


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """`end - start` in seconds, in the dialect's own date arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _mean_rating() -> ColumnElement[float]:
    return (
        cast(ServiceReport.rating_quality, Float)
        + ServiceReport.rating_attitude
        + ServiceReport.rating_efficiency
    ) / 3.0


def kpis(
    session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> dict[str, float | None]:
    """Every KPI of rules.dashboard.KPIS for tickets received in [start, end)."""
    in_period = and_(Ticket.received_at >= start, Ticket.received_at < end)
    response_s = seconds_between(session, Ticket.received_at, Ticket.responded_at)
    resolution_s = seconds_between(session, Ticket.received_at, Ticket.resolved_at)
    t = session.execute(
        select(
            func.count(Ticket.id),
            func.avg(response_s),
            func.avg(resolution_s),
            func.count(Ticket.responded_at),
            func.sum(case((Ticket.responded_at <= Ticket.respond_due, 1), else_=0)),
            func.count(Ticket.resolved_at),
            func.sum(case((Ticket.resolved_at <= Ticket.resolve_due, 1), else_=0)),
            func.sum(case((Ticket.first_time_fix.is_(True), 1), else_=0)),
        ).where(in_period)
    ).one()
    received, resp_s, res_s, responded, resp_ok, resolved, res_ok, ftf = t
    open_now = session.scalar(select(func.count(Ticket.id)).where(Ticket.status.not_in(DONE)))
    overdue = session.scalar(
        select(func.count(Ticket.id)).where(sla_state_is(SlaState.OVERDUE, now))
    )
    mean = _mean_rating()
    r = session.execute(
        select(
            func.avg(mean),
            func.count(ServiceReport.id),
            func.sum(case((mean >= SATISFIED_AT, 1), else_=0)),
        )
        .join(Ticket, Ticket.id == ServiceReport.ticket_id)
        .where(in_period, ServiceReport.rating_quality.is_not(None))
    ).one()
    csat, rated, satisfied = r
    complaints = session.scalar(
        select(func.count(Complaint.id)).where(
            Complaint.received_at >= start, Complaint.received_at < end
        )
    )
    due_visits, on_time_visits = session.execute(
        select(
            func.count(MaintenanceVisit.id),
            func.sum(
                case(
                    (
                        and_(
                            MaintenanceVisit.done_at.is_not(None),
                            func.date(MaintenanceVisit.done_at) <= MaintenanceVisit.due_date,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        ).where(
            MaintenanceVisit.due_date >= start.date(),
            MaintenanceVisit.due_date < end.date(),
            MaintenanceVisit.status != "cancelled",
        )
    ).one()
    customers = session.scalar(select(func.count(Customer.id)))
    trained = session.scalar(
        select(func.count(distinct(TrainingAttendance.customer_id))).where(
            TrainingAttendance.presence.in_(("present", "late"))  # rules.training.ATTENDED
        )
    )
    return {
        "tickets_received": received,
        "tickets_open": open_now,
        "tickets_overdue": overdue,
        "first_response_min": None if resp_s is None else float(resp_s) / 60,
        "resolution_h": None if res_s is None else float(res_s) / 3600,
        "response_compliance": share(resp_ok, responded),
        "on_time_repair": share(res_ok, resolved),
        "first_time_fix": share(ftf, resolved),
        "csat": None if csat is None else float(csat),
        "satisfaction_rate": share(satisfied, rated),
        "complaint_rate": share(complaints, received),
        "maintenance_completion": share(on_time_visits, due_visits),
        "training_coverage": share(trained, customers),
    }


def by_priority(session: Session, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Seed 000 §5.1.1's table: per priority the count, share, mean resolution hours and
    mean satisfaction."""
    resolution_h = seconds_between(session, Ticket.received_at, Ticket.resolved_at) / 3600.0
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
