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
           Ticket.first_time_fix, Ticket.response_business_s,
           Ticket.resolution_business_s)  # fmt: skip


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
                respond_due=None,
                resolve_due=None,
                remote_resolved=False,
                first_time_fix=None,
                response_business_s=None,
                resolution_business_s=None,
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


def test_import_stores_business_durations(seeded):  # noqa: F811
    report = run(seeded, xlsx([HEAD, CLOSED, ON_SITE, RECEIVED]))
    assert report.committed
    with db.read(seeded) as s:
        got = dict(
            (no, (resp, res))
            for no, resp, res in s.execute(
                select(Ticket.ticket_no, Ticket.response_business_s, Ticket.resolution_business_s)
            )
        )
    # SR-1 (emergency) received Mon 09:00, answered 09:30, repaired 15:00; SR-2 answered
    # after an hour and still open; SR-3 not answered
    assert got == {"SR-1": (1800, 6 * 3600), "SR-2": (3600, None), "SR-3": (None, None)}
