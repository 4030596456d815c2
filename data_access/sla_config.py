"""The SLA configuration in the database: policies per priority and grade, the
escalation ladder, the working calendar and the follow-up delay; read for the clocks
and edited on the SLA page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
)
from sqlalchemy.orm import Session

from data_access import audit
from data_access.errors import ConflictError, InvalidInput
from data_access.models import (
    CalendarDay,
    Setting,
    SlaPolicy,
)
from data_access.models import EscalationLevel as EscalationRow
from data_access.models import WorkingCalendar as CalendarRow
from data_access.writes import flush_or_conflict as _flush
from rules import sla
from rules.fields import Problem
from rules.tickets import (
    FOLLOWUP_DELAY_DAYS_DEFAULT,
    FOLLOWUP_DELAY_SETTING,
)

FOLLOWUP_DELAY_KEY = FOLLOWUP_DELAY_SETTING


@dataclass(frozen=True)
class SlaConfig:
    calendar: sla.WorkingCalendar
    policies: tuple[sla.Policy, ...]
    levels: tuple[sla.EscalationLevel, ...]

    def policy(self, priority: str, grade: str | None) -> sla.Policy:
        try:
            return sla.policy_for(self.policies, priority, grade)
        except sla.NoPolicy:  # a table edited to miss a priority: fall back to the default
            return sla.policy_for(sla.DEFAULT_POLICIES, priority, grade)


def _default_calendar_row(session: Session) -> CalendarRow | None:
    return session.scalars(
        select(CalendarRow).order_by(CalendarRow.is_default.desc(), CalendarRow.id).limit(1)
    ).first()


def load_calendar(session: Session) -> sla.WorkingCalendar:
    """The default working calendar with its holidays and make-up days (rules default if none)."""
    row = _default_calendar_row(session)
    if row is None:
        return sla.DEFAULT_CALENDAR
    days = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.calendar_id == row.id)
    ).all()
    return sla.WorkingCalendar(
        weekly=row.weekly,
        holidays={d for d, kind in days if kind == "holiday"},
        extra_workdays={d for d, kind in days if kind == "workday"},
    )


def load_policies(session: Session) -> tuple[sla.Policy, ...]:
    rows = session.scalars(select(SlaPolicy)).all()
    if not rows:
        return sla.DEFAULT_POLICIES
    return tuple(
        sla.Policy(
            r.priority,
            float(r.respond_hours),
            float(r.resolve_hours),
            r.customer_grade or "*",
            None if r.onsite_hours is None else float(r.onsite_hours),
            bool(r.round_the_clock),
        )
        for r in rows
    )


def load_levels(session: Session) -> tuple[sla.EscalationLevel, ...]:
    rows = session.scalars(select(EscalationRow).order_by(EscalationRow.level)).all()
    if not rows:
        return sla.DEFAULT_ESCALATION
    return tuple(
        sla.EscalationLevel(
            r.level, r.name_zh, r.name_en, None if r.hours is None else float(r.hours)
        )
        for r in rows
    )


def load_sla_config(session: Session) -> SlaConfig:
    return SlaConfig(load_calendar(session), load_policies(session), load_levels(session))


def followup_delay_days(session: Session) -> int:
    value = session.scalar(select(Setting.value).where(Setting.key == FOLLOWUP_DELAY_KEY))
    try:
        return int(value) if value is not None else FOLLOWUP_DELAY_DAYS_DEFAULT
    except (TypeError, ValueError):
        return FOLLOWUP_DELAY_DAYS_DEFAULT


FOLLOWUP_DELAY_MAX = 90


def set_followup_delay_days(
    session: Session, days: int, now: dt.datetime, *, by: int | None = None
) -> int:
    """How many days after closing a ticket its follow-up call is due (0–90); returns it."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidInput([Problem("followup_days", "err.integer", {"value": days})])
    if not 0 <= days <= FOLLOWUP_DELAY_MAX:
        code, bound = (
            ("err.min", {"min": 0}) if days < 0 else ("err.max", {"max": FOLLOWUP_DELAY_MAX})
        )
        raise InvalidInput([Problem("followup_days", code, bound)])
    row = session.scalars(select(Setting).where(Setting.key == FOLLOWUP_DELAY_KEY)).first()
    before = None if row is None else row.value
    if row is None:
        session.add(Setting(key=FOLLOWUP_DELAY_KEY, value=days, created_at=now, updated_at=now))
    else:
        row.value, row.updated_at = days, now
    _flush(session, FOLLOWUP_DELAY_KEY)
    if before != days:
        changes = {"value": [before, days]}
        audit.record(
            session,
            entity=audit.SETTINGS,
            action=audit.Action.SETTING,
            key=FOLLOWUP_DELAY_KEY,
            changes=changes,
            user_id=by,
            now=now,
        )
    return days


def list_policies(session: Session) -> list[dict[str, Any]]:
    """Stored policies (empty table: the rules defaults, without ids)."""
    rows = session.scalars(
        select(SlaPolicy).order_by(SlaPolicy.priority, SlaPolicy.customer_grade)
    ).all()
    if not rows:
        return [
            {
                "id": None,
                "version": None,
                "priority": p.priority,
                "customer_grade": p.customer_grade,
                "respond_hours": p.respond_hours,
                "resolve_hours": p.resolve_hours,
                "onsite_hours": p.onsite_hours,
                "round_the_clock": p.round_the_clock,
            }  # fmt: skip
            for p in sla.DEFAULT_POLICIES
        ]
    return [
        {
            "id": r.id,
            "version": r.version,
            "priority": r.priority,
            "customer_grade": r.customer_grade,
            "respond_hours": float(r.respond_hours),
            "resolve_hours": float(r.resolve_hours),
            "onsite_hours": None if r.onsite_hours is None else float(r.onsite_hours),
            "round_the_clock": bool(r.round_the_clock),
        }  # fmt: skip
        for r in rows
    ]


def seed_sla_defaults(session: Session) -> None:
    """Write the rules defaults into empty policy / escalation / calendar tables."""
    if session.scalar(select(func.count(SlaPolicy.id))) == 0:
        for p in sla.DEFAULT_POLICIES:
            session.add(
                SlaPolicy(
                    priority=p.priority,
                    customer_grade=p.customer_grade,
                    respond_hours=Decimal(str(p.respond_hours)),
                    resolve_hours=Decimal(str(p.resolve_hours)),
                    onsite_hours=None if p.onsite_hours is None else Decimal(str(p.onsite_hours)),
                    round_the_clock=p.round_the_clock,
                )
            )
    if session.scalar(select(func.count(EscalationRow.id))) == 0:
        for lv in sla.DEFAULT_ESCALATION:
            session.add(
                EscalationRow(
                    level=lv.level,
                    name_zh=lv.zh,
                    name_en=lv.en,
                    hours=None if lv.hours is None else Decimal(str(lv.hours)),
                )
            )
    if _default_calendar_row(session) is None:
        save_calendar(session, weekly=sla.DEFAULT_WEEKLY)
    session.flush()


def save_escalation_levels(session: Session, levels: Sequence[sla.EscalationLevel]) -> None:
    """Replace the escalation ladder."""
    session.execute(delete(EscalationRow))
    for lv in levels:
        session.add(
            EscalationRow(
                level=lv.level,
                name_zh=lv.zh,
                name_en=lv.en,
                hours=None if lv.hours is None else Decimal(str(lv.hours)),
            )
        )
    session.flush()


def save_calendar(
    session: Session,
    *,
    weekly: dict,
    name: str = "default",
    expected_version: int | None = None,
) -> CalendarRow:
    """Set the default calendar's weekly hours (validated by building the rules calendar)."""
    cal = sla.WorkingCalendar(weekly=weekly)  # raises ValueError on bad spans
    stored = {str(wd): [list(s) for s in spans] for wd, spans in cal.weekly.items()}
    row = _default_calendar_row(session)
    if row is None:
        row = CalendarRow(name=name, weekly=stored, is_default=True)
        session.add(row)
    else:
        if expected_version is not None and row.version != expected_version:
            raise ConflictError(row.name)
        row.weekly = stored
    _flush(session, name)
    return row


def set_calendar_day(session: Session, day: dt.date, kind: str, name: str | None = None) -> None:
    """Mark ``day`` as a holiday or a make-up working day (``kind``: holiday | workday)."""
    if kind not in ("holiday", "workday"):
        raise ValueError(kind)
    row = _default_calendar_row(session) or save_calendar(session, weekly=sla.DEFAULT_WEEKLY)
    existing = session.scalars(
        select(CalendarDay).where(CalendarDay.calendar_id == row.id, CalendarDay.day == day)
    ).first()
    if existing is None:
        session.add(CalendarDay(calendar_id=row.id, day=day, kind=kind, name=name))
    else:
        existing.kind, existing.name = kind, name
    session.flush()


def remove_calendar_day(session: Session, day: dt.date) -> None:
    row = _default_calendar_row(session)
    if row is not None:
        session.execute(
            delete(CalendarDay).where(CalendarDay.calendar_id == row.id, CalendarDay.day == day)
        )


def list_calendar_days(session: Session) -> list[dict[str, Any]]:
    row = _default_calendar_row(session)
    if row is None:
        return []
    return [
        {"day": d.day, "kind": d.kind, "name": d.name}
        for d in session.scalars(
            select(CalendarDay).where(CalendarDay.calendar_id == row.id).order_by(CalendarDay.day)
        )
    ]
