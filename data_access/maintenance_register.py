"""Preventive maintenance through the register machinery: the hooks of the packages,
checklist templates, plans, visits and checklist results registers (who may write
which rows), the visits' computed overdue flag and the route sheet filter.

Kept apart from the commands (:mod:`data_access.maintenance`), which write through
:func:`data_access.registers.save_changes`: :mod:`data_access.catalog` imports this
module only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select
from sqlalchemy.orm import Session

from data_access.adapters import Deleted, Hooks, Refs, Written
from data_access.errors import Refused
from data_access.models import MaintenanceVisit, User
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

    def after_write(self, session: Session, written: Written) -> None:
        if _role_of(session, written.user_id) not in MANAGERS:
            raise Refused("maint.err.managers_only", value=self.label)

    def after_delete(self, session: Session, deleted: Deleted) -> None:
        if _role_of(session, deleted.user_id) not in MANAGERS:
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

    def after_write(self, session: Session, written: Written) -> None:
        owners = [r.get("engineer_id") for r in written.inserted]
        for before, diff in written.updated:
            owners.append(before.get("engineer_id"))
            owners.append(diff.get("engineer_id", before.get("engineer_id")))
        _engineer_owns(session, written.user_id, owners)

    def after_delete(self, session: Session, deleted: Deleted) -> None:
        _engineer_owns(session, deleted.user_id, [r.get("engineer_id") for r in deleted.rows])


class ResultHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        if values.get("passed") is None:
            values["passed"] = mr.result_passed(
                values.get("result_kind"), values.get("measured"), values.get("lower"),
                values.get("upper"),
            )  # fmt: skip
        return []

    def after_write(self, session: Session, written: Written) -> None:
        ids = {r["visit_id"] for r in written.inserted} | {
            b["visit_id"] for b, _ in written.updated
        }
        _visits_owned(session, written.user_id, ids)

    def after_delete(self, session: Session, deleted: Deleted) -> None:
        _visits_owned(session, deleted.user_id, {r["visit_id"] for r in deleted.rows})


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
