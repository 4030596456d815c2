"""Follow-ups through the register machinery: the hooks of the follow-ups register
(every rating kept as its own row; a low score opens a complaint on the ticket and
engineer) and the list filter the week's call list export uses (``Adapter.where_of``).

Kept apart from the commands (:mod:`data_access.followups`), which import the register
writes: :mod:`data_access.catalog` imports this module only. The low-score complaint
goes through :func:`data_access.complaint_register.log_complaint`, which saves without
the catalog.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from data_access.adapters import Change, Hooks, Written
from data_access.complaint_register import Intake, log_complaint
from data_access.models import Complaint, Customer, FollowUp, FollowUpRating, Ticket, User
from rules import complaints as C
from rules import followups as R
from rules.access import Actor, Role

RATING_COLUMNS = ("rating_quality", "rating_attitude", "rating_efficiency")


# ---------------------------------------------------------------- register hooks
class FollowupHooks(Hooks):
    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        rated = [r for r in change.inserted if _has_rating(r)]
        rated += [{**before, **values} for before, values in change.updated
                  if any(k in values for k in (*RATING_COLUMNS, "rating_comment"))
                  and _has_rating({**before, **values})]  # fmt: skip
        if rated:
            keep_ratings(session, rated, change.now, change.user_id)


def _has_rating(row: dict[str, Any]) -> bool:
    return all(row.get(k) is not None for k in RATING_COLUMNS)


def keep_ratings(
    session: Session, rows: Sequence[dict[str, Any]], now: dt.datetime, user_id: int | None
) -> list[str]:
    """A new ``followup_ratings`` row per rating; a low score opens a complaint linked
    to the ticket and the engineer (once per follow-up). Returns the complaints opened."""
    ticket_ids = {r["ticket_id"] for r in rows if r.get("ticket_id")}
    engineers = dict(
        session.execute(
            select(Ticket.id, Ticket.engineer_id).where(Ticket.id.in_(ticket_ids))
        ).all()
    ) if ticket_ids else {}  # fmt: skip
    ratings, opened = [], []
    for r in rows:
        q, a, e = (r[k] for k in RATING_COLUMNS)
        engineer = r.get("engineer_id") or engineers.get(r.get("ticket_id"))
        ratings.append(
            {"followup_id": r["id"], "ticket_id": r.get("ticket_id"), "engineer_id": engineer,
             "user_id": r.get("user_id") or user_id, "rated_at": r.get("done_at") or now,
             "quality": q, "attitude": a, "efficiency": e, "score": R.satisfaction(q, a, e),
             "comment": r.get("rating_comment"), "created_at": now}
        )  # fmt: skip
        if R.is_low(q, a, e) and r.get("complaint_id") is None:
            opened.append(_low_score_complaint(session, r, engineer, now, user_id))
    session.execute(FollowUpRating.__table__.insert(), ratings)
    return opened


def _low_score_complaint(
    session: Session, r: dict[str, Any], engineer_id: int | None, now: dt.datetime, user_id
) -> str:
    ticket_no = (
        session.scalar(select(Ticket.ticket_no).where(Ticket.id == r["ticket_id"]))
        if r.get("ticket_id")
        else None
    )
    customer = session.execute(
        select(Customer.code, Customer.contact_name, Customer.phone).where(
            Customer.id == r["customer_id"]
        )
    ).one()
    engineer = (
        session.scalar(select(User.username).where(User.id == engineer_id)) if engineer_id else None
    )
    scores = "/".join(str(r[k]) for k in RATING_COLUMNS)
    intake = Intake(
        customer=customer.code,
        complainant=customer.contact_name or customer.code,
        contact=customer.phone,
        channel=C.Channel.HOTLINE,
        content=f"回访低分 {scores}（{r['followup_no']}）：{(r.get('rating_comment') or '').strip()}",
        severity=C.Level.MEDIUM,
        urgency=C.Level.MEDIUM,
        received_at=r.get("done_at") or now,
        category=C.Category.QUALITY,
        ticket=ticket_no,
        engineer=engineer,
    )
    no = log_complaint(session, intake, actor=Actor(user_id, Role.AGENT), now=now)
    complaint_id = session.scalar(select(Complaint.id).where(Complaint.complaint_no == no))
    f = FollowUp.__table__
    session.execute(
        update(f)
        .where(f.c.id == r["id"])
        .values(complaint_id=complaint_id, version=f.c.version + 1)
    )
    return no


# ---------------------------------------------------------------- the list filter
@dataclass(frozen=True)
class FollowupFilter:
    """A page's filter, also the week's call list export (``Adapter.where_of``)."""

    due_from: dt.date | None = None
    due_to: dt.date | None = None
    status: str | None = None


def filter_clauses(flt: FollowupFilter, now: dt.datetime) -> list[ColumnElement[bool]]:
    f = FollowUp.__table__.c
    out = []
    if flt.due_from:
        out.append(f.due_date >= flt.due_from)
    if flt.due_to:
        out.append(f.due_date <= flt.due_to)
    if flt.status:
        out.append(f.status == flt.status)
    return out
