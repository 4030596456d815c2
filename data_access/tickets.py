"""Service tickets: the commands — intake, status changes, dispatch, reassignment,
escalation — each checking the acting user's right to it.

The rest of the tickets domain lives beside it: :mod:`data_access.ticket_queries` (the
list, counts, detail, pickers), :mod:`data_access.deadlines` (deadlines and the figures
a history gives), :mod:`data_access.sla_config` (policies, ladder, calendar, follow-up
delay), :mod:`data_access.ticket_reports` (the service report), and their names are
re-exported here. Every function takes the caller's session and never commits: one write is one
transaction owned by the caller (``with db.write(engine) as s: ...``). Business rules
(transitions, clocks, numbering) come from :mod:`rules.tickets` and :mod:`rules.sla`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access import notifications
from data_access.audit import append_rows
from data_access.deadlines import (
    BATCH,
    History,
    _apply_deadlines,
    _chunks,
    _grades,
    _plan_followups,
    _refresh,
    clock_of,
    recompute_open_deadlines,
    refresh_deadlines,
    status_events,
    store_closing_facts,
    store_deadlines,
    store_history_figures,
)
from data_access.errors import (
    ConflictError,
    InvalidInput,
    NotAllowed,
    ReportLocked,
    TicketFinished,
    TicketNotFound,
)
from data_access.models import (
    Customer,
    Device,
    Ticket,
    TicketEvent,
    User,
)
from data_access.sla_config import (
    FOLLOWUP_DELAY_KEY,
    FOLLOWUP_DELAY_MAX,
    SlaConfig,
    followup_delay_days,
    list_calendar_days,
    list_policies,
    load_calendar,
    load_levels,
    load_policies,
    load_sla_config,
    remove_calendar_day,
    save_calendar,
    save_escalation_levels,
    seed_sla_defaults,
    set_calendar_day,
    set_followup_delay_days,
)
from data_access.sla_register import delete_policy, save_policy
from data_access.ticket_queries import (
    SLA_STATES,
    TicketFilter,
    _get,
    count_tickets,
    cover_status,
    customer_options,
    devices_of,
    engineer_options,
    engineers,
    filter_clauses,
    find_ticket_id,
    list_tickets,
    sla_state_is,
    ticket_detail,
)
from data_access.writes import flush_or_conflict as _flush
from rules import sla
from rules.access import SYSTEM_ACTOR, Acting, TicketAction, may_change_ticket
from rules.customers import ContractStatus, WarrantyStatus, contract_status, warranty_status
from rules.fields import Problem
from rules.tickets import (
    FINISHED,
    OPEN,
    Channel,
    Priority,
    Status,
    allowed_next,
    check_transition,
    closing_facts,
    deadlines_frozen,
    make_ticket_no,
    ticket_no_prefix,
    ticket_seq,
)

# the settings key the demo data and the settings page use for the follow-up delay


# ---------------------------------------------------------------- helpers


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise ConflictError(ticket.ticket_no)


def require(actor: Acting, ticket: Ticket, action: TicketAction) -> None:
    """Refuse ``action`` unless the rules let ``actor`` do it to ``ticket``."""
    if not may_change_ticket(actor.role, actor.id, ticket.engineer_id, action):
        raise NotAllowed(action, ticket.ticket_no)


def _audit(
    session: Session, ticket: Ticket, action: str, field: str, before, after, actor, now
) -> None:

    change = {"key": ticket.ticket_no, "action": action, "changes": {field: [before, after]}}
    append_rows(session, [change], entity="tickets", user_id=actor.id, now=now)


def _event(session: Session, ticket: Ticket, kind: str, now: dt.datetime, user_id, **kw) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=now, user_id=user_id, kind=kind, **kw))


def next_ticket_no(session: Session, day: dt.date) -> str:
    """The next free ``SR-YYYYMMDD-NNNN`` of ``day`` (a range scan of the unique index)."""
    prefix = ticket_no_prefix(day)
    last = session.scalars(
        select(Ticket.ticket_no)
        .where(Ticket.ticket_no >= prefix, Ticket.ticket_no < prefix + "~")
        .order_by(func.length(Ticket.ticket_no).desc(), Ticket.ticket_no.desc())
        .limit(1)
    ).first()
    seq = (ticket_seq(last) or 0) if last else 0
    return make_ticket_no(day, seq + 1)


# ---------------------------------------------------------------- intake
NUMBER_ATTEMPTS = 5
# advisory lock space of the intake numbering (second key: the day as YYYYMMDD)
NUMBERING_LOCK = 7_316_010


def _lock_numbering(session: Session, day: dt.date) -> None:
    """Hold the day's numbering lock until commit, so concurrent intakes number one
    after another instead of colliding on the unique index (PostgreSQL; a SQLite write
    transaction is exclusive already). Read committed: the scan that follows sees the
    number the previous holder committed."""
    if session.get_bind().dialect.name == "postgresql":
        key = day.year * 10_000 + day.month * 100 + day.day
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": NUMBERING_LOCK, "key": key},
        )


def _insert_numbered(session: Session, ticket: Ticket, day: dt.date) -> None:
    """INSERT ``ticket`` under the next free number of ``day``.

    Intakes take the day's lock first (:func:`_lock_numbering`); a ticket import that
    wrote the same number meanwhile makes the INSERT fail, and it is retried (in a
    savepoint) with the number after the one just taken.
    """
    for attempt in range(NUMBER_ATTEMPTS):
        try:
            with session.begin_nested():
                session.add(ticket)
                session.flush()  # one INSERT: the new ticket is at version 1
            return
        except IntegrityError:
            taken = session.scalar(select(Ticket.id).where(Ticket.ticket_no == ticket.ticket_no))
            if taken is None or attempt == NUMBER_ATTEMPTS - 1:
                raise
            ticket.ticket_no = next_ticket_no(session, day)


def create_ticket(
    session: Session,
    *,
    customer_id: int,
    channel: str,
    priority: str,
    fault_description: str,
    received_at: dt.datetime,
    actor: Acting,
    now: dt.datetime,
    device_id: int | None = None,
    serial_no: str | None = None,
    fault_code_id: int | None = None,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    service_type: str | None = None,
) -> Ticket:
    """Open a ticket: cover status from the device at intake, number, deadlines, first event.

    ``serial_no`` of a registered device of this customer links the device; an unknown
    serial is kept as typed. A serial registered to another customer is refused.
    """
    if not may_change_ticket(actor.role, actor.id, None, TicketAction.OPEN):
        raise NotAllowed(TicketAction.OPEN, "tickets")
    user_id = actor.id
    problems = []
    customer = session.get(Customer, customer_id)
    if customer is None:
        problems.append(Problem("customer", "err.unknown_ref", {"value": customer_id}))
    if not (fault_description or "").strip():
        problems.append(Problem("fault_description", "err.required"))
    for name, value, enum in (("channel", channel, Channel), ("priority", priority, Priority)):
        if value not in set(enum):
            allowed = " / ".join(enum)
            problems.append(Problem(name, "err.enum", {"value": value, "allowed": allowed}))
    serial = (serial_no or "").strip() or None
    device = session.get(Device, device_id) if device_id else None
    if device is None and serial:
        device = session.scalars(select(Device).where(Device.serial_no == serial)).first()
    if device is not None and device.customer_id != customer_id:
        problems.append(
            Problem("serial_no", "tickets.err.unknown_device", {"value": device.serial_no})
        )
    if device_id and device is None:
        problems.append(Problem("serial_no", "err.unknown_ref", {"value": device_id}))
    if problems:
        raise InvalidInput(problems)

    day = received_at.date()
    _lock_numbering(session, day)
    ticket = Ticket(
        ticket_no=next_ticket_no(session, day),
        customer_id=customer_id,
        device_id=device.id if device else None,
        serial_no=device.serial_no if device else serial,
        contact_name=contact_name,
        contact_phone=contact_phone,
        channel=str(channel),
        priority=str(priority),
        status=Status.RECEIVED,
        service_type=service_type,
        fault_description=fault_description.strip(),
        fault_code_id=fault_code_id,
        received_at=received_at,
        created_by_id=user_id,
        escalation_level=1,
        warranty_status=warranty_status(device.warranty_end, day)
        if device
        else WarrantyStatus.UNKNOWN,
        contract_status=contract_status(device.contract_end, day)
        if device
        else ContractStatus.NONE,
        remote_resolved=False,
    )
    config = load_sla_config(session)
    _apply_deadlines(
        ticket, clock_of(ticket, [], config, now, customer.grade if customer else None)
    )
    _insert_numbered(session, ticket, day)
    _event(session, ticket, "status", received_at, user_id, to_status=Status.RECEIVED)
    session.flush()
    return ticket


def find_device(session: Session, serial_no: str) -> Device | None:
    return session.scalars(select(Device).where(Device.serial_no == serial_no.strip())).first()


# ---------------------------------------------------------------- status changes
def change_status(
    session: Session,
    ticket_id: int,
    to_status: str,
    *,
    actor: Acting,
    now: dt.datetime,
    expected_version: int | None,
    note: str | None = None,
) -> Ticket:
    """Move a ticket along the transition table; record the event; recompute deadlines.

    Sets responded_at (first move out of received), resolved_at (repaired), closed_at
    (closed; a follow-up is scheduled), and clears resolved/closed on reopen.
    """
    ticket = _get(session, ticket_id)
    require(actor, ticket, TicketAction.STATUS)
    _check_version(ticket, expected_version)
    user_id = actor.id
    source = ticket.status
    target = check_transition(source, to_status)
    _event(session, ticket, "status", now, user_id, from_status=source, to_status=target, note=note)
    ticket.status = target
    if ticket.responded_at is None and target is not Status.RECEIVED:
        ticket.responded_at = now
    if target is Status.REPAIRED:
        ticket.resolved_at = now
    elif target is Status.REOPENED:
        ticket.resolved_at = None
        ticket.closed_at = None
    elif target is Status.CLOSED:
        ticket.closed_at = now
    session.flush()
    events = status_events(session, [ticket.id])[ticket.id]
    facts = closing_facts(events, followup_delay_days(session))
    ticket.remote_resolved, ticket.first_time_fix = facts.remote_resolved, facts.first_time_fix
    if target is Status.CLOSED:
        _plan_followups(session, [(ticket.id, facts.followups[-1])], user_id)
    if not deadlines_frozen(source, target):
        _refresh(session, ticket, load_sla_config(session), now)
    _flush(session, ticket.ticket_no)
    return ticket


# ---------------------------------------------------------------- dispatch
def _open_ticket_and_engineer(
    session: Session,
    ticket_id: int,
    engineer_id: int,
    expected_version: int | None,
    actor: Acting,
    action: TicketAction,
) -> tuple[Ticket, User]:
    """The unfinished ticket at the expected version, and an active engineer."""
    ticket = _get(session, ticket_id)
    require(actor, ticket, action)
    _check_version(ticket, expected_version)
    if ticket.status in FINISHED:
        raise TicketFinished(ticket.ticket_no)
    engineer = session.get(User, engineer_id)
    if engineer is None or not engineer.is_active:
        raise InvalidInput([Problem("engineer", "tickets.err.engineer", {"value": engineer_id})])
    return ticket, engineer


def dispatch(
    session: Session,
    ticket_id: int,
    engineer_id: int,
    *,
    actor: Acting,
    now: dt.datetime,
    expected_version: int | None,
    note: str | None = None,
) -> Ticket:
    """Assign an engineer; an undispatched ticket also moves to dispatched. Taking a
    ticket from its engineer is a reassignment: its right, and audited."""
    ticket, engineer = _open_ticket_and_engineer(
        session, ticket_id, engineer_id, expected_version, actor, TicketAction.DISPATCH
    )
    user_id = actor.id
    previous = ticket.engineer_id
    if previous is not None and previous != engineer_id:
        require(actor, ticket, TicketAction.REASSIGN)
        _audit(session, ticket, "reassign", "engineer_id", previous, engineer_id, actor, now)
    _event(
        session,
        ticket,
        "assign",
        now,
        user_id,
        from_user_id=previous,
        to_user_id=engineer_id,
        note=note,
    )
    ticket.engineer_id = engineer_id
    if previous != engineer_id:  # the outbox row commits or rolls back with the dispatch
        notifications.ticket_assigned(session, ticket, engineer_id, actor.id, now)
    if Status.DISPATCHED in allowed_next(ticket.status) and ticket.status not in (
        Status.ON_SITE,
        Status.RETURNED_TO_FACTORY,
    ):
        session.flush()
        return change_status(
            session,
            ticket.id,
            Status.DISPATCHED,
            actor=actor,
            now=now,
            expected_version=None,
        )
    _flush(session, ticket.ticket_no)
    return ticket


def reassign(
    session: Session,
    ticket_id: int,
    engineer_id: int,
    *,
    actor: Acting,
    now: dt.datetime,
    expected_version: int | None,
    note: str | None = None,
) -> Ticket:
    """Hand the ticket to another engineer without changing its status (audited)."""
    ticket, engineer = _open_ticket_and_engineer(
        session, ticket_id, engineer_id, expected_version, actor, TicketAction.REASSIGN
    )
    before = ticket.engineer_id
    _event(
        session,
        ticket,
        "assign",
        now,
        actor.id,
        from_user_id=before,
        to_user_id=engineer_id,
        note=note,
    )
    ticket.engineer_id = engineer_id
    _audit(session, ticket, "reassign", "engineer_id", before, engineer_id, actor, now)
    if before != engineer_id:
        notifications.ticket_assigned(session, ticket, engineer_id, actor.id, now)
    _flush(session, ticket.ticket_no)
    return ticket


# ---------------------------------------------------------------- escalation
def escalate(
    session: Session,
    ticket_id: int,
    *,
    actor: Acting,
    now: dt.datetime,
    level: int | None = None,
    auto: bool = False,
    expected_version: int | None = None,
    note: str | None = None,
) -> Ticket:
    """Raise the escalation level (next level when ``level`` is None); never lowers it.
    Audited; the automatic escalation acts as :data:`~rules.access.SYSTEM_ACTOR`."""
    ticket = _get(session, ticket_id)
    require(actor, ticket, TicketAction.ESCALATE)
    _check_version(ticket, expected_version)
    if ticket.status in FINISHED:
        raise TicketFinished(ticket.ticket_no)
    top = max(lv.level for lv in load_levels(session))
    target = ticket.escalation_level + 1 if level is None else level
    if not ticket.escalation_level < target <= top:
        raise InvalidInput([Problem("escalation_level", "tickets.err.level", {"max": top})])
    _event(
        session,
        ticket,
        "escalate",
        now,
        actor.id,
        level=target,
        note=note or ("auto" if auto else None),
    )
    before = ticket.escalation_level
    ticket.escalation_level = target
    _audit(session, ticket, "escalate", "escalation_level", before, target, actor, now)
    notifications.ticket_escalated(session, ticket, target, actor.id, now)
    _flush(session, ticket.ticket_no)
    return ticket


def auto_escalate(session: Session, now: dt.datetime) -> list[str]:
    """Escalate every open ticket whose level's business time has run out.

    Elapsed time is the resolution clock's consumed business time (pauses do not
    escalate). Candidates are prefiltered in SQL: business time never exceeds wall
    time, so a ticket received less than a level's threshold ago cannot be due.
    """
    config = load_sla_config(session)
    ladder = sorted(config.levels, key=lambda lv: lv.level)
    escalated: list[str] = []
    threshold = 0.0
    for rung in ladder[:-1]:
        if rung.hours is None:
            break
        threshold += rung.hours
        candidates = session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(OPEN),
                Ticket.escalation_level == rung.level,
                Ticket.received_at <= now - dt.timedelta(hours=threshold),
            )
            .order_by(Ticket.id)
        ).all()
        for chunk in _chunks(candidates, BATCH):
            events = status_events(session, [t.id for t in chunk])
            grades = _grades(session, {t.customer_id for t in chunk})
            for ticket in chunk:
                clock = clock_of(
                    ticket, events[ticket.id], config, now, grades.get(ticket.customer_id)
                )
                due = sla.due_escalation_level(ladder, clock.consumed)
                if due > ticket.escalation_level:
                    escalate(session, ticket.id, level=due, auto=True, actor=SYSTEM_ACTOR, now=now)
                    escalated.append(ticket.ticket_no)
    return escalated


# ---------------------------------------------------------------- service report
REPORT_FIELDS = (
    "work_done",
    "diagnosis",
    "result",
    "labour_hours",
    "travel_km",
    "accepted_by",
    "accepted_at",
    "rating_quality",
    "rating_attitude",
    "rating_efficiency",
    "customer_feedback",
    "fault_code_id",  # the fault the engineer confirmed (diagnosis accuracy)
)


# ---------------------------------------------------------------- list and detail


# the list filter's choices: the states of open tickets


# ---------------------------------------------------------------- SLA settings


# ---------------------------------------------------------------- pickers for the page


# names of the parts, so callers keep writing ``tickets.NAME``
__all__ = [
    "cover_status",
    "BATCH",
    "FOLLOWUP_DELAY_KEY",
    "FOLLOWUP_DELAY_MAX",
    "History",
    "InvalidInput",
    "ReportLocked",
    "SLA_STATES",
    "SlaConfig",
    "TicketFilter",
    "TicketFinished",
    "TicketNotFound",
    "clock_of",
    "count_tickets",
    "customer_options",
    "delete_policy",
    "devices_of",
    "engineer_options",
    "engineers",
    "filter_clauses",
    "find_ticket_id",
    "followup_delay_days",
    "list_calendar_days",
    "list_policies",
    "list_tickets",
    "load_calendar",
    "load_levels",
    "load_policies",
    "load_sla_config",
    "recompute_open_deadlines",
    "refresh_deadlines",
    "remove_calendar_day",
    "save_calendar",
    "save_escalation_levels",
    "save_policy",
    "seed_sla_defaults",
    "set_calendar_day",
    "set_followup_delay_days",
    "sla_state_is",
    "status_events",
    "store_closing_facts",
    "store_deadlines",
    "store_history_figures",
    "ticket_detail",
]
