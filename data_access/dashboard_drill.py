"""The rows behind a dashboard figure (the drill), from the same measures as the figure.
Callers use :mod:`data_access.dashboard`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    select,
    true,
)
from sqlalchemy.orm import Session

from data_access.dashboard_figures import (
    _VISIT_FILTERS,
    _complaint_where,
    _key_part_lines,
    _visit_on_time,
    _visit_where,
    latest_ratings,
)
from data_access.dashboard_measures import (
    DrillPage,
    Filters,
    Measure,
    Period,
    _check,
    _customers_where,
    _require_kpi,
    _scope,
    _ticket_where,
    _tickets_in,
    ftf_repeat_days,
    key_part_requested,
    report_measures,
    ticket_measures,
)
from data_access.errors import InvalidInput
from data_access.models import (
    Complaint,
    Customer,
    FollowUpRating,
    MaintenanceVisit,
    ServiceReport,
    StockMovement,
    Ticket,
    TicketPart,
    User,
)
from rules import dashboard as K
from rules.access import Acting
from rules.fields import Problem

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
