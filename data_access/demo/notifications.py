"""Demo notifications: the assignments of the newest open tickets in their engineers'
inboxes (older ones read), and an outbox showing each delivery status once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from data_access.demo.base import D, H, Plumbing, T
from rules.notifications import Channel, Kind, OutboxStatus
from rules.tickets import OPEN

MINUTE = dt.timedelta(minutes=1)
NEWEST = 40  # open tickets whose assignment is in the inbox


class NotificationsDemo(Plumbing):
    def notifications(self) -> None:
        """After the tickets are written: read back the newest assigned open tickets."""
        tickets, customers, users = T["tickets"], T["customers"], T["users"]
        rows = self.conn.execute(
            select(
                tickets.c.ticket_no, tickets.c.engineer_id, tickets.c.received_at,
                tickets.c.fault_description, customers.c.name, users.c.display_name,
            )
            .join(customers, customers.c.id == tickets.c.customer_id)
            .join(users, users.c.id == tickets.c.engineer_id)
            .where(tickets.c.status.in_(sorted(OPEN)))
            .order_by(tickets.c.received_at.desc(), tickets.c.id.desc())
            .limit(NEWEST)
        ).all()  # fmt: skip
        for k, r in enumerate(rows):
            at = min(r.received_at + H, self.now)
            params = {"ticket_no": r.ticket_no, "customer": r.name,
                      "engineer": r.display_name, "fault": r.fault_description[:200]}  # fmt: skip
            self.add(
                "notifications",
                created=at,
                user_id=r.engineer_id,
                kind=str(Kind.TICKET_ASSIGNED),
                params=params,
                link=f"ticket={r.ticket_no}",
                read_at=at + H if at < self.now - 3 * D else None,
            )
            if k < 3:  # one delivered, one waiting for its next try, one given up
                status = (OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.FAILED)[k]
                self.add(
                    "outbox",
                    created=at,
                    channel=str(Channel.EMAIL if k == 0 else Channel.WECOM),
                    user_id=r.engineer_id if k == 0 else None,
                    kind=str(Kind.TICKET_ASSIGNED),
                    params=params,
                    link=f"ticket={r.ticket_no}",
                    status=str(status),
                    attempts=(1, 2, 5)[k],
                    next_attempt_at=self.now + 2 * MINUTE if k == 1 else at,
                    last_error=(None, "HTTP 502", "HTTP 500")[k],
                    sent_at=at if k == 0 else None,
                )
