"""Complaints and their CAPA actions: the values ``complaints`` and ``complaint_actions``
store. Enums only for now; the rules come with the complaints pages."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    INVESTIGATING = "investigating"
    HANDLING = "handling"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


class Level(StrEnum):
    """Severity, urgency and the priority derived from them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Channel(StrEnum):
    HOTLINE = "hotline"
    EMAIL = "email"
    ONLINE = "online"
    SOCIAL_MEDIA = "social_media"


class Category(StrEnum):
    QUALITY = "quality"
    RESPONSE = "response"
    FEE = "fee"
    ATTITUDE = "attitude"
    PARTS = "parts"
    PRODUCT = "product"


class ActionKind(StrEnum):
    INVESTIGATION = "investigation"
    MEASURE = "measure"
    CORRECTIVE = "corrective"
    PREVENTIVE = "preventive"
    VERIFICATION = "verification"
    INFORM = "inform"
