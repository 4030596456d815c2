"""Preventive maintenance through the register machinery: the hooks of the packages,
checklist templates, plans, visits and checklist results registers (who may write
which rows), the visits' computed overdue flag and the route sheet filter.

Kept apart from the commands (:mod:`data_access.maintenance`), which write through
:func:`data_access.registers.save_changes`: :mod:`data_access.catalog` imports this
module only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, and_, func, not_, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from data_access.adapters import Change, Deleted, Hooks, Refs, Restored, Written
from data_access.errors import Refused
from data_access.models import MaintenancePlan, MaintenanceVisit, User
from rules import maintenance as mr
from rules.access import SYSTEM, Role
from rules.fields import Problem

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER, SYSTEM})


# ---------------------------------------------------------------- who may
def _role_of(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return SYSTEM  # the command line, the generation job
    return session.execute(select(User.role).where(User.id == user_id)).scalar() or ""


def _engineer_owns(session: Session, user_id: int | None, engineer_ids: Iterable[Any]) -> None:
    """An engineer's write touches only visits assigned to them."""
    if _role_of(session, user_id) != Role.ENGINEER:
        return
    for engineer_id in engineer_ids:
        if engineer_id != user_id:
            raise Refused("maint.err.own_visits", value=engineer_id or "—")


class _ManagersOnly(Hooks):
    label = ""

    def after_write(self, session: Session, change: Change) -> None:
        """Only managers write or delete these rows."""
        if isinstance(change, Restored):
            return
        if _role_of(session, change.user_id) not in MANAGERS:
            raise Refused("maint.err.managers_only", value=self.label)


# ---------------------------------------------------------------- register hooks
class PackageHooks(_ManagersOnly):
    label = "保养套餐 / packages"

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        if values.get("active") is None:
            values["active"] = True
        return []


class ChecklistHooks(_ManagersOnly):
    label = "保养清单模板 / checklist templates"


# advisory lock space of plan numbers (second key: the year)
NUMBERING_LOCK = 7_316_020


def plan_numbers(session: Session, now: dt.datetime) -> Iterator[str]:
    """The plans register's numbering: ``MP-<year>-NNNNN`` after the year's highest.
    Concurrent writers number one after another: PostgreSQL holds the year's advisory lock until commit (read
    committed: the scan below sees what the previous holder committed); a SQLite
    write transaction is exclusive already."""
    day = now.date()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": NUMBERING_LOCK, "key": day.year},
        )
    prefix = mr.plan_no_prefix(day)
    p = MaintenancePlan
    held = session.scalars(
        select(p.plan_no).where(p.plan_no >= prefix, p.plan_no < prefix + "~")
    )  # a range of the unique index; typed numbers of other shapes are skipped
    seq = max((n for no in held if (n := mr.plan_seq(no)) is not None), default=0)
    while True:
        seq += 1
        yield mr.make_plan_no(day, seq)


class PlanHooks(_ManagersOnly):
    label = "维护计划 / plans"

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        for column, default in (
            ("mode", mr.Mode.FIXED.value),
            ("window_days", mr.WINDOW_DAYS_DEFAULT),
            ("active", True),
            ("no_contract_confirmed", False),
            ("kind", mr.PlanKind.INSPECTION.value),
        ):
            if values.get(column) is None:
                values[column] = default
        device = refs.get("device")
        if device is None:
            if values.get("customer_id") is None:
                return [Problem("customer", "maint.err.customer")]
            return []
        problems = []
        serial = device.get("serial_no")
        if values.get("customer_id") is None:
            values["customer_id"] = device["customer_id"]
        elif values["customer_id"] != device["customer_id"]:
            problems.append(Problem("device", "maint.err.device_customer", {"value": serial}))
        if values.get("end_date") is None:
            values["end_date"] = device.get("contract_end")
        missing = mr.contract_missing(device.get("contract_end"), values.get("start_date"))
        if missing and not values["no_contract_confirmed"]:
            problems.append(
                Problem("no_contract_confirmed", "maint.err.no_contract", {"value": serial})
            )
        return problems


class VisitHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        plan = refs.get("plan") or {}
        if values.get("kind") is None:
            values["kind"] = plan.get("kind") or mr.PlanKind.INSPECTION.value
        if values.get("engineer_id") is None:
            values["engineer_id"] = plan.get("responsible_id")
        if values.get("planned_date") is None:
            values["planned_date"] = values.get("due_date")
        for column in ("skip_approved", "backup_done"):
            if values.get(column) is None:
                values[column] = False
        return []

    def after_write(self, session: Session, change: Change) -> None:
        """An engineer writes or deletes only visits assigned to him (before and after)."""
        match change:
            case Written(inserted=inserted, updated=updated, user_id=user_id):
                owners = [r.get("engineer_id") for r in inserted]
                for before, diff in updated:
                    owners.append(before.get("engineer_id"))
                    owners.append(diff.get("engineer_id", before.get("engineer_id")))
                _engineer_owns(session, user_id, owners)
            case Deleted(rows=rows, user_id=user_id):
                _engineer_owns(session, user_id, [r.get("engineer_id") for r in rows])


class ResultHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        if values.get("passed") is None:
            values["passed"] = mr.result_passed(
                values.get("result_kind"), values.get("measured"), values.get("lower"),
                values.get("upper"),
            )  # fmt: skip
        return []

    def after_write(self, session: Session, change: Change) -> None:
        match change:
            case Written(inserted=inserted, updated=updated, user_id=user_id):
                ids = {r["visit_id"] for r in inserted} | {b["visit_id"] for b, _ in updated}
                _visits_owned(session, user_id, ids)
            case Deleted(rows=rows, user_id=user_id):
                _visits_owned(session, user_id, {r["visit_id"] for r in rows})


def _visits_owned(session: Session, user_id: int | None, visit_ids: set[int]) -> None:
    """An engineer writes (or deletes) result lines of his own visits only."""
    if not visit_ids or _role_of(session, user_id) != Role.ENGINEER:
        return
    owners = session.execute(
        select(MaintenanceVisit.engineer_id).where(MaintenanceVisit.id.in_(visit_ids))
    ).scalars()
    _engineer_owns(session, user_id, owners)


def visit_computed(row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    return {"overdue": mr.is_overdue(row.get("status"), row.get("due_date"), today)}


def overdue_clause(table: Table, wanted: Any, today: dt.date) -> ColumnElement[bool]:
    """``is_overdue`` over the table (the one rule, said in SQL for filters)."""
    overdue = and_(table.c.status.in_(list(mr.OPEN)), table.c.due_date < today)
    return overdue if wanted in (True, "true", "1", 1) else ~overdue


# ---------------------------------------------------------------- completion, in SQL
class _DaysLate(FunctionElement):
    """Whole days from a visit's due date to the day it was done (dialect date maths)."""

    type = Integer()
    inherit_cache = True


@compiles(_DaysLate, "sqlite")
def _days_late_sqlite(element, compiler, **kw):
    done, due = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(julianday(date({done})) - julianday({due}) AS INTEGER)"


@compiles(_DaysLate, "postgresql")
def _days_late_pg(element, compiler, **kw):
    done, due = (compiler.process(c, **kw) for c in element.clauses)
    return f"(CAST({done} AS DATE) - {due})"


def counts_as_due() -> ColumnElement[bool]:
    """:func:`rules.maintenance.completion_rate`'s denominator, said in SQL: a visit due
    in the period counts unless cancelled or skipped with approval."""
    v = MaintenanceVisit
    skipped = and_(v.status == mr.VisitStatus.SKIPPED, v.skip_approved.is_(True))
    return and_(v.status != mr.VisitStatus.CANCELLED, not_(skipped))


def done_in_window(window_days: Any = None) -> ColumnElement[bool]:
    """:func:`rules.maintenance.done_in_window` said in SQL: done on a day within the
    window that opens on the due date. ``window_days`` is the plan's column where the
    query joins the plan; else a correlated subquery reads it (callers need no join).
    Stored windows are at least 1 (the field's minimum); blank or 0 is the default."""
    v, p = MaintenanceVisit, MaintenancePlan
    if window_days is None:
        window_days = select(p.window_days).where(p.id == v.plan_id).scalar_subquery()
    window = func.coalesce(func.nullif(window_days, 0), mr.WINDOW_DAYS_DEFAULT)
    return and_(
        v.status == mr.VisitStatus.DONE,
        v.done_at.is_not(None),
        _DaysLate(v.done_at, v.due_date) < window,
    )


@dataclass(frozen=True)
class RouteFilter:
    """A route sheet: one engineer's visits due in a month."""

    engineer_id: int | None
    first: dt.date
    last: dt.date


def route_clauses(flt: RouteFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    t = MaintenanceVisit.__table__
    clauses = [t.c.due_date >= flt.first, t.c.due_date <= flt.last]
    if flt.engineer_id is not None:
        clauses.append(t.c.engineer_id == flt.engineer_id)
    return clauses
