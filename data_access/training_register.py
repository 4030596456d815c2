"""The training registers' hooks: what a write of a course, a session or an attendee
line derives (covered models, results, certificates) and refuses (over capacity,
unknown models, marks on a cancelled session).

Listed by :mod:`data_access.catalog`; the queries and commands live in
:mod:`data_access.training`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from data_access.adapters import Change, Hooks, Refs, Written
from data_access.errors import Refused
from data_access.models import (
    ProductModel,
    TrainingAttendance,
    TrainingCourse,
    TrainingCourseModel,
    TrainingSession,
)
from rules import training as rules
from rules.fields import Problem

A, S, C = TrainingAttendance.__table__, TrainingSession.__table__, TrainingCourse.__table__

SESSION_CANCELLED = "training.err.session_cancelled"


# ---------------------------------------------------------------- courses
class CourseHooks(Hooks):
    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        changed = [r for r in change.inserted]
        changed += [{**before, **after} for before, after in change.updated if "models" in after]
        for row in changed:
            sync_models(session, row["id"], row.get("code"), row.get("models"), change.now)
        rules_changed = {
            before["id"]
            for before, after in change.updated
            if after.keys() & {"pass_mark", "validity_months"}
        }
        if rules_changed:
            refresh_results(session, S.c.course_id.in_(sorted(rules_changed)))


def sync_models(session: Session, course_id: int, code: str | None, text: str | None, now) -> None:
    """The course's covered models are what its ``models`` cell names; a code that is no
    product model refuses the whole write."""
    codes = rules.model_codes(text)
    found = dict(
        session.execute(
            select(ProductModel.code, ProductModel.id).where(ProductModel.code.in_(codes))
        ).all()
    )
    for c in codes:
        if c not in found:
            raise Refused("training.err.unknown_model", value=c, course=code or "")
    table = TrainingCourseModel.__table__
    session.execute(delete(table).where(table.c.course_id == course_id))
    if codes:
        session.execute(
            insert(table),
            [{"course_id": course_id, "model_id": found[c], "created_at": now} for c in codes],
        )


# ---------------------------------------------------------------- sessions
class SessionHooks(Hooks):
    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        moved = [
            before["id"]
            for before, after in change.updated
            if after.keys() & {"starts_at", "course_id", "capacity"}
        ]
        if moved:
            check_capacity(session, moved)
            refresh_results(session, S.c.id.in_(moved))


# ---------------------------------------------------------------- attendee lines
class AttendanceHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        problems: list[Problem] = []
        parent = refs.get("session")
        kind = values.get("kind")
        if kind == rules.AttendeeKind.CONTACT and values.get("customer_id") is None and parent:
            values["customer_id"] = parent.get("customer_id")  # the session's customer
        if kind == rules.AttendeeKind.CONTACT and values.get("customer_id") is None:
            problems.append(Problem("customer", "training.err.contact_needs_customer"))
        if (
            parent
            and parent.get("status") == rules.SessionStatus.CANCELLED
            and values.get("presence") in rules.ATTENDED
        ):
            problems.append(Problem("presence", SESSION_CANCELLED, {"value": parent["session_no"]}))
        return problems

    def after_write(self, session: Session, change: Change) -> None:
        if not isinstance(change, Written):
            return
        ids = {r["session_id"] for r in change.inserted}
        ids |= {{**b, **a}["session_id"] for b, a in change.updated}
        if ids:
            check_capacity(session, sorted(ids))
            refresh_results(session, S.c.id.in_(sorted(ids)))


def check_capacity(session: Session, session_ids: Iterable[int]) -> None:
    """Refuse the write when a session holds more attendees than its capacity."""
    query = (
        select(S.c.session_no, S.c.capacity, func.count(A.c.id))
        .join(A, A.c.session_id == S.c.id)
        .where(S.c.id.in_(list(session_ids)), S.c.capacity.is_not(None))
        .group_by(S.c.id, S.c.session_no, S.c.capacity)
    )
    for session_no, capacity, count in session.execute(query):
        if rules.over_capacity(capacity, count):
            raise Refused(
                "training.err.over_capacity", value=session_no, capacity=capacity, count=count
            )


def refresh_results(session: Session, where) -> int:
    """Results and certificates of the lines of the sessions ``where`` selects, from the
    course's pass mark and validity (the pure rules); rows that change are written."""
    query = (
        select(
            A.c.id, A.c.line_no, A.c.presence, A.c.test_score, A.c.practical, A.c.result,
            A.c.certificate_no, A.c.certificate_expires, S.c.session_no, S.c.starts_at,
            C.c.pass_mark, C.c.validity_months,
        )
        .join(S, S.c.id == A.c.session_id)
        .join(C, C.c.id == S.c.course_id)
        .where(where)
    )  # fmt: skip
    changes = []
    for r in session.execute(query):
        result = rules.result_of(r.presence, r.test_score, r.practical, r.pass_mark)
        cert, expires = None, None
        if result == rules.Result.PASSED:
            cert = rules.certificate_no(r.session_no, r.line_no)
            expires = rules.certificate_expiry(r.starts_at.date(), r.validity_months)
        now = (result.value if result else None, cert, expires)
        if now != (r.result, r.certificate_no, r.certificate_expires):
            changes.append({"b_id": r.id, "result": now[0], "cert": cert, "expires": expires})
    if changes:
        session.execute(
            update(A)
            .where(A.c.id == bindparam("b_id"))
            .values(
                result=bindparam("result"),
                certificate_no=bindparam("cert"),
                certificate_expires=bindparam("expires"),
            ),
            changes,
        )
    return len(changes)
