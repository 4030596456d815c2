"""KPI figures of the dashboard, computed in SQL over stored columns (never by replaying
ticket histories, never by loading tickets into pandas).

Each KPI of :data:`rules.dashboard.KPIS` is a *measure* here: the rows of its
denominator (``base``), those of its numerator (``counted``) or the value it averages.
The same measure gives the figure (one aggregate per domain), the breakdowns and the
rows behind it (the drill), so a card and its drill cannot disagree.

Periods are inclusive dates; tickets belong to the period they were received in,
ratings to the period they were given in (as the follow-ups page counts them),
complaints to the period received, maintenance visits to the period they were due.
A filter a domain cannot honour (e.g. a channel for maintenance visits) leaves that
KPI without a value (None) rather than an unfiltered figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from data_access import dashboard_rollup as R
from data_access.dashboard_measures import (
    DrillPage,
    Filters,
    Measure,
    Period,
    _aggregate,
    _as_date,
    _bucket,
    _check,
    _customer_in,
    _customers_where,
    _model_ids,
    _require_kpi,
    _scope,
    _ticket_where,
    _tickets_in,
    ftf_repeat_days,
    key_part_requested,
    key_part_within,
    rating_sums,
    report_measures,
    targets,
    ticket_measures,
)
from data_access.errors import InvalidInput
from data_access.maintenance_register import counts_as_due, done_in_window
from data_access.models import (
    Complaint,
    Customer,
    Device,
    FollowUpRating,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    ProductModel,
    SatisfactionReview,
    ServiceReport,
    StockMovement,
    Ticket,
    TicketPart,
    User,
)
from data_access.ticket_queries import sla_state_is
from rules import dashboard as K
from rules.access import Acting
from rules.dashboard import Figure, share
from rules.fields import Problem
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


# ---------------------------------------------------------------- breakdowns and trend
def _dimension(dimension: str) -> tuple[ColumnElement, ColumnElement | None, list]:
    """(grouping column, label column, joins) of a breakdown dimension."""
    match dimension:
        case "region":
            return Customer.region, None, [(Customer, Customer.id == Ticket.customer_id)]
        case "customer_grade":
            return Customer.grade, None, [(Customer, Customer.id == Ticket.customer_id)]
        case "engineer":
            return Ticket.engineer_id, User.display_name, [(User, User.id == Ticket.engineer_id)]
        case "product_model":
            return (
                ProductModel.code,
                ProductModel.name,
                [
                    (Device, Device.id == Ticket.device_id),
                    (ProductModel, ProductModel.id == Device.model_id),
                ],
            )
        case "service_type":
            return Ticket.service_type, None, []
        case "channel":
            return Ticket.channel, None, []
    raise InvalidInput([Problem("dimension", "dashboard.err.unknown_dimension",
                                  {"dimension": dimension})])  # fmt: skip


_GROUP_KPIS = ("first_response_min", "resolution_h", "response_compliance", "on_time_repair",
               "first_time_fix")  # fmt: skip


def _grouped(
    session: Session, period: Period, f: Filters, now: dt.datetime, group: ColumnElement,
    label: ColumnElement | None, joins: list,
) -> dict[Any, dict[str, Any]]:  # fmt: skip
    measures = ticket_measures(session, now, ftf_repeat_days(session))
    chosen = {k: measures[k] for k in _GROUP_KPIS}
    cols = [group.label("g"), func.count(Ticket.id).label("rows"), *_aggregate(chosen)]
    if label is not None:
        cols.append(func.max(label).label("lbl"))
    stmt = select(*cols).select_from(Ticket)
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    stmt = stmt.where(*_tickets_in(period), *_ticket_where(f, ranged=True)).group_by(group)
    out = {}
    for row in session.execute(stmt):
        item = {"key": row.g, "label": row.lbl if label is not None else None,
                "tickets": int(row.rows)}  # fmt: skip
        for k, m in chosen.items():
            item[k] = _figure(m, row, k, row.rows).value
        out[row.g] = item
    return out


def _grouped_csat(
    session: Session, period: Period, f: Filters, group: ColumnElement, joins: list
) -> dict[Any, float | None]:
    r = FollowUpRating
    last = latest_ratings(period, f)
    sums = rating_sums()
    stmt = (
        select(group.label("g"), sums["ratings"], sums["rating_score"])
        .select_from(r)
        .join(last, last.c.id == r.id)
        .join(Ticket, Ticket.id == r.ticket_id)
    )
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    return {g: K.mean(total, n) for g, n, total in session.execute(stmt.group_by(group))}


def _group_item(measures: dict[str, Measure], key: Any, label: Any, sums: Any) -> dict:
    item = {"key": key, "label": label, "tickets": int(sums.rows), "hours": sums.labour_hours,
            "csat": K.mean(sums.get("rating_score"), sums.get("ratings"))}  # fmt: skip
    for k in _GROUP_KPIS:
        item[k] = _figure(measures[k], sums, k, sums.rows).value
    return item


def _rolled_groups(
    session: Session, period: Period, f: Filters, now: dt.datetime, dimension: str
) -> dict[Any, dict[str, Any]] | None:
    """:func:`_grouped` from the rollup (None: it cannot answer). Keys and labels as
    the direct query gives them: engineer ids, product model codes and names."""
    got = _rolled(session, period, f, dimension)
    if got is None:
        return None
    ms = ticket_measures(session, now, ftf_repeat_days(session))
    if dimension == "engineer":
        ids = [int(k) for k in got if k is not None]
        names = dict(
            session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
        )
        return {(None if k is None else int(k)): _group_item(
            ms, None if k is None else int(k),
            None if k is None else names.get(int(k)), v) for k, v in got.items()}  # fmt: skip
    if dimension == "product_model":
        ids = [int(k) for k in got if k is not None]
        models = {str(i): (c, n) for i, c, n in session.execute(
            select(ProductModel.id, ProductModel.code, ProductModel.name)
            .where(ProductModel.id.in_(ids)))}  # fmt: skip
        from data_access.dashboard_rollup import Sums, _add

        merged: dict[Any, Any] = {}
        labels: dict[Any, Any] = {}
        for k, v in got.items():
            code, name = models.get(k, (None, None)) if k is not None else (None, None)
            _add(merged.setdefault(code, Sums()), v)
            if name is not None and (labels.get(code) is None or name > labels[code]):
                labels[code] = name  # max(name), as the direct query
        for v in merged.values():
            R.as_direct(v)
        return {c: _group_item(ms, c, labels.get(c), v) for c, v in merged.items()}
    return {k: _group_item(ms, k, None, v) for k, v in got.items()}


def breakdown(
    session: Session, actor: Acting, period: Period, filters: Filters, dimension: str,
    now: dt.datetime | None = None,
) -> list[dict]:  # fmt: skip
    """One dict per group: key, label, tickets, share (%), response_min, resolution_h
    (business), response_compliance, on_time_repair, first_time_fix, csat."""
    return _breakdown(session, actor, period, filters, dimension, now)[0]


def _breakdown(
    session: Session, actor: Acting, period: Period, filters: Filters, dimension: str,
    now: dt.datetime | None,
) -> tuple[list[dict], dict[Any, Any] | None]:  # fmt: skip
    """:func:`breakdown`'s rows and, when the rollup answered, the labour hours per group
    (None: not read)."""
    _check(period)
    _, filters = _scope(actor, filters)
    group, label, joins = _dimension(dimension)
    now = now or dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    groups = _rolled_groups(session, period, filters, now, dimension)
    hours = None
    if groups is None:
        groups = _grouped(session, period, filters, now, group, label, joins)
        csat = _grouped_csat(session, period, filters, group, joins)
    else:  # a group rated in the period but with no ticket received in it is not shown
        csat = {k: g["csat"] for k, g in groups.items()}
        hours = {k: g["hours"] for k, g in groups.items()}
        groups = {k: g for k, g in groups.items() if g["tickets"]}
    total = sum(g["tickets"] for g in groups.values())
    out = []
    for key, g in groups.items():
        out.append({
            "key": key, "label": g["label"], "tickets": g["tickets"],
            "share": share(g["tickets"], total),
            "response_min": g["first_response_min"], "resolution_h": g["resolution_h"],
            "response_compliance": g["response_compliance"],
            "on_time_repair": g["on_time_repair"], "first_time_fix": g["first_time_fix"],
            "csat": csat.get(key),
        })  # fmt: skip
    out.sort(key=lambda d: (-d["tickets"], str(d["key"])))
    return out, hours


def trend(
    session: Session, actor: Acting, period: Period, filters: Filters, grain: str,
    now: dt.datetime | None = None,
) -> list[dict]:  # fmt: skip
    """Per week (Monday) or month (1st): tickets, first_response_min, resolution_h,
    response_compliance, on_time_repair, first_time_fix, csat, satisfaction_rate."""
    _check(period)
    _, filters = _scope(actor, filters)
    if grain not in K.GRAINS:
        raise InvalidInput([Problem("grain", "dashboard.err.unknown_grain", {"grain": grain})])
    now = now or dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
    days = _rolled(session, period, filters, by_day=True)
    if days is not None:
        from data_access.dashboard_rollup import Sums, _add

        per: dict[dt.date, Any] = {}
        for day, v in days.items():
            b = day - dt.timedelta(days=day.weekday()) if grain == "week" else day.replace(day=1)
            _add(per.setdefault(b, Sums()), v)
        for v in per.values():
            R.as_direct(v)
        ms = ticket_measures(session, now, ftf_repeat_days(session))
        groups = {b: _group_item(ms, b, None, v) for b, v in per.items() if v.rows}
        ratings = {b: (v.ratings, v.rating_score, v.ratings_satisfied)
                   for b, v in per.items() if v.ratings}  # fmt: skip
    else:
        groups = _grouped(session, period, filters, now,
                          _bucket(session, Ticket.received_at, grain), None, [])  # fmt: skip
        ratings = _rating_buckets(session, period, filters, grain)
    buckets = sorted({_as_date(b) for b in groups} | set(ratings))
    by_day = {_as_date(b): g for b, g in groups.items()}
    out = []
    for b in buckets:
        g = by_day.get(b, {})
        n, total, ok = ratings.get(b, (0, None, 0))
        out.append({
            "bucket": b, "tickets": g.get("tickets", 0),
            "first_response_min": g.get("first_response_min"),
            "resolution_h": g.get("resolution_h"),
            "response_compliance": g.get("response_compliance"),
            "on_time_repair": g.get("on_time_repair"), "first_time_fix": g.get("first_time_fix"),
            "csat": float(total) / n if n else None, "satisfaction_rate": share(ok, n),
        })  # fmt: skip
    return out


def _rating_buckets(session: Session, period: Period, f: Filters, grain: str) -> dict:
    r = FollowUpRating
    last = latest_ratings(period, f)
    bucket = _bucket(session, r.rated_at, grain)
    sums = rating_sums().values()
    return {
        _as_date(b): (n, total, ok)
        for b, n, total, ok in session.execute(
            select(bucket, *sums).join(last, last.c.id == r.id).group_by(bucket)
        )
    }


def engineers(
    session: Session, actor: Acting, period: Period, filters: Filters,
    now: dt.datetime | None = None,
) -> list[dict]:  # fmt: skip
    """Per engineer: tickets, on_time_repair, first_time_fix, csat, hours (labour hours of
    the service reports of the period's tickets)."""
    rows, hours = _breakdown(session, actor, period, filters, "engineer", now)
    _, filters = _scope(actor, filters)
    hours = (
        hours  # the breakdown's rollup sums hold them
        if hours is not None
        else dict(
            session.execute(
                select(Ticket.engineer_id, func.sum(ServiceReport.labour_hours))
                .join(ServiceReport, ServiceReport.ticket_id == Ticket.id)
                .where(*_tickets_in(period), *_ticket_where(filters, ranged=True))
                .group_by(Ticket.engineer_id)
            ).all()
        )
    )
    return [
        {"engineer_id": r["key"], "engineer": r["label"], "tickets": r["tickets"],
         "on_time_repair": r["on_time_repair"], "first_time_fix": r["first_time_fix"],
         "csat": r["csat"],
         "hours": None if hours.get(r["key"]) is None else float(hours[r["key"]])}
        for r in rows
    ]  # fmt: skip


# ---------------------------------------------------------------- drill
TICKET_COLUMNS = ("ticket_no", "received_at", "status", "priority", "customer", "engineer",
                  "response_min", "resolution_h", "counted")  # fmt: skip


def _drill_stmt(
    session: Session, kpi: K.Kpi, period: Period, f: Filters, now: dt.datetime
) -> tuple[Any, Any, tuple[str, ...]] | None:
    """(statement selecting the rows behind ``kpi`` with ``counted``, its key column,
    columns) or None when the KPI has no rows under these filters."""
    key = kpi.key
    if kpi.drill == "tickets":
        measures = {**ticket_measures(session, now, ftf_repeat_days(session)), **report_measures()}
        if key == "failure_rate":
            m = Measure("count", and_(Ticket.service_type == K.FAILURE_SERVICE_TYPE,
                                      Ticket.device_id.is_not(None)))  # fmt: skip
        else:
            m = measures[key]
        counted = m.counted if m.kind == "ratio" else true()
        stmt = (
            select(
                Ticket.id.label("id"), Ticket.ticket_no, Ticket.received_at, Ticket.status,
                Ticket.priority, Customer.name.label("customer"),
                User.display_name.label("engineer"),
                (Ticket.response_business_s / 60.0).label("response_min"),
                (Ticket.resolution_business_s / 3600.0).label("resolution_h"),
                case((counted, True), else_=False).label("counted"),
            )
            .select_from(Ticket)
            .join(Customer, Customer.id == Ticket.customer_id)
            .outerjoin(User, User.id == Ticket.engineer_id)
            .outerjoin(ServiceReport, ServiceReport.ticket_id == Ticket.id)
            .where(m.base, *_tickets_in(period), *_ticket_where(f, ranged=True))
        )  # fmt: skip
        return stmt, Ticket.id, TICKET_COLUMNS
    if kpi.drill == "followups":
        r = FollowUpRating
        last = latest_ratings(period, f)
        stmt = (
            select(r.id.label("id"), Ticket.ticket_no, r.rated_at, r.quality, r.attitude,
                   r.efficiency, cast(r.score, Float).label("score"),
                   case((r.score >= K.SATISFIED_AT, True), else_=False).label("counted"))
            .join(last, last.c.id == r.id)
            .join(Ticket, Ticket.id == r.ticket_id)
        )  # fmt: skip
        return stmt, r.id, ("ticket_no", "rated_at", "quality", "attitude", "efficiency",
                            "score", "counted")  # fmt: skip
    if kpi.drill == "complaints":
        c = Complaint
        counted = true() if key == "complaint_rate" else c.satisfied.is_(True)
        base = [] if key == "complaint_rate" else [c.satisfied.is_not(None)]
        stmt = select(
            c.id.label("id"), c.complaint_no, c.received_at, c.status, c.severity,
            Customer.name.label("customer"), c.satisfied,
            case((counted, True), else_=False).label("counted"),
        ).join(Customer, Customer.id == c.customer_id).where(*_complaint_where(period, f), *base)  # fmt: skip
        return stmt, c.id, ("complaint_no", "received_at", "status", "severity", "customer",
                            "satisfied", "counted")  # fmt: skip
    if kpi.drill == "visits":
        if f.given() - _VISIT_FILTERS:
            return None
        v = MaintenanceVisit
        stmt = select(
            v.id.label("id"), v.visit_no, v.due_date, v.done_at, v.status,
            User.display_name.label("engineer"),
            case((_visit_on_time(), True), else_=False).label("counted"),
        ).outerjoin(User, User.id == v.engineer_id).where(*_visit_where(period, f))  # fmt: skip
        return stmt, v.id, ("visit_no", "due_date", "done_at", "status", "engineer", "counted")
    if kpi.drill == "customers":
        from data_access.training import trained_exists

        if f.given() - {"region", "customer_grade"}:
            return None
        stmt = select(
            Customer.id.label("id"), Customer.code, Customer.name, Customer.region,
            Customer.grade, case((trained_exists(), True), else_=False).label("counted"),
        ).where(*_customers_where(f))  # fmt: skip
        return stmt, Customer.id, ("code", "name", "region", "grade", "counted")
    if kpi.drill == "part_lines":
        stmt, within = _key_part_lines(session, period, f)
        stmt = stmt.with_only_columns(
            TicketPart.id.label("id"), Ticket.ticket_no, TicketPart.line_no, TicketPart.part_no,
            TicketPart.qty, key_part_requested().label("requested_at"), StockMovement.at.label("issued_at"),
            case((within, True), else_=False).label("counted"),
        )  # fmt: skip
        return stmt, TicketPart.id, ("ticket_no", "line_no", "part_no", "qty", "requested_at",
                                     "issued_at", "counted")  # fmt: skip
    return None


def _drill_prepare(session, actor, key, period, filters, now):
    _check(period)
    kpi = _require_kpi(actor, key)
    _, filters = _scope(actor, filters)
    # "open" and "overdue" are as of now (the page passes its clock)
    now = now or dt.datetime.now().replace(microsecond=0)
    return kpi, _drill_stmt(session, kpi, period, filters, now)


def _row(r: Any, columns: tuple[str, ...]) -> dict:
    m = r._mapping
    out = {c: m[c] for c in columns}
    out["counted"] = bool(out.get("counted"))
    return out


def drill(
    session: Session, actor: Acting, key: str, period: Period, filters: Filters, *,
    after: str | None = None, limit: int = 100, now: dt.datetime | None = None,
) -> DrillPage:  # fmt: skip
    """The rows behind KPI ``key``, ``limit`` at a time in id order (keyset: ``after`` is
    the previous page's ``next_after``)."""
    kpi, built = _drill_prepare(session, actor, key, period, filters, now)
    if built is None:
        return DrillPage(("counted",), [], None)
    stmt, id_col, columns = built
    if after is not None:
        try:
            last = int(after)
        except ValueError:
            raise InvalidInput([Problem("after", "dashboard.err.cursor")]) from None
        stmt = stmt.where(id_col > last)
    rows = session.execute(stmt.order_by(id_col).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_after = str(rows[-1]._mapping["id"]) if more and rows else None
    return DrillPage(columns, [_row(r, columns) for r in rows], next_after)


def drill_rows(
    session: Session, actor: Acting, key: str, period: Period, filters: Filters,
    now: dt.datetime | None = None,
) -> Iterator[dict]:  # fmt: skip
    """Every row behind KPI ``key`` (for the export), streamed in id order."""
    kpi, built = _drill_prepare(session, actor, key, period, filters, now)
    if built is None:
        return
    stmt, id_col, columns = built
    for chunk in session.execute(
        stmt.order_by(id_col).execution_options(yield_per=2000)
    ).partitions():
        for r in chunk:
            yield _row(r, columns)


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


__all__ = [
    "DrillPage", "Filters", "Measure", "Period", "breakdown", "by_priority", "daily_volume",
    "drill", "drill_rows", "engineers", "figures", "kpis", "review_due", "status_counts",
    "targets", "trend",
]  # fmt: skip
