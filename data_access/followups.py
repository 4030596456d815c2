"""Follow-up calls and satisfaction: the caller's commands, the queue generation
(idempotent), the caller's queue, CSAT and the threshold review. The register hooks
(every rating kept as its own row; a low score opens a complaint on the ticket and
engineer) are in :mod:`data_access.followup_register`.

Ticket closing plans its follow-up in :mod:`data_access.deadlines` (the follow-up
delay setting); the rules here add the other reasons. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data_access.catalog import adapter
from data_access.errors import InvalidInput, NotAllowed
from data_access.followup_register import FollowupFilter
from data_access.models import (
    Complaint,
    Customer,
    Device,
    FollowUp,
    FollowUpRating,
    MaintenancePlan,
    MaintenanceVisit,
    SatisfactionReview,
    Setting,
    Ticket,
    User,
)
from data_access.registers import save_changes
from data_access.tickets import create_ticket
from data_access.writes import apply
from rules import complaints as C
from rules import followups as R
from rules.access import Acting, Actor, Role
from rules.dashboard import REVIEW_SATISFACTION_BELOW
from rules.fields import Problem

CALL_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.QUALITY})
REVIEW_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
MAINTENANCE_DELAY_DAYS = 3
COMPLAINT_DELAY_DAYS = 7


# ---------------------------------------------------------------- helpers
def _require(actor: Acting, roles: frozenset[str], action: str, what: str) -> None:
    if actor.role not in roles:
        raise NotAllowed(action, what)


def _save(session: Session, actor: Acting, now: dt.datetime, **kw) -> None:
    result = save_changes(
        session, "followups", inserts=kw.get("inserts", []), updates=kw.get("updates", []),
        deletes=[], actor=Actor(actor.id, Role.AGENT), now=now,
    )  # fmt: skip
    if result.problems:
        raise InvalidInput(list(result.problems))


def _get(session: Session, followup_no: str) -> FollowUp:
    found = session.scalars(select(FollowUp).where(FollowUp.followup_no == followup_no)).first()
    if found is None:
        raise InvalidInput(
            [Problem("followup_no", "followups.err.not_found", {"value": followup_no})]
        )
    return found


def _setting(session: Session, key: str) -> Any:
    return session.scalar(select(Setting.value).where(Setting.key == key))


# ---------------------------------------------------------------- caller's commands
@dataclass(frozen=True)
class CallResult:
    outcome: str
    mode: str = R.Mode.PHONE
    content: str | None = None
    opinions: str | None = None
    suggestions: str | None = None
    quality: int | None = None
    attitude: int | None = None
    efficiency: int | None = None
    comment: str | None = None
    issue: str | None = None


def record_outcome(
    session: Session, followup_no: str, result: CallResult, *, actor: Acting, now: dt.datetime
) -> dict[str, Any]:
    """One call: the outcome (a fourth retry refused), and when reached the content and
    scores. Scores are a new rating row; a score ≤ 2 needs a comment and opens a
    complaint. The rated engineer cannot record his own rating. Nothing is written
    when anything is wrong."""
    _require(actor, CALL_ROLES, "call", followup_no)
    f = _get(session, followup_no)
    if (f.attempts or 0) >= 1 + R.MAX_RETRIES:  # a fourth retry
        raise InvalidInput([Problem("outcome", "followups.err.retries", {"max": R.MAX_RETRIES})])
    if f.status in (R.Status.DONE, R.Status.CANCELLED, R.Status.UNREACHABLE) and not (
        f.status == R.Status.DONE and result.outcome == R.Outcome.DONE
    ):
        raise InvalidInput([Problem("status", "followups.err.finished", {"value": followup_no})])
    problems: list[Problem] = []
    if result.outcome not in set(R.Outcome):
        raise InvalidInput([Problem("outcome", "err.enum", {"value": result.outcome})])
    step = R.after_call(result.outcome, f.attempts or 0, now)
    if isinstance(step, Problem):
        raise InvalidInput([step])
    scores = (result.quality, result.attitude, result.efficiency)
    if result.outcome == R.Outcome.DONE:
        problems += R.rating_problems(*scores, result.comment)
        engineer = f.engineer_id or (
            session.scalar(select(Ticket.engineer_id).where(Ticket.id == f.ticket_id))
            if f.ticket_id else None
        )  # fmt: skip
        if scores[0] is not None and R.self_rating(actor.id, engineer):
            problems.append(Problem("caller", "followups.err.self_rating"))
    if problems:
        raise InvalidInput(problems)
    values: dict[str, Any] = {
        "outcome": result.outcome, "attempts": step.attempts, "status": step.status,
        "next_try_at": step.next_try_at, "mode": result.mode,
    }  # fmt: skip
    caller = session.scalar(select(User.username).where(User.id == actor.id)) if actor.id else None
    if caller:
        values["caller"] = caller
    if result.outcome == R.Outcome.DONE:
        values.update(
            done_at=now, content=result.content, opinions=result.opinions,
            suggestions=result.suggestions, issue_raised=result.issue,
        )  # fmt: skip
        if scores[0] is not None:
            values.update(
                rating_quality=scores[0], rating_attitude=scores[1],
                rating_efficiency=scores[2], rating_comment=result.comment,
            )  # fmt: skip
    before = f.complaint_id
    _save(session, actor, now, updates=[{"id": f.id, "version": f.version, **values}])
    session.expire(f)
    complaint = None
    if f.complaint_id != before and f.complaint_id:
        complaint = session.scalar(
            select(Complaint.complaint_no).where(Complaint.id == f.complaint_id)
        )
    return {"status": f.status, "attempts": f.attempts, "complaint_no": complaint}


def open_issue_ticket(
    session: Session, followup_no: str, *, actor: Acting, now: dt.datetime
) -> str:
    """An issue the customer raised on a call becomes a ticket, tracked to closure
    (:func:`issue_closed` reads the ticket's status). Returns the ticket number."""
    _require(actor, CALL_ROLES, "issue", followup_no)
    f = _get(session, followup_no)
    if not (f.issue_raised or "").strip():
        raise InvalidInput([Problem("issue_raised", "err.required")])
    if f.issue_ticket_id is not None:
        return session.scalar(select(Ticket.ticket_no).where(Ticket.id == f.issue_ticket_id))
    ticket = create_ticket(
        session, customer_id=f.customer_id, channel="phone", priority="standard",
        fault_description=f.issue_raised.strip(), received_at=now, actor=actor, now=now,
    )  # fmt: skip
    f.issue_ticket_id, f.issue_closed = ticket.id, False
    session.flush()
    return ticket.ticket_no


def sync_issue_status(session: Session) -> int:
    """Issues whose ticket has closed are closed too (tracked to closure)."""
    f = FollowUp.__table__
    closed = select(Ticket.id).where(Ticket.status == "closed")
    done = session.execute(
        update(f)
        .where(f.c.issue_ticket_id.in_(closed), f.c.issue_closed.is_not(True))
        .values(issue_closed=True, version=f.c.version + 1)
    )
    return done.rowcount or 0


def add_followup(
    session: Session,
    *,
    customer: str,
    due: dt.date,
    reason: str,
    actor: Acting,
    now: dt.datetime,
    mode: str = R.Mode.PHONE,
    ticket: str | None = None,
) -> str:
    """A follow-up planned by hand (an unknown customer is refused)."""
    _require(actor, CALL_ROLES, "plan", "followups")
    no = f"HF-{now:%Y%m%d%H%M%S}-{customer}"[:40]
    row = {"followup_no": no, "customer": customer, "due_date": due, "reason": reason,
           "mode": mode, "status": R.Status.PLANNED, "attempts": 0, "ticket": ticket}  # fmt: skip
    _save(session, actor, now, inserts=[row])
    return no


def plan_after_complaint(session: Session, c: Complaint, now: dt.datetime, delay: int) -> None:
    """After a complaint closes: a call asking whether the customer stays satisfied."""
    p = R.complaint_call(c.customer_id, c.id, c.complaint_no, c.rounds, now.date(), delay)
    _insert_planned(session, [p], now)


# ---------------------------------------------------------------- queue generation
def _insert_planned(session: Session, planned: Sequence[R.Planned], now: dt.datetime) -> int:
    """Insert the planned calls whose number is not taken yet (idempotent)."""
    if not planned:
        return 0
    numbers = [p.followup_no for p in planned]
    taken: set[str] = set()
    for i in range(0, len(numbers), 5000):
        part = numbers[i : i + 5000]
        taken.update(
            session.scalars(select(FollowUp.followup_no).where(FollowUp.followup_no.in_(part)))
        )
    ad = adapter("followups")
    base = ad.column_defaults()
    rows = [
        {**base, "followup_no": p.followup_no, "customer_id": p.customer_id,
         "ticket_id": p.ticket_id, "complaint_id": p.complaint_id, "reason": p.reason.value,
         "mode": p.mode.value, "due_date": p.due, "status": R.Status.PLANNED.value, "attempts": 0}
        for p in planned if p.followup_no not in taken
    ]  # fmt: skip
    if rows:
        apply(session, ad, inserts=rows, now=now, user_id=None, audit_rows=False)
    return len(rows)


def grade_months_setting(session: Session) -> dict[str, int]:
    value = _setting(session, R.GRADE_MONTHS_SETTING)
    return value if isinstance(value, dict) else dict(R.GRADE_MONTHS_DEFAULT)


def generate_queue(session: Session, year: int, *, actor: Acting, now: dt.datetime) -> int:
    """The year's calls by the rules: periodic per customer grade (at least quarterly,
    skipping periods another call covers), new installations within a month,
    maintenance visits done, complaints closed. Running it again adds nothing."""
    _require(actor, CALL_ROLES | {"system"}, "generate", "followups")
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    months = grade_months_setting(session)
    covered: dict[int, list[dt.date]] = {}
    for cid, due in session.execute(
        select(FollowUp.customer_id, FollowUp.due_date).where(
            FollowUp.due_date >= start, FollowUp.due_date < end,
            FollowUp.status != R.Status.CANCELLED, FollowUp.reason != R.Reason.PERIODIC,
        )
    ):  # fmt: skip
        covered.setdefault(cid, []).append(due)
    planned: list[R.Planned] = []
    for cid, code, grade in session.execute(
        select(Customer.id, Customer.code, Customer.grade).order_by(Customer.id)
    ):
        planned += R.periodic_plan(cid, code, grade, year, covered.get(cid, ()), months)
    for cid, serial, installed in session.execute(
        select(Device.customer_id, Device.serial_no, Device.install_date).where(
            Device.install_date >= start - dt.timedelta(days=R.INSTALL_WITHIN_DAYS),
            Device.install_date < end,
        )
    ):
        planned.append(R.install_call(cid, serial, installed))
    for vid, cid, done in session.execute(
        select(MaintenanceVisit.id, MaintenancePlan.customer_id, MaintenanceVisit.done_at)
        .join(MaintenancePlan, MaintenancePlan.id == MaintenanceVisit.plan_id)
        .where(MaintenanceVisit.status == "done", MaintenanceVisit.done_at >= start,
               MaintenanceVisit.done_at < end)
    ):  # fmt: skip
        planned.append(R.maintenance_call(cid, vid, done.date(), MAINTENANCE_DELAY_DAYS))
    for c in session.scalars(
        select(Complaint).where(
            Complaint.status == C.Status.CLOSED, Complaint.closed_at >= start,
            Complaint.closed_at < end,
        )
    ):  # fmt: skip
        planned.append(
            R.complaint_call(c.customer_id, c.id, c.complaint_no, c.rounds,
                             c.closed_at.date(), COMPLAINT_DELAY_DAYS)
        )  # fmt: skip
    return _insert_planned(session, planned, now)


# ---------------------------------------------------------------- the caller's queue
def week_of(day: dt.date) -> FollowupFilter:
    monday = day - dt.timedelta(days=day.weekday())
    return FollowupFilter(None, monday + dt.timedelta(days=6), R.Status.PLANNED)


def queue(
    session: Session, today: dt.date, *, actor: Acting, limit: int = 100
) -> list[dict[str, Any]]:
    """Today's calls: planned, due by today, the next try not later than today;
    overdue first (oldest first)."""
    _require(actor, CALL_ROLES, "view", "followups")
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    f, cu, t = FollowUp, Customer, Ticket
    rows = session.execute(
        select(f.id, f.followup_no, f.due_date, f.reason, f.mode, f.attempts, f.next_try_at,
               f.outcome, cu.name.label("customer"), cu.contact_name, cu.phone,
               t.ticket_no)
        .join(cu, cu.id == f.customer_id)
        .outerjoin(t, t.id == f.ticket_id)
        .where(f.status == R.Status.PLANNED, f.due_date <= today,
               (f.next_try_at.is_(None)) | (f.next_try_at < end))
        .order_by(f.due_date, f.id)
        .limit(limit)
    ).all()  # fmt: skip
    out = [dict(r._mapping) for r in rows]
    for r in out:
        r["overdue"] = r["due_date"] < today
    return out


def followups_of_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket detail's follow-ups: planned, done, scores."""
    f = FollowUp
    return [
        {**dict(r._mapping), "satisfaction": R.satisfaction(r.rating_quality, r.rating_attitude,
                                                            r.rating_efficiency)
         if r.rating_quality is not None else None}
        for r in session.execute(
            select(f.followup_no, f.due_date, f.status, f.done_at, f.rating_quality,
                   f.rating_attitude, f.rating_efficiency)
            .where(f.ticket_id == ticket_id).order_by(f.id)
        )
    ]  # fmt: skip


def annual_plan(session: Session, customer: int | str, year: int) -> list[dict[str, Any]]:
    """A customer's follow-ups of ``year`` (by id or customer code), by due date."""
    f = FollowUp
    if isinstance(customer, str):
        customer = session.scalar(select(Customer.id).where(Customer.code == customer)) or -1
    return [
        dict(r._mapping)
        for r in session.execute(
            select(f.followup_no, f.reason, f.mode, f.due_date, f.status)
            .where(f.customer_id == customer, f.due_date >= dt.date(year, 1, 1),
                   f.due_date < dt.date(year + 1, 1, 1))
            .order_by(f.due_date, f.id)
        )
    ]  # fmt: skip


# ---------------------------------------------------------------- CSAT and the threshold
def latest_scores(session: Session, start: dt.datetime, end: dt.datetime) -> dict[int, Decimal]:
    """The latest rating's score per ticket rated in [start, end)."""
    r = FollowUpRating
    last = (
        select(func.max(r.id).label("id"))
        .where(r.rated_at >= start, r.rated_at < end, r.ticket_id.is_not(None))
        .group_by(r.ticket_id)
        .subquery()
    )
    return dict(session.execute(select(r.ticket_id, r.score).join(last, last.c.id == r.id)).all())


def threshold(session: Session) -> float:
    value = _setting(session, R.THRESHOLD_SETTING)
    return float(value) if isinstance(value, int | float) else REVIEW_SATISFACTION_BELOW


def check_period(
    session: Session, day: dt.date, *, actor: Acting, now: dt.datetime
) -> SatisfactionReview | None:
    """The month of ``day``: below the threshold a review record is opened (once) for the
    manager with the tickets rated unsatisfied."""
    _require(actor, CALL_ROLES | {"system"}, "review", "followups")
    start, end = R.month_of(day)
    review, _, _ = review_for_period(session, start, end - dt.timedelta(days=1), now=now)
    return review


def review_for_period(
    session: Session, first: dt.date, last: dt.date, *, now: dt.datetime
) -> tuple[SatisfactionReview | None, float | None, float]:
    """(the review record, the rate, the threshold) of the ratings given from ``first``
    to ``last`` (inclusive): below the threshold the record starting on ``first`` is
    found or opened; else None. The caller has checked the right to see it."""
    start = dt.datetime.combine(first, dt.time())
    scores = latest_scores(session, start, start + dt.timedelta(days=(last - first).days + 1))
    rate = R.satisfaction_rate(list(scores.values()))
    limit = threshold(session)
    if not R.needs_review(rate, limit):
        return None, rate, limit
    found = session.scalars(
        select(SatisfactionReview).where(SatisfactionReview.period_start == first)
    ).first()
    if found is not None:
        return found, rate, limit
    review = SatisfactionReview(
        period_start=first, period_end=last,
        satisfaction=Decimal(str(round(rate or 0, 2))), threshold=Decimal(str(limit)),
        ratings=len(scores),
        ticket_ids=sorted(t for t, s in scores.items() if not R.satisfied(s)),
        status=R.ReviewStatus.OPEN, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(review)
    session.flush()
    return review, rate, limit


def close_review(
    session: Session, review_id: int, note: str, *, actor: Acting, now: dt.datetime
) -> None:
    _require(actor, REVIEW_ROLES, "close_review", str(review_id))
    review = session.get(SatisfactionReview, review_id)
    if review is None or review.status == R.ReviewStatus.CLOSED:
        raise InvalidInput([Problem("review", "err.required")])
    review.status, review.note = R.ReviewStatus.CLOSED, note
    review.closed_by_id, review.closed_at = actor.id, now
    session.flush()


def list_reviews(session: Session) -> list[dict[str, Any]]:
    s = SatisfactionReview
    return [
        dict(r._mapping)
        for r in session.execute(
            select(s.id, s.period_start, s.period_end, s.satisfaction, s.threshold, s.ratings,
                   s.ticket_ids, s.status, s.note).order_by(s.period_start.desc())
        )
    ]  # fmt: skip
