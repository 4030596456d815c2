"""New tickets' deadlines and closing facts in one pass equal the two separate passes.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update

from data_access import db
from data_access import tickets as T
from data_access.models import FollowUp, Ticket
from tests.imports.test_ticket_register import (  # noqa: F401 (the fixture)
    CLOSED,
    HEAD,
    NOW,
    ON_SITE,
    RECEIVED,
    run,
    seeded,
    xlsx,
)

FIGURES = (Ticket.id, Ticket.respond_due, Ticket.resolve_due, Ticket.remote_resolved,
           Ticket.first_time_fix)  # fmt: skip


def _figures(engine) -> tuple[list, list]:
    with db.read(engine) as s:
        tickets = [tuple(r) for r in s.execute(select(*FIGURES).order_by(Ticket.id))]
        followups = [
            tuple(r)
            for r in s.execute(
                select(FollowUp.followup_no, FollowUp.ticket_id, FollowUp.due_date).order_by(
                    FollowUp.followup_no
                )
            )
        ]
    return tickets, followups


def test_one_pass_equals_deadlines_then_closing_facts(seeded):  # noqa: F811
    report = run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    assert report.committed and report.inserted == 3
    one_pass = _figures(seeded)
    assert [len(x) for x in one_pass] == [3, 1]  # SR-1's follow-up

    with db.write(seeded) as s:
        s.execute(
            update(Ticket).values(
                respond_due=None, resolve_due=None, remote_resolved=False, first_time_fix=None
            )
        )
        s.execute(delete(FollowUp))
        rows = s.execute(
            select(Ticket.id, Ticket.priority, Ticket.received_at, Ticket.customer_id)
        ).all()
        events = T.status_events(s, [r.id for r in rows])
        histories = [T.History(*r, events[r.id]) for r in rows]
        closings = {i: sum(st == "closed" for _, st in ev) for i, ev in events.items()}
        T.store_deadlines(s, histories, NOW)
        T.store_closing_facts(s, events, closings, None)
    assert _figures(seeded) == one_pass
