"""The timed notices of the domains, one pass of the job ticker: a maintenance visit
become overdue, a part at or below its reorder point, a certificate expiring within 30
days. Each is told once (a dedupe key per visit and due date, per part and quantity on
hand, per certificate and expiry) through :func:`data_access.notifications.notify`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from data_access import db
from data_access.bulk import _chunks
from data_access.models import (
    Customer,
    MaintenancePlan,
    MaintenanceVisit,
    Notification,
    Part,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    User,
)
from data_access.notifications import notify
from rules import maintenance as mr
from rules.access import Role
from rules.links import DeepLink
from rules.notifications import Kind

EXPIRY_DAYS = 30  # the "certificates expiring in the next 30 days"
PER_ROUND = 200  # at most this many notices of one kind a round (the rest: next round)


def _people(session: Session, *roles: str) -> list[int]:
    return list(
        session.scalars(select(User.id).where(User.role.in_(roles), User.is_active.is_(True)))
    )


def _told(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` were told already, a few queries a round instead of one per row.
    The candidates are read whole (no row limit), so once the first ones are told the
    next round reaches the rest."""
    seen: set[str] = set()
    for chunk in _chunks(keys, 5_000):
        q = select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))
        seen.update(session.scalars(q))
    return seen


def _tell(session: Session, key: str, people, kind, params, link, now) -> bool:
    if not [p for p in people if p is not None]:
        return False
    return bool(notify(session, people, kind, params, link, now=now, dedupe_key=key))


def overdue_visits(session: Session, now: dt.datetime) -> list[str]:
    """Visits past their due date and not done (the one overdue rule): the visit's
    engineer (else the plan's) and the managers."""
    v, p = MaintenanceVisit, MaintenancePlan
    rows = session.execute(
        select(v.id, v.visit_no, v.due_date, v.engineer_id, p.responsible_id, Customer.name)
        .join(p, p.id == v.plan_id)
        .join(Customer, Customer.id == p.customer_id)
        .where(v.status.in_(list(mr.OPEN)), v.due_date < now.date())
        .order_by(v.due_date, v.id)
    ).all()
    managers = _people(session, Role.MANAGER)
    keys = {r.id: f"visit_overdue:{r.id}:{r.due_date.isoformat()}" for r in rows}
    done = _told(session, list(keys.values()))
    told = []
    for r in rows:
        key = keys[r.id]
        if key in done:
            continue
        params = {"visit_no": r.visit_no, "customer": r.name, "due": r.due_date.isoformat()}
        people = [r.engineer_id or r.responsible_id, *managers]
        if _tell(
            session, key, people, Kind.VISIT_OVERDUE, params, DeepLink("visit", r.visit_no), now
        ):
            told.append(r.visit_no)
            if len(told) >= PER_ROUND:
                break
    return told


def low_parts(session: Session, now: dt.datetime) -> list[str]:
    """Active parts with a reorder point whose stock on hand is at or below it: the
    parts keepers and the managers, again whenever the quantity changes while low."""
    rows = session.execute(
        select(Part.id, Part.part_no, Part.name, Part.on_hand, Part.reorder_point)
        .where(Part.active.is_(True), Part.reorder_point > 0, Part.on_hand <= Part.reorder_point)
        .order_by(Part.part_no)
    ).all()
    people = _people(session, Role.PARTS_KEEPER, Role.MANAGER)
    keys = {r.id: f"part_low:{r.id}:{r.on_hand}" for r in rows}
    done = _told(session, list(keys.values()))
    told = []
    for r in rows:
        key = keys[r.id]
        if key in done:
            continue
        params = {"part_no": r.part_no, "name": r.name, "on_hand": r.on_hand,
                  "reorder_point": r.reorder_point}  # fmt: skip
        if _tell(session, key, people, Kind.PART_LOW, params, DeepLink("part", r.part_no), now):
            told.append(r.part_no)
            if len(told) >= PER_ROUND:
                break
    return told


def expiring_certificates(session: Session, now: dt.datetime) -> list[str]:
    """Certificates expiring within 30 days: the session's trainer, the staff member
    holding it, and the managers."""
    a, s, c = TrainingAttendance, TrainingSession, TrainingCourse
    today = now.date()
    rows = session.execute(
        select(
            a.id,
            a.name,
            a.user_id,
            a.certificate_no,
            a.certificate_expires,
            s.trainer_id,
            c.title_zh,
        )  # fmt: skip
        .join(s, s.id == a.session_id)
        .join(c, c.id == s.course_id)
        .where(
            and_(
                a.certificate_no.is_not(None),
                a.certificate_expires >= today,
                a.certificate_expires <= today + dt.timedelta(days=EXPIRY_DAYS),
            )
        )
        .order_by(a.certificate_expires, a.id)
    ).all()
    managers = _people(session, Role.MANAGER)
    keys = {r.id: f"cert_expiring:{r.id}:{r.certificate_expires.isoformat()}" for r in rows}
    done = _told(session, list(keys.values()))
    told = []
    for r in rows:
        key = keys[r.id]
        if key in done:
            continue
        params = {"person": r.name, "course": r.title_zh,
                  "expires": r.certificate_expires.isoformat()}  # fmt: skip
        people = [r.trainer_id, r.user_id, *managers]
        if _tell(session, key, people, Kind.CERT_EXPIRING, params, None, now):
            told.append(r.certificate_no)
            if len(told) >= PER_ROUND:
                break
    return told


def alerts_round(engine: Engine, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """One pass of the three checks, in one transaction (the job ticker's)."""
    now = now or dt.datetime.now().replace(microsecond=0)
    with db.write(engine) as session:
        return {
            "visits": overdue_visits(session, now),
            "parts": low_parts(session, now),
            "certificates": expiring_certificates(session, now),
        }
