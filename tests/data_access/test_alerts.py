"""The domains' timed notices (data_access.alerts) on the demo data, both databases:
each told once, to the right people, with a link where the page follows one."""

from __future__ import annotations

from sqlalchemy import select, update

from data_access import alerts, db, demo
from data_access.models import Notification, Part, User


def test_overdue_visits_low_parts_and_expiring_certificates_are_told_once(db_engine):
    demo.load(db_engine, customers=20, tickets=40)
    now = demo.DEMO_NOW
    with db.write(db_engine) as s:  # one part sinks below its reorder point
        part = s.scalars(select(Part).where(Part.active.is_(True)).order_by(Part.id)).first()
        s.execute(update(Part).where(Part.id == part.id).values(reorder_point=part.on_hand + 5))
        part_no = part.part_no
    first = alerts.alerts_round(db_engine, now)
    assert first["visits"] and first["certificates"]
    assert part_no in first["parts"]
    again = alerts.alerts_round(db_engine, now)
    assert again == {"visits": [], "parts": [], "certificates": []}  # once each
    with db.read(db_engine) as s:
        keeper = s.scalar(select(User.id).where(User.role == "parts_keeper"))
        rows = s.execute(select(Notification.kind, Notification.link, Notification.user_id)).all()
    kinds = {r.kind for r in rows}
    assert {"visit_overdue", "part_low", "cert_expiring"} <= kinds
    assert ("part_low", f"part={part_no}", keeper) in {(r.kind, r.link, r.user_id) for r in rows}
    assert all(r.link.startswith("visit=") for r in rows if r.kind == "visit_overdue")


def test_a_round_tells_at_most_its_share_and_the_next_round_the_rest(db_engine, monkeypatch):
    demo.load(db_engine, customers=20, tickets=40)
    monkeypatch.setattr(alerts, "PER_ROUND", 2)
    first = alerts.alerts_round(db_engine, demo.DEMO_NOW)["visits"]
    second = alerts.alerts_round(db_engine, demo.DEMO_NOW)["visits"]
    assert len(first) == len(second) == 2 and not set(first) & set(second)
