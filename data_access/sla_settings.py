"""SLA settings as the SLA page edits them: whole tables checked at once by
:mod:`rules.sla_settings` (every problem returned), then one write that also recomputes
the open tickets' deadlines.

The single-row commands (``save_calendar``, ``set_calendar_day`` … in
:mod:`data_access.sla_config`; ``save_policy`` in :mod:`data_access.sla_register`, on the
policy register's write path) are re-exported by :mod:`data_access.tickets`; this module
composes them.

Stale edits raise :class:`~data_access.errors.ConflictError`: each save compares
what the user started from (ids + versions, or the ladder / calendar version) with
what is stored now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import audit, statutory
from data_access.deadlines import recompute_open_deadlines
from data_access.errors import ConflictError, InvalidInput
from data_access.models import SlaPolicy
from data_access.saving import save_rows
from data_access.sla_config import (
    _default_calendar_row,
    list_calendar_days,
    list_policies,
    load_calendar,
    load_levels,
    remove_calendar_day,
    save_calendar,
    save_escalation_levels,
    set_calendar_day,
)
from data_access.sla_register import POLICIES_ADAPTER, recomputed
from rules import sla
from rules.access import Acting, Actor, Role
from rules.fields import Problem
from rules.sla_settings import (
    ALL_GRADES,
    GRADES,
    blank,
    check_day_entries,
    check_ladder,
    check_policies,
    check_weekly,
)
from rules.tickets import Priority


# ---------------------------------------------------------------- policies
def policy_table(session: Session) -> list[dict[str, Any]]:
    """The policies in force, in priority order (``*`` first within a priority).

    A priority without a stored ``*`` row runs on the built-in default (see
    ``SlaConfig.policy``); that default is listed with ``id`` None so the table shows
    what is really in force, and a save stores it.
    """
    rows = [r for r in list_policies(session) if r["id"] is not None]
    stored = {r["priority"] for r in rows if r["customer_grade"] == ALL_GRADES}
    for p in sla.DEFAULT_POLICIES:
        if p.customer_grade == ALL_GRADES and p.priority not in stored:
            rows.append(
                {
                    "id": None,
                    "version": None,
                    "priority": p.priority,
                    "customer_grade": ALL_GRADES,
                    "respond_hours": p.respond_hours,
                    "resolve_hours": p.resolve_hours,
                    "onsite_hours": p.onsite_hours,
                    "round_the_clock": p.round_the_clock,
                }  # fmt: skip
            )
    order = {p: i for i, p in enumerate(Priority)}
    return sorted(
        rows,
        key=lambda r: (
            order.get(r["priority"], len(order)),
            GRADES.index(r["customer_grade"]) if r["customer_grade"] in GRADES else len(GRADES),
        ),
    )


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["priority"], row["customer_grade"] or ALL_GRADES


def _check_seen(session: Session, seen: Sequence[dict[str, Any]]) -> None:
    """The stored rows are still the ones the user saw (none changed or removed)."""
    shown = {old["id"]: old for old in seen if old["id"] is not None}
    stored = dict(
        session.execute(
            select(SlaPolicy.id, SlaPolicy.version).where(SlaPolicy.id.in_(list(shown)))
        ).all()
    )
    for policy_id, old in shown.items():
        if stored.get(policy_id) != old["version"]:
            raise ConflictError("/".join(_key(old)))


def _values(row: dict[str, Any]) -> dict[str, Any]:
    """A checked table row as register field values (hours to the column's 0.01)."""

    def q(v: Decimal | None) -> Decimal | None:
        return None if v is None else v.quantize(Decimal("0.01"))

    return {
        "priority": str(row["priority"]),
        "customer_grade": row["customer_grade"],
        **{k: q(row[k]) for k in ("respond_hours", "resolve_hours", "onsite_hours")},
        "round_the_clock": bool(row.get("round_the_clock")),
    }


def save_policy_table(
    session: Session,
    seen: Sequence[dict[str, Any]],
    rows: Sequence[dict[str, Any]],
    now: dt.datetime,
    *,
    by: int | None = None,
    actor: Acting | None = None,
) -> int:
    """Replace the policy table the user saw (``seen``: rows with id/version) by ``rows``
    and recompute every open ticket's deadlines. Returns how many were recomputed.

    Each row of ``rows`` carries ``seen_index`` (its row in ``seen``, None when added)
    and ``row`` (the number shown to the user). Raises :class:`InvalidInput` with every
    problem before writing anything, :class:`ConflictError` when someone else changed,
    deleted or added a policy meanwhile.

    The whole table is checked here (:func:`rules.sla_settings.check_policies`: the
    cell the user edited is the one blamed), then written as inserts, updates and
    deletes of the ``sla_policies`` register (:func:`data_access.saving.save_rows`),
    the path its import and undo take too; its hooks recompute the deadlines. A row
    whose priority or grade changed is deleted and added again, so a swap of two keys
    cannot trip the unique constraint. ``actor`` (the signed-in user) must hold the
    SLA page's edit right; without one the caller is trusted (scripts, the CLI) and
    ``by`` names who saves.
    """
    clean, problems = check_policies(rows)
    if problems:
        raise InvalidInput(problems)
    _check_seen(session, seen)
    before = _policy_snapshot(session)
    inserts, updates, kept = [], [], set()
    shown: dict[str, list[Any]] = {"insert": [], "update": []}  # row numbers as shown
    for raw, row in zip(rows, clean, strict=True):
        idx = raw.get("seen_index")
        old = seen[idx] if idx is not None else None
        if old is not None and old["id"] is not None and _key(old) == _key(row):
            kept.add(old["id"])
            if _changed(old, row):
                updates.append({"id": old["id"], "version": old["version"], **_values(row)})
                shown["update"].append(raw.get("row"))
        else:
            inserts.append(_values(row))
            shown["insert"].append(raw.get("row"))
    deletes = [
        {"id": old["id"], "version": old["version"]}
        for old in seen
        if old["id"] is not None and old["id"] not in kept
    ]
    result = save_rows(
        session,
        POLICIES_ADAPTER,
        inserts=inserts,
        updates=updates,
        deletes=deletes,
        actor=actor or Actor(by, Role.ADMIN),
        now=now,
        audit_rows=False,  # one audit row with the table before and after, below
    )
    if result.problems:
        taken = [p for p in result.problems if p.code == "err.duplicate_key"]
        if taken:  # the table passed its checks: someone else added that key meanwhile
            raise ConflictError(str(taken[0].value))
        raise InvalidInput([_shown(p, shown) for p in result.problems])
    _record(session, audit.SLA_POLICIES, before, _policy_snapshot(session), by, now)
    n = recomputed(session)
    return recompute_open_deadlines(session, now) if n is None else n


def _shown(p: Problem, shown: dict[str, list[Any]]) -> Problem:
    """A register problem with the row number the user sees."""
    rows = shown.get(getattr(p, "kind", ""), [])
    row = rows[p.row] if p.row is not None and p.row < len(rows) else p.row
    return Problem(p.field, p.code, p.params, row, p.value)


def _policy_snapshot(session: Session) -> dict[str, list[str | None]]:
    """The policies in force as audit values: ``priority/grade`` → the three limits,
    and "24x7" when the policy runs round the clock."""

    def num(v: Any) -> str | None:
        return None if blank(v) else str(Decimal(str(v)).quantize(Decimal("0.01")))

    return {
        "/".join(_key(r)): [num(r[k]) for k in ("respond_hours", "resolve_hours", "onsite_hours")]
        + (["24x7"] if r.get("round_the_clock") else [])
        for r in policy_table(session)
    }


def _record(
    session: Session,
    entity: str,
    before: dict[str, Any],
    after: dict[str, Any],
    by: int | None,
    now: dt.datetime | None,
) -> None:
    """One audit row with what a save changed (none when it changed nothing)."""
    diff = audit.changed(before, after)
    if diff:
        moment = now or dt.datetime.now()
        audit.record(
            session,
            entity=entity,
            action=audit.Action.SETTING,
            changes=diff,
            user_id=by,
            now=moment,
        )


def _changed(old: dict[str, Any], row: dict[str, Any]) -> bool:
    def num(v: Any) -> Decimal | None:
        return None if blank(v) else Decimal(str(v)).quantize(Decimal("0.01"))

    return bool(old.get("round_the_clock")) != bool(row.get("round_the_clock")) or any(
        num(old[k]) != num(row[k]) for k in ("respond_hours", "resolve_hours", "onsite_hours")
    )


# ---------------------------------------------------------------- escalation ladder
def save_ladder(
    session: Session,
    seen: Sequence[sla.EscalationLevel],
    rows: Sequence[dict[str, Any]],
    *,
    by: int | None = None,
    now: dt.datetime | None = None,
) -> list[sla.EscalationLevel]:
    """Replace the escalation ladder the user saw (``seen``) by ``rows``."""
    ladder, problems = check_ladder(rows)
    if problems:
        raise InvalidInput(problems)
    if tuple(load_levels(session)) != tuple(seen):
        raise ConflictError("escalation")
    save_escalation_levels(session, ladder)
    _record(
        session, audit.SLA_ESCALATION, _ladder_snapshot(seen), _ladder_snapshot(ladder), by, now
    )
    return ladder


def _ladder_snapshot(levels: Sequence[sla.EscalationLevel]) -> dict[str, list[Any]]:
    return {str(lv.level): [lv.zh, lv.en, lv.hours] for lv in levels}


# ---------------------------------------------------------------- working calendar
def calendar_state(session: Session) -> dict[str, Any]:
    """The default calendar as the page shows it: version (None before the first save),
    weekly spans (Mon=0), holidays / make-up days, and a regular week's hours."""
    row = _default_calendar_row(session)
    cal = load_calendar(session)
    return {
        "version": None if row is None else row.version,
        "weekly": {wd: list(cal.weekly.get(wd, ())) for wd in range(7)},
        "days": list_calendar_days(session),
        "week_hours": cal.week_seconds / 3600,
        "day_hours": cal.working_day_hours,
    }


def save_weekly(
    session: Session,
    texts: dict[int, str],
    seen_version: int | None,
    now: dt.datetime,
    *,
    by: int | None = None,
) -> int:
    """Store the weekly hours and recompute open deadlines; returns how many."""
    weekly, problems = check_weekly(texts)
    if problems:
        raise InvalidInput(problems)
    row = _default_calendar_row(session)
    if row is not None and row.version != seen_version:
        raise ConflictError(row.name)
    before = _weekly_snapshot(load_calendar(session).weekly)
    save_calendar(session, weekly=weekly, expected_version=seen_version)
    _record(session, audit.SLA_CALENDAR, before, _weekly_snapshot(weekly), by, now)
    return recompute_open_deadlines(session, now)


def _weekly_snapshot(weekly: Any) -> dict[str, str]:
    """Weekday (``wd0`` = Monday) → its spans as text (``09:00-12:00 13:00-18:00``)."""
    return {
        f"wd{wd}": " ".join(f"{a}-{b}" for a, b in weekly.get(wd, ()))
        for wd in range(7)
        if weekly.get(wd)
    }


def _days_snapshot(session: Session) -> dict[str, list[str | None]]:
    return {d["day"].isoformat(): [d["kind"], d["name"]] for d in list_calendar_days(session)}


def add_calendar_days(
    session: Session,
    entries: Sequence[tuple[dt.date, str, str | None]],
    now: dt.datetime,
    *,
    by: int | None = None,
) -> int:
    """Mark each day a holiday or make-up working day (an existing entry is replaced)
    and recompute open deadlines; returns how many tickets were recomputed."""
    problems = check_day_entries(entries)
    if problems:
        raise InvalidInput(problems)
    before = _days_snapshot(session)
    for day, kind, name in entries:
        set_calendar_day(session, day, kind, name or None)
    session.flush()
    _record(session, audit.SLA_CALENDAR, before, _days_snapshot(session), by, now)
    return recompute_open_deadlines(session, now)


def statutory_proposal(session: Session, year: int, lang: str) -> statutory.Proposal:
    """What filling ``year``'s statutory holidays would add (shown for review first)."""
    existing = {d["day"]: (d["kind"], d["name"]) for d in list_calendar_days(session)}
    return statutory.propose(existing, year, lang)


def fill_statutory(
    session: Session, year: int, lang: str, now: dt.datetime, *, by: int | None = None
) -> tuple[int, int]:
    """Add the year's public holidays and make-up working days the calendar does not
    have yet — never a day the team set by hand — and recompute open deadlines.
    Returns (days added, tickets recomputed)."""
    new = statutory_proposal(session, year, lang).new
    if not new:
        return 0, 0
    return len(new), add_calendar_days(session, new, now, by=by)


def remove_calendar_days(
    session: Session, days: Iterable[dt.date], now: dt.datetime, *, by: int | None = None
) -> int:
    before = _days_snapshot(session)
    for day in days:
        remove_calendar_day(session, day)
    session.flush()
    _record(session, audit.SLA_CALENDAR, before, _days_snapshot(session), by, now)
    return recompute_open_deadlines(session, now)
