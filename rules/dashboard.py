"""Service KPIs managers are judged on (domain.md §8): definitions and targets.

Targets are configurable defaults, never constants buried in a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    AT_MOST = "at_most"
    AT_LEAST = "at_least"


@dataclass(frozen=True)
class Kpi:
    key: str
    unit: str  # "min" | "h" | "%" | "score" | "count"
    target: float | None = None
    direction: Direction = Direction.AT_LEAST

    def met(self, value: float | None) -> bool | None:
        if value is None or self.target is None:
            return None
        if self.direction is Direction.AT_MOST:
            return value <= self.target
        return value >= self.target


KPIS: tuple[Kpi, ...] = (
    Kpi("tickets_received", "count"),
    Kpi("tickets_open", "count"),
    Kpi("tickets_overdue", "count", 0, Direction.AT_MOST),
    Kpi("first_response_min", "min", 15, Direction.AT_MOST),
    Kpi("resolution_h", "h", 24, Direction.AT_MOST),
    Kpi("response_compliance", "%", 95),
    Kpi("on_time_repair", "%", 90),
    Kpi("first_time_fix", "%", 85),
    Kpi("csat", "score", 4.0),
    Kpi("satisfaction_rate", "%", 90),
    Kpi("complaint_rate", "%", 1, Direction.AT_MOST),
    Kpi("maintenance_completion", "%", 95),
    Kpi("training_coverage", "%", 100),
)

# below this satisfaction rate the process must be reviewed (seed 004)
REVIEW_SATISFACTION_BELOW = 85.0
# a rating mean at or above this counts as "satisfied"
SATISFIED_AT = 4.0


def share(part: int | float | None, whole: int | float | None) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    if not whole:
        return None
    return 100.0 * (part or 0) / whole
