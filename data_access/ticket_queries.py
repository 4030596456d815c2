"""Reading tickets: the urgency-sorted list and its filters (one SQL expression per
SLA state), counts, the detail view as plain values, and the page's pickers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from data_access import search
from data_access.deadlines import clock_of
from data_access.errors import TicketNotFound
from data_access.models import (
    Customer,
    Device,
    FollowUp,
    ServiceReport,
    Ticket,
    TicketEvent,
    TicketPart,
    User,
)
from data_access.sla_config import load_sla_config
from data_access.views import snapshot
from rules import sla
from rules.access import Role
from rules.customers import ContractStatus, WarrantyStatus, contract_status, warranty_status
from rules.tickets import (
    DUE_SOON,
    FINISHED,
    OPEN,
    REPORT_LOCKED,
    SlaState,
    Status,
    allowed_next,
    sla_state,
)


def _get(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
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


# a text filter finding at most this many tickets is answered by their ids (see _text_ids)
RARE_TICKETS = 5_000


def _text_clause(fragment: str) -> ColumnElement[bool]:
    """The ticket's own text or numbers hold ``fragment``, or its customer's do: two index
    lookups ORed (``in_matching``: a plain IN made PostgreSQL read every ticket)."""
    in_customers = search.in_matching(Ticket.customer_id, "customers", fragment)
    return or_(search.matches("tickets", fragment), in_customers)


def _text_ids(session: Session, f: TicketFilter) -> list[int] | None:
    """The ids of the tickets the text filter finds, when they are few (None: many, or no
    text). A planner cannot tell a fragment in one ticket from one in a sixth of them: it
    once walked a million tickets newest first for a rare one. Asked first, unordered,
    the indexes find a rare fragment's tickets at once; the list and its count then read
    those rows by id. A common fragment keeps the condition (newest first stops early).
    SQLite plans both kinds well from the condition alone (its multi-index OR), and
    asking first would only cost a common fragment a second read of its matches."""
    if not (f.text and f.text.strip()) or session.get_bind().dialect.name != "postgresql":
        return None
    # the list page counts, then lists, in one read: the second call reuses the first's ids
    session.connection()  # begun, so the key names this transaction
    key = ("ticket_text_ids", f.text, session.get_transaction())
    if key not in session.info:
        q = select(Ticket.id).where(_text_clause(f.text)).limit(RARE_TICKETS + 1)
        found = list(session.scalars(q))
        session.info[key] = found if len(found) <= RARE_TICKETS else None
    return session.info[key]


def _conditions(
    f: TicketFilter, now: dt.datetime, text_ids: list[int] | None = None
) -> list[ColumnElement[bool]]:
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
    if text_ids is not None:  # what the text filter found (_text_ids)
        c.append(Ticket.id.in_(text_ids))
    elif f.text and f.text.strip():  # the trigram index: no scan of a million rows
        c.append(_text_clause(f.text))
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
    where = _conditions(f, now, _text_ids(session, f))
    return session.scalar(select(func.count(Ticket.id)).where(*where)) or 0


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
    base = _conditions(f, now, _text_ids(session, f))
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


def cover_status(device: Device | None, day: dt.date) -> tuple[str, str]:
    """(warranty, contract) status of a device on ``day``, for the intake form."""
    if device is None:
        return WarrantyStatus.UNKNOWN, ContractStatus.NONE
    return warranty_status(device.warranty_end, day), contract_status(device.contract_end, day)
