"""The SLA policy table as a register: its hooks on the one write path.

A grid save on the SLA page, an import of the ``sla_policies`` register and its undo
all write through :func:`data_access.writes.apply`; these hooks add what a policy
change means: a missing 24×7 flag is off, each priority keeps its "all grades" row,
and every open ticket's deadlines are recomputed (a finished ticket's deadlines are
history and stay as they were).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.adapters import Adapter, Change, Deleted, Hooks, Refs, Restored, Written
from data_access.deadlines import recompute_open_deadlines
from data_access.errors import ConflictError, InvalidInput, Refused
from data_access.models import SlaPolicy
from data_access.saving import save_rows
from rules.access import Acting, Actor, Role
from rules.fields import Problem
from rules.sla_settings import ALL_GRADES, SLA_POLICIES
from rules.tickets import Priority

# session.info key: (moment, how many open tickets the last policy write recomputed)
RECOMPUTED = "sla_policies.recomputed"


def _check_all_grades(session: Session, removed: set[str]) -> None:
    """A write may not take away a priority's "all grades" row (the page's rule: a
    grade row alone would leave the other grades on the built-in default without a
    word). ``removed``: priorities whose stored all-grades row was deleted or re-keyed.
    A priority never stored runs on the built-in default, as the page shows it."""
    if not removed:
        return
    left = set(
        session.scalars(
            select(SlaPolicy.priority).where(
                SlaPolicy.customer_grade == ALL_GRADES, SlaPolicy.priority.in_(removed)
            )
        )
    )
    for p in Priority:
        if p in removed and p not in left:
            raise Refused("sla.err.no_all_grades", value=p.value)


def _rekeyed(updated: list[tuple[dict[str, Any], dict[str, Any]]]) -> set[str]:
    """Priorities whose all-grades row an update moved to another priority or grade."""
    out = set()
    for before, values in updated:
        after = {**before, **values}
        if before["customer_grade"] == ALL_GRADES and (
            after["priority"] != before["priority"] or after["customer_grade"] != ALL_GRADES
        ):
            out.add(before["priority"])
    return out


def _recompute(session: Session, now: dt.datetime, removed: set[str]) -> None:
    # the write was Core statements: policies loaded before it would read as they were
    for obj in list(session.identity_map.values()):
        if isinstance(obj, SlaPolicy):
            session.expire(obj)
    _check_all_grades(session, removed)
    session.info[RECOMPUTED] = (now, recompute_open_deadlines(session, now))


def recomputed(session: Session) -> int | None:
    """How many open tickets the policy write in this transaction recomputed (None
    when no policy was written); read once."""
    done = session.info.pop(RECOMPUTED, None)
    return None if done is None else done[1]


class PolicyHooks(Hooks):
    def derive(self, values: dict[str, Any], refs: Refs) -> list[Problem]:
        if "round_the_clock" in values:  # a blank cell is "off" (the column is NOT NULL)
            values["round_the_clock"] = bool(values["round_the_clock"])
        return []

    def after_write(self, session: Session, change: Change) -> None:
        """Any write of the policy table works the open tickets' deadlines out again."""
        match change:
            case Written(updated=updated, now=now):
                _recompute(session, now, _rekeyed(updated))
            case Deleted(rows=rows, now=now):
                # a write with inserts or updates too has recomputed after all of it
                # already (deletes run first, the hook sees Written before Deleted)
                removed = {r["priority"] for r in rows if r["customer_grade"] == ALL_GRADES}
                done = session.info.get(RECOMPUTED)
                if done is None or done[0] != now:
                    _recompute(session, now, removed)
                else:
                    _check_all_grades(session, removed)
            case Restored(now=now):
                _recompute(session, now, set())


POLICIES_ADAPTER = Adapter(SLA_POLICIES, SlaPolicy, hooks=PolicyHooks())


# the single-row commands below are called by trusted code (setup, scripts, tests): the
# page saves through data_access.sla_settings.save_policy_table with its user's rights
TRUSTED = Actor(None, Role.ADMIN)


def save_policy(
    session: Session,
    *,
    priority: str,
    respond_hours: float | Decimal,
    resolve_hours: float | Decimal,
    customer_grade: str = "*",
    onsite_hours: float | Decimal | None = None,
    round_the_clock: bool = False,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    actor: Acting = TRUSTED,
) -> SlaPolicy:
    """Insert or update the policy of (priority, grade) through the register's write
    path (its hooks recompute the open tickets' deadlines); ``now`` defaults to the
    clock."""
    problems = []
    if priority not in set(Priority):
        problems.append(
            Problem("priority", "err.enum", {"value": priority, "allowed": " / ".join(Priority)})
        )
    for name, value in (("respond_hours", respond_hours), ("resolve_hours", resolve_hours)):
        if value is None or Decimal(str(value)) <= 0:
            problems.append(Problem(name, "err.min", {"min": "0"}))
    if problems:
        raise InvalidInput(problems)
    key = (SlaPolicy.priority == priority, SlaPolicy.customer_grade == customer_grade)
    found = session.execute(select(SlaPolicy.id, SlaPolicy.version).where(*key)).first()
    if found is not None and expected_version is not None and found.version != expected_version:
        raise ConflictError(f"{priority}/{customer_grade}")
    values = {
        "respond_hours": Decimal(str(respond_hours)),
        "resolve_hours": Decimal(str(resolve_hours)),
        "onsite_hours": None if onsite_hours is None else Decimal(str(onsite_hours)),
        "round_the_clock": bool(round_the_clock),
    }
    new = {"priority": priority, "customer_grade": customer_grade, **values}
    result = save_rows(
        session,
        POLICIES_ADAPTER,
        inserts=[new] if found is None else [],
        updates=[] if found is None else [{"id": found.id, "version": found.version, **values}],
        deletes=[],
        actor=actor,
        now=now or dt.datetime.now(),
    )
    if result.problems:
        raise InvalidInput(list(result.problems))
    recomputed(session)
    return session.scalars(select(SlaPolicy).where(*key)).one()


def delete_policy(
    session: Session, policy_id: int, *, now: dt.datetime | None = None, actor: Acting = TRUSTED
) -> None:
    """Delete one policy through the register's write path (a stored all-grades row
    whose priority would be left without one is refused)."""
    version = session.scalar(select(SlaPolicy.version).where(SlaPolicy.id == policy_id))
    if version is None:
        return
    deletes = [{"id": policy_id, "version": version}]
    when = now or dt.datetime.now()
    save_rows(
        session, POLICIES_ADAPTER, inserts=[], updates=[], deletes=deletes, actor=actor, now=when
    )
    recomputed(session)
