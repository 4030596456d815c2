"""Fee statements (a ticket's, a customer's month), payments through the payments
ledger, the statement a bank memo names, and receivables by age."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from data_access import audit
from data_access.audit import append_rows
from data_access.errors import Refused
from data_access.fee_lines import checked, fee_doc_id, need, subject_of
from data_access.fee_register import (
    Subject,
    record_money,
)
from data_access.models import (
    Customer,
    FeeLine,
    MaintenancePlan,
    MaintenanceVisit,
    Payment,
    Settlement,
    Ticket,
)
from data_access.registers import save_changes
from rules import fees as R
from rules.access import Acting, FeeAction


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
    need(actor, FeeAction.SETTLE, ticket_no)
    subject = subject_of(session, ticket_no)
    doc = fee_doc_id(session, ticket_no)
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
    need(actor, FeeAction.SETTLE, customer_code)
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
    need(actor, FeeAction.SETTLE, customer_code or "*")
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
    need(actor, FeeAction.QUOTE, statement_no)
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
    need(actor, FeeAction.PAY, statement_no)
    if not session.execute(
        select(Settlement.id).where(Settlement.settlement_no == statement_no)
    ).first():
        raise Refused("fees.err.no_statement", value=statement_no)
    no = _payment_no(session, statement_no)
    row = {"payment_no": no, "statement": statement_no, "kind": kind, "paid_on": paid_on,
           "amount": amount, "method": method, "reference": reference, "reason": reason}  # fmt: skip
    checked(save_changes(session, "payments", inserts=[row], updates=[], deletes=[], actor=actor,
                        now=now))  # fmt: skip
    return no


# ---------------------------------------------------------------- bank statements (SQL)
# the file's reading and posting: imports.bank_statement
_TOKEN = re.compile(r"[A-Z0-9][A-Z0-9\-]*[A-Z0-9]")


def statement_for_memo(session: Session, memo: str) -> str | None:
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
