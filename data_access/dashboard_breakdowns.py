"""The dashboard's breakdowns (a KPI per dimension), trends (per day, week or month)
and the engineers' table. Callers use :mod:`data_access.dashboard`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from data_access import dashboard_rollup as R
from data_access.dashboard_figures import _figure, _rolled, latest_ratings
from data_access.dashboard_measures import (
    Filters,
    Measure,
    Period,
    _aggregate,
    _as_date,
    _bucket,
    _check,
    _scope,
    _ticket_where,
    _tickets_in,
    ftf_repeat_days,
    rating_sums,
    ticket_measures,
)
from data_access.errors import InvalidInput
from data_access.models import (
    Customer,
    Device,
    FollowUpRating,
    ProductModel,
    ServiceReport,
    Ticket,
    User,
)
from rules import dashboard as K
from rules.access import Acting
from rules.dashboard import share
from rules.fields import Problem


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
