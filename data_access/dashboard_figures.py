"""The dashboard's figures: one aggregate per domain (tickets, reports, satisfaction,
complaints, maintenance, training, parts, devices), from the rollup where it serves,
and the 85 % satisfaction rule (:func:`review_due`). Callers use
:mod:`data_access.dashboard`, which re-exports these."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    case,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from data_access import dashboard_rollup as R
from data_access.dashboard_measures import (
    Filters,
    Measure,
    Period,
    _aggregate,
    _check,
    _customer_in,
    _model_ids,
    _scope,
    _ticket_where,
    _tickets_in,
    ftf_repeat_days,
    key_part_within,
    rating_sums,
    report_measures,
    ticket_measures,
)
from data_access.maintenance_register import counts_as_due, done_in_window
from data_access.models import (
    Complaint,
    Device,
    FollowUpRating,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    SatisfactionReview,
    ServiceReport,
    StockMovement,
    Ticket,
    TicketPart,
)
from data_access.ticket_queries import sla_state_is
from rules import dashboard as K
from rules.access import Acting
from rules.dashboard import Figure, share
from rules.tickets import SlaState


def _figure(m: Measure, row: Any, key: str, population: int | None) -> Figure:
    """A figure from an aggregate row; ``population`` is the domain's row count (0: no
    data, every figure None)."""
    num = getattr(row, f"{key}__n", None)
    if m.kind == "count":
        n = int(num or 0)
        return Figure(n if population else None, n if population else None, None)
    den = int(getattr(row, f"{key}__d") or 0)
    if not den:
        return Figure(None, None if num is None else float(num), 0)
    if m.kind == "ratio":
        return Figure(share(num, den), float(num or 0), den)
    total = float(num or 0) * m.scale
    return Figure(total / den, total, den)


# ---------------------------------------------------------------- figures per domain
def _ticket_figures(
    session: Session, period: Period, f: Filters, now: dt.datetime, repeat_days: int
) -> tuple[dict[str, Figure], int]:
    measures = ticket_measures(session, now, repeat_days)
    row = session.execute(
        select(func.count(Ticket.id).label("rows"), *_aggregate(measures)).where(
            *_tickets_in(period), *_ticket_where(f, ranged=True)
        )
    ).one()
    rows = int(row.rows or 0)
    return {k: _figure(m, row, k, rows) for k, m in measures.items()}, rows


def _report_figures(session: Session, period: Period, f: Filters) -> dict[str, Figure]:
    measures = report_measures()
    row = session.execute(
        select(func.count(ServiceReport.id).label("rows"), *_aggregate(measures))
        .select_from(Ticket)
        .join(ServiceReport, ServiceReport.ticket_id == Ticket.id)
        .where(*_tickets_in(period), *_ticket_where(f, ranged=True))
    ).one()
    return {k: _figure(m, row, k, row.rows) for k, m in measures.items()}


def latest_ratings(period: Period, f: Filters):
    """The latest rating per ticket among the ratings given in the period (as
    :func:`data_access.followups.latest_scores`), of the tickets the filters select."""
    r = FollowUpRating
    start, end = period.bounds()
    where = [r.rated_at >= start, r.rated_at < end, r.ticket_id.is_not(None)]
    ticket_where = _ticket_where(f, ranged=True)
    if ticket_where:  # each rating's own ticket (a seek), not every such ticket of all time
        where.append(exists().where(Ticket.id == r.ticket_id, *ticket_where))
    last = select(func.max(r.id).label("id")).where(*where).group_by(r.ticket_id).subquery()
    return last


def _satisfaction_figures(session: Session, period: Period, f: Filters) -> dict[str, Figure]:
    r = FollowUpRating
    last = latest_ratings(period, f)
    row = session.execute(
        select(*(c.label(k) for k, c in rating_sums().items())).join(last, last.c.id == r.id)
    ).one()
    return _rating_figures(row.ratings, row.rating_score, row.ratings_satisfied)


def _rating_figures(n: int | None, total: Any, satisfied: int | None) -> dict[str, Figure]:
    """CSAT and the share satisfied from the rating sums (direct or the rollup's)."""
    n = int(n or 0)
    return {
        "csat": Figure(
            float(total) / n if n else None, None if total is None else float(total), n
        ),  # fmt: skip
        "satisfaction_rate": Figure(share(satisfied, n), float(satisfied or 0) if n else None, n),
    }


def _complaint_where(period: Period, f: Filters) -> list[ColumnElement[bool]]:
    start, end = period.bounds()
    c = [Complaint.received_at >= start, Complaint.received_at < end]
    c += _customer_in(Complaint.customer_id, f, ranged=True)
    if f.engineer_id is not None:
        c.append(Complaint.engineer_id == f.engineer_id)
    if f.product_model is not None:
        c.append(Complaint.model_id.in_(_model_ids(f.product_model)))
    ticket_where = []
    if f.service_type is not None:
        ticket_where.append(Ticket.service_type == f.service_type)
    if f.channel is not None:
        ticket_where.append(Ticket.channel == f.channel)
    if ticket_where:  # each complaint's own ticket (a seek), not every such ticket of all time
        c.append(exists().where(Ticket.id == Complaint.ticket_id, *ticket_where))
    return c


def _complaint_figures(
    session: Session, period: Period, f: Filters, tickets: int
) -> dict[str, Figure]:
    n, confirmed, satisfied = session.execute(
        select(
            func.count(Complaint.id),
            func.sum(case((Complaint.satisfied.is_not(None), 1), else_=0)),
            func.sum(case((Complaint.satisfied.is_(True), 1), else_=0)),
        ).where(*_complaint_where(period, f))
    ).one()
    n, confirmed = int(n or 0), int(confirmed or 0)
    return {
        "complaint_rate": Figure(share(n, tickets), n if tickets else None, tickets),
        "complaint_satisfaction": Figure(
            share(satisfied, confirmed), float(satisfied or 0) if confirmed else None, confirmed
        ),
    }


_VISIT_FILTERS = {"region", "customer_grade", "engineer_id", "product_model"}


def _visit_where(period: Period, f: Filters) -> list[ColumnElement[bool]]:
    v = MaintenanceVisit
    c = [v.due_date >= period.start, v.due_date <= period.end, counts_as_due()]
    plans = _customer_in(MaintenancePlan.customer_id, f)
    if f.product_model is not None:
        plans.append(MaintenancePlan.device_id.in_(
            select(Device.id).where(Device.model_id.in_(_model_ids(f.product_model)))))  # fmt: skip
    if plans:
        c.append(v.plan_id.in_(select(MaintenancePlan.id).where(*plans)))
    if f.engineer_id is not None:
        c.append(v.engineer_id == f.engineer_id)
    return c


def _visit_on_time() -> ColumnElement[bool]:
    return done_in_window()  # the one completion rule (rules.maintenance), in SQL


def _maintenance_figures(session: Session, period: Period, f: Filters) -> dict[str, Figure]:
    if f.given() - _VISIT_FILTERS:
        return {"maintenance_completion": Figure(None, None, None)}
    due, on_time = session.execute(
        select(func.count(MaintenanceVisit.id), func.sum(case((_visit_on_time(), 1), else_=0)))
        .where(*_visit_where(period, f))
    ).one()  # fmt: skip
    due = int(due or 0)
    return {
        "maintenance_completion": Figure(
            share(on_time, due), float(on_time or 0) if due else None, due
        )  # fmt: skip
    }


def _training_figures(session: Session, f: Filters) -> dict[str, Figure]:
    from data_access.training import customer_coverage

    if f.given() - {"region", "customer_grade"}:
        return {"training_coverage": Figure(None, None, None)}
    customers, trained = customer_coverage(session, f.region, f.customer_grade)
    return {
        "training_coverage": Figure(
            share(trained, customers), trained if customers else None, customers
        )  # fmt: skip
    }


def _key_part_lines(session: Session, period: Period, f: Filters):
    """Key-part lines on the period's tickets, with whether each was issued from stock
    within 72 h of being requested (the issue's requested_at, else the ticket's receipt)."""
    within = key_part_within(session)
    stmt = (
        select(TicketPart.id, within.label("counted"))
        .select_from(TicketPart)
        .join(Part, Part.id == TicketPart.part_id)
        .join(Ticket, Ticket.id == TicketPart.ticket_id)
        .outerjoin(StockMovement, StockMovement.id == TicketPart.movement_id)
        .where(Part.is_key.is_(True), *_tickets_in(period), *_ticket_where(f, ranged=True))
    )
    return stmt, within


def _parts_figures(session: Session, period: Period, f: Filters) -> dict[str, Figure]:
    stmt, within = _key_part_lines(session, period, f)
    sub = stmt.subquery()
    n, ok = session.execute(
        select(func.count(sub.c.id), func.sum(case((sub.c.counted, 1), else_=0)))
    ).one()
    return _key_parts_figure(n, ok)


def _key_parts_figure(n: int | None, ok: int | None) -> dict[str, Figure]:
    """The key-parts figure from its line counts (direct or the rollup's)."""
    n = int(n or 0)
    return {"key_parts_72h": Figure(share(ok, n), float(ok or 0) if n else None, n)}


def _installed_devices(period: Period, f: Filters):
    c = [Device.install_date.is_not(None), Device.install_date <= period.end]
    c += _customer_in(Device.customer_id, f)
    if f.product_model is not None:
        c.append(Device.model_id.in_(_model_ids(f.product_model)))
    return c


def _device_figures(
    session: Session, period: Period, f: Filters, repairs: int | None = None
) -> dict[str, Figure]:
    """``repairs``: the period's repair tickets when already known (the rollup)."""
    if f.given() - {"region", "customer_grade", "product_model"}:
        return {"failure_rate": Figure(None, None, None)}
    devices = session.scalar(select(func.count(Device.id)).where(*_installed_devices(period, f)))
    repairs = repairs if repairs is not None else session.scalar(
        select(func.count(Ticket.id)).where(
            *_tickets_in(period), *_ticket_where(f, ranged=True),
            Ticket.service_type == K.FAILURE_SERVICE_TYPE,
            Ticket.device_id.is_not(None),
        )
    )  # fmt: skip
    devices, repairs = int(devices or 0), int(repairs or 0)
    value = K.annualised_share(repairs, devices, period.days)
    return {"failure_rate": Figure(value, repairs if devices else None, devices)}


def _rolled(session: Session, period: Period, f: Filters, group: str | None = None,
            by_day: bool = False) -> dict | None:  # fmt: skip
    """The rollup's sums (data_access.dashboard_rollup), or None: compute directly."""
    return R.sums(session, period, f, group, by_day)


def _empty_sums() -> Any:
    return R.as_direct(R.Sums())


def _overdue(session: Session, period: Period, f: Filters, now: dt.datetime) -> int | None:
    n = session.scalar(
        select(func.count(Ticket.id)).where(
            sla_state_is(SlaState.OVERDUE, now),
            *_tickets_in(period),
            *_ticket_where(f, ranged=True),
        )
    )
    return n


def _compute(
    session: Session, keys: set[str], period: Period, f: Filters, now: dt.datetime,
    previous: bool = False,
) -> dict[str, Figure]:  # fmt: skip
    """The figures of ``keys``; the ticket, report and repair counts from the rollup when
    it can answer. ``previous``: only the values a previous period shows (no training
    coverage, which has no period)."""
    topics = {K.KPI_BY_KEY[k].topic for k in keys}
    out: dict[str, Figure] = {}
    repeat_days = ftf_repeat_days(session)
    got = _rolled(session, period, f)
    roll = None if got is None else got.get(None) or _empty_sums()
    if roll is not None:
        received = roll.rows
        measures = ticket_measures(session, now, repeat_days)
        for k, m in measures.items():
            if k == "tickets_overdue":
                n = int(_overdue(session, period, f, now) or 0)
                out[k] = Figure(n if received else None, n if received else None, None)
            else:
                out[k] = _figure(m, roll, k, received)
    else:
        tickets, received = _ticket_figures(session, period, f, now, repeat_days)
        out.update(tickets)
    if topics & {"quality"}:
        if roll is not None:
            out.update({k: _figure(m, roll, k, roll.reports)
                        for k, m in report_measures().items()})  # fmt: skip
        else:
            out.update(_report_figures(session, period, f))
    if "satisfaction" in topics:
        if roll is not None:
            out.update(_rating_figures(roll.ratings, roll.rating_score, roll.ratings_satisfied))
        else:
            out.update(_satisfaction_figures(session, period, f))
    if "complaints" in topics:
        out.update(_complaint_figures(session, period, f, received))
    if "maintenance" in topics:
        out.update(_maintenance_figures(session, period, f))
    if "training" in topics and not previous:
        out.update(_training_figures(session, f))
    if "parts" in topics:
        if roll is not None:
            out.update(_key_parts_figure(roll.key_parts_72h__d, roll.key_parts_72h__n))
        else:
            out.update(_parts_figures(session, period, f))
    if "devices" in topics:
        repairs = None if roll is None else roll.failure_repairs
        out.update(_device_figures(session, period, f, repairs))
    return {k: v for k, v in out.items() if k in keys}


def figures(
    session: Session, actor: Acting, period: Period, filters: Filters, now: dt.datetime
) -> dict[str, Figure]:
    """Every KPI ``actor`` sees over ``period``, with the previous period's value."""
    _check(period)
    kpis, filters = _scope(actor, filters)
    keys = {k.key for k in kpis}
    current = _compute(session, keys, period, filters, now)
    before = _compute(session, keys, period.previous(), filters, now, previous=True)
    out = {}
    for kpi in kpis:
        fig = current[kpi.key]
        previous = None if kpi.topic == "training" else before[kpi.key].value
        out[kpi.key] = replace(fig, previous=previous)
    return out


# ---------------------------------------------------------------- the 85% rule
def review_due(session: Session, period: Period, now: dt.datetime) -> dict | None:
    """When the period's satisfaction rate is below the threshold (setting
    ``followups.review_below_pct``, default 85 %): the rate, the threshold and the
    satisfaction review record (found, or opened: call inside a write transaction)."""
    from data_access.followups import review_for_period, threshold
    from rules.followups import needs_review

    _check(period)
    got = _rolled(session, period, Filters())
    if got is not None:  # the rate from the rollup: no review due, no list of scores read
        sums = got.get(None)
        rate = share(sums.ratings_satisfied, sums.ratings) if sums else None
        limit = threshold(session)
        if not needs_review(rate, limit):
            return None
        found = session.scalars(  # opened before: as review_for_period finds it
            select(SatisfactionReview).where(SatisfactionReview.period_start == period.start)
        ).first()
        if found is not None:
            return {"rate": rate, "threshold": limit, "review_id": found.id,
                    "link": f"review={found.id}"}  # fmt: skip
    review, rate, limit = review_for_period(session, period.start, period.end, now=now)
    if review is None:
        return None
    return {"rate": rate, "threshold": limit, "review_id": review.id,
            "link": f"review={review.id}"}  # fmt: skip
