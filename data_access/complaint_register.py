"""Complaints through the register machinery: the hooks of the complaints and actions
registers (defaults, a repeat re-opens its CAPA, no action on a closed complaint), their
adapters, and the intake (:func:`log_complaint`).

The intake is here, not with the handling commands (:mod:`data_access.complaints`),
because a register write calls it: a low follow-up score opens a complaint from inside
the follow-ups' write (:mod:`data_access.followup_register`). So it saves through
:func:`data_access.saving.save_rows` with the adapters built here (the catalog lists
them), never through the catalog. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access.adapters import Adapter, Change, Hooks, Refs, Written
from data_access.errors import InvalidInput, NotAllowed, Refused
from data_access.models import (
    Complaint,
    ComplaintAction,
    ComplaintEvent,
    Device,
    FaultCode,
    ProductModel,
    Setting,
    Ticket,
    User,
)
from data_access.saving import save_rows
from data_access.sla_config import load_calendar
from rules import complaints as R
from rules.access import Acting, Actor, Role
from rules.complaints import COMPLAINT_ACTIONS, COMPLAINTS
from rules.fields import Problem

# who may log a complaint (beside the page's edit right, which the register write checks)
LOG_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.AGENT})
PARENT_CLOSED = "lines.err.parent_closed"


# ---------------------------------------------------------------- register hooks
class ComplaintHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        R.complaint_defaults(values, R.sla.DEFAULT_CALENDAR)
        return []

    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        mark_repeats(session, [r["id"] for r in change.inserted], change.now, change.user_id)
        closing = [b for b, d in change.updated
                   if d.get("status") == R.Status.CLOSED and b.get("status") != R.Status.CLOSED]  # fmt: skip
        if closing:
            _closing_has_a_done_action(session, closing)


def _closing_has_a_done_action(session: Session, rows: list[dict[str, Any]]) -> None:
    """A complaint closed in the grid or by an import needs a completed action, as the
    close command does (the row check has its root cause and confirmation). A row
    imported already closed is history and is taken as it is: its actions cannot be
    added to a closed complaint."""
    done = set(
        session.scalars(
            select(ComplaintAction.complaint_id).where(
                ComplaintAction.complaint_id.in_([r["id"] for r in rows]),
                ComplaintAction.status == R.ActionStatus.DONE,
            )
        )
    )
    for row in rows:
        if row["id"] not in done:
            raise Refused("complaints.err.no_done_action_of", value=row["complaint_no"])


class ActionHooks(Hooks):
    locks = frozenset({PARENT_CLOSED})

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        R.action_defaults(values)
        parent = refs.get("complaint")
        if parent is not None and parent.get("status") == R.Status.CLOSED:
            return [Problem("complaint", PARENT_CLOSED, {"value": parent["complaint_no"]})]
        return []


def mark_repeats(
    session: Session, new_ids: list[int], now: dt.datetime, user_id: int | None
) -> list[str]:
    """New complaints on the same product model and fault code as an open CAPA, received
    before its verification date: that CAPA was not effective and is re-opened."""
    if not new_ids:
        return []
    c = Complaint.__table__
    new = session.execute(
        select(c.c.id, c.c.complaint_no, c.c.received_at, c.c.model_id, c.c.fault_code_id).where(
            c.c.id.in_(new_ids), c.c.model_id.is_not(None), c.c.fault_code_id.is_not(None)
        )
    ).all()
    if not new:
        return []
    pairs = {(r.model_id, r.fault_code_id) for r in new}
    capas = session.execute(
        select(c.c.id, c.c.complaint_no, c.c.model_id, c.c.fault_code_id, c.c.capa_verify_by)
        .add_columns(func.coalesce(c.c.closed_at, c.c.received_at).label("set_at"))
        .where(
            c.c.capa_status == R.CapaStatus.OPEN,
            c.c.model_id.in_({m for m, _ in pairs}),
            c.c.capa_verify_by.is_not(None),
        )
    ).all()
    others = [R.Repeat(r.complaint_no, r.received_at, r.model_id, r.fault_code_id) for r in new]
    hit = []
    for capa in capas:
        found = R.repeat_of(
            capa.model_id, capa.fault_code_id, capa.set_at, capa.capa_verify_by, others
        )
        if found is None or capa.id in new_ids:
            continue
        session.execute(
            update(c)
            .where(c.c.id == capa.id)
            .values(capa_status=R.CapaStatus.NOT_EFFECTIVE, version=c.c.version + 1)
        )
        _event(session, capa.id, R.EventKind.CAPA, now, user_id, note=found.complaint_no)
        hit.append(capa.complaint_no)
    return hit


# the complaints and actions registers (listed by the catalog as "complaints" and
# "complaint_actions")
COMPLAINTS_ADAPTER = Adapter(COMPLAINTS, Complaint, hooks=ComplaintHooks())
ACTIONS_ADAPTER = Adapter(COMPLAINT_ACTIONS, ComplaintAction, hooks=ActionHooks())


# ---------------------------------------------------------------- helpers
def _require(actor: Acting, roles: frozenset[str], action: str, what: str) -> None:
    if actor.role not in roles:
        raise NotAllowed(action, what)


def _writer(actor: Acting) -> Actor:
    """The one write path checks the complaints page's edit right; a command has
    checked its own (narrower or wider) right already and writes as the same user."""
    return Actor(actor.id, Role.QUALITY)


def _save(session: Session, ad: Adapter, actor: Acting, now: dt.datetime, **kw) -> None:
    result = save_rows(
        session,
        ad,
        inserts=kw.get("inserts", []),
        updates=kw.get("updates", []),
        deletes=[],
        actor=_writer(actor),
        now=now,
    )
    if result.problems:
        raise InvalidInput(list(result.problems))


def _get(session: Session, complaint_no: str) -> Complaint:
    found = session.scalars(select(Complaint).where(Complaint.complaint_no == complaint_no)).first()
    if found is None:
        raise InvalidInput(
            [Problem("complaint", "complaints.err.not_found", {"value": complaint_no})]
        )
    return found


def _event(session: Session, complaint_id: int, kind: str, now: dt.datetime, user_id, **kw) -> None:
    session.add(
        ComplaintEvent(complaint_id=complaint_id, at=now, user_id=user_id, kind=str(kind), **kw)
    )


# ---------------------------------------------------------------- numbering
NUMBER_ATTEMPTS = 5
NUMBERING_LOCK = 7_316_012  # advisory lock space of complaint numbers (key: the day)


def next_complaint_no(session: Session, day: dt.date) -> str:
    prefix = R.complaint_no_prefix(day)
    last = session.scalars(
        select(Complaint.complaint_no)
        .where(Complaint.complaint_no >= prefix, Complaint.complaint_no < prefix + "~")
        .order_by(func.length(Complaint.complaint_no).desc(), Complaint.complaint_no.desc())
        .limit(1)
    ).first()
    return R.make_complaint_no(day, (R.complaint_seq(last) or 0) + 1 if last else 1)


def _lock_numbering(session: Session, day: dt.date) -> None:
    """Concurrent intakes of one day number one after another (PostgreSQL advisory lock
    until commit; a SQLite write transaction is exclusive already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = day.year * 10_000 + day.month * 100 + day.day
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": NUMBERING_LOCK, "key": key},
        )


# ---------------------------------------------------------------- intake
@dataclass(frozen=True)
class Intake:
    customer: str  # customer code (or unique name)
    complainant: str
    channel: str
    content: str
    severity: str
    urgency: str
    received_at: dt.datetime
    category: str | None = None
    contact: str | None = None
    ticket: str | None = None  # ticket no.
    device: str | None = None  # serial no.
    engineer: str | None = None  # username
    model: str | None = None
    fault_code: str | None = None


def log_complaint(session: Session, intake: Intake, *, actor: Acting, now: dt.datetime) -> str:
    """Log a complaint (agents too): priority by the rule table, investigation deadline,
    a concurrency-safe number. The engineer, device, model and fault code default from
    the ticket. Returns the complaint number."""
    _require(actor, LOG_ROLES, "log", "complaints")
    values = {k: v for k, v in intake.__dict__.items() if v not in (None, "")}
    _from_ticket(session, values)
    prio = R.priority(intake.category, intake.severity, intake.urgency) if _levels(intake) else None
    values.update(status=R.Status.RECEIVED, priority=prio, tier=None, investigate_by=None)
    values["rounds"] = 1
    if prio is not None:  # the deadline on the team's calendar and configured hours
        values["investigate_by"] = R.investigate_by(
            intake.received_at, prio, load_calendar(session), investigate_hours(session)
        )
    day = intake.received_at.date()
    _lock_numbering(session, day)
    for attempt in range(NUMBER_ATTEMPTS):
        values["complaint_no"] = next_complaint_no(session, day)
        try:
            with session.begin_nested():
                _save(session, COMPLAINTS_ADAPTER, actor, now, inserts=[values])
            break
        except IntegrityError:
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
    c = _get(session, values["complaint_no"])
    _event(session, c.id, R.EventKind.STATUS, now, actor.id, tier=c.tier, note=R.Status.RECEIVED)
    session.flush()
    return c.complaint_no


def _levels(intake: Intake) -> bool:
    """Severity and urgency are known levels (else the register write reports them)."""
    levels = set(R.Level)
    cat_ok = intake.category is None or intake.category in set(R.Category)
    return intake.severity in levels and intake.urgency in levels and cat_ok


def investigate_hours(session: Session) -> dict[str, int]:
    """Working hours to find the root cause per priority: the setting, else the default."""
    value = session.scalar(select(Setting.value).where(Setting.key == R.INVESTIGATE_HOURS_SETTING))
    hours = dict(R.INVESTIGATE_HOURS_DEFAULT)
    if isinstance(value, dict):
        hours.update({k: int(v) for k, v in value.items() if k in hours and int(v) > 0})
    return hours


def _from_ticket(session: Session, values: dict[str, Any]) -> None:
    """Engineer, device, model and fault code of the complaint's ticket, where not given."""
    no = values.get("ticket")
    if not no:
        return
    row = session.execute(
        select(
            User.username,
            Device.serial_no,
            ProductModel.code,
            FaultCode.code.label("fault"),
        )
        .select_from(Ticket)
        .outerjoin(User, User.id == Ticket.engineer_id)
        .outerjoin(Device, Device.id == Ticket.device_id)
        .outerjoin(ProductModel, ProductModel.id == Device.model_id)
        .outerjoin(FaultCode, FaultCode.id == Ticket.fault_code_id)
        .where(Ticket.ticket_no == no)
    ).first()
    if row is None:
        return  # the register write reports the unknown ticket
    for name, value in (
        ("engineer", row.username),
        ("device", row.serial_no),
        ("model", row.code),
        ("fault_code", row.fault),
    ):
        if value and not values.get(name):
            values[name] = value
