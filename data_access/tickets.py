"""Service tickets: intake, status changes, dispatch, escalation, service reports,
the urgency-sorted list and the detail view, SLA policy / calendar editing.

Every function takes the caller's session and never commits: one write is one
transaction owned by the caller (``with db.write(engine) as s: ...``). Business rules
(transitions, clocks, numbering) come from :mod:`rules.tickets` and :mod:`rules.sla`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data_access import audit
from data_access.errors import ConflictError
from data_access.models import (
    CalendarDay,
    Customer,
    Device,
    FollowUp,
    ServiceReport,
    Setting,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketPart,
    User,
)
from data_access.models import EscalationLevel as EscalationRow
from data_access.models import WorkingCalendar as CalendarRow
from data_access.views import snapshot
from rules import sla
from rules.access import Role
from rules.customers import ContractStatus, WarrantyStatus, contract_status, warranty_status
from rules.fields import Problem
from rules.tickets import (
    DUE_SOON,
    FINISHED,
    FOLLOWUP_DELAY_DAYS_DEFAULT,
    FOLLOWUP_DELAY_SETTING,
    OPEN,
    REPORT_LOCKED,
    Channel,
    Priority,
    SlaState,
    Status,
    allowed_next,
    check_transition,
    closing_facts,
    deadlines_frozen,
    followup_no,
    make_ticket_no,
    sla_state,
    ticket_no_prefix,
    ticket_seq,
)

# the settings key the demo data and the settings page use for the follow-up delay
FOLLOWUP_DELAY_KEY = FOLLOWUP_DELAY_SETTING
BATCH = 500


# ---------------------------------------------------------------- errors
class TicketNotFound(LookupError):
    pass


class TicketFinished(ValueError):
    """Dispatch or escalation of a ticket that is repaired, closed or cancelled."""


class ReportLocked(ValueError):
    """The service report of a closed ticket: locked until the ticket is reopened."""


class InvalidInput(ValueError):
    """Input a person can fix; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        super().__init__([p.code for p in problems])
        self.problems = problems


# ---------------------------------------------------------------- SLA configuration
@dataclass(frozen=True)
class SlaConfig:
    calendar: sla.WorkingCalendar
    policies: tuple[sla.Policy, ...]
    levels: tuple[sla.EscalationLevel, ...]

    def policy(self, priority: str, grade: str | None) -> sla.Policy:
        try:
            return sla.policy_for(self.policies, priority, grade)
        except sla.NoPolicy:  # a table edited to miss a priority: fall back to the default
            return sla.policy_for(sla.DEFAULT_POLICIES, priority, grade)


def _default_calendar_row(session: Session) -> CalendarRow | None:
    return session.scalars(
        select(CalendarRow).order_by(CalendarRow.is_default.desc(), CalendarRow.id).limit(1)
    ).first()


def load_calendar(session: Session) -> sla.WorkingCalendar:
    """The default working calendar with its holidays and make-up days (rules default if none)."""
    row = _default_calendar_row(session)
    if row is None:
        return sla.DEFAULT_CALENDAR
    days = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.calendar_id == row.id)
    ).all()
    return sla.WorkingCalendar(
        weekly=row.weekly,
        holidays={d for d, kind in days if kind == "holiday"},
        extra_workdays={d for d, kind in days if kind == "workday"},
    )


def load_policies(session: Session) -> tuple[sla.Policy, ...]:
    rows = session.scalars(select(SlaPolicy)).all()
    if not rows:
        return sla.DEFAULT_POLICIES
    return tuple(
        sla.Policy(
            r.priority,
            float(r.respond_hours),
            float(r.resolve_hours),
            r.customer_grade or "*",
            None if r.onsite_hours is None else float(r.onsite_hours),
        )
        for r in rows
    )


def load_levels(session: Session) -> tuple[sla.EscalationLevel, ...]:
    rows = session.scalars(select(EscalationRow).order_by(EscalationRow.level)).all()
    if not rows:
        return sla.DEFAULT_ESCALATION
    return tuple(
        sla.EscalationLevel(
            r.level, r.name_zh, r.name_en, None if r.hours is None else float(r.hours)
        )
        for r in rows
    )


def load_sla_config(session: Session) -> SlaConfig:
    return SlaConfig(load_calendar(session), load_policies(session), load_levels(session))


def followup_delay_days(session: Session) -> int:
    value = session.scalar(select(Setting.value).where(Setting.key == FOLLOWUP_DELAY_KEY))
    try:
        return int(value) if value is not None else FOLLOWUP_DELAY_DAYS_DEFAULT
    except (TypeError, ValueError):
        return FOLLOWUP_DELAY_DAYS_DEFAULT


FOLLOWUP_DELAY_MAX = 90


def set_followup_delay_days(
    session: Session, days: int, now: dt.datetime, *, by: int | None = None
) -> int:
    """How many days after closing a ticket its follow-up call is due (0–90); returns it."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidInput([Problem("followup_days", "err.integer", {"value": days})])
    if not 0 <= days <= FOLLOWUP_DELAY_MAX:
        code, bound = (
            ("err.min", {"min": 0}) if days < 0 else ("err.max", {"max": FOLLOWUP_DELAY_MAX})
        )
        raise InvalidInput([Problem("followup_days", code, bound)])
    row = session.scalars(select(Setting).where(Setting.key == FOLLOWUP_DELAY_KEY)).first()
    before = None if row is None else row.value
    if row is None:
        session.add(Setting(key=FOLLOWUP_DELAY_KEY, value=days, created_at=now, updated_at=now))
    else:
        row.value, row.updated_at = days, now
    _flush(session, FOLLOWUP_DELAY_KEY)
    if before != days:
        changes = {"value": [before, days]}
        audit.record(
            session,
            entity=audit.SETTINGS,
            action=audit.Action.SETTING,
            key=FOLLOWUP_DELAY_KEY,
            changes=changes,
            user_id=by,
            now=now,
        )
    return days


# ---------------------------------------------------------------- helpers
def _get(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise ConflictError(ticket.ticket_no)


def _flush(session: Session, what: str) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ConflictError(what) from None


def status_events(session: Session, ticket_ids: Sequence[int]) -> dict[int, list]:
    out: dict[int, list] = {i: [] for i in ticket_ids}
    if not ticket_ids:
        return out
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.to_status)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == "status")
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    for tid, at, to_status in rows:
        out[tid].append((at, to_status))
    return out


def _grade(session: Session, customer_id: int) -> str | None:
    return session.scalar(select(Customer.grade).where(Customer.id == customer_id))


def clock_of(
    ticket: Ticket, events: list, config: SlaConfig, now: dt.datetime, grade: str | None
) -> sla.SlaClock:
    policy = config.policy(ticket.priority, grade)
    return sla.sla_clock(ticket.received_at, policy, config.calendar, events, now)


def _apply_deadlines(ticket: Ticket, clock: sla.SlaClock) -> None:
    """Store the deadlines the list sorts by (resolve_due is NULL while paused)."""
    ticket.respond_due = clock.respond_by
    ticket.resolve_due = clock.resolve_by


def _refresh(session: Session, ticket: Ticket, config: SlaConfig, now: dt.datetime) -> None:
    events = status_events(session, [ticket.id])[ticket.id]
    _apply_deadlines(
        ticket, clock_of(ticket, events, config, now, _grade(session, ticket.customer_id))
    )


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


def _insert_numbered(session: Session, ticket: Ticket, day: dt.date) -> None:
    """INSERT ``ticket`` under the next free number of ``day``.

    Two intakes at once on PostgreSQL can pick the same number: the second INSERT
    waits on the unique index until the first commits, then fails; it is retried
    (in a savepoint) with the number after the one just taken.
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
    user_id: int | None,
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


def cover_status(device: Device | None, day: dt.date) -> tuple[str, str]:
    """(warranty, contract) status of a device on ``day``, for the intake form."""
    if device is None:
        return WarrantyStatus.UNKNOWN, ContractStatus.NONE
    return warranty_status(device.warranty_end, day), contract_status(device.contract_end, day)


def find_device(session: Session, serial_no: str) -> Device | None:
    return session.scalars(select(Device).where(Device.serial_no == serial_no.strip())).first()


# ---------------------------------------------------------------- status changes
def change_status(
    session: Session,
    ticket_id: int,
    to_status: str,
    *,
    user_id: int | None,
    now: dt.datetime,
    expected_version: int | None,
    note: str | None = None,
) -> Ticket:
    """Move a ticket along the transition table; record the event; recompute deadlines.

    Sets responded_at (first move out of received), resolved_at (repaired), closed_at
    (closed; a follow-up is scheduled), and clears resolved/closed on reopen.
    """
    ticket = _get(session, ticket_id)
    _check_version(ticket, expected_version)
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


def store_closing_facts(
    session: Session,
    histories: Mapping[int, Sequence[tuple[dt.datetime, str]]],
    new_closings: Mapping[int, int],
    user_id: int | None,
) -> None:
    """Store what each ticket's status history ``{id: [(at, to_status)]}`` says on
    closing (:func:`rules.tickets.closing_facts`) and plan the follow-ups of its newest
    ``new_closings[id]`` closings, as :func:`change_status` does. No version bump:
    derived data, not an edit."""
    if not histories:
        return
    delay = followup_delay_days(session)
    t = Ticket.__table__
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"))
        .values(remote_resolved=bindparam("v_remote"), first_time_fix=bindparam("v_ftf"))
    )
    params, owed = [], []
    for ticket_id, events in histories.items():
        facts = closing_facts(events, delay)
        params.append(
            {"b_id": ticket_id, "v_remote": facts.remote_resolved, "v_ftf": facts.first_time_fix}
        )
        n = min(new_closings.get(ticket_id, 0), len(facts.followups))
        owed.extend((ticket_id, due) for due in facts.followups[len(facts.followups) - n :])
    session.execute(stmt, params)
    _plan_followups(session, owed, user_id)


def _plan_followups(session: Session, owed: list[tuple[int, dt.date]], user_id: int | None) -> None:
    """Insert the planned follow-ups ``[(ticket id, due)]``, numbered after the ticket's
    existing ones, in one executemany."""
    ids = sorted({i for i, _ in owed})
    tickets, counts = {}, {}
    for chunk in _chunks(ids, BATCH):
        tickets.update(
            {
                r.id: r
                for r in session.execute(
                    select(Ticket.id, Ticket.ticket_no, Ticket.customer_id).where(
                        Ticket.id.in_(chunk)
                    )
                )
            }
        )
        counts.update(
            session.execute(
                select(FollowUp.ticket_id, func.count(FollowUp.id))
                .where(FollowUp.ticket_id.in_(chunk))
                .group_by(FollowUp.ticket_id)
            ).all()
        )
    rows = []
    for ticket_id, due in owed:
        ticket = tickets[ticket_id]
        counts[ticket_id] = n = counts.get(ticket_id, 0) + 1
        rows.append(_followup_row(ticket, n, due, user_id))
    if rows:
        session.execute(insert(FollowUp.__table__), rows)


def _followup_row(ticket: Any, n: int, due: dt.date, user_id: int | None) -> dict[str, Any]:
    """The ``n``-th follow-up call (回访) of a closed ticket, planned for ``due``."""
    return {
        "followup_no": followup_no(ticket.ticket_no, n),
        "customer_id": ticket.customer_id,
        "ticket_id": ticket.id,
        "reason": "ticket",
        "mode": "phone",
        "due_date": due,
        "status": "planned",
        "user_id": user_id,
    }


# ---------------------------------------------------------------- dispatch
def _open_ticket_and_engineer(
    session: Session, ticket_id: int, engineer_id: int, expected_version: int | None
) -> tuple[Ticket, User]:
    """The unfinished ticket at the expected version, and an active engineer."""
    ticket = _get(session, ticket_id)
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
    user_id: int | None,
    now: dt.datetime,
    expected_version: int | None,
    note: str | None = None,
) -> Ticket:
    """Assign (or reassign) an engineer; an undispatched ticket also moves to dispatched."""
    ticket, engineer = _open_ticket_and_engineer(session, ticket_id, engineer_id, expected_version)
    previous = ticket.engineer_id
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
    if Status.DISPATCHED in allowed_next(ticket.status) and ticket.status not in (
        Status.ON_SITE,
        Status.RETURNED_TO_FACTORY,
    ):
        session.flush()
        return change_status(
            session,
            ticket.id,
            Status.DISPATCHED,
            user_id=user_id,
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
    user_id: int | None,
    now: dt.datetime,
    expected_version: int | None,
    note: str | None = None,
) -> Ticket:
    """Hand the ticket to another engineer without changing its status."""
    ticket, engineer = _open_ticket_and_engineer(session, ticket_id, engineer_id, expected_version)
    _event(
        session,
        ticket,
        "assign",
        now,
        user_id,
        from_user_id=ticket.engineer_id,
        to_user_id=engineer_id,
        note=note,
    )
    ticket.engineer_id = engineer_id
    _flush(session, ticket.ticket_no)
    return ticket


def engineers(session: Session, *, region: str | None = None) -> list[dict[str, Any]]:
    """Active field engineers (of ``region``) with their open ticket load, lightest first."""
    load = (
        select(Ticket.engineer_id, func.count(Ticket.id).label("n"))
        .where(Ticket.status.in_(OPEN), Ticket.engineer_id.is_not(None))
        .group_by(Ticket.engineer_id)
        .subquery()
    )
    q = (
        select(User.id, User.username, User.display_name, User.region, User.skills, load.c.n)
        .outerjoin(load, load.c.engineer_id == User.id)
        .where(User.role == Role.ENGINEER, User.is_active.is_(True))
    )
    if region:
        q = q.where(User.region == region)
    rows = [
        {
            "id": r.id,
            "username": r.username,
            "display_name": r.display_name,
            "region": r.region,
            "skills": r.skills,
            "open_load": r.n or 0,
        }
        for r in session.execute(q)
    ]
    return sorted(rows, key=lambda r: (r["open_load"], r["display_name"]))


# ---------------------------------------------------------------- escalation
def escalate(
    session: Session,
    ticket_id: int,
    *,
    user_id: int | None,
    now: dt.datetime,
    level: int | None = None,
    auto: bool = False,
    expected_version: int | None = None,
    note: str | None = None,
) -> Ticket:
    """Raise the escalation level (next level when ``level`` is None); never lowers it."""
    ticket = _get(session, ticket_id)
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
        user_id,
        level=target,
        note=note or ("auto" if auto else None),
    )
    ticket.escalation_level = target
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
                    escalate(session, ticket.id, level=due, auto=True, user_id=None, now=now)
                    escalated.append(ticket.ticket_no)
    return escalated


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _grades(session: Session, customer_ids: set[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    return dict(
        session.execute(
            select(Customer.id, Customer.grade).where(Customer.id.in_(customer_ids))
        ).all()
    )


def recompute_open_deadlines(session: Session, now: dt.datetime) -> int:
    """Recompute respond/resolve deadlines of every open ticket (after a policy or
    calendar change). Returns how many tickets were recomputed.

    Deadlines are derived data: tickets keep their version, so someone editing a
    ticket meanwhile does not get a conflict because a manager changed a policy.
    """
    session.flush()
    ids = session.scalars(
        select(Ticket.id).where(Ticket.status.in_(OPEN)).order_by(Ticket.id)
    ).all()
    refresh_deadlines(session, ids, now)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Ticket):  # loaded rows would show the old deadlines
            session.expire(obj, ["respond_due", "resolve_due"])
    return len(ids)


@dataclass(frozen=True)
class History:
    """What a ticket's deadlines derive from."""

    ticket_id: int
    priority: str
    received_at: dt.datetime
    customer_id: int
    events: list  # [(at, to_status)] in order


def store_deadlines(
    session: Session,
    histories: Sequence[History],
    now: dt.datetime,
    config: SlaConfig | None = None,
) -> None:
    """Work out and store the deadlines of tickets whose history is known (no version
    bump: deadlines are derived data, not an edit)."""
    if not histories:
        return
    config = config or load_sla_config(session)
    t = Ticket.__table__
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"))
        .values(respond_due=bindparam("v_respond"), resolve_due=bindparam("v_resolve"))
    )
    for chunk in _chunks(list(histories), BATCH * 10):
        grades = _grades(session, {h.customer_id for h in chunk})
        params = []
        for h in chunk:
            policy = config.policy(h.priority, grades.get(h.customer_id))
            clock = sla.sla_clock(h.received_at, policy, config.calendar, h.events, now)
            params.append(
                {"b_id": h.ticket_id, "v_respond": clock.respond_by, "v_resolve": clock.resolve_by}
            )
        session.execute(stmt, params)


def refresh_deadlines(
    session: Session, ids: Sequence[int], now: dt.datetime, config: SlaConfig | None = None
) -> None:
    """:func:`store_deadlines` of ``ids``, their histories read from the database."""
    if not ids:
        return
    config = config or load_sla_config(session)
    t = Ticket.__table__
    for chunk in _chunks(list(ids), BATCH):
        rows = session.execute(
            t.select()
            .with_only_columns(t.c.id, t.c.priority, t.c.received_at, t.c.customer_id)
            .where(t.c.id.in_(chunk))
        ).all()
        events = status_events(session, chunk)
        histories = [
            History(r.id, r.priority, r.received_at, r.customer_id, events[r.id]) for r in rows
        ]
        store_deadlines(session, histories, now, config)


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
)


# ---------------------------------------------------------------- list and detail
@dataclass(frozen=True)
class TicketFilter:
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    engineer_id: int | None = None
    customer_id: int | None = None
    customer_text: str | None = None  # part of the customer's code or name
    region: str | None = None
    sla_state: str | None = None  # a rules.tickets.SlaState
    received_from: dt.date | None = None
    received_to: dt.date | None = None  # inclusive
    text: str | None = None
    open_only: bool = False


# the list filter's choices: the states of open tickets
SLA_STATES = (SlaState.OVERDUE, SlaState.DUE_SOON, SlaState.ON_TRACK, SlaState.PAUSED)
_PAUSING = tuple(sorted(sla.PAUSING))
_FAR = dt.datetime(9999, 12, 31)


def _before(limit: dt.datetime) -> ColumnElement[bool]:
    """A running deadline falls before ``limit``. Never NULL (a paused ticket has no
    resolve-by), so ``~`` of it keeps the paused rows: NOT NULL would drop them."""
    return or_(
        and_(Ticket.resolve_due.is_not(None), Ticket.resolve_due < limit),
        and_(
            Ticket.responded_at.is_(None),
            Ticket.respond_due.is_not(None),
            Ticket.respond_due < limit,
        ),
    )


def sla_state_is(
    state: str, now: dt.datetime, due_soon: dt.timedelta = DUE_SOON
) -> ColumnElement[bool]:
    """``rules.tickets.sla_state(...) == state`` in SQL, over the stored columns: the
    one expression the list filter, its count and the dashboard use."""
    open_ = Ticket.status.in_(sorted(OPEN))
    paused = Ticket.status.in_(_PAUSING)
    overdue = _before(now)
    match SlaState(state):
        case SlaState.DONE:
            return Ticket.status.in_(sorted(FINISHED))
        case SlaState.OVERDUE:
            return and_(open_, overdue)
        case SlaState.PAUSED:
            return and_(paused, ~overdue)
        case SlaState.DUE_SOON:
            return and_(open_, ~paused, ~overdue, _before(now + due_soon))
        case SlaState.ON_TRACK:
            return and_(open_, ~paused, ~_before(now + due_soon))


def _conditions(f: TicketFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    statuses = set(f.statuses) or set(Status)
    if f.open_only or _open_state(f):
        statuses &= OPEN
    if statuses != set(Status):
        if statuses <= OPEN:  # few rows: the status index finds them
            c.append(Ticket.status.in_(sorted(statuses)))
        else:  # most rows: wrapped so the planner walks received_at in order instead
            c.append(func.coalesce(Ticket.status, "").in_(sorted(statuses)))
    if f.priorities:
        c.append(Ticket.priority.in_(f.priorities))
    if f.engineer_id is not None:
        c.append(Ticket.engineer_id == f.engineer_id)
    if f.customer_id is not None:
        c.append(Ticket.customer_id == f.customer_id)
    if f.customer_text and f.customer_text.strip():
        like = f"%{_escape_like(f.customer_text.strip())}%"
        named = or_(Customer.name.ilike(like, escape="\\"), Customer.code.ilike(like, escape="\\"))
        c.append(Ticket.customer_id.in_(select(Customer.id).where(named)))
    if f.region and f.region.strip():
        like = f"%{_escape_like(f.region.strip())}%"
        regional = select(Customer.id).where(Customer.region.ilike(like, escape="\\"))
        c.append(Ticket.customer_id.in_(regional))
    if f.received_from:
        c.append(Ticket.received_at >= dt.datetime.combine(f.received_from, dt.time()))
    if f.received_to:
        c.append(
            Ticket.received_at
            < dt.datetime.combine(f.received_to, dt.time()) + dt.timedelta(days=1)
        )
    if f.text and f.text.strip():
        like = f"%{_escape_like(f.text.strip())}%"
        c.append(
            or_(
                Ticket.ticket_no.ilike(like, escape="\\"),
                Ticket.serial_no.ilike(like, escape="\\"),
                Ticket.contact_name.ilike(like, escape="\\"),
                Ticket.fault_description.ilike(like, escape="\\"),
                Ticket.customer_id.in_(
                    select(Customer.id).where(
                        or_(
                            Customer.name.ilike(like, escape="\\"),
                            Customer.code.ilike(like, escape="\\"),
                        )
                    )
                ),
            )
        )
    if f.sla_state:
        c.append(sla_state_is(f.sla_state, now))
    return c


def _open_state(f: TicketFilter) -> bool:
    """The filter asks for an SLA state only open tickets have."""
    return f.sla_state is not None and f.sla_state != SlaState.DONE


def filter_clauses(f: TicketFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    """The list's conditions, for exporting what the list shows."""
    return _conditions(f, now)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _urgency() -> ColumnElement:
    """The closest deadline: respond-by until responded, then resolve-by (paused: last)."""
    return case(
        (
            and_(
                Ticket.responded_at.is_(None),
                Ticket.respond_due < func.coalesce(Ticket.resolve_due, _FAR),
            ),
            Ticket.respond_due,
        ),
        else_=func.coalesce(Ticket.resolve_due, _FAR),
    )


def _partitions(
    f: TicketFilter, my_user_id: int | None
) -> list[tuple[list[ColumnElement[bool]], list[ColumnElement]]]:
    """The list's order as slices: (my open tickets), open tickets by urgency, then
    finished ones newest first. Each slice is sorted by its own index-friendly key."""
    open_ = Ticket.status.in_(sorted(OPEN))
    # NOT IN cannot use the status index, so the planner walks ix_tickets_received_at
    # in order instead of sorting every finished ticket (deep pages: 4.2 s → see bench)
    finished = Ticket.status.not_in(sorted(OPEN))
    by_urgency = [_urgency(), Ticket.id]
    newest = [Ticket.received_at.desc(), Ticket.id.desc()]
    parts: list[tuple[list[ColumnElement[bool]], list[ColumnElement]]] = []
    if my_user_id is not None:
        parts.append(([open_, Ticket.engineer_id == my_user_id], by_urgency))
        mine_not = or_(Ticket.engineer_id.is_(None), Ticket.engineer_id != my_user_id)
        parts.append(([open_, mine_not], by_urgency))
    else:
        parts.append(([open_], by_urgency))
    if not (f.open_only or _open_state(f)) and not (f.statuses and set(f.statuses) <= OPEN):
        parts.append(([finished], newest))
    return parts


def count_tickets(session: Session, f: TicketFilter, now: dt.datetime) -> int:
    return session.scalar(select(func.count(Ticket.id)).where(*_conditions(f, now))) or 0


def list_tickets(
    session: Session,
    f: TicketFilter,
    *,
    now: dt.datetime,
    page: int = 1,
    page_size: int = 50,
    my_user_id: int | None = None,
) -> list[dict[str, Any]]:
    """One page of tickets, most urgent first (paged in SQL, slice by slice)."""
    base = _conditions(f, now)
    offset = max(page - 1, 0) * page_size
    wanted = page_size
    ids: list[int] = []
    parts = _partitions(f, my_user_id)
    for i, (conds, order) in enumerate(parts):
        q = select(Ticket.id).where(*base, *conds)
        last = i == len(parts) - 1
        if not last:
            n = session.scalar(select(func.count()).select_from(q.subquery())) or 0
            if offset >= n:
                offset -= n
                continue
        ids.extend(session.scalars(q.order_by(*order).offset(offset).limit(wanted)))
        offset = 0
        wanted = page_size - len(ids)
        if wanted <= 0:
            break
    return _rows(session, ids, now)


def _rows(session: Session, ids: list[int], now: dt.datetime) -> list[dict[str, Any]]:
    if not ids:
        return []
    q: Select = (
        select(
            Ticket,
            Customer.name.label("customer"),
            Customer.region.label("region"),
            User.display_name.label("engineer"),
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .outerjoin(User, User.id == Ticket.engineer_id)
        .where(Ticket.id.in_(ids))
    )
    by_id = {}
    for t, customer, region, engineer in session.execute(q):
        state = sla_state(t.status, t.responded_at, t.respond_due, t.resolve_due, now)
        by_id[t.id] = {
            "id": t.id,
            "version": t.version,
            "ticket_no": t.ticket_no,
            "customer": customer,
            "region": region,
            "serial_no": t.serial_no,
            "priority": t.priority,
            "status": t.status,
            "engineer_id": t.engineer_id,
            "engineer": engineer,
            "escalation_level": t.escalation_level,
            "received_at": t.received_at,
            "respond_due": t.respond_due,
            "resolve_due": t.resolve_due,
            "sla_state": state,
            "overdue": state is SlaState.OVERDUE,
            "fault_description": t.fault_description,
        }
    return [by_id[i] for i in ids if i in by_id]


def ticket_detail(session: Session, ticket_id: int, now: dt.datetime) -> dict[str, Any]:
    """Ticket, customer, device, events, report, parts, follow-ups and the SLA explanation,
    as plain values (frozen dataclasses and dicts: no ORM object reaches a page)."""
    ticket = _get(session, ticket_id)
    customer = session.get(Customer, ticket.customer_id)
    device = session.get(Device, ticket.device_id) if ticket.device_id else None
    users = dict(session.execute(select(User.id, User.display_name)).all())
    events = session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    status_events = [(e.at, e.to_status) for e in events if e.kind == "status"]
    config = load_sla_config(session)
    clock = clock_of(ticket, status_events, config, now, customer.grade if customer else None)
    if ticket.status in FINISHED:  # history: the deadlines stored when it finished
        clock = _stored_deadlines(clock, ticket)
    report = session.scalars(
        select(ServiceReport).where(ServiceReport.ticket_id == ticket.id)
    ).first()
    parts = session.scalars(
        select(TicketPart).where(TicketPart.ticket_id == ticket.id).order_by(TicketPart.id)
    ).all()
    followups = session.scalars(
        select(FollowUp).where(FollowUp.ticket_id == ticket.id).order_by(FollowUp.id)
    ).all()
    return {
        "ticket": snapshot(ticket),
        "customer": snapshot(customer),
        "device": snapshot(device),
        "engineer": users.get(ticket.engineer_id) if ticket.engineer_id else None,
        "events": [
            {
                "at": e.at,
                "kind": e.kind,
                "user": users.get(e.user_id),
                "from_status": e.from_status,
                "to_status": e.to_status,
                "from_user": users.get(e.from_user_id),
                "to_user": users.get(e.to_user_id),
                "level": e.level,
                "note": e.note,
            }
            for e in events
        ],
        "report": snapshot(report),
        "parts": [snapshot(p) for p in parts],
        "followups": [snapshot(f) for f in followups],
        "sla": clock,
        "policy": config.policy(ticket.priority, customer.grade if customer else None),
        "levels": config.levels,
        "allowed": allowed_next(ticket.status),
        "report_locked": ticket.status in REPORT_LOCKED,
    }


def _stored_deadlines(clock: sla.SlaClock, ticket: Ticket) -> sla.SlaClock:
    """``clock`` with the ticket's stored deadlines, met or breached against them."""

    def state(done: dt.datetime | None, due: dt.datetime | None) -> sla.ClockState:
        late = done is not None and due is not None and done > due
        return sla.ClockState.BREACHED if late else sla.ClockState.MET

    resolve_state = clock.resolve_state
    if ticket.resolve_due is not None:
        resolve_state = state(clock.resolved_at, ticket.resolve_due)
    return replace(
        clock,
        respond_by=ticket.respond_due or clock.respond_by,
        respond_state=state(clock.responded_at, ticket.respond_due or clock.respond_by),
        resolve_by=ticket.resolve_due,
        resolve_state=resolve_state,
    )


# ---------------------------------------------------------------- SLA settings
def list_policies(session: Session) -> list[dict[str, Any]]:
    """Stored policies (empty table: the rules defaults, without ids)."""
    rows = session.scalars(
        select(SlaPolicy).order_by(SlaPolicy.priority, SlaPolicy.customer_grade)
    ).all()
    if not rows:
        return [
            {
                "id": None,
                "version": None,
                "priority": p.priority,
                "customer_grade": p.customer_grade,
                "respond_hours": p.respond_hours,
                "resolve_hours": p.resolve_hours,
                "onsite_hours": p.onsite_hours,
            }  # fmt: skip
            for p in sla.DEFAULT_POLICIES
        ]
    return [
        {
            "id": r.id,
            "version": r.version,
            "priority": r.priority,
            "customer_grade": r.customer_grade,
            "respond_hours": float(r.respond_hours),
            "resolve_hours": float(r.resolve_hours),
            "onsite_hours": None if r.onsite_hours is None else float(r.onsite_hours),
        }  # fmt: skip
        for r in rows
    ]


def seed_sla_defaults(session: Session) -> None:
    """Write the rules defaults into empty policy / escalation / calendar tables."""
    if session.scalar(select(func.count(SlaPolicy.id))) == 0:
        for p in sla.DEFAULT_POLICIES:
            session.add(
                SlaPolicy(
                    priority=p.priority,
                    customer_grade=p.customer_grade,
                    respond_hours=Decimal(str(p.respond_hours)),
                    resolve_hours=Decimal(str(p.resolve_hours)),
                    onsite_hours=None if p.onsite_hours is None else Decimal(str(p.onsite_hours)),
                )
            )
    if session.scalar(select(func.count(EscalationRow.id))) == 0:
        for lv in sla.DEFAULT_ESCALATION:
            session.add(
                EscalationRow(
                    level=lv.level,
                    name_zh=lv.zh,
                    name_en=lv.en,
                    hours=None if lv.hours is None else Decimal(str(lv.hours)),
                )
            )
    if _default_calendar_row(session) is None:
        save_calendar(session, weekly=sla.DEFAULT_WEEKLY)
    session.flush()


def save_policy(
    session: Session,
    *,
    priority: str,
    respond_hours: float | Decimal,
    resolve_hours: float | Decimal,
    customer_grade: str = "*",
    onsite_hours: float | Decimal | None = None,
    expected_version: int | None = None,
) -> SlaPolicy:
    """Insert or update the policy of (priority, grade). Call
    :func:`recompute_open_deadlines` in the same transaction to apply it."""
    problems = []
    if priority not in set(Priority):
        problems.append(
            Problem("priority", "err.enum", {"value": priority, "allowed": " / ".join(Priority)})
        )
    for name, value in (("respond_hours", respond_hours), ("resolve_hours", resolve_hours)):
        if value is None or Decimal(str(value)) <= 0:
            problems.append(Problem(name, "err.min", {"min": "0"}))
    if problems:
        raise InvalidInput(problems)
    row = session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.priority == priority, SlaPolicy.customer_grade == customer_grade
        )
    ).first()
    if row is None:
        row = SlaPolicy(priority=priority, customer_grade=customer_grade)
        session.add(row)
    elif expected_version is not None and row.version != expected_version:
        raise ConflictError(f"{priority}/{customer_grade}")
    row.respond_hours = Decimal(str(respond_hours))
    row.resolve_hours = Decimal(str(resolve_hours))
    row.onsite_hours = None if onsite_hours is None else Decimal(str(onsite_hours))
    _flush(session, f"{priority}/{customer_grade}")
    return row


def delete_policy(session: Session, policy_id: int) -> None:
    session.execute(delete(SlaPolicy).where(SlaPolicy.id == policy_id))


def save_escalation_levels(session: Session, levels: Sequence[sla.EscalationLevel]) -> None:
    """Replace the escalation ladder."""
    session.execute(delete(EscalationRow))
    for lv in levels:
        session.add(
            EscalationRow(
                level=lv.level,
                name_zh=lv.zh,
                name_en=lv.en,
                hours=None if lv.hours is None else Decimal(str(lv.hours)),
            )
        )
    session.flush()


def save_calendar(
    session: Session,
    *,
    weekly: dict,
    name: str = "default",
    expected_version: int | None = None,
) -> CalendarRow:
    """Set the default calendar's weekly hours (validated by building the rules calendar)."""
    cal = sla.WorkingCalendar(weekly=weekly)  # raises ValueError on bad spans
    stored = {str(wd): [list(s) for s in spans] for wd, spans in cal.weekly.items()}
    row = _default_calendar_row(session)
    if row is None:
        row = CalendarRow(name=name, weekly=stored, is_default=True)
        session.add(row)
    else:
        if expected_version is not None and row.version != expected_version:
            raise ConflictError(row.name)
        row.weekly = stored
    _flush(session, name)
    return row


def set_calendar_day(session: Session, day: dt.date, kind: str, name: str | None = None) -> None:
    """Mark ``day`` as a holiday or a make-up working day (``kind``: holiday | workday)."""
    if kind not in ("holiday", "workday"):
        raise ValueError(kind)
    row = _default_calendar_row(session) or save_calendar(session, weekly=sla.DEFAULT_WEEKLY)
    existing = session.scalars(
        select(CalendarDay).where(CalendarDay.calendar_id == row.id, CalendarDay.day == day)
    ).first()
    if existing is None:
        session.add(CalendarDay(calendar_id=row.id, day=day, kind=kind, name=name))
    else:
        existing.kind, existing.name = kind, name
    session.flush()


def remove_calendar_day(session: Session, day: dt.date) -> None:
    row = _default_calendar_row(session)
    if row is not None:
        session.execute(
            delete(CalendarDay).where(CalendarDay.calendar_id == row.id, CalendarDay.day == day)
        )


def list_calendar_days(session: Session) -> list[dict[str, Any]]:
    row = _default_calendar_row(session)
    if row is None:
        return []
    return [
        {"day": d.day, "kind": d.kind, "name": d.name}
        for d in session.scalars(
            select(CalendarDay).where(CalendarDay.calendar_id == row.id).order_by(CalendarDay.day)
        )
    ]


# ---------------------------------------------------------------- pickers for the page
def customer_options(session: Session, text: str | None = None, limit: int = 500) -> list[dict]:
    """Customers for the intake picker (code, name, grade, region), filtered by text."""
    q = select(Customer.id, Customer.code, Customer.name, Customer.grade, Customer.region)
    if text and text.strip():
        like = f"%{_escape_like(text.strip())}%"
        q = q.where(
            or_(Customer.name.ilike(like, escape="\\"), Customer.code.ilike(like, escape="\\"))
        )
    rows = session.execute(q.order_by(Customer.code).limit(limit))
    return [dict(r._mapping) for r in rows]


def engineer_options(session: Session) -> list[dict]:
    """Everyone who may hold tickets, for the list filter (inactive ones too: their
    tickets stay in the history)."""
    q = (
        select(User.id, User.username, User.display_name, User.is_active)
        .where(
            (User.role == Role.ENGINEER)
            | select(Ticket.id).where(Ticket.engineer_id == User.id).exists()
        )
        .order_by(User.is_active.desc(), User.display_name)
    )
    return [dict(r._mapping) for r in session.execute(q)]


def devices_of(session: Session, customer_id: int, day: dt.date) -> list[dict]:
    """A customer's devices with their warranty and contract status on ``day``."""
    out = []
    for d in session.scalars(
        select(Device).where(Device.customer_id == customer_id).order_by(Device.serial_no)
    ):
        warranty, contract = cover_status(d, day)
        out.append(
            {
                "id": d.id,
                "serial_no": d.serial_no,
                "location": d.location,
                "warranty_status": warranty,
                "contract_status": contract,
            }  # fmt: skip
        )
    return out


def find_ticket_id(session: Session, ticket_no: str) -> int | None:
    return session.scalar(select(Ticket.id).where(Ticket.ticket_no == ticket_no.strip()))
