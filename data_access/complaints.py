"""Complaints: the register hooks, the commands (intake, assign, actions, customer
informed, confirmation and closing, another round, CAPA verification) and the queries.

Every command checks the actor's right here (agents log complaints; quality staff,
managers and admins handle them; engineers only read those on their own tickets), then
writes the complaint and its lines through the one write path
(:func:`data_access.registers.save_changes`). The history (customer informed, rounds,
escalations) is an append-only table. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access.adapters import Hooks, Refs, Written
from data_access.errors import InvalidInput, NotAllowed
from data_access.models import (
    Complaint,
    ComplaintAction,
    ComplaintEvent,
    Customer,
    Device,
    FaultCode,
    ProductModel,
    Setting,
    Ticket,
    User,
)
from data_access.sla_config import load_calendar
from rules import complaints as R
from rules.access import Acting, Actor, Role
from rules.fields import Problem

# who may do what (beside the page's edit right, which the register write checks)
LOG_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.QUALITY, Role.AGENT})
HANDLE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.QUALITY})
ALL_ROLES = frozenset({*LOG_ROLES, Role.ENGINEER})
PARENT_CLOSED = "lines.err.parent_closed"


# ---------------------------------------------------------------- register hooks
class ComplaintHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        R.complaint_defaults(values, R.sla.DEFAULT_CALENDAR)
        return []

    def after_write(self, session: Session, written: Written) -> None:
        mark_repeats(session, [r["id"] for r in written.inserted], written.now, written.user_id)


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


# ---------------------------------------------------------------- helpers
def _require(actor: Acting, roles: frozenset[str], action: str, what: str) -> None:
    if actor.role not in roles:
        raise NotAllowed(action, what)


def _writer(actor: Acting) -> Actor:
    """The one write path checks the complaints page's edit right; a command has
    checked its own (narrower or wider) right already and writes as the same user."""
    return Actor(actor.id, Role.QUALITY)


def _save(session: Session, register: str, actor: Acting, now: dt.datetime, **kw) -> None:
    from data_access.registers import save_changes  # the catalog imports this module

    result = save_changes(
        session,
        register,
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


def _username(session: Session, user_id: int | None) -> str | None:
    return session.scalar(select(User.username).where(User.id == user_id)) if user_id else None


def _open_check(c: Complaint) -> None:
    if c.status == R.Status.CLOSED:
        raise InvalidInput([Problem("status", "complaints.err.closed", {"value": c.complaint_no})])


def _update(session: Session, c: Complaint, values: Mapping[str, Any], actor, now) -> None:
    _save(session, "complaints", actor, now, updates=[{"id": c.id, "version": c.version, **values}])
    session.expire(c)


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
                _save(session, "complaints", actor, now, inserts=[values])
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


# ---------------------------------------------------------------- handling
def assign(
    session: Session,
    complaint_no: str,
    *,
    handler: str,
    group: str | None,
    actor: Acting,
    now: dt.datetime,
) -> None:
    """A handling group and owner; the complaint is under investigation."""
    _require(actor, HANDLE_ROLES, "assign", complaint_no)
    c = _get(session, complaint_no)
    _open_check(c)
    values: dict[str, Any] = {"handler": handler, "handling_group": group}
    if c.status == R.Status.RECEIVED:
        values["status"] = R.Status.INVESTIGATING
    _update(session, c, values, actor, now)


def add_action(
    session: Session,
    complaint_no: str,
    *,
    kind: str,
    description: str,
    actor: Acting,
    now: dt.datetime,
    department: str | None = None,
    responsible: str | None = None,
    deadline: dt.date | None = None,
    status: str = R.ActionStatus.OPEN,
    done_at: dt.datetime | None = None,
) -> int:
    """One more line of the handling plan, in the complaint's current round."""
    _require(actor, HANDLE_ROLES, "action", complaint_no)
    c = _get(session, complaint_no)
    high = session.scalar(
        select(func.max(ComplaintAction.line_no)).where(ComplaintAction.complaint_id == c.id)
    )
    line = (high or 0) + 1
    row = {
        "complaint": complaint_no,
        "line_no": line,
        "round": c.rounds,
        "kind": kind,
        "description": description,
        "department": department,
        "responsible": responsible,
        "deadline": deadline,
        "status": status,
        "done_at": done_at if status != R.ActionStatus.DONE else (done_at or now),
    }
    _save(session, "complaint_actions", actor, now, inserts=[row])
    if (
        c.status in (R.Status.RECEIVED, R.Status.INVESTIGATING)
        and kind != R.ActionKind.INVESTIGATION
    ):
        _update(session, c, {"status": R.Status.HANDLING}, actor, now)
    return line


def set_root_cause(
    session: Session,
    complaint_no: str,
    *,
    category: str | None,
    analysis: str,
    actor: Acting,
    now: dt.datetime,
    capa_criterion: str | None = None,
) -> None:
    _require(actor, HANDLE_ROLES, "root_cause", complaint_no)
    c = _get(session, complaint_no)
    _open_check(c)
    values: dict[str, Any] = {"cause_category": category, "root_cause": analysis}
    if capa_criterion:
        values["capa_criterion"] = capa_criterion
    _update(session, c, values, actor, now)


def inform(
    session: Session,
    complaint_no: str,
    *,
    channel: str,
    what: str,
    actor: Acting,
    now: dt.datetime,
    person: str | None = None,
) -> None:
    """The "customer informed" log: when, how, what."""
    _require(actor, LOG_ROLES, "inform", complaint_no)
    problems = []
    if channel not in set(R.Channel):
        problems.append(Problem("channel", "err.enum", {"value": channel}))
    if not (what or "").strip():
        problems.append(Problem("note", "err.required"))
    if problems:
        raise InvalidInput(problems)
    c = _get(session, complaint_no)
    _event(
        session, c.id, R.EventKind.INFORM, now, actor.id, round=c.rounds, channel=channel,
        person=person, note=what.strip(),
    )  # fmt: skip
    session.flush()


def confirm(
    session: Session,
    complaint_no: str,
    confirmation: R.Confirmation,
    *,
    actor: Acting,
    now: dt.datetime,
    followup_delay_days: int = 7,
) -> str:
    """The customer's word. Satisfied: the complaint closes when it has its root cause,
    a completed action and the confirmation — every missing one is reported, nothing
    written. Not satisfied: another round (round 3 or more: expert tier and the
    manager). Returns the new status."""
    _require(actor, HANDLE_ROLES, "close", complaint_no)
    c = _get(session, complaint_no)
    _open_check(c)
    if confirmation.satisfied is False:
        problems = R.confirmation_problems(confirmation)
        if problems:
            raise InvalidInput(problems)
        return _another_round(session, c, confirmation, actor, now)
    statuses = session.scalars(
        select(ComplaintAction.status).where(ComplaintAction.complaint_id == c.id)
    ).all()
    problems = R.close_problems(c.root_cause, statuses, confirmation)
    if problems:
        raise InvalidInput(problems)
    values: dict[str, Any] = {
        "status": R.Status.CLOSED,
        "satisfied": True,
        "confirm_channel": confirmation.channel,
        "confirm_person": confirmation.person,
        "confirm_at": confirmation.at,
        "closed_at": now,
    }
    if c.capa_criterion and c.capa_status is None:
        values["capa_status"] = R.CapaStatus.OPEN
        values["capa_verify_by"] = c.capa_verify_by or R.capa_verify_by(now.date())
    _update(session, c, values, actor, now)
    _event(
        session, c.id, R.EventKind.CONFIRM, now, actor.id, round=c.rounds,
        channel=confirmation.channel, person=confirmation.person, note="satisfied",
    )  # fmt: skip
    from data_access.followups import plan_after_complaint

    plan_after_complaint(session, c, now, followup_delay_days)
    session.flush()
    return R.Status.CLOSED


def _another_round(
    session: Session, c: Complaint, confirmation: R.Confirmation, actor: Acting, now
) -> str:
    nxt = R.next_round(c.rounds, c.tier)
    values: dict[str, Any] = {
        "status": R.Status.HANDLING,
        "satisfied": False,
        "rounds": nxt.rounds,
        "tier": int(nxt.tier),
        "confirm_channel": confirmation.channel,
        "confirm_person": confirmation.person,
        "confirm_at": confirmation.at,
    }
    manager = None
    if nxt.to_manager:
        manager = session.scalar(
            select(User.username)
            .where(User.role == Role.MANAGER, User.is_active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
        if manager:
            values["manager"] = manager
    _update(session, c, values, actor, now)
    _event(
        session, c.id, R.EventKind.ROUND, now, actor.id, round=nxt.rounds,
        channel=confirmation.channel, person=confirmation.person, tier=int(nxt.tier),
        note="not satisfied",
    )  # fmt: skip
    if nxt.to_manager:
        _event(
            session, c.id, R.EventKind.ESCALATE, now, actor.id, round=nxt.rounds,
            tier=int(nxt.tier), person=manager, note="expert tier and manager",
        )  # fmt: skip
    session.flush()
    return R.Status.HANDLING


def verify_capa(
    session: Session,
    complaint_no: str,
    *,
    verifier: str | None,
    verified_on: dt.date | None,
    result: str | None,
    effective: bool,
    actor: Acting,
    now: dt.datetime,
) -> str:
    """Close a CAPA: verifier, date and result, after its corrective and preventive
    actions are done. Not effective: it stays re-opened."""
    _require(actor, HANDLE_ROLES, "capa", complaint_no)
    c = _get(session, complaint_no)
    if c.capa_status is None:
        raise InvalidInput([Problem("capa_status", "complaints.err.no_capa")])
    verifier_id = (
        session.scalar(select(User.id).where(User.username == verifier)) if verifier else None
    )
    kinds = [str(k) for k in R.CAPA_KINDS]
    statuses = session.scalars(
        select(ComplaintAction.status).where(
            ComplaintAction.complaint_id == c.id, ComplaintAction.kind.in_(kinds)
        )
    ).all()
    problems = R.capa_verify_problems(verifier_id, verified_on, result, statuses)
    if problems:
        raise InvalidInput(problems)
    status = R.CapaStatus.EFFECTIVE if effective else R.CapaStatus.NOT_EFFECTIVE
    _update(
        session,
        c,
        {"capa_status": status, "capa_verifier": verifier, "capa_verified_at": verified_on,
         "capa_result": result},
        actor,
        now,
    )  # fmt: skip
    _event(session, c.id, R.EventKind.CAPA, now, actor.id, round=c.rounds, note=status)
    session.flush()
    return status


def escalate_overdue(session: Session, now: dt.datetime) -> list[str]:
    """Timed escalation: complaints past their investigation deadline without a root
    cause go one tier up (the job runs as the system)."""
    rows = session.execute(
        select(Complaint.id, Complaint.complaint_no, Complaint.tier, Complaint.status,
               Complaint.investigate_by).where(
            Complaint.status.in_([R.Status.RECEIVED, R.Status.INVESTIGATING]),
            Complaint.investigate_by < now,
            Complaint.tier < int(R.Tier.EXPERT),
        )
    ).all()  # fmt: skip
    moved = []
    for r in rows:
        tier = R.timed_tier(r.tier, r.status, r.investigate_by, now)
        if tier is None:
            continue
        session.execute(
            update(Complaint.__table__)
            .where(Complaint.id == r.id)
            .values(tier=int(tier), version=Complaint.version + 1)
        )
        _event(session, r.id, R.EventKind.ESCALATE, now, None, tier=int(tier), note="overdue")
        moved.append(r.complaint_no)
    session.flush()
    return moved


# ---------------------------------------------------------------- queries
@dataclass(frozen=True)
class ComplaintFilter:
    open_only: bool = False
    status: str | None = None
    search: str | None = None


def readable_by(actor: Acting):
    """The condition on complaints ``actor`` may read (None: all of them); the search
    box uses it too."""
    return _visible(actor)


def _visible(actor: Acting):
    """Engineers see the complaints about their own tickets (or themselves) only."""
    if actor.role != Role.ENGINEER:
        return None
    own_tickets = select(Ticket.id).where(Ticket.engineer_id == actor.id)
    return or_(Complaint.engineer_id == actor.id, Complaint.ticket_id.in_(own_tickets))


def list_complaints(
    session: Session,
    flt: ComplaintFilter,
    *,
    actor: Acting,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the complaints list (newest first) and the total count."""
    _require(actor, ALL_ROLES, "view", "complaints")
    conds = []
    seen = _visible(actor)
    if seen is not None:
        conds.append(seen)
    if flt.open_only:  # IN, not !=: the (status, received_at) index serves it
        conds.append(Complaint.status.in_(sorted(R.OPEN)))
    if flt.status:
        conds.append(Complaint.status == flt.status)
    if flt.search:
        like = f"%{flt.search.strip()}%"
        conds.append(or_(Complaint.complaint_no.like(like), Complaint.content.like(like)))
    where = and_(*conds) if conds else None
    count = select(func.count(Complaint.id))
    query = (
        select(
            Complaint.id, Complaint.complaint_no, Customer.name.label("customer"),
            Complaint.received_at, Complaint.category, Complaint.priority, Complaint.status,
            Complaint.tier, Complaint.rounds, Complaint.investigate_by, Complaint.capa_status,
        )
        .join(Customer, Customer.id == Complaint.customer_id)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    if where is not None:
        count, query = count.where(where), query.where(where)
    total = session.scalar(count) or 0
    return [dict(r._mapping) for r in session.execute(query)], total


def complaint_detail(session: Session, complaint_no: str, *, actor: Acting) -> dict[str, Any]:
    """The complaint with its actions and history, as plain values."""
    _require(actor, ALL_ROLES, "view", complaint_no)
    c = _get(session, complaint_no)
    seen = _visible(actor)
    if seen is not None and not session.scalar(
        select(Complaint.id).where(Complaint.id == c.id, seen)
    ):
        raise NotAllowed("view", complaint_no)
    row = {col.name: getattr(c, col.key) for col in Complaint.__table__.columns}
    names = dict(
        session.execute(
            select(User.id, User.display_name).where(
                User.id.in_([c.handler_id, c.engineer_id, c.manager_id, c.capa_verifier_id])
            )
        ).all()
    )
    row["customer"] = session.scalar(select(Customer.name).where(Customer.id == c.customer_id))
    row["ticket_no"] = (
        session.scalar(select(Ticket.ticket_no).where(Ticket.id == c.ticket_id))
        if c.ticket_id
        else None
    )
    for k in ("handler", "engineer", "manager", "capa_verifier"):
        row[k] = names.get(row[f"{k}_id"])
    a = ComplaintAction
    row["actions"] = [
        dict(r._mapping)
        for r in session.execute(
            select(a.line_no, a.round, a.kind, a.description, a.department, a.responsible,
                   a.deadline, a.status, a.done_at, a.effective)
            .where(a.complaint_id == c.id).order_by(a.line_no)
        )
    ]  # fmt: skip
    e = ComplaintEvent
    row["events"] = [
        dict(r._mapping)
        for r in session.execute(
            select(e.at, e.kind, e.round, e.channel, e.person, e.tier, e.note)
            .where(e.complaint_id == c.id).order_by(e.at, e.id)
        )
    ]  # fmt: skip
    return row


def complaints_of_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket detail's complaints."""
    return [
        dict(r._mapping)
        for r in session.execute(
            select(Complaint.complaint_no, Complaint.status, Complaint.priority,
                   Complaint.received_at, Complaint.rounds)
            .where(Complaint.ticket_id == ticket_id).order_by(Complaint.id)
        )
    ]  # fmt: skip


def may_handle(role: str | None) -> bool:
    return role in HANDLE_ROLES


def may_log(role: str | None) -> bool:
    return role in LOG_ROLES
