"""A fee document's lines and its quote: built from the service report (or a billed
maintenance visit), saved by the page with the reasons a confirmed quote asks for,
quoted and confirmed; and the checks the other fee commands share (who may, which
document). Statements and payments: :mod:`data_access.fee_statements`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data_access import audit
from data_access.errors import NotAllowed, Refused
from data_access.fee_register import (
    Subject,
    ensure_documents,
    part_pricing,
    rates,
    record_money,
    settled_lines,
    subjects_by_no,
    visit_problem,
)
from data_access.lines import list_lines, save_lines
from data_access.models import (
    Customer,
    FeeLine,
    FeeQuote,
    MaintenanceVisit,
    Part,
    ServiceReport,
    StockMovement,
    Ticket,
    TicketPart,
    User,
)
from data_access.registers import SaveResult
from data_access.settings import get_setting
from rules import fees as R
from rules.access import Acting, FeeAction, may_fee
from rules.tickets import Priority


# ---------------------------------------------------------------- commands
def subject_of(session: Session, no: str) -> Subject:
    """The ticket or maintenance visit a fee document no. names."""
    found = subjects_by_no(session, [no]).get(no)
    if found is None:
        raise Refused("fees.err.no_ticket", value=no)
    return found


def fee_doc_id(session: Session, no: str) -> int | None:
    return session.execute(select(FeeQuote.id).where(FeeQuote.doc_no == no)).scalar()


def need(actor: Acting, action: FeeAction, what: str) -> None:
    if not may_fee(actor.role, action):
        raise NotAllowed(action, what)


def checked(result: SaveResult) -> SaveResult:
    if result.problems:
        p = result.problems[0]
        raise Refused(p.code, **dict(p.params))
    return result


def customer_travel(session: Session, customer_id: int) -> tuple[str | None, Decimal | None]:
    """The customer's travel zone (the rate card's travel variant: its travel zone, else
    its region) and its distance in km from the service base (None: not given)."""
    found = session.execute(
        select(Customer.travel_zone, Customer.region, Customer.travel_km).where(
            Customer.id == customer_id
        )
    ).first()
    if found is None:
        return None, None
    km = Decimal(found.travel_km) if found.travel_km is not None else None
    return R.travel_zone(found.travel_zone, found.region), km


def engineer_level(session: Session, engineer_id: int | None) -> str:
    """The rate-card level an engineer's labour is priced at: his user record's level,
    else the older setting ``fees.engineer_levels`` ({username: level}), else standard."""
    if engineer_id is None:
        return R.DEFAULT_LEVEL
    found = session.execute(
        select(User.username, User.engineer_level).where(User.id == engineer_id)
    ).first()
    if found is None:
        return R.DEFAULT_LEVEL
    if (found.engineer_level or "").strip():
        return found.engineer_level.strip()
    levels = get_setting(session, R.SETTING_LEVELS) or {}
    return str(levels.get(found.username, R.DEFAULT_LEVEL))


def _part_items(session: Session, rows: Sequence[Any]) -> tuple:
    """(part no., name, qty, price) of parts used, at cost or sale price (the setting);
    a part not in the master keeps the price its line gives."""
    use_cost = part_pricing(session) == R.PartPricing.COST
    return tuple(
        (p.part_no, p.description or p.name or p.part_no, Decimal(p.qty),
         (p.unit_cost if use_cost else p.price) if p.name is not None else p.unit_price)
        for p in rows
    )  # fmt: skip


def job_of(session: Session, subject: Subject) -> R.Job:
    """A ticket's job for :func:`rules.fees.propose`: the service report's hours and
    distance (else the customer's distance), its parts lines, the customer's travel
    zone and the engineer's level."""
    t = session.execute(select(Ticket).where(Ticket.id == subject.ticket_id)).scalar_one()
    report = session.execute(select(ServiceReport).where(ServiceReport.ticket_id == t.id)).scalar()
    if report is None:
        raise Refused("fees.err.no_report", value=t.ticket_no)
    parts = session.execute(
        select(TicketPart.part_no, TicketPart.description, TicketPart.qty, TicketPart.unit_price,
               Part.name, Part.unit_cost, Part.price)
        .outerjoin(Part, Part.id == TicketPart.part_id)
        .where(TicketPart.ticket_id == t.id)
        .order_by(TicketPart.line_no)
    ).all()  # fmt: skip
    zone, customer_km = customer_travel(session, t.customer_id)
    # a report without a distance: the customer's (not for a job solved remotely)
    km = report.travel_km if report.travel_km is not None or t.remote_resolved else customer_km
    return R.Job(
        failure=t.received_at.date(),
        received_at=t.received_at,
        emergency=t.priority == Priority.EMERGENCY,
        factory=report.result == "returned",
        remote=not km,
        hours=Decimal(report.labour_hours or 0),
        km=Decimal(km) if km else None,
        zone=zone,
        level=engineer_level(session, report.engineer_id or t.engineer_id),
        parts=_part_items(session, parts),
    )


def visit_job(session: Session, subject: Subject) -> R.Job:
    """A maintenance visit's job: the on-site inspection, labour from arrival to
    departure at the engineer's level, travel by the customer's zone and distance, and
    the parts issued to the visit through the stock ledger (net of returns)."""
    v = session.execute(
        select(MaintenanceVisit).where(MaintenanceVisit.id == subject.visit_id)
    ).scalar_one()
    m = StockMovement
    used = session.execute(
        select(Part.part_no, Part.name.label("description"), (-func.sum(m.qty)).label("qty"),
               func.max(m.unit_cost).label("unit_price"), Part.name, Part.unit_cost,
               Part.price)
        .join(Part, Part.id == m.part_id)
        .where(m.visit_id == v.id)
        .group_by(Part.part_no, Part.name, Part.unit_cost, Part.price)
        .having(func.sum(m.qty) < 0)
        .order_by(Part.part_no)
    ).all()  # fmt: skip
    zone, km = customer_travel(session, subject.customer_id)
    day = subject.cover.failure
    return R.Job(
        failure=day,
        received_at=v.arrived_at or v.done_at or dt.datetime.combine(day, dt.time(9)),
        hours=R.visit_hours(v.arrived_at, v.departed_at),
        remote=not km,
        km=km or None,
        zone=zone,
        level=engineer_level(session, v.engineer_id),
        parts=_part_items(session, used),
        visit=True,
    )


def build_lines(session: Session, ticket_no: str, *, actor: Acting, now: dt.datetime) -> int:
    """Propose the fee lines of a ticket (from its service report) or of a maintenance
    visit outside a contract (from the visit and its parts issues) at the rate card valid
    on the failure date; priced by the coverage rule on save. Refused when the document
    has lines already, or the visit is under contract or not done."""
    subject = subject_of(session, ticket_no)
    problem = visit_problem(subject)
    if problem:
        raise Refused(problem, value=ticket_no)
    doc = fee_doc_id(session, ticket_no)
    if doc and session.execute(select(FeeLine.id).where(FeeLine.doc_id == doc).limit(1)).first():
        raise Refused("fees.err.lines_exist", value=ticket_no)
    job = visit_job(session, subject) if subject.visit_id else job_of(session, subject)
    card = rates(session)
    rows = [{**ln, "line_no": i} for i, ln in enumerate(R.propose(job, card), 1)]
    if not rows:
        return 0
    ensure_documents(session, [ticket_no], now)
    checked(save_lines(session, "fees", ticket_no, rows, actor=actor, now=now))
    stored = list_lines(session, "fees", ticket_no)
    minimum = R.rate_on(card, R.FeeKind.MINIMUM, job.failure)
    top_up = R.minimum_top_up(stored, minimum, in_warranty=subject.cover.in_warranty)
    if top_up and minimum is not None:
        extra = {"kind": R.FeeKind.MINIMUM, "rate_code": minimum.code, "qty": 1,
                 "description": minimum.name_zh, "unit_price": top_up}  # fmt: skip
        checked(save_lines(session, "fees", ticket_no, [*stored, extra], actor=actor, now=now))
    return len(rows) + (1 if top_up else 0)


def bill_visit(session: Session, visit_no: str, *, actor: Acting, now: dt.datetime) -> int:
    """Bill this visit: the fee lines of a completed maintenance visit outside a
    contract (see :func:`build_lines`); then quote, confirm and settle it like a ticket."""
    subject = subject_of(session, visit_no)
    if subject.visit_id is None:
        raise Refused("fees.err.no_visit", value=visit_no)
    return build_lines(session, visit_no, actor=actor, now=now)


def billable_visit(session: Session, visit_no: str) -> bool:
    """Whether "bill this visit" applies: a visit done, outside a contract, not billed."""
    subject = subjects_by_no(session, [visit_no]).get(visit_no)
    if subject is None or subject.visit_id is None or visit_problem(subject):
        return False
    doc = fee_doc_id(session, visit_no)
    return not (
        doc and session.execute(select(FeeLine.id).where(FeeLine.doc_id == doc).limit(1)).first()
    )


def save_fee_lines(
    session: Session,
    ticket_no: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: Acting,
    now: dt.datetime,
) -> SaveResult:
    """The page's save of a ticket's (or visit's) lines: a settled line or, after
    confirmation, any line is never deleted (a correction is an adjustment line), then
    :func:`save_lines`."""
    subject_of(session, ticket_no)
    doc = fee_doc_id(session, ticket_no)
    kept = {int(r["id"]) for r in rows if r.get("id") is not None}
    stored = (
        session.execute(
            select(FeeLine.id, FeeLine.settlement_id).where(FeeLine.doc_id == doc)
        ).all()
        if doc
        else []
    )
    dropped = [r for r in stored if r.id not in kept]
    if dropped:
        settled = settled_lines(session, [r.id for r in dropped])
        if settled:
            raise Refused(
                "fees.err.settled", value=ticket_no, statement=next(iter(settled.values()))
            )
        status = session.execute(select(FeeQuote.status).where(FeeQuote.id == doc)).scalar()
        if status == R.QuoteStatus.CONFIRMED:
            raise Refused("fees.err.change_reason", value=ticket_no, line="-")
    return save_lines(session, "fees", ticket_no, rows, actor=actor, now=now)


def ticket_lines(session: Session, ticket_no: str) -> list[dict[str, Any]]:
    """The ticket's (or visit's) fee lines (display rows with id and version)."""
    return list_lines(session, "fees", ticket_no)


@dataclass(frozen=True)
class QuoteView:
    ticket_no: str
    status: str
    quoted_total: Decimal | None
    quoted_at: dt.datetime | None
    confirmed_by: str | None
    confirmed_at: dt.datetime | None
    confirmed_via: str | None
    totals: dict[str, Decimal]
    in_warranty: bool
    contract: bool
    visit: bool = False  # a maintenance visit's document (not a ticket's)


def quote_of(session: Session, ticket_no: str) -> QuoteView:
    subject = subject_of(session, ticket_no)
    q = session.execute(select(FeeQuote).where(FeeQuote.doc_no == ticket_no)).scalar()
    cover = subject.cover
    sums = R.totals(
        dict(r._mapping)
        for r in session.execute(
            select(FeeLine.list_amount, FeeLine.discount, FeeLine.amount).where(
                FeeLine.doc_id == (q.id if q else None)
            )
        )
    )
    return QuoteView(
        ticket_no,
        q.status if q else R.QuoteStatus.DRAFT,
        q.quoted_total if q else None,
        q.quoted_at if q else None,
        q.confirmed_by if q else None,
        q.confirmed_at if q else None,
        q.confirmed_via if q else None,
        sums,
        cover.in_warranty,
        cover.under_contract,
        subject.visit_id is not None,
    )


def quote(session: Session, ticket_no: str, *, actor: Acting, now: dt.datetime) -> Decimal:
    """Quote the ticket's (or visit's) fees (its net total) for the customer to confirm."""
    need(actor, FeeAction.QUOTE, ticket_no)
    view = quote_of(session, ticket_no)
    if view.status == R.QuoteStatus.CONFIRMED:
        raise Refused("fees.err.already_confirmed", value=ticket_no)
    doc = fee_doc_id(session, ticket_no)
    if (
        not doc
        or not session.execute(select(FeeLine.id).where(FeeLine.doc_id == doc).limit(1)).first()
    ):
        raise Refused("fees.err.no_lines", value=ticket_no)
    total = view.totals["amount"]
    values = {"status": str(R.QuoteStatus.QUOTED), "quoted_total": total,
              "quoted_by_id": actor.id, "quoted_at": now, "updated_at": now}  # fmt: skip
    _update_doc(session, doc, values)
    record_money(session, entity="fee_quote", action=audit.Action.MONEY, key=ticket_no,
                 changes={"quoted_total": [view.quoted_total, total]}, user_id=actor.id,
                 now=now)  # fmt: skip
    return total


def confirm(
    session: Session,
    ticket_no: str,
    *,
    by: str,
    at: dt.datetime | None,
    via: str,
    actor: Acting,
    now: dt.datetime,
) -> None:
    """Record who at the customer confirmed the quote, when and how."""
    need(actor, FeeAction.QUOTE, ticket_no)
    view = quote_of(session, ticket_no)
    if view.status == R.QuoteStatus.CONFIRMED:
        raise Refused("fees.err.already_confirmed", value=ticket_no)
    if view.status != R.QuoteStatus.QUOTED:
        raise Refused("fees.err.not_quoted", value=ticket_no)
    if not (by or "").strip() or at is None or via not in set(R.ConfirmVia):
        raise Refused("fees.err.confirm_fields")
    values = {"status": str(R.QuoteStatus.CONFIRMED), "confirmed_by": by.strip()[:100],
              "confirmed_at": at, "confirmed_via": via, "recorded_by_id": actor.id,
              "updated_at": now}  # fmt: skip
    _update_doc(session, fee_doc_id(session, ticket_no), values)
    record_money(session, entity="fee_quote", action="confirm", key=ticket_no,
                 changes={"confirmed_by": by, "confirmed_at": at, "via": via,
                          "total": view.quoted_total}, user_id=actor.id, now=now)  # fmt: skip


def _update_doc(session: Session, doc_id: int | None, values: dict) -> None:
    t = FeeQuote.__table__
    session.execute(update(t).where(t.c.id == doc_id).values(version=t.c.version + 1, **values))
