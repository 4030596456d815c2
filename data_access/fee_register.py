"""Fees through the register machinery: the hooks of the rate card, fee lines and
payments registers, the fee documents (a ticket's, or a maintenance visit's outside a
contract) and the pricing of their lines by the one coverage rule.

Kept apart from the commands (:mod:`data_access.fees`), which import the register
writes: :mod:`data_access.catalog` imports this module only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from data_access import audit
from data_access.adapters import Batch, Change, Deleted, Hooks, Refs, Written
from data_access.errors import NotAllowed, Refused
from data_access.models import (
    Device,
    FeeLine,
    FeeQuote,
    MaintenancePackage,
    MaintenancePlan,
    MaintenanceVisit,
    Part,
    Payment,
    RateCardItem,
    Settlement,
    Ticket,
    User,
)
from data_access.settings import get_setting
from rules import fees as R
from rules.access import SYSTEM, FeeAction, TicketAction, may_change_ticket, may_fee
from rules.fields import Problem


def record_money(session: Session, *, changes: dict[str, Any], **kw: Any) -> None:
    """:func:`data_access.audit.record` with amounts as exact text (nested ones too)."""
    audit.record(session, changes=audit.plain_value(changes), **kw)


# ---------------------------------------------------------------- settings
def part_pricing(session: Session) -> R.PartPricing:
    value = get_setting(session, R.SETTING_PART_PRICING)
    return R.PartPricing(value) if value in set(R.PartPricing) else R.PartPricing.COST


def write_off_limit(session: Session) -> Decimal:
    value = get_setting(session, R.SETTING_WRITE_OFF_LIMIT)
    return R.money(value) if value is not None else R.DEFAULT_WRITE_OFF_LIMIT


def _contract_default(session: Session) -> Decimal:
    value = get_setting(session, R.SETTING_CONTRACT_PCT)
    return Decimal(str(value)) if value is not None else R.DEFAULT_CONTRACT_PCT


def _role_of(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return SYSTEM
    return session.execute(select(User.role).where(User.id == user_id)).scalar() or ""


# ---------------------------------------------------------------- the rate card
def rates(session: Session) -> list[R.Rate]:
    t = RateCardItem
    rows = session.execute(
        select(
            t.code,
            t.kind,
            t.name_zh,
            t.unit,
            t.basis,
            t.price,
            t.valid_from,
            t.valid_to,
            t.variant,
            t.km_from,
            t.km_to,
        )  # fmt: skip
    ).all()
    return [R.Rate(*r) for r in rows]


class RateHooks(Hooks):
    """A changed rate version needs a reason for that change; versions of one code
    must not overlap; every change is in the audit log with its reason."""

    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        for before, diff in change.updated:
            if not (diff.get("change_reason") or "").strip():
                raise Refused("fees.err.rate_reason", value=before["rate_key"])
            changes: dict[str, Any] = {
                k: [before.get(k), v] for k, v in diff.items() if k != "change_reason"
            }
            changes["reason"] = diff["change_reason"]
            record_money(session, entity="ratecard", action=audit.Action.MONEY,
                         key=before["rate_key"], changes=changes, user_id=change.user_id,
                         now=change.now)  # fmt: skip
        clash = R.overlapping_versions(rates(session))
        if clash:
            code, start = clash[0]
            raise Refused("fees.err.rate_overlap", value=R.rate_key(code, start))


# ---------------------------------------------------------------- what a fee document bills
@dataclass(frozen=True)
class Subject:
    """What a fee document bills: a ticket, or a maintenance visit outside a contract.
    ``cover`` is the device's warranty and contract on the failure date (a ticket: the
    day received; a visit: the day done)."""

    no: str
    ticket_id: int | None
    visit_id: int | None
    customer_id: int
    engineer_id: int | None
    status: str
    cover: R.Cover


def _covers(session: Session, rows: Sequence[Any], days: Sequence[dt.date]) -> list[R.Cover]:
    pct = _contract_pcts(session, [r.device_id for r in rows if r.device_id])
    default = _contract_default(session)
    return [
        R.Cover(
            failure=day,
            warranty_end=r.warranty_end,
            install_date=r.install_date,
            contract_end=r.contract_end,
            contract_pct=pct.get(r.device_id, default) if r.contract_end else R.ZERO,
        )
        for r, day in zip(rows, days, strict=True)
    ]


def _ticket_subjects(session: Session, where: Any) -> list[Subject]:
    t, d = Ticket, Device
    rows = session.execute(
        select(t.id, t.ticket_no.label("no"), t.customer_id, t.engineer_id, t.status,
               t.received_at.label("day"), d.id.label("device_id"), d.warranty_end,
               d.install_date, d.contract_end)
        .outerjoin(d, d.id == t.device_id)
        .where(where)
    ).all()  # fmt: skip
    covers = _covers(session, rows, [r.day.date() for r in rows])
    return [
        Subject(r.no, r.id, None, r.customer_id, r.engineer_id, r.status, cover)
        for r, cover in zip(rows, covers, strict=True)
    ]


def _visit_subjects(session: Session, where: Any) -> list[Subject]:
    v, p, d = MaintenanceVisit, MaintenancePlan, Device
    rows = session.execute(
        select(v.id, v.visit_no.label("no"), p.customer_id, v.engineer_id, v.status,
               v.done_at, v.due_date, d.id.label("device_id"),
               d.warranty_end, d.install_date, d.contract_end)
        .join(p, p.id == v.plan_id)
        .outerjoin(d, d.id == p.device_id)
        .where(where)
    ).all()  # fmt: skip
    # a visit's failure date: the day it was done (else the day it was due)
    days = [r.done_at.date() if r.done_at else r.due_date for r in rows]
    covers = _covers(session, rows, days)
    return [
        Subject(r.no, None, r.id, r.customer_id, r.engineer_id, r.status, cover)
        for r, cover in zip(rows, covers, strict=True)
    ]


def subjects_by_no(session: Session, nos: Sequence[str]) -> dict[str, Subject]:
    """Tickets by ticket no., then maintenance visits by visit no. for the rest."""
    wanted = sorted(set(nos))
    out = {x.no: x for x in _ticket_subjects(session, Ticket.ticket_no.in_(wanted))}
    rest = [n for n in wanted if n not in out]
    if rest:
        out.update((x.no, x) for x in _visit_subjects(session, MaintenanceVisit.visit_no.in_(rest)))
    return out


def visit_problem(subject: Subject) -> str | None:
    """Why a visit may not be billed (None: it may): not done yet, or under contract."""
    if subject.visit_id is None:
        return None
    if subject.status not in VISIT_DONE:
        return "fees.err.visit_not_done"
    if not R.visit_billable(subject.cover):
        return "fees.err.visit_contract"
    return None


VISIT_DONE = frozenset({"done", "partly_done"})


def ensure_documents(session: Session, nos: Sequence[str], now: dt.datetime) -> dict[str, int]:
    """The fee document of each ticket or visit no., made (a draft) where there is none
    yet. An unknown number, a visit not done or under contract: refused."""
    t = FeeQuote.__table__
    wanted = sorted(set(nos))
    found = dict(session.execute(select(t.c.doc_no, t.c.id).where(t.c.doc_no.in_(wanted))).all())
    missing = [n for n in wanted if n not in found]
    if not missing:
        return found
    subjects = subjects_by_no(session, missing)
    for no in missing:
        subject = subjects.get(no)
        if subject is None:
            raise Refused("fees.err.no_document", value=no)
        problem = visit_problem(subject)
        if problem:
            raise Refused(problem, value=no)
    session.execute(
        insert(t),
        [{"doc_no": no, "ticket_id": subjects[no].ticket_id, "visit_id": subjects[no].visit_id,
          "status": str(R.QuoteStatus.DRAFT), "version": 1, "created_at": now,
          "updated_at": now} for no in missing],
    )  # fmt: skip
    found.update(session.execute(select(t.c.doc_no, t.c.id).where(t.c.doc_no.in_(missing))).all())
    return found


# ---------------------------------------------------------------- pricing a document's lines
@dataclass(frozen=True)
class DocFacts:
    id: int
    doc_no: str
    subject: Subject
    quote_status: str | None
    locked: bool  # some line is on a settled statement

    @property
    def cover(self) -> R.Cover:
        return self.subject.cover

    @property
    def customer_id(self) -> int:
        return self.subject.customer_id


def doc_facts(session: Session, doc_ids: Sequence[int]) -> dict[int, DocFacts]:
    """The coverage inputs of each fee document on its failure date."""
    if not doc_ids:
        return {}
    q = FeeQuote
    docs = session.execute(
        select(q.id, q.doc_no, q.ticket_id, q.visit_id, q.status).where(q.id.in_(list(doc_ids)))
    ).all()
    tickets = {x.ticket_id: x for x in _ticket_subjects(
        session, Ticket.id.in_([d.ticket_id for d in docs if d.ticket_id]))}  # fmt: skip
    visits = {x.visit_id: x for x in _visit_subjects(
        session, MaintenanceVisit.id.in_([d.visit_id for d in docs if d.visit_id]))}  # fmt: skip
    locked = set(
        session.execute(
            select(FeeLine.doc_id)
            .join(Settlement, Settlement.id == FeeLine.settlement_id)
            .where(FeeLine.doc_id.in_(list(doc_ids)), Settlement.status.in_(list(R.LOCKED)))
        ).scalars()
    )
    return {
        d.id: DocFacts(
            d.id,
            d.doc_no,
            tickets[d.ticket_id] if d.ticket_id else visits[d.visit_id],
            d.status,
            d.id in locked,
        )
        for d in docs
    }


def _contract_pcts(session: Session, device_ids: Sequence[int]) -> dict[int, Decimal]:
    """The repair discount of each device's active maintenance plan's package."""
    if not device_ids:
        return {}
    p, k = MaintenancePlan, MaintenancePackage
    rows = session.execute(
        select(p.device_id, k.repair_discount_pct)
        .join(k, k.id == p.package_id)
        .where(p.device_id.in_(list(device_ids)), p.active.is_(True))
        .order_by(p.start_date)
    ).all()
    return {r.device_id: Decimal(r.repair_discount_pct) for r in rows}


def _part_terms(
    session: Session, part_ids: set[int]
) -> dict[int, tuple[R.PartTerms, Decimal | None]]:
    if not part_ids:
        return {}
    use_cost = part_pricing(session) == R.PartPricing.COST
    rows = session.execute(
        select(Part.id, Part.warranty_months, Part.is_wear, Part.unit_cost, Part.price).where(
            Part.id.in_(list(part_ids))
        )
    ).all()
    return {
        r.id: (
            R.PartTerms(r.warranty_months, bool(r.is_wear)),
            r.unit_cost if use_cost else r.price,
        )
        for r in rows
    }


def price_documents(session: Session, doc_ids: Sequence[int]) -> None:
    """Recompute the rule, list amount, discount and net of every unsettled line of the
    documents; a blank unit price takes the rate card's (valid on the failure date) or
    the part's; a covered line priced differently needs an override reason."""
    facts = doc_facts(session, doc_ids)
    f = FeeLine
    lines = session.execute(
        select(f.id, f.doc_id, f.line_no, f.kind, f.rate_code, f.part_id, f.qty, f.unit_price,
               f.override_reason, f.list_amount, f.rule, f.discount_pct, f.discount, f.amount)
        .where(f.doc_id.in_(list(doc_ids)), f.settlement_id.is_(None))
    ).all()  # fmt: skip
    if not lines:
        return
    card = rates(session)
    parts = _part_terms(session, {ln.part_id for ln in lines if ln.part_id})
    changed = []
    for ln in lines:
        cover = facts[ln.doc_id].cover
        terms, part_price = parts.get(ln.part_id, (None, None)) if ln.part_id else (None, None)
        expected = part_price
        if ln.rate_code:
            found = [r for r in card if r.code == ln.rate_code and r.valid_on(cover.failure)]
            expected = max(found, key=lambda r: r.valid_from).price if found else None
        price = ln.unit_price if ln.unit_price is not None else expected
        priced = R.price_line(ln.kind, ln.qty, price, cover, terms, ln.override_reason)
        if (
            priced.rule in R.FREE_RULES
            and ln.unit_price is not None
            and expected is not None
            and ln.unit_price != expected
            and ln.kind != R.FeeKind.RUSH  # a percent rush's price is computed
        ):
            raise Refused("fees.err.covered_price", line=ln.line_no)
        new = {"unit_price": price, "list_amount": priced.list_amount, "rule": str(priced.rule),
               "discount_pct": priced.discount_pct, "discount": priced.discount,
               "amount": priced.net}  # fmt: skip
        old = {k: getattr(ln, k) for k in new}
        if old != new:
            changed.append({"b_id": ln.id, **new})
    if changed:
        t = FeeLine.__table__
        stmt = (
            update(t)
            .where(t.c.id == bindparam("b_id"))
            .values({k: bindparam(k) for k in changed[0] if k != "b_id"})
        )
        session.execute(stmt, changed)


class FeeLineHooks(Hooks):
    """Fee lines: the document's ticket or visit, description from the part; the
    document made on first use; an engineer's own jobs only; locks, reasons and
    approval after confirmation; every line priced by the one coverage rule."""

    columns = ("ticket_id", "visit_id")

    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        part = refs.get("part_no")
        if part is not None and values.get("description") is None:
            values["description"] = part.get("name")
        doc = refs.get("document")
        if doc is not None:
            values["ticket_id"], values["visit_id"] = doc["ticket_id"], doc["visit_id"]
        elif "document" in refs:  # a ticket or visit without a fee document yet
            values["ticket_id"] = values["visit_id"] = None
        return []

    def before_write(self, session: Session, batch: Batch) -> None:
        _attach(session, list(batch.inserts), batch.now)
        _attach(session, [d for _, d in batch.updates if "doc_id" in d], batch.now)

    def after_write(self, session: Session, change: Change) -> None:
        match change:
            case Written():
                self._written(session, change)
            case Deleted():
                self._deleted(session, change)

    def _written(self, session: Session, written: Written) -> None:
        inserted, updated = written.inserted, written.updated
        doc_of = {r["id"]: r["doc_id"] for r in inserted}
        doc_of.update((b["id"], d.get("doc_id", b["doc_id"])) for b, d in updated)
        ids = set(doc_of.values())
        facts = doc_facts(session, list(ids))
        _may_propose(session, written.user_id, facts.values())
        settled = settled_lines(session, [b["id"] for b, _ in updated])
        for before, _ in updated:
            if before["id"] in settled:
                fact = facts[doc_of[before["id"]]]
                raise Refused(
                    "fees.err.settled", value=fact.doc_no, statement=settled[before["id"]]
                )
        for row in inserted:
            fact = facts[row["doc_id"]]
            if fact.locked and row["kind"] != R.FeeKind.ADJUSTMENT:
                raise Refused("fees.err.settled", value=fact.doc_no, statement="")
        confirmed = [
            (b, d, facts[doc_of[b["id"]]]) for b, d in updated
            if facts[doc_of[b["id"]]].quote_status == R.QuoteStatus.CONFIRMED
        ] + [
            ({}, r, facts[r["doc_id"]]) for r in inserted
            if facts[r["doc_id"]].quote_status == R.QuoteStatus.CONFIRMED
        ]  # fmt: skip
        if confirmed:
            self._approve(session, written, confirmed)
        price_documents(session, list(ids))

    @staticmethod
    def _deleted(session: Session, deleted: Deleted) -> None:
        """A settled line, or any line of a confirmed quote, is never deleted (by the
        grid or an import either): a correction is an adjustment line."""
        ids = sorted({r["doc_id"] for r in deleted.rows})
        facts = doc_facts(session, ids)
        _may_propose(session, deleted.user_id, facts.values())
        settled = settled_lines(session, [r["id"] for r in deleted.rows])
        for row in deleted.rows:
            fact = facts[row["doc_id"]]
            if row["id"] in settled or row.get("settlement_id") is not None:
                raise Refused("fees.err.settled", value=fact.doc_no,
                              statement=settled.get(row["id"], ""))  # fmt: skip
            if fact.quote_status == R.QuoteStatus.CONFIRMED:
                raise Refused("fees.err.change_reason", value=fact.doc_no, line=row["line_no"])

    @staticmethod
    def _approve(session: Session, written: Written, changes: list) -> None:
        role = _role_of(session, written.user_id)
        for before, diff, fact in changes:
            line = diff.get("line_no", before.get("line_no"))
            if not may_fee(role, FeeAction.APPROVE):
                raise Refused("fees.err.manager_only", value=fact.doc_no)
            reason = (diff.get("change_reason") or "").strip()
            if not reason:
                raise Refused("fees.err.change_reason", value=fact.doc_no, line=line)
            fields = {
                k: [before.get(k), v] for k, v in diff.items()
                if k not in ("change_reason", "id", "doc_id", "ticket_id", "visit_id", "version")
            }  # fmt: skip
            record_money(session, entity="fee_change", action="insert" if not before else "update",
                         key=f"{fact.doc_no}/{line}", changes={**fields, "reason": reason},
                         user_id=written.user_id, now=written.now)  # fmt: skip


def _attach(session: Session, rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """Lines naming a ticket or visit that has no fee document yet: the document is made
    and the lines joined to it and to its ticket or visit (in place)."""
    loose = [r for r in rows if r.get("doc_id") is None and r.get("doc_no")]
    if not loose:
        return
    docs = ensure_documents(session, [r["doc_no"] for r in loose], now)
    heads = {
        d.id: d
        for d in session.execute(
            select(FeeQuote.id, FeeQuote.ticket_id, FeeQuote.visit_id).where(
                FeeQuote.id.in_(list(docs.values()))
            )
        )
    }
    for r in loose:
        head = heads[docs[r["doc_no"]]]
        r.update(doc_id=head.id, ticket_id=head.ticket_id, visit_id=head.visit_id)


def _may_propose(session: Session, user_id: int | None, facts: Any) -> None:
    """An engineer proposes the lines of his own tickets and visits only."""
    role = _role_of(session, user_id)
    if role == SYSTEM or may_change_ticket(role, user_id, None, TicketAction.REPORT):
        return
    for fact in facts:
        if not may_change_ticket(role, user_id, fact.subject.engineer_id, TicketAction.REPORT):
            raise NotAllowed(TicketAction.REPORT, fact.doc_no)


def settled_lines(session: Session, line_ids: Sequence[int]) -> dict[int, str]:
    if not line_ids:
        return {}
    rows = session.execute(
        select(FeeLine.id, Settlement.settlement_no)
        .join(Settlement, Settlement.id == FeeLine.settlement_id)
        .where(FeeLine.id.in_(list(line_ids)), Settlement.status.in_(list(R.LOCKED)))
    ).all()
    return {r.id: r.settlement_no for r in rows}


# ---------------------------------------------------------------- payments
class PaymentHooks(Hooks):
    """Payments post against settled statements only, never above what is outstanding;
    a write-off up to the set limit; a statement paid in full turns ``paid``."""

    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        limit = write_off_limit(session)
        by_statement: dict[int, list[dict]] = {}
        for row in change.inserted:
            by_statement.setdefault(row["settlement_id"], []).append(row)
        heads = {
            s.id: s
            for s in session.execute(
                select(Settlement).where(Settlement.id.in_(list(by_statement)))
            ).scalars()
        }
        posted = _posted(session, list(by_statement))
        for sid, rows in by_statement.items():
            head = heads[sid]
            if head.status not in R.LOCKED:
                raise Refused("fees.err.not_settled", value=head.settlement_no)
            before = head.total - (posted.get(sid, R.ZERO) - sum(r["amount"] for r in rows))
            balance = R.money(before)
            for r in sorted(rows, key=lambda r: r["payment_no"]):
                problem = R.payment_problem(r["kind"], r["amount"], balance, limit)
                if problem:
                    raise Refused(problem, value=head.settlement_no, balance=balance,
                                  amount=r["amount"], limit=limit)  # fmt: skip
                balance -= r["amount"]
                record_money(session, entity="payments", action=audit.Action.MONEY,
                             key=r["payment_no"], user_id=change.user_id, now=change.now,
                             changes={"statement": head.settlement_no, "kind": r["kind"],
                                      "amount": r["amount"], "outstanding": [before, balance],
                                      "reason": r.get("reason")})  # fmt: skip
                before = balance
            status = R.SettlementStatus.PAID if balance == 0 else R.SettlementStatus.SETTLED
            if head.status != status:
                session.execute(
                    update(Settlement.__table__)
                    .where(Settlement.__table__.c.id == sid)
                    .values(
                        status=str(status),
                        updated_at=change.now,
                        version=Settlement.__table__.c.version + 1,
                    )  # fmt: skip
                )


def _posted(session: Session, settlement_ids: Sequence[int]) -> dict[int, Decimal]:
    if not settlement_ids:
        return {}
    rows = session.execute(
        select(Payment.settlement_id, func.sum(Payment.amount))
        .where(Payment.settlement_id.in_(list(settlement_ids)))
        .group_by(Payment.settlement_id)
    ).all()
    return {sid: Decimal(total or 0) for sid, total in rows}
