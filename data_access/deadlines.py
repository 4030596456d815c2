"""Deadlines and the figures a ticket's history gives, computed once when the history
changes (intake, status change, import, SLA edit) by the pure rules in
:mod:`rules.sla` and :mod:`rules.tickets`, and stored on the ticket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from data_access.bulk import Inserter
from data_access.models import (
    Customer,
    FollowUp,
    Ticket,
    TicketEvent,
)
from data_access.sla_config import SlaConfig, followup_delay_days, load_sla_config
from rules import sla
from rules.tickets import (
    OPEN,
    closing_facts,
    followup_no,
)

BATCH = 500


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
    """Store the deadlines the list sorts by (resolve_due is NULL while paused) and the
    business durations the dashboard averages."""
    ticket.respond_due = clock.respond_by
    ticket.resolve_due = clock.resolve_by
    ticket.response_business_s = clock.response_seconds
    ticket.resolution_business_s = clock.resolution_seconds


def _refresh(session: Session, ticket: Ticket, config: SlaConfig, now: dt.datetime) -> None:
    events = status_events(session, [ticket.id])[ticket.id]
    _apply_deadlines(
        ticket, clock_of(ticket, events, config, now, _grade(session, ticket.customer_id))
    )


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
            session.expire(
                obj, ["respond_due", "resolve_due", "response_business_s", "resolution_business_s"]
            )
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
        .values(
            respond_due=bindparam("v_respond"),
            resolve_due=bindparam("v_resolve"),
            response_business_s=bindparam("v_response_s"),
            resolution_business_s=bindparam("v_resolution_s"),
        )
    )
    policy_of = _policies(config)
    for chunk in _chunks(list(histories), BATCH * 10):
        grades = _grades(session, {h.customer_id for h in chunk})
        params = []
        for h in chunk:
            policy = policy_of(h.priority, grades.get(h.customer_id))
            fig = sla.clock_figures(h.received_at, policy, config.calendar, h.events)
            params.append(
                {
                    "b_id": h.ticket_id,
                    "v_respond": fig.respond_by,
                    "v_resolve": fig.resolve_by,
                    "v_response_s": fig.response_seconds,
                    "v_resolution_s": fig.resolution_seconds,
                }
            )
        session.execute(stmt, params)


def _policies(config: SlaConfig):
    """``config.policy`` remembered per (priority, grade): a batch asks a few of them
    thousands of times."""
    memo: dict[tuple[str, str | None], sla.Policy] = {}

    def policy_of(priority: str, grade: str | None) -> sla.Policy:
        try:
            return memo[(priority, grade)]
        except KeyError:
            found = memo[(priority, grade)] = config.policy(priority, grade)
            return found

    return policy_of


def store_history_figures(
    session: Session,
    histories: Sequence[History],
    new_closings: Mapping[int, int],
    now: dt.datetime,
    user_id: int | None,
    config: SlaConfig | None = None,
) -> None:
    """:func:`store_deadlines` and :func:`store_closing_facts` of tickets whose history
    is in hand (new tickets), in one pass: one UPDATE a ticket sets both, given
    column-wise to the bulk path (``updated_at`` is the write's ``now``)."""
    if not histories:
        return
    config = config or load_sla_config(session)
    delay = followup_delay_days(session)
    t = Ticket.__table__
    names = ("b_id", "v_respond", "v_resolve", "v_response_s", "v_resolution_s", "v_remote",
             "v_ftf", "v_now")  # fmt: skip
    stmt = (
        update(t)
        .where(t.c.id == bindparam("b_id"))
        .values(
            respond_due=bindparam("v_respond"),
            resolve_due=bindparam("v_resolve"),
            response_business_s=bindparam("v_response_s"),
            resolution_business_s=bindparam("v_resolution_s"),
            remote_resolved=bindparam("v_remote"),
            first_time_fix=bindparam("v_ftf"),
            updated_at=bindparam("v_now"),
        )
    )
    updater = Inserter(session, t, names, stmt)
    calendar, owed = config.calendar, []
    policy_of, figures = _policies(config), sla.clock_figures
    for chunk in _chunks(list(histories), BATCH * 10):
        grades = _grades(session, {h.customer_id for h in chunk})
        rows = []
        for h in chunk:
            policy = policy_of(h.priority, grades.get(h.customer_id))
            fig = figures(h.received_at, policy, calendar, h.events)
            facts = closing_facts(h.events, delay)
            rows.append((h.ticket_id, *fig, facts.remote_resolved, facts.first_time_fix, now))
            n = min(new_closings.get(h.ticket_id, 0), len(facts.followups))
            owed.extend((h.ticket_id, due) for due in facts.followups[len(facts.followups) - n :])
        updater(dict(zip(names, zip(*rows, strict=True), strict=True)))
    _plan_followups(session, owed, user_id)


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
