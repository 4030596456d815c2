"""Preventive maintenance: visit generation on a rolling horizon, the bulk shift, visit
completion, a ticket from a visit's failures, and the page's queries.

Who may do what (checked by the register hooks in :mod:`data_access.maintenance_register`,
for grid saves and imports alike): managers and admins change everything; an engineer
changes only the visits assigned to them (and their checklist results), never plans,
templates or packages. Every write goes through the
register write path (:func:`data_access.registers.save_changes`, :func:`save_lines`,
:func:`data_access.writes.Writer`); ``maintenance_plans.next_due`` is a derived cache
refreshed in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.orm import Session

from data_access import audit
from data_access.bulk import _chunks
from data_access.catalog import adapter
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.lines import list_lines, save_lines
from data_access.maintenance_register import MANAGERS, counts_as_due, done_in_window
from data_access.models import (
    ChecklistItem,
    Customer,
    Device,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    ProductModel,
    Ticket,
    User,
    VisitResultLine,
)
from data_access.parts import Line, issue_for_visit, visit_parts
from data_access.registers import save_changes
from data_access.settings import get_setting
from data_access.sla_config import load_calendar
from data_access.tickets import create_ticket
from data_access.writes import Writer
from rules import maintenance as mr
from rules.access import Acting, Page, Role, can_view
from rules.fields import Problem

CHUNK = 10_000
MY_VISITS_LIMIT = 30


def require_manager(actor: Acting, what: str) -> None:
    if actor.role not in MANAGERS:
        raise NotAllowed("edit", what)


# ---------------------------------------------------------------- generation
def holiday_shift(session: Session) -> mr.Shift:
    value = get_setting(session, mr.HOLIDAY_SHIFT_SETTING)
    return mr.Shift.PREVIOUS if value == mr.Shift.PREVIOUS else mr.Shift.NEXT


def _plans(session: Session, today: dt.date, plan_ids: Sequence[int] | None) -> list[Any]:
    p = MaintenancePlan
    query = select(
        p.id, p.plan_no, p.start_date, p.end_date, p.frequency, p.every_n, p.mode, p.kind,
        p.responsible_id,
    ).where(p.active.is_(True), (p.end_date.is_(None)) | (p.end_date >= today))  # fmt: skip
    if plan_ids is not None:
        query = query.where(p.id.in_(list(plan_ids)))
    return list(session.execute(query.order_by(p.id)))


def _visit_facts(session: Session, first: dt.date, plan_ids: Sequence[int] | None):
    """Per plan: schedule dates held from ``first`` on, whether one is open, and the
    last completion (or skipped / cancelled schedule date) for from-last plans."""
    v = MaintenanceVisit
    held: dict[int, set[dt.date]] = {}
    query = select(v.plan_id, v.planned_date).where(v.planned_date >= first)
    if plan_ids is not None:
        query = query.where(v.plan_id.in_(list(plan_ids)))
    for plan_id, planned in session.execute(query):
        held.setdefault(plan_id, set()).add(planned)
    query = select(
        v.plan_id,
        func.max(case((v.status.in_(list(mr.OPEN)), 1), else_=0)),
        func.max(case((v.status.in_(list(mr.FINISHED)), v.done_at), else_=None)),
        func.max(case((v.status.not_in(list(mr.OPEN | mr.FINISHED)), v.planned_date), else_=None)),
    ).group_by(v.plan_id)
    if plan_ids is not None:
        query = query.where(v.plan_id.in_(list(plan_ids)))
    state: dict[int, tuple[bool, dt.date | None]] = {}
    for plan_id, has_open, done_at, passed in session.execute(query):
        done = _as_date(done_at)
        last = max((d for d in (done, _as_date(passed)) if d is not None), default=None)
        state[plan_id] = (bool(has_open), last)
    return held, state


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite's max() of a text column


def generate_visits(
    session: Session,
    *,
    today: dt.date,
    actor: Acting,
    now: dt.datetime,
    months: int = mr.HORIZON_MONTHS,
    plan_ids: Sequence[int] | None = None,
) -> int:
    """Add the visits active plans are missing from today to ``months`` ahead; returns
    how many. Idempotent: a schedule date any visit of the plan holds (moved, skipped or
    cancelled included) is never generated again. The past is not back-filled."""
    require_manager(actor, "visits")
    calendar = load_calendar(session)
    direction = holiday_shift(session)
    last = mr.horizon_end(today, months)
    plans = _plans(session, today, plan_ids)
    held, state = _visit_facts(session, today, plan_ids)
    rows: list[dict[str, Any]] = []
    for p in plans:
        try:
            schedule = mr.Schedule(p.start_date, p.frequency, p.every_n, p.end_date, p.mode)
            has_open, last_done = state.get(p.id, (False, None))
            wanted = mr.due_dates(
                schedule, calendar, first=max(today, p.start_date), last=last,
                direction=direction, last_done=last_done, has_open=has_open,
            )  # fmt: skip
        except ValueError:  # a period of 0 in an old row: nothing to lay out
            continue
        for due in mr.new_visits(wanted, held.get(p.id, set())):
            rows.append({
                "visit_no": mr.visit_no(p.plan_no, due.planned), "plan_id": p.id,
                "kind": p.kind, "planned_date": due.planned, "due_date": due.due,
                "status": mr.VisitStatus.PLANNED.value, "engineer_id": p.responsible_id,
                "skip_approved": False, "backup_done": False,
            })  # fmt: skip
    writer = Writer(session, adapter("visits"), now=now, user_id=actor.id, audit_rows=False)
    writer.after = False  # the actor was checked above; the ownership hook adds nothing
    for part in _chunks(rows, CHUNK):
        writer.apply(inserts=part)
    if rows:
        audit.record(
            session, entity="visits", action="generate", now=now, user_id=actor.id,
            key=f"{today}..{last}", changes={"added": len(rows)},
        )  # fmt: skip
        refresh_next_due(session, sorted({r["plan_id"] for r in rows}))
    return len(rows)


def refresh_next_due(session: Session, plan_ids: Sequence[int]) -> None:
    """The plans' next due date: their earliest open visit (a derived cache)."""
    v, p = MaintenanceVisit.__table__, MaintenancePlan.__table__
    first_open = (
        select(func.min(v.c.due_date))
        .where(v.c.plan_id == p.c.id, v.c.status.in_(list(mr.OPEN)))
        .scalar_subquery()
    )
    for part in _chunks(list(plan_ids)):
        session.execute(update(p).where(p.c.id.in_(part)).values(next_due=first_open))


# ---------------------------------------------------------------- commands
def _visit(session: Session, visit_no: str) -> MaintenanceVisit:
    found = session.scalars(
        select(MaintenanceVisit).where(MaintenanceVisit.visit_no == visit_no)
    ).first()
    if found is None:
        raise InvalidInput([Problem("visit_no", "maint.err.not_found", {"value": visit_no})])
    return found


def _save(session: Session, register: str, updates: list[dict], actor: Acting, now) -> None:
    result = save_changes(
        session, register, inserts=[], updates=updates, deletes=[], actor=actor, now=now
    )
    if result.problems:
        raise InvalidInput(result.problems)


def shift_open_visits(
    session: Session,
    customer_code: str,
    first: dt.date,
    last: dt.date,
    days: int,
    *,
    actor: Acting,
    now: dt.datetime,
) -> int:
    """Move every open visit of the customer due in [first, last] by ``days`` (onto a
    working day: forwards for a positive shift, backwards otherwise). Other visits and
    the schedule stay as they are. Returns how many moved."""
    require_manager(actor, "visits")
    problems = []
    if days == 0:
        problems.append(Problem("days", "maint.err.shift_days"))
    if last < first:
        problems.append(Problem("last", "err.date_order", {"later": "last", "earlier": "first"}))
    customer_id = session.execute(
        select(Customer.id).where(Customer.code == customer_code)
    ).scalar()
    if customer_id is None:
        problems.append(Problem("customer", "err.unknown_ref", {"value": customer_code}))
    if problems:
        raise InvalidInput(problems)
    calendar = load_calendar(session)
    direction = mr.Shift.NEXT if days > 0 else mr.Shift.PREVIOUS
    v, p = MaintenanceVisit, MaintenancePlan
    found = session.execute(
        select(v.id, v.version, v.due_date, v.plan_id)
        .join(p, p.id == v.plan_id)
        .where(
            p.customer_id == customer_id,
            v.status.in_(list(mr.OPEN)),
            v.due_date >= first,
            v.due_date <= last,
        )
        .order_by(v.id)
    ).all()
    updates = [
        {
            "id": r.id,
            "version": r.version,
            "due_date": mr.shift_to_working_day(
                calendar, r.due_date + dt.timedelta(days=days), direction
            ),
        }
        for r in found
    ]
    if updates:
        _save(session, "visits", updates, actor, now)
        refresh_next_due(session, sorted({r.plan_id for r in found}))
    return len(updates)


def checklist_for(session: Session, visit_no: str) -> list[dict[str, Any]]:
    """The visit's result lines, or, before any is saved, its package's template as
    new lines (no id) for the engineer to fill in."""
    stored = list_lines(session, "visit_results", visit_no)
    if stored:
        return stored
    c = ChecklistItem
    query = (
        select(c.seq, c.item, c.standard, c.result_kind, c.lower, c.upper, c.unit)
        .join(MaintenancePlan, MaintenancePlan.package_id == c.package_id)
        .join(MaintenanceVisit, MaintenanceVisit.plan_id == MaintenancePlan.id)
        .where(MaintenanceVisit.visit_no == visit_no)
        .order_by(c.seq)
    )
    return [
        {"line_no": r.seq, "item": r.item, "standard": r.standard, "result_kind": r.result_kind,
         "lower": r.lower, "upper": r.upper, "unit": r.unit, "measured": None,
         "observation": None, "passed": None, "note": None}
        for r in session.execute(query)
    ]  # fmt: skip


def complete_visit(
    session: Session,
    visit_no: str,
    values: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]] | None,
    *,
    actor: Acting,
    now: dt.datetime,
    parts: Sequence[Line] = (),
) -> str | None:
    """Record a visit's outcome (status, times, findings, acceptance, upgrade facts …,
    by field name) and its checklist results in one write: every problem of either is
    raised together as :class:`InvalidInput` and nothing is written. ``results`` are the
    visit's lines as they should be (:func:`checklist_for` gives them to fill in);
    None leaves the stored lines as they are. ``parts`` used on the visit leave the
    engineer's van stock in the same write (:func:`data_access.parts.issue_for_visit`,
    dated when the visit was done); returns that issue's document number."""
    visit = _visit(session, visit_no)
    if actor.role not in MANAGERS and visit.engineer_id != actor.id:
        raise NotAllowed("edit", visit_no)
    header = save_changes(
        session, "visits", inserts=[],
        updates=[{"id": visit.id, "version": visit.version, **values}], deletes=[],
        actor=actor, now=now,
    )  # fmt: skip
    problems = list(header.problems)
    if results is not None:
        lines = save_lines(session, "visit_results", visit_no, list(results), actor=actor, now=now)
        problems.extend(lines.problems)
    if problems:
        raise InvalidInput(problems)
    refresh_next_due(session, [visit.plan_id])
    if not parts:
        return None
    done_at = session.execute(
        select(MaintenanceVisit.done_at).where(MaintenanceVisit.id == visit.id)
    ).scalar()
    return issue_for_visit(
        session, visit.id, visit_no, visit.engineer_id, parts,
        at=done_at or now, now=now, user_id=actor.id,
    )  # fmt: skip


def open_ticket_for_visit(
    session: Session, visit_no: str, *, actor: Acting, now: dt.datetime
) -> str:
    """One step from a visit's failed items and findings to a ticket linked to it;
    a visit already linked gives its ticket."""
    visit = _visit(session, visit_no)
    if actor.role not in MANAGERS and visit.engineer_id != actor.id:
        raise NotAllowed("edit", visit_no)
    if visit.ticket_id is not None:
        return session.execute(
            select(Ticket.ticket_no).where(Ticket.id == visit.ticket_id)
        ).scalar_one()
    failed = session.execute(
        select(VisitResultLine.item, VisitResultLine.note)
        .where(VisitResultLine.visit_id == visit.id, VisitResultLine.passed.is_(False))
        .order_by(VisitResultLine.line_no)
    ).all()
    what = [f"{item}（{note}）" if note else item for item, note in failed]
    if visit.findings:
        what.append(visit.findings)
    if not what:
        raise Refused("maint.err.nothing_failed", value=visit_no)
    plan = session.get(MaintenancePlan, visit.plan_id)
    assert plan is not None
    ticket = create_ticket(
        session, customer_id=plan.customer_id, channel="onsite", priority="standard",
        fault_description=f"定期保养 {visit_no} 发现问题：" + "；".join(what),
        received_at=now, actor=actor, now=now, device_id=plan.device_id,
        service_type="maintenance",
    )  # fmt: skip
    version = session.execute(
        select(MaintenanceVisit.version).where(MaintenanceVisit.id == visit.id)
    ).scalar_one()
    _save(
        session,
        "visits",
        [{"id": visit.id, "version": version, "ticket": ticket.ticket_no}],
        actor,
        now,
    )
    return ticket.ticket_no


# ---------------------------------------------------------------- queries
def _visit_rows(session: Session, *where: ColumnElement[bool]):
    v, p = MaintenanceVisit, MaintenancePlan
    return (
        select(
            v.id,
            v.version,
            v.visit_no,
            v.kind,
            v.due_date,
            v.status,
            v.done_at,
            v.engineer_id,
            p.name.label("plan"),
            p.window_days,
            Customer.name.label("customer"),
            Customer.region,
            User.display_name.label("engineer"),
        )  # fmt: skip
        .join(p, p.id == v.plan_id)
        .join(Customer, Customer.id == p.customer_id)
        .outerjoin(User, User.id == v.engineer_id)
        .where(*where)
    )


def visit_card(session: Session, visit_no: str, today: dt.date) -> dict[str, Any] | None:
    """One visit as the list rows show it, with its saved result lines: what a link
    ``?visit=<no>`` opens. None when there is no such visit."""
    v = MaintenanceVisit
    found = session.execute(_visit_rows(session, v.visit_no == visit_no)).first()
    if found is None:
        return None
    row = dict(found._mapping)
    row["overdue"] = mr.is_overdue(row["status"], row["due_date"], today)
    row["days_overdue"] = max(0, mr.days_overdue(row["due_date"], today))
    row["results"] = list_lines(session, "visit_results", visit_no)
    row["parts"] = visit_parts(session, row["id"])
    return row


def visit_record(session: Session, visit_no: str, *, actor: Acting) -> dict[str, Any]:
    """A visit with its plan, customer, device, engineer and checklist result lines, for
    the printed record; whoever may open the maintenance page may read it."""
    if not can_view(actor.role, Page.MAINTENANCE):
        raise NotAllowed("view", visit_no)
    visit = _visit(session, visit_no)
    plan = session.get(MaintenancePlan, visit.plan_id)
    assert plan is not None
    row = {col.key: getattr(visit, col.key) for col in MaintenanceVisit.__mapper__.column_attrs}
    customer = session.get(Customer, plan.customer_id) if plan.customer_id else None
    device = session.get(Device, plan.device_id) if plan.device_id else None
    model = session.get(ProductModel, device.model_id) if device and device.model_id else None
    names = dict(
        session.execute(
            select(User.id, User.display_name).where(
                User.id.in_([visit.engineer_id, visit.skipped_by_id])
            )
        ).all()
    )
    row.update(
        plan_no=plan.plan_no, plan=plan.name, customer=customer.name if customer else None,
        customer_code=customer.code if customer else None,
        address=customer.address if customer else None,
        serial_no=device.serial_no if device else None,
        location=device.location if device else None,
        model=f"{model.code} {model.name}" if model else None,
        engineer=names.get(visit.engineer_id), results=list_lines(session, "visit_results", visit_no),
        parts=visit_parts(session, visit.id),
    )  # fmt: skip
    return row


def my_visits(
    session: Session, engineer_id: int, today: dt.date, limit: int = MY_VISITS_LIMIT
) -> list[dict[str, Any]]:
    """An engineer's open visits due by the end of this week, overdue first (oldest
    first), then by due date: in due-date order the overdue ones come first. At most
    ``limit`` (a phone shows a short list; the visits tab has them all)."""
    week_end = today + dt.timedelta(days=6 - today.weekday())
    v = MaintenanceVisit
    query = _visit_rows(
        session, v.engineer_id == engineer_id, v.status.in_(list(mr.OPEN)), v.due_date <= week_end
    ).order_by(v.due_date, v.id)
    rows = [dict(r._mapping) for r in session.execute(query.limit(limit))]
    for r in rows:
        r["overdue"] = mr.is_overdue(r["status"], r["due_date"], today)
        r["days_overdue"] = max(0, mr.days_overdue(r["due_date"], today))
    return rows


@dataclass(frozen=True)
class MonthFilter:
    """Whose visits the month view counts: one engineer's, one region's, or all."""

    engineer_id: int | None = None
    region: str | None = None


def _filtered(query: Any, flt: MonthFilter) -> Any:
    """The filter's conditions. A visit's region is looked up per visit of the month
    (two key lookups): bounded by the month's visits however many plans the region has,
    where a list of the region's plans made SQLite walk every visit of them."""
    v, p = MaintenanceVisit, MaintenancePlan
    if flt.engineer_id is not None:
        query = query.where(v.engineer_id == flt.engineer_id)
    if flt.region is not None:
        region = (
            select(Customer.region)
            .join(p, p.customer_id == Customer.id)
            .where(p.id == v.plan_id)
            .scalar_subquery()
        )
        query = query.where(region == flt.region)
    return query


def _month_rows(session: Session, first: dt.date, last: dt.date, today: dt.date, flt: MonthFilter):
    """Per due day and state: visits, those due by the completion rule and those done in
    their window (one pass over the month's visits)."""
    v = MaintenanceVisit
    state = case(
        (and_(v.status.in_(list(mr.OPEN)), v.due_date < today), mr.OVERDUE), else_=v.status
    )
    query = _filtered(
        select(
            v.due_date, state.label("state"), func.count(),
            func.sum(case((counts_as_due(), 1), else_=0)),
            func.sum(case((done_in_window(), 1), else_=0)),
        ).where(v.due_date >= first, v.due_date <= last),
        flt,
    ).group_by(v.due_date, state)  # fmt: skip
    return session.execute(query).all()


def month_counts(
    session: Session,
    first: dt.date,
    last: dt.date,
    today: dt.date,
    flt: MonthFilter = MonthFilter(),
) -> dict[dt.date, dict[str, int]]:
    """Visits due in [first, last] per day and state, overdue (the one rule, in SQL)
    as its own state: what the month calendar shows. Counted in SQL."""
    out: dict[dt.date, dict[str, int]] = {}
    for day, state, n, _, _ in _month_rows(session, first, last, today, flt):
        out.setdefault(_as_date(day), {})[state] = n  # type: ignore[index]
    return out


def month_view(
    session: Session, month: dt.date, today: dt.date, flt: MonthFilter = MonthFilter()
) -> tuple[list[list[mr.MonthDay | None]], float | None]:
    """The month calendar (weeks × weekdays, the working calendar's days marked) and
    the month's completion rate (:func:`completion_counts`' rule), both for the
    filter's visits, from one query."""
    first, last = mr.month_start(month), mr.month_end(month)
    counts: dict[dt.date, dict[str, int]] = {}
    due = done = 0
    for day, state, n, due_n, done_n in _month_rows(session, first, last, today, flt):
        counts.setdefault(_as_date(day), {})[state] = n  # type: ignore[index]
        due, done = due + int(due_n or 0), done + int(done_n or 0)
    grid = mr.month_grid(first, load_calendar(session), counts, today)
    return grid, (None if due == 0 else done / due)


def regions(session: Session) -> list[str]:
    query = select(Customer.region).where(Customer.region.is_not(None)).distinct()
    return sorted(r for r in session.scalars(query) if r)


def completion_rate(
    session: Session, first: dt.date, last: dt.date, flt: MonthFilter = MonthFilter()
) -> float | None:
    """:func:`rules.maintenance.completion_rate` over the visits due in [first, last],
    counted in SQL (:func:`completion_counts`)."""
    due, done = completion_counts(session, first, last, flt)
    return None if due == 0 else done / due


def completion_counts(
    session: Session, first: dt.date, last: dt.date, flt: MonthFilter = MonthFilter()
) -> tuple[int, int]:
    """(visits due, done within their window) over the visits due in [first, last]:
    the completion rule's two counts, said in SQL (``maintenance_register``)."""
    v = MaintenanceVisit
    done = case((done_in_window(), 1), else_=0)
    query = _filtered(
        select(func.count(), func.sum(done)).where(
            v.due_date >= first, v.due_date <= last, counts_as_due()
        ),
        flt,
    )
    due, done_n = session.execute(query).one()
    return int(due or 0), int(done_n or 0)


def overdue_ageing(session: Session, today: dt.date, by: str = "engineer") -> list[dict[str, Any]]:
    """Open visits past due per engineer, region or customer, in the buckets 1–7,
    8–30 and over 30 days (counted in SQL, by date bounds; only the tables the grouping
    needs are joined: by engineer none, the names read after)."""
    v, p = MaintenanceVisit, MaintenancePlan
    week_ago, month_ago = today - dt.timedelta(days=7), today - dt.timedelta(days=30)
    bucket = case(
        (v.due_date >= week_ago, mr.Ageing.DAYS_1_7.value),
        (v.due_date >= month_ago, mr.Ageing.DAYS_8_30.value),
        else_=mr.Ageing.OVER_30.value,
    )
    overdue = (v.status.in_(list(mr.OPEN)), v.due_date < today)
    if by == "engineer":
        query = select(v.engineer_id, bucket, func.count()).where(*overdue)
        query = query.group_by(v.engineer_id, bucket)
    else:
        group = Customer.region if by == "region" else Customer.name
        query = (
            select(group, bucket, func.count())
            .join(p, p.id == v.plan_id)
            .join(Customer, Customer.id == p.customer_id)
            .where(*overdue)
            .group_by(group, bucket)
        )
    found = session.execute(query).all()
    names: dict[Any, str] = {}
    if by == "engineer":
        ids = {who for who, _, _ in found if who is not None}
        names = dict(
            session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
        )  # type: ignore[arg-type]
    table: dict[str, dict[str, int]] = {}
    for who, b, n in found:
        label = names.get(who) if by == "engineer" else who
        row = table.setdefault(label or "—", dict.fromkeys((a.value for a in mr.Ageing), 0))
        row[b] += n
    out = [{"who": who, **counts, "total": sum(counts.values())} for who, counts in table.items()]
    return sorted(out, key=lambda r: (-r["total"], r["who"]))


def engineers(session: Session) -> list[tuple[int, str]]:
    query = select(User.id, User.display_name).where(User.role == Role.ENGINEER).order_by(User.id)
    return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def package_codes(session: Session) -> list[str]:
    query = select(MaintenancePackage.code).order_by(MaintenancePackage.id)
    return list(session.scalars(query))


def package_discount(session: Session, code: str) -> Any:
    """The repair discount (%) contract customers of package ``code`` get (fees read it)."""
    return session.execute(
        select(MaintenancePackage.repair_discount_pct).where(MaintenancePackage.code == code)
    ).scalar()
