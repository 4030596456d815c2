"""Training: the values courses, sessions and attendance store (``training_courses``,
``training_sessions``, ``training_attendance``). Enums only for now; the rules come
with the training pages."""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    CUSTOMER = "customer"
    INTERNAL = "internal"


class Topic(StrEnum):
    OPERATION = "operation"
    MAINTENANCE = "maintenance"
    TROUBLESHOOTING = "troubleshooting"
    ADVANCED = "advanced"
    PRODUCT = "product"
    SKILLS = "skills"
    RULES = "rules"
    COMMUNICATION = "communication"


class Delivery(StrEnum):
    ONLINE_LIVE = "online_live"
    ONLINE_PRACTICAL = "online_practical"
    OFFLINE_SEMINAR = "offline_seminar"
    CLASSROOM = "classroom"


class Phase(StrEnum):
    """A customer's programme: first training, deepening sessions, a review."""

    INITIAL = "initial"
    DEEPENING = "deepening"
    REVIEW = "review"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class Assessment(StrEnum):
    ONLINE_TEST = "online_test"
    PRACTICAL = "practical"
    FEEDBACK = "feedback"
