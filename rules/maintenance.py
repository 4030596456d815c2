"""Preventive maintenance: the values plans and visits store (``maintenance_plans``,
``maintenance_visits``). Enums only for now; the rules come with the maintenance pages."""

from __future__ import annotations

from enum import StrEnum


class Package(StrEnum):
    """What a plan covers: the fixed checklists, or items chosen per device."""

    BASIC = "basic"
    COMPREHENSIVE = "comprehensive"
    CUSTOM = "custom"


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


class PlanKind(StrEnum):
    INSPECTION = "inspection"
    FIRMWARE = "firmware"


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class VisitResult(StrEnum):
    OK = "ok"
    ISSUES_FOUND = "issues_found"
