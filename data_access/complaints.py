"""Complaints: the handling commands (assign, actions, customer informed, confirmation
and closing, another round, CAPA verification, timed escalation) and the queries. The
register hooks, adapters and the intake (:func:`~data_access.complaint_register.log_complaint`)
are in :mod:`data_access.complaint_register`.

Every command checks the actor's right here (agents log complaints and inform; quality
staff, managers and admins handle them; engineers only read those on their own tickets),
then writes the complaint and its lines through the one write path
(:func:`data_access.saving.save_rows`, what :func:`data_access.registers.save_changes`
does by register name). The history (customer informed, rounds, escalations) is an
append-only table. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from data_access.complaint_register import (
    ACTIONS_ADAPTER,
    COMPLAINTS_ADAPTER,
    LOG_ROLES,
    _event,
    _get,
    _require,
    _save,
)
from data_access.errors import InvalidInput, NotAllowed
from data_access.followups import plan_after_complaint
from data_access.models import Complaint, ComplaintAction, ComplaintEvent, Customer, Ticket, User
from rules import complaints as R
from rules.access import Acting, Role
from rules.fields import Problem

# who may do what (beside the page's edit right, which the register write checks)
HANDLE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.QUALITY})
ALL_ROLES = frozenset({*LOG_ROLES, Role.ENGINEER})


def _username(session: Session, user_id: int | None) -> str | None:
    return session.scalar(select(User.username).where(User.id == user_id)) if user_id else None


def _open_check(c: Complaint) -> None:
    if c.status == R.Status.CLOSED:
        raise InvalidInput([Problem("status", "complaints.err.closed", {"value": c.complaint_no})])


def _update(session: Session, c: Complaint, values: Mapping[str, Any], actor, now) -> None:
    updates = [{"id": c.id, "version": c.version, **values}]
    _save(session, COMPLAINTS_ADAPTER, actor, now, updates=updates)
    session.expire(c)


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
    _save(session, ACTIONS_ADAPTER, actor, now, inserts=[row])
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
