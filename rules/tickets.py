"""Service tickets: statuses, priorities, channels.

(The transition table, field specs and SLA deadlines are added by the tickets work.)
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    RESPONDED = "responded"
    DIAGNOSING = "diagnosing"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    WAITING_PARTS = "waiting_parts"
    WAITING_CUSTOMER = "waiting_customer"
    RETURNED_TO_FACTORY = "returned_to_factory"
    REPAIRED = "repaired"
    ACCEPTED = "accepted"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    EMERGENCY = "emergency"
    HIGH = "high"
    STANDARD = "standard"
    LOW = "low"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ONLINE = "online"
    ONSITE = "onsite"
    REMOTE = "remote"
