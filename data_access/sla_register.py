"""The SLA policy table as a register: its hooks on the one write path.

A grid save on the SLA page, an import of the ``sla_policies`` register and its undo
all write through :func:`data_access.writes.apply`; these hooks add what a policy
change means: a missing 24×7 flag is off, each priority keeps its "all grades" row,
and every open ticket's deadlines are recomputed (a finished ticket's deadlines are
history and stay as they were).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.adapters import Adapter, Deleted, Hooks, Refs, Restored, Written
from data_access.deadlines import recompute_open_deadlines
from data_access.errors import Refused
from data_access.models import SlaPolicy
from rules.fields import Problem
from rules.sla_settings import ALL_GRADES, SLA_POLICIES
from rules.tickets import Priority

# session.info key: (moment, how many open tickets the last policy write recomputed)
RECOMPUTED = "sla_policies.recomputed"


def _check_all_grades(session: Session) -> None:
    """Every priority the table names keeps its "all grades" row (a grade row alone
    would leave the other grades on the built-in default without a word)."""
    rows = session.execute(select(SlaPolicy.priority, SlaPolicy.customer_grade)).all()
    with_all = {p for p, g in rows if g == ALL_GRADES}
    if not rows:
        return  # an empty table: every priority runs on the built-in defaults
    for p in Priority:
        if p not in with_all:
            raise Refused("sla.err.no_all_grades", value=p.value)


def _recompute(session: Session, now: dt.datetime) -> None:
    # the write was Core statements: policies loaded before it would read as they were
    for obj in list(session.identity_map.values()):
        if isinstance(obj, SlaPolicy):
            session.expire(obj)
    _check_all_grades(session)
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

    def after_write(self, session: Session, written: Written) -> None:
        _recompute(session, written.now)

    def after_delete(self, session: Session, deleted: Deleted) -> None:
        # a write with inserts or updates too has recomputed after all of it already
        # (deletes run first, the hooks after every statement)
        done = session.info.get(RECOMPUTED)
        if done is None or done[0] != deleted.now:
            _recompute(session, deleted.now)

    def after_undo(self, session: Session, restored: Restored) -> None:
        _recompute(session, restored.now)


POLICIES_ADAPTER = Adapter(SLA_POLICIES, SlaPolicy, hooks=PolicyHooks())
