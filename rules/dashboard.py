"""Service KPIs managers are judged on (domain.md §8): each defined once here.

A KPI is a ratio (or a mean) of stored figures: its numerator and denominator are
named in the i18n catalogue (``kpi.<key>.num`` / ``kpi.<key>.den``) and its formula in
words (``kpi.<key>.formula``); the SQL in :mod:`data_access.dashboard` counts exactly
those. Targets are defaults, overridable by the setting ``dashboard.target.<key>``.
Pure stdlib.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from rules.access import Role
from rules.fields import Problem


class Direction(StrEnum):
    AT_MOST = "at_most"
    AT_LEAST = "at_least"


class Unit(StrEnum):
    COUNT = "count"
    MINUTES = "min"
    HOURS = "h"
    PERCENT = "%"
    SCORE = "score"


_KEEP = object()  # "use the KPI's own target"


@dataclass(frozen=True)
class Kpi:
    key: str
    unit: Unit
    target: float | None
    direction: Direction
    topic: str
    drill: str | None
    seen_by: frozenset[str] = field(default_factory=frozenset)

    def met(self, value: float | None, target: float | None | object = _KEEP) -> bool | None:
        """Whether ``value`` meets ``target`` (the KPI's default when not given);
        None when either is unknown."""
        goal = self.target if target is _KEEP else target
        if value is None or goal is None:
            return None
        if self.direction is Direction.AT_MOST:
            return value <= goal  # type: ignore[operator]
        return value >= goal  # type: ignore[operator]


@dataclass(frozen=True)
class Figure:
    value: float | None  # None when the denominator is 0: the page shows "—"
    numerator: float | None
    denominator: float | None
    previous: float | None = None  # the same KPI over the previous period of equal length

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


R = Role
_MANAGERS = frozenset({R.ADMIN, R.MANAGER})
# who sees which topic (managers and admins see everything); an engineer sees his own
# work only: the data layer narrows his filters to himself
TOPIC_ROLES: dict[str, frozenset[str]] = {
    "tickets": _MANAGERS | {R.AGENT, R.ENGINEER},
    "quality": _MANAGERS | {R.ENGINEER},
    "satisfaction": _MANAGERS | {R.QUALITY, R.ENGINEER},
    "complaints": _MANAGERS | {R.QUALITY},
    "maintenance": _MANAGERS | {R.ENGINEER},
    "training": _MANAGERS,
    "parts": _MANAGERS,
    "devices": _MANAGERS,
}
# roles narrowed to their own figures (filters forced to engineer = themselves)
OWN_FIGURES_ONLY = frozenset({R.ENGINEER})

U, D = Unit, Direction


def _k(key: str, unit: Unit, target: float | None, direction: Direction, topic: str,
       drill: str | None) -> Kpi:  # fmt: skip
    return Kpi(key, unit, target, direction, topic, drill, TOPIC_ROLES[topic])


# display order; targets from domain.md §8 ("—" there: None)
KPIS: tuple[Kpi, ...] = (
    _k("tickets_received", U.COUNT, None, D.AT_LEAST, "tickets", "tickets"),
    _k("tickets_open", U.COUNT, None, D.AT_MOST, "tickets", "tickets"),
    _k("tickets_overdue", U.COUNT, 0, D.AT_MOST, "tickets", "tickets"),
    _k("first_response_min", U.MINUTES, 15, D.AT_MOST, "tickets", "tickets"),
    _k("first_response_wall_min", U.MINUTES, None, D.AT_MOST, "tickets", "tickets"),
    _k("resolution_h", U.HOURS, 24, D.AT_MOST, "tickets", "tickets"),
    _k("resolution_wall_h", U.HOURS, None, D.AT_MOST, "tickets", "tickets"),
    _k("response_compliance", U.PERCENT, None, D.AT_LEAST, "tickets", "tickets"),
    _k("on_time_repair", U.PERCENT, None, D.AT_LEAST, "tickets", "tickets"),
    _k("repair_success", U.PERCENT, None, D.AT_LEAST, "quality", "tickets"),
    _k("first_time_fix", U.PERCENT, 85, D.AT_LEAST, "quality", "tickets"),
    _k("work_order_accuracy", U.PERCENT, 98, D.AT_LEAST, "quality", "tickets"),
    _k("diagnosis_accuracy", U.PERCENT, 90, D.AT_LEAST, "quality", "tickets"),
    _k("csat", U.SCORE, 4.0, D.AT_LEAST, "satisfaction", "followups"),
    _k("satisfaction_rate", U.PERCENT, 90, D.AT_LEAST, "satisfaction", "followups"),
    _k("complaint_rate", U.PERCENT, 1, D.AT_MOST, "complaints", "complaints"),
    _k("complaint_satisfaction", U.PERCENT, None, D.AT_LEAST, "complaints", "complaints"),
    _k("maintenance_completion", U.PERCENT, None, D.AT_LEAST, "maintenance", "visits"),
    _k("training_coverage", U.PERCENT, 100, D.AT_LEAST, "training", "customers"),
    _k("key_parts_72h", U.PERCENT, None, D.AT_LEAST, "parts", "part_lines"),
    _k("failure_rate", U.PERCENT, 1, D.AT_MOST, "devices", "tickets"),
)
KPI_BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}

DIMENSIONS = ("region", "engineer", "customer_grade", "product_model", "service_type", "channel")
GRAINS = ("week", "month")

# below this satisfaction rate the process must be reviewed (seed 004); setting
# followups.review_below_pct overrides it
REVIEW_SATISFACTION_BELOW = 85.0
# a rating mean at or above this counts as "satisfied"
SATISFIED_AT = 4.0

TARGET_SETTING = "dashboard.target.{key}"
FTF_DAYS_SETTING = "dashboard.ftf_repeat_days"
FTF_REPEAT_DAYS = 7  # another ticket on the device within this many days: not fixed first time
KEY_PARTS_HOURS = 72
# a service report result that counts as a successful repair (rules.tickets.RESULT_OPTIONS)
SUCCESS_RESULTS = ("fixed",)
# a report is complete when these are filled (work-order accuracy)
REPORT_REQUIRED = ("work_done", "diagnosis", "result", "labour_hours", "accepted_by", "accepted_at")
# a change of these after the customer accepted the report makes it a corrected work
# order (the acceptance itself and the customer's ratings are not corrections)
CORRECTION_FIELDS = ("work_done", "diagnosis", "result", "labour_hours", "travel_km",
                     "fault_code_id")  # fmt: skip
# the ticket service type counted by the device failure rate
FAILURE_SERVICE_TYPE = "repair"
# the longest period the dashboard computes in one go (measured: bench/dashboard.py)
MAX_PERIOD_DAYS = 366


def visible(role: str | None) -> tuple[Kpi, ...]:
    """The KPIs ``role`` sees, in display order (none for a role without the dashboard)."""
    return tuple(k for k in KPIS if role in k.seen_by)


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length just before ``[start, end]`` (inclusive dates)."""
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def check_period(start: dt.date, end: dt.date, max_days: int = MAX_PERIOD_DAYS) -> list[Problem]:
    """Every problem of a period (inclusive dates): end before start, longer than
    ``max_days``."""
    if end < start:
        return [Problem("period", "dashboard.err.end_before_start",
                        {"start": start.isoformat(), "end": end.isoformat()})]  # fmt: skip
    days = (end - start).days + 1
    if days > max_days:
        return [Problem("period", "dashboard.err.too_long", {"days": days, "max": max_days})]
    return []


def share(part: int | float | None, whole: int | float | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    if not whole:
        return None
    return 100.0 * (part or 0) / whole


def mean(total: int | float | None, count: int | float | None) -> float | None:
    if not count or total is None:
        return None
    return float(total) / count


def annualised_share(events: int | None, population: int | None, days: int) -> float | None:
    """Events per member of ``population`` per year, in percent, over ``days`` days."""
    if not population or days <= 0:
        return None
    return 100.0 * (events or 0) / population * 365.0 / days
