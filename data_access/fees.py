"""Fees: the rate card, a ticket's fee lines, quotes, statements and payments.

Register writes (grid saves, imports) price every fee line in ``FeeLineHooks.after_write``
by the one coverage rule of :mod:`rules.fees`; the commands below (build from the
service report, quote, confirm, settle, pay, bank statement) write through the same
path or, for the statement and quote headers, audit every amount they set.

After the customer confirmed a quote, a fee line changes only with a reason given for
that change, by a manager; each such change is in the audit log (who, when, field, old,
new, reason). A settled line is locked: corrections are adjustment lines.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from data_access import audit
from data_access.audit import append_rows
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
    AuditLog,
    Customer,
    FeeLine,
    FeeQuote,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    Payment,
    ServiceReport,
    Settlement,
    StockMovement,
    Ticket,
    TicketPart,
    User,
)
from data_access.registers import SaveResult, save_changes
from data_access.settings import get_setting
from rules import fees as R
from rules.access import Acting, FeeAction, may_fee
from rules.tickets import Priority

FEE_ENTITIES = ("fees", "ratecard", "payments", "fee_change", "fee_quote", "settlements")


# ---------------------------------------------------------------- commands
def _subject(session: Session, no: str) -> Subject:
    """The ticket or maintenance visit a fee document no. names."""
    found = subjects_by_no(session, [no]).get(no)
    if found is None:
        raise Refused("fees.err.no_ticket", value=no)
    return found


def _doc_id(session: Session, no: str) -> int | None:
    return session.execute(select(FeeQuote.id).where(FeeQuote.doc_no == no)).scalar()


def _need(actor: Acting, action: FeeAction, what: str) -> None:
    if not may_fee(actor.role, action):
        raise NotAllowed(action, what)


def _check(result: SaveResult) -> SaveResult:
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
    subject = _subject(session, ticket_no)
    problem = visit_problem(subject)
    if problem:
        raise Refused(problem, value=ticket_no)
    doc = _doc_id(session, ticket_no)
    if doc and session.execute(select(FeeLine.id).where(FeeLine.doc_id == doc).limit(1)).first():
        raise Refused("fees.err.lines_exist", value=ticket_no)
    job = visit_job(session, subject) if subject.visit_id else job_of(session, subject)
    card = rates(session)
    rows = [{**ln, "line_no": i} for i, ln in enumerate(R.propose(job, card), 1)]
    if not rows:
        return 0
    ensure_documents(session, [ticket_no], now)
    _check(save_lines(session, "fees", ticket_no, rows, actor=actor, now=now))
    stored = list_lines(session, "fees", ticket_no)
    minimum = R.rate_on(card, R.FeeKind.MINIMUM, job.failure)
    top_up = R.minimum_top_up(stored, minimum, in_warranty=subject.cover.in_warranty)
    if top_up and minimum is not None:
        extra = {"kind": R.FeeKind.MINIMUM, "rate_code": minimum.code, "qty": 1,
                 "description": minimum.name_zh, "unit_price": top_up}  # fmt: skip
        _check(save_lines(session, "fees", ticket_no, [*stored, extra], actor=actor, now=now))
    return len(rows) + (1 if top_up else 0)


def bill_visit(session: Session, visit_no: str, *, actor: Acting, now: dt.datetime) -> int:
    """Bill this visit: the fee lines of a completed maintenance visit outside a
    contract (see :func:`build_lines`); then quote, confirm and settle it like a ticket."""
    subject = _subject(session, visit_no)
    if subject.visit_id is None:
        raise Refused("fees.err.no_visit", value=visit_no)
    return build_lines(session, visit_no, actor=actor, now=now)


def billable_visit(session: Session, visit_no: str) -> bool:
    """Whether "bill this visit" applies: a visit done, outside a contract, not billed."""
    subject = subjects_by_no(session, [visit_no]).get(visit_no)
    if subject is None or subject.visit_id is None or visit_problem(subject):
        return False
    doc = _doc_id(session, visit_no)
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
    _subject(session, ticket_no)
    doc = _doc_id(session, ticket_no)
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
    subject = _subject(session, ticket_no)
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
    _need(actor, FeeAction.QUOTE, ticket_no)
    view = quote_of(session, ticket_no)
    if view.status == R.QuoteStatus.CONFIRMED:
        raise Refused("fees.err.already_confirmed", value=ticket_no)
    doc = _doc_id(session, ticket_no)
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
    _need(actor, FeeAction.QUOTE, ticket_no)
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
    _update_doc(session, _doc_id(session, ticket_no), values)
    record_money(session, entity="fee_quote", action="confirm", key=ticket_no,
                 changes={"confirmed_by": by, "confirmed_at": at, "via": via,
                          "total": view.quoted_total}, user_id=actor.id, now=now)  # fmt: skip


def _update_doc(session: Session, doc_id: int | None, values: dict) -> None:
    t = FeeQuote.__table__
    session.execute(update(t).where(t.c.id == doc_id).values(version=t.c.version + 1, **values))


# ---------------------------------------------------------------- statements
def _next_no(session: Session, prefix: str) -> str:
    like = f"{prefix}%"
    taken = session.execute(
        select(func.count(Settlement.id)).where(Settlement.settlement_no.like(like))
    ).scalar_one()
    return f"{prefix}{taken + 1:04d}"


def _make_statement(
    session: Session,
    *,
    kind: R.SettlementKind,
    customer_id: int,
    subject: Subject | None,
    line_ids: list[int],
    total: Decimal,
    period: tuple[dt.date, dt.date] | None,
    actor: Acting,
    now: dt.datetime,
) -> str:
    prefix = f"{'YJ' if kind == R.SettlementKind.MONTHLY else 'JS'}{now:%Y%m}-"
    no = _next_no(session, prefix)
    t = Settlement.__table__
    sid = session.execute(
        insert(t).values(
            settlement_no=no, kind=str(kind), customer_id=customer_id,
            ticket_id=subject.ticket_id if subject else None,
            period_start=period[0] if period else None, period_end=period[1] if period else None,
            status=str(R.SettlementStatus.SETTLED if total != 0 else R.SettlementStatus.PAID),
            total=total, settled_by_id=actor.id, settled_at=now, version=1, created_at=now,
            updated_at=now,
        ).returning(t.c.id)
    ).scalar_one()  # fmt: skip
    f = FeeLine.__table__
    session.execute(update(f).where(f.c.id.in_(line_ids)).values(settlement_id=sid))
    record_money(session, entity="settlements", action=audit.Action.MONEY, key=no,
                 changes={"total": [None, total], "lines": len(line_ids), "kind": str(kind)},
                 user_id=actor.id, now=now)  # fmt: skip
    return no


def settle_ticket(session: Session, ticket_no: str, *, actor: Acting, now: dt.datetime) -> str:
    """A ticket's (or a billed visit's) statement over its unsettled lines (adjustments
    included); locked."""
    _need(actor, FeeAction.SETTLE, ticket_no)
    subject = _subject(session, ticket_no)
    doc = _doc_id(session, ticket_no)
    rows = (
        session.execute(
            select(FeeLine.id, FeeLine.amount).where(
                FeeLine.doc_id == doc, FeeLine.settlement_id.is_(None)
            )
        ).all()
        if doc
        else []
    )
    if not rows:
        raise Refused("fees.err.nothing_to_settle", value=ticket_no)
    total = sum((r.amount for r in rows), R.ZERO)
    return _make_statement(session, kind=R.SettlementKind.TICKET,
                           customer_id=subject.customer_id, subject=subject,
                           line_ids=[r.id for r in rows], total=total, period=None,
                           actor=actor, now=now)  # fmt: skip


def settle_month(
    session: Session, customer_code: str, month: dt.date, *, actor: Acting, now: dt.datetime
) -> str:
    """A customer's monthly statement (月结) over the unsettled lines of the tickets
    received and the visits done in ``month``; refused when there is nothing to settle."""
    _need(actor, FeeAction.SETTLE, customer_code)
    if session.execute(select(Customer.id).where(Customer.code == customer_code)).first() is None:
        raise Refused("fees.err.no_customer", value=customer_code)
    made = settle_months(session, month, actor=actor, now=now, customer_code=customer_code)
    if not made:
        raise Refused("fees.err.nothing_to_settle", value=f"{customer_code} {month:%Y-%m}")
    return made[0]


def _month_lines(start: dt.date, end: dt.date, *, unsettled: bool):
    """Per source (tickets received, visits done in [start, end]): a select of
    (customer id, line id, amount) over their fee lines."""
    lo = dt.datetime.combine(start, dt.time())
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    open_ = (FeeLine.settlement_id.is_(None),) if unsettled else ()
    tickets = (
        select(Ticket.customer_id.label("customer_id"), FeeLine.id, FeeLine.amount)
        .join(Ticket, Ticket.id == FeeLine.ticket_id)
        .where(Ticket.received_at >= lo, Ticket.received_at < hi, *open_)
    )
    v = MaintenanceVisit
    visits = (
        select(MaintenancePlan.customer_id.label("customer_id"), FeeLine.id, FeeLine.amount)
        .join(v, v.id == FeeLine.visit_id)
        .join(MaintenancePlan, MaintenancePlan.id == v.plan_id)
        # a range on the index: it seeks the visits' lines (IS NOT NULL made SQLite scan
        # every ticket's line)
        .where(FeeLine.visit_id > 0, v.done_at >= lo, v.done_at < hi, *open_)
    )
    return tickets, visits


def _by_customer(session: Session, sources, customer_id: int | None) -> dict[int, list]:
    """Per customer: [net sum, line count] over the sources' lines (one grouped query
    each, merged)."""
    out: dict[int, list] = {}
    for src in sources:
        sub = src.subquery()
        stmt = select(sub.c.customer_id, func.sum(sub.c.amount), func.count(sub.c.id)).group_by(
            sub.c.customer_id
        )
        if customer_id is not None:
            stmt = stmt.where(sub.c.customer_id == customer_id)
        for cid, total, n in session.execute(stmt):
            row = out.setdefault(cid, [R.ZERO, 0])
            row[0] += total or R.ZERO
            row[1] += n
    return out


def settle_months(
    session: Session,
    month: dt.date,
    *,
    actor: Acting,
    now: dt.datetime,
    customer_code: str | None = None,
) -> list[str]:
    """Monthly statements for every customer (or one) with unsettled fee lines on the
    tickets received or the maintenance visits done in ``month``, set-based: one
    grouped query per source, one insert of the statements, one statement locking the
    lines, one insert of their audit rows."""
    _need(actor, FeeAction.SETTLE, customer_code or "*")
    start, end = R.month_bounds(month)
    one = None
    if customer_code is not None:
        one = session.execute(select(Customer.id).where(Customer.code == customer_code)).scalar()
        if one is None:
            return []
    sources = _month_lines(start, end, unsettled=True)
    groups = sorted(_by_customer(session, sources, one).items())
    if not groups:
        return []
    prefix = f"YJ{now:%Y%m}-"
    first = int(_next_no(session, prefix)[len(prefix) :])
    t = Settlement.__table__
    heads = [
        {"settlement_no": f"{prefix}{first + i:04d}", "kind": str(R.SettlementKind.MONTHLY),
         "customer_id": cid, "ticket_id": None, "period_start": start,
         "period_end": end,
         "status": str(R.SettlementStatus.SETTLED if total else R.SettlementStatus.PAID),
         "total": R.money(total or 0), "settled_by_id": actor.id, "settled_at": now,
         "version": 1, "created_at": now, "updated_at": now}
        for i, (cid, (total, _n)) in enumerate(groups)
    ]  # fmt: skip
    session.execute(insert(t), heads)
    ids = dict(
        session.execute(
            select(t.c.customer_id, t.c.id).where(
                t.c.settlement_no.in_([h["settlement_no"] for h in heads])
            )
        ).all()
    )
    # the lines by id (a primary-key update each): a per-customer subquery made the
    # database scan every fee line once per statement
    found = []
    for src in sources:
        sub = src.subquery()
        found += session.execute(
            select(sub.c.id, sub.c.customer_id).where(sub.c.customer_id.in_(list(ids)))
        ).all()
    f = FeeLine.__table__
    session.execute(
        update(f).where(f.c.id == bindparam("b_id")).values(settlement_id=bindparam("b_sid")),
        [{"b_id": line_id, "b_sid": ids[cid]} for line_id, cid in found],
    )
    audit_rows = [
        {"key": h["settlement_no"], "action": str(audit.Action.MONEY),
         "changes": audit.plain_value({"total": [None, h["total"]], "lines": n,
                                       "kind": h["kind"]})}
        for h, (_c, (_t, n)) in zip(heads, groups, strict=True)
    ]  # fmt: skip
    append_rows(session, audit_rows, entity="settlements", user_id=actor.id, now=now)
    return [h["settlement_no"] for h in heads]


def monthly_totals(session: Session, start: dt.date, end: dt.date) -> list[tuple[int, Decimal]]:
    """Per customer, the net of the fee lines of the tickets received and the visits
    done in [start, end]: what monthly statements over that period would hold."""
    groups = _by_customer(session, _month_lines(start, end, unsettled=False), None)
    return [(cid, R.money(total or 0)) for cid, (total, _n) in sorted(groups.items())]


def statement_rows(
    session: Session,
    *,
    customer_code: str | None = None,
    statement_no: str | None = None,
    open_only: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Statements newest first with paid and outstanding amounts."""
    s = Settlement
    stmt = (
        select(s.settlement_no, s.kind, Customer.code.label("customer"), Customer.name,
               func.coalesce(Ticket.ticket_no, _visit_of(s)).label("ticket_no"),
               s.period_start, s.period_end, s.status, s.total,
               _paid_of(s.id).label("paid"), s.settled_at)
        .join(Customer, Customer.id == s.customer_id)
        .outerjoin(Ticket, Ticket.id == s.ticket_id)
        .order_by(s.settled_at.desc(), s.id.desc())
        .limit(limit)
    )  # fmt: skip
    if customer_code:
        stmt = stmt.where(Customer.code == customer_code)
    if statement_no:
        stmt = stmt.where(s.settlement_no == statement_no)
    if open_only:
        stmt = stmt.where(s.status == R.SettlementStatus.SETTLED)
    out = []
    for r in session.execute(stmt):
        row = dict(r._mapping)
        row["paid"] = R.money(row["paid"])
        row["outstanding"] = R.money(row["total"] - row["paid"])
        out.append(row)
    return out


def statement_lines(session: Session, statement_no: str) -> list[dict[str, Any]]:
    f = FeeLine
    rows = session.execute(
        select(f.doc_no, f.line_no, f.kind, f.description, f.qty, f.unit_price,
               f.list_amount, f.rule, f.discount, f.amount)
        .join(Settlement, Settlement.id == f.settlement_id)
        .where(Settlement.settlement_no == statement_no)
        .order_by(f.doc_no, f.line_no)
    ).all()  # fmt: skip
    return [dict(r._mapping) for r in rows]


def statement_display(session: Session, statement_no: str) -> tuple[dict[str, Any], list[tuple]]:
    """A statement's header and its lines as display tuples in ``STATEMENT_LINES`` order,
    closed by the total, paid and outstanding rows (for the Excel and printed copy)."""
    head = next((r for r in statement_rows(session, statement_no=statement_no)), None)
    if head is None:
        raise Refused("fees.err.no_statement", value=statement_no)
    names = [f.name for f in R.STATEMENT_LINES.fields]
    rows = [tuple(ln[n] for n in names) for ln in statement_lines(session, statement_no)]
    blank = [None] * (len(names) - 2)
    rows += [("合计 Total", *blank, head["total"]), ("已付 Paid", *blank, head["paid"]),
             ("未付 Outstanding", *blank, head["outstanding"])]  # fmt: skip
    return head, rows


def statement_payments(session: Session, statement_no: str) -> list[dict[str, Any]]:
    """The payments ledger rows of a statement, in posting order."""
    p = Payment
    rows = session.execute(
        select(p.payment_no, p.kind, p.paid_on, p.amount, p.method, p.reference, p.reason)
        .join(Settlement, Settlement.id == p.settlement_id)
        .where(Settlement.settlement_no == statement_no)
        .order_by(p.paid_on, p.id)
    ).all()
    return [dict(r._mapping) for r in rows]


def statement_of(session: Session, statement_no: str, *, actor: Acting) -> dict[str, Any]:
    """A statement for its printed copy: the header with total, paid and outstanding
    (:func:`statement_rows`), its lines, the lines' sums (:func:`rules.fees.totals`) and
    its payments. The money roles only, as the page's statements section."""
    _need(actor, FeeAction.QUOTE, statement_no)
    head = next(iter(statement_rows(session, statement_no=statement_no)), None)
    if head is None:
        raise Refused("fees.err.no_statement", value=statement_no)
    lines = statement_lines(session, statement_no)
    return {
        "head": head,
        "lines": lines,
        "totals": R.totals(lines),
        "payments": statement_payments(session, statement_no),
    }


# ---------------------------------------------------------------- payments
def _payment_no(session: Session, statement_no: str) -> str:
    n = session.execute(
        select(func.count(Payment.id))
        .join(Settlement)
        .where(Settlement.settlement_no == statement_no)
    ).scalar_one()
    return f"{statement_no}-{n + 1}"


def record_payment(
    session: Session,
    statement_no: str,
    *,
    amount: Decimal,
    paid_on: dt.date,
    method: str | None,
    kind: str = R.PaymentKind.PAYMENT,
    reference: str | None = None,
    reason: str | None = None,
    actor: Acting,
    now: dt.datetime,
) -> str:
    """Post a payment (or write-off, reversal) through the payments ledger."""
    _need(actor, FeeAction.PAY, statement_no)
    if not session.execute(
        select(Settlement.id).where(Settlement.settlement_no == statement_no)
    ).first():
        raise Refused("fees.err.no_statement", value=statement_no)
    no = _payment_no(session, statement_no)
    row = {"payment_no": no, "statement": statement_no, "kind": kind, "paid_on": paid_on,
           "amount": amount, "method": method, "reference": reference, "reason": reason}  # fmt: skip
    _check(save_changes(session, "payments", inserts=[row], updates=[], deletes=[], actor=actor,
                        now=now))  # fmt: skip
    return no


# ---------------------------------------------------------------- bank statements
BANK_COLUMNS = {
    "date": ("日期", "交易日期", "到账日期", "date", "value date"),
    "amount": ("金额", "收入金额", "贷方金额", "amount", "credit"),
    "memo": ("摘要", "备注", "附言", "用途", "memo", "remark", "reference"),
    "ref": ("流水号", "交易流水号", "凭证号", "transaction id"),
}
_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9\-]*[A-Z0-9]")


@dataclass(frozen=True)
class BankRow:
    row: int
    paid_on: dt.date
    amount: Decimal
    memo: str
    ref: str | None


def read_bank_statement(data: bytes) -> list[BankRow]:
    """The rows of a bank statement workbook (first sheet, header on the first row that
    names the columns). Refused with the row and column of the first bad cell."""
    from openpyxl import load_workbook

    from rules.fields import ValueProblem, normalize_label, parse_date, parse_decimal

    try:
        ws = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
    except Exception as exc:  # noqa: BLE001 - any unreadable file is one message
        raise Refused("fees.err.bank_file", value=type(exc).__name__) from None
    wanted = {k: {normalize_label(x) for x in v} for k, v in BANK_COLUMNS.items()}
    for h, header in enumerate(rows[:20]):
        start = h + 1
        pos = {}
        for i, cell in enumerate(header):
            for k, names in wanted.items():
                if normalize_label(cell) in names and k not in pos:
                    pos[k] = i
        if {"date", "amount", "memo"} <= pos.keys():
            break
    else:
        raise Refused("fees.err.bank_columns", value="日期/金额/摘要")
    out = []
    for n, cells in enumerate(rows[start:], start=start + 1):
        if all(c in (None, "") for c in cells):
            continue
        got = {k: cells[i] if i < len(cells) else None for k, i in pos.items()}
        get = got.get
        try:
            day = parse_date(get("date"))
            amount = parse_decimal(get("amount"))
        except ValueProblem as exc:
            raise Refused(
                "fees.err.bank_value", row=n, column=exc.code, value=exc.params.get("value")
            ) from None
        if day is None or amount is None:
            raise Refused("fees.err.bank_value", row=n, column="日期/金额", value="")
        ref = get("ref")
        out.append(
            BankRow(
                n, day, R.money(amount), str(get("memo") or ""), None if ref is None else str(ref)
            )
        )
    return out


def import_bank_statement(
    session: Session, data: bytes, *, actor: Acting, now: dt.datetime
) -> list[str]:
    """Post each bank row as a payment of the statement its memo names (a statement no.,
    or a ticket no. whose open statement is meant). A row matching nothing, or an amount
    above what is outstanding, refuses the whole file: nothing is written."""
    _need(actor, FeeAction.PAY, "bank")
    rows = read_bank_statement(data)
    posted = []
    for r in rows:
        no = _match(session, r.memo)
        if no is None:
            raise Refused("fees.err.bank_row", row=r.row, value=r.memo)
        posted.append(
            record_payment(
                session,
                no,
                amount=r.amount,
                paid_on=r.paid_on,
                method=R.PaymentMethod.BANK_TRANSFER,
                reference=(r.ref or r.memo)[:100],
                actor=actor,
                now=now,
            )  # fmt: skip
        )
    return posted


def _match(session: Session, memo: str) -> str | None:
    """The statement a bank memo names: a statement no. in it, else the latest statement
    of a ticket or visit no. in it (tokens of letters, digits and dashes)."""
    tokens = _TOKEN.findall(memo.upper())
    if not tokens:
        return None
    found = session.execute(
        select(Settlement.settlement_no).where(Settlement.settlement_no.in_(tokens))
    ).scalar()
    if found:
        return found
    return session.execute(
        select(Settlement.settlement_no)
        .join(FeeLine, FeeLine.settlement_id == Settlement.id)
        .where(FeeLine.doc_no.in_(tokens))
        .order_by(Settlement.settled_at.desc(), Settlement.id.desc())
        .limit(1)
    ).scalar()


# ---------------------------------------------------------------- receivables
def _visit_of(s):
    """A visit's statement: the visit no. its lines name (a ticket's: its ticket)."""
    return (
        select(func.min(FeeLine.doc_no))
        .where(
            FeeLine.settlement_id == s.id,
            FeeLine.visit_id.is_not(None),
            s.kind == R.SettlementKind.TICKET,
        )
        .scalar_subquery()
    )


def _paid_of(settlement_id):
    """The posted sum of a statement: a correlated sum over its payments (index)."""
    return (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.settlement_id == settlement_id)
        .scalar_subquery()
    )


def receivables(session: Session, today: dt.date) -> list[dict[str, Any]]:
    """Outstanding per customer by age (0–30, 31–60, 61–90, >90 days since settled):
    the open statements only (a paid one has nothing outstanding), each with the sum of
    its payments, then the pure bucketing."""
    s = Settlement
    rows = session.execute(
        select(s.customer_id, s.settled_at, s.total - _paid_of(s.id)).where(
            s.status == R.SettlementStatus.SETTLED
        )
    ).all()
    aged = R.ageing(((c, at.date(), o) for c, at, o in rows), today)
    names = (
        dict(
            session.execute(
                select(Customer.id, Customer.code).where(Customer.id.in_(list(aged)))
            ).all()
        )
        if aged
        else {}
    )
    out = []
    for cid, buckets in sorted(aged.items(), key=lambda kv: names.get(kv[0], "")):
        out.append({"customer": names.get(cid), **{str(b): v for b, v in buckets.items()},
                    "total": sum(buckets.values(), R.ZERO)})  # fmt: skip
    return out


# ---------------------------------------------------------------- the fee audit
def fee_audit(session: Session, limit: int | None = 2000) -> list[dict[str, Any]]:
    """Every audited fee event, newest first: rate card, lines, quotes, statements,
    payments (who, when, what, old → new, reason)."""
    a = AuditLog
    stmt = (
        select(a.id, a.at, a.username, a.entity, a.entity_key, a.action, a.changes)
        .where(a.entity.in_(FEE_ENTITIES))
        .order_by(a.at.desc(), a.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [dict(r._mapping) for r in session.execute(stmt)]


def fee_audit_display(session: Session) -> list[tuple]:
    """The fee audit as display tuples in :data:`data_access.audit.AUDIT_LOG` order."""
    return list(audit.display_rows(fee_audit(session, limit=None)))
